//! What a random case is made of, how it becomes a job set, and how each
//! stimulus is applied to the driver.

use std::collections::BTreeSet;

use proptest::prelude::*;
use upc_bundle::{Expect, ProcessKind};
use upc_machine::{ExitStatus, Request, Stimulus, Target};

use crate::common::*;

// ---------------------------------------------------------------------------
// What a case is made of

#[derive(Debug, Clone)]
pub enum Leaf {
    /// One of `a`, `b`, `c`, with an argument choice.
    Plain { event: u8, arg: u8 },
    /// `started`/`stopped`/`starting`/`stopping` of another job.
    Job { kind: u8, target: u8, arg: u8 },
}

#[derive(Debug, Clone)]
pub enum CondGen {
    Leaf(Leaf),
    And(Box<CondGen>, Box<CondGen>),
    Or(Box<CondGen>, Box<CondGen>),
}

#[derive(Debug, Clone)]
pub struct JobGen {
    start: Option<CondGen>,
    stop: Option<CondGen>,
    /// Bit k: define `ProcessKind::ALL[k]` (security only rarely).
    processes: u8,
    expect: u8,
    task: bool,
    respawn: bool,
    limit: (u32, u32),
    /// Bits over [0, 1, 2, SIGTERM << 8].
    normal_exit: u8,
    /// 0: singleton; 1: `instance $X`; 2: `instance $X` with `env X=x0`.
    instance: u8,
    export: bool,
    kill_timeout: u64,
}

#[derive(Debug, Clone)]
pub enum Op {
    Emit {
        event: u8,
        env: u8,
        how: u8,
    },
    Start {
        job: u8,
        env: u8,
        wait: bool,
    },
    Stop {
        job: u8,
        env: u8,
        wait: bool,
    },
    Restart {
        job: u8,
        env: u8,
        wait: bool,
    },
    /// Start or stop an existing instance from "inside" it.
    Own {
        sel: u8,
        start: bool,
    },
    /// The next milestone of a live process (exec, expect, exit 0).
    Step {
        sel: u8,
    },
    Exit {
        sel: u8,
        status: u8,
    },
    SpawnFail {
        sel: u8,
    },
    /// Report the exit of a process that honoured a signal.
    Deliver,
    /// The kill timer if one is armed, else a spurious timeout.
    Timeout,
    Advance {
        ms: u16,
    },
    /// A stimulus for a pid that has gone or never was.
    Stale {
        which: u8,
        kind: u8,
    },
    /// Reload the same set (0) or the set without one job.
    Reload {
        drop: u8,
    },
}

const PLAIN: [&str; 3] = ["a", "b", "c"];
const JOB_EVENTS: [&str; 4] = ["started", "stopped", "starting", "stopping"];

fn leaf() -> impl Strategy<Value = Leaf> {
    prop_oneof![
        3 => (0u8..3, 0u8..8).prop_map(|(event, arg)| Leaf::Plain { event, arg }),
        2 => (0u8..4, any::<u8>(), 0u8..4).prop_map(|(kind, target, arg)| Leaf::Job {
            kind,
            target,
            arg
        }),
    ]
}

fn cond() -> impl Strategy<Value = CondGen> {
    leaf()
        .prop_map(CondGen::Leaf)
        .prop_recursive(2, 6, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| CondGen::And(Box::new(l), Box::new(r))),
                (inner.clone(), inner).prop_map(|(l, r)| CondGen::Or(Box::new(l), Box::new(r))),
            ]
        })
}

fn job_gen() -> impl Strategy<Value = JobGen> {
    (
        (
            proptest::option::weighted(0.85, cond()),
            proptest::option::weighted(0.5, cond()),
        ),
        (any::<u8>(), 0u8..8, any::<bool>(), any::<bool>()),
        (
            (1u32..4, 1u32..10),
            any::<u8>(),
            0u8..3,
            any::<bool>(),
            1u64..4,
        ),
    )
        .prop_map(
            |(
                (start, stop),
                (processes, expect, task, respawn),
                (limit, normal_exit, instance, export, kill_timeout),
            )| JobGen {
                start,
                stop,
                processes,
                expect,
                task,
                respawn,
                limit,
                normal_exit,
                instance,
                export,
                kill_timeout,
            },
        )
}

/// A job (by index), an environment choice and whether to wait.
fn request() -> impl Strategy<Value = (u8, u8, bool)> {
    (any::<u8>(), 0u8..12, any::<bool>())
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..5, 0u8..12, 0u8..3).prop_map(|(event, env, how)| Op::Emit { event, env, how }),
        3 => request().prop_map(|(job, env, wait)| Op::Start { job, env, wait }),
        2 => request().prop_map(|(job, env, wait)| Op::Stop { job, env, wait }),
        1 => request().prop_map(|(job, env, wait)| Op::Restart { job, env, wait }),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(sel, start)| Op::Own { sel, start }),
        8 => any::<u8>().prop_map(|sel| Op::Step { sel }),
        4 => (any::<u8>(), 0u8..6).prop_map(|(sel, status)| Op::Exit { sel, status }),
        1 => any::<u8>().prop_map(|sel| Op::SpawnFail { sel }),
        2 => Just(Op::Deliver),
        2 => Just(Op::Timeout),
        1 => (0u16..7000).prop_map(|ms| Op::Advance { ms }),
        1 => (any::<u8>(), 0u8..6).prop_map(|(which, kind)| Op::Stale { which, kind }),
        1 => any::<u8>().prop_map(|drop| Op::Reload { drop }),
    ]
}

pub fn any_case() -> impl Strategy<Value = (Vec<JobGen>, Vec<Op>, u32)> {
    (
        proptest::collection::vec(job_gen(), 1..=8),
        proptest::collection::vec(op(), 0..150),
        0u32..4,
    )
}

// ---------------------------------------------------------------------------
// From a case to jobs and stimuli

fn name(i: usize) -> String {
    format!("j{i}")
}

/// `index` is the job's position; `start` conditions only name job events
/// of earlier jobs (else they fall back to a plain event).
fn realise_cond(g: &CondGen, index: usize, n: usize, start: bool) -> Cond {
    match g {
        CondGen::And(l, r) => {
            realise_cond(l, index, n, start).and(realise_cond(r, index, n, start))
        }
        CondGen::Or(l, r) => realise_cond(l, index, n, start).or(realise_cond(r, index, n, start)),
        CondGen::Leaf(Leaf::Job { kind, target, arg }) if !start || index > 0 => {
            let bound = if start { index } else { n };
            let target = name(usize::from(*target) % bound);
            let c = on(JOB_EVENTS[usize::from(*kind)]);
            match arg {
                // Any job's event: only for `stop on`, where it cannot loop.
                0 if !start => c,
                1 => c.arg(&target).eq("RESULT", "failed"),
                2 => c.arg(&target).arg("*"),
                _ => c.arg(&target),
            }
        }
        CondGen::Leaf(Leaf::Job { kind, arg, .. }) => {
            on(PLAIN[usize::from(*kind) % 3]).arg(match arg {
                0 => "x1",
                _ => "*",
            })
        }
        CondGen::Leaf(Leaf::Plain { event, arg }) => {
            let c = on(PLAIN[usize::from(*event)]);
            match arg {
                1 => c.eq("X", "x1"),
                2 => c.eq("X", "x*"),
                3 => c.ne("X", "x1"),
                4 => c.arg("x2"),
                5 if !start => c.eq("X", "$X"),
                6 => c.eq("Y", "?"),
                _ => c,
            }
        }
    }
}

pub fn realise(gens: &[JobGen]) -> Vec<JobBuilder> {
    let n = gens.len();
    gens.iter()
        .enumerate()
        .map(|(i, g)| {
            let mut j = job(&name(i));
            if let Some(c) = &g.start {
                j = j.start_on(realise_cond(c, i, n, true));
            }
            if let Some(c) = &g.stop {
                j = j.stop_on(realise_cond(c, i, n, false));
            }
            let kinds: Vec<ProcessKind> = ProcessKind::ALL
                .into_iter()
                .enumerate()
                .filter(|&(k, kind)| {
                    g.processes & (1 << k) != 0
                        && (kind != ProcessKind::Security || g.processes & 0xc0 == 0xc0)
                })
                .map(|(_, kind)| kind)
                .collect();
            j = j.processes(&kinds);
            j = j.expect(match g.expect {
                5 => Expect::Stop,
                6 => Expect::Fork,
                7 => Expect::Daemon,
                _ => Expect::None,
            });
            if g.task {
                j = j.task();
            }
            if g.respawn {
                j = j.respawn();
            }
            j = j.respawn_limit(Some(g.limit.0), Some(g.limit.1));
            let codes: Vec<i64> = [0, 1, 2, 15 << 8]
                .into_iter()
                .enumerate()
                .filter(|&(k, _)| g.normal_exit & (1 << k) != 0)
                .map(|(_, c)| c)
                .collect();
            j = j.normal_exit(&codes);
            match g.instance {
                1 => j = j.instance("$X"),
                2 => j = j.instance("$X").env("X=x0"),
                _ => {}
            }
            if g.export {
                j = j.export("X");
            }
            j.kill_timeout(g.kill_timeout)
        })
        .collect()
}

/// 0–10: mostly valid environments, with `X` (the instance variable) in
/// most; 11: malformed.
fn env_choice(k: u8) -> &'static [&'static str] {
    match k {
        0 | 5 => &[],
        1 | 6 | 7 => &["X=x1"],
        2 | 8 | 9 => &["X=x2"],
        3 | 10 => &["X=x1", "Y=1"],
        4 => &["X=x2", "JOB=j0", "RESULT=failed"],
        _ => &["X"],
    }
}

fn status_choice(k: u8) -> ExitStatus {
    match k {
        1 => ExitStatus::Exited(1),
        2 => ExitStatus::Exited(2),
        3 => ExitStatus::Signaled(15),
        4 => ExitStatus::Signaled(9),
        5 => ExitStatus::Signaled(11),
        _ => ExitStatus::Exited(0),
    }
}

fn pick<T: Copy>(items: &[T], sel: u8) -> Option<T> {
    (!items.is_empty()).then(|| items[usize::from(sel) % items.len()])
}

pub fn apply(d: &mut Driver, op: &Op, jobs: &[JobBuilder]) {
    let job_name = |k: u8| jobs[usize::from(k) % jobs.len()].spec.name.clone();
    let live: Vec<u32> = d.procs.keys().copied().collect();
    match *op {
        Op::Emit { event, env, how } => {
            let name = match event {
                0..=2 => PLAIN[usize::from(event)],
                3 => "started",
                _ => "unheard-of",
            };
            let e = env_choice(env);
            match how {
                0 if env != 11 => d.emit(name, e),
                _ => {
                    d.request(Request::Emit {
                        name: name.into(),
                        env: crate::common::env(e),
                        wait: how == 1,
                    });
                }
            }
        }
        Op::Start { job, env, wait } => {
            d.start(&job_name(job), env_choice(env), wait);
        }
        Op::Stop { job, env, wait } => {
            d.stop(&job_name(job), env_choice(env), wait);
        }
        Op::Restart { job, env, wait } => {
            d.request(Request::Restart {
                target: Target::Job(job_name(job)),
                env: crate::common::env(env_choice(env)),
                wait,
            });
        }
        Op::Own { sel, start } => {
            let instances = d.m.instances();
            if instances.is_empty() {
                return;
            }
            let i = &instances[usize::from(sel) % instances.len()];
            let target = Target::Instance {
                job: i.job.clone(),
                instance: i.name.clone(),
            };
            d.request(if start {
                Request::Start {
                    target,
                    env: vec![],
                    wait: false,
                }
            } else {
                Request::Stop {
                    target,
                    env: vec![],
                    wait: false,
                }
            });
        }
        Op::Step { sel } => {
            if let Some(pid) = pick(&live, sel) {
                d.step_process(pid, ExitStatus::Exited(0));
            }
        }
        Op::Exit { sel, status } => {
            if let Some(pid) = pick(&live, sel) {
                d.exited(pid, status_choice(status));
            }
        }
        // A real driver reports a spawn failure instead of an exec
        // confirmation; a late one (after the exec or a milestone) tests
        // that the machine copes with any order.
        Op::SpawnFail { sel } => {
            if let Some(pid) = pick(&live, sel) {
                d.procs.remove(&pid);
                d.dead.push(pid);
                d.handle(Stimulus::SpawnFailed {
                    pid,
                    reason: "unable to execute: No such file or directory".into(),
                });
            }
        }
        Op::Deliver => {
            d.deliver_one();
        }
        Op::Timeout => {
            if let Some(t) = d.m.poll_timeout() {
                d.now = d.now.max(t);
            }
            d.handle(Stimulus::Timeout);
        }
        Op::Advance { ms } => d.advance(u64::from(ms)),
        Op::Stale { which, kind } => {
            let pending: BTreeSet<u32> = d
                .pending
                .iter()
                .filter_map(|s| match s {
                    Stimulus::Exited { pid, .. } => Some(*pid),
                    _ => None,
                })
                .collect();
            let dead: Vec<u32> = d
                .dead
                .iter()
                .copied()
                .filter(|p| !pending.contains(p))
                .collect();
            let pid = pick(&dead, which).unwrap_or(50_000 + u32::from(which));
            let s = match kind {
                0 => Stimulus::Exited {
                    pid,
                    status: ExitStatus::Exited(1),
                },
                1 => Stimulus::ExecConfirmed { pid },
                2 => Stimulus::SpawnFailed {
                    pid,
                    reason: "late".into(),
                },
                3 => Stimulus::Stopped { pid },
                4 => Stimulus::Forked {
                    pid,
                    child: d.m.spawner.fresh_pid(),
                },
                _ => Stimulus::Execed { pid },
            };
            d.handle(s);
        }
        Op::Reload { drop } => {
            if drop % 2 == 0 || jobs.len() == 1 {
                d.reload(jobs);
            } else {
                let k = usize::from(drop / 2) % jobs.len();
                let mut fewer = jobs.to_vec();
                fewer.remove(k);
                d.reload(&fewer);
            }
        }
    }
}
