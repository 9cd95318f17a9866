//! The event queue and operator matching (runtime-semantics.md §6,
//! test-inventory.md §3.5–§3.7 and §8).

use upc_machine::*;

use super::rig::*;

fn live(r: &Driver) -> Vec<String> {
    r.m.live_events()
        .into_iter()
        .map(|(_, name, blockers)| format!("{name}:{blockers}"))
        .collect()
}

#[test]
fn an_event_nobody_waits_for_is_handled_and_finished_at_once() {
    let mut r = rig(&[("J", "start on other\n")]);
    r.emit("frodo", &[]);
    assert_eq!(r.take_lines(), ["event frodo", "finished frodo"]);
    assert!(live(&r).is_empty());
}

#[test]
fn a_half_matched_and_holds_the_first_event_and_ignores_a_second() {
    let mut r = rig(&[("J", "start on a and b\nexec /bin/j\n")]);
    r.emit("a", &["X=1"]);
    assert_eq!(live(&r), ["a:1"], "the first `a` is held");
    r.emit("a", &["X=2"]);
    assert_eq!(live(&r), ["a:1"], "the second `a` is not held");
    r.emit("b", &["Y=1"]);
    let env = r.env_of(1);
    assert!(
        env.contains(&"X=1".to_string()),
        "the first a's env: {env:?}"
    );
    assert!(env.contains(&"UPSTART_EVENTS=a b".to_string()));
    assert_eq!(live(&r), ["a:1", "b:1"], "both held by the starting job");
    r.confirm(1);
    assert!(live(&r).is_empty(), "released when the service runs");
}

#[test]
fn the_tree_is_reset_after_a_start_so_a_pair_while_running_is_released() {
    let mut r = rig(&[("J", "start on a and b\nexec /bin/j\n")]);
    r.emit("a", &[]);
    r.emit("b", &[]);
    r.confirm(1);
    r.emit("a", &["X=3"]);
    assert_eq!(live(&r), ["a:1"]);
    r.emit("b", &["Y=2"]);
    assert!(live(&r).is_empty(), "goal already start: nothing held");
    assert_eq!(r.m.spawner.spawns.len(), 1);
}

#[test]
fn or_and_have_equal_precedence_left_to_right() {
    // `a or b and c` is `(a or b) and c`.
    let mut r = rig(&[("J", "start on a or b and c\ntask\nexec /bin/j\n")]);
    r.emit("a", &[]);
    assert_eq!(r.m.spawner.spawns.len(), 0, "a alone starts nothing");
    r.emit("c", &[]);
    assert_eq!(r.m.spawner.spawns.len(), 1);
    assert!(r.env_of(1).contains(&"UPSTART_EVENTS=a c".to_string()));
}

#[test]
fn only_the_true_part_of_the_tree_contributes_its_environment() {
    let mut r = rig(&[("J", "start on (a and b) or c\nexec /bin/j\n")]);
    r.emit("a", &["FROM_A=1"]);
    r.emit("c", &["FROM_C=1"]);
    let env = r.env_of(1);
    assert!(env.contains(&"UPSTART_EVENTS=c".to_string()), "{env:?}");
    assert!(!env.contains(&"FROM_A=1".to_string()));
    assert!(
        live(&r).iter().all(|e| !e.starts_with("a:")),
        "a is released by the reset"
    );
}

#[test]
fn one_event_may_satisfy_several_matches() {
    let mut r = rig(&[("J", "start on foo and foo\ntask\nexec /bin/j\n")]);
    r.emit("foo", &[]);
    assert_eq!(r.m.spawner.spawns.len(), 1);
}

#[test]
fn arguments_match_positionally_by_name_and_by_glob() {
    let mut r = rig(&[
        ("P", "instance $IFACE\nstart on net eth? up\n"),
        ("N", "instance $IFACE\nstart on net IFACE=wlan[0-9]\n"),
        ("X", "instance ${IFACE:-none}\nstart on net IFACE!=lo\n"),
    ]);
    r.emit("net", &["IFACE=eth0", "STATE=up"]);
    r.emit("net", &["IFACE=wlan1"]);
    r.emit("net", &["IFACE=lo"]);
    r.emit("net", &["OTHER=1"]);
    let running: Vec<String> =
        r.m.instances()
            .into_iter()
            .map(|i| format!("{} {}", i.job, i.name))
            .collect();
    // eth0: P and X; wlan1: N and X; lo: none; no IFACE: none (a missing
    // key is no match even for !=).
    assert_eq!(running, ["P eth0", "X eth0", "N wlan1", "X wlan1"]);
}

#[test]
fn a_value_must_match_whole_not_as_a_prefix() {
    let mut r = rig(&[
        ("J", "start on started JOB=fo\ntask\nexec /bin/j\n"),
        ("foo", "start on go\n"),
    ]);
    r.emit("go", &[]);
    assert!(r.m.spawner.spawns.is_empty());
}

#[test]
fn stop_on_is_checked_before_start_on_so_one_event_restarts_a_job() {
    let mut r = rig(&[("J", "start on flip\nstop on flip\nexec /bin/j\n")]);
    r.emit("flip", &[]);
    r.confirm(1);
    r.take_lines();
    r.emit("flip", &[]);
    assert_eq!(r.status("J", ""), "start/killed");
    r.killed(1, 15);
    assert_eq!(r.status("J", ""), "start/spawned");
}

#[test]
fn stop_on_is_evaluated_while_starting() {
    let mut r = rig(&[(
        "J",
        "start on go\nstop on halt\npre-start exec /bin/a\nexec /bin/j\n",
    )]);
    r.emit("go", &[]);
    r.emit("halt", &[]);
    assert_eq!(r.status("J", ""), "stop/pre-start");
    assert_eq!(live(&r), ["halt:1"], "the stop event waits for the stop");
    r.exit(1, 0);
    assert_eq!(r.status("J", ""), "gone");
    assert!(live(&r).is_empty());
}

#[test]
fn a_stop_event_of_an_already_stopping_instance_is_not_held() {
    let mut r = rig(&[("J", "stop on halt\nexec /bin/j\n")]);
    r.start("J", &[], false);
    r.confirm(1);
    r.stop("J", &[], false);
    r.emit("halt", &[]);
    assert!(live(&r).is_empty());
}

#[test]
fn a_failed_event_emits_its_failed_event_once() {
    let mut r = rig(&[("J", "start on go or go/failed\ntask\nexec /bin/j\n")]);
    let req = r.request(Request::Emit {
        name: "go".into(),
        env: vec!["K=v".into()],
        wait: true,
    });
    r.exit(1, 1);
    let lines = r.take_lines();
    assert!(
        lines.contains(&"event go/failed K=v".to_string()),
        "{lines:#?}"
    );
    assert_eq!(r.reply_text(req).unwrap(), "error: Event failed");
    // go/failed starts J again; its failure does not chain further.
    r.exit(2, 1);
    let lines = r.take_lines();
    assert!(
        lines.contains(&"finished go/failed (failed)".to_string()),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("go/failed/failed")));
}

#[test]
fn emit_with_wait_returns_when_the_task_has_finished_and_no_wait_at_once() {
    let mut r = rig(&[("T", "start on go\ntask\nexec /bin/t\n")]);
    let wait = r.request(Request::Emit {
        name: "go".into(),
        env: vec![],
        wait: true,
    });
    let no_wait = r.request(Request::Emit {
        name: "other".into(),
        env: vec![],
        wait: false,
    });
    assert_eq!(r.reply_text(no_wait).unwrap(), "ok");
    assert_eq!(r.reply(wait), None);
    r.confirm(1);
    assert_eq!(r.reply(wait), None, "a task holds its event until it ends");
    r.exit(1, 0);
    assert_eq!(r.reply_text(wait).unwrap(), "ok");
}

#[test]
fn a_task_without_a_main_process_never_releases_its_event() {
    let mut r = rig(&[("T", "start on go\ntask\n")]);
    r.emit("go", &[]);
    assert_eq!(r.status("T", ""), "start/running");
    assert_eq!(live(&r), ["go:1"]);
    r.stop("T", &[], false);
    assert!(live(&r).is_empty());
}

#[test]
fn an_instance_name_that_cannot_be_expanded_abandons_the_event() {
    let mut r = rig(&[
        ("A", "instance $TIPPLE\nstart on go\n"),
        ("B", "start on go\n"),
    ]);
    r.emit("go", &[]);
    let lines = r.take_lines();
    assert!(lines.contains(&"log A: Failed to obtain A instance: Unknown parameter: TIPPLE".into()));
    assert_eq!(
        r.status("B", ""),
        "gone",
        "Upstart stops handling the event"
    );
}

#[test]
fn the_stop_events_environment_reaches_post_stop_and_a_new_start_starts_afresh() {
    let mut r = rig(&[(
        "J",
        "env C=stanza\nstart on go\nstop on halt\nexec /bin/j\npost-stop exec /bin/ps\n",
    )]);
    r.emit("go", &["C=event"]);
    r.confirm(1);
    r.emit("halt", &["WHY=x"]);
    r.killed(1, 15);
    let post = r.env_of(2);
    assert!(post.contains(&"WHY=x".to_string()));
    assert!(post.contains(&"UPSTART_STOP_EVENTS=halt".to_string()));
    assert!(
        r.env_of(1).contains(&"C=event".to_string()),
        "event env replaces env stanzas"
    );
    r.exit(2, 0);
    r.start("J", &[], false);
    let again = r.env_of(3);
    assert!(again.contains(&"C=stanza".to_string()), "{again:?}");
    assert!(!again.iter().any(|e| e.starts_with("WHY")));
}

#[test]
fn events_handled_in_fifo_order_across_jobs_reacting_to_one_event() {
    let mut r = rig(&[
        ("a", "start on startup\n"),
        ("b", "start on startup\ntask\nexec /bin/b\n"),
    ]);
    r.emit("startup", &[]);
    let lines = r.take_lines();
    assert!(
        in_order(
            &lines,
            &[
                "a goal stop -> start",
                "a waiting -> starting",
                "b goal stop -> start",
                "b waiting -> starting",
                "event starting JOB=a INSTANCE=",
                "event starting JOB=b INSTANCE=",
            ]
        ),
        "{lines:#?}"
    );
}

#[test]
fn a_class_order_decides_which_job_reacts_first() {
    let config = Config {
        class_order: vec!["b".into()],
        ..Config::default()
    };
    let mut r = rig_with(
        &[("a", "start on startup\n"), ("b", "start on startup\n")],
        config,
    );
    r.emit("startup", &[]);
    let lines = r.take_lines();
    assert_eq!(
        &lines[1..3],
        ["b goal stop -> start", "b waiting -> starting"]
    );
}

#[test]
fn manual_after_start_on_disables_it_and_before_does_not() {
    let mut r = rig(&[
        ("M1", "start on go\nmanual\n"),
        ("M2", "manual\nstart on go\n"),
    ]);
    r.emit("go", &[]);
    assert_eq!(r.status("M1", ""), "gone");
    assert_eq!(r.status("M2", ""), "start/running");
    r.start("M1", &[], false);
    assert_eq!(
        r.status("M1", ""),
        "start/running",
        "a manual job starts by hand"
    );
}

#[test]
fn a_job_set_that_feeds_itself_events_is_cut_into_bounded_steps() {
    // `flip` restarts itself for ever, with nothing to wait for.
    let config = Config {
        max_events_per_step: 100,
        ..Config::default()
    };
    let mut r = rig_with(
        &[(
            "flip",
            "start on go or stopped flip\nstop on started flip\n",
        )],
        config,
    );
    r.emit("go", &[]);
    assert!(r
        .take_lines()
        .iter()
        .any(|l| l.starts_with("log event loop did not settle")));
    assert_eq!(r.m.poll_timeout(), Some(r.now), "the rest is due at once");
    r.handle(Stimulus::Timeout);
    let lines = r.take_lines();
    assert!(lines.iter().filter(|l| l.starts_with("event ")).count() <= 100);
    assert!(
        lines.iter().any(|l| l.starts_with("flip ")),
        "the loop went on"
    );
}
