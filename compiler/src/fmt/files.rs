//! `upc fmt PATH...`: which files to format, and writing them back.
//!
//! Paths are read exactly as `upc check` reads them (directories walked the
//! way Upstart walks /etc/init, `-` is standard input), so `upc fmt DIR`
//! formats the files `upc check DIR` checks. A file is rewritten only when
//! its text changes, through a temporary file renamed over it, with its
//! permissions kept.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::check::{self, CheckOptions};
use crate::diag::Code;
use crate::source::SourceFile;

use super::{format, FmtError};

/// Rewrite the files, or only say which would change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Already formatted.
    Unchanged(PathBuf),
    /// Rewritten (`Mode::Write`) or would be (`Mode::Check`).
    Reformatted(PathBuf),
    /// Standard input, formatted (or as it was, if it could not be).
    Stdout(String),
    /// Not formatted, and why (with a location when there is one).
    Failed(PathBuf, String),
}

impl FileOutcome {
    /// Whether this outcome makes `upc fmt` exit with status 1.
    pub fn fails(&self, mode: Mode) -> bool {
        match self {
            FileOutcome::Unchanged(_) | FileOutcome::Stdout(_) => false,
            FileOutcome::Reformatted(_) => mode == Mode::Check,
            FileOutcome::Failed(..) => true,
        }
    }
}

/// Formats every job file under `paths`, in the order `upc check` reports
/// them.
pub fn format_paths(paths: &[PathBuf], mode: Mode) -> Vec<FileOutcome> {
    let options = CheckOptions {
        graph: false,
        ..CheckOptions::default()
    };
    let report = check::check_paths_with(paths, &options);
    let mut out = Vec::new();
    for (id, source) in report.sources.iter() {
        let unreadable = report
            .diagnostics
            .iter()
            .find(|d| d.code == Code::Unreadable && d.primary.file == id);
        if let Some(d) = unreadable {
            out.push(FileOutcome::Failed(source.path.clone(), d.message.clone()));
            continue;
        }
        out.push(format_file(source, mode));
    }
    out
}

fn format_file(source: &SourceFile, mode: Mode) -> FileOutcome {
    let path = source.path.clone();
    let stdin = path == Path::new("<stdin>");
    if let Some(at) = source.invalid_utf8_at {
        let why = format!("not valid UTF-8 (first invalid byte at offset {at}); not formatted");
        return FileOutcome::Failed(path, why);
    }
    let formatted = match format(&source.text) {
        Ok(text) => text,
        Err(e) => {
            let why = match &e {
                FmtError::Syntax(diagnostics) => {
                    let first = diagnostics.first().map(|d| {
                        let (line, col) = source.line_col(d.primary.span.start as usize);
                        format!(": {line}:{col}: {}", d.message)
                    });
                    format!(
                        "{e}{}; not formatted (`upc check` lists them)",
                        first.unwrap_or_default()
                    )
                }
                _ => e.to_string(),
            };
            return FileOutcome::Failed(path, why);
        }
    };
    if stdin {
        return FileOutcome::Stdout(formatted);
    }
    if formatted == source.text {
        return FileOutcome::Unchanged(path);
    }
    if mode == Mode::Write {
        if let Err(e) = write_keeping_mode(&path, formatted.as_bytes()) {
            return FileOutcome::Failed(path, format!("cannot write: {e}"));
        }
    }
    FileOutcome::Reformatted(path)
}

/// Replaces a file's contents atomically, keeping its permissions.
fn write_keeping_mode(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let permissions = fs::metadata(path)?.permissions();
    crate::build::write_atomically(path, bytes)?;
    fs::set_permissions(path, permissions)
}
