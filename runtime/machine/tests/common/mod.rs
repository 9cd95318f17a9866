//! What the machine's test binaries share: the harness of
//! `upc_machine::testing` (job sets, the fake spawner and the checking
//! driver), and the signal numbers the tests name.
#![allow(dead_code)]

// Not every test binary uses every part.
#[allow(unused_imports)]
pub use upc_machine::testing::*;

pub const SIGHUP: i32 = 1;
pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;
pub const SIGCONT: i32 = 18;
