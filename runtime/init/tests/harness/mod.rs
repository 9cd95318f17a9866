//! Runs the real `upinit` as PID 1 of a fresh PID (and mount) namespace,
//! with a job set built by the real `upc build`, and watches it from the
//! outside: its stdout (the jobs' captured console lines), its stderr
//! (init's messages), the `--trace` file, the job logs, and the real
//! `upctl` on its socket.
//!
//! Finding the binaries: `upinit` and `upctl` are this crate's, so Cargo
//! names them in `CARGO_BIN_EXE_*`. `upc` is another package's binary,
//! which Cargo does not hand to this crate's tests; it is taken from the
//! same target directory (`UPC_BIN` overrides), which `cargo test
//! --workspace` (tests/run) always builds first. If it is missing, or older
//! than the compiler's or the bundle format's sources, the test fails and
//! says to run `cargo build -p upc` (with `--release` for a release run):
//! never a silently stale compiler.
//!
//! Needs root (CI is root) and util-linux's `unshare` and `setpriv`.

#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

/// How long anything a test waits for may take.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub fn upinit_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_upinit"))
}

pub fn upctl_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_upctl"))
}

fn newest_source(dir: &Path, newest: &mut SystemTime) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            newest_source(&p, newest);
        } else if let Ok(m) = e.metadata().and_then(|m| m.modified()) {
            *newest = (*newest).max(m);
        }
    }
}

/// The `upc` compiler binary (see the module documentation).
pub fn upc_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("UPC_BIN") {
        return PathBuf::from(p);
    }
    let dir = upinit_bin()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let release = dir.ends_with("release");
    let how = format!(
        "cargo build -p upc{}",
        if release { " --release" } else { "" }
    );
    let upc = dir.join("upc");
    let built = fs::metadata(&upc)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "the compiler {} is missing: run `{how}` first (tests/run builds the whole workspace), or name it in UPC_BIN",
                upc.display()
            )
        });
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut newest = SystemTime::UNIX_EPOCH;
    for src in ["compiler/src", "runtime/bundle/src"] {
        newest_source(&root.join(src), &mut newest);
    }
    assert!(
        built >= newest,
        "the compiler {} is older than its sources: run `{how}` first",
        upc.display()
    );
    upc
}

/// Panics, saying what to do, unless the tests can make namespaces.
pub fn require_root() {
    let uid = nix::unistd::geteuid();
    assert!(
        uid.is_root(),
        "upinit's runtime tests start real inits in PID namespaces and need root (CI runs as root)"
    );
    for tool in ["unshare", "setpriv"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        assert!(found, "`{tool}` is missing: apt-get install util-linux");
    }
}

/// A tempdir with `jobs/`, turned into a bundle and booted.
pub struct Scenario {
    pub dir: tempfile::TempDir,
}

impl Scenario {
    pub fn new() -> Scenario {
        require_root();
        let dir = tempfile::Builder::new()
            .prefix("upinit-test-")
            .tempdir()
            .expect("tempdir");
        // Others (a `setuid` job, an unprivileged client) reach the
        // files in it.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        fs::create_dir_all(dir.path().join("jobs")).expect("jobs dir");
        Scenario { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The path as a string, for job files and arguments.
    pub fn p(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    /// Writes `jobs/NAME.conf`.
    pub fn job(&self, name: &str, text: &str) -> &Scenario {
        let path = self.path(&format!("jobs/{name}.conf"));
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).expect("job dir");
        }
        fs::write(path, text).expect("write job");
        self
    }

    /// `upc build jobs -o FILE`.
    pub fn build_to(&self, file: &str) -> PathBuf {
        let out = self.path(file);
        let run = Command::new(upc_bin())
            .arg("build")
            .arg(self.path("jobs"))
            .arg("-o")
            .arg(&out)
            .output()
            .expect("run upc");
        assert!(
            run.status.success(),
            "upc build failed:\n{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        out
    }

    pub fn bundle(&self) -> PathBuf {
        self.build_to("init.bundle")
    }

    /// Builds the bundle and boots a system init with the console
    /// captured, a socket, a log directory and a trace in the tempdir, and
    /// `extra` arguments.
    pub fn boot(&self, extra: &[&str]) -> Init {
        let bundle = self.bundle();
        self.boot_bundle(&bundle, extra)
    }

    pub fn boot_bundle(&self, bundle: &Path, extra: &[&str]) -> Init {
        let mut args: Vec<String> = vec![
            "--bundle".into(),
            bundle.display().to_string(),
            "--socket".into(),
            self.p("upinit.sock"),
            "--logdir".into(),
            self.p("logs"),
            "--trace".into(),
            self.p("trace.jsonl"),
            "--capture-console".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        self.start(&[], None, &args)
    }

    /// Starts `upinit ARGS` as PID 1 of new namespaces. `setup` is shell
    /// run in the namespace first (bind mounts for a chroot or a passwd);
    /// `unshare` adds flags to unshare's own.
    pub fn start(&self, unshare: &[&str], setup: Option<&str>, args: &[String]) -> Init {
        let stdout = self.path("stdout");
        let stderr = self.path("stderr");
        let mut cmd = Command::new("unshare");
        cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL"]);
        cmd.args(unshare);
        if let Some(script) = setup {
            cmd.args(["/bin/sh", "-ec", &format!("{script}\nexec \"$@\""), "sh"]);
        }
        cmd.arg(upinit_bin()).args(args);
        cmd.current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout).expect("stdout file"))
            .stderr(fs::File::create(&stderr).expect("stderr file"));
        let child = cmd.spawn().expect("unshare");
        Init {
            child,
            dir: self.dir.path().to_path_buf(),
            socket: self.path("upinit.sock"),
            stdout,
            stderr,
            trace: self.path("trace.jsonl"),
            logs: self.path("logs"),
            exited: None,
        }
    }
}

/// A running init, seen from outside its namespace.
pub struct Init {
    pub child: Child,
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    pub trace: PathBuf,
    pub logs: PathBuf,
    exited: Option<ExitStatus>,
}

/// What a upctl run printed.
#[derive(Debug)]
pub struct Ctl {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

impl Init {
    /// An init started by the test itself (through `unshare`, as
    /// [`Scenario::start`] does), with its output in the scenario's
    /// `stdout` and `stderr` files.
    pub fn attach(child: Child, s: &Scenario, socket: PathBuf) -> Init {
        Init {
            child,
            dir: s.dir.path().to_path_buf(),
            socket,
            stdout: s.path("stdout"),
            stderr: s.path("stderr"),
            trace: s.path("trace.jsonl"),
            logs: s.path("logs"),
            exited: None,
        }
    }

    /// The jobs' console lines (captured).
    pub fn console(&self) -> String {
        read(&self.stdout)
    }

    /// Init's own messages.
    pub fn messages(&self) -> String {
        read(&self.stderr)
    }

    /// The trace records so far (a line still being written is skipped).
    pub fn trace(&self) -> Vec<Value> {
        read(&self.trace)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// A job's log file.
    pub fn log(&self, name: &str) -> String {
        read(&self.logs.join(name))
    }

    fn report(&self) -> String {
        format!(
            "--- console:\n{}--- messages:\n{}--- trace (last 40):\n{}",
            self.console(),
            self.messages(),
            read(&self.trace)
                .lines()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        )
    }

    /// Waits until `check` holds; panics with everything init said if it
    /// does not within [`PATIENCE`].
    pub fn wait_until(&self, what: &str, check: impl Fn(&Init) -> bool) {
        let start = Instant::now();
        while !check(self) {
            if start.elapsed() > PATIENCE {
                panic!("timed out waiting for {what}\n{}", self.report());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_console(&self, needle: &str) {
        self.wait_until(&format!("`{needle}` on the console"), |i| {
            i.console().contains(needle)
        });
    }

    pub fn wait_message(&self, needle: &str) {
        self.wait_until(&format!("`{needle}` in init's messages"), |i| {
            i.messages().contains(needle)
        });
    }

    /// Waits for a trace record with these fields.
    pub fn wait_record(&self, fields: &[(&str, &str)]) -> Value {
        let matches = |v: &Value| {
            fields
                .iter()
                .all(|(k, want)| v.get(*k).is_some_and(|got| got.as_str() == Some(*want)))
        };
        self.wait_until(&format!("a trace record {fields:?}"), |i| {
            i.trace().iter().any(matches)
        });
        self.trace()
            .into_iter()
            .find(matches)
            .unwrap_or(Value::Null)
    }

    /// Waits for the job's instance to reach `state`.
    pub fn wait_state(&self, job: &str, state: &str) {
        self.wait_record(&[("kind", "state"), ("job", job), ("to", state)]);
    }

    /// Waits until the socket answers.
    pub fn wait_ready(&self) {
        self.wait_until("the control socket", |i| {
            std::os::unix::net::UnixStream::connect(&i.socket).is_ok()
        });
    }

    /// Runs `upctl --socket SOCKET ARGS` as root.
    pub fn ctl(&self, args: &[&str]) -> Ctl {
        self.ctl_cmd(Command::new(upctl_bin()), args)
    }

    /// Runs upctl as an unprivileged user (a copy of the binary in the
    /// tempdir, which that user can reach).
    pub fn ctl_as_nobody(&self, args: &[&str]) -> Ctl {
        let copy = self.dir.join("upctl");
        if !copy.exists() {
            fs::copy(upctl_bin(), &copy).expect("copy upctl");
        }
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .arg(&copy);
        self.ctl_cmd(cmd, args)
    }

    /// Runs upctl under the name `initctl` (as Upstart's tools call it;
    /// its messages then say `initctl:`) with its output in files, giving
    /// up after `within`: a command that does not return is an answer too
    /// (`code` -1).
    pub fn initctl(&self, args: &[String], within: Duration) -> Ctl {
        let link = self.dir.join("initctl");
        if !link.exists() {
            std::os::unix::fs::symlink(upctl_bin(), &link).expect("symlink initctl");
        }
        let (out, err) = (self.dir.join("initctl.out"), self.dir.join("initctl.err"));
        let mut child = Command::new(&link)
            .arg("--socket")
            .arg(&self.socket)
            .args(args)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out).expect("initctl stdout file"))
            .stderr(fs::File::create(&err).expect("initctl stderr file"))
            .spawn()
            .expect("run initctl");
        let start = Instant::now();
        let code = loop {
            if let Some(status) = child.try_wait().expect("wait for initctl") {
                break status.code().unwrap_or(-1);
            }
            if start.elapsed() > within {
                let _ = child.kill();
                let _ = child.wait();
                break -1;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        Ctl {
            code,
            stdout: read(&out),
            stderr: read(&err),
        }
    }

    fn ctl_cmd(&self, mut cmd: Command, args: &[&str]) -> Ctl {
        let out = cmd
            .arg("--socket")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run upctl");
        Ctl {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// upinit's pid as the host sees it (the child of unshare).
    pub fn host_pid(&self) -> i32 {
        let unshare = self.child.id();
        let path = format!("/proc/{unshare}/task/{unshare}/children");
        let start = Instant::now();
        loop {
            let text = read(Path::new(&path));
            if let Some(pid) = text.split_whitespace().next().and_then(|p| p.parse().ok()) {
                return pid;
            }
            assert!(start.elapsed() < PATIENCE, "upinit did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends a signal to upinit.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.host_pid()), signal).expect("kill");
    }

    /// Waits for unshare to end; its status is upinit's (or 128 + the
    /// signal that ended upinit).
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                self.exited = Some(s);
                return s;
            }
            if start.elapsed() > within {
                panic!("upinit did not end within {within:?}\n{}", self.report());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The processes whose parent is upinit, with their state letter and
    /// command name (as the host's /proc shows them).
    pub fn children(&self) -> Vec<(i32, char, String)> {
        let init = self.host_pid();
        let mut out = Vec::new();
        let Ok(entries) = fs::read_dir("/proc") else {
            return out;
        };
        for e in entries.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let mut stat = String::new();
            if fs::File::open(format!("/proc/{pid}/stat"))
                .and_then(|mut f| f.read_to_string(&mut stat))
                .is_err()
            {
                continue;
            }
            // pid (comm) state ppid ...
            let Some(close) = stat.rfind(')') else {
                continue;
            };
            let comm = stat
                .get(stat.find('(').map_or(0, |o| o + 1)..close)
                .unwrap_or("");
            let rest: Vec<&str> = stat.get(close + 2..).unwrap_or("").split(' ').collect();
            let (Some(state), Some(ppid)) = (rest.first(), rest.get(1)) else {
                continue;
            };
            if ppid.parse::<i32>().ok() == Some(init) {
                out.push((pid, state.chars().next().unwrap_or('?'), comm.to_owned()));
            }
        }
        out
    }
}

impl Drop for Init {
    fn drop(&mut self) {
        if self.exited.is_none() {
            // unshare passes SIGKILL on to upinit (--kill-child), and the
            // namespace ends with its PID 1.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A value of `KEY=VALUE` lines a job wrote to a file.
pub fn field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('=').map(str::to_owned))
}
