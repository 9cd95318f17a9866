//! `upinit`'s library: what the two binaries share.
//!
//! - [`proto`]: the control protocol (PROTOCOL.md), crate `upc-proto`,
//!   which `upc run` shares;
//! - [`ctl`]: `upctl`, the initctl-compatible client;
//! - [`daemon`]: `upinit` itself, the IO shell around upc-machine.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod ctl;
pub mod daemon;
pub use upc_proto as proto;
