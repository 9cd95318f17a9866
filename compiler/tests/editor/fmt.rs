//! `upc fmt`: on every file of the real-world corpus, formatting is
//! idempotent and never changes the checked meaning; and the command line.

use std::path::{Path, PathBuf};
use std::process::Command;

use upc::fmt::{format, same_class, FmtError};
use upc::sema::{self, Part};
use upc::source::FileId;
use upc::syntax;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/upstart-real"
);

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if !matches!(
            path.file_name().and_then(|n| n.to_str()),
            Some("INDEX.md" | "PROVENANCE.tsv" | "EXPECTED-INVALID.tsv")
        ) {
            out.push(path);
        }
    }
}

/// The class and every diagnostic code of a text.
fn meaning(text: &str) -> (sema::JobClass, Vec<upc::diag::Code>) {
    let parsed = syntax::parse(FileId(0), text);
    let part = Part {
        file: FileId(0),
        text,
        ast: &parsed.ast,
    };
    let (class, diagnostics) = sema::lower("job", &[part]);
    let mut codes: Vec<_> = diagnostics
        .iter()
        .chain(&parsed.diagnostics)
        .map(|d| d.code)
        .collect();
    codes.sort();
    (class, codes)
}

#[test]
fn formatting_the_corpus_is_idempotent_and_keeps_every_job_class() {
    let dir = PathBuf::from(CORPUS);
    assert!(dir.is_dir(), "the corpus is missing at {}", dir.display());
    let mut all = Vec::new();
    files(&dir, &mut all);
    all.sort();
    let (mut formatted, mut changed, mut refused) = (0, 0, 0);
    for path in &all {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        match format(&text) {
            Ok(once) => {
                let twice = format(&once).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(twice, once, "{}: not idempotent", path.display());
                let (before, before_codes) = meaning(&text);
                let (after, after_codes) = meaning(&once);
                assert!(
                    same_class(&before, &after),
                    "{}: the class changed",
                    path.display()
                );
                assert_eq!(
                    before_codes,
                    after_codes,
                    "{}: diagnostics changed",
                    path.display()
                );
                formatted += 1;
                changed += usize::from(once != text);
            }
            Err(FmtError::Syntax(_)) => refused += 1,
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    assert!(formatted > 400, "{formatted} formatted, {refused} refused");
    assert!(changed > 0, "nothing in the corpus needed formatting?");
    // Only files Upstart itself refuses have syntax errors.
    assert!(refused < 30, "{refused} files refused");
}

fn upc(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_upc"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run upc")
}

#[test]
fn fmt_check_lists_what_would_change_and_fmt_rewrites_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let messy = dir.path().join("messy.conf");
    let clean = dir.path().join("clean.conf");
    std::fs::write(&messy, "start   on startup\n\n\nexec  /bin/x\n").expect("write");
    std::fs::write(&clean, "task\n").expect("write");
    let check = upc(&["fmt", "--check", "."], dir.path());
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&check.stdout),
        "would reformat ./messy.conf\n"
    );
    assert_eq!(
        std::fs::read_to_string(&messy).expect("read"),
        "start   on startup\n\n\nexec  /bin/x\n",
        "--check changes nothing"
    );
    let write = upc(&["fmt", "."], dir.path());
    assert_eq!(write.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&write.stdout),
        "reformatted ./messy.conf\n"
    );
    assert_eq!(
        std::fs::read_to_string(&messy).expect("read"),
        "start on startup\n\nexec /bin/x\n"
    );
    let again = upc(&["fmt", "--check", "."], dir.path());
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
}

#[test]
fn fmt_leaves_a_broken_file_alone_and_says_where_it_is_broken() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken.conf");
    std::fs::write(&broken, "start on (a\nexec  x\n").expect("write");
    let out = upc(&["fmt", "broken.conf"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.conf: the file has syntax errors: 3:1"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&broken).expect("read"),
        "start on (a\nexec  x\n"
    );
}

#[test]
fn fmt_reads_standard_input_and_writes_standard_output() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_upc"))
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run upc");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"  respawn\n\n\n\ntask  # t\n")
            .expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "respawn\n\ntask # t\n"
    );
}

#[test]
fn explain_prints_a_stanzas_documentation_from_the_shared_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = upc(&["explain", "kill timeout"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let entry = upc::lsp::docs::stanza("kill timeout").expect("documented");
    assert_eq!(text.trim_end(), entry.markdown().trim_end());
}
