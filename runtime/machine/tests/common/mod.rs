//! What the machine's test binaries share: the harness of
//! `upc_machine::testing` (job sets, the fake spawner and the checking
//! driver), and the signal numbers the tests name.
#![allow(dead_code)]

// Not every test binary uses every part.
#[allow(unused_imports)]
pub use upc_machine::testing::*;

#[allow(unused_imports)]
pub use upc_bundle::signals::{SIGCONT, SIGHUP, SIGKILL, SIGTERM};
