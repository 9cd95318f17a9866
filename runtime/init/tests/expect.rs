//! `expect` with real daemons (runtime-semantics §12, and upc's readiness
//! extensions): the test daemons of `expect/testd.c` (built here with the
//! system's C compiler) run under the real upinit as PID 1 of fresh PID
//! namespaces (see harness/mod.rs).
//!
//! Every scenario checks the same four things: while the daemon has not
//! made itself ready the job waits in `spawned` and `upctl status` says
//! what for; once it is ready the pid `status` reports is the real
//! daemon's; `started` comes after readiness in the trace; and nothing in
//! the namespace is left traced or stopped, before or after `stop` (which
//! ends the daemon and its workers).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod harness;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use harness::{Init, Scenario, PATIENCE};
use serde_json::Value;

/// `expect/testd.c`, compiled once per test run.
fn testd() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expect/testd.c");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("testd");
        let run = Command::new("cc")
            .args(["-O2", "-Wall", "-o"])
            .arg(&out)
            .arg(&src)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run the C compiler `cc` ({e}): apt-get install gcc libc6-dev")
            });
        assert!(
            run.status.success(),
            "cc {}: {}",
            src.display(),
            String::from_utf8_lossy(&run.stderr)
        );
        // Jobs run it from the namespace; the tempdir is not in the way.
        fs::set_permissions(&out, fs::Permissions::from_mode(0o755)).unwrap();
        out
    })
}

/// One process of the init's PID namespace, as the host's /proc shows it.
#[derive(Debug, Clone)]
struct NsProc {
    host: i32,
    /// Its pid inside the namespace.
    pid: u32,
    state: char,
    tracer: i32,
    name: String,
}

fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

/// Every process in the namespace upinit is PID 1 of.
fn ns_processes(init: &Init) -> Vec<NsProc> {
    let ns = fs::read_link(format!("/proc/{}/ns/pid", init.host_pid())).unwrap();
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(host) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if fs::read_link(format!("/proc/{host}/ns/pid")).ok().as_ref() != Some(&ns) {
            continue;
        }
        let Ok(status) = fs::read_to_string(format!("/proc/{host}/status")) else {
            continue;
        };
        let pid = status_field(&status, "NSpid")
            .and_then(|v| v.split_whitespace().last())
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let state = status_field(&status, "State")
            .and_then(|s| s.chars().next())
            .unwrap_or('?');
        let tracer = status_field(&status, "TracerPid")
            .and_then(|t| t.parse().ok())
            .unwrap_or(-1);
        let name = status_field(&status, "Name").unwrap_or("").to_owned();
        out.push(NsProc {
            host,
            pid,
            state,
            tracer,
            name,
        });
    }
    out
}

/// Nothing in the namespace is traced, or stopped (by a signal or a trace).
fn assert_none_traced_or_stopped(init: &Init) {
    let bad: Vec<NsProc> = ns_processes(init)
        .into_iter()
        .filter(|p| p.tracer != 0 || matches!(p.state, 'T' | 't'))
        .collect();
    assert!(
        bad.is_empty(),
        "traced or stopped: {bad:?}\n{}",
        init.messages()
    );
}

/// While `expect fork`/`daemon` waits, init (and only init) traces the
/// main process, which runs: nothing is stopped.
fn assert_traced_by_init_only(init: &Init, pid: u32) {
    let procs = ns_processes(init);
    let init_host = init.host_pid();
    for p in &procs {
        let want = if p.pid == pid { init_host } else { 0 };
        assert!(
            p.tracer == want && !matches!(p.state, 'T' | 't'),
            "{p:?} in {procs:?}\n{}",
            init.messages()
        );
    }
}

fn wait_for(what: &str, init: &Init, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < PATIENCE,
            "timed out waiting for {what}\n{}",
            init.messages()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A pid a daemon wrote to a file of its directory.
fn pid_file(init: &Init, dir: &Path, name: &str) -> u32 {
    let path = dir.join(name);
    wait_for(&format!("{}", path.display()), init, || {
        fs::read_to_string(&path).is_ok_and(|t| t.trim().parse::<u32>().is_ok())
    });
    fs::read_to_string(&path).unwrap().trim().parse().unwrap()
}

/// The pid in `JOB goal/state, process PID`.
fn status_pid(line: &str) -> Option<u32> {
    let first = line.lines().next()?;
    first
        .split("process ")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// A daemon job and its directory.
struct Daemon {
    s: Scenario,
    dir: PathBuf,
    job: &'static str,
    /// `expect fork`/`daemon`: the main process is traced until ready.
    traced: bool,
}

impl Daemon {
    /// A job `job` that runs `testd MODE DIR ARGS...` with `stanzas`.
    fn new(job: &'static str, stanzas: &str, mode: &str, args: &str) -> Daemon {
        let s = Scenario::new();
        let dir = s.path("d");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        s.job(
            job,
            &format!(
                "start on startup\nconsole none\n{stanzas}\nexec {} {mode} {} {args}\n",
                testd().display(),
                dir.display()
            ),
        );
        let traced = stanzas.contains("expect fork") || stanzas.contains("expect daemon");
        Daemon {
            s,
            dir,
            job,
            traced,
        }
    }

    fn go(&self) {
        fs::write(self.dir.join("go"), "").unwrap();
    }

    fn status(&self, init: &Init) -> String {
        let r = init.ctl(&["status", self.job]);
        assert_eq!(r.code, 0, "{r:?}");
        r.stdout
    }

    /// Boots, sees the job wait in `spawned` for `waiting_for` (words of
    /// its status line), lets the daemon go, sees it run with the daemon's
    /// pid. Returns the init and that pid.
    fn start(&self, waiting_for: &str) -> (Init, u32) {
        let init = self.s.boot(&[]);
        init.wait_state(self.job, "spawned");
        let waiting = pid_file(&init, &self.dir, "waiting");
        let status = self.status(&init);
        assert!(
            status.starts_with(&format!("{} start/spawned, process {waiting}\n", self.job)),
            "{status}"
        );
        assert!(
            status.contains(waiting_for) && status.contains("no --spawn-timeout"),
            "{status}"
        );
        assert!(!started(&init), "started before the daemon was ready");
        if self.traced {
            assert_traced_by_init_only(&init, waiting);
        } else {
            assert_none_traced_or_stopped(&init);
        }
        self.go();
        init.wait_state(self.job, "running");
        let pid = pid_file(&init, &self.dir, "pid");
        let status = self.status(&init);
        assert_eq!(
            status,
            format!("{} start/running, process {pid}\n", self.job),
            "the status names the daemon"
        );
        assert_none_traced_or_stopped(&init);
        (init, pid)
    }

    /// Stops the job; the namespace is left with init alone.
    fn stop(&self, init: &Init) {
        let r = init.ctl(&["stop", self.job]);
        assert_eq!(r.code, 0, "{r:?}");
        assert_eq!(r.stdout, format!("{} stop/waiting\n", self.job));
        wait_for("the daemon and its workers to be gone", init, || {
            ns_processes(init).iter().all(|p| p.pid == 1)
        });
    }
}

fn started(init: &Init) -> bool {
    init.trace()
        .iter()
        .any(|r| r["kind"] == "event" && r["event"] == "started")
}

fn position(trace: &[Value], check: impl Fn(&Value) -> bool) -> usize {
    trace
        .iter()
        .position(check)
        .unwrap_or_else(|| panic!("not in the trace: {trace:#?}"))
}

/// The `follow` records of the trace, as (pid, new pid).
fn follows(init: &Init) -> Vec<(u64, u64)> {
    init.trace()
        .iter()
        .filter(|r| r["kind"] == "follow")
        .map(|r| (r["pid"].as_u64().unwrap(), r["new_pid"].as_u64().unwrap()))
        .collect()
}

/// `started` comes after the last follow and after `spawned` was left.
fn assert_started_after_readiness(init: &Init) {
    let trace = init.trace();
    let ready = position(&trace, |r| {
        r["kind"] == "state" && r["from"] == "spawned" && r["to"] == "post-starting"
    });
    let started = position(&trace, |r| r["kind"] == "event" && r["event"] == "started");
    assert!(ready < started, "{trace:#?}");
    if let Some(last) = trace.iter().rposition(|r| r["kind"] == "follow") {
        assert!(last < ready, "{trace:#?}");
    }
}

// ---------------------------------------------------------------------------
// expect fork / expect daemon

#[test]
fn expect_fork_follows_a_single_fork_to_the_daemon() {
    let d = Daemon::new("single", "expect fork", "single", "");
    let (init, pid) = d.start("the main process to fork (expect fork)");
    let waiting = pid_file(&init, &d.dir, "waiting");
    assert_eq!(follows(&init), [(u64::from(waiting), u64::from(pid))]);
    assert_started_after_readiness(&init);
    d.stop(&init);
}

#[test]
fn expect_daemon_follows_a_classic_double_fork_to_the_grandchild() {
    let d = Daemon::new("double", "expect daemon", "double", "");
    let (init, pid) = d.start("to fork twice (expect daemon; 0 of 2 forks seen)");
    let f = follows(&init);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[1].1, u64::from(pid));
    assert_eq!(f[0].1, f[1].0, "the second fork is the first child's");
    assert_started_after_readiness(&init);
    d.stop(&init);
}

#[test]
fn an_exec_after_a_fork_ends_the_trace_at_the_execing_child() {
    // `expect daemon` expects two forks; the child's exec of another
    // program ends the trace after one (runtime-semantics §12).
    let d = Daemon::new("forkexec", "expect daemon", "forkexec", "");
    let (init, pid) = d.start("expect daemon");
    assert_eq!(follows(&init).len(), 1);
    assert_eq!(follows(&init)[0].1, u64::from(pid));
    let p = ns_processes(&init)
        .into_iter()
        .find(|p| p.pid == pid)
        .unwrap();
    let argv = fs::read(format!("/proc/{}/cmdline", p.host)).unwrap();
    let argv: Vec<&[u8]> = argv.split(|&b| b == 0).collect();
    assert_eq!(argv[1], b"pause", "the exec'd program runs ({})", p.name);
    assert_started_after_readiness(&init);
    d.stop(&init);
}

#[test]
fn workers_forked_after_readiness_are_not_taken_for_the_daemon_and_stop_with_it() {
    let d = Daemon::new("workers", "expect daemon", "workers", "");
    let (init, pid) = d.start("expect daemon");
    let w0 = pid_file(&init, &d.dir, "worker.0");
    let w1 = pid_file(&init, &d.dir, "worker.1");
    // Still the daemon, with its workers running untraced beside it.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(status_pid(&d.status(&init)), Some(pid));
    assert_eq!(follows(&init).len(), 2);
    let procs = ns_processes(&init);
    for w in [w0, w1] {
        assert!(procs.iter().any(|p| p.pid == w), "worker {w}: {procs:?}");
    }
    assert_none_traced_or_stopped(&init);
    d.stop(&init);
}

#[test]
fn a_daemon_that_dies_between_its_forks_fails_the_job() {
    let d = Daemon::new("dies", "expect daemon", "diebetween", "");
    let init = d.s.boot(&[]);
    init.wait_state("dies", "spawned");
    pid_file(&init, &d.dir, "waiting");
    d.go();
    let stopped = init.wait_record(&[("kind", "event"), ("event", "stopped")]);
    let env = &stopped["env"];
    assert_eq!(env["RESULT"], "failed", "{stopped}");
    assert_eq!(env["PROCESS"], "main", "{stopped}");
    assert_eq!(env["EXIT_STATUS"], "3", "{stopped}");
    assert!(!started(&init));
    // The followed child was the one that died.
    let f = follows(&init);
    assert_eq!(f.len(), 1, "{f:?}");
    let exit = init.wait_record(&[("kind", "exit"), ("job", "dies")]);
    assert_eq!(exit["pid"].as_u64(), Some(f[0].1), "{exit}");
    assert_eq!(
        d.status(&init),
        "dies stop/waiting\n\tlast run failed: main process terminated with status 3\n"
    );
    wait_for("nothing but init", &init, || {
        ns_processes(&init).iter().all(|p| p.pid == 1)
    });
}

#[test]
fn signals_and_a_group_stop_reach_a_traced_process_as_sent() {
    let d = Daemon::new("sig", "expect fork", "signals", "");
    let init = d.s.boot(&[]);
    init.wait_state("sig", "spawned");
    let waiting = pid_file(&init, &d.dir, "waiting");
    let host = ns_processes(&init)
        .into_iter()
        .find(|p| p.pid == waiting)
        .unwrap()
        .host;
    let kill = |sig: &str| {
        let r = Command::new("kill")
            .args([sig, &host.to_string()])
            .status()
            .unwrap();
        assert!(r.success(), "kill {sig}");
    };
    // Handled signals, a real-time one among them, are delivered.
    kill("-USR1");
    kill("-36");
    // A stop leaves it stopped (a group-stop, as if it were not traced)...
    kill("-STOP");
    wait_for("the stop", &init, || {
        ns_processes(&init)
            .iter()
            .any(|p| p.pid == waiting && matches!(p.state, 'T' | 't'))
    });
    std::thread::sleep(Duration::from_millis(100));
    assert!(ns_processes(&init)
        .iter()
        .any(|p| p.pid == waiting && matches!(p.state, 'T' | 't')));
    // ... until SIGCONT.
    kill("-CONT");
    wait_for("the continue", &init, || {
        ns_processes(&init)
            .iter()
            .any(|p| p.pid == waiting && p.state == 'S')
    });
    d.go();
    init.wait_state("sig", "running");
    assert_eq!(fs::read_to_string(d.dir.join("usr1")).unwrap().trim(), "1");
    assert_eq!(fs::read_to_string(d.dir.join("rt")).unwrap().trim(), "1");
    let pid = pid_file(&init, &d.dir, "pid");
    assert_eq!(status_pid(&d.status(&init)), Some(pid));
    assert_none_traced_or_stopped(&init);
    d.stop(&init);
}

#[test]
fn a_spawn_timeout_fails_a_job_that_never_forks_and_kills_its_process() {
    let d = Daemon::new("never", "expect daemon", "single", "");
    let init = d.s.boot(&["--spawn-timeout", "0.5"]);
    init.wait_state("never", "spawned");
    pid_file(&init, &d.dir, "waiting");
    let status = d.status(&init);
    assert!(
        status.contains("fails after 0.5 s (--spawn-timeout)"),
        "{status}"
    );
    // It never gets `go`: half a second later the job fails.
    let stopped = init.wait_record(&[("kind", "event"), ("event", "stopped")]);
    assert_eq!(stopped["env"]["RESULT"], "failed", "{stopped}");
    assert_eq!(stopped["env"]["PROCESS"], "main", "{stopped}");
    init.wait_message("not ready after 0.5 s");
    wait_for("the process to be killed", &init, || {
        ns_processes(&init).iter().all(|p| p.pid == 1)
    });
}

#[test]
fn a_process_that_cannot_be_traced_fails_its_job_with_the_reason_and_init_goes_on() {
    // Init runs under a seccomp filter that refuses ptrace(2) with EPERM,
    // as Yama's ptrace_scope 3 or a security module would.
    let d = Daemon::new("untraceable", "expect fork", "single", "");
    d.s.job(
        "plain",
        &format!(
            "start on startup\nconsole none\nexec {} pause {}\n",
            testd().display(),
            d.dir.display()
        ),
    );
    let bundle = d.s.bundle();
    let args: Vec<String> = [
        "--bundle",
        &bundle.display().to_string(),
        "--socket",
        &d.s.p("upinit.sock"),
        "--logdir",
        &d.s.p("logs"),
        "--trace",
        &d.s.p("trace.jsonl"),
        "--capture-console",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let setup = format!("exec {} noptrace \"$@\"", testd().display());
    let init = d.s.start(&[], Some(&setup), &args);
    init.wait_message(
        "Failed to spawn untraceable main process: unable to set trace: Operation not permitted",
    );
    let stopped = init.wait_record(&[("kind", "event"), ("event", "stopped")]);
    assert_eq!(stopped["env"]["RESULT"], "failed", "{stopped}");
    assert_eq!(stopped["env"]["PROCESS"], "main", "{stopped}");
    assert!(stopped["env"].get("EXIT_STATUS").is_none(), "{stopped}");
    // Only that job: the other one runs, and init answers.
    init.wait_state("plain", "running");
    let r = init.ctl(&["status", "untraceable"]);
    assert_eq!(
        r.stdout,
        "untraceable stop/waiting\n\tlast run failed: main process: unable to set trace: Operation not permitted\n",
        "{r:?}"
    );
    assert_none_traced_or_stopped(&init);
}

// ---------------------------------------------------------------------------
// expect stop, expect notify, ready fd

#[test]
fn expect_stop_waits_for_the_sigstop_and_leaves_nothing_stopped() {
    let d = Daemon::new("stopper", "expect stop", "stop", "");
    let init = d.s.boot(&[]);
    init.wait_state("stopper", "spawned");
    let waiting = pid_file(&init, &d.dir, "waiting");
    let status = d.status(&init);
    assert!(
        status.contains("to stop itself with SIGSTOP (expect stop)"),
        "{status}"
    );
    assert!(!started(&init));
    d.go();
    init.wait_state("stopper", "running");
    let pid = pid_file(&init, &d.dir, "pid");
    assert_eq!(pid, waiting, "expect stop keeps the spawned process");
    assert_eq!(
        d.status(&init),
        format!("stopper start/running, process {pid}\n")
    );
    assert_started_after_readiness(&init);
    assert_none_traced_or_stopped(&init);
    d.stop(&init);
}

#[test]
fn expect_notify_waits_for_ready_and_takes_the_mainpid_and_status() {
    let d = Daemon::new("notifier", "expect notify", "notify", "");
    let (init, pid) = {
        let init = d.s.boot(&[]);
        init.wait_state("notifier", "spawned");
        let waiting = pid_file(&init, &d.dir, "waiting");
        let status = d.status(&init);
        assert!(
            status.starts_with(&format!("notifier start/spawned, process {waiting}\n"))
                && status.contains("READY=1 on NOTIFY_SOCKET (expect notify)"),
            "{status}"
        );
        assert!(!started(&init));
        d.go();
        init.wait_state("notifier", "running");
        let pid = pid_file(&init, &d.dir, "pid");
        (init, pid)
    };
    assert_eq!(
        d.status(&init),
        format!("notifier start/running, process {pid}\n\tstatus: serving requests\n")
    );
    let f = follows(&init);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].1, u64::from(pid));
    assert_started_after_readiness(&init);
    assert_none_traced_or_stopped(&init);
    // The socket is gone with its daemon.
    let sockets = || {
        fs::read_dir(d.s.path("upinit-notify"))
            .map(|r| r.count())
            .unwrap_or(0)
    };
    assert_eq!(sockets(), 1);
    d.stop(&init);
    wait_for("the socket to be removed", &init, || sockets() == 0);
}

#[test]
fn ready_fd_waits_for_a_newline_on_the_descriptor() {
    let d = Daemon::new("fdready", "ready fd 5", "readyfd", "5");
    let (init, pid) = d.start("a newline on descriptor 5 (ready fd 5)");
    let waiting = pid_file(&init, &d.dir, "waiting");
    assert_eq!(pid, waiting, "ready fd keeps the spawned process");
    assert_started_after_readiness(&init);
    d.stop(&init);
}

// ---------------------------------------------------------------------------
// A real daemon from Debian

/// `dbus-daemon --fork` (Debian's package `dbus-daemon`, which tests/run
/// installs) under `expect fork`, as Ubuntu's Upstart job ran the system
/// bus: it starts, its status names the forked daemon (the pid it prints
/// itself), the bus answers, and `stop` ends it.
#[test]
fn dbus_daemon_fork_runs_under_expect_fork_with_its_real_pid() {
    let bin = Path::new("/usr/bin/dbus-daemon");
    assert!(
        bin.exists(),
        "dbus-daemon is missing: apt-get install dbus-daemon (tests/run does)"
    );
    let s = Scenario::new();
    let dir = s.path("d");
    fs::create_dir(&dir).unwrap();
    let bus = dir.join("bus");
    let printed = dir.join("dbus.pid");
    s.job(
        "dbus",
        &format!(
            "start on startup\nexpect fork\nconsole log\n\
             exec {} --session --fork --nopidfile --address=unix:path={} --print-pid=3 3>{}\n",
            bin.display(),
            bus.display(),
            printed.display()
        ),
    );
    let init = s.boot(&[]);
    init.wait_state("dbus", "running");
    let pid = pid_file(&init, &dir, "dbus.pid");
    let r = init.ctl(&["status", "dbus"]);
    assert_eq!(
        r.stdout,
        format!("dbus start/running, process {pid}\n"),
        "{r:?}"
    );
    let daemon = ns_processes(&init)
        .into_iter()
        .find(|p| p.pid == pid)
        .unwrap();
    assert_eq!(daemon.name, "dbus-daemon");
    assert_eq!(follows(&init).len(), 1);
    assert_started_after_readiness(&init);
    assert_none_traced_or_stopped(&init);
    // The bus speaks: its authentication handshake answers OK.
    let mut conn = std::os::unix::net::UnixStream::connect(&bus).unwrap();
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    use std::io::{Read, Write};
    conn.write_all(b"\0AUTH EXTERNAL 30\r\n").unwrap();
    let mut reply = [0u8; 64];
    let n = conn.read(&mut reply).unwrap();
    assert!(
        reply[..n].starts_with(b"OK "),
        "{:?}",
        String::from_utf8_lossy(&reply[..n])
    );
    drop(conn);
    let r = init.ctl(&["stop", "dbus"]);
    assert_eq!(r.stdout, "dbus stop/waiting\n", "{r:?}");
    let exit = init.wait_record(&[("kind", "exit"), ("job", "dbus")]);
    assert_eq!(exit["pid"].as_u64(), Some(u64::from(pid)), "{exit}");
    // It handles TERM and exits cleanly.
    assert!(exit["status"] == 0 || exit["signal"] == "TERM", "{exit}");
    wait_for("dbus-daemon to be gone", &init, || {
        ns_processes(&init).iter().all(|p| p.pid == 1)
    });
}
