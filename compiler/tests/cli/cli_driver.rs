//! The check driver behind `upc check`: which files are jobs, how they are
//! named, how overrides pair up, and that the result does not depend on
//! thread scheduling (job-language.md sections 8 and 9).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use upc::check::{check_bytes, check_job, check_paths, Report};
use upc::diag::Code;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn job_names(report: &Report) -> Vec<&str> {
    let mut names: Vec<&str> = report.jobs.iter().map(|j| j.name.as_str()).collect();
    names.sort_unstable();
    names
}

fn codes(report: &Report) -> Vec<(String, Code)> {
    report
        .diagnostics
        .iter()
        .map(|d| {
            (
                report
                    .sources
                    .path(d.primary.file)
                    .to_string_lossy()
                    .into_owned(),
                d.code,
            )
        })
        .collect()
}

const JOB: &str = "start on startup\nexec /bin/true\n";

#[test]
fn a_directory_is_walked_like_etc_init() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "rc-sysinit.conf", JOB);
    write(root, "net/apache.conf", JOB);
    write(root, "net/deep/er.conf", JOB);
    // None of these are jobs.
    write(root, ".hidden.conf", "bogus\n");
    write(root, ".git/config.conf", "bogus\n");
    write(root, "old.conf~", "bogus\n");
    write(root, "#autosave.conf#", "bogus\n");
    write(root, "x.conf.swp", "bogus\n");
    write(root, "x.conf.dpkg-old", "bogus\n");
    write(root, "x.conf.rpmnew", "bogus\n");
    write(root, "CVS/y.conf", "bogus\n");
    write(root, "README", "bogus\n");
    write(root, ".conf", "bogus\n");
    std::os::unix::fs::symlink(root.join("rc-sysinit.conf"), root.join("link.conf")).unwrap();
    std::os::unix::fs::symlink(root.join("net"), root.join("linked-dir")).unwrap();

    let report = check_paths(&[root.to_path_buf()]);
    assert_eq!(
        job_names(&report),
        ["net/apache", "net/deep/er", "rc-sysinit"]
    );
    assert_eq!(report.files, 3);
    assert!(report.diagnostics.is_empty(), "{:?}", codes(&report));
}

#[test]
fn an_override_joins_its_job_and_a_lone_one_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "net/web.conf", JOB);
    write(root, "net/web.override", "manual\nnice 99\n");
    write(root, "gone.override", "manual\nnice 99\n");

    let report = check_paths(&[root.to_path_buf()]);
    assert_eq!(job_names(&report), ["net/web"]);
    assert_eq!(report.files, 3);
    let web = report.jobs.first().unwrap();
    // `manual` in the override removed the job file's `start on`.
    assert!(web.start_on.is_none());
    let found = codes(&report);
    let gone = root.join("gone.override").to_string_lossy().into_owned();
    let web_override = root.join("net/web.override").to_string_lossy().into_owned();
    assert_eq!(
        found,
        [
            (gone.clone(), Code::LoneOverride),
            (gone, Code::IllegalNice),
            (web_override, Code::IllegalNice),
        ]
    );
}

#[test]
fn a_file_named_explicitly_is_a_job_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "debian/foo.upstart", JOB);
    write(root, "debian/upstart", JOB);
    let report = check_paths(&[root.join("debian/foo.upstart"), root.join("debian/upstart")]);
    assert_eq!(job_names(&report), ["foo", "upstart"]);
    assert!(report.diagnostics.is_empty());
}

#[test]
fn an_explicit_override_brings_its_job_file_and_vice_versa() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a.conf", JOB);
    write(root, "a.override", "nice 99\n");
    write(root, "b.override", "manual\n");

    let from_override = check_paths(&[root.join("a.override")]);
    assert_eq!(job_names(&from_override), ["a"]);
    assert_eq!(from_override.files, 2);
    assert_eq!(from_override.errors(), 1);

    let from_conf = check_paths(&[root.join("a.conf")]);
    assert_eq!(from_conf.files, 2);
    assert_eq!(from_conf.errors(), 1);

    let lone = check_paths(&[root.join("b.override")]);
    assert!(lone.jobs.is_empty());
    assert_eq!(
        codes(&lone).iter().map(|(_, c)| *c).collect::<Vec<_>>(),
        [Code::LoneOverride]
    );
}

#[test]
fn a_file_reached_twice_is_checked_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a.conf", "nice 99\n");
    let report = check_paths(&[root.to_path_buf(), root.join("a.conf"), root.join("a.conf")]);
    assert_eq!(report.files, 1);
    assert_eq!(report.errors(), 1);
}

#[test]
fn unreadable_paths_do_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "ok.conf", JOB);
    let missing = root.join("missing.conf");
    let through_file = root.join("ok.conf/x");
    let report = check_paths(&[missing.clone(), root.join("ok.conf"), through_file.clone()]);
    assert_eq!(job_names(&report), ["ok"]);
    let unreadable: Vec<PathBuf> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::Unreadable)
        .map(|d| report.sources.path(d.primary.file).to_path_buf())
        .collect();
    assert_eq!(unreadable, [missing, through_file]);
    assert_eq!(report.files, 1);
}

#[test]
fn output_order_does_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for i in 0..200 {
        write(
            root,
            &format!("d{}/job{i}.conf", i % 7),
            &format!("nice {}\nrespwan\n", i),
        );
    }
    let first = check_paths(&[root.to_path_buf()]);
    let render = |r: &Report| -> Vec<(String, u32, Code)> {
        r.diagnostics
            .iter()
            .map(|d| {
                (
                    r.sources
                        .path(d.primary.file)
                        .to_string_lossy()
                        .into_owned(),
                    d.primary.span.start,
                    d.code,
                )
            })
            .collect()
    };
    let expected = render(&first);
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(
        expected, sorted,
        "diagnostics are sorted by path and position"
    );
    for _ in 0..5 {
        assert_eq!(render(&check_paths(&[root.to_path_buf()])), expected);
    }
}

#[test]
fn bytes_and_job_entry_points() {
    let report = check_bytes(Path::new("<stdin>"), b"nice 99\n".to_vec());
    assert_eq!(job_names(&report), ["stdin"]);
    assert_eq!(report.errors(), 1);
    assert!(report.fails(false));

    let report = check_job(
        (Path::new("x/web.conf"), JOB.as_bytes().to_vec()),
        Some((Path::new("x/web.override"), b"manual\n".to_vec())),
    );
    assert_eq!(job_names(&report), ["web"]);
    assert!(report.jobs.first().unwrap().start_on.is_none());
    assert!(!report.fails(true));
}

#[test]
fn invalid_utf8_is_a_warning_with_the_offset() {
    let report = check_bytes(
        Path::new("latin1.conf"),
        b"description \"r\xe9seau\"\n".to_vec(),
    );
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.code == Code::InvalidUtf8)
        .unwrap();
    assert!(d.message.contains("offset 14"), "{}", d.message);
    assert_eq!(report.errors(), 0);
}
