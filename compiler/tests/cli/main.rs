//! The `upc` binary end to end, one test binary (one link): diagnostics in
//! every output format (insta snapshots in `snapshots/`), `build`, the
//! driver options, `graph`, `simulate`, `timeline`, `run` with the real `upinit`, the
//! README's commands and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod bad_input;
mod cli;
mod cli_build;
mod cli_driver;
mod cli_graph;
mod cli_simulate;
mod readme;
mod run;
mod timeline;
