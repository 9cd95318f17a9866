//! upinit as PID 1 (runtime-semantics §16): reaping every orphan, signals
//! as events, reloading, a missing or corrupt job set at boot, power off
//! and reboot, and the `--trace`/`--debug` outputs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod harness;

use std::fs;
use std::time::Duration;

use harness::{upctl_bin, Scenario};
use nix::sys::signal::Signal;

#[test]
fn a_thousand_orphaned_grandchildren_are_all_reaped() {
    let s = Scenario::new();
    // Each subshell starts a sleep and exits at once: the sleeps are
    // orphans, re-parented to init, and end together a little later.
    s.job(
        "orphans",
        "start on startup\ntask\nconsole none\nscript\n  i=0\n  while [ $i -lt 1000 ]; do (sleep 4 &); i=$((i+1)); done\nend script\n",
    );
    let init = s.boot(&[]);
    init.wait_state("orphans", "waiting");
    let adopted = init
        .children()
        .iter()
        .filter(|(_, _, comm)| comm == "sleep")
        .count();
    assert!(adopted >= 900, "only {adopted} sleeps were init's children");
    init.wait_until("every orphan reaped", |i| i.children().is_empty());
    let zombies: Vec<_> = init
        .children()
        .into_iter()
        .filter(|(_, state, _)| *state == 'Z')
        .collect();
    assert!(zombies.is_empty(), "{zombies:?}");
    // Init is as responsive as before.
    assert_eq!(
        init.ctl(&["status", "orphans"]).stdout,
        "orphans stop/waiting\n"
    );
}

fn on_event(s: &Scenario, event: &str) {
    s.job(
        "reacts",
        &format!("start on {event}\ntask\nconsole output\nexec echo got {event}\n"),
    );
}

#[test]
fn sigint_emits_control_alt_delete() {
    let s = Scenario::new();
    on_event(&s, "control-alt-delete");
    let init = s.boot(&[]);
    init.wait_ready();
    init.signal(Signal::SIGINT);
    init.wait_console("got control-alt-delete");
}

#[test]
fn sigpwr_emits_power_status_changed() {
    let s = Scenario::new();
    on_event(&s, "power-status-changed");
    let init = s.boot(&[]);
    init.wait_ready();
    init.signal(Signal::SIGPWR);
    init.wait_console("got power-status-changed");
}

#[test]
fn sigwinch_without_a_keyboard_console_emits_nothing_and_is_survived() {
    let s = Scenario::new();
    on_event(&s, "keyboard-request");
    let init = s.boot(&[]);
    init.wait_ready();
    init.signal(Signal::SIGWINCH);
    init.signal(Signal::SIGUSR1);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        init.ctl(&["status", "reacts"]).stdout,
        "reacts stop/waiting\n"
    );
    assert!(!init.console().contains("got keyboard-request"));
}

#[test]
fn sighup_reloads_the_bundle_and_keeps_the_old_one_if_the_new_is_invalid() {
    let s = Scenario::new();
    s.job("first", "exec sleep 1000\n");
    let init = s.boot(&[]);
    init.wait_ready();
    assert_eq!(init.ctl(&["status", "second"]).code, 1);
    s.job("second", "exec sleep 1000\n");
    s.bundle();
    init.signal(Signal::SIGHUP);
    init.wait_until("the new job", |i| i.ctl(&["status", "second"]).code == 0);
    // An invalid bundle: the running job set stays.
    fs::write(s.path("init.bundle"), b"not a bundle").unwrap();
    let r = init.ctl(&["reload-configuration"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("is not a valid job set"), "{r:?}");
    assert!(
        r.stderr.contains("the job set loaded before runs on"),
        "{r:?}"
    );
    init.signal(Signal::SIGHUP);
    init.wait_message("is not a valid job set");
    assert_eq!(
        init.ctl(&["status", "second"]).stdout,
        "second stop/waiting\n"
    );
}

#[test]
fn sigterm_of_a_system_init_is_survived() {
    let s = Scenario::new();
    s.job("svc", "start on startup\nconsole none\nexec sleep 1000\n");
    let init = s.boot(&[]);
    init.wait_state("svc", "running");
    init.signal(Signal::SIGTERM);
    init.wait_message("stateful re-exec");
    assert!(init
        .ctl(&["status", "svc"])
        .stdout
        .starts_with("svc start/running"));
}

/// A bundle path that starts out broken, and an emergency shell that puts
/// a good bundle there and says so.
fn emergency_boot(broken: Option<&[u8]>) {
    let s = Scenario::new();
    s.job(
        "rescued",
        "start on startup\ntask\nconsole output\nexec echo booted after the rescue\n",
    );
    let good = s.build_to("good.bundle");
    let target = s.path("init.bundle");
    if let Some(bytes) = broken {
        fs::write(&target, bytes).unwrap();
    }
    let shell = format!(
        "echo EMERGENCY SHELL RAN; cp {} {}",
        good.display(),
        target.display()
    );
    let init = s.boot_bundle(&target, &["--emergency-shell", &shell]);
    init.wait_console("EMERGENCY SHELL RAN");
    init.wait_message("starting an emergency shell");
    init.wait_console("booted after the rescue");
    init.wait_message("booting");
}

#[test]
fn a_missing_bundle_at_boot_runs_the_emergency_shell_then_boots_it() {
    emergency_boot(None);
}

#[test]
fn a_corrupt_bundle_at_boot_runs_the_emergency_shell_then_boots_it() {
    emergency_boot(Some(b"UPCB garbage that is no bundle"));
}

/// The signal that ended upinit: unshare ends itself the same way (or
/// exits with 128 + it).
fn ended_by(status: std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal().or_else(|| status.code().map(|c| c - 128))
}

#[test]
fn poweroff_stops_every_job_then_powers_off() {
    let s = Scenario::new();
    s.job(
        "svc",
        "start on startup\nconsole output\nscript\n  trap 'echo svc got TERM; exit 0' TERM\n  while :; do sleep 0.05; done\nend script\n",
    );
    s.job(
        "after",
        "start on stopped svc\ntask\nconsole output\nexec echo svc has stopped\n",
    );
    let mut init = s.boot(&[]);
    init.wait_state("svc", "running");
    std::thread::sleep(Duration::from_millis(100));
    let r = init.ctl(&["poweroff"]);
    assert_eq!(r.code, 0, "{r:?}");
    // In a PID namespace reboot(RB_POWER_OFF) ends init with SIGINT.
    let status = init.wait_exit(Duration::from_secs(20));
    assert_eq!(ended_by(status), Some(2), "{status:?}\n{}", init.messages());
    assert!(
        init.console().contains("svc got TERM"),
        "{}",
        init.console()
    );
}

#[test]
fn during_a_poweroff_stop_scripts_may_emit_events_but_nothing_may_start() {
    let s = Scenario::new();
    let ctl = format!("{} --socket {}", upctl_bin().display(), s.p("upinit.sock"));
    s.job(
        "net",
        &format!(
            "start on startup\nconsole output\nexec sleep 1000\n\
             pre-stop script\n  {ctl} start other || echo start refused\nend script\n\
             post-stop script\n  {ctl} emit deconfiguring-networking && echo emitted\nend script\n"
        ),
    );
    s.job("other", "console none\nexec sleep 1000\n");
    let mut init = s.boot(&[]);
    init.wait_state("net", "running");
    assert_eq!(init.ctl(&["poweroff"]).code, 0);
    let status = init.wait_exit(Duration::from_secs(20));
    assert_eq!(ended_by(status), Some(2), "{status:?}\n{}", init.messages());
    let console = init.console();
    assert!(console.contains("start refused"), "{console}");
    assert!(console.contains("emitted"), "{console}");
    let post_stop_ok = init.trace().iter().any(|r| {
        r["kind"] == "exit" && r["job"] == "net" && r["process"] == "post-stop" && r["status"] == 0
    });
    assert!(post_stop_ok, "{}", init.messages());
}

#[test]
fn reboot_ends_with_the_kernels_reboot() {
    let s = Scenario::new();
    s.job("svc", "start on startup\nconsole none\nexec sleep 1000\n");
    let mut init = s.boot(&[]);
    init.wait_state("svc", "running");
    assert_eq!(init.ctl(&["reboot"]).code, 0);
    // RB_AUTOBOOT ends the namespace's init with SIGHUP.
    let status = init.wait_exit(Duration::from_secs(20));
    assert_eq!(ended_by(status), Some(1), "{status:?}");
    let stopped = init
        .trace()
        .iter()
        .any(|r| r["kind"] == "state" && r["job"] == "svc" && r["to"] == "waiting");
    assert!(stopped, "svc was stopped through the machine first");
}

#[test]
fn a_forced_halt_skips_the_jobs() {
    let s = Scenario::new();
    s.job("svc", "start on startup\nconsole none\nexec sleep 1000\n");
    let mut init = s.boot(&[]);
    init.wait_state("svc", "running");
    assert_eq!(init.ctl(&["halt", "--force"]).code, 0);
    let status = init.wait_exit(Duration::from_secs(20));
    assert_eq!(ended_by(status), Some(2), "{status:?}");
    let stopped = init
        .trace()
        .iter()
        .any(|r| r["kind"] == "state" && r["job"] == "svc" && r["to"] == "stopping");
    assert!(!stopped, "a forced halt stops nothing first");
}

#[test]
fn the_trace_has_the_simulators_records_and_the_commands() {
    let s = Scenario::new();
    s.job("svc", "start on startup\nconsole none\nexec sleep 1000\n");
    let init = s.boot(&[]);
    init.wait_state("svc", "running");
    init.ctl(&["stop", "svc"]);
    let trace = init.trace();
    let kinds: Vec<&str> = trace.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    for kind in [
        "event", "goal", "state", "process", "command", "kill", "exit", "reply",
    ] {
        assert!(kinds.contains(&kind), "no {kind} record: {kinds:?}");
    }
    let command = trace.iter().find(|r| r["kind"] == "command").unwrap();
    assert_eq!(command["command"], "stop svc");
    let reply = trace.iter().find(|r| r["kind"] == "reply").unwrap();
    assert_eq!(reply["request"], command["request"]);
    assert_eq!(reply["output"][0], "svc stop/waiting");
    assert!(trace.iter().all(|r| r["t_ms"].is_u64()));
}

#[test]
fn debug_says_goals_states_and_events_in_upstarts_words() {
    let s = Scenario::new();
    s.job("svc", "start on startup\nconsole none\nexec sleep 1000\n");
    let init = s.boot(&["--debug"]);
    init.wait_state("svc", "running");
    init.wait_message("upinit: svc state changed from post-start to running");
    let m = init.messages();
    assert!(m.contains("upinit: Handling startup event"), "{m}");
    assert!(
        m.contains("upinit: svc goal changed from stop to start"),
        "{m}"
    );
    assert!(m.contains("upinit: Handling started event"), "{m}");
}
