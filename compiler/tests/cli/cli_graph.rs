//! The graph checks and `upc graph` through the real binary.

use std::path::Path;
use std::process::{Command, Output};

fn upc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_upc"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run upc: {e}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn job_set(jobs: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    for (name, text) in jobs {
        let path = dir.path().join(format!("{name}.conf"));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    dir
}

fn path(dir: &tempfile::TempDir) -> &str {
    dir.path()
        .to_str()
        .unwrap_or_else(|| panic!("temp path is not UTF-8"))
}

/// A real blocking cycle: `web` stops on `starting db-migrate`, which is
/// itself started by `starting web` (see tests/fixtures/graph/deadlock).
const DEADLOCK: &[(&str, &str)] = &[
    ("db", "start on filesystem\nexec /usr/sbin/db\n"),
    (
        "db-migrate",
        "start on starting web\ntask\nexec /usr/bin/db-migrate\n",
    ),
    (
        "web",
        "start on started db\nstop on stopping db or starting db-migrate\nexec /usr/sbin/web\n",
    ),
];

#[test]
fn checking_a_directory_runs_the_graph_checks() {
    let dir = job_set(DEADLOCK);
    let out = upc(&["check", "--format", "short", path(&dir)]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("error[E0019]"), "{}", stdout(&out));
}

#[test]
fn no_graph_turns_the_whole_set_checks_off() {
    let dir = job_set(DEADLOCK);
    let out = upc(&["check", "--no-graph", "--format", "short", path(&dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(!stdout(&out).contains("E0019"));
}

#[test]
fn files_named_one_by_one_are_checked_on_their_own() {
    let dir = job_set(DEADLOCK);
    let a = dir.path().join("web.conf");
    let b = dir.path().join("db-migrate.conf");
    let out = upc(&[
        "check",
        "--format",
        "short",
        &a.to_string_lossy(),
        &b.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn an_assumed_event_is_not_unknown() {
    let dir = job_set(&[("a", "start on frobnicated\nexec /bin/a\n")]);
    let out = upc(&["check", "--format", "short", path(&dir)]);
    assert!(stdout(&out).contains("W0022"), "{}", stdout(&out));
    let out = upc(&[
        "check",
        "--format",
        "short",
        "--assume-event",
        "frobnicated",
        path(&dir),
    ]);
    assert!(!stdout(&out).contains("W0022"), "{}", stdout(&out));
}

#[test]
fn a_job_with_errors_is_left_out_with_a_note() {
    let dir = job_set(&[
        ("a", "start on startup\nnice 99\nexec /bin/a\n"),
        ("b", "start on started a\nexec /bin/b\n"),
    ]);
    let out = upc(&["check", "--format", "short", path(&dir)]);
    let text = stdout(&out);
    assert!(text.contains("error[E0011]"), "{text}");
    let json = stdout(&upc(&["check", "--format", "json", path(&dir)]));
    assert!(json.contains("left out of the graph checks"), "{json}");
    // b waits on a job that exists but is broken: not an unknown event.
    assert!(!text.contains("W0022") && !text.contains("W0021"), "{text}");
}

#[test]
fn explain_events_lists_the_well_known_events() {
    let out = upc(&["check", "--explain-events"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("startup") && text.contains("runlevel"),
        "{text}"
    );
}

#[test]
fn graph_prints_dot_json_and_the_boot_order() {
    let dir = job_set(&[
        ("a", "start on startup\nexec /bin/a\n"),
        ("b", "start on started a\nstop on stopping a\nexec /bin/b\n"),
    ]);
    let dot = stdout(&upc(&["graph", path(&dir)]));
    assert!(dot.starts_with("digraph"), "{dot}");
    let json = stdout(&upc(&["graph", "--format", "json", path(&dir)]));
    let value: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert!(value.is_object());
    let order = stdout(&upc(&["graph", "--order", path(&dir)]));
    let a = order.find(" a").unwrap_or(usize::MAX);
    let b = order.find(" b").unwrap_or(usize::MAX);
    assert!(a < b && b != usize::MAX, "{order}");
    let waves = stdout(&upc(&["graph", "--order", "--format", "json", path(&dir)]));
    assert!(
        serde_json::from_str::<serde_json::Value>(&waves).is_ok(),
        "{waves}"
    );
    let bad = upc(&["graph", "--order", "--format", "svg", path(&dir)]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn graph_renders_svg_with_graphviz() {
    assert!(
        Path::new("/usr/bin/dot").exists() || which_dot(),
        "this test needs Graphviz's `dot`: apt-get install graphviz (tests/run installs it)"
    );
    let dir = job_set(&[("a", "start on startup\nexec /bin/a\n")]);
    let out = upc(&["graph", "--format", "svg", path(&dir)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("<svg"));
}

fn which_dot() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("dot").is_file()))
}
