//! `upc build` and `upc dump` through the real binary.

use std::path::Path;
use std::process::{Command, Output};

fn upc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_upc"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run upc: {e}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap_or_else(|| panic!("path is not UTF-8"))
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

const JOBS: &[(&str, &str)] = &[
    ("db.conf", "description \"database\"\nstart on filesystem\nrespawn\nexec /usr/sbin/db\n"),
    ("web.conf", "start on started db\nstop on stopping db\nenv PORT=80\nexec /usr/sbin/web -p $PORT\n"),
    ("net/ifup.conf", "start on net-device-added INTERFACE!=lo\ninstance $INTERFACE\ntask\nexec ifup $INTERFACE\n"),
    ("web.override", "nice 5\n"),
];

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

/// JOBS in a source directory, built into `init.bundle` in an output one.
fn built_job_set() -> (tempfile::TempDir, tempfile::TempDir, std::path::PathBuf) {
    let (src, out) = (temp(), temp());
    for (name, text) in JOBS {
        write(src.path(), name, text);
    }
    let file = out.path().join("init.bundle");
    let built = upc(&["build", s(src.path()), "-o", s(&file)]);
    assert_eq!(built.status.code(), Some(0));
    (src, out, file)
}

#[test]
fn the_same_sources_give_the_same_bytes_wherever_and_in_whatever_order() {
    let (a, b, out) = (temp(), temp(), temp());
    for (name, text) in JOBS {
        write(a.path(), name, text);
    }
    for (name, text) in JOBS.iter().rev() {
        write(b.path(), name, text);
    }
    let (fa, fb) = (out.path().join("a.bundle"), out.path().join("b.bundle"));
    assert_eq!(
        upc(&["build", s(a.path()), "-o", s(&fa)]).status.code(),
        Some(0)
    );
    assert_eq!(
        upc(&["build", s(b.path()), "-o", s(&fb)]).status.code(),
        Some(0)
    );
    let (ba, bb) = (std::fs::read(&fa), std::fs::read(&fb));
    assert!(
        ba.is_ok() && ba.as_ref().ok() == bb.as_ref().ok(),
        "bundles differ"
    );
}

#[test]
fn a_job_set_with_an_error_is_refused_and_the_old_bundle_kept() {
    let (src, out, file) = built_job_set();
    let good = std::fs::read(&file).unwrap_or_default();
    write(src.path(), "broken.conf", "nice 99\n");
    let refused = upc(&["build", s(src.path()), "-o", s(&file)]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("E0011"));
    assert_eq!(
        std::fs::read(&file).unwrap_or_default(),
        good,
        "the good bundle was touched"
    );
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .map(|d| d.flatten().count())
        .into_iter()
        .collect();
    assert_eq!(leftovers, [1], "a temporary file was left behind");
}

#[test]
fn warnings_refuse_the_build_only_when_denied() {
    let (src, out) = (temp(), temp());
    write(
        src.path(),
        "a.conf",
        "start on startup\nrespawn limit 5 10\nexec /bin/a\n",
    );
    let file = out.path().join("x.bundle");
    assert_eq!(
        upc(&["build", s(src.path()), "-o", s(&file)]).status.code(),
        Some(0)
    );
    let denied = out.path().join("y.bundle");
    assert_eq!(
        upc(&[
            "build",
            "--deny",
            "warnings",
            s(src.path()),
            "-o",
            s(&denied)
        ])
        .status
        .code(),
        Some(1)
    );
    assert!(!denied.exists());
}

#[test]
fn dump_lists_a_bundle_and_refuses_a_corrupt_one() {
    let (_src, out, file) = built_job_set();
    let listing = upc(&["dump", s(&file)]);
    assert_eq!(listing.status.code(), Some(0));
    let text = String::from_utf8_lossy(&listing.stdout);
    assert!(
        text.contains("job web") && text.contains("started db"),
        "{text}"
    );
    let json = upc(&["dump", "--json", s(&file)]);
    assert!(serde_json::from_slice::<serde_json::Value>(&json.stdout).is_ok());

    let mut bytes = std::fs::read(&file).unwrap_or_default();
    if let Some(b) = bytes.get_mut(40) {
        *b ^= 0xff;
    }
    let corrupt = out.path().join("corrupt.bundle");
    std::fs::write(&corrupt, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let refused = upc(&["dump", s(&corrupt)]);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("byte"),
        "the error should name a byte offset: {err}"
    );
}
