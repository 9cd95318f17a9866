//! Process exits, respawn, spawn failures, `expect` and the kill timer
//! (runtime-semantics.md §8, §12, §14; test-inventory.md §7).

use upc_machine::*;

use super::rig::*;

/// Starts `J` (main process pid 1), lets it exit with `status`, and returns
/// the lines of what followed.
fn main_exit(job: &str, status: ExitStatus) -> (Driver, Vec<String>) {
    let mut r = rig(&[("J", job)]);
    r.start("J", &[], false);
    r.confirm(1);
    r.take_lines();
    r.handle(Stimulus::Exited { pid: 1, status });
    let lines = r.take_lines();
    (r, lines)
}

fn outcome(job: &str, status: ExitStatus) -> String {
    let (r, lines) = main_exit(job, status);
    if lines.iter().any(|l| l.contains("respawning")) {
        return "respawn".into();
    }
    assert_eq!(r.status("J", ""), "gone", "{lines:#?}");
    lines
        .iter()
        .find_map(|l| l.strip_prefix("event stopped JOB=J INSTANCE= "))
        .unwrap()
        .to_string()
}

const EXIT0: ExitStatus = ExitStatus::Exited(0);
const EXIT1: ExitStatus = ExitStatus::Exited(1);
const TERM: ExitStatus = ExitStatus::Signaled(15);

/// The table of runtime-semantics.md §8.3, row by row.
#[test]
fn main_exit_outcomes_follow_the_respawn_table() {
    let service = "exec /bin/b\n";
    let respawn = "respawn\nexec /bin/b\n";
    let task = "task\nexec /bin/b\n";
    let task_respawn = "task\nrespawn\nexec /bin/b\n";
    assert_eq!(outcome(service, EXIT0), "RESULT=ok");
    assert_eq!(
        outcome(service, EXIT1),
        "RESULT=failed PROCESS=main EXIT_STATUS=1"
    );
    assert_eq!(
        outcome(service, TERM),
        "RESULT=failed PROCESS=main EXIT_SIGNAL=TERM"
    );
    assert_eq!(outcome("normal exit 1\nexec /bin/b\n", EXIT1), "RESULT=ok");
    assert_eq!(outcome(respawn, EXIT0), "respawn", "0 is respawned");
    assert_eq!(outcome(respawn, EXIT1), "respawn");
    assert_eq!(
        outcome("respawn\nnormal exit 0\nexec /bin/b\n", EXIT0),
        "RESULT=ok"
    );
    assert_eq!(outcome(task, EXIT0), "RESULT=ok");
    assert_eq!(
        outcome(task, EXIT1),
        "RESULT=failed PROCESS=main EXIT_STATUS=1"
    );
    assert_eq!(outcome(task_respawn, EXIT0), "RESULT=ok");
    assert_eq!(outcome(task_respawn, EXIT1), "respawn");
    assert_eq!(
        outcome("normal exit 0 TERM\nexec /bin/b\n", TERM),
        "RESULT=ok"
    );
    assert_eq!(
        outcome(
            "respawn\nnormal exit 0 SIGUSR1\nexec /bin/b\n",
            ExitStatus::Signaled(10)
        ),
        "RESULT=ok"
    );
}

#[test]
fn a_respawn_emits_stopping_ok_and_no_stopped_and_keeps_the_instance() {
    let (r, lines) = main_exit("respawn\nexec /bin/b\n", EXIT1);
    assert!(
        in_order(
            &lines,
            &[
                "J running -> stopping",
                "event stopping JOB=J INSTANCE= RESULT=ok",
                "J post-stop -> starting",
                "event starting JOB=J INSTANCE=",
            ]
        ),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("event stopped")));
    assert_eq!(r.status("J", ""), "start/spawned");
}

#[test]
fn respawn_limit_allows_limit_respawns_inside_the_window() {
    // `respawn limit 3 5`: the first run plus three respawns (oracle c).
    let mut r = rig(&[("J", "respawn\nrespawn limit 3 5\nexec /bin/b\n")]);
    r.start("J", &[], false);
    for pid in 1..=3 {
        r.confirm(pid);
        r.advance(100);
        r.exit(pid, 1);
        assert_eq!(r.status("J", ""), "start/spawned", "respawn {pid}");
    }
    r.confirm(4);
    r.take_lines();
    r.exit(4, 1);
    let lines = r.take_lines();
    assert!(
        lines.contains(&"event stopped JOB=J INSTANCE= RESULT=failed PROCESS=respawn".to_string())
    );
}

#[test]
fn the_respawn_window_reopens_after_the_interval() {
    let mut r = rig(&[("J", "respawn\nrespawn limit 1 5\nexec /bin/b\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.exit(1, 1);
    r.confirm(2);
    r.advance(6000);
    r.exit(2, 1);
    assert_eq!(r.status("J", ""), "start/spawned", "a new window");
}

#[test]
fn respawn_limit_unlimited_never_stops() {
    let mut r = rig(&[("J", "respawn\nrespawn limit unlimited\nexec /bin/b\n")]);
    r.start("J", &[], false);
    for pid in 1..=50 {
        r.confirm(pid);
        r.exit(pid, 1);
    }
    assert_eq!(r.status("J", ""), "start/spawned");
}

#[test]
fn main_exit_during_post_start_waits_for_post_start() {
    let mut r = rig(&[("J", "exec /bin/b\npost-start exec /bin/p\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.exit(1, 0);
    assert_eq!(r.status("J", ""), "stop/post-start");
    r.exit(2, 0);
    assert_eq!(r.status("J", ""), "gone");
}

#[test]
fn a_respawning_main_that_dies_during_post_start_sets_goal_respawn() {
    let mut r = rig(&[("J", "respawn\nexec /bin/b\npost-start exec /bin/p\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.exit(1, 1);
    assert_eq!(r.status("J", ""), "respawn/post-start");
    r.take_lines();
    r.exit(2, 0);
    let lines = r.take_lines();
    assert!(
        in_order(
            &lines,
            &[
                "J goal respawn -> start",
                "J post-start -> stopping",
                "J post-stop -> starting"
            ]
        ),
        "{lines:#?}"
    );
}

#[test]
fn main_dying_while_stopping_is_not_a_failure() {
    let mut r = rig(&[
        ("J", "exec /bin/b\n"),
        ("H", "start on stopping J\ntask\nexec /bin/h\n"),
    ]);
    r.start("J", &[], false);
    r.confirm(1);
    r.stop("J", &[], false);
    assert_eq!(r.status("J", ""), "stop/stopping");
    r.exit(1, 7);
    assert_eq!(r.status("J", ""), "stop/stopping");
    let h = r.pid_of("H", ProcessKind::Main);
    r.confirm(h);
    r.take_lines();
    r.exit(h, 0);
    let lines = r.take_lines();
    assert!(
        in_order(
            &lines,
            &[
                "J stopping -> killed",
                "J killed -> post-stopping",
                "event stopped JOB=J INSTANCE= RESULT=ok"
            ]
        ),
        "{lines:#?}"
    );
}

#[test]
fn a_main_exit_while_stopped_never_respawns() {
    let mut r = rig(&[("J", "respawn\nexec /bin/b\npre-stop exec /bin/ps\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.stop("J", &[], false);
    r.exit(1, 1);
    assert_eq!(r.status("J", ""), "stop/pre-stop");
    r.exit(2, 0);
    assert_eq!(r.status("J", ""), "gone");
}

#[test]
fn spawn_failures_of_post_start_and_pre_stop_are_ignored() {
    let mut r = rig(&[(
        "J",
        "exec /bin/b\npost-start exec /bin/p\npre-stop exec /bin/ps\n",
    )]);
    r.start("J", &[], false);
    r.confirm(1);
    r.handle(Stimulus::SpawnFailed {
        pid: 2,
        reason: "unable to execute: No such file or directory".into(),
    });
    assert_eq!(r.status("J", ""), "start/running");
    r.stop("J", &[], false);
    r.handle(Stimulus::SpawnFailed {
        pid: 3,
        reason: "unable to execute".into(),
    });
    assert_eq!(r.status("J", ""), "stop/killed");
}

#[test]
fn a_pre_start_killed_by_a_signal_fails_with_the_signal() {
    let mut r = rig(&[("J", "pre-start exec /bin/a\nexec /bin/b\n")]);
    r.start("J", &[], false);
    r.take_lines();
    r.killed(1, 15);
    let lines = r.take_lines();
    assert!(lines.contains(
        &"event stopping JOB=J INSTANCE= RESULT=failed PROCESS=pre-start EXIT_SIGNAL=TERM"
            .to_string()
    ));
}

#[test]
fn expect_stop_waits_for_sigstop_of_main_and_continues_it() {
    let mut r = rig(&[("J", "expect stop\nexec /bin/b\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    assert_eq!(
        r.status("J", ""),
        "start/spawned",
        "exec alone is not enough"
    );
    r.handle(Stimulus::Stopped { pid: 1 });
    assert_eq!(r.status("J", ""), "start/running");
    assert_eq!(r.signals(), [(1, 18)]);
    r.handle(Stimulus::Stopped { pid: 1 });
    assert_eq!(
        r.signals(),
        [(1, 18)],
        "a SIGSTOP outside spawned is ignored"
    );
}

#[test]
fn expect_fork_follows_one_fork() {
    let mut r = rig(&[("J", "expect fork\nexec /bin/b\n")]);
    r.start("J", &[], false);
    assert!(r.spawn(1).trace);
    r.handle(Stimulus::Forked { pid: 1, child: 50 });
    assert_eq!(r.status("J", ""), "start/running");
    assert!(r.actions.contains(&Action::PtraceDetach { pid: 1 }));
    assert!(r.actions.contains(&Action::PtraceDetach { pid: 50 }));
    r.exit(1, 0);
    assert_eq!(
        r.status("J", ""),
        "start/running",
        "the parent is no longer tracked"
    );
    let status = r.request(Request::Status {
        job: "J".into(),
        env: vec![],
    });
    assert_eq!(r.reply_text(status).unwrap(), "J start/running, process 50");
    r.exit(50, 0);
    assert_eq!(r.status("J", ""), "gone");
}

#[test]
fn expect_daemon_follows_two_forks_and_execs_before_a_fork_are_helpers() {
    let mut r = rig(&[("J", "expect daemon\nexec /bin/b\n")]);
    r.start("J", &[], false);
    r.handle(Stimulus::Execed { pid: 1 });
    assert!(r.actions.contains(&Action::PtraceContinue { pid: 1 }));
    r.handle(Stimulus::Forked { pid: 1, child: 50 });
    assert_eq!(r.status("J", ""), "start/spawned");
    assert!(r.actions.contains(&Action::PtraceContinue { pid: 50 }));
    r.handle(Stimulus::Forked { pid: 50, child: 60 });
    assert_eq!(r.status("J", ""), "start/running");
    assert!(r.actions.contains(&Action::PtraceDetach { pid: 60 }));
}

#[test]
fn a_traced_main_that_exits_before_forking_is_a_main_exit() {
    let mut r = rig(&[("J", "expect daemon\nexec /bin/b\n")]);
    r.start("J", &[], false);
    r.take_lines();
    r.exit(1, 1);
    let lines = r.take_lines();
    assert!(lines.contains(
        &"event stopped JOB=J INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=1".to_string()
    ));
}

/// The status line of `J`, as `status J` answers it.
fn status_line(r: &mut Driver) -> String {
    let id = r.request(Request::Status {
        job: "J".into(),
        env: vec![],
    });
    r.reply_text(id).unwrap()
}

#[test]
fn a_job_waiting_in_spawned_says_what_for_and_that_it_waits_for_ever() {
    let mut r = rig(&[("J", "expect daemon\nexec /bin/b\n")]);
    r.start("J", &[], false);
    r.advance(12_000);
    assert_eq!(
        status_line(&mut r),
        "J start/spawned, process 1\n\twaiting 12 s for the main process to fork twice \
         (expect daemon; 0 of 2 forks seen); warning: no --spawn-timeout, so a wrong `expect` \
         waits for ever"
    );
    r.handle(Stimulus::Forked { pid: 1, child: 50 });
    assert!(status_line(&mut r).contains("(expect daemon; 1 of 2 forks seen)"));
    r.handle(Stimulus::Forked { pid: 50, child: 60 });
    assert_eq!(status_line(&mut r), "J start/running, process 60");
}

#[test]
fn a_fork_outside_spawned_lets_both_processes_go() {
    let mut r = rig(&[("J", "expect fork\nexec /bin/b\n")]);
    r.start("J", &[], false);
    r.handle(Stimulus::Forked { pid: 1, child: 50 });
    r.actions.clear();
    // A late report (the job is running): nobody follows, nothing stays
    // stopped.
    r.handle(Stimulus::Forked { pid: 50, child: 70 });
    assert!(r.actions.contains(&Action::PtraceDetach { pid: 50 }));
    assert!(r.actions.contains(&Action::PtraceDetach { pid: 70 }));
    r.handle(Stimulus::Execed { pid: 50 });
    assert_eq!(
        r.actions
            .iter()
            .filter(|a| **a == Action::PtraceDetach { pid: 50 })
            .count(),
        2
    );
    assert_eq!(status_line(&mut r), "J start/running, process 50");
}

#[test]
fn the_spawn_timeout_fails_a_job_that_is_not_ready_in_time() {
    let config = Config {
        spawn_timeout: Some(1500),
        ..Config::default()
    };
    let mut r = rig_with(&[("J", "expect fork\nexec /bin/b\n")], config);
    r.start("J", &[], false);
    assert!(status_line(&mut r).ends_with("; fails after 1.5 s (--spawn-timeout)"));
    assert_eq!(r.m.poll_timeout(), Some(1500));
    r.take_lines();
    r.advance(1499);
    assert_eq!(r.status("J", ""), "start/spawned");
    r.advance(1);
    let lines = r.take_lines();
    assert!(
        lines.iter().any(|l| l.contains(
            "J main process (1) not ready after 1.5 s (it was waiting for the main process \
             to fork (expect fork)); giving up"
        )),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"event stopping JOB=J INSTANCE= RESULT=failed PROCESS=main".to_string())
    );
    // Stopping kills the process that never got ready.
    assert_eq!(r.signals(), [(1, 15)]);
    r.killed(1, 15);
    assert_eq!(r.status("J", ""), "gone");
    assert_eq!(
        status_line(&mut r),
        "J stop/waiting\n\tlast run failed: main process: not ready after 1.5 s (it was \
         waiting for the main process to fork (expect fork))"
    );
}

#[test]
fn the_spawn_timeout_is_disarmed_once_the_job_is_ready() {
    let config = Config {
        spawn_timeout: Some(1000),
        ..Config::default()
    };
    let mut r = rig_with(&[("J", "expect stop\nexec /bin/b\n")], config);
    r.start("J", &[], false);
    r.handle(Stimulus::Stopped { pid: 1 });
    assert_eq!(r.m.poll_timeout(), None);
    r.advance(5000);
    assert_eq!(r.status("J", ""), "start/running");
}

#[test]
fn expect_notify_waits_for_ready_and_follows_mainpid_and_status() {
    let mut r = rig(&[("J", "expect notify\nexec /bin/b\n")]);
    r.start("J", &[], false);
    assert!(!r.spawn(1).trace, "notify is not traced");
    r.confirm(1);
    assert!(status_line(&mut r).contains("READY=1 on NOTIFY_SOCKET (expect notify)"));
    let notify = |r: &mut Driver, pid, notice| r.handle(Stimulus::Notify { pid, notice });
    notify(&mut r, 1, Notice::MainPid(40));
    notify(&mut r, 40, Notice::Status("loading".into()));
    assert_eq!(r.status("J", ""), "start/spawned");
    notify(&mut r, 40, Notice::Ready);
    assert_eq!(
        status_line(&mut r),
        "J start/running, process 40\n\tstatus: loading"
    );
    notify(&mut r, 40, Notice::Status(String::new()));
    notify(&mut r, 40, Notice::Stopping);
    assert_eq!(
        status_line(&mut r),
        "J start/running, process 40\n\tthe main process said it is stopping (STOPPING=1)"
    );
    // The old main process is no longer the job's.
    r.exit(1, 0);
    assert_eq!(r.status("J", ""), "start/running");
    r.exit(40, 0);
    assert_eq!(r.status("J", ""), "gone");
}

#[test]
fn readiness_notices_that_do_not_fit_are_ignored() {
    let mut r = rig(&[
        ("J", "expect notify\nexec /bin/b\n"),
        ("K", "exec /bin/k\n"),
    ]);
    r.start("J", &[], false);
    r.start("K", &[], false);
    r.confirm(2);
    // Not the main process, not an `expect notify` job, a MAINPID of a
    // process the machine already knows: none moves anything.
    r.handle(Stimulus::Notify {
        pid: 77,
        notice: Notice::Ready,
    });
    r.handle(Stimulus::Notify {
        pid: 2,
        notice: Notice::MainPid(90),
    });
    r.handle(Stimulus::Notify {
        pid: 1,
        notice: Notice::MainPid(2),
    });
    assert_eq!(r.status("J", ""), "start/spawned");
    assert_eq!(
        status_line(&mut r).lines().next(),
        Some("J start/spawned, process 1")
    );
    // A READY after readiness is harmless.
    r.handle(Stimulus::Notify {
        pid: 1,
        notice: Notice::Ready,
    });
    r.handle(Stimulus::Notify {
        pid: 1,
        notice: Notice::Ready,
    });
    assert_eq!(r.status("J", ""), "start/running");
}

#[test]
fn ready_fd_waits_for_the_newline() {
    let mut r = rig(&[("J", "ready fd 3\nexec /bin/b --ready-fd 3\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    assert!(status_line(&mut r).contains("a newline on descriptor 3 (ready fd 3)"));
    // MAINPID is sd_notify's: not for a ready fd.
    r.handle(Stimulus::Notify {
        pid: 1,
        notice: Notice::MainPid(9),
    });
    r.handle(Stimulus::Notify {
        pid: 1,
        notice: Notice::Ready,
    });
    assert_eq!(status_line(&mut r), "J start/running, process 1");
}

#[test]
fn any_exit_cancels_the_kill_timer() {
    let mut r = rig(&[("J", "exec /bin/b\nkill timeout 1\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.stop("J", &[], false);
    assert_eq!(r.m.poll_timeout(), Some(1000));
    r.killed(1, 15);
    assert_eq!(r.m.poll_timeout(), None);
    r.advance(5000);
    assert_eq!(r.signals(), [(1, 15)]);
}

#[test]
fn kill_signal_is_sent_to_the_process_group() {
    let mut r = rig(&[("J", "exec /bin/b\nkill signal INT\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.stop("J", &[], false);
    assert!(r.actions.contains(&Action::Signal {
        pid: 1,
        signal: 2,
        group: true
    }));
}

#[test]
fn stale_process_stimuli_are_ignored_with_a_record() {
    let mut r = rig(&[("J", "exec /bin/b\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    let before = r.status("J", "");
    r.exit(999, 0);
    r.handle(Stimulus::SpawnFailed {
        pid: 998,
        reason: "x".into(),
    });
    r.handle(Stimulus::Forked { pid: 1, child: 5 });
    r.handle(Stimulus::Stopped { pid: 1 });
    r.handle(Stimulus::Execed { pid: 1 });
    r.confirm(1);
    r.handle(Stimulus::Timeout);
    assert_eq!(r.status("J", ""), before);
    r.m.handle(
        r.now,
        Stimulus::Exited {
            pid: 999,
            status: ExitStatus::Exited(0),
        },
    );
    let trace = r.m.take_trace();
    assert!(
        matches!(&trace[..], [TraceRecord { kind: TraceKind::Log { text, .. }, .. }] if text.contains("unknown pid 999"))
    );
}
