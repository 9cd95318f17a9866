//! Document symbols (the stanzas, processes first-class) and quick fixes
//! (the [`Fix`](crate::diag::Fix) a diagnostic carries, as a code action).

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, DocumentSymbol, Range, SymbolKind, TextEdit,
    Uri, WorkspaceEdit,
};

use crate::diag::Diagnostic;
use crate::source::Span;
use crate::syntax::lexer::{Kw, Tok};

use super::document::{Document, Encoding};
use super::tokens::{first_keyword, stanza_name, stanzas};

/// One symbol per stanza, in file order.
pub fn document_symbols(
    doc: &Document,
    tokens: &[crate::syntax::lexer::Spanned],
    encoding: Encoding,
) -> Vec<DocumentSymbol> {
    let text = doc.text.as_str();
    stanzas(tokens, text)
        .iter()
        .filter_map(|stanza| {
            let (name, keywords) = stanza_name(tokens, stanza)?;
            let kind = match first_keyword(tokens, stanza)? {
                Kw::Exec
                | Kw::Script
                | Kw::PreStart
                | Kw::PostStart
                | Kw::PreStop
                | Kw::PostStop => SymbolKind::FUNCTION,
                Kw::Start | Kw::Stop | Kw::Emits => SymbolKind::EVENT,
                Kw::Env | Kw::Export => SymbolKind::VARIABLE,
                Kw::Description | Kw::Author | Kw::Version | Kw::Usage => SymbolKind::STRING,
                _ => SymbolKind::PROPERTY,
            };
            // The rest of the stanza's first line, as its detail.
            let args_start = keywords.end as usize;
            let line = text.get(args_start..stanza.span.end as usize).unwrap_or("");
            let first_line = line.lines().next().unwrap_or("").trim();
            let detail = match tokens.get(stanza.first + 1) {
                _ if first_line.is_empty() => None,
                Some((_, Tok::Body(_), _)) => None,
                _ => Some(shorten(first_line)),
            };
            #[allow(deprecated)] // `deprecated` is a required field of the type
            Some(DocumentSymbol {
                name,
                detail,
                kind,
                tags: None,
                deprecated: None,
                range: doc.range(stanza.span, encoding),
                selection_range: doc.range(keywords, encoding),
                children: None,
            })
        })
        .collect()
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", text.get(..i).unwrap_or("")),
        None => text.to_owned(),
    }
}

// lsp-types keys `WorkspaceEdit::changes` by `Uri`, whose parsed form
// clippy takes for interior mutability; it is never mutated here.
#[allow(clippy::mutable_key_type)]
/// The quick fixes for the diagnostics (of this document, with their
/// converted form) whose span meets `range`.
pub fn quick_fixes(
    uri: &Uri,
    doc: &Document,
    encoding: Encoding,
    range: Range,
    diagnostics: &[(&Diagnostic, lsp_types::Diagnostic)],
) -> Vec<CodeActionOrCommand> {
    let (start, end) = doc.lines.span(&doc.text, range, encoding);
    diagnostics
        .iter()
        .filter_map(|(d, converted)| {
            let fix = d.fix.as_ref()?;
            let span = d.primary.span;
            let meets = span.start as usize <= end && start <= span.end as usize;
            if !meets {
                return None;
            }
            let old = doc.text.get(fix.span.range()).unwrap_or("");
            let edit = TextEdit::new(doc.range(fix.span, encoding), fix.replacement.clone());
            let changes = HashMap::from([(uri.clone(), vec![edit])]);
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Replace `{old}` with `{}`", fix.replacement),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![converted.clone()]),
                edit: Some(WorkspaceEdit::new(changes)),
                is_preferred: Some(true),
                ..CodeAction::default()
            }))
        })
        .collect()
}

/// The smallest single edit that turns `old` into `new`: the common start
/// and end are left alone (so the cursor and folds mostly stay put).
pub fn minimal_edit(doc: &Document, new: &str, encoding: Encoding) -> Option<TextEdit> {
    let old = doc.text.as_str();
    if old == new {
        return None;
    }
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    let replaced = Span::new(prefix, old.len() - suffix);
    let inserted = new.get(prefix..new.len() - suffix).unwrap_or("");
    Some(TextEdit::new(
        doc.range(replaced, encoding),
        inserted.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimal_edit_rebuilds_the_new_text() {
        for (old, new) in [
            ("start  on a\n", "start on a\n"),
            ("a\n", "a\n\n"),
            ("é  é\n", "é é\n"),
            ("abc", ""),
            ("", "x\n"),
        ] {
            let mut doc = Document::new(old.to_owned(), 1);
            if let Some(edit) = minimal_edit(&doc, new, Encoding::Utf16) {
                doc.apply(Some(edit.range), &edit.new_text, Encoding::Utf16);
            }
            assert_eq!(doc.text, new, "{old:?} -> {new:?}");
        }
    }
}
