//! The json format: one document, upc's own stable schema.
//!
//! ```text
//! {"version": 1,
//!  "diagnostics": [{"code", "severity", "message", "file", "line", "column",
//!                   "end_line", "end_column", "labels": [...], "help", "notes"}],
//!  "summary": {"files", "errors", "warnings"}}
//! ```
//!
//! Lines and columns are 1-based, columns count characters, and the end is
//! exclusive. `labels` lists every label, the primary one first (flagged
//! `"primary": true`). Fields are only ever added; a change that removes or
//! renames one bumps `version`.

use std::io::{self, Write};

use serde::Serialize;

use super::{path_string, region, Summary};
use crate::diag::{Diagnostic, Label};
use crate::source::SourceMap;

/// The schema version; bumped on any incompatible change.
const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    primary: bool,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    errors: usize,
    warnings: usize,
}

pub(super) fn render(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    summary: Summary,
    out: &mut dyn Write,
) -> io::Result<()> {
    let document = Document {
        version: VERSION,
        diagnostics: diagnostics.iter().map(|d| diagnostic(sources, d)).collect(),
        summary: JsonSummary {
            files: summary.files,
            errors: summary.errors,
            warnings: summary.warnings,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
    writeln!(out)
}

fn diagnostic<'a>(sources: &SourceMap, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let at = region(sources, d.primary.file, d.primary.span);
    let mut labels = vec![label(sources, &d.primary, true)];
    labels.extend(d.secondary.iter().map(|l| label(sources, l, false)));
    JsonDiagnostic {
        code: d.code.as_str(),
        severity: d.severity().as_str(),
        message: &d.message,
        file: path_string(sources, d.primary.file),
        line: at.start_line,
        column: at.start_column,
        end_line: at.end_line,
        end_column: at.end_column,
        labels,
        help: d.help.as_deref(),
        notes: &d.notes,
    }
}

fn label<'a>(sources: &SourceMap, l: &'a Label, primary: bool) -> JsonLabel<'a> {
    let at = region(sources, l.file, l.span);
    JsonLabel {
        file: path_string(sources, l.file),
        line: at.start_line,
        column: at.start_column,
        end_line: at.end_line,
        end_column: at.end_column,
        message: &l.message,
        primary,
    }
}
