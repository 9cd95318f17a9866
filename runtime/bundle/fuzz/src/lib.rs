//! What the bundle fuzz targets share: resealing an input so the fuzzer gets
//! past the checksum and the checks every validated bundle must pass (both
//! from `upc_bundle::testing`, so `cargo test` replays the regressions with
//! the same checks), and the stable-toolchain replay that turns each target
//! into a plain binary.
//!
//! Built with `--cfg fuzzing` (by `cargo fuzz`), a target hands its function
//! to libFuzzer. Built without it, the same function runs over files:
//! `read FILE|DIR...` replays every file (recursively). A panic is the
//! failure either way.

pub use upc_bundle::testing::{exercise, replay, replay_eval, replay_read, reseal};
