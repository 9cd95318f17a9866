//! Helpers the grammar's actions call, kept out of the .lalrpop file so
//! they are ordinary, tested Rust.

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::ast::{ArgKind, EventArg, EventMatch, Expr, Stanza, StanzaKind, Word};

pub fn stanza(keyword: Span, last: Span, kind: StanzaKind) -> Stanza {
    Stanza {
        span: keyword.to(last),
        keyword,
        kind,
    }
}

pub fn one((keyword, word): (Span, Word), make: fn(Word) -> StanzaKind) -> Stanza {
    let last = word.span;
    stanza(keyword, last, make(word))
}

pub fn list(keyword: Span, words: Vec<Word>, make: fn(Vec<Word>) -> StanzaKind) -> Stanza {
    let last = words.last().map_or(keyword, |w| w.span);
    stanza(keyword, last, make(words))
}

pub fn parenthesized(mut e: Expr) -> Expr {
    if let Expr::Binary(b) = &mut e {
        b.parenthesized = true;
    }
    e
}

/// Splits an event match's operands into positional and `KEY=`/`KEY!=`
/// arguments; a positional one after a named one is Upstart's
/// "Expected variable name before value".
pub fn event_match(
    file: FileId,
    errors: &mut Vec<Diagnostic>,
    span: Span,
    event: Word,
    operands: Vec<Word>,
) -> EventMatch {
    let mut args = Vec::with_capacity(operands.len());
    let mut first_named: Option<Span> = None;
    for w in operands {
        let kind_value = if let Some((k, v)) = w.value.split_once("!=") {
            Some((ArgKind::NotEquals(k.to_owned()), v.to_owned()))
        } else {
            w.value
                .split_once('=')
                .map(|(k, v)| (ArgKind::Equals(k.to_owned()), v.to_owned()))
        };
        let (kind, value) = match kind_value {
            Some((kind, value)) => {
                first_named.get_or_insert(w.span);
                (kind, value)
            }
            None => {
                if let Some(named) = first_named {
                    errors.push(
                        Diagnostic::new(
                            Code::ExpectedVariable,
                            file,
                            w.span,
                            format!(
                                "positional argument `{}` after a KEY=VALUE argument",
                                w.value
                            ),
                        )
                        .with_label("positional arguments must come first")
                        .with_secondary(file, named, "the first KEY=VALUE argument")
                        .with_help(format!(
                            "move `{}` before the KEY=VALUE arguments, or write it as KEY={}",
                            w.value, w.value
                        )),
                    );
                }
                (ArgKind::Positional, w.value)
            }
        };
        args.push(EventArg {
            span: w.span,
            kind,
            value,
        });
    }
    EventMatch { span, event, args }
}

pub fn expected_interval(file: FileId, at: usize) -> Diagnostic {
    Diagnostic::new(
        Code::ExpectedToken,
        file,
        Span::point(at),
        "expected the respawn interval",
    )
    .with_label("expected a number of seconds here")
    .with_help("write `respawn limit COUNT SECONDS`, or `respawn limit unlimited`")
}

pub fn unexpected_after(file: FileId, span: Span, form: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnexpectedToken,
        file,
        span,
        format!("unexpected argument after `{form}`"),
    )
    .with_label("not expected here")
}
