//! Control requests (control.md) and configuration reload
//! (runtime-semantics.md §15).

use upc_machine::*;

use super::rig::*;

fn status(r: &mut Driver, job: &str, env: &[&str]) -> String {
    let id = r.request(Request::Status {
        job: job.into(),
        env: env.iter().map(|s| s.to_string()).collect(),
    });
    r.reply_text(id).unwrap()
}

#[test]
fn unknown_jobs_and_instances_are_errors_with_upstarts_messages() {
    let mut r = rig(&[("J", "instance $N\nusage \"J N=name\"\nexec /bin/b\n")]);
    let id = r.start("nope", &[], true);
    assert_eq!(r.reply_text(id).unwrap(), "error: Unknown job: nope");
    let id = r.stop("J", &["N=x"], true);
    assert_eq!(r.reply_text(id).unwrap(), "error: Unknown instance: x");
    let id = r.start("J", &[], true);
    assert_eq!(
        r.reply_text(id).unwrap(),
        "error: Unknown parameter: N\nUsage: J N=name"
    );
    assert_eq!(status(&mut r, "J", &["N=x"]), "error: Unknown instance: x");
}

#[test]
fn bad_environment_strings_are_invalid_args() {
    let mut r = rig(&[("J", "exec /bin/b\n")]);
    for bad in ["NOEQUALS", "1X=y", "=v", "A-B=c"] {
        let id = r.start("J", &[bad], true);
        assert_eq!(
            r.reply_text(id).unwrap(),
            "error: Env must be KEY=VALUE pairs",
            "{bad}"
        );
        let id = r.request(Request::Emit {
            name: "ev".into(),
            env: vec![bad.into()],
            wait: false,
        });
        assert_eq!(
            r.reply_text(id).unwrap(),
            "error: Env must be KEY=VALUE pairs"
        );
    }
    let id = r.request(Request::Emit {
        name: String::new(),
        env: vec![],
        wait: false,
    });
    assert_eq!(
        r.reply_text(id).unwrap(),
        "error: Name may not be empty string"
    );
    assert!(r.m.instances().is_empty(), "nothing was started");
}

#[test]
fn stop_of_a_stopped_job_and_restart_of_a_stopped_job_fail() {
    let mut r = rig(&[("J", "exec /bin/b\n")]);
    let id = r.stop("J", &[], true);
    assert_eq!(r.reply_text(id).unwrap(), "error: Unknown instance: ");
    let id = r.request(Request::Restart {
        target: Target::Job("J".into()),
        env: vec![],
        wait: true,
    });
    assert_eq!(r.reply_text(id).unwrap(), "error: Unknown instance: ");
    r.start("J", &[], false);
    r.confirm(1);
    r.stop("J", &[], false);
    let id = r.stop("J", &[], true);
    assert_eq!(
        r.reply_text(id).unwrap(),
        "error: Job has already been stopped: J"
    );
}

#[test]
fn a_no_wait_start_replies_with_the_status_at_once() {
    let mut r = rig(&[("J", "pre-start exec /bin/a\nexec /bin/b\n")]);
    let id = r.start("J", &[], false);
    assert_eq!(r.reply_text(id).unwrap(), "J start/pre-start, process 1");
}

#[test]
fn a_new_request_releases_the_previous_waiters() {
    let mut r = rig(&[("J", "pre-start exec /bin/a\nexec /bin/b\n")]);
    let start = r.start("J", &[], true);
    let stop = r.stop("J", &[], true);
    assert_eq!(r.reply_text(start).unwrap(), "J stop/pre-start, process 1");
    assert_eq!(r.reply(stop), None);
    r.exit(1, 0);
    assert_eq!(r.reply_text(stop).unwrap(), "J stop/waiting");
}

#[test]
fn status_lines_follow_initctls_format() {
    let mut r = rig(&[
        ("J", "instance $N\nexec /bin/b\npost-start exec /bin/p\n"),
        ("K", "exec /bin/k\n"),
    ]);
    assert_eq!(status(&mut r, "K", &[]), "K stop/waiting");
    r.start("J", &["N=a"], false);
    r.confirm(1);
    assert_eq!(
        status(&mut r, "J", &["N=a"]),
        "J (a) start/post-start, process 1\n\tpost-start process 2"
    );
    r.exit(1, 0);
    assert_eq!(
        status(&mut r, "J", &["N=a"]),
        "J (a) stop/post-start, (post-start) process 2"
    );
    let list = r.request(Request::List);
    assert_eq!(
        r.reply_text(list).unwrap(),
        "J (a) stop/post-start, (post-start) process 2\nK stop/waiting"
    );
}

#[test]
fn reload_sends_the_reload_signal_to_main_only() {
    let mut r = rig(&[("J", "exec /bin/b\nreload signal USR1\n")]);
    let id = r.request(Request::Reload {
        target: Target::Job("J".into()),
        env: vec![],
    });
    assert_eq!(r.reply_text(id).unwrap(), "error: Unknown instance: ");
    r.start("J", &[], false);
    let id = r.request(Request::Reload {
        target: Target::Job("J".into()),
        env: vec![],
    });
    assert_eq!(r.reply_text(id).unwrap(), "ok");
    assert!(r.actions.contains(&Action::Signal {
        pid: 1,
        signal: 10,
        group: false
    }));
}

#[test]
fn pid_1_refuses_to_change_the_job_environment() {
    let mut r = rig(&[("J", "exec /bin/b\n")]);
    let id = r.request(Request::SetEnv {
        scope: EnvScope::Global,
        vars: vec!["A=1".into()],
        replace: true,
    });
    assert_eq!(
        r.reply_text(id).unwrap(),
        "error: Not permissible to modify PID 1 job environment"
    );
    let id = r.request(Request::GetEnv {
        scope: EnvScope::Global,
        name: "PATH".into(),
    });
    assert_eq!(r.reply_text(id).unwrap(), "/bin");
}

#[test]
fn a_session_init_sets_global_variables_for_new_and_running_instances() {
    let config = Config {
        session: true,
        ..Config::default()
    };
    let mut r = rig_with(&[("J", "exec /bin/b\n"), ("K", "exec /bin/k\n")], config);
    r.start("J", &[], false);
    r.request(Request::SetEnv {
        scope: EnvScope::Global,
        vars: vec!["A=1".into(), "EMPTY".into()],
        replace: true,
    });
    r.start("K", &[], false);
    assert!(r.env_of(2).contains(&"A=1".to_string()));
    assert!(r.env_of(2).contains(&"EMPTY=".to_string()));
    let id = r.request(Request::GetEnv {
        scope: EnvScope::Instance {
            job: "J".into(),
            instance: String::new(),
        },
        name: "A".into(),
    });
    assert_eq!(r.reply_text(id).unwrap(), "1");
    r.request(Request::SetEnv {
        scope: EnvScope::Global,
        vars: vec!["A=2".into()],
        replace: false,
    });
    let id = r.request(Request::GetEnv {
        scope: EnvScope::Global,
        name: "A".into(),
    });
    assert_eq!(
        r.reply_text(id).unwrap(),
        "1",
        "replace=false keeps a value"
    );
    r.request(Request::ResetEnv {
        scope: EnvScope::Global,
    });
    let id = r.request(Request::ListEnv {
        scope: EnvScope::Global,
    });
    assert_eq!(r.reply_text(id).unwrap(), "PATH=/bin\nTERM=linux");
}

#[test]
fn a_reload_keeps_the_old_class_for_running_instances_until_they_stop() {
    let mut r = rig(&[("J", "exec /bin/old\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.reload_bundle(bundle(&[("J", "exec /bin/new\n")]));
    r.request(Request::Restart {
        target: Target::Job("J".into()),
        env: vec![],
        wait: false,
    });
    r.killed(1, 15);
    assert_eq!(
        r.spawn(2).text,
        "/bin/old",
        "restart keeps the old definition"
    );
    r.confirm(2);
    r.stop("J", &[], false);
    r.killed(2, 15);
    r.start("J", &[], false);
    assert_eq!(
        r.spawn(3).text,
        "/bin/new",
        "stop + start picks up the new one"
    );
}

#[test]
fn a_reload_transfers_partial_matches_to_the_new_class() {
    let mut r = rig(&[("J", "start on a and b\ntask\nexec /bin/old\n")]);
    r.emit("a", &["X=1"]);
    r.m.reload(
        r.now,
        bundle(&[("J", "start on a and b\ntask\nexec /bin/new\n")]),
    );
    let held: Vec<String> =
        r.m.live_events()
            .into_iter()
            .map(|(_, n, b)| format!("{n}:{b}"))
            .collect();
    assert_eq!(held, ["a:1"], "the event is still held, once");
    r.emit("b", &[]);
    assert_eq!(r.spawn(1).text, "/bin/new");
    assert!(r.env_of(1).contains(&"X=1".to_string()));
}

#[test]
fn a_class_that_takes_over_after_a_reload_keeps_its_place_in_the_order() {
    let jobs = |a: &'static str| [("a", a), ("b", "start on go\n"), ("c", "start on go\n")];
    let config = Config {
        class_order: vec!["c".into()],
        ..Config::default()
    };
    let mut r = rig_with(&jobs("start on go\nexec /bin/old\n"), config);
    r.start("a", &[], false);
    r.confirm(1);
    r.reload_bundle(bundle(&jobs("start on go\nexec /bin/new\n")));
    // a's last instance stops: the new a takes over, alone (the others
    // were replaced at the reload), between c and b.
    r.stop("a", &[], false);
    r.killed(1, 15);
    r.take_lines();
    r.emit("go", &[]);
    let goals: Vec<String> = r
        .take_lines()
        .into_iter()
        .filter(|l| l.ends_with("goal stop -> start"))
        .collect();
    assert_eq!(
        goals,
        [
            "c goal stop -> start",
            "a goal stop -> start",
            "b goal stop -> start"
        ]
    );
    assert_eq!(r.spawn(r.pid_of("a", ProcessKind::Main)).text, "/bin/new");
}

#[test]
fn a_deleted_job_stays_until_its_last_instance_stops() {
    let mut r = rig(&[("J", "exec /bin/b\n"), ("K", "exec /bin/k\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.reload_bundle(bundle(&[("K", "exec /bin/k\n")]));
    let names: Vec<&str> = r.m.class_names().collect();
    assert_eq!(names, ["J", "K"]);
    r.stop("J", &[], false);
    r.killed(1, 15);
    let names: Vec<&str> = r.m.class_names().collect();
    assert_eq!(names, ["K"]);
    let id = r.start("J", &[], true);
    assert_eq!(r.reply_text(id).unwrap(), "error: Unknown job: J");
}
