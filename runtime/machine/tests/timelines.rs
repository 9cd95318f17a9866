//! The worked timelines of runtime-semantics.md §20 (T1–T12), each as a
//! scenario on the fake process table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use upc_bundle::ProcessKind;
use upc_machine::{
    Action, ControlError, ErrorKind, ExitStatus, Goal, Output, Request, State, Stimulus, Target,
};

use ProcessKind::{Main, PostStart, PostStop, PreStart, PreStop};

fn ok_status(line: &str) -> Option<Result<Output, ControlError>> {
    Some(Ok(Output::Status(vec![line.to_owned()])))
}

/// The only live process of `job` of `kind`.
fn pid(d: &Driver, job: &str, kind: ProcessKind) -> u32 {
    let pids = d.pids(job, kind);
    assert_eq!(pids.len(), 1, "{job} {}: {pids:?}", kind.name());
    pids[0]
}

fn lines_starting(d: &Driver, prefix: &str) -> Vec<String> {
    d.event_lines()
        .into_iter()
        .filter(|l| l.starts_with(prefix))
        .collect()
}

// ---------------------------------------------------------------------------
// §20 timelines

#[test]
fn t1_starting_a_service_returns_once_it_is_running() {
    let mut d = Driver::new(&[job("j").processes(&[PreStart, Main, PostStart])]);
    let id = d.start("j", vec![], true);
    assert_eq!(d.state("j"), Some((Goal::Start, State::PreStart)));
    d.exit(pid(&d, "j", PreStart), ExitStatus::Exited(0));
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    assert_eq!(d.state("j"), Some((Goal::Start, State::PostStart)));
    assert_eq!(d.reply(id), None, "not answered before running");
    d.exit(pid(&d, "j", PostStart), ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    assert_eq!(
        d.reply(id).cloned(),
        ok_status(&format!("j start/running, process {main}"))
    );
    assert_eq!(
        d.event_lines(),
        ["starting JOB=j INSTANCE=", "started JOB=j INSTANCE="]
    );
}

#[test]
fn t2_starting_a_task_returns_once_it_has_stopped() {
    let mut d = Driver::new(&[job("t").task().main()]);
    let id = d.start("t", vec![], true);
    let main = pid(&d, "t", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    assert_eq!(d.state("t"), Some((Goal::Start, State::Running)));
    assert_eq!(d.reply(id), None);
    d.exit(main, ExitStatus::Exited(0));
    assert_eq!(d.state("t"), None);
    assert_eq!(d.reply(id).cloned(), ok_status("t stop/waiting"));
    assert_eq!(
        d.event_lines(),
        [
            "starting JOB=t INSTANCE=",
            "started JOB=t INSTANCE=",
            "stopping JOB=t INSTANCE= RESULT=ok",
            "stopped JOB=t INSTANCE= RESULT=ok",
        ]
    );
}

#[test]
fn t3_stop_runs_pre_stop_with_the_stop_env_then_kills_main() {
    let mut d = Driver::new(&[job("j").processes(&[Main, PreStop, PostStop])]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    d.honour_term = Box::new(|_| true);
    let id = d.stop("j", env(&["WHY=test"]), true);
    assert_eq!(d.state("j"), Some((Goal::Stop, State::PreStop)));
    let (_, pre_stop) = d.m.spawner.spawns.last().unwrap();
    assert!(
        pre_stop.env.contains(&"WHY=test".to_owned()),
        "{:?}",
        pre_stop.env
    );
    d.exit(pid(&d, "j", PreStop), ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Stop, State::Killed)));
    assert!(d.actions.contains(&Action::Signal {
        pid: main,
        signal: SIGTERM,
        group: true
    }));
    d.deliver_one();
    assert_eq!(d.state("j"), Some((Goal::Stop, State::PostStop)));
    d.exit(pid(&d, "j", PostStop), ExitStatus::Exited(0));
    assert_eq!(d.state("j"), None);
    assert_eq!(d.reply(id).cloned(), ok_status("j stop/waiting"));
    assert_eq!(
        lines_starting(&d, "stop"),
        [
            "stopping JOB=j INSTANCE= RESULT=ok",
            "stopped JOB=j INSTANCE= RESULT=ok"
        ]
    );
}

#[test]
fn t4_a_stop_from_pre_start_releases_the_waiting_start_at_once() {
    let mut d = Driver::new(&[job("j").processes(&[PreStart, Main, PostStop])]);
    let start = d.start("j", vec![], true);
    let pre = pid(&d, "j", PreStart);
    // The pre-start script runs `stop`: an instance-level request.
    d.request(Request::Stop {
        target: Target::Instance {
            job: "j".into(),
            instance: String::new(),
        },
        env: vec![],
        wait: false,
    });
    assert_eq!(
        d.reply(start).cloned(),
        ok_status(&format!("j stop/pre-start, process {pre}"))
    );
    d.exit(pre, ExitStatus::Exited(0));
    assert!(d.pids("j", Main).is_empty(), "main never runs");
    d.exit(pid(&d, "j", PostStop), ExitStatus::Exited(0));
    assert_eq!(d.state("j"), None);
    assert_eq!(
        lines_starting(&d, "stop"),
        [
            "stopping JOB=j INSTANCE= RESULT=ok",
            "stopped JOB=j INSTANCE= RESULT=ok"
        ]
    );
}

#[test]
fn t5_a_start_from_pre_stop_cancels_the_stop_without_a_started_event() {
    let mut d = Driver::new(&[job("j").processes(&[Main, PreStop])]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    let stop = d.stop("j", vec![], true);
    assert_eq!(d.state("j"), Some((Goal::Stop, State::PreStop)));
    d.request(Request::Start {
        target: Target::Instance {
            job: "j".into(),
            instance: String::new(),
        },
        env: vec![],
        wait: false,
    });
    assert!(d.reply(stop).is_some(), "the stop's waiter is released");
    d.exit(pid(&d, "j", PreStop), ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    assert_eq!(d.pids("j", Main), [main], "main kept running");
    assert_eq!(lines_starting(&d, "started").len(), 1);
    assert!(lines_starting(&d, "stopping").is_empty());
}

#[test]
fn t6_a_failing_pre_start_fails_the_start_and_its_events() {
    let mut d = Driver::new(&[job("j")
        .processes(&[PreStart, Main, PostStop])
        .start_on(on("go"))]);
    let emit = d.request(Request::Emit {
        name: "go".into(),
        env: vec![],
        wait: true,
    });
    d.exit(pid(&d, "j", PreStart), ExitStatus::Exited(1));
    assert_eq!(d.state("j"), Some((Goal::Stop, State::PostStop)));
    d.exit(pid(&d, "j", PostStop), ExitStatus::Exited(0));
    assert_eq!(
        d.reply(emit).cloned(),
        Some(Err(ControlError::new(
            ErrorKind::EventFailed,
            "Event failed"
        )))
    );
    let lines = d.event_lines();
    assert!(lines.contains(
        &"stopping JOB=j INSTANCE= RESULT=failed PROCESS=pre-start EXIT_STATUS=1".into()
    ));
    assert!(lines
        .contains(&"stopped JOB=j INSTANCE= RESULT=failed PROCESS=pre-start EXIT_STATUS=1".into()));
    assert!(lines.contains(&"go/failed".into()), "{lines:?}");
}

#[test]
fn t6_a_waiting_start_of_a_failing_job_gets_job_failed() {
    let mut d = Driver::new(&[job("j").processes(&[PreStart, Main])]);
    let id = d.start("j", vec![], true);
    d.exit(pid(&d, "j", PreStart), ExitStatus::Signaled(11));
    assert_eq!(
        d.reply(id).cloned(),
        Some(Err(ControlError::new(
            ErrorKind::JobFailed,
            "Job failed to start"
        )))
    );
    assert!(d.event_lines().contains(
        &"stopped JOB=j INSTANCE= RESULT=failed PROCESS=pre-start EXIT_SIGNAL=SEGV".into()
    ));
}

#[test]
fn t7_a_respawn_goes_through_stopping_but_emits_no_stopped() {
    let mut d = Driver::new(&[job("j").main().respawn()]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    d.exit(main, ExitStatus::Exited(0));
    assert!(d
        .logs()
        .contains(&"j main process ended, respawning".into()));
    assert_eq!(d.state("j"), Some((Goal::Start, State::Spawned)));
    let again = pid(&d, "j", Main);
    assert_ne!(again, main);
    assert_eq!(
        d.event_lines(),
        [
            "starting JOB=j INSTANCE=",
            "started JOB=j INSTANCE=",
            "stopping JOB=j INSTANCE= RESULT=ok",
            "starting JOB=j INSTANCE=",
        ]
    );
}

#[test]
fn t8_a_stop_while_starting_still_runs_post_stop() {
    // k's pre-start keeps j's `starting` event from finishing.
    let mut d = Driver::new(&[
        job("j").processes(&[PreStart, Main, PostStop]),
        job("k").processes(&[PreStart]).start_on(starting("j")),
    ]);
    d.start("j", vec![], false);
    assert_eq!(d.state("j"), Some((Goal::Start, State::Starting)));
    d.stop("j", vec![], false);
    assert_eq!(d.state("j"), Some((Goal::Stop, State::Starting)));
    d.exit(pid(&d, "k", PreStart), ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Stop, State::PostStop)));
    assert!(d.pids("j", PreStart).is_empty());
    d.exit(pid(&d, "j", PostStop), ExitStatus::Exited(0));
    assert_eq!(d.state("j"), None);
    assert_eq!(
        d.states_of("j", ""),
        [
            State::Waiting,
            State::Starting,
            State::Stopping,
            State::Killed,
            State::PostStopping,
            State::PostStop,
            State::Waiting
        ]
    );
}

#[test]
fn t9_restart_keeps_the_instance_and_takes_the_new_environment() {
    let mut d = Driver::new(&[job("j").main().env("A=class")]);
    d.start("j", env(&["B=1"]), false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    let id = d.request(Request::Restart {
        target: Target::Job("j".into()),
        env: env(&["B=2"]),
        wait: true,
    });
    d.deliver_one();
    let again = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: again });
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    assert_eq!(
        d.reply(id).cloned(),
        ok_status(&format!("j start/running, process {again}"))
    );
    let env = &d.instance("j", "").unwrap().env;
    assert_eq!(env, &["A=class".to_owned(), "B=2".to_owned()]);
    assert!(lines_starting(&d, "stopped").is_empty());
}

#[test]
fn t9_restart_of_a_job_with_pre_stop_only_runs_pre_stop() {
    let mut d = Driver::new(&[job("j").processes(&[Main, PreStop])]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    let id = d.request(Request::Restart {
        target: Target::Job("j".into()),
        env: vec![],
        wait: true,
    });
    d.exit(pid(&d, "j", PreStop), ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    assert_eq!(d.pids("j", Main), [main]);
    assert!(matches!(d.reply(id), Some(Ok(_))));
}

#[test]
fn t10_an_event_starts_a_named_instance_and_a_repeat_does_nothing() {
    let mut d = Driver::new(&[job("j").main().instance("$PORT").start_on(on("port-up"))]);
    d.emit("port-up", env(&["PORT=eth0"]));
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    let id = d.request(Request::Status {
        job: "j".into(),
        env: env(&["PORT=eth0"]),
    });
    assert_eq!(
        d.reply(id).cloned(),
        ok_status(&format!("j (eth0) start/running, process {main}"))
    );
    d.emit("port-up", env(&["PORT=eth0"]));
    assert_eq!(d.m.instances().len(), 1);
    assert!(d.m.live_events().is_empty(), "the repeat is not held");
}

#[test]
fn t11_stop_on_with_a_variable_stops_only_the_matching_instance() {
    let mut d = Driver::new(&[job("j")
        .processes(&[Main, PostStop])
        .instance("$PORT")
        .start_on(on("port-up"))
        .stop_on(on("port-down").eq("PORT", "$PORT"))]);
    d.emit("port-up", env(&["PORT=eth0"]));
    d.emit("port-up", env(&["PORT=eth1"]));
    for p in d.pids("j", Main) {
        d.stimulus(Stimulus::ExecConfirmed { pid: p });
    }
    d.emit("port-down", env(&["PORT=eth0"]));
    d.deliver_one();
    assert_eq!(
        d.instance("j", "eth0").map(|i| i.state),
        Some(State::PostStop)
    );
    assert_eq!(
        d.instance("j", "eth1").map(|i| i.state),
        Some(State::Running)
    );
    let (_, post_stop) = d.m.spawner.spawns.last().unwrap();
    assert_eq!(post_stop.proc.process, PostStop);
    for e in ["PORT=eth0", "UPSTART_STOP_EVENTS=port-down"] {
        assert!(post_stop.env.contains(&e.to_owned()), "{:?}", post_stop.env);
    }
}

#[test]
fn t12_a_partial_match_holds_the_emitter_in_starting() {
    let mut d = Driver::new(&[
        job("j").main().start_on(starting("k").and(on("foo"))),
        job("k").main(),
    ]);
    d.start("k", vec![], false);
    assert_eq!(d.state("k"), Some((Goal::Start, State::Starting)));
    d.emit("foo", vec![]);
    assert_eq!(
        d.state("k"),
        Some((Goal::Start, State::Starting)),
        "until j runs"
    );
    let j_env = &d.m.spawner.spawns[0].1.env;
    for e in ["JOB=k", "INSTANCE=", "UPSTART_EVENTS=starting foo"] {
        assert!(j_env.contains(&e.to_owned()), "{j_env:?}");
    }
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    assert_eq!(d.state("k"), Some((Goal::Start, State::Spawned)));
}
