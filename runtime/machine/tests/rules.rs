//! Rules and Upstart quirks pinned on the machine alone (built job specs,
//! no compiler). The rest of the behaviour tests drive it from job files:
//! compiler/tests/simulate/machine/.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use upc_bundle::{Expect, ProcessKind};
use upc_machine::{ExitStatus, Goal, State, Stimulus};

use ProcessKind::{Main, PostStart, PostStop};

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
fn a_main_spawn_failure_stops_the_job_and_is_never_respawned() {
    let mut d = Driver::new(&[job("j").main().respawn()]);
    d.start("j", &[], false);
    let main = pid(&d, "j", Main);
    d.procs.remove(&main);
    d.handle(Stimulus::SpawnFailed {
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
fn a_condition_matches_again_after_it_was_reset() {
    let mut d = Driver::new(&[job("j")
        .start_on(on("a").and(on("b").or(on("c"))))
        .stop_on(on("halt"))]);
    d.emit("a", &[]);
    d.emit("b", &[]);
    d.emit("halt", &[]);
    assert_eq!(d.state("j"), None);
    d.emit("a", &[]);
    d.emit("c", &[]);
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
}

#[test]
fn a_failing_post_stop_cancels_a_respawn() {
    let mut d = Driver::new(&[job("j").processes(&[Main, PostStop]).respawn()]);
    d.start("j", &[], false);
    let main = pid(&d, "j", Main);
    d.handle(Stimulus::ExecConfirmed { pid: main });
    d.exited(main, ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Start, State::PostStop)));
    d.exited(pid(&d, "j", PostStop), ExitStatus::Exited(1));
    assert_eq!(d.state("j"), None);
    assert_eq!(
        lines_starting(&d, "stopped"),
        ["stopped JOB=j INSTANCE= RESULT=failed PROCESS=post-stop EXIT_STATUS=1"]
    );
}

#[test]
fn stop_on_its_own_starting_event_deadlocks_as_upstart_does() {
    // The instance holds the `starting` event it waits for (§6.2, §7).
    let mut d = Driver::new(&[job("j").main().stop_on(starting("j"))]);
    d.start("j", &[], false);
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
    d.start("j", &[], false);
    let main = pid(&d, "j", Main);
    d.handle(Stimulus::ExecConfirmed { pid: main });
    d.exited(main, ExitStatus::Exited(0));
    assert!(d
        .logs()
        .contains(&"j main process ended, respawning".into()));
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    assert!(d.instance("j", "").unwrap().processes.is_empty());
}

#[test]
fn a_main_that_dies_in_post_start_before_a_new_start_leaves_the_job_running_without_it() {
    let mut d = Driver::new(&[job("j").processes(&[Main, PostStart]).start_on(on("go"))]);
    d.start("j", &[], false);
    let main = pid(&d, "j", Main);
    d.handle(Stimulus::ExecConfirmed { pid: main });
    d.exited(main, ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Stop, State::PostStart)));
    d.emit("go", &[]);
    d.exited(pid(&d, "j", PostStart), ExitStatus::Exited(0));
    assert_eq!(d.state("j"), Some((Goal::Start, State::Running)));
    assert!(d.instance("j", "").unwrap().processes.is_empty());
}

// ---------------------------------------------------------------------------
// Driver queries

#[test]
fn a_driver_finds_the_instance_a_request_addresses_and_a_named_instances_status() {
    use upc_machine::{ControlErrorKind as ErrorKind, Output, Target};
    let mut d = Driver::new(&[job("tty").main().instance("$TTY")]);
    d.start("tty", &["TTY=tty1"], false);
    let by_env =
        d.m.addressed_instance(&Target::Job("tty".into()), &env(&["TTY=tty1"]))
            .expect("tty1 is addressed by its TTY");
    assert_eq!(by_env.name, "tty1");
    let named = Target::Instance {
        job: "tty".into(),
        instance: "tty1".into(),
    };
    assert_eq!(d.m.addressed_instance(&named, &[]), Some(by_env));
    assert_eq!(
        d.m.addressed_instance(&Target::Job("tty".into()), &env(&["TTY=tty2"])),
        None
    );
    assert_eq!(
        d.m.addressed_instance(&Target::Job("tty".into()), &[]),
        None,
        "an unexpandable template addresses nothing"
    );
    let main = pid(&d, "tty", Main);
    assert_eq!(
        d.m.instance_status("tty", "tty1"),
        Ok(Output::Status(vec![format!(
            "tty (tty1) start/spawned, process {main}"
        )]))
    );
    let err = d.m.instance_status("tty", "tty9").unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownInstance);
    assert_eq!(err.message, "Unknown instance: tty9 of job tty");
    assert_eq!(
        d.m.instance_status("nope", "").unwrap_err().kind,
        ErrorKind::UnknownJob
    );
    assert!(d.m.class_id("tty").is_some() && d.m.class_id("nope").is_none());
}
