//! The github format: GitHub Actions workflow commands, which the runner
//! turns into annotations on the pull request's diff:
//! `::error file=PATH,line=L,col=C,endLine=L,endColumn=C,title=E0006::message`.
//!
//! Escaping follows the workflow-command rules (as in `@actions/core`): in
//! the message `%`, CR and LF become `%25`, `%0D`, `%0A`; in property values
//! `:` and `,` are escaped too (`%3A`, `%2C`), since they delimit properties.

use std::io::{self, Write};

use super::{message_with_help, path_string, region};
use crate::diag::{Diagnostic, Severity};
use crate::source::SourceMap;

pub(super) fn render(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    out: &mut dyn Write,
) -> io::Result<()> {
    for d in diagnostics {
        let command = match d.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let at = region(sources, d.primary.file, d.primary.span);
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&path_string(sources, d.primary.file)),
            at.start_line,
            at.start_column,
            at.end_line,
            at.end_column,
            escape_property(d.code.as_str()),
            escape_data(&message_with_help(d)),
        )?;
    }
    Ok(())
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_actions_core() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%d\n"), "a%3Ab%2Cc%25d%0A");
    }
}
