//! `--container` (PID 1 of a container: SIGTERM or SIGINT stop every job
//! in order, then exit 0 if all stopped cleanly, else 1) and `--user` (a
//! session supervisor run by an unprivileged user).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod harness;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use harness::Scenario;
use nix::sys::signal::Signal;

/// A service that says when it is told to stop, then takes a moment.
fn service(s: &Scenario, name: &str, start_on: &str, stop_on: &str) {
    s.job(
        name,
        &format!(
            "start on {start_on}\n{stop_on}\nconsole output\nscript\n  trap 'echo {name} got TERM; sleep 0.2; echo {name} done; exit 0' TERM\n  while :; do sleep 0.05; done\nend script\n"
        ),
    );
}

fn chain(s: &Scenario) {
    service(s, "a", "startup", "");
    service(s, "b", "started a", "stop on stopping a");
    service(s, "c", "started b", "stop on stopping b");
}

fn waiting_order(init: &harness::Init) -> Vec<String> {
    init.trace()
        .iter()
        .filter(|r| r["kind"] == "state" && r["to"] == "waiting")
        .map(|r| r["job"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn container_sigterm_stops_every_job_in_order_and_exits_0() {
    let s = Scenario::new();
    chain(&s);
    let mut init = s.boot(&["--container"]);
    init.wait_state("c", "running");
    std::thread::sleep(Duration::from_millis(100));
    init.signal(Signal::SIGTERM);
    let status = init.wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{}", init.messages());
    // c stops before b, b before a: each `stopping` waits for the jobs
    // that stop on it.
    assert_eq!(waiting_order(&init), ["c", "b", "a"]);
    let console = init.console();
    let done = |job: &str| console.find(&format!("{job} done")).unwrap();
    assert!(done("c") < done("b") && done("b") < done("a"), "{console}");
}

/// The standard container set (stdlib-jobs/container) as its README runs
/// it: PID 1 of a PID and mount namespace, the app from `APP_COMMAND`, its
/// log forwarded to the console, the health check; SIGTERM stops the check,
/// then the app, then the forwarder, and init exits 0.
#[test]
fn the_stdlib_container_set_runs_and_sigterm_stops_it_in_order_with_exit_0() {
    let s = Scenario::new();
    let set = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stdlib-jobs/container");
    let bundle = s.path("container.bundle");
    let built = std::process::Command::new(harness::upc_bin())
        .args(["build", "--deny", "warnings", "-q"])
        .arg(&set)
        .arg("-o")
        .arg(&bundle)
        .output()
        .expect("run upc");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    // The jobs' log directory is the set's default, /var/log/upstart, on a
    // tmpfs of the namespace's own.
    let args: Vec<String> = [
        "--container",
        "--bundle",
        &bundle.display().to_string(),
        "--socket",
        &s.p("upinit.sock"),
        "--trace",
        &s.p("trace.jsonl"),
        "--capture-console",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let app = "sh -c 'echo app serving; trap \"echo app got TERM; exit 0\" TERM; while :; do sleep 0.1; done'";
    let mut init = s.start_with(
        &[],
        Some("mount -t tmpfs tmpfs /var/log"),
        &args,
        Some(&[
            (
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ),
            ("APP_COMMAND", app),
            ("HEALTH_COMMAND", "true"),
            ("HEALTH_INTERVAL", "1"),
        ]),
    );
    for job in ["app", "log-forwarder", "healthcheck"] {
        init.wait_state(job, "running");
    }
    // The app's output reaches the console through the forwarder.
    init.wait_console("app serving");
    init.signal(Signal::SIGTERM);
    let status = init.wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{}", init.messages());
    assert_eq!(
        waiting_order(&init),
        ["healthcheck", "app", "log-forwarder"],
        "{}",
        init.messages()
    );
}

#[test]
fn container_sigint_stops_too_and_exits_1_when_a_job_does_not_stop_in_time() {
    let s = Scenario::new();
    service(&s, "a", "startup", "");
    // A post-stop that hangs: the job never gets back to waiting.
    s.job(
        "hangs",
        "start on startup\nconsole none\nexec sleep 1000\npost-stop exec sleep 1000\n",
    );
    let mut init = s.boot(&["--container"]);
    init.wait_state("hangs", "running");
    init.wait_state("a", "running");
    init.signal(Signal::SIGINT);
    let status = init.wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(1), "{}", init.messages());
    assert!(init.console().contains("a done"));
    assert!(init.messages().contains("jobs did not stop in time"));
}

#[test]
fn container_refuses_power_requests() {
    let s = Scenario::new();
    service(&s, "a", "startup", "");
    let init = s.boot(&["--container"]);
    init.wait_state("a", "running");
    let r = init.ctl(&["poweroff"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("not available in --container mode"),
        "{r:?}"
    );
}

#[test]
fn user_mode_runs_for_an_unprivileged_user_and_ends_on_sigterm() {
    let s = Scenario::new();
    let out = s.p("out");
    s.job(
        "hello",
        &format!(
            "start on startup\ntask\nconsole output\nscript\n  echo \"session job sees socket=$UPINIT_SOCKET uid=$(id -u)\"\n  touch {out}\nend script\n"
        ),
    );
    service(&s, "svc", "startup", "");
    let bundle = s.bundle();
    // Everything the unprivileged user touches is theirs.
    fs::set_permissions(s.dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let upinit = s.path("upinit");
    fs::copy(harness::upinit_bin(), &upinit).unwrap();
    fs::set_permissions(&bundle, fs::Permissions::from_mode(0o644)).unwrap();
    let runtime = s.path("run");
    fs::create_dir_all(&runtime).unwrap();
    fs::set_permissions(&runtime, fs::Permissions::from_mode(0o777)).unwrap();
    let mut cmd = std::process::Command::new("setpriv");
    cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"]);
    cmd.args(["unshare", "-Urpf", "--mount-proc", "--kill-child=SIGKILL"]);
    cmd.arg(&upinit)
        .args(["--user", "--bundle"])
        .arg(&bundle)
        .args(["--capture-console", "--trace"])
        .arg(s.path("trace.jsonl"))
        .arg("--logdir")
        .arg(s.path("logs"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("HOME", s.dir.path())
        .current_dir(s.dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(fs::File::create(s.path("stdout")).unwrap())
        .stderr(fs::File::create(s.path("stderr")).unwrap());
    let child = cmd.spawn().expect("setpriv unshare");
    let mut init = harness::Init::attach(child, &s, runtime.join("upinit.sock"));
    init.wait_console("session job sees socket=");
    let line = init.console();
    let socket = runtime.join("upinit.sock");
    assert!(
        line.contains(&format!("socket={} uid=0", socket.display())),
        "jobs are told the socket; the user is root of its own namespace: {line}"
    );
    init.wait_state("svc", "running");
    // The session's own user may change state.
    let r = init.ctl_as_nobody(&["status", "svc"]);
    assert!(r.stdout.starts_with("svc start/running"), "{r:?}");
    let r = init.ctl_as_nobody(&["restart", "svc"]);
    assert_eq!(r.code, 0, "{r:?}");
    init.signal(Signal::SIGTERM);
    let status = init.wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{}", init.messages());
    let console = init.console();
    assert!(console.contains("svc done"), "{console}");
    let end = init
        .trace()
        .into_iter()
        .find(|r| r["kind"] == "event" && r["event"] == "session-end")
        .expect("a session-end event");
    assert_eq!(end["env"]["TYPE"], "shutdown");
    assert!(!socket.exists(), "the socket is removed at exit");
}
