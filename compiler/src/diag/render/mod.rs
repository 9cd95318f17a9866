//! Renderers: the same [`Diagnostic`]s, written in each output format.
//!
//! One module per format (`upc check --format`): `human` (codespan-reporting,
//! for people), `short` (one line each, for grep and editors' quickfix),
//! `json` (upc's own stable document), `sarif` (SARIF 2.1.0, for code
//! scanning) and `github` (workflow commands, for pull-request
//! annotations). The machine formats serialise small DTOs defined in their
//! module, never the diagnostic types themselves, so refactoring the
//! compiler cannot change a format CI users depend on.
//!
//! Renderers only write: they never decide what is shown (the caller filters
//! for `--quiet`) and never colour anything but the human format.

mod github;
mod human;
mod json;
mod sarif;
mod short;

use std::fmt;
use std::io;
use std::str::FromStr;

use codespan_reporting::term::termcolor::WriteColor;

use super::Diagnostic;
use crate::source::{FileId, SourceMap, Span};

/// An output format of `upc check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    #[default]
    Human,
    Short,
    Json,
    Sarif,
    Github,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Human,
        Format::Short,
        Format::Json,
        Format::Sarif,
        Format::Github,
    ];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Short => "short",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown format `{s}`"))
    }
}

/// The counts of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
}

/// What the human format adds around the diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// Print the final `error: 2 errors, 1 warning in 3 files` line.
    pub summary: bool,
    /// Warnings fail the run (`--deny warnings`); the summary says so.
    pub deny_warnings: bool,
}

/// Writes `diagnostics` (whose files are in `sources`) to `out` in `format`.
/// Only the human format uses colour, and only if `out` supports it.
pub fn render(
    format: Format,
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    summary: Summary,
    options: Options,
    out: &mut dyn WriteColor,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(sources, diagnostics, summary, options, out),
        Format::Short => short::render(sources, diagnostics, out),
        Format::Json => json::render(sources, diagnostics, summary, out),
        Format::Sarif => sarif::render(sources, diagnostics, out),
        Format::Github => github::render(sources, diagnostics, out),
    }
}

/// A span as 1-based lines and columns (columns count characters); the end
/// is exclusive: the column just after the last character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub(crate) fn region(sources: &SourceMap, file: FileId, span: Span) -> Region {
    match sources.get(file) {
        Some(f) => {
            let (start_line, start_column) = f.line_col(span.start as usize);
            let (end_line, end_column) = f.line_col(span.end as usize);
            Region {
                start_line,
                start_column,
                end_line,
                end_column,
            }
        }
        None => Region {
            start_line: 1,
            start_column: 1,
            end_line: 1,
            end_column: 1,
        },
    }
}

/// A file's path as shown to the user.
pub(crate) fn path_string(sources: &SourceMap, file: FileId) -> String {
    sources.path(file).to_string_lossy().into_owned()
}

/// The message with its help, for formats that have a single text field.
pub(crate) fn message_with_help(diagnostic: &Diagnostic) -> String {
    match &diagnostic.help {
        Some(help) => format!("{}\nhelp: {help}", diagnostic.message),
        None => diagnostic.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
        }
        assert!("xml".parse::<Format>().is_err());
    }
}
