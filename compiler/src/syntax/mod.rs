//! The job language's syntax: a modal logos lexer and a lalrpop grammar.
//!
//! Invariant: [`parse`] never fails and never panics. It returns a tree
//! covering every stanza it could read plus one diagnostic per broken
//! stanza, so one run reports every error in a file. Errors carry Upstart's
//! own error kinds (job-language.md 2.9) as stable codes, on the line
//! Upstart reports.

mod actions;
pub mod ast;
pub mod lexer;
pub mod scan;
#[cfg(test)]
mod tests;

use lalrpop_util::{lalrpop_mod, ErrorRecovery, ParseError};
use upc_bundle::model::Resource;

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::suggest;
use lexer::{Kw, Spanned, Tok, STANZAS};

lalrpop_mod!(
    #[allow(
        clippy::all,
        clippy::pedantic,
        clippy::unwrap_used,
        clippy::expect_used,
        unused
    )]
    grammar,
    "/syntax/grammar.rs"
);

/// The result of parsing one file.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub ast: ast::JobFile,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a job file's text.
pub fn parse(file: FileId, text: &str) -> Parsed {
    let (tokens, mut diagnostics) = lexer::lex(file, text);
    let mut recovered = Vec::new();
    let mut errors = Vec::new();
    let mut empty = Vec::new();
    let result = grammar::FileParser::new().parse(
        file,
        &mut recovered,
        &mut errors,
        &mut empty,
        tokens
            .into_iter()
            .map(Ok::<Spanned, std::convert::Infallible>),
    );
    let mut stanzas = match result {
        Ok(stanzas) => stanzas,
        Err(e) => {
            // The error rule catches everything up to an `eol`, and the
            // lexer ends every line (and the file) with one, so this is not
            // expected; if it happens the error is still reported.
            recovered.push(ErrorRecovery {
                error: e,
                dropped_tokens: Vec::new(),
            });
            Vec::new()
        }
    };
    // An empty argument is the first error of its stanza (Upstart reads
    // arguments one by one and stops there): the stanza is broken.
    for s in &mut stanzas {
        if empty
            .iter()
            .any(|e| s.span.start <= e.start && e.end <= s.span.end)
        {
            s.kind = ast::StanzaKind::Error;
        }
    }
    diagnostics.extend(empty.iter().map(|&span| empty_argument(file, text, span)));
    // An error in an action (a positional argument after a named one) is
    // only worth reporting in a stanza that otherwise parsed: inside a
    // stanza the grammar gave up on (typically an unclosed parenthesis that
    // swallowed the rest of the file) it would repeat once per line.
    let broken: Vec<Span> = stanzas
        .iter()
        .filter(|s| s.kind == ast::StanzaKind::Error)
        .map(|s| s.span)
        .collect();
    diagnostics.extend(errors.into_iter().filter(|d| {
        let at = d.primary.span.start;
        d.code != Code::ExpectedVariable || !broken.iter().any(|b| b.start <= at && at <= b.end)
    }));
    if !recovered.is_empty() {
        // Explaining an error looks at the tokens around it. Errors are
        // rare, so the tokens are moved into the parser and, only when
        // needed, lexed again instead of being copied for every file.
        let (tokens, _) = lexer::lex(file, text);
        diagnostics.extend(
            recovered
                .into_iter()
                .filter_map(|r| explain(file, text, &tokens, r.error))
                // Upstart stops at an empty argument: what follows it on
                // its line is never read.
                .filter(|d| {
                    let at = d.primary.span.start;
                    !empty
                        .iter()
                        .any(|e| e.start < at && at <= line_end(&tokens, e.start as usize))
                }),
        );
    }
    diagnostics.sort_by_key(|d| (d.primary.span.start, d.primary.span.end));
    Parsed {
        ast: ast::JobFile { stanzas },
        diagnostics,
    }
}

/// Where the line of the token at `offset` ends (its `Eol` token).
fn line_end(tokens: &[Spanned], offset: usize) -> u32 {
    let from = tokens.partition_point(|(s, _, _)| *s < offset);
    tokens
        .get(from..)
        .and_then(|rest| rest.iter().find(|(_, t, _)| *t == Tok::Eol))
        .map_or(u32::MAX, |(s, _, _)| u32::try_from(*s).unwrap_or(u32::MAX))
}

/// Upstart's "Expected token" for an argument that quote removal empties.
pub(crate) fn empty_argument(file: FileId, text: &str, span: Span) -> Diagnostic {
    let written = text.get(span.range()).unwrap_or("");
    Diagnostic::new(
        Code::ExpectedToken,
        file,
        span,
        format!("expected an argument, found `{}`", short(written)),
    )
    .with_label("empty once its quotes are removed")
    .with_note("Upstart refuses an argument that is empty after quote removal")
    .with_help("write a value, or remove the argument")
}

/// Turns a grammar error into Upstart's error kind with a helpful message.
/// Returns `None` for errors the lexer has already reported.
fn explain(
    file: FileId,
    text: &str,
    tokens: &[Spanned],
    error: ParseError<usize, Tok, std::convert::Infallible>,
) -> Option<Diagnostic> {
    let (start, tok, end, expected) = match error {
        ParseError::UnrecognizedToken {
            token: (l, tok, r),
            expected,
        } => (l, tok, r, expected),
        ParseError::UnrecognizedEof { location, expected } => {
            (location, Tok::Eol, location, expected)
        }
        ParseError::InvalidToken { location } => (location, Tok::Invalid, location, Vec::new()),
        ParseError::ExtraToken { token: (l, tok, r) } => (l, tok, r, Vec::new()),
        ParseError::User { error } => match error {},
    };
    let expects = |name: &str| expected.iter().any(|e| e.trim_matches('"') == name);
    let span = Span::new(start, end);
    // A word as Upstart reads it (a continuation is a space), else as written.
    let found = match &tok {
        Tok::Word(value) => value.as_str(),
        _ => text.get(start..end).unwrap_or(""),
    };
    let previous = previous_keyword(tokens, start);
    let diag = |code, msg: String| Diagnostic::new(code, file, span, msg);
    let d = match tok {
        Tok::Invalid => return None,
        Tok::Eol if expects(")") => {
            let d = diag(Code::MismatchedParens, "unclosed parenthesis".into())
                .with_label("the expression ends here with a `(` still open")
                .with_help(
                    "add the missing `)`; while a `(` is open, the expression goes on over the next lines",
                );
            match unclosed_paren(tokens, start) {
                Some(open) => d.with_secondary(file, open, "this `(` is never closed"),
                None => d,
            }
        }
        Tok::Eol if expects("operand") => diag(
            Code::ExpectedEvent,
            "expected an event after the operator".into(),
        )
        .with_label("an event name is missing here"),
        Tok::Eol => {
            let what = describe_expected(&expected);
            let after = previous
                .map(|k| format!(" after `{k}`"))
                .unwrap_or_default();
            diag(Code::ExpectedToken, format!("expected {what}{after}"))
                .with_label(format!("expected {what} here"))
        }
        Tok::And | Tok::Or => diag(
            Code::ExpectedEvent,
            format!("expected an event before `{found}`"),
        )
        .with_label("an operator needs an event on each side"),
        Tok::RParen if expects("operand") || expects("(") => {
            diag(Code::ExpectedEvent, "expected an event before `)`".into())
                .with_label("an event is missing here")
        }
        Tok::RParen => diag(Code::MismatchedParens, "unmatched `)`".into())
            .with_label("no `(` is open here")
            .with_help("remove it, or add the `(` it closes"),
        Tok::LParen | Tok::Operand(_) => diag(
            Code::ExpectedOperator,
            format!("expected `and` or `or` before `{found}`"),
        )
        .with_label("two events need an operator between them")
        .with_help("join them with `and` or `or`; arguments of an event cannot be parenthesized"),
        Tok::Word(_) | Tok::Kw(_) | Tok::Resource(_) if expects("instance") => {
            unknown_stanza(file, span, found)
        }
        Tok::Word(_) | Tok::Kw(_) | Tok::Resource(_) if SECOND_LEVEL.iter().any(|n| expects(n)) => {
            let what = describe_expected(&expected);
            let after = previous
                .map(|k| format!(" after `{k}`"))
                .unwrap_or_default();
            let d = diag(
                Code::UnknownStanza,
                format!("unknown keyword `{found}`{after}"),
            )
            .with_label(format!("expected {what}"));
            if expects("resource") {
                let names: Vec<&str> = Resource::ALL.iter().map(|r| r.name()).collect();
                let d = d.with_help(suggest::help(found, &names));
                return Some(match suggest::closest(found, names.iter().copied()) {
                    Some(s) => d.with_fix(span, s),
                    None => d,
                });
            }
            match suggest::closest(found, SECOND_LEVEL.iter().copied().filter(|n| expects(n))) {
                Some(s) => d
                    .with_help(format!("did you mean `{s}`?"))
                    .with_fix(span, s),
                None => d,
            }
        }
        Tok::Word(_) | Tok::Kw(_) | Tok::Resource(_) | Tok::Command(_) | Tok::Body(_) => {
            let what = previous.map(|k| format!(" `{k}`")).unwrap_or_default();
            diag(
                Code::UnexpectedToken,
                format!(
                    "unexpected `{}` after a complete{what} stanza",
                    short(found)
                ),
            )
            .with_label("nothing more is expected on this line")
            .with_help("quote a value that contains spaces, or put the next stanza on its own line")
        }
    };
    Some(d)
}

/// Second-level keywords (and the resource slot of `limit`), as grammar
/// terminal names.
const SECOND_LEVEL: &[&str] = &[
    "on", "exec", "script", "timeout", "signal", "limit", "exit", "load", "switch", "resource",
];

fn unknown_stanza(file: FileId, span: Span, found: &str) -> Diagnostic {
    let d = Diagnostic::new(
        Code::UnknownStanza,
        file,
        span,
        format!("unknown stanza `{}`", short(found)),
    )
    .with_label("not a stanza Upstart 1.13 knows");
    if let Some(hint) = historic(found) {
        return d.with_help(hint);
    }
    // A real stanza of another Upstart is not a typo of one of ours.
    if let Some(note) = foreign(found) {
        return d.with_note(note);
    }
    match suggest::closest(found, STANZAS.iter().map(|(n, _)| *n)) {
        Some(s) => d
            .with_help(format!("did you mean `{s}`?"))
            .with_fix(span, s),
        None => d,
    }
}

/// Stanzas of other builds of Upstart, which Upstart 1.13 refuses: what
/// they are, instead of a "did you mean" for a word that is no typo.
fn foreign(word: &str) -> Option<&'static str> {
    Some(match word {
        "import" => {
            "`import` is a stanza of ChromiumOS's Upstart (it copies variables of the event that \
             starts the job); it is not an Upstart 1.13 stanza"
        }
        _ => return None,
    })
}

/// Stanzas of older Upstart versions, with what replaced them.
fn historic(word: &str) -> Option<&'static str> {
    Some(match word {
        "on" => "`on EVENT` is pre-0.3.7 syntax; write `start on EVENT`",
        "service" | "daemon" => "this stanza was removed in Upstart 0.5; services are the default, use `expect fork`/`expect daemon` for forking daemons",
        "pid" => "`pid file`/`pid timeout` were removed; use `expect fork` or `expect daemon`",
        "wait" => "`wait for daemon` was removed; use `expect daemon`",
        "session" => "`session leader` was removed; every job process is a session leader",
        "normalexit" => "write `normal exit` (two words)",
        "respawnlimit" => "write `respawn limit` (two words)",
        "killtimeout" | "kill_timeout" => "write `kill timeout` (two words)",
        _ => return None,
    })
}

fn describe_expected(expected: &[String]) -> String {
    let mut parts: Vec<String> = expected
        .iter()
        .map(|e| e.trim_matches('"'))
        .filter_map(|e| match e {
            "word" => Some("an argument".to_owned()),
            "command" => Some("a command".to_owned()),
            "operand" => Some("an event".to_owned()),
            "resource" => Some("a resource name".to_owned()),
            "body" | "invalid" | "eol" | "(" | ")" | "and" | "or" => None,
            kw => Some(format!("`{kw}`")),
        })
        .collect();
    parts.sort();
    parts.dedup();
    match parts.len() {
        0 => "more".to_owned(),
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} or {last}", parts.join(", "))
        }
    }
}

/// The last `(` still open at `offset`, in the expression that contains it.
fn unclosed_paren(tokens: &[Spanned], offset: usize) -> Option<Span> {
    let idx = tokens.partition_point(|(s, _, _)| *s < offset);
    let expression = tokens
        .get(..idx)?
        .iter()
        .rev()
        .take_while(|(_, t, _)| *t != Tok::Eol && *t != Tok::Kw(Kw::On));
    let mut closes = 0usize;
    for (s, t, e) in expression {
        match t {
            Tok::RParen => closes += 1,
            Tok::LParen if closes > 0 => closes -= 1,
            Tok::LParen => return Some(Span::new(*s, *e)),
            _ => {}
        }
    }
    None
}

/// The stanza keyword of the line a token at `offset` is on, if any.
fn previous_keyword(tokens: &[Spanned], offset: usize) -> Option<&'static str> {
    let idx = tokens.partition_point(|(s, _, _)| *s < offset);
    tokens
        .get(..idx)?
        .iter()
        .rev()
        .take_while(|(_, t, _)| *t != Tok::Eol)
        .find_map(|(_, t, _)| match t {
            Tok::Kw(kw) => keyword_name(*kw),
            _ => None,
        })
}

fn keyword_name(kw: Kw) -> Option<&'static str> {
    STANZAS
        .iter()
        .find(|(_, k)| *k == kw)
        .map(|(n, _)| *n)
        .or(match kw {
            Kw::On => Some("on"),
            Kw::Timeout => Some("timeout"),
            Kw::Signal => Some("signal"),
            Kw::Exit => Some("exit"),
            Kw::Load => Some("load"),
            Kw::Switch => Some("switch"),
            Kw::Score => Some("score"),
            Kw::Fd => Some("fd"),
            _ => None,
        })
}

/// Long words are shortened in messages.
fn short(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", s.get(..i).unwrap_or("")),
        None => s.to_owned(),
    }
}
