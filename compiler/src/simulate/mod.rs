//! `upc simulate`: drives `upc-machine` with a simulated clock and
//! simulated processes, and renders what happened: the trace, the critical
//! chain and a timeline picture. Starts no process and needs no root.
//!
//! - `model`: how processes behave and what the operator does (plain data,
//!   and the command-line forms);
//! - `script`: the `initctl` commands a job's own script performs;
//! - `driver`: the event-ordered simulation ([`Simulation`]), with its
//!   scripts in `actor`;
//! - `render`, `json`: the trace as text or as JSON Lines, and the summary;
//! - `chain`, `svg`: the critical chain and the timeline picture;
//! - `replay`: a recorded trace (`upinit --trace`) read back, for the
//!   same chain and picture of a real boot.
//!
//! Nothing here reads a clock, touches a process or does I/O: the CLI
//! writes what these functions return.

mod actor;
pub mod chain;
pub mod driver;
pub mod json;
pub mod model;
pub mod render;
pub mod replay;
pub mod script;
pub mod svg;

pub use driver::{End, Note, Options, Outcome, Record, Simulation, UnknownJob};
pub use model::{Behaviour, Ending, ProcessTable, Script, Step, Verb, Whom};
pub use render::Summary;
