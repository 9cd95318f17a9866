//! The rules of runtime-semantics.md §5–§9, §12, §14 and §15 that the
//! timelines rest on, one scenario each, and the Upstart quirks the
//! machine keeps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use upc_bundle::{Expect, ProcessKind};
use upc_machine::{
    Action, Config, ErrorKind, ExitStatus, Goal, Output, Request, State, Stimulus, Target,
};

use ProcessKind::{Main, PostStart, PostStop, PreStart};

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
// §5–§9 rules

#[test]
fn job_events_carry_exported_variables_after_the_fixed_ones() {
    let mut d = Driver::new(&[job("j")
        .main()
        .env("JOB=mine")
        .env("COLOR=blue")
        .export("COLOR")
        .export("JOB")]);
    d.start("j", vec![], false);
    assert_eq!(d.event_lines()[0], "starting JOB=j INSTANCE= COLOR=blue");
}

#[test]
fn a_signal_without_a_name_is_reported_by_number() {
    let mut d = Driver::new(&[job("j").main()]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    d.exit(main, ExitStatus::Signaled(47));
    assert!(d
        .event_lines()
        .contains(&"stopped JOB=j INSTANCE= RESULT=failed PROCESS=main EXIT_SIGNAL=47".into()));
}

#[test]
fn a_listed_normal_exit_is_not_a_failure_and_is_not_respawned() {
    let mut d = Driver::new(&[job("j").main().respawn().normal_exit(&[0, 15 << 8])]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    d.exit(main, ExitStatus::Signaled(15));
    assert_eq!(d.state("j"), None);
    assert!(d
        .event_lines()
        .contains(&"stopped JOB=j INSTANCE= RESULT=ok".into()));
}

#[test]
fn a_task_with_respawn_stops_cleanly_on_exit_zero_and_respawns_on_failure() {
    let mut d = Driver::new(&[job("t").task().respawn().main()]);
    d.start("t", vec![], false);
    let main = pid(&d, "t", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    d.exit(main, ExitStatus::Exited(3));
    assert_eq!(
        d.state("t"),
        Some((Goal::Start, State::Spawned)),
        "respawned"
    );
    let again = pid(&d, "t", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: again });
    d.exit(again, ExitStatus::Exited(0));
    assert_eq!(d.state("t"), None);
}

#[test]
fn a_main_spawn_failure_stops_the_job_and_is_never_respawned() {
    let mut d = Driver::new(&[job("j").main().respawn()]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.procs.remove(&main);
    d.stimulus(Stimulus::SpawnFailed {
        pid: main,
        reason: "unable to execute: No such file or directory".into(),
    });
    assert_eq!(d.state("j"), None);
    assert!(d.logs().contains(
        &"Failed to spawn j main process: unable to execute: No such file or directory".into()
    ));
    assert!(d
        .event_lines()
        .contains(&"stopped JOB=j INSTANCE= RESULT=failed PROCESS=main".into()));
}

#[test]
fn a_post_start_spawn_failure_is_ignored() {
    let mut d = Driver::new(&[job("j").processes(&[Main, PostStart])]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    let post = pid(&d, "j", PostStart);
    d.procs.remove(&post);
    d.stimulus(Stimulus::SpawnFailed {
        pid: post,
        reason: "unable to execute: No such file or directory".into(),
    });
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
}

#[test]
fn an_event_in_both_stop_on_and_start_on_restarts_a_running_job() {
    let mut d = Driver::new(&[job("j").start_on(on("go")).stop_on(on("go"))]);
    d.emit("go", vec![]);
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    d.emit("go", vec![]);
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    assert_eq!(
        d.states_of("j", "")
            .iter()
            .filter(|s| **s == State::Starting)
            .count(),
        2
    );
    assert!(lines_starting(&d, "stopped").is_empty());
}

#[test]
fn an_instance_name_that_cannot_expand_abandons_the_event_for_later_classes() {
    // Classes react in name order: `a` fails first, so `b` never sees it.
    let mut d = Driver::new(&[
        job("a").instance("$MISSING").start_on(on("go")),
        job("b").start_on(on("go")),
    ]);
    d.emit("go", vec![]);
    assert!(d
        .logs()
        .contains(&"a: Failed to obtain a instance: Unknown parameter: MISSING".into()));
    assert_eq!(d.state("b"), None);
}

#[test]
fn one_event_can_satisfy_two_matches_of_one_condition() {
    let mut d = Driver::new(&[job("j").start_on(on("foo").and(on("foo")))]);
    d.emit("foo", vec![]);
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    assert!(d.m.live_events().is_empty());
}

#[test]
fn only_the_true_part_of_the_condition_contributes_its_environment() {
    let mut d = Driver::new(&[job("j").start_on(on("a").and(on("b")).or(on("c")))]);
    d.emit("a", env(&["A=1"]));
    d.emit("c", env(&["C=1"]));
    let i = d.instance("j", "").unwrap();
    assert_eq!(i.env, env(&["C=1", "UPSTART_EVENTS=c"]));
    // Satisfying the condition reset it: the `a` it held is released.
    assert!(d.m.live_events().is_empty(), "{:?}", d.m.live_events());
}

#[test]
fn a_condition_matches_again_after_it_was_reset() {
    let mut d = Driver::new(&[job("j")
        .start_on(on("a").and(on("b").or(on("c"))))
        .stop_on(on("halt"))]);
    d.emit("a", vec![]);
    d.emit("b", vec![]);
    d.emit("halt", vec![]);
    assert_eq!(d.state("j"), None);
    d.emit("a", vec![]);
    d.emit("c", vec![]);
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
}

#[test]
fn event_environments_merge_in_place_in_condition_order() {
    // §9.5's example.
    let mut d = Driver::with_config(
        &[job("j")
            .env("FOO=BAR")
            .env("BAR=BAZ")
            .start_on(on("wibble").and(on("wobble")))],
        Config {
            trace: true,
            global_env: env(&["PATH=/bin", "TERM=linux"]),
            ..Config::default()
        },
    );
    d.emit("wibble", env(&["FRODO=brandybuck", "BILBO=took"]));
    d.emit("wobble", env(&["BILBO=baggins", "TEA=MILK"]));
    assert_eq!(
        d.instance("j", "").unwrap().env,
        env(&[
            "PATH=/bin",
            "TERM=linux",
            "FOO=BAR",
            "BAR=BAZ",
            "FRODO=brandybuck",
            "BILBO=baggins",
            "TEA=MILK",
            "UPSTART_EVENTS=wibble wobble"
        ])
    );
}

#[test]
fn env_without_a_value_comes_from_init_and_is_dropped_when_init_lacks_it() {
    let mut d = Driver::with_config(
        &[job("j").env("LANG").env("TZ=UTC").env("TZ")],
        Config {
            trace: true,
            global_env: env(&["TZ=Europe/Paris"]),
            init_env: env(&["LANG=C.UTF-8"]),
            ..Config::default()
        },
    );
    d.start("j", vec![], false);
    assert_eq!(d.instance("j", "").unwrap().env, env(&["LANG=C.UTF-8"]));
}

#[test]
fn every_process_sees_its_own_identity_whatever_the_environment_says() {
    let mut d = Driver::new(&[job("j").main().instance("$N")]);
    d.start(
        "j",
        env(&["N=1", "UPSTART_JOB=fake", "UPSTART_INSTANCE=fake"]),
        false,
    );
    let (_, s) = &d.m.spawner.spawns[0];
    assert!(s.env.contains(&"UPSTART_JOB=j".to_owned()), "{:?}", s.env);
    assert!(
        s.env.contains(&"UPSTART_INSTANCE=1".to_owned()),
        "{:?}",
        s.env
    );
    assert!(!s.env.iter().any(|e| e.ends_with("=fake")), "{:?}", s.env);
}

#[test]
fn a_main_that_ignores_the_kill_signal_gets_sigkill_after_the_kill_timeout() {
    let mut d = Driver::new(&[job("j").main().kill_timeout(3).kill_signal(2)]);
    d.honour_term = Box::new(|_| false);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    d.now = 10_000;
    d.stop("j", vec![], false);
    assert!(d.actions.contains(&Action::Signal {
        pid: main,
        signal: 2,
        group: true
    }));
    assert_eq!(d.m.poll_timeout(), Some(13_000));
    d.advance(2_999);
    assert_eq!(d.state("j"), Some((Goal::Stop, State::Killed)));
    d.advance(1);
    assert!(d.actions.contains(&Action::Signal {
        pid: main,
        signal: SIGKILL,
        group: true
    }));
    d.deliver_one();
    assert_eq!(d.state("j"), None);
    assert_eq!(d.m.poll_timeout(), None);
}

#[test]
fn reload_sends_the_reload_signal_to_the_main_pid_only() {
    let mut d = Driver::new(&[job("j").main()]);
    let id = d.request(Request::Reload {
        target: Target::Job("j".into()),
        env: vec![],
    });
    assert!(matches!(d.reply(id), Some(Err(e)) if e.kind == ErrorKind::UnknownInstance));
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    let id = d.request(Request::Reload {
        target: Target::Job("j".into()),
        env: vec![],
    });
    assert_eq!(d.reply(id).cloned(), Some(Ok(Output::Done)));
    assert!(d.actions.contains(&Action::Signal {
        pid: main,
        signal: SIGHUP,
        group: false
    }));
}

#[test]
fn expect_fork_follows_one_fork_and_expect_daemon_two() {
    for (expect, forks) in [(Expect::Fork, 1), (Expect::Daemon, 2)] {
        let mut d = Driver::new(&[job("j").main().expect(expect)]);
        d.start("j", vec![], false);
        let mut main = pid(&d, "j", Main);
        assert!(d.m.spawner.spawns[0].1.trace, "traced from exec");
        // An exec before any fork is a helper: traced on.
        d.stimulus(Stimulus::Execed { pid: main });
        assert!(d.actions.contains(&Action::PtraceContinue { pid: main }));
        // The exec confirmation does not move a traced job on.
        d.step_process(main, ExitStatus::Exited(0));
        for _ in 0..forks {
            assert_eq!(
                d.state("j"),
                Some((Goal::Start, State::Spawned)),
                "{expect:?}"
            );
            d.step_process(main, ExitStatus::Exited(0));
            main = pid(&d, "j", Main);
        }
        assert_eq!(
            d.state("j"),
            Some((Goal::Start, State::Running)),
            "{expect:?}"
        );
        assert_eq!(
            d.m.instance(d.instance("j", "").unwrap().id)
                .unwrap()
                .processes,
            [(Main, main)]
        );
    }
}

#[test]
fn expect_stop_waits_for_sigstop_and_continues_the_process() {
    let mut d = Driver::new(&[job("j").main().expect(Expect::Stop)]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    assert_eq!(d.state("j"), Some((Goal::Start, State::Spawned)));
    d.stimulus(Stimulus::Stopped { pid: main });
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    assert!(d.actions.contains(&Action::Signal {
        pid: main,
        signal: SIGCONT,
        group: false
    }));
}

#[test]
fn a_reload_keeps_the_old_definition_until_the_last_instance_stops() {
    let old = [job("j").main().start_on(on("a"))];
    let new = [job("j").main().main().start_on(on("b"))];
    let mut d = Driver::new(&old);
    d.emit("a", vec![]);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    d.reload(&new);
    // Still the old class: `a` is what it reacts to while it runs.
    d.stop("j", vec![], false);
    d.deliver_one();
    assert_eq!(d.state("j"), None);
    d.emit("a", vec![]);
    assert_eq!(d.state("j"), None, "the new definition took over");
    d.emit("b", vec![]);
    assert_eq!(d.state("j").map(|s| s.0), Some(Goal::Start));
}

#[test]
fn a_reload_hands_partial_matches_to_the_new_definition() {
    let mut d = Driver::new(&[job("j").start_on(on("a").and(on("b")))]);
    d.emit("a", vec![]);
    assert_eq!(d.m.live_events().len(), 1, "`a` is held");
    d.reload(&[job("j").start_on(on("a").and(on("c")))]);
    d.emit("c", vec![]);
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    assert!(d.m.live_events().is_empty());
}

#[test]
fn a_main_that_dies_while_stopping_is_held_is_no_failure() {
    // k's pre-start holds j's `stopping` event while j's main dies.
    let mut d = Driver::new(&[
        job("j").processes(&[Main, PostStop]),
        job("k").processes(&[PreStart]).start_on(stopping("j")),
    ]);
    d.honour_term = Box::new(|_| false);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    d.stop("j", vec![], false);
    assert_eq!(d.state("j"), Some((Goal::Stop, State::Stopping)));
    d.exit(main, ExitStatus::Exited(1));
    assert_eq!(d.state("j"), Some((Goal::Stop, State::Stopping)));
    d.exit(pid(&d, "k", PreStart), ExitStatus::Exited(0));
    // `killed` finds no main and moves on without a signal.
    assert_eq!(d.state("j"), Some((Goal::Stop, State::PostStop)));
    assert!(!d.actions.iter().any(|a| matches!(a, Action::Signal { .. })));
    d.exit(pid(&d, "j", PostStop), ExitStatus::Exited(0));
    assert!(d
        .event_lines()
        .contains(&"stopped JOB=j INSTANCE= RESULT=ok".into()));
}

#[test]
fn the_first_failure_of_a_run_wins() {
    let mut d = Driver::new(&[job("j").processes(&[Main, PostStop])]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    d.exit(main, ExitStatus::Exited(2));
    d.exit(pid(&d, "j", PostStop), ExitStatus::Exited(1));
    assert_eq!(
        lines_starting(&d, "stopped"),
        ["stopped JOB=j INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=2"]
    );
}

#[test]
fn a_failing_post_stop_cancels_a_respawn() {
    let mut d = Driver::new(&[job("j").processes(&[Main, PostStop]).respawn()]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    d.exit(main, ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Start, State::PostStop)));
    d.exit(pid(&d, "j", PostStop), ExitStatus::Exited(1));
    assert_eq!(d.state("j"), None);
    assert_eq!(
        lines_starting(&d, "stopped"),
        ["stopped JOB=j INSTANCE= RESULT=failed PROCESS=post-stop EXIT_STATUS=1"]
    );
}

#[test]
fn a_respawn_decided_while_post_start_runs_acts_when_it_ends() {
    let mut d = Driver::new(&[job("j").processes(&[Main, PostStart]).respawn()]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    assert_eq!(d.state("j"), Some((Goal::Start, State::PostStart)));
    d.exit(main, ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Respawn, State::PostStart)));
    d.exit(pid(&d, "j", PostStart), ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Start, State::Spawned)));
    assert_ne!(pid(&d, "j", Main), main);
    assert!(
        lines_starting(&d, "started").is_empty(),
        "never reached running"
    );
}

#[test]
fn a_failed_failed_event_is_not_failed_again() {
    let mut d = Driver::new(&[
        job("j").processes(&[PreStart]).start_on(on("go")),
        job("k").processes(&[PreStart]).start_on(on("go/failed")),
    ]);
    d.emit("go", vec![]);
    d.exit(pid(&d, "j", PreStart), ExitStatus::Exited(1));
    d.exit(pid(&d, "k", PreStart), ExitStatus::Exited(1));
    let names: Vec<String> = d.events().into_iter().map(|e| e.0).collect();
    assert!(names.contains(&"go/failed".into()));
    assert!(
        !names.iter().any(|n| n.ends_with("/failed/failed")),
        "{names:?}"
    );
}

#[test]
fn stop_on_acts_on_an_instance_that_is_still_starting() {
    let mut d = Driver::new(&[job("j")
        .processes(&[PreStart, Main, PostStop])
        .stop_on(on("halt"))]);
    let id = d.start("j", vec![], true);
    assert_eq!(d.state("j"), Some((Goal::Start, State::PreStart)));
    d.emit("halt", env(&["WHY=now"]));
    assert_eq!(d.state("j"), Some((Goal::Stop, State::PreStart)));
    assert!(
        matches!(d.reply(id), Some(Ok(_))),
        "the waiting start is released"
    );
    d.exit(pid(&d, "j", PreStart), ExitStatus::Exited(0));
    let (_, post_stop) = d.m.spawner.spawns.last().unwrap();
    assert_eq!(post_stop.proc.process, PostStop);
    for e in ["WHY=now", "UPSTART_STOP_EVENTS=halt"] {
        assert!(post_stop.env.contains(&e.to_owned()), "{:?}", post_stop.env);
    }
    // The `halt` event is held until j has stopped.
    assert_eq!(d.m.live_events().len(), 1);
    d.exit(pid(&d, "j", PostStop), ExitStatus::Exited(0));
    assert!(d.m.live_events().is_empty());
}

#[test]
fn stop_on_its_own_starting_event_deadlocks_as_upstart_does() {
    // The instance holds the `starting` event it waits for (§6.2, §7).
    let mut d = Driver::new(&[job("j").main().stop_on(starting("j"))]);
    d.start("j", vec![], false);
    d.settle();
    assert_eq!(d.state("j"), Some((Goal::Stop, State::Starting)));
    assert_eq!(d.m.live_events().len(), 1);
}

// ---------------------------------------------------------------------------
// Quirks kept from Upstart 1.13's `job_process_terminated`: a main process
// that dies where its exit does not move the instance (in `spawned` with a
// respawn decided, or in `post-start` while post-start runs and the goal is
// then set back to start) leaves the job start/running with no process.
// The spec's tables (§3.2, §8.3) give the same result; these tests pin it
// so that a change is deliberate.

#[test]
fn a_respawning_main_that_dies_in_spawned_leaves_the_job_running_without_it() {
    let mut d = Driver::new(&[job("j").main().respawn().expect(Expect::Stop)]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    d.exit(main, ExitStatus::Exited(0));
    assert!(d
        .logs()
        .contains(&"j main process ended, respawning".into()));
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    assert!(d.instance("j", "").unwrap().processes.is_empty());
}

#[test]
fn a_main_that_dies_in_post_start_before_a_new_start_leaves_the_job_running_without_it() {
    let mut d = Driver::new(&[job("j").processes(&[Main, PostStart]).start_on(on("go"))]);
    d.start("j", vec![], false);
    let main = pid(&d, "j", Main);
    d.stimulus(Stimulus::ExecConfirmed { pid: main });
    d.exit(main, ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Stop, State::PostStart)));
    d.emit("go", vec![]);
    d.exit(pid(&d, "j", PostStart), ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    assert!(d.instance("j", "").unwrap().processes.is_empty());
}
