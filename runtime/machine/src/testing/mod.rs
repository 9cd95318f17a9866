//! Test support for `upc-machine`, only with the `testing` feature (which
//! only dev-dependencies and the fuzz crate enable; `upinit` never links
//! it): the one harness every machine test drives the machine through.
//!
//! - [`jobs`]: job sets written as expressions (`on("a").and(started("x"))`)
//!   on Upstart's defaults, and their validated bundle;
//! - [`driver`]: the fake spawner and the bounded driver, a fake process
//!   table on a virtual clock that fails on livelock;
//! - [`checks`]: what the driver checks after every step when tracing is
//!   on: every state record starts where the previous one ended and follows
//!   the table of runtime-semantics.md §3.2, and the instances the machine
//!   reports agree with the trace;
//! - [`lines`]: the trace as short lines;
//! - [`fuzz`]: the fuzz target's body, which `cargo test` also replays.
//!
//! Used by this crate's tests (`tests/`), the compiler's job-file tests
//! (`compiler/tests/simulate/machine`) and `fuzz/`. It asserts, so it panics: it
//! may unwrap and index.
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod checks;
pub mod driver;
pub mod fuzz;
pub mod jobs;
pub mod lines;

pub use checks::Track;
pub use driver::*;
pub use fuzz::drive;
pub use jobs::*;
pub use lines::*;
