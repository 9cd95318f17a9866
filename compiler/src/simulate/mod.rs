//! `upc simulate`: drives `upc-machine` with a simulated clock and
//! simulated processes, and renders what happened: the trace, the critical
//! chain and a timeline picture. Starts no process and needs no root.

pub mod chain;
pub mod svg;
