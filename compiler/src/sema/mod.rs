//! Sema: one job file (and its override) becomes a typed [`JobClass`].
//!
//! Applies Upstart's repetition rules (job-language.md section 3), checks
//! every value (ranges, signal names, octal umask, resource names, ...) with
//! the exact error Upstart gives, and adds warnings for what Upstart accepts
//! but almost certainly is a mistake. It never does I/O and never looks at
//! other jobs (that is `graph`).
//!
//! Layout: [`lower`](fn@lower) walks the stanzas (`lower.rs`); `values`
//! reads numbers exactly as Upstart's C code does; `repetition` knows which
//! stanzas are single-valued and how `cgroup` merges; `signals` is the
//! signal name table; `warnings` holds the checks that
//! look at more than one value; `suggest` makes "did you mean" help.

pub mod ir;
mod lower;
mod repetition;
pub mod signals;

pub mod values;
mod warnings;

#[cfg(test)]
mod tests;

pub use ir::JobClass;
pub use lower::{APPARMOR_PARSER, DEFAULT_CGROUP_NAME};
pub use signals::{signal_name, signal_number};

use crate::diag::Diagnostic;
use crate::source::FileId;
use crate::syntax::ast::JobFile;

/// One parsed file that contributes to a job: the `.conf`, then optionally
/// its `.override` (parsed as a continuation of the same class).
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub ast: &'a JobFile,
}

/// Lowers a job's parts into a class. Every problem is a diagnostic; the
/// class is always returned (with the valid stanzas applied) so the language
/// server can still use it. A class with error diagnostics must not be built.
///
/// `parts` is the `.conf` first, then the `.override` if there is one; the
/// override continues the same class (its `manual` clears the conf's
/// `start on`, its single-valued stanzas replace the conf's, its `env`,
/// `export`, `emits` and `normal exit` add to them). Stanzas that failed to
/// parse (`StanzaKind::Error`) are skipped: the parser reported them.
pub fn lower(name: &str, parts: &[Part<'_>]) -> (JobClass, Vec<Diagnostic>) {
    lower::lower(name, parts)
}

/// One job's texts parsed and lowered: what [`lower_texts`] returns.
#[derive(Debug)]
pub struct Lowered {
    pub class: JobClass,
    /// The parser's diagnostics, the `.conf`'s then the override's.
    pub parse: Vec<Diagnostic>,
    /// Sema's diagnostics (including those it cannot judge when a stanza
    /// failed to parse: see [`Lowered::reported`]).
    pub sema: Vec<Diagnostic>,
}

impl Lowered {
    /// Whether either text has a parse error.
    pub fn parse_failed(&self) -> bool {
        self.parse.iter().any(Diagnostic::is_error)
    }

    /// Sema's diagnostics as a check reports them, then the parser's: a
    /// stanza that did not parse is missing from the class, so sema's
    /// judgements of the job as a whole (no main process, ...) may be
    /// wrong; with parse errors only sema's errors are kept. Returns the
    /// class beside them.
    pub fn reported(self) -> (JobClass, Vec<Diagnostic>) {
        let parse_failed = self.parse_failed();
        let mut out: Vec<Diagnostic> = self
            .sema
            .into_iter()
            .filter(|d| !parse_failed || d.is_error())
            .collect();
        out.extend(self.parse);
        (self.class, out)
    }
}

/// The one entry point for "lower these texts": parses a job's `.conf` and,
/// if given, its `.override`, and lowers them together into a class named
/// `name` (`check` and the tests come through here).
pub fn lower_texts(name: &str, conf: (FileId, &str), override_: Option<(FileId, &str)>) -> Lowered {
    let parsed: Vec<(FileId, &str, crate::syntax::Parsed)> = std::iter::once(conf)
        .chain(override_)
        .map(|(file, text)| (file, text, crate::syntax::parse(file, text)))
        .collect();
    let parts: Vec<Part<'_>> = parsed
        .iter()
        .map(|(file, text, p)| Part {
            file: *file,
            text,
            ast: &p.ast,
        })
        .collect();
    let (class, sema) = lower(name, &parts);
    let parse = parsed
        .into_iter()
        .flat_map(|(_, _, p)| p.diagnostics)
        .collect();
    Lowered { class, parse, sema }
}
