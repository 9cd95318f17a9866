//! Every input that once broke the machine fuzz target
//! (runtime/machine/fuzz/regressions) now passes its checks.

use std::path::Path;

#[test]
fn every_saved_fuzz_input_now_drives_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        upc_machine::testing::drive(&data);
        n += 1;
    }
    assert!(n > 0, "no regression inputs in {}", dir.display());
}
