//! The job language: the conformance cases of test-inventory.md, the real
//! corpus, the standard library of jobs, and the fuzzers' regressions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod conformance;
mod corpus;
mod fuzz_regressions;
mod stdlib;
