//! Snapshot tests: each directory under `tests/fixtures/graph/` is one job
//! set; its graph diagnostics, rendered for people, must equal its insta
//! snapshot, `snapshots/graph__fixtures__DIR.snap` (review a deliberate
//! change with `cargo insta review`).

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
fn graph_fixtures_match_their_snapshots() {
    let dirs = fixture_dirs();
    assert!(!dirs.is_empty());
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        insta::assert_snapshot!(name, rendered(&dir));
    }
}
