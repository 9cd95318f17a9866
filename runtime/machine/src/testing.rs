//! Test support shared by the fuzz target and `cargo test` (which replays
//! the saved fuzz inputs): bytes -> a job set of four jobs and a script of
//! stimuli, with the machine's promises checked after every step. Not part
//! of the machine's API; it panics (it asserts).
//!
//! Layout: 4 job records of 6 bytes (flags, process mask, start-on shape,
//! start-on events, stop-on shape, stop-on events), then stimuli, each an
//! opcode byte and its operands. Running out of bytes ends the script;
//! then every live process is made to exit, repeatedly, and the machine
//! must come to rest.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::BTreeSet;

use upc_bundle::{
    ArgKind, ArgSpec, BodyKind, BundleSpec, ConditionSpec, Expect, Instr, JobSpec, Location,
    MatchSpec, ProcessKind, ProcessSpec,
};

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

/// Hands out increasing pids and remembers which are alive.
#[derive(Default)]
struct Pids {
    next: u32,
    alive: BTreeSet<u32>,
}

impl Spawner for Pids {
    fn spawn(&mut self, _: &Spawn, _: upc_bundle::Job<'_>) -> u32 {
        self.next += 1;
        self.alive.insert(self.next);
        self.next
    }
}

/// Every state that waits for a process has one; no pid is in two slots.
fn check_consistent(m: &Machine<Pids>) {
    let mut seen = BTreeSet::new();
    for i in m.instances() {
        let has = |k: ProcessKind| i.processes.iter().any(|(p, _)| *p == k);
        let waits_for = match i.state {
            State::Security => Some(ProcessKind::Security),
            State::PreStart => Some(ProcessKind::PreStart),
            State::PostStart => Some(ProcessKind::PostStart),
            State::PreStop => Some(ProcessKind::PreStop),
            State::PostStop => Some(ProcessKind::PostStop),
            State::Killed => Some(ProcessKind::Main),
            _ => None,
        };
        if let Some(k) = waits_for {
            assert!(
                has(k),
                "{} {} waits in {} without a {} process",
                i.job,
                i.name,
                i.state,
                k.name()
            );
        }
        assert!(i.state != State::Waiting, "an instance at rest was kept");
        for (_, pid) in &i.processes {
            assert!(seen.insert(*pid), "pid {pid} in two slots");
        }
    }
}

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
        max_events_per_step: 500,
        ..Config::default()
    };
    let mut m = Machine::new(bundle.clone(), config, Pids::default());
    let mut now = 0u64;
    let mut request = 0u64;
    m.emit(now, "startup", vec![]);
    while let Some(op) = bytes.next() {
        let arg = bytes.byte();
        let pid = |m: &Machine<Pids>| {
            let alive: Vec<u32> = m.spawner.alive.iter().copied().collect();
            alive
                .get(usize::from(arg) % alive.len().max(1))
                .copied()
                .unwrap_or(u32::from(arg))
        };
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
                m.emit(now, EVENTS[usize::from(arg) & 3], env);
                continue;
            }
            1 | 2 => {
                let p = pid(&m);
                m.spawner.alive.remove(&p);
                let status = if op & 16 == 0 {
                    ExitStatus::Exited(i32::from(arg >> 4))
                } else {
                    ExitStatus::Signaled(i32::from(arg >> 3))
                };
                Stimulus::Exited { pid: p, status }
            }
            3 => Stimulus::ExecConfirmed { pid: pid(&m) },
            4 => {
                let p = pid(&m);
                m.spawner.alive.remove(&p);
                Stimulus::SpawnFailed {
                    pid: p,
                    reason: "unable to execute".into(),
                }
            }
            5 => Stimulus::Stopped { pid: pid(&m) },
            6 => {
                m.spawner.next += 1;
                let child = m.spawner.next;
                m.spawner.alive.insert(child);
                Stimulus::Forked {
                    pid: pid(&m),
                    child,
                }
            }
            7 => Stimulus::Execed { pid: pid(&m) },
            8 => {
                now += u64::from(arg) * 50;
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
                m.reload(now, bundle.clone());
                continue;
            }
        };
        m.handle(now, stimulus);
        check_consistent(&m);
        if m.pending_events() > 20_000 {
            // A set whose events multiply (two jobs restarting on each
            // other's `stopped`): its queue grows without end, in Upstart
            // too. Nothing more to learn from it.
            return;
        }
        while m.poll_action().is_some() {}
        m.take_trace();
    }
    // Let every process end; whatever has goal stop must come to rest.
    for _ in 0..64 {
        let Some(&p) = m.spawner.alive.iter().next() else {
            break;
        };
        m.spawner.alive.remove(&p);
        now += 10;
        m.handle(now, Stimulus::ExecConfirmed { pid: p });
        m.handle(
            now,
            Stimulus::Exited {
                pid: p,
                status: ExitStatus::Exited(0),
            },
        );
        check_consistent(&m);
        while m.poll_action().is_some() {}
        m.take_trace();
    }
    // Only an event can still hold one: its own `starting`/`stopping`,
    // held by a partial match elsewhere (runtime-semantics.md §6.4).
    if m.spawner.alive.is_empty() {
        for i in m.instances() {
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
