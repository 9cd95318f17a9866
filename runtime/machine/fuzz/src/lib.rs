//! What the machine fuzz target needs beyond `upc_machine::testing::drive`
//! (shared with `cargo test`, which replays fuzz/regressions): the
//! stable-toolchain replay that turns the target into a plain binary.

pub use upc_bundle::testing::replay;
pub use upc_machine::testing::drive;
