//! `upinit`, the IO shell around upc-machine: PID 1 of a machine, a user's
//! session supervisor (`--user`) or a container's init (`--container`).
//!
//! - `options`: the command line, by hand;
//! - `boot`: everything fallible, before the point of no return;
//! - `event_loop`: the one thread and its epoll; signals, children,
//!   requests, timers and the shutdown sequences;
//! - `spawn` (parent) and `child` (after fork): starting a process exactly
//!   as runtime-semantics §11 says; the only `unsafe` is in `child`;
//! - `ptrace`, `readiness`: `expect fork`/`daemon` (following a daemon's
//!   forks), `expect notify` and `ready fd` (upc's readiness extensions);
//! - `joblog`: `console log` ptys and files;
//! - `control`: the control socket, server side (PROTOCOL.md);
//! - `pid1`: mounts, the console, reboot(2), the emergency shell;
//! - `trace`, `say`: the JSON Lines trace and init's own messages.
//!
//! Invariants: one thread, no blocking call in the loop except writes to
//! the console, trace and log files; no fallible `?` after the point of no
//! return that could end init; every descriptor init opens is
//! close-on-exec; every child gets a clean signal state; every buffer a
//! peer can fill is bounded.

mod boot;
mod child;
mod control;
mod event_loop;
mod joblog;
pub mod options;
#[cfg_attr(not(target_feature = "crt-static"), allow(dead_code))]
mod passwd;
mod pid1;
mod ptrace;
mod readiness;
mod say;
mod spawn;
mod sys;
mod trace;

/// The `upinit` program: parses the command line and boots. Returns the
/// exit status (a system init that is PID 1 never returns).
pub fn main() -> i32 {
    let o = match options::parse(std::env::args_os().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("upinit: {e}\n{}", options::USAGE);
            return 2;
        }
    };
    if o.help {
        print!("{}", options::USAGE);
        return 0;
    }
    if o.version {
        println!(
            "upinit {} (bundle format {})",
            env!("CARGO_PKG_VERSION"),
            upc_machine::BUNDLE_FORMAT
        );
        return 0;
    }
    boot::boot(o)
}
