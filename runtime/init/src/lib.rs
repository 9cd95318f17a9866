//! `upinit`'s library: what the two binaries share.
//!
//! - [`proto`]: the control protocol (PROTOCOL.md), pure;
//! - [`ctl`]: `upctl`, the initctl-compatible client.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod ctl;
pub mod proto;
