//! What the control-protocol fuzz target needs: the checks (src/check.rs,
//! shared with `cargo test`, which replays fuzz/regressions) and the
//! stable-toolchain replay that turns the target into a plain binary.

mod check;

pub use check::proto;
pub use upc_bundle::testing::replay;
