//! Every input that once crashed a fuzz target (compiler/fuzz/regressions)
//! goes through the whole check path again on each `cargo test`: parse,
//! lower, every renderer, and every span inside its text on character
//! boundaries (the invariant the fuzz targets assert).

use std::path::Path;

use codespan_reporting::term::termcolor::NoColor;
use upc::diag::render::{self, Format, Options};

/// Parses, lowers and renders `bytes` in every format; every span inside
/// its text, on character boundaries.
fn assert_checks_cleanly(name: &str, bytes: Vec<u8>) {
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
                "{name}: {} span {s}..{e}",
                d.code.as_str()
            );
            assert!(
                text.is_char_boundary(s) && text.is_char_boundary(e),
                "{name}: {} span {s}..{e} splits a character",
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
        assert!(rendered.is_ok(), "{name}: {format} failed");
    }
}

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
        assert_checks_cleanly(&path.display().to_string(), bytes);
        replayed += 1;
    }
    assert!(
        replayed >= 2,
        "expected the saved reproducers in {}",
        dir.display()
    );
}

/// The fuzz targets' growing moves, shared as a file with compiler/fuzz.
#[path = "../../fuzz/src/grow.rs"]
mod grow;

/// What the custom mutator makes of each seed in a few moves: lines up to
/// 1 MB and thousands of nested `${`, `(`, quotes and continuations.
#[test]
fn grown_long_and_deep_inputs_check_cleanly() {
    let inputs = grow::grown_inputs(6, 1 << 20);
    assert!(inputs.iter().any(|i| i.len() > 100_000));
    for (k, input) in inputs.into_iter().enumerate() {
        assert_checks_cleanly(&format!("grown input {k}"), input);
    }
}

/// `start on e X=` and 200,000 `${` (a 400 KB line) once overflowed the
/// stack: the compiler's own copy of the expansion recursed once per `${`
/// without a bound, on a rayon thread when the file is in a directory. The
/// expansion is now the runtime's, which stops at 64 levels: the file is
/// checked, and the `start on` value is reported as one that never matches
/// at the 65th `${`, where upinit would give up too. Generated here rather
/// than saved, both as a file on its own and inside a directory.
#[test]
fn a_400_kb_line_of_nested_references_is_checked_without_overflowing_the_stack() {
    let line = format!("start on e X={}\n", "${".repeat(200_000));
    let report = upc::check::check_bytes(Path::new("nested.conf"), line.clone().into_bytes());
    let expected = |report: &upc::check::Report| {
        let w0007: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.code == upc::diag::Code::VariableInStartOn)
            .collect();
        assert_eq!(w0007.len(), 1, "{:?}", report.diagnostics);
        assert_eq!(w0007[0].primary.span.start, 13 + 2 * 64);
        assert!(w0007[0].message.contains("never matches"));
        assert!(w0007[0]
            .primary
            .message
            .contains("nested more than 64 deep"));
        assert_eq!(report.errors(), 0);
    };
    expected(&report);

    let dir = std::env::temp_dir().join(format!("upc-nested-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let path = dir.join("nested.conf");
    std::fs::write(&path, &line).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let report = upc::check::check_paths(std::slice::from_ref(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    expected(&report);
}
