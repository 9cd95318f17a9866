//! `upc run`: the real binaries, a real sandbox. The standard system set
//! boots to rest and stops clean as root; a failing job is named with the
//! end of its log and makes the run exit 1; Ctrl-C stops everything
//! cleanly; what the jobs see is a throwaway system, and nothing of it is
//! left on the host; an unprivileged user gets a session init in a user
//! namespace.
//!
//! Needs root (CI runs as root) and the `upinit` and `upctl` programs
//! beside `upc` in the target directory: `cargo test --workspace`
//! (tests/run) builds every package's programs first; a lone `cargo test
//! -p upc` does not, and then these tests fail and say what to build. A
//! `upinit` older than the runtime's sources is refused the same way:
//! never a silently stale init.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn upc_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_upc"))
}

fn newest(dir: &Path, newest: &mut SystemTime) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            self::newest(&p, newest);
        } else if let Ok(m) = e.metadata().and_then(|m| m.modified()) {
            *newest = (*newest).max(m);
        }
    }
}

/// Panics, saying what to do, unless the tests can boot sandboxes: root,
/// and upinit and upctl beside upc, not older than their sources.
fn require() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "upc run's tests boot real sandboxes and need root (CI runs as root)"
    );
    let dir = upc_bin().parent().unwrap().to_path_buf();
    let how = if dir.ends_with("release") {
        "cargo build --release -p upinit"
    } else {
        "cargo build -p upinit"
    };
    let mut sources = SystemTime::UNIX_EPOCH;
    for src in [
        "runtime/init/src",
        "runtime/proto/src",
        "runtime/machine/src",
        "runtime/bundle/src",
    ] {
        newest(&repo().join(src), &mut sources);
    }
    for program in ["upinit", "upctl"] {
        let path = dir.join(program);
        let built = fs::metadata(&path)
            .and_then(|m| m.modified())
            .unwrap_or_else(|_| {
                panic!(
                    "{} is missing: run `{how}` first (tests/run builds the whole workspace)",
                    path.display()
                )
            });
        assert!(
            built >= sources,
            "{} is older than the runtime's sources: run `{how}` first",
            path.display()
        );
    }
    for tool in ["setpriv", "findmnt"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        assert!(found, "`{tool}` is missing: apt-get install util-linux");
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn report(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// `upc run ARGS` from the repository root, to its end.
fn upc_run(args: &[&str]) -> Output {
    upc_run_pid(args).0
}

/// The same, with the pid `upc run` had.
fn upc_run_pid(args: &[&str]) -> (Output, u32) {
    let child = Command::new(upc_bin())
        .arg("run")
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run upc");
    let pid = child.id();
    (child.wait_with_output().expect("wait for upc"), pid)
}

/// A job set in a temporary directory anyone may read.
fn job_set(jobs: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("upc-run-test-")
        .tempdir()
        .unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    for (name, text) in jobs {
        let path = dir.path().join(format!("{name}.conf"));
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    }
    dir
}

/// The host pid `upc run` reports for its sandbox's init.
fn init_pid(stdout: &str) -> u32 {
    let tail = stdout
        .split_once("init is pid ")
        .unwrap_or_else(|| panic!("no init pid in:\n{stdout}"))
        .1;
    tail.split_whitespace().next().unwrap().parse().unwrap()
}

/// The host's mount points (`findmnt` over the host's mount table).
fn host_mounts() -> Vec<String> {
    let out = Command::new("findmnt")
        .args(["--raw", "--noheadings", "--output", "TARGET"])
        .output()
        .unwrap();
    let mut mounts: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    mounts.sort();
    mounts
}

fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname").unwrap()
}

#[test]
fn the_system_set_boots_to_rest_and_stops_clean() {
    require();
    let out = upc_run(&["--until-settled", "stdlib-jobs/system"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", report(&out));
    for line in [
        "upc run: stdlib-jobs/system: 17 jobs, 11 started, 0 failed",
        "running: container-detect, networking",
        "stop: every job stopped; init powered off",
        "result: clean",
    ] {
        assert!(stdout.contains(line), "`{line}` missing:\n{}", report(&out));
    }
    // The boot went the way stdlib-jobs/system/README.md draws it.
    for event in [
        "event mounted MOUNTPOINT=/run TYPE=tmpfs",
        "event container CONTAINER=upc-run",
        "event net-device-up IFACE=lo",
        "event static-network-up",
        "event runlevel RUNLEVEL=2 PREVLEVEL=N",
        "event deconfiguring-networking",
    ] {
        assert!(stdout.contains(event), "`{event}` missing:\n{stdout}");
    }
    assert!(stdout.contains("start-ttys stop/waiting"), "{stdout}");
}

#[test]
fn a_failing_job_is_named_with_the_end_of_its_log_and_the_run_exits_1() {
    require();
    let set = job_set(&[
        (
            "broken",
            "start on startup\ntask\nexec sh -c 'echo disk on fire; exit 3'\n",
        ),
        (
            "fine",
            "start on startup\nconsole output\nexec sleep 1000\n",
        ),
    ]);
    let out = upc_run(&["--until-settled", "-q", set.path().to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", report(&out));
    for line in [
        "2 jobs, 2 started, 1 failed",
        "failed: broken (main process exited with status 3)",
        "    | disk on fire",
        "running: fine",
        "result: not clean: 1 job failed",
    ] {
        assert!(stdout.contains(line), "`{line}` missing:\n{}", report(&out));
    }
    // -q: the summary only.
    assert!(!stdout.contains("start/running"), "{stdout}");
}

#[test]
fn ctrl_c_stops_every_job_cleanly() {
    require();
    let mut child = Command::new(upc_bin())
        .args(["run", "stdlib-jobs/system"])
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    let start = Instant::now();
    // The set is up and at rest: the boot's last job has finished and
    // nothing has changed for a moment (a job whose pre-start is still
    // running when the stop begins fails, as under Upstart).
    loop {
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                if seen.contains("start-ttys stop/waiting") =>
            {
                break
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(e) => panic!("upc run ended ({e}):\n{seen}"),
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{seen}");
    }
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    for line in rx {
        seen.push_str(&line);
        seen.push('\n');
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{seen}");
    for line in [
        "upc run: SIGINT: stopping every job",
        "networking stop/waiting",
        "stop: every job stopped; init powered off",
        "result: clean",
    ] {
        assert!(seen.contains(line), "`{line}` missing:\n{seen}");
    }
}

#[test]
fn the_jobs_see_a_throwaway_system_and_the_host_is_left_as_it_was() {
    require();
    let set = job_set(&[(
        "look",
        "start on startup\ntask\nconsole output\nscript\n\
         echo \"hostname=$(hostname)\"\n\
         echo \"pid1=$(cat /proc/1/comm)\"\n\
         echo \"cmdline=[$(cat /proc/cmdline)]\"\n\
         echo \"links=$(ls /sys/class/net | tr '\\n' ' ')\"\n\
         echo \"root=$(stat -f -c %T /)\"\n\
         touch /usr/upc-run-probe 2>/dev/null || echo usr=read-only\n\
         ls /dev/tty1 2>/dev/null || echo tty1=absent\n\
         echo \"initctl=$(command -v initctl)\"\n\
         initctl version\n\
         end script\n",
    )]);
    let mounts = host_mounts();
    let name = hostname();
    let (out, upc_pid) = upc_run_pid(&["--until-settled", "--plain", set.path().to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", report(&out));
    for seen in [
        "| hostname=upc-run",
        "| pid1=upinit",
        "| cmdline=[]",
        "| links=lo ",
        "| root=tmpfs",
        "| usr=read-only",
        "| tty1=absent",
        "| initctl=/usr/local/sbin/initctl",
        "| init (upinit ",
    ] {
        assert!(stdout.contains(seen), "`{seen}` missing:\n{}", report(&out));
    }
    // Nothing of it is left: no process, no mount, the same host name,
    // no temporary directory.
    let pid = init_pid(&stdout);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the sandbox's init (pid {pid}) is still there"
    );
    assert_eq!(host_mounts(), mounts, "the host's mounts changed");
    assert_eq!(hostname(), name, "the host name changed");
    assert!(!Path::new("/usr/upc-run-probe").exists());
    let prefix = format!("upc-run-{upc_pid}-");
    let left: Vec<String> = fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix))
        .collect();
    assert!(left.is_empty(), "left in the temporary directory: {left:?}");
}

#[test]
fn an_unprivileged_user_boots_a_session_init_in_a_user_namespace() {
    require();
    // The programs where the unprivileged user can reach them (a checkout
    // under /root would not be).
    let bin = tempfile::Builder::new()
        .prefix("upc-run-test-")
        .tempdir()
        .unwrap();
    fs::set_permissions(bin.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let from = upc_bin().parent().unwrap().to_path_buf();
    for program in ["upc", "upinit", "upctl"] {
        fs::copy(from.join(program), bin.path().join(program)).unwrap();
    }
    let set = job_set(&[
        (
            "agent",
            "start on startup\nstop on session-end\nconsole output\n\
             pre-start exec echo \"agent starts as uid $(id -u) in $(hostname)\"\n\
             exec sleep 1000\n",
        ),
        ("note", "start on started agent\ntask\nexec true\n"),
    ]);
    let out = Command::new("setpriv")
        .args([
            "--reuid",
            "nobody",
            "--regid",
            "nogroup",
            "--clear-groups",
            "--",
        ])
        .arg(bin.path().join("upc"))
        .args(["run", "--until-settled", "--plain"])
        .arg(set.path())
        .current_dir("/")
        .env("NO_COLOR", "1")
        .env("TMPDIR", "/tmp")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", report(&out));
    assert!(
        text(&out.stderr).contains("not root: booting a session init in a user namespace"),
        "{}",
        report(&out)
    );
    for line in [
        "session mode",
        "| agent starts as uid 0 in upc-run",
        "2 jobs, 2 started, 0 failed",
        "running: agent",
        "stop: every job stopped; init exited with status 0",
        "result: clean",
    ] {
        assert!(stdout.contains(line), "`{line}` missing:\n{}", report(&out));
    }
}

#[test]
fn a_job_set_with_errors_is_not_run() {
    let set = job_set(&[("bad", "start on\nexec true\n")]);
    let out = upc_run(&["--until-settled", set.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", report(&out));
    assert!(
        text(&out.stderr).contains("upc: nothing run: the job set has errors"),
        "{}",
        report(&out)
    );
}

#[test]
fn without_upinit_the_error_says_how_to_build_it() {
    let out = upc_run(&["--upinit", "/nonexistent/upinit", "--until-settled"]);
    assert_eq!(out.status.code(), Some(2), "{}", report(&out));
    assert!(
        text(&out.stderr).contains("--upinit /nonexistent/upinit: no such file"),
        "{}",
        report(&out)
    );
    // A upc with no upinit beside it and none on PATH.
    let lone = tempfile::tempdir().unwrap();
    fs::copy(upc_bin(), lone.path().join("upc")).unwrap();
    let out = Command::new(lone.path().join("upc"))
        .args(["run", "--until-settled", "stdlib-jobs/system"])
        .current_dir(repo())
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", report(&out));
    assert!(
        text(&out.stderr).contains("cargo build --release -p upinit"),
        "{}",
        report(&out)
    );
}
