//! `upinit`'s library: what the two binaries share.
//!
//! - [`proto`]: the control protocol (PROTOCOL.md), pure.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod proto;
