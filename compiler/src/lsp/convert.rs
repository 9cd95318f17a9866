//! upc's [`Diagnostic`]s as LSP diagnostics: a conversion, never a second
//! analysis. The primary label becomes the range, the secondary labels the
//! related information, help and notes go into the message, and the code
//! links to its explanation.

use std::str::FromStr;

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location,
    NumberOrString, Range, Uri,
};

use crate::diag::{Code, Diagnostic, Label, Severity};

/// Where the explanations live in the source tree, under the project's
/// repository address.
const EXPLAIN_BASE: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/blob/main/compiler/src/diag/explain/"
);

/// The link to a code's explanation (what `upc explain CODE` prints).
pub fn explanation_link(code: Code) -> Option<Uri> {
    Uri::from_str(&format!("{EXPLAIN_BASE}{}.md", code.as_str())).ok()
}

/// Converts one diagnostic. `range` places the primary label; `locate`
/// places a secondary label (`None` drops it).
pub fn diagnostic(
    d: &Diagnostic,
    range: Range,
    locate: &dyn Fn(&Label) -> Option<Location>,
) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    if !d.primary.message.is_empty() && d.primary.message != d.message {
        message.push_str(": ");
        message.push_str(&d.primary.message);
    }
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    for note in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|label| {
            Some(DiagnosticRelatedInformation {
                location: locate(label)?,
                message: if label.message.is_empty() {
                    "see here".to_owned()
                } else {
                    label.message.clone()
                },
            })
        })
        .collect();
    let tags = match d.code {
        // Waits that can never be satisfied: the editor may grey them out.
        Code::NeverStarts | Code::NeverStops => Some(vec![DiagnosticTag::UNNECESSARY]),
        _ => None,
    };
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity() {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Note => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_owned())),
        code_description: explanation_link(d.code).map(|href| CodeDescription { href }),
        source: Some("upc".to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags,
        data: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};
    use lsp_types::Position;

    #[test]
    fn help_notes_code_and_secondary_labels_are_carried_over() {
        let d = Diagnostic::new(
            Code::UnknownStanza,
            FileId(0),
            Span::new(0, 3),
            "unknown stanza `foo`",
        )
        .with_label("not a stanza")
        .with_help("did you mean `env`?")
        .with_note("a note")
        .with_secondary(FileId(1), Span::new(1, 2), "");
        let range = Range::new(Position::new(0, 0), Position::new(0, 3));
        let elsewhere = Location::new(
            Uri::from_str("file:///b.conf").unwrap_or_else(|e| panic!("{e}")),
            range,
        );
        let out = diagnostic(&d, range, &|_| Some(elsewhere.clone()));
        assert_eq!(
            out.message,
            "unknown stanza `foo`: not a stanza\nhelp: did you mean `env`?\nnote: a note"
        );
        assert_eq!(out.code, Some(NumberOrString::String("E0006".into())));
        assert_eq!(out.severity, Some(DiagnosticSeverity::ERROR));
        assert!(out
            .code_description
            .is_some_and(|c| c.href.as_str().ends_with("/explain/E0006.md")));
        assert_eq!(out.related_information.map(|r| r.len()), Some(1));
    }
}
