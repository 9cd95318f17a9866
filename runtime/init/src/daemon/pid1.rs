//! What only PID 1 of a machine does (runtime-semantics §16): mount the
//! kernel's file systems when they are missing, put the console on
//! descriptors 0-2, take Ctrl-Alt-Del and the keyboard request as signals,
//! run an emergency shell when there is no job set, and end the system
//! with reboot(2).
//!
//! In a PID namespace (the tests) the file systems are usually there
//! already and nothing is mounted; `reboot(RB_DISABLE_CAD)` fails with
//! EINVAL, which is fine; `reboot(RB_POWER_OFF)` ends init with SIGINT
//! instead of powering off (tools/README.md).

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::mount::{mount, MsFlags};
use nix::sys::reboot::{reboot, set_cad_enabled, RebootMode};
use nix::sys::stat::{makedev, mknod, stat, Mode, SFlag};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{dup2_stderr, dup2_stdin, dup2_stdout, pipe2, sync};

use super::child::{self, Console, Exec, Plan, Stdio};
use super::sys::above_nine;
use crate::proto::Power;

/// Whether `path` is a mount point: its device differs from its parent's.
fn is_mountpoint(path: &str) -> bool {
    let parent = Path::new(path)
        .parent()
        .map_or_else(|| "/".to_owned(), |p| p.display().to_string());
    match (stat(path), stat(parent.as_str())) {
        (Ok(a), Ok(b)) => a.st_dev != b.st_dev,
        _ => false,
    }
}

fn mount_fs(
    source: &str,
    target: &str,
    fstype: &str,
    flags: MsFlags,
    data: Option<&str>,
) -> Result<(), String> {
    std::fs::create_dir_all(target).map_err(|e| format!("cannot create {target}: {e}"))?;
    mount(Some(source), target, Some(fstype), flags, data)
        .map_err(|e| format!("cannot mount {fstype} on {target}: {}", e.desc()))
}

/// Mounts /proc, /sys, /dev (devtmpfs, with devpts) and /run (tmpfs)
/// where nothing is mounted yet, and creates the device nodes init and
/// jobs need. Returns what could not be done (to be said on the console).
pub fn mount_filesystems() -> Vec<String> {
    let mut problems = Vec::new();
    let safe = MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC | MsFlags::MS_NODEV;
    let mut attempt = |r: Result<(), String>| {
        if let Err(e) = r {
            problems.push(e);
        }
    };
    if !Path::new("/dev/ptmx").exists() || !Path::new("/dev/pts").exists() {
        attempt(mount_fs(
            "devtmpfs",
            "/dev",
            "devtmpfs",
            MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
            Some("mode=0755"),
        ));
    }
    if !is_mountpoint("/dev/pts") {
        attempt(mount_fs(
            "devpts",
            "/dev/pts",
            "devpts",
            MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
            Some("gid=5,mode=0620,ptmxmode=0666"),
        ));
    }
    for (name, major, minor, mode) in [
        ("/dev/null", 1, 3, 0o666),
        ("/dev/tty", 5, 0, 0o666),
        ("/dev/console", 5, 1, 0o600),
        ("/dev/kmsg", 1, 11, 0o600),
        ("/dev/ptmx", 5, 2, 0o666),
    ] {
        if !Path::new(name).exists() {
            let r = mknod(
                name,
                SFlag::S_IFCHR,
                Mode::from_bits_truncate(mode),
                makedev(major, minor),
            );
            attempt(r.map_err(|e| format!("cannot create {name}: {}", e.desc())));
        }
    }
    if !is_mountpoint("/proc") {
        attempt(mount_fs("proc", "/proc", "proc", safe, None));
    }
    if !is_mountpoint("/sys") {
        attempt(mount_fs("sysfs", "/sys", "sysfs", safe, None));
    }
    if !is_mountpoint("/run") {
        attempt(mount_fs(
            "tmpfs",
            "/run",
            "tmpfs",
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
            Some("mode=0755"),
        ));
    }
    problems
}

/// Puts `console` (falling back to /dev/null) on descriptors 0, 1 and 2.
pub fn attach_console(console: &Path) -> Result<(), String> {
    let fd = open(console, OFlag::O_RDWR | OFlag::O_NOCTTY, Mode::empty())
        .or_else(|_| open("/dev/null", OFlag::O_RDWR, Mode::empty()))
        .map_err(|e| {
            format!(
                "cannot open {} or /dev/null: {}",
                console.display(),
                e.desc()
            )
        })?;
    let r = dup2_stdin(&fd).and(dup2_stdout(&fd)).and(dup2_stderr(&fd));
    if fd.as_raw_fd() > 2 {
        drop(fd);
    } else {
        // The descriptor is one of 0-2 itself: keep it open.
        std::mem::forget(fd);
    }
    r.map_err(|e| format!("cannot attach the console: {}", e.desc()))
}

/// Asks the kernel to send SIGINT for Ctrl-Alt-Del rather than reboot.
/// EINVAL in a PID namespace.
pub fn take_ctrl_alt_del() -> Result<(), Errno> {
    set_cad_enabled(false)
}

/// Asks the console to send SIGWINCH for the keyboard request
/// (Alt-Up); true when it accepted (a virtual terminal).
#[allow(unsafe_code)]
pub fn take_keyboard_request() -> bool {
    const KDSIGACCEPT: nix::libc::c_ulong = 0x4B4E;
    // SAFETY: an ioctl with an integer argument on descriptor 0; a
    // descriptor that is not a virtual terminal refuses it.
    let r = unsafe { nix::libc::ioctl(0, KDSIGACCEPT as _, nix::libc::SIGWINCH) };
    r == 0
}

/// Syncs and calls reboot(2). Returns only if the kernel refused.
pub fn power(action: Power) -> Errno {
    sync();
    let mode = match action {
        Power::Poweroff => RebootMode::RB_POWER_OFF,
        Power::Reboot => RebootMode::RB_AUTOBOOT,
        Power::Halt => RebootMode::RB_HALT_SYSTEM,
    };
    match reboot(mode) {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

/// Runs the emergency shell on `console` (as its controlling terminal;
/// with none, on init's own descriptors 0-2) and waits for it, reaping
/// anything else that ends meanwhile. `command` runs through
/// `/bin/sh -c`; without one, an interactive `/bin/sh`.
pub fn emergency_shell(
    console: Option<&Path>,
    command: Option<&str>,
    null: &OwnedFd,
) -> Result<(), String> {
    let mut argv = vec![c"/bin/sh".to_owned()];
    if let Some(cmd) = command {
        argv.push(c"-c".to_owned());
        argv.push(
            CString::new(cmd)
                .map_err(|_| "the emergency shell command has a NUL byte".to_owned())?,
        );
    }
    let envp = std::env::vars()
        .filter_map(|(k, v)| CString::new(format!("{k}={v}")).ok())
        .collect();
    let console = match console {
        Some(path) => Console::Open {
            path: CString::new(path.as_os_str().as_encoded_bytes())
                .map_err(|_| "the console path has a NUL byte".to_owned())?,
            owner: true,
            null: null.as_fd().as_raw_fd(),
        },
        None => Console::Fds([Stdio::Keep; 3]),
    };
    let (_err_r, err_w) = pipe2(OFlag::O_CLOEXEC)
        .and_then(|(r, w)| Ok((r, above_nine(w)?)))
        .map_err(|e| format!("cannot make a pipe: {}", e.desc()))?;
    let plan = Plan {
        err_fd: err_w.as_raw_fd(),
        early: None,
        argv,
        envp,
        script: None,
        console,
        apparmor: None,
        settings: None,
        debug: false,
        trace_gate: None,
        ready_fd: None,
    };
    let exec = Exec::new(&plan);
    let shell = child::fork_and_run(&plan, &exec, 3)
        .map_err(|e| format!("cannot fork the emergency shell: {}", e.desc()))?;
    drop(err_w);
    loop {
        match waitpid(None, None) {
            Ok(WaitStatus::Exited(pid, _) | WaitStatus::Signaled(pid, _, _)) if pid == shell => {
                return Ok(())
            }
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(format!("cannot wait for the emergency shell: {}", e.desc())),
        }
    }
}
