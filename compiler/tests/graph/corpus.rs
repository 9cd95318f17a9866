//! The graph checks over every repository folder of the real-world corpus
//! (../shared/corpus/upstart-real): each folder is one job set. Folders are
//! incomplete (their jobs wait on jobs installed by other packages), so
//! unknown-event warnings are expected; a blocking-cycle error is not,
//! because these job sets booted.
//!
//! The corpus stores each file under its path with `/` replaced by `__`
//! (`debian__conf__tty1.conf`); the job's real name is the last component.
//! Run with `--nocapture` to see every finding.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use upc::diag::render::{render, Format, Options, Summary};
use upc::diag::{Code, Severity};
use upc::graph::{self, GraphOptions};

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/upstart-real");
    root.is_dir().then_some(root)
}

/// Checks one folder; returns the rendered graph diagnostics and counts.
fn check_folder(dir: &Path) -> (String, BTreeMap<&'static str, usize>, usize) {
    let mut report = upc::check::check_paths(&[dir.to_path_buf()]);
    // Jobs whose files have errors are left out, as `upc check` does.
    let broken: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .map(|d| d.primary.file)
        .collect();
    let mut excluded = Vec::new();
    let mut jobs = Vec::new();
    for mut job in std::mem::take(&mut report.jobs) {
        job.name = job.name.rsplit("__").next().unwrap_or(&job.name).to_owned();
        if broken.contains(&job.file) || job.override_file.is_some_and(|f| broken.contains(&f)) {
            excluded.push(job.name.clone());
        } else {
            jobs.push(job);
        }
    }
    let opts = GraphOptions {
        excluded_jobs: excluded,
        ..GraphOptions::default()
    };
    let diags = graph::check(&jobs, &opts);
    let mut counts = BTreeMap::new();
    for d in &diags {
        *counts.entry(d.code.as_str()).or_insert(0) += 1;
    }
    let errors = diags
        .iter()
        .filter(|d| d.code == Code::BlockingCycle)
        .count();
    let mut out = codespan_reporting::term::termcolor::NoColor::new(Vec::new());
    let _ = render(
        Format::Short,
        &report.sources,
        &diags,
        Summary::default(),
        Options::default(),
        &mut out,
    );
    (
        String::from_utf8_lossy(&out.into_inner()).into_owned(),
        counts,
        errors,
    )
}

#[test]
fn corpus_job_sets_get_no_graph_errors() {
    let Some(root) = corpus() else {
        eprintln!("corpus not found; skipped");
        return;
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut total: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut with_errors = Vec::new();
    for dir in &dirs {
        let (text, counts, errors) = check_folder(dir);
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !counts.is_empty() {
            println!("== {name} {counts:?}\n{text}");
        }
        for (k, v) in counts {
            *total.entry(k).or_insert(0) += v;
        }
        if errors > 0 {
            with_errors.push(name);
        }
    }
    println!("== total over {} folders: {total:?}", dirs.len());
    assert!(
        with_errors.is_empty(),
        "blocking-cycle errors in {with_errors:?}"
    );
}
