//! The real-world corpus (`shared/corpus/upstart-real`, 471 job files that
//! a real Upstart 1.13.2 loaded or refused): every file must compile with no
//! error, except the ones in `EXPECTED-INVALID.tsv`, whose first error must
//! be on the listed line. Runs `syntax::parse` and `sema::lower` directly
//! (not `check.rs`), one job per file; an `.override` is lowered after the
//! `.conf` of the same name in the same folder when there is one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use upc::diag::{Code, Diagnostic, Severity};
use upc::sema;
use upc::source::{FileId, SourceFile, SourceMap};

/// The repository is `.../main` and the shared material `.../shared`, side
/// by side (CI clones the repository with `shared/` beside it).
const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/upstart-real"
);

/// The corpus's own documentation, at its top level; everything else is a
/// job file.
const META: [&str; 3] = ["INDEX.md", "PROVENANCE.tsv", "EXPECTED-INVALID.tsv"];

fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(CORPUS);
    assert!(
        dir.is_dir(),
        "the corpus is missing at {}: the `shared/` folder must be checked out beside the \
         repository (../shared relative to the repository root)",
        dir.display()
    );
    dir
}

/// Every job file under the corpus, relative to it, `/`-separated, sorted.
fn job_files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
                continue;
            }
            let rel = path.strip_prefix(root).expect("under the corpus");
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if !META.contains(&rel.as_str()) {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// `file -> line` from `EXPECTED-INVALID.tsv`.
fn expected_invalid(dir: &Path) -> BTreeMap<String, usize> {
    let text =
        std::fs::read_to_string(dir.join("EXPECTED-INVALID.tsv")).expect("EXPECTED-INVALID.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            let file = cols.next().expect("file column").to_string();
            let line = cols
                .next()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or_else(|| panic!("bad line in {l:?}"));
            (file, line)
        })
        .collect()
}

/// One corpus file compiled as a job.
struct Unit {
    /// The file being checked (the override when paired with its conf).
    file: FileId,
    sources: SourceMap,
    /// In file order (conf first), then by offset.
    diags: Vec<Diagnostic>,
}

impl Unit {
    fn describe(&self, d: &Diagnostic) -> String {
        let (line, col) = self
            .sources
            .get(d.primary.file)
            .map_or((0, 0), |f| f.line_col(d.primary.span.start as usize));
        format!(
            "{}:{line}:{col}: {} {}",
            self.sources.path(d.primary.file).display(),
            d.code.as_str(),
            d.message
        )
    }

    fn line(&self, d: &Diagnostic) -> usize {
        self.sources
            .get(d.primary.file)
            .map_or(0, |f| f.line_col(d.primary.span.start as usize).0)
    }

    fn describe_all(&self) -> String {
        let mut out = String::new();
        for d in &self.diags {
            let _ = writeln!(out, "    {}", self.describe(d));
        }
        out
    }
}

fn compile_unit(dir: &Path, rel: &str) -> Result<Unit, String> {
    let mut files = Vec::new();
    if let Some(stem) = rel.strip_suffix(".override") {
        let conf = format!("{stem}.conf");
        if dir.join(&conf).is_file() {
            files.push(conf);
        }
    }
    files.push(rel.to_string());
    let name = Path::new(rel)
        .file_stem()
        .map_or_else(|| rel.to_string(), |s| s.to_string_lossy().into_owned());

    let mut sources = SourceMap::new();
    let mut ids = Vec::new();
    for f in &files {
        let bytes = std::fs::read(dir.join(f)).map_err(|e| format!("reading {f}: {e}"))?;
        ids.push(sources.add(SourceFile::new(f.clone(), bytes)));
    }
    let file = *ids.last().expect("at least one file");
    let result = catch_unwind(AssertUnwindSafe(|| {
        let texts: Vec<&str> = ids
            .iter()
            .map(|&id| sources.get(id).map_or("", |f| f.text.as_str()))
            .collect();
        let mut parts = ids.iter().copied().zip(texts.iter().copied());
        let conf = parts.next().unwrap_or((FileId(0), ""));
        let lowered = sema::lower_texts(&name, conf, parts.next());
        let mut diags = lowered.parse;
        diags.extend(lowered.sema);
        diags.sort_by_key(|d| (d.primary.file, d.primary.span.start));
        diags
    }));
    match result {
        Ok(diags) => Ok(Unit {
            file,
            sources,
            diags,
        }),
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_default();
            Err(format!("{rel}: the pipeline panicked: {msg}"))
        }
    }
}

#[test]
fn corpus_files_are_accepted_or_refused_as_by_upstart() {
    let dir = corpus_dir();
    let files = job_files(&dir);
    let invalid = expected_invalid(&dir);
    let mut failures = Vec::new();

    for file in invalid.keys() {
        if !files.contains(file) {
            failures.push(format!(
                "{file}: listed in EXPECTED-INVALID.tsv but not in the corpus"
            ));
        }
    }

    for rel in &files {
        let unit = match compile_unit(&dir, rel) {
            Ok(u) => u,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let first = unit.diags.iter().find(|d| d.is_error());
        match (invalid.get(rel), first) {
            (None, None) => {}
            (None, Some(_)) => {
                failures.push(format!(
                    "{rel}: Upstart loads this file, upc reports errors:\n{}",
                    unit.describe_all()
                ));
            }
            (Some(line), None) => {
                failures.push(format!(
                    "{rel}: Upstart refuses this file at line {line}, upc reports no error:\n{}",
                    unit.describe_all()
                ));
            }
            (Some(&line), Some(e)) => {
                if e.primary.file != unit.file || unit.line(e) != line {
                    failures.push(format!(
                        "{rel}: Upstart refuses this file at line {line}, upc's first error is {}:\n{}",
                        unit.describe(e),
                        unit.describe_all()
                    ));
                }
            }
        }
    }

    assert!(
        failures.is_empty(),
        "{} of {} corpus files are not handled as Upstart 1.13 handles them:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// Tallies warnings by code over the corpus (for the closing note) and
/// checks that every file the corpus lists was found and compiled.
#[test]
fn corpus_warning_tally() {
    let dir = corpus_dir();
    let files = job_files(&dir);

    // Every file in PROVENANCE.tsv is on disk, and nothing else is.
    let provenance = std::fs::read_to_string(dir.join("PROVENANCE.tsv")).expect("PROVENANCE.tsv");
    let mut listed: Vec<String> = provenance
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect();
    listed.sort();
    assert_eq!(
        files, listed,
        "the job files on disk differ from PROVENANCE.tsv"
    );

    // Warnings in the file being checked (an override's conf is counted on
    // its own), by code: (diagnostics, files).
    let mut tally: BTreeMap<Code, (usize, usize)> = BTreeMap::new();
    let mut compiled = 0;
    let mut errors = 0;
    let mut with_warnings = 0;
    let mut panics = Vec::new();
    for rel in &files {
        match compile_unit(&dir, rel) {
            Err(e) => panics.push(e),
            Ok(unit) => {
                compiled += 1;
                let own: Vec<&Diagnostic> = unit
                    .diags
                    .iter()
                    .filter(|d| d.primary.file == unit.file)
                    .collect();
                if own.iter().any(|d| d.is_error()) {
                    errors += 1;
                }
                let mut codes: Vec<Code> = own
                    .iter()
                    .filter(|d| d.severity() == Severity::Warning)
                    .map(|d| d.code)
                    .collect();
                for c in &codes {
                    tally.entry(*c).or_default().0 += 1;
                }
                codes.sort();
                codes.dedup();
                if !codes.is_empty() {
                    with_warnings += 1;
                }
                for c in codes {
                    tally.entry(c).or_default().1 += 1;
                }
            }
        }
    }

    let mut table = String::new();
    let _ = writeln!(table, "| code | name | warnings | files |");
    let _ = writeln!(table, "|---|---|---:|---:|");
    for (code, (n, f)) in &tally {
        let _ = writeln!(
            table,
            "| {} | {} | {n} | {f} |",
            code.as_str(),
            code.info().name
        );
    }
    let total: usize = tally.values().map(|(n, _)| n).sum();
    let _ = writeln!(table, "| total | | {total} | |");
    println!(
        "corpus: {} job files, {compiled} compiled, {errors} with errors, {with_warnings} with warnings\n\n{table}",
        files.len(),
    );

    assert!(
        panics.is_empty(),
        "the pipeline panicked on:\n{}",
        panics.join("\n")
    );
    assert_eq!(compiled, files.len(), "every corpus file is compiled");
    assert_eq!(files.len(), 471, "INDEX.md counts 471 job files");
}
