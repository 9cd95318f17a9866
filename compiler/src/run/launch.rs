//! `upc run`'s side of the sandbox: the files it hands in (a temporary
//! directory on the host), the console pty, the outer stage's process and
//! its line protocol, and the clean-up, which also happens when `upc run`
//! fails half-way (the [`Launch`] is dropped).

use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{fcntl, open, FcntlArg, OFlag};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt, PtyMaster};
use nix::sys::stat::Mode;

use super::sandbox::Spec;
use super::RunError;

/// upinit and upctl, as `upc run` found them.
#[derive(Debug, Clone)]
pub struct Programs {
    pub upinit: PathBuf,
    pub upctl: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

impl Programs {
    /// `--upinit PATH`, else the `upinit` beside the running `upc` (how
    /// Cargo builds them: target/release/), else the one on PATH; upctl
    /// beside the upinit chosen, else on PATH.
    pub fn find(chosen: Option<&Path>) -> Result<Programs, RunError> {
        let beside_upc = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|d| d.join("upinit")))
            .filter(|p| p.is_file());
        let upinit = match chosen {
            Some(p) if p.is_file() => p.to_path_buf(),
            Some(p) => {
                return Err(RunError::Setup(format!(
                    "--upinit {}: no such file",
                    p.display()
                )))
            }
            None => beside_upc.or_else(|| on_path("upinit")).ok_or_else(|| {
                RunError::Setup(
                    "upinit is neither beside upc nor on PATH: build it with \
                     `cargo build --release -p upinit` (or name it with --upinit PATH)"
                        .into(),
                )
            })?,
        };
        let upctl = upinit
            .parent()
            .map(|d| d.join("upctl"))
            .filter(|p| p.is_file())
            .or_else(|| on_path("upctl"))
            .ok_or_else(|| {
                RunError::Setup(format!(
                    "upctl is neither beside {} nor on PATH: build it with \
                     `cargo build --release -p upinit`",
                    upinit.display()
                ))
            })?;
        // The sandbox binds the files themselves: resolve links now.
        let real = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        Ok(Programs {
            upinit: real(&upinit),
            upctl: real(&upctl),
        })
    }
}

/// What the outer stage said on its stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageLine {
    /// The sandbox's init, by its pid on the host.
    Pid(u32),
    /// Init exited with this status.
    Exit(i32),
    /// Init was killed by this signal (SIGINT: it powered off).
    Signal(i32),
}

fn parse_stage_line(line: &str) -> Option<StageLine> {
    let (word, n) = line.trim_end().split_once(' ')?;
    match word {
        "pid" => n.parse().ok().map(StageLine::Pid),
        "exit" => n.parse().ok().map(StageLine::Exit),
        "signal" => n.parse().ok().map(StageLine::Signal),
        _ => None,
    }
}

/// A sandbox being booted: the host directory, the pty, the outer stage.
pub struct Launch {
    dir: PathBuf,
    /// The console's master side, non-blocking.
    pub console: PtyMaster,
    /// A descriptor of the slave side kept open, so reading the master
    /// never fails while no process has the console open.
    _console_slave: OwnedFd,
    child: Child,
    stdout: BufReader<ChildStdout>,
    stderr: Option<ChildStderr>,
    /// The sandbox's init, by its pid on the host.
    pub pid: u32,
    waited: bool,
}

impl Launch {
    /// Writes the bundle and the files the stages need, opens the pty and
    /// starts the outer stage; returns once it has said its init's pid.
    pub fn start(bundle: &[u8], programs: &Programs, user: bool) -> Result<Launch, RunError> {
        let setup = |what: &str, e: &dyn std::fmt::Display| RunError::Setup(format!("{what}: {e}"));
        let dir = std::env::temp_dir().join(format!(
            "upc-run-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| setup(&format!("cannot create {}", dir.display()), &e))?;
        // From here on, dropping the launch removes the directory.
        let console = open_console().map_err(|e| setup("cannot open a pty for the console", &e));
        let (console, slave, slave_path) = match console {
            Ok(c) => c,
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let spec = Spec {
            root: dir.join("root"),
            user,
            upinit: programs.upinit.clone(),
            upctl: programs.upctl.clone(),
            bundle: dir.join("init.bundle"),
            console: slave_path,
            cmdline: dir.join("cmdline"),
        };
        let written = fs::create_dir(&spec.root)
            .and_then(|()| fs::write(&spec.bundle, bundle))
            // No boot options: the host's are not this system's.
            .and_then(|()| fs::write(&spec.cmdline, "\n"));
        let spawned = written
            .map_err(|e| setup(&format!("cannot write to {}", dir.display()), &e))
            .and_then(|()| {
                let exe = std::env::current_exe()
                    .map_err(|e| setup("cannot find the upc program", &e))?;
                let json = serde_json::to_string(&spec)
                    .map_err(|e| setup("cannot describe the sandbox", &e))?;
                Command::new(&exe)
                    .args(["__sandbox", "outer", &json])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .map_err(|e| setup(&format!("cannot start {}", exe.display()), &e))
            });
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let (Some(stdout), stderr) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            let _ = fs::remove_dir_all(&dir);
            return Err(RunError::Setup("the sandbox's output is missing".into()));
        };
        let mut launch = Launch {
            dir,
            console,
            _console_slave: slave,
            child,
            stdout: BufReader::new(stdout),
            stderr,
            pid: 0,
            waited: false,
        };
        match launch.read_stage_line()? {
            Some(StageLine::Pid(pid)) => {
                launch.pid = pid;
                Ok(launch)
            }
            _ => Err(RunError::Setup(launch.failure_text())),
        }
    }

    /// The next line of the outer stage (`None` at its end). Blocks: the
    /// stage writes `pid N` at once and its last line when init ended.
    pub fn read_stage_line(&mut self) -> Result<Option<StageLine>, RunError> {
        let mut line = String::new();
        loop {
            line.clear();
            match self.stdout.read_line(&mut line) {
                Ok(0) => return Ok(None),
                Ok(_) => {
                    if let Some(l) = parse_stage_line(&line) {
                        return Ok(Some(l));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(RunError::Setup(format!(
                        "cannot read from the sandbox: {e}"
                    )))
                }
            }
        }
    }

    /// What the stages said on stderr, once they have ended (their reason
    /// for failing).
    pub fn failure_text(&mut self) -> String {
        let mut text = String::new();
        if let Some(mut e) = self.stderr.take() {
            let _ = e.read_to_string(&mut text);
        }
        let _ = self.wait();
        let text = text.trim();
        if text.is_empty() {
            "the sandbox ended before init started".to_owned()
        } else {
            text.to_owned()
        }
    }

    pub fn stage_stdout(&self) -> BorrowedFd<'_> {
        self.stdout.get_ref().as_fd()
    }

    pub fn stage_stderr(&self) -> Option<BorrowedFd<'_>> {
        self.stderr.as_ref().map(AsFd::as_fd)
    }

    /// Reads what the stages wrote on stderr (call when it is readable);
    /// `None` at its end.
    pub fn read_stderr(&mut self) -> Option<Vec<u8>> {
        let e = self.stderr.as_mut()?;
        let mut buf = [0u8; 4096];
        match e.read(&mut buf) {
            Ok(0) | Err(_) => {
                self.stderr = None;
                None
            }
            Ok(n) => Some(buf.get(..n).unwrap_or_default().to_vec()),
        }
    }

    /// A path inside the sandbox, reached from the host through its init's
    /// root (`/proc/PID/root`): no mount on the host is needed.
    pub fn inside(&self, path: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root/{path}", self.pid))
    }

    /// Ends the sandbox at once: the outer stage dies, and with it (its
    /// death signal) init and every process of the namespace.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }

    fn wait(&mut self) -> io::Result<()> {
        if !self.waited {
            self.child.wait()?;
            self.waited = true;
        }
        Ok(())
    }

    /// Waits up to `patience` for the stage to end.
    pub fn wait_for_end(&mut self, patience: Duration) -> bool {
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) => {
                    self.waited = true;
                    return true;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(_) => return false,
            }
        }
        false
    }
}

impl Drop for Launch {
    fn drop(&mut self) {
        if !self.waited {
            self.kill();
            let _ = self.wait();
        }
        // The root's tmpfs was mounted only in the sandbox's mount
        // namespace, which ended with its last process: on the host the
        // directory is an empty one.
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A pty whose slave becomes the sandbox's /dev/console: the master
/// (non-blocking), an open descriptor of the slave, the slave's path.
fn open_console() -> nix::Result<(PtyMaster, OwnedFd, PathBuf)> {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let path = PathBuf::from(ptsname_r(&master)?);
    let slave = open(
        &path,
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let flags = OFlag::from_bits_truncate(fcntl(master.as_fd(), FcntlArg::F_GETFL)?);
    fcntl(master.as_fd(), FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok((master, slave, path))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_outer_stage_speaks_three_kinds_of_line() {
        assert_eq!(parse_stage_line("pid 4242\n"), Some(StageLine::Pid(4242)));
        assert_eq!(parse_stage_line("exit 1\n"), Some(StageLine::Exit(1)));
        assert_eq!(parse_stage_line("signal 2\n"), Some(StageLine::Signal(2)));
        assert_eq!(parse_stage_line("pid x\n"), None);
        assert_eq!(parse_stage_line("hello\n"), None);
    }
}
