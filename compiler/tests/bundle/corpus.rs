//! `build` on real job sets: the corpus (ubports' Upstart jobs and the
//! whole real-world corpus) and stdlib-jobs build, and the bundle gives back
//! every runtime-relevant field of the IR.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use upc::build;
use upc::check::{check_paths, Report};
use upc::diag::Severity;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/upstart-real")
}

/// The jobs of a report that have no error diagnostic.
fn buildable(report: &Report) -> Vec<upc::sema::JobClass> {
    let bad: std::collections::HashSet<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .map(|d| d.primary.file)
        .collect();
    report
        .jobs
        .iter()
        .filter(|j| !bad.contains(&j.file) && j.override_file.is_none_or(|o| !bad.contains(&o)))
        .cloned()
        .collect()
}

fn round_trip(report: &Report, jobs: &[upc::sema::JobClass]) -> Vec<u8> {
    let bytes = build::build(jobs, &report.sources).unwrap_or_else(|e| panic!("{e}"));
    let bundle = upc_bundle::validate(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let mut expected = build::to_spec(jobs, &report.sources).unwrap();
    expected.jobs.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(bundle.to_spec(), expected);
    // The condition text rebuilt from bytecode is the source tree's.
    for job in jobs {
        let view = bundle.find_job(&job.name).unwrap();
        for (ir, got) in [
            (&job.start_on, view.start_on()),
            (&job.stop_on, view.stop_on()),
        ] {
            assert_eq!(
                ir.as_ref().map(|c| c.expr.canonical()),
                got.map(|c| c.program.canonical()),
                "{}",
                job.name
            );
        }
    }
    bytes
}

#[test]
fn ubports_upstart_builds_and_round_trips() {
    let report = check_paths(&[corpus().join("ubports__upstart")]);
    assert_eq!(report.errors(), 0, "{:#?}", report.diagnostics);
    assert!(!report.jobs.is_empty());
    round_trip(&report, &report.jobs);
}

#[test]
fn whole_corpus_builds_and_round_trips() {
    let report = check_paths(&[corpus()]);
    let jobs = buildable(&report);
    // Job names repeat across projects: build each project on its own.
    let mut by_dir: std::collections::BTreeMap<String, Vec<upc::sema::JobClass>> =
        Default::default();
    for job in jobs {
        let path = report.sources.path(job.file).to_path_buf();
        let project = path
            .strip_prefix(corpus())
            .ok()
            .and_then(|p| p.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        by_dir.entry(project).or_default().push(job);
    }
    assert!(by_dir.len() > 10);
    for jobs in by_dir.values() {
        let mut names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        names.sort();
        names.dedup();
        if names.len() != jobs.len() {
            continue;
        }
        round_trip(&report, jobs);
    }
}

#[test]
fn stdlib_jobs_build() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-jobs");
    if !dir.is_dir() {
        return;
    }
    for set in ["system", "container", "session"] {
        let path = dir.join(set);
        if !path.is_dir() {
            continue;
        }
        let report = check_paths(&[path]);
        let jobs = buildable(&report);
        round_trip(&report, &jobs);
    }
}
