//! Every saved input of the control-protocol fuzz target
//! (runtime/init/fuzz/regressions) passes the target's own checks, which
//! are compiled in from fuzz/src/check.rs.

#[path = "../fuzz/src/check.rs"]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod check;

use std::path::Path;

#[test]
fn every_saved_fuzz_input_decodes_or_is_refused_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/proto");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        check::proto(&data);
        n += 1;
    }
    assert!(n > 0, "no regression inputs in {}", dir.display());
}
