//! The throwaway system `upc run` boots: two short-lived stages of `upc`
//! itself (the hidden `upc __sandbox` command) between `upc run` and
//! upinit.
//!
//! ```text
//! upc run ─spawn─► upc __sandbox outer ─spawn─► upc __sandbox init ─exec─► upinit
//!  (host)           new session; unshares       PID 1 of the new PID
//!                   mount, PID, UTS, IPC, net   namespace: assembles the
//!                   (and user) namespaces;      root, mounts /proc,
//!                   says the pid, relays the    pivot_root, console on
//!                   end                         0-2, exec
//! ```
//!
//! Why two stages and no `unsafe`: `unshare(CLONE_NEWPID)` moves only the
//! caller's later children, so the process that becomes PID 1 must be
//! forked after it, and a fresh /proc must be mounted from inside the new
//! PID namespace. `unshare(CLONE_NEWUSER)` needs a single-threaded caller,
//! which a freshly executed `upc` is (the `upc run` process may not be:
//! the checks use a thread pool). Each stage is a new program, so every
//! step is a plain system call through nix and `std::process::Command`,
//! and nothing runs between fork and exec.
//!
//! The root (what jobs see, root or not):
//!
//! | path | what |
//! |---|---|
//! | `/` | a tmpfs (the host directory under it is only a mount point) |
//! | `/usr`, `/bin`, `/sbin`, `/lib*` | the host's, bound read-only (symlinks where the host has symlinks) |
//! | `/usr/local/sbin` | a tmpfs: `upinit`, `upctl` and upctl's other names (`initctl`, `start`, `telinit`, ...), first on init's PATH |
//! | `/etc` | written here: passwd, group (and shadow, as root) copied from the host; an empty fstab; hostname `upc-run`; network/interfaces with `lo` only; mtab; what host programs need to run (ld.so.cache, nsswitch.conf, alternatives); no inittab, no init.d, no rc?.d: no SysV script of the host runs |
//! | `/etc/init.bundle` | the bundle, read-only |
//! | `/dev` | a tmpfs: null, zero, full, random, urandom, tty bound from the host; `kmsg` is /dev/null (the host's kernel log stays out of reach); a new devpts instance; `console` is the pty `upc run` reads |
//! | `/proc` | a new proc of the new PID namespace; `/proc/cmdline` reads as empty (the host's boot options are not this system's: `single` there would start sulogin here), `/proc/sys` read-only |
//! | `/sys` | a new sysfs (of the new network namespace), read-only |
//! | `/run`, `/tmp`, `/var` | tmpfs (`/var/log`, `/var/tmp`, ...) |
//!
//! As root the stages keep the host's user IDs; with `--user` they also
//! unshare a user namespace that maps root inside to the caller outside
//! (`unshare -Ur`), which is how an unprivileged user may mount at all.
//!
//! What it is not: a security boundary. It keeps the job set from
//! touching the host's terminals, mounts, network, host name and kernel
//! log by accident; a hostile job running as root in it can get out.

use std::fs;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::sys::signal::Signal;
use nix::sys::stat::Mode;
use nix::sys::statvfs::{statvfs, FsFlags};
use nix::unistd::{chdir, dup2_stderr, dup2_stdin, dup2_stdout, pivot_root, sethostname, setsid};
use serde::{Deserialize, Serialize};

/// The sandbox's host name.
pub const HOSTNAME: &str = "upc-run";
/// Where the stages put the programs (first on a system init's PATH).
pub const BIN_DIR: &str = "usr/local/sbin";
/// upinit's control socket, inside the sandbox.
pub const SOCKET: &str = "run/upinit.sock";
/// upinit's `--trace` file, inside the sandbox.
pub const TRACE: &str = "run/upinit.trace.jsonl";
/// The bundle, inside the sandbox (upinit's default path).
pub const BUNDLE: &str = "etc/init.bundle";
/// The value of `container` in init's environment (systemd's container
/// interface, which the system set's `container-detect` reads).
pub const CONTAINER: &str = "upc-run";

/// The names upctl answers to that the job sets call (besides `upctl`).
const UPCTL_NAMES: [&str; 11] = [
    "initctl", "start", "stop", "restart", "reload", "status", "telinit", "runlevel", "poweroff",
    "reboot", "halt",
];

/// PATH inside the sandbox (upinit's own for a system init).
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin";

/// What `upc run` tells the stages (one JSON argument).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Spec {
    /// An empty host directory, the new root's mount point.
    pub root: PathBuf,
    /// Unshare a user namespace too, and run `upinit --user`.
    pub user: bool,
    /// The host's programs, bound into the sandbox.
    pub upinit: PathBuf,
    pub upctl: PathBuf,
    /// The built bundle.
    pub bundle: PathBuf,
    /// The pty slave that becomes /dev/console.
    pub console: PathBuf,
    /// A file with the sandbox's kernel command line.
    pub cmdline: PathBuf,
}

/// A failed step, said on stderr (which `upc run` shows).
struct Failed(String);

fn step<T>(what: impl FnOnce() -> String, r: Result<T, Errno>) -> Result<T, Failed> {
    r.map_err(|e| Failed(format!("{}: {}", what(), e.desc())))
}

fn io_step<T>(what: impl FnOnce() -> String, r: io::Result<T>) -> Result<T, Failed> {
    r.map_err(|e| Failed(format!("{}: {e}", what())))
}

/// `upc __sandbox STAGE SPEC`. Returns the process's exit status.
pub fn stage(stage: &str, spec: &str) -> u8 {
    let spec: Spec = match serde_json::from_str(spec) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("upc: sandbox: bad specification: {e}");
            return 2;
        }
    };
    let result = match stage {
        "outer" => outer(&spec),
        "init" => init(&spec).map(|never| match never {}),
        other => Err(Failed(format!("unknown stage `{other}`"))),
    };
    match result {
        Ok(()) => 0,
        Err(Failed(why)) => {
            eprintln!("upc: sandbox: {why}");
            2
        }
    }
}

/// The first stage: a new session (so the terminal's Ctrl-C reaches only
/// `upc run`), the namespaces, then the init stage as the first process
/// of the new PID namespace. Tells `upc run` on stdout `pid N` (its pid
/// on the host) and, when it has ended, `exit N` or `signal N`.
fn outer(spec: &Spec) -> Result<(), Failed> {
    // When `upc run` dies, so does the sandbox (this stage's death kills
    // the init stage in turn, and with it the whole PID namespace).
    step(
        || "cannot ask for the parent's death signal".into(),
        nix::sys::prctl::set_pdeathsig(Signal::SIGKILL),
    )?;
    step(|| "cannot start a session".into(), setsid())?;
    let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
    let mut flags = CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWUTS
        | CloneFlags::CLONE_NEWIPC
        | CloneFlags::CLONE_NEWNET;
    if spec.user {
        flags |= CloneFlags::CLONE_NEWUSER;
    }
    step(
        || {
            if spec.user {
                "cannot create the namespaces (user, mount, PID, UTS, IPC, network); \
                 are unprivileged user namespaces enabled (sysctl kernel.unprivileged_userns_clone, \
                 user.max_user_namespaces)?"
                    .into()
            } else {
                "cannot create the namespaces (mount, PID, UTS, IPC, network)".into()
            }
        },
        unshare(flags),
    )?;
    if spec.user {
        // Root inside is the caller outside; no other id exists there.
        io_step(
            || "cannot write /proc/self/setgroups".into(),
            fs::write("/proc/self/setgroups", "deny"),
        )?;
        io_step(
            || "cannot write /proc/self/uid_map".into(),
            fs::write("/proc/self/uid_map", format!("0 {uid} 1")),
        )?;
        io_step(
            || "cannot write /proc/self/gid_map".into(),
            fs::write("/proc/self/gid_map", format!("0 {gid} 1")),
        )?;
    }
    let exe = io_step(
        || "cannot find the upc program".into(),
        std::env::current_exe(),
    )?;
    let json = serde_json::to_string(spec).map_err(|e| Failed(e.to_string()))?;
    // The init stage's own output goes where this stage's errors go: our
    // stdout is the line protocol with `upc run`.
    let stderr = io_step(
        || "cannot duplicate stderr".into(),
        io::stderr().as_fd().try_clone_to_owned(),
    )?;
    let mut child = io_step(
        || format!("cannot start {}", exe.display()),
        Command::new(&exe)
            .args(["__sandbox", "init", &json])
            .stdin(Stdio::null())
            .stdout(stderr)
            .spawn(),
    )?;
    let mut out = io::stdout().lock();
    let said = writeln!(out, "pid {}", child.id()).and_then(|()| out.flush());
    if said.is_err() {
        // `upc run` is gone: so is the point.
        let _ = child.kill();
    }
    let status = io_step(|| "cannot wait for init".into(), child.wait())?;
    let end = match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        (None, None) => "exit 255".to_owned(),
    };
    let _ = writeln!(out, "{end}").and_then(|()| out.flush());
    Ok(())
}

/// The second stage, PID 1 of the new namespaces: assembles the root,
/// enters it and becomes upinit.
fn init(spec: &Spec) -> Result<std::convert::Infallible, Failed> {
    // The outer stage is in the parent PID namespace, so this is the one
    // way to follow it (its death then kills the whole namespace).
    step(
        || "cannot ask for the parent's death signal".into(),
        nix::sys::prctl::set_pdeathsig(Signal::SIGKILL),
    )?;
    // Nothing mounted from here on may reach the host's mount table.
    step(
        || "cannot make the mounts private".into(),
        mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None::<&str>,
        ),
    )?;
    step(
        || format!("cannot set the host name to {HOSTNAME}"),
        sethostname(HOSTNAME),
    )?;
    let root = Root::new(&spec.root);
    root.assemble(spec)?;
    enter(&spec.root)?;
    console(Path::new("/dev/console"))?;
    let upinit = Path::new("/").join(BIN_DIR).join("upinit");
    let mut command = Command::new(&upinit);
    command.env_clear().env("PATH", PATH);
    if spec.user {
        command
            .args(["--user", "--bundle", &slash(BUNDLE), "--socket"])
            .arg(slash(SOCKET))
            .args(["--logdir", "/var/log/upstart", "--console", "/dev/console"])
            .envs([
                ("HOME", "/root"),
                ("USER", "root"),
                ("LOGNAME", "root"),
                ("XDG_RUNTIME_DIR", "/run/user/0"),
            ]);
    } else {
        command.args(["--bundle", &slash(BUNDLE)]);
    }
    command.env("container", CONTAINER);
    command.args(["--trace", &slash(TRACE)]);
    let e = command.exec();
    Err(Failed(format!("cannot run {}: {e}", upinit.display())))
}

fn slash(inside: &str) -> String {
    format!("/{inside}")
}

/// Puts the console on descriptors 0-2 (the init stage's output went to
/// `upc run`'s pipe until now).
fn console(path: &Path) -> Result<(), Failed> {
    let fd = step(
        || format!("cannot open {}", path.display()),
        open(path, OFlag::O_RDWR | OFlag::O_NOCTTY, Mode::empty()),
    )?;
    step(
        || "cannot put the console on 0-2".into(),
        dup2_stdin(&fd).and(dup2_stdout(&fd)).and(dup2_stderr(&fd)),
    )
}

/// pivot_root into the assembled root; the old root is detached.
fn enter(root: &Path) -> Result<(), Failed> {
    step(|| format!("cannot enter {}", root.display()), chdir(root))?;
    // The new root stacked over the old at `.`: pivot_root(".", ".")
    // needs no directory for the old root, which is then unmounted.
    step(|| "cannot pivot_root".into(), pivot_root(".", "."))?;
    step(
        || "cannot detach the host's root".into(),
        umount2(".", MntFlags::MNT_DETACH),
    )?;
    step(|| "cannot change to /".into(), chdir("/"))
}

/// The host's mount flags that a read-only bind must keep (in a user
/// namespace the kernel refuses a remount that would drop them).
fn locked_flags(path: &Path) -> MsFlags {
    let Ok(st) = statvfs(path) else {
        return MsFlags::empty();
    };
    let f = st.flags();
    let mut flags = MsFlags::empty();
    for (fs, ms) in [
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if f.contains(fs) {
            flags |= ms;
        }
    }
    flags
}

/// The new root being assembled at a host path.
struct Root<'a> {
    at: &'a Path,
}

impl<'a> Root<'a> {
    fn new(at: &'a Path) -> Root<'a> {
        Root { at }
    }

    /// A path inside the new root, as seen from here.
    fn path(&self, inside: &str) -> PathBuf {
        self.at.join(inside.trim_start_matches('/'))
    }

    fn dir(&self, inside: &str, mode: u32) -> Result<PathBuf, Failed> {
        let p = self.path(inside);
        io_step(|| format!("cannot create {inside}"), fs::create_dir_all(&p))?;
        io_step(
            || format!("cannot set the mode of {inside}"),
            fs::set_permissions(&p, fs::Permissions::from_mode(mode)),
        )?;
        Ok(p)
    }

    fn file(&self, inside: &str, text: &[u8], mode: u32) -> Result<PathBuf, Failed> {
        let p = self.path(inside);
        io_step(|| format!("cannot write {inside}"), fs::write(&p, text))?;
        io_step(
            || format!("cannot set the mode of {inside}"),
            fs::set_permissions(&p, fs::Permissions::from_mode(mode)),
        )?;
        Ok(p)
    }

    fn symlink(&self, inside: &str, to: impl AsRef<Path>) -> Result<(), Failed> {
        let to = to.as_ref();
        io_step(
            || format!("cannot link {inside} to {}", to.display()),
            symlink(to, self.path(inside)),
        )
    }

    fn tmpfs(&self, inside: &str, mode: u32, flags: MsFlags) -> Result<PathBuf, Failed> {
        let p = self.path(inside);
        io_step(|| format!("cannot create {inside}"), fs::create_dir_all(&p))?;
        let data = format!("mode={mode:o}");
        step(
            || format!("cannot mount a tmpfs on {inside}"),
            mount(Some("tmpfs"), &p, Some("tmpfs"), flags, Some(data.as_str())),
        )?;
        Ok(p)
    }

    /// Binds a host file or directory at `inside`, read-only.
    fn bind_ro(&self, host: &Path, inside: &str) -> Result<(), Failed> {
        let p = self.bind(host, inside)?;
        let flags =
            MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | locked_flags(host);
        step(
            || format!("cannot make {inside} read-only"),
            mount(None::<&str>, &p, None::<&str>, flags, None::<&str>),
        )
    }

    /// Binds a host file or directory at `inside` (creating the mount
    /// point as a file or a directory to match).
    fn bind(&self, host: &Path, inside: &str) -> Result<PathBuf, Failed> {
        let p = self.path(inside);
        let is_dir = io_step(
            || format!("cannot read {}", host.display()),
            fs::metadata(host),
        )?
        .is_dir();
        if is_dir {
            io_step(|| format!("cannot create {inside}"), fs::create_dir_all(&p))?;
        } else if !p.exists() {
            io_step(|| format!("cannot create {inside}"), fs::write(&p, b""))?;
        }
        step(
            || format!("cannot bind {} on {inside}", host.display()),
            mount(
                Some(host),
                &p,
                None::<&str>,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            ),
        )?;
        Ok(p)
    }

    fn assemble(&self, spec: &Spec) -> Result<(), Failed> {
        let private = MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
        self.tmpfs("", 0o755, private)?;
        self.host_tree()?;
        self.programs(spec)?;
        self.etc(spec)?;
        self.dev(spec)?;
        self.tmpfs("run", 0o755, private)?;
        self.tmpfs("tmp", 0o1777, private)?;
        self.tmpfs("var", 0o755, private)?;
        for (dir, mode) in [
            ("var/log", 0o755),
            ("var/tmp", 0o1777),
            ("var/lib", 0o755),
            ("var/cache", 0o755),
            ("var/spool", 0o755),
            ("root", 0o700),
            ("home", 0o755),
            ("proc", 0o555),
            ("sys", 0o555),
        ] {
            self.dir(dir, mode)?;
        }
        self.symlink("var/run", "../run")?;
        self.symlink("var/lock", "../run/lock")?;
        if spec.user {
            self.dir("run/user/0", 0o700)?;
        }
        // /sys: the new network namespace's view, read-only.
        step(
            || "cannot mount sysfs on /sys".into(),
            mount(
                Some("sysfs"),
                &self.path("sys"),
                Some("sysfs"),
                MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
                None::<&str>,
            ),
        )?;
        self.proc(spec)
    }

    /// The host's programs and libraries: /usr and the top-level
    /// directories (or merged-/usr symlinks) a dynamic program needs.
    fn host_tree(&self) -> Result<(), Failed> {
        for name in ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"] {
            let host = Path::new("/").join(name);
            let Ok(meta) = fs::symlink_metadata(&host) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                let to = io_step(
                    || format!("cannot read the link {}", host.display()),
                    fs::read_link(&host),
                )?;
                self.symlink(name, to)?;
            } else if meta.is_dir() {
                self.bind_ro(&host, name)?;
            }
        }
        Ok(())
    }

    /// upinit and upctl (under its other names too) in /usr/local/sbin, a
    /// tmpfs over the host's, first on init's PATH: the jobs' `initctl`
    /// and `telinit` are upctl, never a host's program of that name.
    fn programs(&self, spec: &Spec) -> Result<(), Failed> {
        let host_dir = Path::new("/").join(BIN_DIR);
        if !host_dir.is_dir() {
            return Err(Failed(format!(
                "{} does not exist on this host: the sandbox puts upinit and upctl there",
                host_dir.display()
            )));
        }
        self.tmpfs(BIN_DIR, 0o755, MsFlags::MS_NOSUID | MsFlags::MS_NODEV)?;
        self.bind_ro(&spec.upinit, &format!("{BIN_DIR}/upinit"))?;
        self.bind_ro(&spec.upctl, &format!("{BIN_DIR}/upctl"))?;
        for name in UPCTL_NAMES {
            self.symlink(&format!("{BIN_DIR}/{name}"), "upctl")?;
        }
        Ok(())
    }

    fn etc(&self, spec: &Spec) -> Result<(), Failed> {
        self.dir("etc", 0o755)?;
        let copy_or = |name: &str, fallback: &str| -> Vec<u8> {
            fs::read(Path::new("/etc").join(name)).unwrap_or_else(|_| fallback.as_bytes().to_vec())
        };
        self.file(
            "etc/passwd",
            &copy_or("passwd", "root:x:0:0:root:/root:/bin/sh\n"),
            0o644,
        )?;
        self.file("etc/group", &copy_or("group", "root:x:0:\n"), 0o644)?;
        if let Ok(shadow) = fs::read("/etc/shadow") {
            self.file("etc/shadow", &shadow, 0o600)?;
        }
        self.file(
            "etc/fstab",
            b"# upc run: the sandbox's file systems are mounted before init starts\n",
            0o644,
        )?;
        self.file("etc/hostname", format!("{HOSTNAME}\n").as_bytes(), 0o644)?;
        self.file(
            "etc/hosts",
            format!("127.0.0.1\tlocalhost\n127.0.1.1\t{HOSTNAME}\n::1\tlocalhost\n").as_bytes(),
            0o644,
        )?;
        self.dir("etc/network", 0o755)?;
        self.file(
            "etc/network/interfaces",
            b"# upc run: a network namespace with the loopback only\nauto lo\niface lo inet loopback\n",
            0o644,
        )?;
        self.symlink("etc/mtab", "../proc/self/mounts")?;
        // What the host's programs need to run: the dynamic linker's
        // cache, name service switch, Debian's alternatives (`awk`), time
        // zone, the system's name.
        for name in ["ld.so.cache", "ld.so.conf", "nsswitch.conf"] {
            if let Ok(text) = fs::read(Path::new("/etc").join(name)) {
                self.file(&format!("etc/{name}"), &text, 0o644)?;
            }
        }
        for name in ["localtime", "os-release"] {
            let host = Path::new("/etc").join(name);
            if let Ok(to) = fs::read_link(&host) {
                self.symlink(&format!("etc/{name}"), to)?;
            } else if let Ok(text) = fs::read(&host) {
                self.file(&format!("etc/{name}"), &text, 0o644)?;
            }
        }
        for name in ["ld.so.conf.d", "alternatives"] {
            let host = Path::new("/etc").join(name);
            if host.is_dir() {
                self.bind_ro(&host, &format!("etc/{name}"))?;
            }
        }
        self.bind_ro(&spec.bundle, BUNDLE)
    }

    /// A minimal /dev: host devices that are harmless, a devpts of its
    /// own, the console pty.
    fn dev(&self, spec: &Spec) -> Result<(), Failed> {
        // `nodev`: a node made here (mknod as root) opens nothing; the
        // bound ones keep the flags of the host's /dev.
        self.tmpfs(
            "dev",
            0o755,
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        )?;
        for name in ["null", "zero", "full", "random", "urandom", "tty"] {
            self.bind(&Path::new("/dev").join(name), &format!("dev/{name}"))?;
        }
        // upinit would make a real /dev/kmsg when it finds none: the
        // host's kernel log is not the sandbox's.
        self.bind(Path::new("/dev/null"), "dev/kmsg")?;
        self.bind(&spec.console, "dev/console")?;
        let pts = self.dir("dev/pts", 0o755)?;
        // gid=5 (tty) exists only when the host's ids do.
        let data = if spec.user {
            "newinstance,ptmxmode=0666,mode=0620"
        } else {
            "newinstance,ptmxmode=0666,mode=0620,gid=5"
        };
        step(
            || "cannot mount devpts on /dev/pts".into(),
            mount(
                Some("devpts"),
                &pts,
                Some("devpts"),
                MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
                Some(data),
            ),
        )?;
        self.symlink("dev/ptmx", "pts/ptmx")?;
        self.dir("dev/shm", 0o1777)?;
        self.symlink("dev/fd", "/proc/self/fd")?;
        for (n, name) in ["stdin", "stdout", "stderr"].iter().enumerate() {
            self.symlink(&format!("dev/{name}"), format!("/proc/self/fd/{n}"))?;
        }
        Ok(())
    }

    /// A proc of the new PID namespace (this process is its PID 1), with
    /// the host's boot options hidden and the kernel's settings read-only.
    fn proc(&self, spec: &Spec) -> Result<(), Failed> {
        let proc = self.path("proc");
        step(
            || "cannot mount proc on /proc".into(),
            mount(
                Some("proc"),
                &proc,
                Some("proc"),
                MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
                None::<&str>,
            ),
        )?;
        self.bind_ro(&spec.cmdline, "proc/cmdline")?;
        let sys = proc.join("sys");
        self.bind_ro(&sys, "proc/sys")?;
        let trigger = proc.join("sysrq-trigger");
        if trigger.exists() {
            self.bind_ro(&trigger, "proc/sysrq-trigger")?;
        }
        Ok(())
    }
}
