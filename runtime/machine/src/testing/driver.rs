//! The fake spawner and the bounded driver: fake processes that confirm
//! their exec, reach their `expect` milestones and exit when told, obey
//! (or ignore) signals, on a virtual clock. After every step the driver
//! checks what the machine said (`checks`); `lines` renders its trace.

use std::collections::{BTreeMap, VecDeque};

use upc_bundle::signals::{SIGCONT, SIGKILL};
use upc_bundle::{Expect, ProcessKind};

use super::checks::Track;
use super::jobs::{bundle, env, JobBuilder};
use super::lines::short_line;
use crate::{
    Action, Config, EventId, ExitStatus, Goal, InstanceInfo, Machine, Millis, Output, Reply,
    Request, RequestId, Spawn, Spawner, State, Stimulus, Target, TraceKind, TraceRecord,
    ValidatedBundle,
};

// ---------------------------------------------------------------------------
// The fake spawner

/// Records every spawn and hands out increasing pids from 1. A long run
/// that must not grow (a storm) takes [`FakeSpawner::spawns`] as it goes.
#[derive(Debug)]
pub struct FakeSpawner {
    pub next_pid: u32,
    /// Every spawn not taken yet, with its pid, in order.
    pub spawns: Vec<(u32, Spawn)>,
}

impl Default for FakeSpawner {
    fn default() -> Self {
        FakeSpawner {
            next_pid: 1,
            spawns: Vec::new(),
        }
    }
}

impl FakeSpawner {
    /// A pid nothing has had yet (also for forked children).
    pub fn fresh_pid(&mut self) -> u32 {
        let pid = self.next_pid;
        self.next_pid += 1;
        pid
    }

    /// The pids of the spawns not taken yet, taking them.
    pub fn take_pids(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.spawns)
            .into_iter()
            .map(|(pid, _)| pid)
            .collect()
    }
}

impl Spawner for FakeSpawner {
    fn spawn(&mut self, spawn: &Spawn, _: upc_bundle::Job<'_>) -> u32 {
        let pid = self.fresh_pid();
        self.spawns.push((pid, spawn.clone()));
        pid
    }
}

// ---------------------------------------------------------------------------
// The driver

/// One fake process.
#[derive(Debug, Clone)]
pub struct FakeProc {
    pub pid: u32,
    pub kind: ProcessKind,
    pub job: String,
    pub instance: String,
    /// The class's `expect` for a main process, `none` for the others.
    pub expect: Expect,
    /// Exec confirmed (setup pipe closed).
    pub confirmed: bool,
    /// `expect stop`: raised SIGSTOP; `expect notify`/`fd`: said it is
    /// ready.
    pub stopped: bool,
    /// `expect fork`/`daemon`: forks reported.
    pub forks: u32,
    /// Whether a (group) kill signal other than SIGKILL makes it exit.
    pub honours_term: bool,
}

/// `job` or `job (instance)`, as the machine's log lines name an instance.
pub fn instance_label(job: &str, instance: &str) -> String {
    if instance.is_empty() {
        job.to_owned()
    } else {
        format!("{job} ({instance})")
    }
}

/// The machine as these tests run it.
pub type M = Machine<FakeSpawner>;

/// A machine, its fake processes, a virtual clock, and everything it
/// said. The one harness of the machine's tests (these, the compiler's
/// job-file tests and the fuzz target): quinn's test `Pair`, for an event
/// machine.
pub struct Driver {
    pub m: M,
    pub now: Millis,
    pub trace: Vec<TraceRecord>,
    pub actions: Vec<Action>,
    /// Live fake processes by pid.
    pub procs: BTreeMap<u32, FakeProc>,
    /// Every pid that has ended (for stale-pid stimuli).
    pub dead: Vec<u32>,
    /// Exits of processes that honoured a signal, not yet reported.
    pub pending: VecDeque<Stimulus>,
    /// Replies by request.
    pub replies: BTreeMap<RequestId, Vec<Reply>>,
    /// Requests sent, in order.
    pub requests: Vec<(RequestId, Request)>,
    next_request: u64,
    seen_spawns: usize,
    /// How much of `trace` [`Driver::take_lines`] has rendered.
    lines_from: usize,
    /// Whether a new process honours SIGTERM (by pid).
    pub honour_term: Box<dyn Fn(u32) -> bool>,
    pub tracks: BTreeMap<(String, String), Track>,
    /// Event id -> the instances (job, instance) the trace says hold it
    /// until they reach their goal.
    pub holds: BTreeMap<EventId, Vec<(String, String)>>,
    /// Whether to check the trace and the instance table after each step.
    pub checking: bool,
}

impl Driver {
    /// A machine (tracing on) with `jobs` loaded.
    pub fn new(jobs: &[JobBuilder]) -> Driver {
        Driver::with_config(
            jobs,
            Config {
                trace: true,
                ..Config::default()
            },
        )
    }

    pub fn with_config(jobs: &[JobBuilder], config: Config) -> Driver {
        Driver::from_bundle(bundle(jobs), config)
    }

    /// A machine with a bundle built elsewhere (the compiler's tests build
    /// theirs from job files). The trace is checked after every step when
    /// `config.trace` is on.
    pub fn from_bundle(bundle: ValidatedBundle<'static>, config: Config) -> Driver {
        let checking = config.trace;
        Driver {
            m: Machine::new(bundle, config, FakeSpawner::default()),
            now: 0,
            trace: Vec::new(),
            actions: Vec::new(),
            procs: BTreeMap::new(),
            dead: Vec::new(),
            pending: VecDeque::new(),
            replies: BTreeMap::new(),
            requests: Vec::new(),
            next_request: 1,
            seen_spawns: 0,
            lines_from: 0,
            honour_term: Box::new(|_| true),
            tracks: BTreeMap::new(),
            holds: BTreeMap::new(),
            checking,
        }
    }

    // -- stimuli

    /// Emits an event of init's own (`startup`, ...).
    pub fn emit(&mut self, name: &str, entries: &[&str]) {
        self.m.emit(self.now, name, env(entries));
        self.pump();
    }

    pub fn handle(&mut self, stimulus: Stimulus) {
        self.m.handle(self.now, stimulus);
        self.pump();
    }

    /// Sends a request; its reply (if decided at once) is in
    /// [`Driver::replies`].
    pub fn request(&mut self, request: Request) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.requests.push((id, request.clone()));
        self.handle(Stimulus::Request { id, request });
        id
    }

    /// The only reply to `id`, if any.
    pub fn reply(&self, id: RequestId) -> Option<&Reply> {
        let replies = self.replies.get(&id)?;
        assert!(replies.len() <= 1, "request {id:?} replied twice");
        replies.first()
    }

    /// The reply to `id` as initctl would print it: the status lines, the
    /// value, `ok`, or `error: MESSAGE`.
    pub fn reply_text(&self, id: RequestId) -> Option<String> {
        self.reply(id).map(|r| match r {
            Ok(Output::Status(lines)) | Ok(Output::Env(lines)) => lines.join("\n"),
            Ok(Output::Value(v)) => v.clone(),
            Ok(Output::Done) => "ok".into(),
            Err(e) => format!("error: {}", e.message),
        })
    }

    pub fn start(&mut self, job: &str, entries: &[&str], wait: bool) -> RequestId {
        self.request(Request::Start {
            target: Target::Job(job.into()),
            env: env(entries),
            wait,
        })
    }

    pub fn stop(&mut self, job: &str, entries: &[&str], wait: bool) -> RequestId {
        self.request(Request::Stop {
            target: Target::Job(job.into()),
            env: env(entries),
            wait,
        })
    }

    /// Process `pid` ended with `status`.
    pub fn exited(&mut self, pid: u32, status: ExitStatus) {
        self.procs.remove(&pid);
        self.dead.push(pid);
        self.handle(Stimulus::Exited { pid, status });
    }

    /// Process `pid` called exit(`code`).
    pub fn exit(&mut self, pid: u32, code: i32) {
        self.exited(pid, ExitStatus::Exited(code));
    }

    /// Process `pid` was killed by `signal`.
    pub fn killed(&mut self, pid: u32, signal: i32) {
        self.exited(pid, ExitStatus::Signaled(signal));
    }

    /// Process `pid`'s exec succeeded.
    pub fn confirm(&mut self, pid: u32) {
        if let Some(p) = self.procs.get_mut(&pid) {
            p.confirmed = true;
        }
        self.handle(Stimulus::ExecConfirmed { pid });
    }

    /// Loads a new job set (a configuration reload, §15).
    pub fn reload(&mut self, jobs: &[JobBuilder]) {
        self.reload_bundle(bundle(jobs));
    }

    /// [`Driver::reload`] with a bundle built elsewhere.
    pub fn reload_bundle(&mut self, bundle: ValidatedBundle<'static>) {
        self.m.reload(self.now, bundle);
        self.pump();
    }

    /// Moves the clock on, and fires the kill timer if it is due.
    pub fn advance(&mut self, ms: Millis) {
        self.now += ms;
        if self.m.poll_timeout().is_some_and(|t| t <= self.now) {
            self.handle(Stimulus::Timeout);
        }
    }

    /// Reports the oldest pending exit of a signalled process.
    pub fn deliver_one(&mut self) -> bool {
        match self.pending.pop_front() {
            Some(s) => {
                self.handle(s);
                true
            }
            None => false,
        }
    }

    /// The next thing process `pid` does on its own: confirm its exec,
    /// reach its `expect` milestone, or exit with `status`.
    pub fn step_process(&mut self, pid: u32, status: ExitStatus) {
        let Some(p) = self.procs.get(&pid).cloned() else {
            return;
        };
        if !p.confirmed {
            return self.confirm(pid);
        }
        match p.expect {
            Expect::Stop if !p.stopped => {
                self.procs.get_mut(&pid).unwrap().stopped = true;
                self.handle(Stimulus::Stopped { pid })
            }
            Expect::Notify | Expect::Fd if !p.stopped => {
                self.procs.get_mut(&pid).unwrap().stopped = true;
                self.handle(Stimulus::Notify {
                    pid,
                    notice: crate::Notice::Ready,
                })
            }
            Expect::Fork | Expect::Daemon
                if p.forks < if p.expect == Expect::Fork { 1 } else { 2 } =>
            {
                // The parent hands over to a fresh child and exits (an
                // exit the machine no longer tracks).
                let child = self.m.spawner.fresh_pid();
                let mut c = self.procs.remove(&pid).unwrap();
                c.pid = child;
                c.forks += 1;
                self.procs.insert(child, c);
                self.handle(Stimulus::Forked { pid, child });
                self.dead.push(pid);
                self.handle(Stimulus::Exited {
                    pid,
                    status: ExitStatus::Exited(0),
                });
            }
            _ => self.exited(pid, status),
        }
    }

    /// Runs until no process is left, nothing is pending and no timer is
    /// armed, every process doing its next step in pid order and exiting
    /// with `status(process)`. Panics after `max_steps` steps (livelock).
    pub fn run_to_rest(&mut self, max_steps: usize, status: impl Fn(&FakeProc) -> ExitStatus) {
        for _ in 0..max_steps {
            if self.deliver_one() {
                continue;
            }
            if let Some((&pid, p)) = self.procs.iter().next() {
                let s = status(p);
                self.step_process(pid, s);
                continue;
            }
            match self.m.poll_timeout() {
                Some(t) => {
                    self.now = self.now.max(t);
                    self.handle(Stimulus::Timeout);
                }
                None => return,
            }
        }
        panic!(
            "livelock: not at rest after {max_steps} steps; instances: {:#?}; processes: {:?}",
            self.m.instances(),
            self.procs
        );
    }

    /// [`Driver::run_to_rest`] with every process exiting 0.
    pub fn settle(&mut self) {
        self.run_to_rest(100_000, |_| ExitStatus::Exited(0));
    }

    // -- after each step

    /// Drains the machine: new spawns become fake processes, signals reach
    /// them, replies are filed, the trace is checked.
    fn pump(&mut self) {
        let spawns: Vec<(u32, Spawn)> = self
            .m
            .spawner
            .spawns
            .get(self.seen_spawns..)
            .unwrap_or_default()
            .to_vec();
        self.seen_spawns = self.m.spawner.spawns.len();
        for (pid, s) in spawns {
            let expect = if s.proc.process == ProcessKind::Main {
                self.m
                    .class_view(s.class)
                    .map_or(Expect::None, |j| j.expect())
            } else {
                Expect::None
            };
            let honours_term = (self.honour_term)(pid);
            self.procs.insert(
                pid,
                FakeProc {
                    pid,
                    kind: s.proc.process,
                    job: s.job.clone(),
                    instance: s.instance.clone(),
                    expect,
                    confirmed: false,
                    stopped: false,
                    forks: 0,
                    honours_term,
                },
            );
        }
        while let Some(a) = self.m.poll_action() {
            match &a {
                Action::Reply { id, reply } => {
                    self.replies.entry(*id).or_default().push(reply.clone());
                }
                Action::Signal { pid, signal, group } => {
                    let dies = self.procs.get(pid).is_some_and(|p| {
                        *signal == SIGKILL || (*group && *signal != SIGCONT && p.honours_term)
                    });
                    if dies {
                        self.procs.remove(pid);
                        self.dead.push(*pid);
                        self.pending.push_back(Stimulus::Exited {
                            pid: *pid,
                            status: ExitStatus::Signaled(*signal),
                        });
                    }
                }
                _ => {}
            }
            self.actions.push(a);
        }
        let new = self.m.take_trace();
        if self.checking {
            for r in &new {
                self.follow(r);
            }
            self.check_instances();
        }
        self.trace.extend(new);
    }

    pub fn instance(&self, job: &str, name: &str) -> Option<InstanceInfo> {
        self.m
            .instances()
            .into_iter()
            .find(|i| i.job == job && i.name == name)
    }

    /// The state of singleton `job`, `None` once it is gone.
    pub fn state(&self, job: &str) -> Option<(Goal, State)> {
        self.instance(job, "").map(|i| (i.goal, i.state))
    }

    /// Live processes of `job` of one kind.
    pub fn pids(&self, job: &str, kind: ProcessKind) -> Vec<u32> {
        self.procs
            .values()
            .filter(|p| p.job == job && p.kind == kind)
            .map(|p| p.pid)
            .collect()
    }

    /// The names and environments of the events handled so far, in order.
    pub fn events(&self) -> Vec<(String, Vec<String>)> {
        self.trace
            .iter()
            .filter_map(|r| match &r.kind {
                TraceKind::Event { name, env, .. } => Some((name.clone(), env.clone())),
                _ => None,
            })
            .collect()
    }

    /// `name` plus the environment of every handled event, as one line
    /// each (`stopping JOB=a INSTANCE= RESULT=ok`).
    pub fn event_lines(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .map(|(n, e)| std::iter::once(n).chain(e).collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// The state sequence of `job (instance)` from the trace.
    pub fn states_of(&self, job: &str, instance: &str) -> Vec<State> {
        let mut out = Vec::new();
        for r in &self.trace {
            if let TraceKind::State {
                job: j,
                instance: i,
                from,
                to,
                ..
            } = &r.kind
            {
                if j == job && i == instance {
                    if out.is_empty() {
                        out.push(*from);
                    }
                    out.push(*to);
                }
            }
        }
        out
    }

    /// The texts of the ignored-stimulus and log records.
    pub fn logs(&self) -> Vec<String> {
        self.trace
            .iter()
            .filter_map(|r| match &r.kind {
                TraceKind::Log { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    /// The trace since the last call, one short line per record (see
    /// [`short_line`]).
    pub fn take_lines(&mut self) -> Vec<String> {
        let new = self.trace.get(self.lines_from..).unwrap_or_default();
        self.lines_from = self.trace.len();
        new.iter().filter_map(short_line).collect()
    }

    /// The spawn that got `pid`.
    pub fn spawn(&self, pid: u32) -> &Spawn {
        self.m
            .spawner
            .spawns
            .iter()
            .find(|(p, _)| *p == pid)
            .map(|(_, s)| s)
            .unwrap_or_else(|| panic!("no spawn got pid {pid}"))
    }

    /// The environment a spawned process got.
    pub fn env_of(&self, pid: u32) -> Vec<String> {
        self.spawn(pid).env.clone()
    }

    /// The pid of the latest spawn of `job`'s `process`.
    pub fn pid_of(&self, job: &str, process: ProcessKind) -> u32 {
        self.m
            .spawner
            .spawns
            .iter()
            .rev()
            .find(|(_, s)| s.job == job && s.proc.process == process)
            .map(|(p, _)| *p)
            .unwrap_or_else(|| panic!("no {} process of {job} was spawned", process.name()))
    }

    /// `goal/state` of an instance, or `gone`.
    pub fn status(&self, job: &str, instance: &str) -> String {
        self.instance(job, instance)
            .map_or("gone".into(), |i| format!("{}/{}", i.goal, i.state))
    }

    /// Every signal sent so far: (pid, signal).
    pub fn signals(&self) -> Vec<(u32, i32)> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Signal { pid, signal, .. } => Some((*pid, *signal)),
                _ => None,
            })
            .collect()
    }
}
