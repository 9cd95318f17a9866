//! The `upc` binary as users run it: golden output of every format for the
//! broken job files in `fixtures/broken/`, exit codes, standard input,
//! unreadable paths, `--deny warnings`, `--quiet`, colour, `explain`,
//! completions and the man page.
//!
//! Goldens live in `snapshots/` (insta). After an intended change to the
//! output, regenerate them with `INSTA_UPDATE=always cargo test -p upc
//! --test cli` (or `cargo insta review`) and read every changed file: it is
//! exactly what a user will see.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BROKEN: &str = "tests/fixtures/broken";

/// Runs `upc` in the crate directory (so paths in the output are relative
/// and stable), with no colour-related environment.
fn upc(args: &[&str]) -> Output {
    upc_with_stdin(args, None)
}

fn upc_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_upc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run upc");
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(bytes).expect("write stdin");
    }
    child.wait_with_output().expect("wait for upc")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

// ---------------------------------------------------------------- goldens

/// Every fixture, with the exit status `upc check` must give for it.
const FIXTURES: &[(&str, i32)] = &[
    ("unknown-stanza.conf", 1),
    ("missing-argument.conf", 1),
    ("bad-nice.conf", 1),
    ("unterminated-script.conf", 1),
    ("unterminated-quote.conf", 1),
    ("several-errors.conf", 1),
    ("warnings-only.conf", 0),
    ("pair", 1),
];

fn golden(format: &str) {
    for (fixture, want) in FIXTURES {
        let path = format!("{BROKEN}/{fixture}");
        let out = upc(&["check", "--format", format, &path]);
        assert_eq!(
            code(&out),
            *want,
            "{fixture} --format {format}: {}",
            stderr(&out)
        );
        assert_eq!(stderr(&out), "", "{fixture} --format {format}");
        let name = format!("{}__{format}", fixture.trim_end_matches(".conf"));
        insta::assert_snapshot!(name, stdout(&out));
    }
}

#[test]
fn golden_human() {
    golden("human");
}

#[test]
fn golden_short() {
    golden("short");
    for (fixture, _) in FIXTURES {
        let out = upc(&["check", "--format", "short", &format!("{BROKEN}/{fixture}")]);
        for line in stdout(&out).lines() {
            let mut parts = line.splitn(4, ':');
            let (path, line_no, col) = (parts.next(), parts.next(), parts.next());
            assert!(path.is_some_and(|p| p.starts_with(BROKEN)), "{line}");
            assert!(
                line_no.is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n >= 1)),
                "{line}"
            );
            assert!(
                col.is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n >= 1)),
                "{line}"
            );
        }
    }
}

#[test]
fn golden_json() {
    golden("json");
    for (fixture, _) in FIXTURES {
        let out = upc(&["check", "--format", "json", &format!("{BROKEN}/{fixture}")]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
        assert_eq!(doc["version"], 1);
        let listed = doc["diagnostics"].as_array().map_or(0, Vec::len) as u64;
        let counted = doc["summary"]["errors"].as_u64().unwrap()
            + doc["summary"]["warnings"].as_u64().unwrap();
        assert_eq!(listed, counted, "{fixture}");
    }
}

/// The whole directory at once, as CI runs it.
#[test]
fn golden_github() {
    let out = upc(&["check", "--format", "github", BROKEN]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(
        text.lines()
            .all(|l| l.starts_with("::error ") || l.starts_with("::warning ")),
        "{text}"
    );
    insta::assert_snapshot!("broken_dir__github", text);
}

#[test]
fn golden_sarif() {
    let out = upc(&["check", "--format", "sarif", BROKEN]);
    assert_eq!(code(&out), 1);
    let mut log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(log["version"], "2.1.0");
    let driver = &mut log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "upc");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    // Every registered code is a rule with its explanation; the snapshot
    // keeps only the ids so that editing an explanation does not touch it.
    let rules = driver["rules"].as_array_mut().expect("rules");
    assert_eq!(rules.len(), upc::diag::Code::ALL.len());
    for rule in rules.iter_mut() {
        let id = rule["id"].as_str().expect("rule id").to_owned();
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .is_some_and(|h| h.contains("```")),
            "{id}"
        );
        assert!(
            rule["fullDescription"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            "{id}"
        );
        *rule = serde_json::Value::String(id);
    }
    driver["version"] = "[version]".into();
    driver["semanticVersion"] = "[version]".into();
    // Each result's rule index points at its rule.
    for result in log["runs"][0]["results"].as_array().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"][index],
            result["ruleId"]
        );
    }
    insta::assert_snapshot!(
        "broken_dir__sarif",
        serde_json::to_string_pretty(&log).expect("serialise")
    );
}

// ---------------------------------------------------------------- exit codes

#[test]
fn a_clean_job_exits_0_and_says_so() {
    let out = upc_with_stdin(&["check", "-"], Some(b"start on startup\nexec /bin/true\n"));
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(stdout(&out), "ok: no problems in 1 file\n");
    assert_eq!(stderr(&out), "");
}

#[test]
fn warnings_exit_0_unless_denied() {
    let path = format!("{BROKEN}/warnings-only.conf");
    assert_eq!(code(&upc(&["check", &path])), 0);
    let denied = upc(&["check", "--deny", "warnings", &path]);
    assert_eq!(code(&denied), 1);
    assert!(
        stdout(&denied).ends_with("error: 6 warnings in 1 file (warnings are denied)\n"),
        "{}",
        stdout(&denied)
    );
}

#[test]
fn errors_exit_1() {
    assert_eq!(
        code(&upc(&["check", &format!("{BROKEN}/bad-nice.conf")])),
        1
    );
}

#[test]
fn usage_errors_exit_2() {
    let no_paths = upc(&["check"]);
    assert_eq!(code(&no_paths), 2);
    assert!(
        stderr(&no_paths).contains("Usage: upc check"),
        "{}",
        stderr(&no_paths)
    );
    assert_eq!(stdout(&no_paths), "");
    assert_eq!(code(&upc(&["check", "--format", "xml", BROKEN])), 2);
    assert_eq!(code(&upc(&["check", "--deny", "everything", BROKEN])), 2);
    assert_eq!(code(&upc(&["frobnicate"])), 2);
    assert_eq!(code(&upc(&[])), 2);
}

// ---------------------------------------------------------------- inputs

#[test]
fn stdin_is_checked_as_a_job_named_stdin() {
    let out = upc_with_stdin(&["check", "--format", "short", "-"], Some(b"nice 99\n"));
    assert_eq!(code(&out), 1);
    assert_eq!(
        stdout(&out),
        "<stdin>:1:6: error[E0011]: illegal nice value, expected -20 to 19\n"
    );
}

#[test]
fn a_missing_path_is_a_located_error_and_the_rest_is_still_checked() {
    let out = upc(&[
        "check",
        "--format",
        "short",
        "no/such/dir",
        &format!("{BROKEN}/bad-nice.conf"),
    ]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        stdout(&out),
        "no/such/dir:1:1: error[E0018]: cannot read `no/such/dir`: No such file or directory\n\
         tests/fixtures/broken/bad-nice.conf:2:6: error[E0011]: illegal nice value, expected -20 to 19\n"
    );
}

/// Root can read any file, so "unreadable" is tested with a path whose
/// parent is a regular file: that fails with ENOTDIR for everyone.
#[test]
fn a_path_through_a_file_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file.conf"), "exec /bin/true\n").unwrap();
    let bad = dir.path().join("file.conf/x");
    let out = upc(&["check", "--format", "json", bad.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "E0018");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(
        d["message"].as_str().unwrap().ends_with("Not a directory"),
        "{d}"
    );
    assert_eq!(doc["summary"]["files"], 0);
}

#[test]
fn quiet_shows_only_what_fails() {
    let warnings = format!("{BROKEN}/warnings-only.conf");
    let out = upc(&["check", "--quiet", &warnings]);
    assert_eq!((code(&out), stdout(&out)), (0, String::new()));
    let denied = upc(&[
        "check", "-q", "--deny", "warnings", "--format", "short", &warnings,
    ]);
    assert_eq!(code(&denied), 1);
    assert_eq!(stdout(&denied).lines().count(), 6);
    let errors = upc(&["check", "-q", &format!("{BROKEN}/bad-nice.conf")]);
    assert!(
        stdout(&errors).starts_with("error[E0011]"),
        "{}",
        stdout(&errors)
    );
    assert!(
        !stdout(&errors).contains("1 error in"),
        "no summary: {}",
        stdout(&errors)
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let path = format!("{BROKEN}/bad-nice.conf");
    let piped = upc(&["check", &path]);
    assert!(!stdout(&piped).contains('\x1b'));
    let forced = upc(&["check", "--color", "always", &path]);
    assert!(stdout(&forced).contains("\x1b["), "{}", stdout(&forced));
    let json = upc(&["check", "--color", "always", "--format", "json", &path]);
    assert!(!stdout(&json).contains('\x1b'));
}

// ---------------------------------------------------------------- other commands

#[test]
fn explain_prints_the_long_text() {
    let out = upc(&["explain", "E0011"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).starts_with("# E0011"), "{}", stdout(&out));
    assert!(stdout(&out).contains("```"));
    let by_name = upc(&["explain", "illegal-nice"]);
    assert_eq!(stdout(&by_name), stdout(&out));
}

#[test]
fn explain_without_a_code_lists_them_all() {
    let out = upc(&["explain"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), upc::diag::Code::ALL.len());
    assert!(text.contains("E0006  unknown-stanza"), "{text}");
}

#[test]
fn explain_an_unknown_code_exits_2() {
    let out = upc(&["explain", "E9999"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("unknown diagnostic code `E9999`"),
        "{}",
        stderr(&out)
    );
    let typo = upc(&["explain", "unknown-stanz"]);
    assert!(
        stderr(&typo).contains("did you mean unknown-stanza?"),
        "{}",
        stderr(&typo)
    );
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = upc(&["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}");
        assert!(stdout(&out).contains("upc"), "{shell}");
        assert!(stdout(&out).contains("format"), "{shell}");
    }
}

#[test]
fn man_page_is_roff() {
    let out = upc(&["man"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(
        text.starts_with(".ie") || text.contains(".TH upc"),
        "{text}"
    );
    assert!(text.contains("check"), "{text}");
}

#[test]
fn version() {
    let out = upc(&["--version"]);
    assert_eq!(code(&out), 0);
    assert_eq!(stdout(&out), format!("upc {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn fixtures_exist() {
    for (fixture, _) in FIXTURES {
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(BROKEN)
                .join(fixture)
                .exists(),
            "{fixture}"
        );
    }
}
