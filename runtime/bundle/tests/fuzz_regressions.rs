//! Replays the fuzz regressions (runtime/bundle/fuzz/regressions) through
//! the same checks as the fuzz targets, on stable, in `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use upc_bundle::testing::{replay_eval, replay_read};

fn replay(dir: &str, target: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(dir);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        target(&std::fs::read(&path).unwrap());
        n += 1;
    }
    n
}

#[test]
fn read_regressions() {
    assert!(replay("read", replay_read) > 0);
}

#[test]
fn eval_regressions() {
    assert!(replay("eval", replay_eval) > 0);
}
