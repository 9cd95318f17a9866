//! Snapshot tests: each directory under `tests/fixtures/graph/` is one job
//! set; its graph diagnostics, rendered for people, must equal the
//! `expected.txt` beside it. Set `UPDATE_EXPECT=1` to rewrite the files
//! after a deliberate change (and read the diff).

use std::path::{Path, PathBuf};

use codespan_reporting::term::termcolor::NoColor;
use upc::diag::render::{render, Format, Options, Summary};
use upc::graph::{self, GraphOptions};

fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn rendered(dir: &Path) -> String {
    // Relative paths, so the output does not depend on the checkout.
    let report = upc::check::check_paths(&[dir.to_path_buf()]);
    let diags = graph::check(&report.jobs, &GraphOptions::default());
    let mut out = NoColor::new(Vec::new());
    let _ = render(
        Format::Human,
        &report.sources,
        &diags,
        Summary::default(),
        Options::default(),
        &mut out,
    );
    let text = String::from_utf8_lossy(&out.into_inner()).into_owned();
    let prefix = format!("{}/", dir.display());
    text.replace(&prefix, "")
}

#[test]
fn graph_fixtures_match_their_expected_output() {
    let dirs = fixture_dirs();
    assert!(!dirs.is_empty());
    let mut failed = Vec::new();
    for dir in dirs {
        let got = rendered(&dir);
        let expect_path = dir.join("expected.txt");
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&expect_path, &got)
                .unwrap_or_else(|e| panic!("{}: {e}", expect_path.display()));
            continue;
        }
        let want = std::fs::read_to_string(&expect_path).unwrap_or_default();
        if got != want {
            eprintln!("--- {} differs; got:\n{got}", dir.display());
            failed.push(dir);
        }
    }
    assert!(
        failed.is_empty(),
        "fixtures differ: {failed:?} (UPDATE_EXPECT=1 to rewrite)"
    );
}
