//! The worked timelines T1–T12 of runtime-semantics.md §20.

use upc_machine::*;

use super::rig::*;

const J_SERVICE: &str = "pre-start exec /bin/a\nexec /bin/b\npost-start exec /bin/c\n";

#[test]
fn t1_start_of_a_service_walks_every_state_and_returns_when_running() {
    let mut r = rig(&[("J", J_SERVICE)]);
    let req = r.start("J", &[], true);
    let lines = r.take_lines();
    assert_eq!(
        lines,
        [
            "J goal stop -> start",
            "J waiting -> starting",
            "event starting JOB=J INSTANCE=",
            "finished starting",
            "J starting -> security-spawning",
            "J security-spawning -> security",
            "J security -> pre-starting",
            "J pre-start (1)",
            "J pre-starting -> pre-start",
        ]
    );
    assert_eq!(r.reply(req), None, "start waits");
    r.exit(1, 0);
    assert_eq!(
        r.take_lines(),
        [
            "J pre-start (1) exit 0",
            "J pre-start -> spawning",
            "J main (2)",
            "J spawning -> spawned",
        ]
    );
    r.confirm(2);
    assert_eq!(
        r.take_lines(),
        [
            "J spawned -> post-starting",
            "J post-start (3)",
            "J post-starting -> post-start"
        ]
    );
    assert_eq!(r.reply(req), None);
    r.exit(3, 0);
    assert_eq!(
        r.take_lines(),
        [
            "J post-start (3) exit 0",
            "J post-start -> running",
            "event started JOB=J INSTANCE=",
            "finished started",
        ]
    );
    assert_eq!(r.reply_text(req).unwrap(), "J start/running, process 2");
}

#[test]
fn t2_start_of_a_task_returns_when_it_has_stopped() {
    let mut r = rig(&[("J", "task\nexec /bin/b\n")]);
    let req = r.start("J", &[], true);
    r.confirm(1);
    assert_eq!(r.status("J", ""), "start/running");
    assert_eq!(r.reply(req), None, "a task's start waits for the end");
    r.take_lines();
    r.exit(1, 0);
    let lines = r.take_lines();
    assert!(
        in_order(
            &lines,
            &[
                "J goal start -> stop",
                "J running -> stopping",
                "event stopping JOB=J INSTANCE= RESULT=ok",
                "J stopping -> killed",
                "J killed -> post-stopping",
                "J post-stopping -> post-stop",
                "J post-stop -> waiting",
                "event stopped JOB=J INSTANCE= RESULT=ok",
            ]
        ),
        "{lines:#?}"
    );
    assert_eq!(r.reply_text(req).unwrap(), "J stop/waiting");
}

#[test]
fn t3_stop_runs_pre_stop_with_the_stop_env_then_kills_and_runs_post_stop() {
    let mut r = rig(&[(
        "J",
        "exec /bin/b\npre-stop exec /bin/ps\npost-stop exec /bin/pst\nkill timeout 2\n",
    )]);
    r.start("J", &[], false);
    r.confirm(1);
    r.take_lines();
    let req = r.stop("J", &["WHY=admin"], true);
    assert_eq!(
        r.take_lines(),
        [
            "J goal start -> stop",
            "J running -> pre-stopping",
            "J pre-stop (2)",
            "J pre-stopping -> pre-stop"
        ]
    );
    assert!(r.env_of(2).contains(&"WHY=admin".to_string()));
    r.exit(2, 0);
    let lines = r.take_lines();
    assert_eq!(
        lines,
        [
            "J pre-stop (2) exit 0",
            "J pre-stop -> stopping",
            "event stopping JOB=J INSTANCE= RESULT=ok",
            "finished stopping",
            "J stopping -> killed",
            "J kill 15 (1)",
        ]
    );
    // The main process ignores TERM: KILL after the kill timeout.
    r.advance(1999);
    assert_eq!(r.signals(), [(1, 15)]);
    r.advance(1);
    assert_eq!(r.signals(), [(1, 15), (1, 9)]);
    r.killed(1, 9);
    let lines = r.take_lines();
    assert!(
        in_order(
            &lines,
            &[
                "J main (1) signal 9",
                "J killed -> post-stopping",
                "J post-stop (3)",
                "J post-stopping -> post-stop",
            ]
        ),
        "{lines:#?}"
    );
    assert!(r.env_of(3).contains(&"WHY=admin".to_string()));
    r.exit(3, 0);
    assert_eq!(
        r.take_lines(),
        [
            "J post-stop (3) exit 0",
            "J post-stop -> waiting",
            "event stopped JOB=J INSTANCE= RESULT=ok",
            "finished stopped",
        ]
    );
    assert_eq!(r.reply_text(req).unwrap(), "J stop/waiting");
}

#[test]
fn t4_a_stop_during_pre_start_releases_the_start_and_skips_main() {
    let mut r = rig(&[(
        "J",
        "pre-start exec /bin/a\nexec /bin/b\npost-stop exec /bin/c\n",
    )]);
    let start = r.start("J", &[], true);
    r.take_lines();
    // pre-start runs `stop` (instance level: no wait).
    let stop = r.request(Request::Stop {
        target: Target::Instance {
            job: "J".into(),
            instance: String::new(),
        },
        env: vec![],
        wait: false,
    });
    assert_eq!(r.take_lines(), ["J goal start -> stop"]);
    assert_eq!(r.reply_text(start).unwrap(), "J stop/pre-start, process 1");
    assert_eq!(r.reply_text(stop).unwrap(), "J stop/pre-start, process 1");
    r.exit(1, 0);
    let lines = r.take_lines();
    assert!(
        in_order(
            &lines,
            &[
                "J pre-start -> stopping",
                "event stopping JOB=J INSTANCE= RESULT=ok",
                "J stopping -> killed",
                "J killed -> post-stopping",
                "J post-stop (2)",
            ]
        ),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("main")), "main never runs");
}

#[test]
fn t5_pre_stop_cancels_the_stop_with_start_and_no_started_event() {
    let mut r = rig(&[("J", "exec /bin/b\npre-stop exec /bin/ps\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    let stop = r.stop("J", &[], true);
    r.take_lines();
    // pre-stop runs `start`.
    let start = r.request(Request::Start {
        target: Target::Instance {
            job: "J".into(),
            instance: String::new(),
        },
        env: vec![],
        wait: false,
    });
    assert_eq!(
        r.reply_text(stop).unwrap(),
        "J start/pre-stop, process 1\n\tpre-stop process 2"
    );
    r.exit(2, 0);
    assert_eq!(
        r.take_lines(),
        [
            "J goal stop -> start",
            "J pre-stop (2) exit 0",
            "J pre-stop -> running"
        ]
    );
    assert!(r.reply(start).is_some());
}

#[test]
fn t6_a_failing_pre_start_fails_the_start_and_its_event() {
    let mut r = rig(&[("J", "start on go\npre-start exec /bin/a\nexec /bin/b\n")]);
    r.emit("go", &[]);
    r.take_lines();
    r.exit(1, 1);
    let lines = r.take_lines();
    assert_eq!(
        lines,
        [
            "J pre-start (1) exit 1",
            "log J pre-start process (1) terminated with status 1",
            "J goal start -> stop",
            "J pre-start -> stopping",
            // The failed event comes first in the queue: it finishes, and
            // its /failed event is queued behind `stopping`.
            "finished go (failed)",
            "event stopping JOB=J INSTANCE= RESULT=failed PROCESS=pre-start EXIT_STATUS=1",
            "finished stopping",
            "J stopping -> killed",
            "J killed -> post-stopping",
            "J post-stopping -> post-stop",
            "J post-stop -> waiting",
            "event go/failed",
            "finished go/failed",
            "event stopped JOB=J INSTANCE= RESULT=failed PROCESS=pre-start EXIT_STATUS=1",
            "finished stopped",
        ]
    );
}

#[test]
fn t6_a_waiting_start_gets_job_failed_to_start() {
    let mut r = rig(&[("J", "pre-start exec /bin/a\nexec /bin/b\n")]);
    let req = r.start("J", &[], true);
    r.exit(1, 1);
    assert_eq!(r.reply_text(req).unwrap(), "error: Job failed to start");
}

#[test]
fn t7_respawn_restarts_without_stopped_until_the_limit() {
    let mut r = rig(&[("J", "respawn\nrespawn limit 2 5\nexec /bin/b\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.take_lines();
    r.exit(1, 0);
    let lines = r.take_lines();
    assert!(
        in_order(
            &lines,
            &[
                "log J main process ended, respawning",
                "J running -> stopping",
                "event stopping JOB=J INSTANCE= RESULT=ok",
                "J post-stop -> starting",
                "J main (2)",
            ]
        ),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("stopped")));
    r.confirm(2);
    r.exit(2, 0);
    r.confirm(3);
    r.take_lines();
    r.exit(3, 0);
    let lines = r.take_lines();
    assert!(
        in_order(
            &lines,
            &[
                "log J respawning too fast, stopped",
                "J goal start -> stop",
                "event stopping JOB=J INSTANCE= RESULT=failed PROCESS=respawn",
                "event stopped JOB=J INSTANCE= RESULT=failed PROCESS=respawn",
            ]
        ),
        "{lines:#?}"
    );
    assert_eq!(r.status("J", ""), "gone");
}

#[test]
fn t8_stop_while_blocked_in_starting_runs_post_stop_but_not_pre_start() {
    let mut r = rig(&[
        (
            "J",
            "pre-start exec /bin/a\nexec /bin/b\npost-stop exec /bin/c\n",
        ),
        (
            "K",
            "start on starting J\npre-start exec /bin/k\nexec /bin/kk\n",
        ),
    ]);
    r.start("J", &[], false);
    assert_eq!(r.status("J", ""), "start/starting");
    let k_pre = r.pid_of("K", ProcessKind::PreStart);
    r.take_lines();
    r.stop("J", &[], false);
    assert_eq!(r.status("J", ""), "stop/starting");
    r.exit(k_pre, 0);
    let k_main = r.pid_of("K", ProcessKind::Main);
    r.confirm(k_main);
    let lines = r.take_lines();
    assert!(
        in_order(
            &lines,
            &[
                "K post-start -> running",
                "finished starting",
                "J starting -> stopping",
                "event stopping JOB=J INSTANCE= RESULT=ok",
                "J killed -> post-stopping",
                "J post-stop (3)",
            ]
        ),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("J pre-start")));
}

#[test]
fn t9_restart_goes_through_post_stop_to_starting_without_stopped() {
    let mut r = rig(&[("J", "env FOO=stanza\nexec /bin/b\n")]);
    r.start("J", &["FOO=first"], false);
    r.confirm(1);
    r.take_lines();
    let req = r.request(Request::Restart {
        target: Target::Job("J".into()),
        env: vec!["BAR=new".into()],
        wait: true,
    });
    r.killed(1, 15);
    let lines = r.take_lines();
    assert!(
        in_order(
            &lines,
            &[
                // As the oracle's z-restart shows: the stop half runs through
                // pre-stop (none defined) before the goal flips back.
                "J goal start -> stop",
                "J running -> pre-stopping",
                "J pre-stop -> stopping",
                "J goal stop -> start",
                "J stopping -> killed",
                "J post-stop -> starting",
                "J main (2)",
            ]
        ),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("stopped")));
    let env = r.env_of(2);
    assert!(env.contains(&"FOO=stanza".to_string()), "{env:?}");
    assert!(env.contains(&"BAR=new".to_string()));
    assert_eq!(r.reply(req), None);
    r.confirm(2);
    assert_eq!(r.reply_text(req).unwrap(), "J start/running, process 2");
}

#[test]
fn t9_restart_of_a_job_with_pre_stop_only_runs_pre_stop() {
    let mut r = rig(&[("J", "exec /bin/b\npre-stop exec /bin/ps\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    let req = r.request(Request::Restart {
        target: Target::Job("J".into()),
        env: vec![],
        wait: true,
    });
    r.take_lines();
    r.exit(2, 0);
    assert_eq!(
        r.take_lines(),
        ["J pre-stop (2) exit 0", "J pre-stop -> running"]
    );
    assert_eq!(r.reply_text(req).unwrap(), "J start/running, process 1");
}

#[test]
fn t10_an_event_creates_a_named_instance_and_a_second_one_does_nothing() {
    let mut r = rig(&[("J", "instance $PORT\nstart on port-up\nexec /bin/b\n")]);
    r.emit("port-up", &["PORT=eth0"]);
    r.confirm(1);
    r.take_lines();
    let status = r.request(Request::Status {
        job: "J".into(),
        env: vec!["PORT=eth0".into()],
    });
    assert_eq!(
        r.reply_text(status).unwrap(),
        "J (eth0) start/running, process 1"
    );
    r.emit("port-up", &["PORT=eth0"]);
    assert_eq!(
        r.take_lines(),
        ["event port-up PORT=eth0", "finished port-up"],
        "the running instance neither changes nor holds the event"
    );
}

#[test]
fn t11_stop_on_with_a_variable_stops_only_the_matching_instance() {
    let mut r = rig(&[(
        "J",
        "instance $PORT\nstart on port-up\nstop on port-down PORT=$PORT\nexec /bin/b\npost-stop exec /bin/c\n",
    )]);
    r.emit("port-up", &["PORT=eth0"]);
    r.emit("port-up", &["PORT=eth1"]);
    r.confirm(1);
    r.confirm(2);
    r.take_lines();
    r.emit("port-down", &["PORT=eth0"]);
    assert_eq!(r.status("J", "eth0"), "stop/killed");
    assert_eq!(r.status("J", "eth1"), "start/running");
    r.killed(1, 15);
    let post = r.pid_of("J", ProcessKind::PostStop);
    let env = r.env_of(post);
    assert!(env.contains(&"PORT=eth0".to_string()));
    assert!(
        env.contains(&"UPSTART_STOP_EVENTS=port-down".to_string()),
        "{env:?}"
    );
}

#[test]
fn t12_a_partial_match_holds_the_emitter_in_starting() {
    let mut r = rig(&[
        ("J", "start on starting K and foo\nexec /bin/j\n"),
        ("K", "exec /bin/k\n"),
    ]);
    let req = r.start("K", &[], true);
    r.take_lines();
    assert_eq!(r.status("K", ""), "start/starting");
    r.emit("foo", &[]);
    assert_eq!(r.status("K", ""), "start/starting", "K waits for J to run");
    let j = r.pid_of("J", ProcessKind::Main);
    let env = r.env_of(j);
    assert!(env.contains(&"JOB=K".to_string()));
    assert!(
        env.contains(&"UPSTART_EVENTS=starting foo".to_string()),
        "{env:?}"
    );
    r.confirm(j);
    assert_eq!(r.status("K", ""), "start/spawned");
    let k = r.pid_of("K", ProcessKind::Main);
    r.confirm(k);
    assert_eq!(
        r.reply_text(req).unwrap(),
        format!("K start/running, process {k}")
    );
}
