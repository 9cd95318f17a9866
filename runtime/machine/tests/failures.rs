//! A class remembers why its last run failed (pure data: `RunFailure`),
//! `status` and `list` show it under the `stop/waiting` line, and the next
//! clean start (an instance reaching `running`) forgets it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use upc_bundle::ProcessKind;
use upc_machine::{
    ExitStatus, FailureCause, Output, Request, RequestId, RunFailure, Stimulus, Target,
};

use ProcessKind::{Main, PreStart};

/// The only live process of `job` of `kind`.
fn pid(d: &Driver, job: &str, kind: ProcessKind) -> u32 {
    let pids = d.pids(job, kind);
    assert_eq!(pids.len(), 1, "{job} {}: {pids:?}", kind.name());
    pids[0]
}

fn status(d: &mut Driver, job: &str, entries: &[&str]) -> String {
    let id = d.request(Request::Status {
        job: job.into(),
        env: env(entries),
    });
    d.reply_text(id).unwrap()
}

fn list(d: &mut Driver) -> String {
    let id = d.request(Request::List);
    d.reply_text(id).unwrap()
}

fn status_lines(d: &Driver, id: RequestId) -> Vec<String> {
    match d.reply(id) {
        Some(Ok(Output::Status(lines))) => lines.clone(),
        other => panic!("not a status reply: {other:?}"),
    }
}

/// Starts `job` and fails its main process's spawn with `reason`.
fn spawn_fails(d: &mut Driver, job: &str, entries: &[&str], reason: &str) {
    d.start(job, entries, false);
    let main = *d
        .pids(job, Main)
        .last()
        .expect("the main process was spawned");
    d.procs.remove(&main);
    d.handle(Stimulus::SpawnFailed {
        pid: main,
        reason: reason.into(),
    });
}

#[test]
fn a_spawn_failure_shows_under_the_stop_waiting_line_of_status_and_list() {
    let mut d = Driver::new(&[job("bad").main(), job("good").main()]);
    spawn_fails(
        &mut d,
        "bad",
        &[],
        "unable to execute: No such file or directory",
    );
    let line = "bad stop/waiting\n\tlast run failed: main process: unable to execute: No such file or directory";
    assert_eq!(status(&mut d, "bad", &[]), line);
    assert_eq!(list(&mut d), format!("{line}\ngood stop/waiting"));
    assert_eq!(
        d.m.last_failure("bad"),
        Some(&RunFailure {
            instance: String::new(),
            process: Some(Main),
            cause: FailureCause::Spawn("unable to execute: No such file or directory".into()),
        })
    );
    assert_eq!(d.m.last_failure("good"), None);
}

#[test]
fn a_failing_pre_start_and_a_failing_main_are_worded_as_the_log_words_them() {
    let mut d = Driver::new(&[job("p").processes(&[PreStart, Main]), job("m").main()]);
    d.start("p", &[], false);
    d.exit(pid(&d, "p", PreStart), 1);
    assert_eq!(
        status(&mut d, "p", &[]),
        "p stop/waiting\n\tlast run failed: pre-start process terminated with status 1"
    );
    d.start("m", &[], false);
    let main = pid(&d, "m", Main);
    d.confirm(main);
    let segv = upc_bundle::signals::signal_number("SEGV").unwrap();
    d.killed(main, segv);
    assert_eq!(
        status(&mut d, "m", &[]),
        "m stop/waiting\n\tlast run failed: main process killed by SEGV signal"
    );
}

#[test]
fn hitting_the_respawn_limit_is_the_last_failure() {
    let mut d = Driver::new(&[job("r").main().respawn().respawn_limit(Some(1), Some(5))]);
    d.start("r", &[], false);
    for _ in 0..2 {
        let main = pid(&d, "r", Main);
        d.confirm(main);
        d.exit(main, 0);
    }
    assert_eq!(d.state("r"), None);
    assert_eq!(
        status(&mut d, "r", &[]),
        "r stop/waiting\n\tlast run failed: respawning too fast"
    );
    assert_eq!(d.m.last_failure("r").unwrap().process, None);
}

#[test]
fn the_next_clean_start_forgets_the_failure_but_a_start_that_fails_again_keeps_one() {
    let mut d = Driver::new(&[job("j").main()]);
    spawn_fails(&mut d, "j", &[], "unable to find setuid user");
    // Starting again is not yet a clean start.
    d.start("j", &[], false);
    let main = pid(&d, "j", Main);
    assert!(d.m.last_failure("j").is_some());
    d.confirm(main);
    assert!(d.m.last_failure("j").is_none());
    d.stop("j", &[], false);
    d.deliver_one();
    assert_eq!(status(&mut d, "j", &[]), "j stop/waiting");
    // A run that fails after a clean one is the last failure again.
    spawn_fails(&mut d, "j", &[], "unable to change root directory");
    assert_eq!(
        status(&mut d, "j", &[]),
        "j stop/waiting\n\tlast run failed: main process: unable to change root directory"
    );
}

#[test]
fn an_instance_jobs_failure_names_the_instance_and_shows_only_for_it() {
    let mut d = Driver::new(&[job("tty").main().instance("$TTY")]);
    spawn_fails(&mut d, "tty", &["TTY=tty1"], "unable to open console");
    d.start("tty", &["TTY=tty2"], false);
    let tty2 = pid(&d, "tty", Main);
    d.confirm(tty2);
    // tty2 started cleanly after tty1 failed: the class's failure is over.
    assert_eq!(
        list(&mut d),
        format!("tty (tty2) start/running, process {tty2}")
    );
    assert_eq!(d.m.last_failure("tty"), None);
    spawn_fails(&mut d, "tty", &["TTY=tty3"], "unable to open console");
    let failed = "\tlast run (tty3) failed: main process: unable to open console";
    assert_eq!(
        list(&mut d),
        format!("tty (tty2) start/running, process {tty2}")
    );
    let stop = d.stop("tty", &["TTY=tty2"], true);
    d.deliver_one();
    // The stop's reply is tty2's: it did not fail.
    assert_eq!(status_lines(&d, stop), ["tty stop/waiting"]);
    assert_eq!(list(&mut d), format!("tty stop/waiting\n{failed}"));
    let job = Target::Job("tty".into());
    assert_eq!(
        d.m.addressed_failure(&job, &env(&["TTY=tty3"]))
            .map(|f| f.instance.as_str()),
        Some("tty3")
    );
    assert_eq!(d.m.addressed_failure(&job, &env(&["TTY=tty2"])), None);
}

#[test]
fn a_reload_keeps_the_failure_of_a_class_it_redefines() {
    let mut d = Driver::new(&[job("j").main()]);
    spawn_fails(&mut d, "j", &[], "unable to execute: Permission denied");
    d.reload(&[job("j").main().env("NEW=1")]);
    assert_eq!(
        status(&mut d, "j", &[]),
        "j stop/waiting\n\tlast run failed: main process: unable to execute: Permission denied"
    );
    d.reload(&[job("k").main()]);
    assert_eq!(list(&mut d), "k stop/waiting");
}

#[test]
fn a_normal_exit_is_not_a_failure() {
    let mut d = Driver::new(&[job("t").main().task()]);
    d.start("t", &[], false);
    let main = pid(&d, "t", Main);
    d.confirm(main);
    d.exited(main, ExitStatus::Exited(0));
    assert_eq!(d.state("t"), None);
    assert_eq!(status(&mut d, "t", &[]), "t stop/waiting");
}
