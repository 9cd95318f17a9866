//! Every input that once crashed a fuzz target (compiler/fuzz/regressions)
//! goes through the whole check path again on each `cargo test`: parse,
//! lower, every renderer, and every span inside its text on character
//! boundaries (the invariant the fuzz targets assert).

use std::path::Path;

use codespan_reporting::term::termcolor::NoColor;
use upc::diag::render::{self, Format, Options};

#[test]
fn every_saved_fuzz_crash_now_checks_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut replayed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let report = upc::check::check_bytes(Path::new("fuzz.conf"), bytes);
        for d in &report.diagnostics {
            for label in std::iter::once(&d.primary).chain(&d.secondary) {
                let text = report
                    .sources
                    .get(label.file)
                    .map(|f| f.text.as_str())
                    .unwrap_or("");
                let (s, e) = (label.span.start as usize, label.span.end as usize);
                assert!(
                    s <= e && e <= text.len(),
                    "{}: {} span {s}..{e}",
                    path.display(),
                    d.code.as_str()
                );
                assert!(
                    text.is_char_boundary(s) && text.is_char_boundary(e),
                    "{}: {} span {s}..{e} splits a character",
                    path.display(),
                    d.code.as_str()
                );
            }
        }
        for format in Format::ALL {
            let mut out = NoColor::new(Vec::new());
            let options = Options {
                summary: true,
                deny_warnings: false,
            };
            let rendered = render::render(
                format,
                &report.sources,
                &report.diagnostics,
                report.summary(),
                options,
                &mut out,
            );
            assert!(rendered.is_ok(), "{}: {format} failed", path.display());
        }
        replayed += 1;
    }
    assert!(
        replayed >= 2,
        "expected the saved reproducers in {}",
        dir.display()
    );
}
