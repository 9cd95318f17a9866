//! Conformance tests: the job-language cases of test-inventory.md (`PJ-*`,
//! `EO-SER-*`, `LX-*`) run through `syntax::parse` and `sema::lower`.
//!
//! Each module is table-driven: every row runs, and a failing test lists
//! every failing row with its case id, the input, what was expected and what
//! was got.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod eo;
mod lx;
mod pj;
mod recovery;
