//! Scripts: the operator's (`--emit`, a replayed session) and those of
//! the processes whose job scripts run `initctl` commands. A script takes
//! its steps in order; a request that initctl would wait for holds it
//! until the answer comes, a `sleep` until its time.

use upc_machine::{Millis, Request, RequestId, Stimulus, Target};

use super::driver::{Item, Note, Record, Simulation};
use super::model::{Actor, Step, Verb, Whom};

impl Simulation {
    pub(super) fn new_actor(&mut self, steps: Vec<Step>, pid: Option<u32>, gap: Millis) -> u64 {
        let id = self.next_actor;
        self.next_actor += 1;
        self.actors.insert(
            id,
            Actor {
                steps: steps.into(),
                pid,
                gap,
            },
        );
        id
    }

    /// Takes a script's steps until it must wait (time, an answer) or is
    /// done.
    pub(super) fn resume(&mut self, id: u64) {
        loop {
            let Some(actor) = self.actors.get_mut(&id) else {
                return;
            };
            let (pid, gap) = (actor.pid, actor.gap);
            let Some(step) = actor.steps.pop_front() else {
                self.actors.remove(&id);
                self.script_done(pid);
                return;
            };
            match step {
                Step::Sleep(ms) => {
                    self.schedule(self.now.saturating_add(ms), Item::Resume(id));
                    return;
                }
                Step::Telinit(level) => {
                    let env = vec![
                        format!("RUNLEVEL={level}"),
                        format!("PREVLEVEL={}", self.runlevel),
                    ];
                    self.runlevel = level;
                    let step = Step::Emit {
                        name: "runlevel".into(),
                        env,
                        wait: false,
                    };
                    self.request(id, pid, &step);
                }
                step => {
                    if self.request(id, pid, &step) {
                        return;
                    }
                }
            }
            if gap > 0 {
                self.schedule(self.now.saturating_add(gap), Item::Resume(id));
                return;
            }
        }
    }

    fn script_done(&mut self, pid: Option<u32>) {
        let Some(pid) = pid else {
            return;
        };
        let Some(p) = self.processes.get_mut(&pid) else {
            return;
        };
        p.busy = false;
        p.actor = None;
        if p.end_due {
            self.exit(pid);
        }
    }

    /// Sends the request of an emit, job or query step; returns whether
    /// the script now waits for the answer.
    fn request(&mut self, actor: u64, pid: Option<u32>, step: &Step) -> bool {
        let by = pid
            .and_then(|pid| self.processes.get(&pid))
            .map(|p| (p.job.clone(), p.instance.clone(), p.kind));
        let (request, wait) = match step {
            Step::Emit { name, env, wait } => (
                Request::Emit {
                    name: name.clone(),
                    env: env.clone(),
                    wait: *wait,
                },
                *wait,
            ),
            Step::Job {
                verb,
                whom,
                env,
                wait,
            } => {
                let target = match (whom, &by) {
                    (Whom::Job(job), _) => Target::Job(job.clone()),
                    (Whom::Own, Some((job, instance, _))) => Target::Instance {
                        job: job.clone(),
                        instance: instance.clone(),
                    },
                    // Outside a job, initctl refuses a request without a job.
                    (Whom::Own, None) => return false,
                };
                let (env, wait) = (env.clone(), *wait);
                let request = match verb {
                    Verb::Start => Request::Start { target, env, wait },
                    Verb::Stop => Request::Stop { target, env, wait },
                    Verb::Restart => Request::Restart { target, env, wait },
                };
                (request, wait)
            }
            Step::Status { job, env } => (
                Request::Status {
                    job: job.clone(),
                    env: env.clone(),
                },
                false,
            ),
            Step::List => (Request::List, false),
            Step::Telinit(_) | Step::Sleep(_) => return false,
        };
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.records.push(Record::Note {
            t: self.now,
            note: Note::Command {
                request: id,
                text: step.to_string(),
                by,
            },
        });
        if wait {
            self.waiting.insert(id, actor);
        }
        self.handle(Stimulus::Request { id, request });
        // A waiting script goes on when the answer comes (it may already
        // have: an error is answered at once).
        wait
    }
}
