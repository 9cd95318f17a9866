//! The human format: codespan-reporting's rich output, `error[E0006]`
//! headers, source excerpts with primary and secondary labels, `= help:` and
//! `= note:` lines, then one summary line.
//!
//! Colour is the writer's business: the caller passes a colour-capable
//! writer only when colour is wanted (a terminal, and no `NO_COLOR`).

use std::io;
use std::ops::Range;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::termcolor::{Color, ColorSpec, WriteColor};
use codespan_reporting::term::{self, Config};

use super::{Options, Summary};
use crate::diag::{Diagnostic, Label, Severity};
use crate::source::{FileId, SourceMap};

pub(super) fn render(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    summary: Summary,
    options: Options,
    out: &mut dyn WriteColor,
) -> io::Result<()> {
    let files = SourceFiles(sources);
    let config = Config::default();
    for d in diagnostics {
        let converted = convert(sources, d);
        term::emit_to_write_style(out, &config, &files, &converted).map_err(into_io)?;
    }
    if options.summary {
        write_summary(summary, options.deny_warnings, out)?;
    }
    Ok(())
}

fn into_io(e: FilesError) -> io::Error {
    match e {
        FilesError::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

fn convert(sources: &SourceMap, d: &Diagnostic) -> cs::Diagnostic<FileId> {
    let severity = match d.severity() {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Note => cs::Severity::Note,
    };
    // A file with no text (one that could not be read) has no excerpt to
    // show; the message names the path.
    let has_text = |l: &Label| sources.get(l.file).is_some_and(|f| !f.text.is_empty());
    let mut labels = Vec::new();
    if has_text(&d.primary) {
        labels.push(label(sources, cs::LabelStyle::Primary, &d.primary));
    }
    labels.extend(
        d.secondary
            .iter()
            .filter(|l| has_text(l))
            .map(|l| label(sources, cs::LabelStyle::Secondary, l)),
    );
    let mut notes: Vec<String> = d.help.iter().map(|h| format!("help: {h}")).collect();
    notes.extend(d.notes.iter().map(|n| format!("note: {n}")));
    cs::Diagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

fn label(sources: &SourceMap, style: cs::LabelStyle, l: &Label) -> cs::Label<FileId> {
    cs::Label::new(style, l.file, safe_range(sources, l.file, l.span.range()))
        .with_message(l.message.clone())
}

/// Clamps a range to the file and to character boundaries, so a span that
/// is off by a byte can never make the renderer slice inside a character.
fn safe_range(sources: &SourceMap, file: FileId, range: Range<usize>) -> Range<usize> {
    let Some(text) = sources.get(file).map(|f| f.text.as_str()) else {
        return 0..0;
    };
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(range.start);
    start..floor(range.end).max(start)
}

fn write_summary(
    summary: Summary,
    deny_warnings: bool,
    out: &mut dyn WriteColor,
) -> io::Result<()> {
    let Summary {
        files,
        errors,
        warnings,
    } = summary;
    let in_files = format!("in {files} {}", plural(files, "file", "files"));
    let warning_text = format!("{warnings} {}", plural(warnings, "warning", "warnings"));
    let (head, color, text) = if errors > 0 {
        let error_text = format!("{errors} {}", plural(errors, "error", "errors"));
        let text = if warnings > 0 {
            format!("{error_text}, {warning_text} {in_files}")
        } else {
            format!("{error_text} {in_files}")
        };
        ("error", Color::Red, text)
    } else if warnings > 0 && deny_warnings {
        (
            "error",
            Color::Red,
            format!("{warning_text} {in_files} (warnings are denied)"),
        )
    } else if warnings > 0 {
        (
            "warning",
            Color::Yellow,
            format!("{warning_text} {in_files}"),
        )
    } else {
        ("ok", Color::Green, format!("no problems {in_files}"))
    };
    out.set_color(
        ColorSpec::new()
            .set_fg(Some(color))
            .set_bold(true)
            .set_intense(true),
    )?;
    write!(out, "{head}")?;
    out.reset()?;
    writeln!(out, ": {text}")
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// The source map as codespan-reporting sees it.
struct SourceFiles<'a>(&'a SourceMap);

impl<'a> Files<'a> for SourceFiles<'a> {
    type FileId = FileId;
    type Name = std::path::Display<'a>;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<Self::Name, FilesError> {
        self.0
            .get(id)
            .map(|f| f.path.display())
            .ok_or(FilesError::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.0
            .get(id)
            .map(|f| f.text.as_str())
            .ok_or(FilesError::FileMissing)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        self.0
            .get(id)
            .map(|f| f.line_index(byte_index))
            .ok_or(FilesError::FileMissing)
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let f = self.0.get(id).ok_or(FilesError::FileMissing)?;
        let lines = f.line_starts().len();
        if line_index >= lines {
            return Err(FilesError::LineTooLarge {
                given: line_index,
                max: lines.saturating_sub(1),
            });
        }
        Ok(f.line_start(line_index)..f.line_start(line_index + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;
    use crate::source::{SourceFile, Span};
    use codespan_reporting::term::termcolor::NoColor;

    fn render_plain(text: &str, d: &Diagnostic, summary: Summary) -> String {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("job.conf", text.as_bytes().to_vec()));
        let mut out = NoColor::new(Vec::new());
        let options = Options {
            summary: true,
            deny_warnings: false,
        };
        render(
            &sources,
            std::slice::from_ref(d),
            summary,
            options,
            &mut out,
        )
        .unwrap_or_default();
        String::from_utf8_lossy(&out.into_inner()).into_owned()
    }

    #[test]
    fn a_span_inside_a_character_is_clamped() {
        let d = Diagnostic::new(Code::UnknownStanza, FileId(0), Span::new(1, 2), "x");
        let text = render_plain(
            "é\n",
            &d,
            Summary {
                files: 1,
                errors: 1,
                warnings: 0,
            },
        );
        assert!(text.contains("error[E0006]: x"), "{text}");
        assert!(text.contains("job.conf:1:1"), "{text}");
    }

    #[test]
    fn an_empty_file_shows_no_excerpt() {
        let d = Diagnostic::new(
            Code::Unreadable,
            FileId(0),
            Span::point(0),
            "cannot read file `job.conf`",
        );
        let text = render_plain(
            "",
            &d,
            Summary {
                files: 0,
                errors: 1,
                warnings: 0,
            },
        );
        assert_eq!(
            text,
            "error[E0018]: cannot read file `job.conf`\n\nerror: 1 error in 0 files\n"
        );
    }

    #[test]
    fn summary_wording() {
        let mut out = NoColor::new(Vec::new());
        let s = |errors, warnings| Summary {
            files: 3,
            errors,
            warnings,
        };
        for (summary, deny) in [
            (s(2, 1), false),
            (s(1, 0), false),
            (s(0, 1), false),
            (s(0, 2), true),
            (s(0, 0), false),
        ] {
            write_summary(summary, deny, &mut out).unwrap_or_default();
        }
        let text = String::from_utf8_lossy(&out.into_inner()).into_owned();
        assert_eq!(
            text,
            "error: 2 errors, 1 warning in 3 files\n\
             error: 1 error in 3 files\n\
             warning: 1 warning in 3 files\n\
             error: 2 warnings in 3 files (warnings are denied)\n\
             ok: no problems in 3 files\n"
        );
    }
}
