//! Following a daemon through its forks (`expect fork`/`daemon`,
//! runtime-semantics.md §12): the tracer's side of ptrace.
//!
//! How a process is traced: the child of an `expect fork`/`daemon` main
//! process waits before its exec until init has attached to it with
//! `PTRACE_SEIZE` (options: report forks and execs, as Upstart sets them;
//! no clone or vfork, as Upstart), and init tells it how that went (the
//! "trace gate", see `child.rs`); a refusal (`EPERM` from Yama or a
//! security module) fails the spawn with `unable to set trace: ...`.
//! SEIZE rather than Upstart's `PTRACE_TRACEME`: a seized tracee reports
//! a group-stop as its own event, which `PTRACE_LISTEN` leaves stopped
//! yet wakeable by SIGCONT (a TRACEME tracee cannot be left in a
//! group-stop properly), and a child it forks starts with an event stop
//! rather than a SIGSTOP that could be mistaken for a real one.
//!
//! What this module does with each stop, all inside the one event loop
//! (`waitpid(-1, __WALL)`, never a blocking call):
//! - a fork event: reads the child's pid; once the child's first stop was
//!   seen too (the two come in either order) the machine hears
//!   `Forked { pid, child }` and answers with `PtraceContinue` or
//!   `PtraceDetach` for each, which [`Tracer::resume`] and
//!   [`Tracer::detach`] perform;
//! - the exec event of the spawned process's own exec is passed over;
//!   later ones are `Execed` for the machine;
//! - a signal-delivery stop: the signal is delivered (re-injected);
//! - a group-stop: `PTRACE_LISTEN` (it stays stopped until SIGCONT);
//! - anything else: continued.
//!
//! A tracee that dies is forgotten, and whatever waited on it is let go:
//! a child whose parent died before the hand-over is detached at its
//! first stop, a parent whose child died before its first stop is
//! continued. So no process is left traced or stopped by init.
//!
//! The one `unsafe` here is the `ptrace(2)` call itself (nix cannot send a
//! real-time signal on, nor has `PTRACE_LISTEN`).
#![allow(unsafe_code)]

use std::collections::HashMap;

use nix::errno::Errno;
use nix::libc;
use upc_machine::Stimulus;

use super::sys::ChildState;

/// One traced process.
#[derive(Debug, Default)]
struct Tracee {
    /// A process init spawned (seized before its exec), not one that
    /// came in through a fork.
    spawned: bool,
    /// The spawned process's own exec was seen.
    execed: bool,
    /// A child that came in through a fork: its first stop was seen.
    started: bool,
    /// The tracee whose fork event named it.
    parent: Option<u32>,
    /// Stopped at a fork event: the child it reported, until the machine
    /// has been told.
    child: Option<u32>,
    /// Its parent died before the hand-over: let it go at its first stop.
    orphan: bool,
}

/// The processes init traces.
#[derive(Debug, Default)]
pub struct Tracer {
    tracees: HashMap<u32, Tracee>,
}

/// `ptrace(request, pid, 0, data)`.
fn request(req: RequestKind, pid: u32, data: usize) -> Result<(), Errno> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| Errno::ESRCH)?;
    let req = match req {
        RequestKind::Seize => libc::PTRACE_SEIZE,
        RequestKind::Cont => libc::PTRACE_CONT,
        RequestKind::Detach => libc::PTRACE_DETACH,
        RequestKind::Listen => libc::PTRACE_LISTEN,
    };
    // SAFETY: these requests take no pointer: `addr` is null and `data`
    // an integer (options or a signal number); the kernel checks the pid.
    let r = unsafe {
        libc::ptrace(
            req,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            data as *mut libc::c_void,
        )
    };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
enum RequestKind {
    Seize,
    Cont,
    Detach,
    Listen,
}

/// `PTRACE_GETEVENTMSG`: the new child's pid at a fork event.
fn event_message(pid: u32) -> Result<u32, Errno> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| Errno::ESRCH)?;
    let mut msg: libc::c_ulong = 0;
    // SAFETY: GETEVENTMSG writes one c_ulong to `data`, which points to a
    // local of that type.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_GETEVENTMSG,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            std::ptr::addr_of_mut!(msg).cast::<libc::c_void>(),
        )
    };
    if r < 0 {
        return Err(Errno::last());
    }
    u32::try_from(msg).map_err(|_| Errno::EINVAL)
}

/// The options every tracee gets: report forks and execs (Upstart's).
fn options() -> usize {
    (libc::PTRACE_O_TRACEFORK | libc::PTRACE_O_TRACEEXEC) as usize
}

fn is_stop_signal(signal: i32) -> bool {
    matches!(
        signal,
        libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
    )
}

impl Tracer {
    /// Attaches to a process init just forked (before it execs). The
    /// error is the child's spawn failure (`unable to set trace`).
    pub fn seize(&mut self, pid: u32) -> Result<(), Errno> {
        request(RequestKind::Seize, pid, options())?;
        self.tracees.insert(
            pid,
            Tracee {
                spawned: true,
                ..Tracee::default()
            },
        );
        Ok(())
    }

    /// Whether init traces `pid`.
    pub fn traces(&self, pid: u32) -> bool {
        self.tracees.contains_key(&pid)
    }

    /// The children tracees' forks brought in whose first stop has not
    /// been seen. A child stops as it starts, often before init has read
    /// its parent's fork event, and the two SIGCHLDs then merge into one
    /// that names the parent: the caller looks for these stops at once
    /// rather than at the next full reap.
    pub fn unstarted(&self) -> Vec<u32> {
        self.tracees
            .iter()
            .filter(|(_, t)| !t.spawned && !t.started)
            .map(|(&pid, _)| pid)
            .collect()
    }

    /// A traced process (or, for a ptrace event, a child a tracee's fork
    /// brought in) stopped: deals with it, and returns what the machine
    /// must hear. `None`: not a trace stop (an untraced child stopped by a
    /// signal), for the caller to handle.
    pub fn stopped(&mut self, pid: u32, state: ChildState) -> Option<Vec<Stimulus>> {
        match state {
            ChildState::PtraceEvent { signal, event } => Some(self.event(pid, signal, event)),
            ChildState::Stopped(signal) if self.traces(pid) => {
                // A signal on its way to the tracee: deliver it.
                self.restart(pid, RequestKind::Cont, signal);
                Some(Vec::new())
            }
            ChildState::Syscall if self.traces(pid) => {
                self.restart(pid, RequestKind::Cont, 0);
                Some(Vec::new())
            }
            _ => None,
        }
    }

    fn event(&mut self, pid: u32, signal: i32, event: i32) -> Vec<Stimulus> {
        match event {
            libc::PTRACE_EVENT_FORK => self.fork(pid),
            libc::PTRACE_EVENT_STOP => self.event_stop(pid, signal),
            libc::PTRACE_EVENT_EXEC => {
                let t = self.tracees.entry(pid).or_default();
                if t.spawned && !t.execed {
                    // The exec of the job's own program: the trace is
                    // established (Upstart's first SIGTRAP).
                    t.execed = true;
                    self.restart(pid, RequestKind::Cont, 0);
                    Vec::new()
                } else {
                    vec![Stimulus::Execed { pid }]
                }
            }
            _ => {
                self.restart(pid, RequestKind::Cont, 0);
                Vec::new()
            }
        }
    }

    /// A tracee stopped at a fork: its child is traced too and starts
    /// stopped.
    fn fork(&mut self, pid: u32) -> Vec<Stimulus> {
        let child = match event_message(pid) {
            Ok(c) => c,
            // It died meanwhile (SIGKILL): its exit comes next.
            Err(_) => return Vec::new(),
        };
        self.tracees.entry(pid).or_default().child = Some(child);
        let c = self.tracees.entry(child).or_default();
        c.parent = Some(pid);
        if c.started {
            vec![Stimulus::Forked { pid, child }]
        } else {
            Vec::new()
        }
    }

    /// A `PTRACE_EVENT_STOP`: a forked child's first stop, a group-stop,
    /// or the wake-up after one.
    fn event_stop(&mut self, pid: u32, signal: i32) -> Vec<Stimulus> {
        let t = self.tracees.entry(pid).or_default();
        if !t.spawned && !t.started {
            t.started = true;
            if t.orphan {
                self.detach(pid);
                return Vec::new();
            }
            let parent = t.parent;
            let claimed = parent
                .and_then(|p| self.tracees.get(&p))
                .is_some_and(|p| p.child == Some(pid));
            return match parent {
                Some(parent) if claimed => vec![Stimulus::Forked {
                    pid: parent,
                    child: pid,
                }],
                // The parent's fork event has not been read yet.
                _ => Vec::new(),
            };
        }
        if is_stop_signal(signal) {
            // A group-stop: it stays stopped, and SIGCONT wakes it (which
            // is reported as another event stop).
            self.restart(pid, RequestKind::Listen, 0);
        } else {
            self.restart(pid, RequestKind::Cont, 0);
        }
        Vec::new()
    }

    fn restart(&mut self, pid: u32, how: RequestKind, signal: i32) {
        let data = usize::try_from(signal).unwrap_or(0);
        // ESRCH: it died meanwhile (SIGKILL); its exit comes next.
        let _ = request(how, pid, data);
    }

    /// The machine lets a traced process run on (`PtraceContinue`), still
    /// traced.
    pub fn resume(&mut self, pid: u32) {
        if let Some(t) = self.tracees.get_mut(&pid) {
            t.child = None;
            self.restart(pid, RequestKind::Cont, 0);
        }
    }

    /// The machine stops following a process (`PtraceDetach`): it runs on
    /// untraced.
    pub fn detach(&mut self, pid: u32) {
        if self.tracees.remove(&pid).is_some() {
            // ESRCH: it is gone, or (never, here) running; either way it is
            // no longer ours.
            let _ = request(RequestKind::Detach, pid, 0);
        }
    }

    /// A traced process ended: forget it, and let go of whatever waited
    /// on it.
    pub fn exited(&mut self, pid: u32) {
        let Some(t) = self.tracees.remove(&pid) else {
            return;
        };
        // Its child, not handed over yet: detach it now if it is stopped,
        // at its first stop otherwise.
        if let Some(child) = t.child {
            let started = self.tracees.get(&child).is_some_and(|c| c.started);
            if started {
                self.detach(child);
            } else if let Some(c) = self.tracees.get_mut(&child) {
                c.orphan = true;
            }
        }
        // It died before its first stop: its parent waits at the fork.
        if let Some(parent) = t.parent.filter(|_| !t.started) {
            if let Some(p) = self.tracees.get_mut(&parent) {
                if p.child == Some(pid) {
                    p.child = None;
                    self.restart(parent, RequestKind::Cont, 0);
                }
            }
        }
    }
}
