//! The short format: exactly one line per diagnostic,
//! `PATH:LINE:COL: error[E0006]: message` (1-based line and column), and
//! nothing else, so `grep`, `sort` and editors' quickfix lists can read it.

use std::io::{self, Write};

use super::{path_string, region};
use crate::diag::Diagnostic;
use crate::source::SourceMap;

pub(super) fn render(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    out: &mut dyn Write,
) -> io::Result<()> {
    for d in diagnostics {
        let at = region(sources, d.primary.file, d.primary.span);
        writeln!(
            out,
            "{}:{}:{}: {}[{}]: {}",
            one_line(&path_string(sources, d.primary.file)),
            at.start_line,
            at.start_column,
            d.severity().as_str(),
            d.code.as_str(),
            one_line(&d.message),
        )?;
    }
    Ok(())
}

/// Line breaks would split a record in two: show them as spaces.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}
