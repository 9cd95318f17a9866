//! The machine fuzz target's body, shared with `cargo test` (which
//! replays the saved fuzz inputs): bytes -> a job set of four jobs and a
//! script of stimuli, run through the [`Driver`](super::Driver), which
//! checks the machine's promises after every step.
//!
//! Layout: 4 job records of 6 bytes (flags, process mask, start-on shape,
//! start-on events, stop-on shape, stop-on events), then stimuli, each an
//! opcode byte and its operands. Running out of bytes ends the script;
//! then every live process is made to exit, repeatedly, and the machine
//! must come to rest.

use upc_bundle::{
    ArgKind, ArgSpec, BodyKind, BundleSpec, ConditionSpec, Expect, Instr, JobSpec, Location,
    MatchSpec, ProcessKind, ProcessSpec,
};

use super::driver::{Driver, FakeProc};
use crate::*;

const JOBS: [&str; 4] = ["a", "b", "c", "d"];
const EVENTS: [&str; 4] = ["e0", "e1", "e2", "e3"];
const JOB_EVENTS: [&str; 4] = ["starting", "started", "stopping", "stopped"];

struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        let b = self.data.get(self.pos).copied();
        self.pos += 1;
        b
    }

    fn byte(&mut self) -> u8 {
        self.next().unwrap_or(0)
    }
}

/// An event match chosen by one byte: a plain event (maybe `X=...`), or a
/// job event of one of the jobs.
fn event_match(b: u8) -> MatchSpec {
    let low = usize::from(b & 3);
    let (event, args) = if b & 4 == 0 {
        let args = match (b >> 3) & 3 {
            0 => vec![],
            1 => vec![ArgSpec {
                kind: ArgKind::Equals("X".into()),
                pattern: "1".into(),
            }],
            2 => vec![ArgSpec {
                kind: ArgKind::Equals("X".into()),
                pattern: "$X".into(),
            }],
            _ => vec![ArgSpec {
                kind: ArgKind::NotEquals("X".into()),
                pattern: "[01]".into(),
            }],
        };
        (EVENTS[low], args)
    } else {
        let job = JOBS[usize::from((b >> 3) & 3)];
        let args = vec![ArgSpec {
            kind: ArgKind::Positional,
            pattern: job.into(),
        }];
        (JOB_EVENTS[low], args)
    };
    MatchSpec {
        event: event.into(),
        args,
    }
}

/// `None`, one match, `m1 and m2`, or `m1 or m2`.
fn condition(shape: u8, events: u8) -> Option<ConditionSpec> {
    let first = event_match(events);
    let second = event_match(events.rotate_left(4) ^ shape);
    let (code, matches) = match shape & 3 {
        0 => return None,
        1 => (vec![Instr::Match], vec![first]),
        2 => (
            vec![Instr::Match, Instr::Match, Instr::And],
            vec![first, second],
        ),
        _ => (
            vec![Instr::Match, Instr::Match, Instr::Or],
            vec![first, second],
        ),
    };
    Some(ConditionSpec {
        code,
        matches,
        location: Location::default(),
    })
}

fn job(name: &str, rec: [u8; 6]) -> JobSpec {
    let [flags, procs, start_shape, start_events, stop_shape, stop_events] = rec;
    let mut j = JobSpec::new(name, format!("{name}.conf"));
    j.task = flags & 1 != 0;
    j.respawn = flags & 2 != 0;
    j.expect = match (flags >> 2) & 3 {
        0 if flags & 128 != 0 => Expect::Notify,
        0 => Expect::None,
        1 => Expect::Stop,
        2 => Expect::Fork,
        _ => Expect::Daemon,
    };
    if flags & 16 != 0 {
        j.instance = "$X".into();
    }
    if flags & 32 != 0 {
        j.respawn_count = Some(2);
        j.respawn_interval = Some(5);
    }
    if flags & 64 != 0 {
        j.normal_exit = vec![0, 15 << 8];
    }
    j.processes = ProcessKind::ALL
        .into_iter()
        .filter(|k| *k != ProcessKind::Security && procs & (1 << k.code()) != 0)
        .map(|kind| ProcessSpec {
            kind,
            body: BodyKind::Exec,
            text: format!("/bin/{}", kind.name()),
            location: Location::default(),
        })
        .collect();
    j.start_on = condition(start_shape, start_events);
    j.stop_on = condition(stop_shape, stop_events);
    j
}

/// Live pid number `arg` (modulo their count), or `arg` itself when none
/// lives.
fn pick(d: &Driver, arg: u8) -> u32 {
    let alive: Vec<u32> = d.procs.keys().copied().collect();
    alive
        .get(usize::from(arg) % alive.len().max(1))
        .copied()
        .unwrap_or(u32::from(arg))
}

/// Runs one fuzz input; panics if the machine breaks a promise.
pub fn drive(data: &[u8]) {
    let mut bytes = Bytes { data, pos: 0 };
    let jobs = JOBS
        .iter()
        .map(|name| {
            let rec = [0; 6].map(|_: u8| bytes.byte());
            job(name, rec)
        })
        .collect();
    let spec = BundleSpec {
        compiler_version: "fuzz".into(),
        source_digest: [0; 32],
        jobs,
    };
    let Ok(raw) = upc_bundle::write(&spec) else {
        return;
    };
    let Ok(bundle) = upc_bundle::validate_owned(raw) else {
        panic!("the writer's own bundle does not validate");
    };
    let config = Config {
        trace: true,
        max_events_per_step: 64,
        ..Config::default()
    };
    let mut d = Driver::from_bundle(bundle.clone(), config);
    let mut request = 0u64;
    d.emit("startup", &[]);
    while let Some(op) = bytes.next() {
        let arg = bytes.byte();
        let env = if arg & 1 == 0 {
            vec![]
        } else {
            vec![format!("X={}", arg >> 6)]
        };
        let job = JOBS[usize::from(arg >> 1) & 3].to_string();
        request += 1;
        let id = RequestId(request);
        let stimulus = match op % 14 {
            0 => {
                let env: Vec<&str> = env.iter().map(String::as_str).collect();
                d.emit(EVENTS[usize::from(arg) & 3], &env);
                continue;
            }
            // A process that honoured a signal reports its exit now.
            1 | 2 if op & 32 != 0 && !d.pending.is_empty() => {
                d.deliver_one();
                continue;
            }
            1 | 2 => {
                let p = pick(&d, arg);
                let status = if op & 16 == 0 {
                    ExitStatus::Exited(i32::from(arg >> 4))
                } else {
                    ExitStatus::Signaled(i32::from(arg >> 3))
                };
                d.exited(p, status);
                continue;
            }
            3 => Stimulus::ExecConfirmed { pid: pick(&d, arg) },
            4 => {
                let p = pick(&d, arg);
                d.procs.remove(&p);
                d.dead.push(p);
                Stimulus::SpawnFailed {
                    pid: p,
                    reason: "unable to execute".into(),
                }
            }
            5 if op & 16 != 0 => {
                let p = pick(&d, arg);
                let notice = match arg & 3 {
                    0 => Notice::Ready,
                    1 => {
                        // The new main process is a process of the same
                        // job from now on, as a followed fork's child is.
                        let new = d.m.spawner.fresh_pid();
                        if let Some(parent) = d.procs.get(&p).cloned() {
                            d.procs.insert(new, FakeProc { pid: new, ..parent });
                        }
                        Notice::MainPid(new)
                    }
                    2 => Notice::Status(format!("step {arg}")),
                    _ => Notice::Stopping,
                };
                Stimulus::Notify { pid: p, notice }
            }
            5 => Stimulus::Stopped { pid: pick(&d, arg) },
            6 => {
                let p = pick(&d, arg);
                let child = d.m.spawner.fresh_pid();
                // The child is a process of the same job from now on (and
                // of none, for a pid the driver does not know): it lives
                // until the script or the final round ends it.
                let parent = d.procs.get(&p).cloned().unwrap_or(FakeProc {
                    pid: p,
                    kind: ProcessKind::Main,
                    job: String::new(),
                    instance: String::new(),
                    expect: Expect::None,
                    confirmed: true,
                    stopped: false,
                    forks: 0,
                    honours_term: true,
                });
                d.procs.insert(
                    child,
                    FakeProc {
                        pid: child,
                        ..parent
                    },
                );
                Stimulus::Forked { pid: p, child }
            }
            7 => Stimulus::Execed { pid: pick(&d, arg) },
            8 => {
                d.now += u64::from(arg) * 50;
                Stimulus::Timeout
            }
            9 => Stimulus::Request {
                id,
                request: Request::Start {
                    target: Target::Job(job),
                    env,
                    wait: op & 16 != 0,
                },
            },
            10 => Stimulus::Request {
                id,
                request: Request::Stop {
                    target: Target::Job(job),
                    env,
                    wait: op & 16 != 0,
                },
            },
            11 => Stimulus::Request {
                id,
                request: Request::Restart {
                    target: Target::Job(job),
                    env,
                    wait: op & 16 != 0,
                },
            },
            12 => Stimulus::Request {
                id,
                request: if op & 16 == 0 {
                    Request::List
                } else {
                    Request::Emit {
                        name: EVENTS[usize::from(arg) & 3].into(),
                        env,
                        wait: true,
                    }
                },
            },
            _ => {
                d.reload_bundle(bundle.clone());
                continue;
            }
        };
        d.handle(stimulus);
        if d.m.pending_events() > 2_000 {
            // A set whose events multiply (two jobs restarting on each
            // other's `stopped`): its queue grows without end, in Upstart
            // too. Nothing more to learn from it.
            return;
        }
        // Keep a long script's memory flat: what was said is checked.
        d.trace.clear();
        d.actions.clear();
    }
    // Let every process end; whatever has goal stop must come to rest.
    for _ in 0..64 {
        if d.deliver_one() {
            continue;
        }
        let Some(&p) = d.procs.keys().next() else {
            break;
        };
        d.now += 10;
        d.confirm(p);
        d.exit(p, 0);
    }
    // Only an event can still hold one: its own `starting`/`stopping`,
    // held by a partial match elsewhere (runtime-semantics.md §6.4).
    if d.procs.is_empty() && d.pending.is_empty() {
        for i in d.m.instances() {
            assert!(
                i.goal != Goal::Stop
                    || !i.processes.is_empty()
                    || matches!(i.state, State::Starting | State::Stopping),
                "{} {} has goal stop, no process, and is still {}",
                i.job,
                i.name,
                i.state
            );
        }
    }
}
