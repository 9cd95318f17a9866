//! The simulator and the machine it drives: hand-written traces rendered as
//! chains and SVG, the real Upstart traces replayed (`oracle`), and
//! `upc-machine` driven with explicit stimuli (`machine`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod chain;
mod machine;
mod oracle;
mod support;
mod svg;
