//! Test support for `upc-machine`: a small builder for job sets
//! ([`jobs`]), a fake spawner that hands out increasing pids and a bounded
//! driver — a fake process table on a virtual clock — that fails on
//! livelock ([`driver`]).
//!
//! The driver also keeps a running check of the trace: per instance, every
//! state record starts where the previous one ended, follows the table of
//! runtime-semantics.md §3.2, and the instances the machine reports agree
//! with what the trace says. The driver checks this after every step when
//! tracing is on.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod driver;
pub mod jobs;

// Not every test binary uses both halves.
#[allow(unused_imports)]
pub use driver::*;
#[allow(unused_imports)]
pub use jobs::*;

pub const SIGHUP: i32 = 1;
pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;
pub const SIGCONT: i32 = 18;
