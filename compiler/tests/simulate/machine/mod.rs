//! `upc-machine` driven with explicit stimuli: each test pins one rule of
//! runtime-semantics.md (the worked timelines of §20, then the job-state,
//! event and process behaviours of test-inventory.md §6–§8).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod rig;

mod events;
mod lifecycle;
mod processes;
mod requests;
mod timelines;
