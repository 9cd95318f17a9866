//! Input the machine must refuse or shrug off: requests naming jobs and
//! instances that do not exist, malformed environments, stimuli for pids
//! it does not know, storms of events and respawns, and a job set that
//! feeds itself events for ever (control.md §1; runtime-semantics.md §6.1,
//! §8.5, §11.3).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use upc_bundle::ProcessKind;
use upc_machine::{
    Action, Config, ControlError, ControlErrorKind, EnvScope, ExitStatus, Goal, Machine, Notice,
    Request, Spawner, State, Stimulus, Target, TraceKind,
};

fn err(kind: ControlErrorKind, message: &str) -> Result<upc_machine::Output, ControlError> {
    Err(ControlError::new(kind, message))
}

fn services() -> Vec<JobBuilder> {
    vec![
        job("svc").main(),
        job("web")
            .main()
            .instance("$PORT")
            .usage("start web PORT=N"),
    ]
}

/// Sends `request` and returns its only reply, which must come at once.
fn ask(d: &mut Driver, request: Request) -> Result<upc_machine::Output, ControlError> {
    let id = d.request(request);
    d.reply(id).cloned().expect("an immediate reply")
}

// ---------------------------------------------------------------------------
// Unknown jobs and instances

#[test]
fn every_job_request_for_an_unknown_job_is_unknown_job() {
    let mut d = Driver::new(&services());
    let target = || Target::Job("nope".into());
    let requests = [
        Request::Start {
            target: target(),
            env: vec![],
            wait: true,
        },
        Request::Stop {
            target: target(),
            env: vec![],
            wait: true,
        },
        Request::Restart {
            target: target(),
            env: vec![],
            wait: false,
        },
        Request::Reload {
            target: target(),
            env: vec![],
        },
        Request::Status {
            job: "nope".into(),
            env: vec![],
        },
        Request::Start {
            target: Target::Instance {
                job: "nope".into(),
                instance: String::new(),
            },
            env: vec![],
            wait: false,
        },
        Request::GetEnv {
            scope: EnvScope::Instance {
                job: "nope".into(),
                instance: String::new(),
            },
            name: "PATH".into(),
        },
    ];
    for r in requests {
        assert_eq!(
            ask(&mut d, r.clone()),
            err(ControlErrorKind::UnknownJob, "Unknown job: nope"),
            "{r:?}"
        );
    }
    assert!(d.m.instances().is_empty());
    assert!(d.m.spawner.spawns.is_empty());
}

#[test]
fn stopping_or_restarting_an_instance_that_does_not_exist_is_unknown_instance() {
    let mut d = Driver::new(&services());
    for r in [
        Request::Stop {
            target: Target::Job("web".into()),
            env: env(&["PORT=80"]),
            wait: true,
        },
        Request::Restart {
            target: Target::Job("web".into()),
            env: env(&["PORT=80"]),
            wait: true,
        },
        Request::Reload {
            target: Target::Job("web".into()),
            env: env(&["PORT=80"]),
        },
        Request::Status {
            job: "web".into(),
            env: env(&["PORT=80"]),
        },
        Request::Stop {
            target: Target::Job("svc".into()),
            env: vec![],
            wait: false,
        },
    ] {
        let want = if matches!(&r, Request::Stop { target: Target::Job(j), .. } if j == "svc") {
            "Unknown instance: "
        } else {
            "Unknown instance: 80"
        };
        assert_eq!(
            ask(&mut d, r.clone()),
            err(ControlErrorKind::UnknownInstance, want),
            "{r:?}"
        );
    }
    // One instance exists; another name is still unknown.
    d.start("web", &["PORT=80"], false);
    assert_eq!(
        ask(
            &mut d,
            Request::Stop {
                target: Target::Job("web".into()),
                env: env(&["PORT=81"]),
                wait: false,
            }
        ),
        err(ControlErrorKind::UnknownInstance, "Unknown instance: 81")
    );
    assert_eq!(d.instance("web", "80").map(|i| i.goal), Some(Goal::Start));
}

#[test]
fn an_instance_target_that_does_not_exist_is_unknown_instance_of_job() {
    let mut d = Driver::new(&services());
    for r in [
        Request::Stop {
            target: Target::Instance {
                job: "web".into(),
                instance: "8080".into(),
            },
            env: vec![],
            wait: false,
        },
        Request::Start {
            target: Target::Instance {
                job: "web".into(),
                instance: "8080".into(),
            },
            env: vec![],
            wait: false,
        },
        Request::ListEnv {
            scope: EnvScope::Instance {
                job: "web".into(),
                instance: "8080".into(),
            },
        },
    ] {
        assert_eq!(
            ask(&mut d, r.clone()),
            err(
                ControlErrorKind::UnknownInstance,
                "Unknown instance: 8080 of job web"
            ),
            "{r:?}"
        );
    }
    assert!(d.m.instances().is_empty());
}

#[test]
fn an_instance_template_that_cannot_expand_is_invalid_args_with_the_usage() {
    let mut d = Driver::new(&services());
    let id = d.start("web", &[], true);
    assert_eq!(
        d.reply(id).cloned().unwrap(),
        err(
            ControlErrorKind::InvalidArgs,
            "Unknown parameter: PORT\nUsage: start web PORT=N"
        )
    );
    assert!(d.m.instances().is_empty());
}

// ---------------------------------------------------------------------------
// Malformed environments

#[test]
fn env_entries_without_equals_or_with_bad_names_are_invalid_args() {
    let bad = [
        vec!["FOO"],
        vec!["A=1", "FOO"],
        vec!["1A=x"],
        vec!["=x"],
        vec!["A-B=x"],
        vec![""],
        vec!["É=x"],
    ];
    let mut d = Driver::new(&services());
    d.start("svc", &[], false);
    for entries in bad {
        let e = env(&entries);
        let svc = || Target::Job("svc".into());
        for r in [
            Request::Start {
                target: svc(),
                env: e.clone(),
                wait: true,
            },
            Request::Stop {
                target: svc(),
                env: e.clone(),
                wait: true,
            },
            Request::Restart {
                target: svc(),
                env: e.clone(),
                wait: true,
            },
            Request::Reload {
                target: svc(),
                env: e.clone(),
            },
            Request::Status {
                job: "svc".into(),
                env: e.clone(),
            },
            Request::Emit {
                name: "ev".into(),
                env: e.clone(),
                wait: true,
            },
        ] {
            assert_eq!(
                ask(&mut d, r.clone()),
                err(ControlErrorKind::InvalidArgs, "Env must be KEY=VALUE pairs"),
                "{r:?}"
            );
        }
    }
    // Nothing happened to the running service.
    assert_eq!(d.state("svc"), Some((Goal::Start, State::Spawned)));
    assert_eq!(d.m.spawner.spawns.len(), 1);
}

#[test]
fn an_empty_event_or_job_name_is_invalid_args() {
    let mut d = Driver::new(&services());
    for r in [
        Request::Emit {
            name: String::new(),
            env: vec![],
            wait: false,
        },
        Request::Start {
            target: Target::Job(String::new()),
            env: vec![],
            wait: false,
        },
    ] {
        assert_eq!(
            ask(&mut d, r.clone()),
            err(
                ControlErrorKind::InvalidArgs,
                "Name may not be empty string"
            ),
            "{r:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Stimuli for pids the machine does not know

/// What a stimulus may change: instances, live events, the kill timer.
fn snapshot(d: &Driver) -> String {
    format!(
        "{:?}\n{:?}\n{:?}",
        d.m.instances(),
        d.m.live_events(),
        d.m.poll_timeout()
    )
}

/// A running service with a pre-stop, stopped so that it sits in
/// `killed` with its kill timer armed, plus a task blocked on a partial
/// match: something for a stray stimulus to disturb.
fn busy() -> Driver {
    let mut d = Driver::new(&[
        job("svc").processes(&[ProcessKind::Main, ProcessKind::PostStop]),
        job("t").task().main().start_on(on("a").and(on("b"))),
    ]);
    d.honour_term = Box::new(|_| false);
    d.start("svc", &[], false);
    let main = d.pids("svc", ProcessKind::Main)[0];
    d.handle(Stimulus::ExecConfirmed { pid: main });
    d.stop("svc", &[], false);
    d.emit("a", &[]);
    assert_eq!(d.state("svc"), Some((Goal::Stop, State::Killed)));
    d
}

#[test]
fn stimuli_for_unknown_pids_are_ignored_with_a_trace_record() {
    let stray = 99_999;
    let cases = [
        (
            Stimulus::Exited {
                pid: stray,
                status: ExitStatus::Exited(0),
            },
            "exit",
        ),
        (
            Stimulus::SpawnFailed {
                pid: stray,
                reason: "unable to execute: No such file or directory".into(),
            },
            "spawn failure",
        ),
        (
            Stimulus::Forked {
                pid: stray,
                child: stray + 1,
            },
            "fork",
        ),
        (Stimulus::Stopped { pid: stray }, "stop"),
        (Stimulus::Execed { pid: stray }, "exec"),
        (
            Stimulus::Notify {
                pid: stray,
                notice: Notice::Ready,
            },
            "readiness notice",
        ),
    ];
    for (s, what) in cases {
        let mut d = busy();
        let before = snapshot(&d);
        let (trace_len, actions_len) = (d.trace.len(), d.actions.len());
        d.handle(s.clone());
        assert_eq!(snapshot(&d), before, "{s:?} changed the machine");
        let new_trace = &d.trace[trace_len..];
        assert!(
            new_trace
                .iter()
                .all(|r| matches!(r.kind, TraceKind::Log { .. })),
            "{s:?}: {new_trace:?}"
        );
        assert!(
            d.logs()
                .iter()
                .any(|l| l.contains(&format!("{what} of unknown pid {stray}"))),
            "{s:?}: no record saying it was ignored: {new_trace:?}"
        );
        for a in &d.actions[actions_len..] {
            match a {
                Action::Log { .. } => {}
                // A traced process nobody follows (the forker, its child,
                // the execer) is let go rather than left stopped.
                Action::PtraceDetach { pid } if *pid == stray || *pid == stray + 1 => {}
                other => panic!("{s:?} produced {other:?}"),
            }
        }
    }
}

#[test]

fn an_exec_confirmation_for_an_unknown_pid_is_ignored_with_a_trace_record() {
    let mut d = busy();
    let before = snapshot(&d);
    let trace_len = d.trace.len();
    d.handle(Stimulus::ExecConfirmed { pid: 99_999 });
    assert_eq!(snapshot(&d), before);
    assert!(
        d.trace[trace_len..]
            .iter()
            .any(|r| matches!(&r.kind, TraceKind::Log { text, .. } if text.contains("99999"))),
        "lib.rs: \"a stimulus that does not fit the state (a stale pid, ...) is ignored \
         with a trace record\""
    );
}

#[test]
fn stimuli_for_pids_that_already_exited_change_nothing() {
    let mut d = busy();
    // The task's main is running; svc's main is being killed.
    d.emit("b", &[]);
    let task = d.pids("t", ProcessKind::Main)[0];
    d.exited(task, ExitStatus::Exited(0));
    assert_eq!(d.instance("t", ""), None, "the task ran to completion");
    let before = snapshot(&d);
    for s in [
        Stimulus::Exited {
            pid: task,
            status: ExitStatus::Exited(1),
        },
        Stimulus::SpawnFailed {
            pid: task,
            reason: "late".into(),
        },
        Stimulus::ExecConfirmed { pid: task },
        Stimulus::Stopped { pid: task },
        Stimulus::Execed { pid: task },
    ] {
        d.handle(s.clone());
        assert_eq!(snapshot(&d), before, "{s:?}");
    }
}

#[test]
fn a_timeout_with_no_timer_due_does_nothing() {
    let mut d = busy();
    let before = snapshot(&d);
    let actions = d.actions.len();
    d.handle(Stimulus::Timeout);
    assert_eq!(snapshot(&d), before);
    assert_eq!(d.actions.len(), actions);
    // When it is due, main gets SIGKILL and the job moves on once it is
    // reaped.
    d.advance(5_000);
    assert!(d.actions.iter().any(|a| matches!(
        a,
        Action::Signal {
            signal: SIGKILL,
            group: true,
            ..
        }
    )));
    d.settle();
    assert_eq!(d.state("svc"), None);
}

// ---------------------------------------------------------------------------
// Storms

/// A bare machine: storms run long, so no driver records what they say.
fn lean(jobs: &[JobBuilder]) -> Machine<FakeSpawner> {
    Machine::new(bundle(jobs), Config::default(), FakeSpawner::default())
}

fn drain<S: Spawner>(m: &mut Machine<S>) -> Vec<Action> {
    std::iter::from_fn(|| m.poll_action()).collect()
}

#[test]
fn a_respawn_storm_without_a_limit_runs_on_without_growing() {
    let mut m = lean(&[job("r").main().respawn().respawn_limit(None, None)]);
    m.handle(
        0,
        Stimulus::Request {
            id: upc_machine::RequestId(1),
            request: Request::Start {
                target: Target::Job("r".into()),
                env: vec![],
                wait: false,
            },
        },
    );
    for (now, round) in (0..100_000u32).enumerate() {
        let now = now as u64;
        let pids = m.spawner.take_pids();
        assert_eq!(pids.len(), 1, "round {round}: one main per respawn");
        let pid = pids[0];
        m.handle(now, Stimulus::ExecConfirmed { pid });
        let status = if round % 2 == 0 {
            ExitStatus::Exited(0)
        } else {
            ExitStatus::Signaled(11)
        };
        m.handle(now, Stimulus::Exited { pid, status });
        drain(&mut m);
        assert_eq!(m.pending_events(), 0);
    }
    let i = &m.instances()[0];
    assert_eq!((i.goal, i.state), (Goal::Start, State::Spawned));
}

#[test]
fn the_eleventh_main_exit_within_five_seconds_stops_the_job_as_failed() {
    // `respawn limit 10 5`: ten respawns are allowed in the window, the
    // exit that would be the eleventh respawn stops the job (§8.5).
    let mut d = Driver::new(&[
        job("r").main().respawn(),
        job("watch").start_on(stopped("r")),
    ]);
    d.start("r", &[], false);
    for n in 0..10 {
        let pid = d.pids("r", ProcessKind::Main)[0];
        d.handle(Stimulus::ExecConfirmed { pid });
        d.now += 100;
        d.exited(pid, ExitStatus::Exited(0));
        assert_eq!(d.state("r").map(|s| s.0), Some(Goal::Start), "respawn {n}");
    }
    let pid = d.pids("r", ProcessKind::Main)[0];
    d.exited(pid, ExitStatus::Exited(0));
    assert_eq!(d.state("r"), None);
    assert!(d
        .logs()
        .iter()
        .any(|l| l == "r respawning too fast, stopped"));
    assert!(d
        .event_lines()
        .contains(&"stopped JOB=r INSTANCE= RESULT=failed PROCESS=respawn".to_owned()));
    assert_eq!(
        d.event_lines()
            .iter()
            .filter(|l| l.starts_with("stopped JOB=r"))
            .count(),
        1,
        "a respawn emits no stopped"
    );
}

#[test]
fn respawns_spaced_wider_than_the_interval_never_hit_the_limit() {
    let mut d = Driver::new(&[job("r").main().respawn()]);
    d.start("r", &[], false);
    for _ in 0..200 {
        let pid = d.pids("r", ProcessKind::Main)[0];
        d.handle(Stimulus::ExecConfirmed { pid });
        d.now += 1_000;
        d.exited(pid, ExitStatus::Exited(0));
    }
    assert_eq!(d.state("r"), Some((Goal::Start, State::Spawned)));
}

/// Started by its own `stopped`, stopped by its own `started`, no process
/// to wait for: every step would go on for ever.
fn self_feeding() -> Machine<FakeSpawner> {
    lean(&[job("loop")
        .start_on(on("go").or(stopped("loop")))
        .stop_on(started("loop"))])
}

fn cut_short(actions: &[Action]) -> bool {
    actions.iter().any(|a| {
        matches!(a, Action::Log { text, .. } if text.starts_with("event loop did not settle after"))
    })
}

#[test]
fn a_job_set_that_feeds_itself_events_for_ever_is_cut_short_at_each_step() {
    let mut m = self_feeding();
    m.emit(0, "go", vec![]);
    assert!(
        cut_short(&drain(&mut m)),
        "the step was cut short and said so"
    );
    assert!(
        m.pending_events() > 0,
        "the rest waits for the next stimulus"
    );
    assert_eq!(
        m.poll_timeout(),
        Some(0),
        "and the driver is told to come back at once"
    );
    // The next stimulus carries on, and is cut short again.
    m.handle(0, Stimulus::Timeout);
    assert!(cut_short(&drain(&mut m)));
    assert!(m.instances().len() <= 1);
}

#[test]
fn a_job_set_that_feeds_itself_events_for_ever_gives_control_back_within_a_second() {
    // PID 1 must keep reaping and answering while such a job set spins:
    // a step may be cut short, but a cut-short step must be short.
    let limit = std::time::Duration::from_secs(if cfg!(debug_assertions) { 20 } else { 1 });
    let mut m = self_feeding();
    let t = std::time::Instant::now();
    m.emit(0, "go", vec![]);
    let elapsed = t.elapsed();
    drain(&mut m);
    assert!(elapsed < limit, "one step took {elapsed:?}");
}

#[test]
#[should_panic(expected = "livelock")]
fn the_driver_fails_on_a_livelock() {
    // A service respawned for ever: the driver gives up instead of
    // spinning.
    let mut d = Driver::new(&[job("r").main().respawn().respawn_limit(None, None)]);
    d.start("r", &[], false);
    d.run_to_rest(1_000, |_| ExitStatus::Exited(0));
}
