//! Goals, states and job events (test-inventory.md §6: job_change_goal,
//! job_change_state, job_emit_event, job_failed, job_finished).

use upc_machine::*;

use super::rig::*;

#[test]
fn a_job_without_processes_runs_straight_through_to_running() {
    let mut r = rig(&[("J", "start on go\n")]);
    r.emit("go", &[]);
    let lines = r.take_lines();
    let mut want = vec![
        "event go".to_string(),
        "J goal stop -> start".into(),
        "J waiting -> starting".into(),
        "event starting JOB=J INSTANCE=".into(),
        "finished starting".into(),
    ];
    want.extend(start_walk("J"));
    // `go` was visited before J released it in this pass; `started`,
    // created later, is visited after: it finishes first.
    want.extend([
        "event started JOB=J INSTANCE=".to_string(),
        "finished started".into(),
        "finished go".into(),
    ]);
    assert_eq!(lines, want);
    assert_eq!(r.status("J", ""), "start/running");
}

#[test]
fn stopping_a_running_job_without_main_goes_straight_to_stopping() {
    let mut r = rig(&[("J", "start on go\n")]);
    r.emit("go", &[]);
    r.take_lines();
    r.stop("J", &[], false);
    let lines = r.take_lines();
    assert_eq!(
        &lines[..2],
        ["J goal start -> stop", "J running -> stopping"]
    );
    assert_eq!(r.status("J", ""), "gone");
}

#[test]
fn starting_a_stopping_job_lets_it_stop_then_restarts_from_post_stop() {
    let mut r = rig(&[("J", "exec /bin/b\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.stop("J", &[], false);
    assert_eq!(r.status("J", ""), "stop/killed");
    r.start("J", &[], false);
    assert_eq!(r.status("J", ""), "start/killed", "only the goal changes");
    r.take_lines();
    r.killed(1, 15);
    let lines = r.take_lines();
    assert!(in_order(
        &lines,
        &[
            "J killed -> post-stopping",
            "J post-stop -> starting",
            "J main (2)"
        ]
    ));
    assert!(!lines.iter().any(|l| l.starts_with("event stopped")));
}

#[test]
fn a_second_start_of_a_running_job_is_already_running() {
    let mut r = rig(&[("J", "exec /bin/b\n")]);
    r.start("J", &[], false);
    let again = r.start("J", &[], true);
    assert_eq!(
        r.reply_text(again).unwrap(),
        "error: Job is already running: J"
    );
}

#[test]
fn the_starting_event_blocks_the_job_until_it_finishes() {
    let mut r = rig(&[
        ("J", "exec /bin/j\n"),
        ("H", "start on starting J\ntask\nexec /bin/h\n"),
    ]);
    r.start("J", &[], false);
    assert_eq!(r.status("J", ""), "start/starting");
    let h = r.pid_of("H", ProcessKind::Main);
    r.confirm(h);
    assert_eq!(
        r.status("J", ""),
        "start/starting",
        "H is a task: J waits for its end"
    );
    r.exit(h, 0);
    assert_eq!(r.status("J", ""), "start/spawned");
}

#[test]
fn job_events_carry_job_instance_and_exports_in_export_order() {
    let mut r = rig(&[(
        "J",
        "instance $N\nenv COLOUR=red\nexport SIZE\nexport COLOUR\nexport MISSING\nexec /bin/b\n",
    )]);
    r.start("J", &["N=one", "SIZE=big"], false);
    let lines = r.take_lines();
    assert!(
        lines.contains(&"event starting JOB=J INSTANCE=one SIZE=big COLOUR=red".to_string()),
        "{lines:#?}"
    );
}

#[test]
fn exports_never_override_the_job_event_variables() {
    let mut r = rig(&[("J", "export JOB\nexport RESULT\nexec /bin/b\n")]);
    r.start("J", &["JOB=fake", "RESULT=fake"], false);
    r.confirm(1);
    r.take_lines();
    r.stop("J", &[], false);
    let lines = r.take_lines();
    assert!(
        lines.contains(&"event stopping JOB=J INSTANCE= RESULT=ok".to_string()),
        "{lines:#?}"
    );
}

#[test]
fn a_main_process_killed_by_a_signal_reports_its_name() {
    let mut r = rig(&[("J", "exec /bin/b\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.take_lines();
    r.killed(1, 11);
    let lines = r.take_lines();
    assert!(lines.contains(
        &"event stopping JOB=J INSTANCE= RESULT=failed PROCESS=main EXIT_SIGNAL=SEGV".to_string()
    ));
}

#[test]
fn an_unnamed_signal_is_reported_by_number() {
    let mut r = rig(&[("J", "exec /bin/b\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.take_lines();
    r.killed(1, 47);
    let lines = r.take_lines();
    assert!(lines.contains(
        &"event stopping JOB=J INSTANCE= RESULT=failed PROCESS=main EXIT_SIGNAL=47".to_string()
    ));
}

#[test]
fn a_spawn_failure_carries_only_the_process_name() {
    let mut r = rig(&[("J", "exec /bin/missing\n")]);
    let req = r.start("J", &[], true);
    r.take_lines();
    r.handle(Stimulus::SpawnFailed {
        pid: 1,
        reason: "unable to execute: No such file or directory".into(),
    });
    let lines = r.take_lines();
    assert!(
        in_order(
            &lines,
            &[
                "log Failed to spawn J main process: unable to execute: No such file or directory",
                "J goal start -> stop",
                "J spawned -> stopping",
                "event stopping JOB=J INSTANCE= RESULT=failed PROCESS=main",
                "event stopped JOB=J INSTANCE= RESULT=failed PROCESS=main",
            ]
        ),
        "{lines:#?}"
    );
    assert_eq!(r.reply_text(req).unwrap(), "error: Job failed to start");
}

#[test]
fn the_first_failure_of_a_run_wins() {
    let mut r = rig(&[("J", "exec /bin/b\npost-stop exec /bin/c\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.exit(1, 3);
    r.take_lines();
    r.exit(2, 1);
    let lines = r.take_lines();
    assert!(lines.contains(
        &"event stopped JOB=J INSTANCE= RESULT=failed PROCESS=main EXIT_STATUS=3".to_string()
    ));
}

#[test]
fn a_failing_post_stop_fails_the_run_and_cancels_a_restart() {
    let mut r = rig(&[("J", "exec /bin/b\npost-stop exec /bin/c\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.stop("J", &[], false);
    r.start("J", &[], false);
    r.killed(1, 15);
    r.take_lines();
    r.exit(2, 1);
    let lines = r.take_lines();
    assert!(
        in_order(
            &lines,
            &[
                "J goal start -> stop",
                "J post-stop -> waiting",
                "event stopped JOB=J INSTANCE= RESULT=failed PROCESS=post-stop EXIT_STATUS=1",
            ]
        ),
        "{lines:#?}"
    );
}

#[test]
fn the_failure_record_is_cleared_when_the_job_starts_again() {
    let mut r = rig(&[("J", "respawn\nexec /bin/b\npost-stop exec /bin/c\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.stop("J", &[], false);
    r.killed(1, 15);
    r.exit(2, 1);
    r.take_lines();
    r.start("J", &[], false);
    r.confirm(3);
    r.stop("J", &[], false);
    r.killed(3, 15);
    r.exit(4, 0);
    let lines = r.take_lines();
    assert!(lines.contains(&"event stopped JOB=J INSTANCE= RESULT=ok".to_string()));
}

#[test]
fn starting_takes_start_env_and_a_restart_without_one_keeps_env() {
    let mut r = rig(&[("J", "respawn\nexec /bin/b\n")]);
    r.start("J", &["A=1"], false);
    r.confirm(1);
    r.exit(1, 0);
    assert!(
        r.env_of(2).contains(&"A=1".to_string()),
        "a respawn keeps env"
    );
}

#[test]
fn processes_get_upstart_job_and_instance_replacing_user_values() {
    let mut r = rig(&[("J", "instance $I\nenv UPSTART_JOB=fake\nexec /bin/b\n")]);
    r.start("J", &["I=x"], false);
    let env = r.env_of(1);
    assert!(env.contains(&"UPSTART_JOB=J".to_string()), "{env:?}");
    assert!(env.contains(&"UPSTART_INSTANCE=x".to_string()));
    assert!(!env.contains(&"UPSTART_JOB=fake".to_string()));
}

#[test]
fn only_pre_stop_and_post_stop_see_the_stop_environment() {
    let mut r = rig(&[(
        "J",
        "exec /bin/b\npre-stop exec /bin/ps\npost-stop exec /bin/pst\npost-start exec /bin/p\n",
    )]);
    r.start("J", &["K=start"], false);
    r.confirm(1);
    r.exit(2, 0);
    r.stop("J", &["K=stop"], false);
    assert!(r.env_of(3).contains(&"K=stop".to_string()), "pre-stop");
    r.exit(3, 0);
    r.killed(1, 15);
    assert!(r.env_of(4).contains(&"K=stop".to_string()), "post-stop");
    assert!(r.env_of(1).contains(&"K=start".to_string()), "main");
}

#[test]
fn the_environment_follows_the_precedence_rules() {
    // runtime-semantics.md §9.5.
    let mut r = rig(&[(
        "J",
        "env FOO=BAR\nenv BAR=BAZ\nstart on wibble and wobble\nexec /bin/b\n",
    )]);
    r.emit("wibble", &["FRODO=brandybuck", "BILBO=took"]);
    r.emit("wobble", &["BILBO=baggins", "TEA=MILK"]);
    let env: Vec<String> = r
        .env_of(1)
        .into_iter()
        .filter(|e| !e.starts_with("UPSTART_JOB") && !e.starts_with("UPSTART_INSTANCE"))
        .collect();
    assert_eq!(
        env,
        [
            "PATH=/bin",
            "TERM=linux",
            "FOO=BAR",
            "BAR=BAZ",
            "FRODO=brandybuck",
            "BILBO=baggins",
            "TEA=MILK",
            "UPSTART_EVENTS=wibble wobble",
        ]
    );
}

#[test]
fn env_without_a_value_takes_inits_own_or_is_dropped() {
    let config = Config {
        init_env: vec!["HOME=/root".into()],
        ..Config::default()
    };
    let mut r = rig_with(&[("J", "env HOME\nenv MISSING\nexec /bin/b\n")], config);
    r.start("J", &[], false);
    let env = r.env_of(1);
    assert!(env.contains(&"HOME=/root".to_string()));
    assert!(!env.iter().any(|e| e.starts_with("MISSING")));
}
