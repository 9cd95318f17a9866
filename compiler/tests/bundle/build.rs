//! `build` is reproducible and `write_atomically` never leaves a partial
//! or wrong file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use upc::build::{self, write_atomically};
use upc::check::check_paths;

fn corpus_project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/upstart-real/ubports__upstart")
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Copies `files` of `from` into `to` in the given order, so directory
/// entries are created (and listed by the OS) in that order.
fn copy_in_order(from: &Path, to: &Path, files: &[PathBuf]) {
    for f in files {
        let dest = to.join(f);
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        fs::copy(from.join(f), dest).unwrap();
    }
}

fn build_dir(dir: &Path) -> Vec<u8> {
    let report = check_paths(&[dir.to_path_buf()]);
    assert_eq!(report.errors(), 0);
    build::build(&report.jobs, &report.sources).unwrap()
}

#[test]
fn same_sources_give_identical_bytes_wherever_and_however_created() {
    let src = corpus_project();
    let mut list = files(&src);
    // A nested job too, so relative names with directories are covered.
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::Builder::new()
        .prefix("a-much-longer-prefix")
        .tempdir()
        .unwrap();
    copy_in_order(&src, &a.path().join("init"), &list);
    list.reverse();
    let third = list.len() / 3;
    list.rotate_left(third);
    copy_in_order(&src, &b.path().join("x/y/etc-init"), &list);
    for root in [a.path().join("init"), b.path().join("x/y/etc-init")] {
        fs::create_dir_all(root.join("net")).unwrap();
        fs::write(
            root.join("net/web.conf"),
            "start on started networking\nexec /bin/web\n",
        )
        .unwrap();
    }
    let one = build_dir(&a.path().join("init"));
    let two = build_dir(&b.path().join("x/y/etc-init"));
    assert!(one == two, "the bundles differ");
    let bundle = upc_bundle::validate(&one).unwrap();
    assert_eq!(bundle.find_job("net/web").unwrap().file(), "net/web.conf");
    // And again from the same directory: still the same.
    assert!(build_dir(&a.path().join("init")) == one);
}

#[test]
fn the_source_digest_changes_with_any_source_byte() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.conf"), "exec /bin/a\n").unwrap();
    let one = build_dir(dir.path());
    fs::write(dir.path().join("a.conf"), "exec /bin/a \n").unwrap();
    let two = build_dir(dir.path());
    let d1 = upc_bundle::validate(&one).unwrap().source_digest();
    let d2 = upc_bundle::validate(&two).unwrap().source_digest();
    assert_ne!(d1, d2);
}

#[test]
fn a_50k_operand_chain_builds_without_recursion() {
    let n = 50_000;
    let mut text = String::from("start on e0");
    for i in 1..n {
        text.push_str(&format!(" or e{i}"));
    }
    text.push_str("\nexec /bin/true\n");
    let report = upc::check::check_bytes(Path::new("chain.conf"), text.into_bytes());
    assert_eq!(report.errors(), 0);
    let bytes = build::build(&report.jobs, &report.sources).unwrap();
    let bundle = upc_bundle::validate(&bytes).unwrap();
    let job = bundle.find_job("chain").unwrap();
    let program = job.start_on().unwrap().program;
    assert_eq!(program.len(), 2 * n - 1);
    assert_eq!(
        program.canonical(),
        report.jobs[0].start_on.as_ref().unwrap().expr.canonical()
    );
    assert_eq!(bundle.event_count(), n);
}

#[test]
fn write_atomically_replaces_the_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("init.bundle");
    write_atomically(&path, b"first").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"first");
    write_atomically(&path, b"second, longer").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"second, longer");
    // No temporary file is left behind.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["init.bundle"]);
}

#[test]
fn a_failed_write_leaves_the_old_bundle_and_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    // The target is a non-empty directory: the rename fails.
    let target = dir.path().join("init.bundle");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("keep"), b"good").unwrap();
    assert!(write_atomically(&target, b"new").is_err());
    assert_eq!(fs::read(target.join("keep")).unwrap(), b"good");
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["init.bundle"]);
    // A directory that does not exist: an error, nothing created.
    assert!(write_atomically(&dir.path().join("no/such/dir/b"), b"x").is_err());
    assert!(!dir.path().join("no").exists());
    // No file name at all.
    assert!(write_atomically(Path::new("/"), b"x").is_err());
}

#[test]
fn a_job_file_that_sets_nothing_builds_the_same_defaults_as_a_job_spec() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bare.conf"), "").unwrap();
    let bytes = build_dir(dir.path());
    let bundle = upc_bundle::validate(&bytes).unwrap();
    let built = bundle.job(0).unwrap().to_spec();
    // The compiler's IR and the bundle's model take Upstart's defaults
    // from one place (`upc_bundle::defaults`).
    assert_eq!(built, upc_bundle::JobSpec::new("bare", "bare.conf"));
    assert_eq!(built.kill_timeout, upc_bundle::defaults::KILL_TIMEOUT_SECS);
}
