//! The language server's fuzz inputs (compiler/fuzz/lsp-regressions,
//! saved crashes and hand-made edge cases) replayed on every test run.

use std::path::Path;

#[test]
fn every_saved_lsp_fuzz_input_replays_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/lsp-regressions");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_none_or(|e| e != "md"))
        .collect();
    entries.sort();
    for path in &entries {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| upc::lsp::testing::edit_session(&bytes));
        assert!(outcome.is_ok(), "{} fails", path.display());
    }
    assert!(
        entries.len() >= 4,
        "expected the saved inputs in {}",
        dir.display()
    );
}
