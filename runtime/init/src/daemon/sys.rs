//! Small system helpers shared by the daemon's modules.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::fcntl::{fcntl, FcntlArg, OFlag};

/// A descriptor numbered 10 or more (close-on-exec), so a child can place
/// its script on fd 9 and its standard descriptors on 0-2 without
/// overwriting one it still has to copy.
pub fn above_nine(fd: OwnedFd) -> nix::Result<OwnedFd> {
    at_least(fd, 10)
}

/// A descriptor numbered `min` or more (close-on-exec): above a `ready fd
/// N` too, which the child places last.
pub fn at_least(fd: OwnedFd, min: i32) -> nix::Result<OwnedFd> {
    if fd.as_raw_fd() >= min {
        return Ok(fd);
    }
    let raw = fcntl(fd.as_fd(), FcntlArg::F_DUPFD_CLOEXEC(min))?;
    // SAFETY: fcntl just returned this new descriptor, owned by no one else.
    #[allow(unsafe_code)]
    Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(raw) })
}

/// Makes reads and writes of `fd` return EAGAIN instead of blocking.
pub fn set_nonblocking(fd: impl AsFd) -> nix::Result<()> {
    let flags = OFlag::from_bits_truncate(fcntl(fd.as_fd(), FcntlArg::F_GETFL)?);
    fcntl(fd.as_fd(), FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// Gives the heap memory freed after a burst of work (a boot, a reload,
/// a storm of requests) back to the kernel: glibc keeps it otherwise, and
/// an idle init should be small.
pub fn trim_heap() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only releases free memory of the allocator,
    // which nothing else uses concurrently (one thread).
    #[allow(unsafe_code)]
    unsafe {
        nix::libc::malloc_trim(0);
    }
}

/// What `waitpid` says happened to a child (or to a tracee), from the raw
/// status: nix's own conversion refuses a signal it has no name for (a
/// real-time one), which would lose the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildState {
    Exited(i32),
    Signaled(i32),
    /// Stopped by a signal (for a tracee: a signal-delivery stop).
    Stopped(i32),
    /// A ptrace event stop (`status >> 16`), with the stop signal.
    PtraceEvent {
        signal: i32,
        event: i32,
    },
    /// A syscall stop (never asked for).
    Syscall,
    Continued,
}

impl ChildState {
    fn from_raw(status: i32) -> Option<ChildState> {
        use nix::libc;
        Some(if libc::WIFEXITED(status) {
            ChildState::Exited(libc::WEXITSTATUS(status))
        } else if libc::WIFSIGNALED(status) {
            ChildState::Signaled(libc::WTERMSIG(status))
        } else if libc::WIFSTOPPED(status) {
            let signal = libc::WSTOPSIG(status);
            let event = status >> 16;
            if event != 0 {
                ChildState::PtraceEvent { signal, event }
            } else if signal == libc::SIGTRAP | 0x80 {
                ChildState::Syscall
            } else {
                ChildState::Stopped(signal)
            }
        } else if libc::WIFCONTINUED(status) {
            ChildState::Continued
        } else {
            return None;
        })
    }
}

/// `waitpid(-1, WNOHANG | __WALL | WUNTRACED)`: the next child (own,
/// adopted or traced) that changed state, `None` when none did (or there
/// are no children).
pub fn wait_any() -> nix::Result<Option<(u32, ChildState)>> {
    wait_for(-1)
}

/// [`wait_any`] for one process: a pid that a SIGCHLD named. The kernel
/// finds it directly, where `waitpid(-1)` walks every child (with 1,000
/// services, reaping a burst of exits one scan each is quadratic).
pub fn wait_pid(pid: u32) -> nix::Result<Option<(u32, ChildState)>> {
    match i32::try_from(pid) {
        Ok(pid) if pid > 0 => wait_for(pid),
        _ => Ok(None),
    }
}

fn wait_for(target: nix::libc::pid_t) -> nix::Result<Option<(u32, ChildState)>> {
    use nix::libc;
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: waitpid writes the status to a local int.
        #[allow(unsafe_code)]
        let pid = unsafe {
            libc::waitpid(
                target,
                &mut status,
                libc::WNOHANG | libc::__WALL | libc::WUNTRACED,
            )
        };
        if pid > 0 {
            let pid = u32::try_from(pid).unwrap_or(0);
            // A status no macro recognises cannot happen; skip it.
            match ChildState::from_raw(status) {
                Some(state) => return Ok(Some((pid, state))),
                None => continue,
            }
        }
        if pid == 0 {
            return Ok(None);
        }
        match nix::errno::Errno::last() {
            nix::errno::Errno::ECHILD => return Ok(None),
            nix::errno::Errno::EINTR => continue,
            e => return Err(e),
        }
    }
}

/// What an epoll event is about: the kind in the top byte, an id below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    Signals,
    Listener,
    Client(u64),
    /// A spawned process's error pipe, by pid.
    Confirm(u32),
    /// A `console log` pty master, by log id.
    Log(u64),
    /// A long script still being written into a process's fd 9, by pid.
    Script(u32),
    /// The console capture pipe.
    Capture,
    /// A readiness channel (`expect notify` socket, `ready fd` pipe), by
    /// id.
    Ready(u64),
}

const ID_BITS: u32 = 56;
const ID_MASK: u64 = (1 << ID_BITS) - 1;

impl Token {
    pub fn encode(self) -> u64 {
        let (kind, id) = match self {
            Token::Signals => (1, 0),
            Token::Listener => (2, 0),
            Token::Client(id) => (3, id),
            Token::Confirm(pid) => (4, u64::from(pid)),
            Token::Log(id) => (5, id),
            Token::Script(pid) => (6, u64::from(pid)),
            Token::Capture => (7, 0),
            Token::Ready(id) => (8, id),
        };
        (kind << ID_BITS) | (id & ID_MASK)
    }

    pub fn decode(data: u64) -> Option<Token> {
        let id = data & ID_MASK;
        let pid = || u32::try_from(id).ok();
        Some(match data >> ID_BITS {
            1 => Token::Signals,
            2 => Token::Listener,
            3 => Token::Client(id),
            4 => Token::Confirm(pid()?),
            5 => Token::Log(id),
            6 => Token::Script(pid()?),
            7 => Token::Capture,
            8 => Token::Ready(id),
            _ => return None,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for t in [
            Token::Signals,
            Token::Listener,
            Token::Client(77),
            Token::Confirm(4_000_000),
            Token::Log(3),
            Token::Script(12),
            Token::Capture,
            Token::Ready(5),
        ] {
            assert_eq!(Token::decode(t.encode()), Some(t));
        }
        assert_eq!(Token::decode(0), None);
    }
}
