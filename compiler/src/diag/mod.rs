//! Diagnostics: one type for every consumer.
//!
//! The terminal renderer, the machine formats (short, json, sarif, github) and
//! the language server all take the same [`Diagnostic`] values; nobody
//! re-derives them. Every diagnostic has a stable [`Code`] whose long
//! explanation `upc explain` prints.

mod codes;
pub mod render;

pub use codes::{Code, CodeInfo};

use crate::source::{FileId, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A place in a file with something to say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(file: FileId, span: Span, message: impl Into<String>) -> Label {
        Label {
            file,
            span,
            message: printable(message.into()),
        }
    }
}

/// `text` with every control character (a newline, a tab, NUL, ...)
/// written as an escape (`\n`, `\t`, `\0`, `\u{1b}`): messages quote input,
/// and a raw newline or escape sequence would break a one-line format or
/// a terminal. Every text of a diagnostic goes through here.
pub fn printable(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// A machine-applicable fix: replace `span` of the primary label's file
/// with `replacement`. Only set where the fix is certain enough to apply
/// with one click (the "did you mean" of a closed set of words); the
/// language server offers it as a code action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    /// Where the problem is. Its message may be empty.
    pub primary: Label,
    /// Other places that explain it, in reading order.
    pub secondary: Vec<Label>,
    /// How to fix it, when that is known.
    pub help: Option<String>,
    pub notes: Vec<String>,
    /// The edit the help suggests, when there is exactly one.
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn new(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: printable(message.into()),
            primary: Label::new(file, span, ""),
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
            fix: None,
        }
    }

    pub fn severity(&self) -> Severity {
        self.code.info().severity
    }

    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = printable(message.into());
        self
    }

    pub fn with_secondary(
        mut self,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.secondary.push(Label::new(file, span, message));
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(printable(help.into()));
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(printable(note.into()));
        self
    }

    /// Sets the fix: `replacement` for `span` in the primary label's file.
    pub fn with_fix(mut self, span: Span, replacement: impl Into<String>) -> Diagnostic {
        self.fix = Some(Fix {
            span,
            replacement: replacement.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}
