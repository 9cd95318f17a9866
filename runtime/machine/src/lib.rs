//! `upc-machine`: Upstart's event and job state machine as a pure library.
//!
//! It makes no system call, reads no clock and draws no random number: the
//! driver feeds it stimuli with the time and drains the actions it returns.
//! The machine itself is built by the state-machine issue; this crate exists
//! now so the dependency arrows (`upc` -> `upc-machine` -> `upc-bundle`) are
//! fixed from the first commit.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

/// The bundle format this machine understands.
pub const BUNDLE_FORMAT: u32 = upc_bundle::FORMAT_VERSION;
