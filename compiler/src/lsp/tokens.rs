//! What the cursor is on, read from the lexer's tokens.
//!
//! The language server works from tokens rather than the syntax tree for
//! positions: tokens exist for every line of a file, broken stanzas and
//! half-typed lines included, and carry both the span and the value as
//! Upstart reads it. A stanza is the run of tokens from its keyword to its
//! end of line (plus its script body); inside `start on`/`stop on`, an
//! operand right after `on`, `and`, `or` or `(` is an event name and the
//! operands after it are its arguments.

use crate::source::Span;
use crate::syntax::lexer::{second_keywords, Kw, Spanned, Tok, STANZAS};

/// The four events init emits for every job; their first argument (or
/// `JOB=`) names the job.
pub const JOB_EVENTS: [&str; 4] = ["starting", "started", "stopping", "stopped"];

/// One stanza's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stanza {
    /// Index of its first token.
    pub first: usize,
    /// One past its last token (its `Eol` and body excluded).
    pub end: usize,
    /// From the keyword to the end of its last line (the `end script`
    /// line for a script).
    pub span: Span,
}

/// Splits a file's tokens into stanzas.
pub fn stanzas(tokens: &[Spanned], text: &str) -> Vec<Stanza> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Some((start, tok, _)) = tokens.get(i) else {
            break;
        };
        if matches!(tok, Tok::Eol | Tok::Body(_) | Tok::Invalid) {
            i += 1;
            continue;
        }
        let first = i;
        let mut end = i + 1;
        if !matches!(tok, Tok::Kw(Kw::Manual | Kw::Debug)) {
            while let Some((_, t, _)) = tokens.get(end) {
                if matches!(t, Tok::Eol) {
                    break;
                }
                end += 1;
            }
        }
        let mut stop = tokens.get(end.saturating_sub(1)).map_or(*start, |t| t.2);
        // The body after this stanza's end of line, with its terminator.
        if let Some((_, Tok::Body(_), body_end)) = tokens.get(end + 1) {
            stop = line_end(text, *body_end);
        } else if let Some((eol, Tok::Eol, _)) = tokens.get(end) {
            stop = (*eol).max(stop);
        }
        out.push(Stanza {
            first,
            end,
            span: Span::new(*start, stop),
        });
        i = end;
    }
    out
}

/// The end of the line `at` is on (before its newline).
fn line_end(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or("");
    at + rest.find('\n').unwrap_or(rest.len())
}

/// The stanza that contains token `index`.
pub fn stanza_of(stanzas: &[Stanza], index: usize) -> Option<&Stanza> {
    let at = stanzas.partition_point(|s| s.end <= index);
    stanzas
        .get(at)
        .filter(|s| s.first <= index && index < s.end)
}

/// The name of a stanza as written (`start on`, `kill timeout`,
/// `pre-start exec`), and the span of its keywords; `None` for a line that
/// does not start with a stanza keyword.
pub fn stanza_name(tokens: &[Spanned], stanza: &Stanza) -> Option<(String, Span)> {
    let (start, Tok::Kw(first), end) = tokens.get(stanza.first)? else {
        return None;
    };
    let name = STANZAS.iter().find(|(_, k)| k == first)?.0;
    if let Some((_, Tok::Kw(second), second_end)) = tokens
        .get(stanza.first + 1)
        .filter(|_| stanza.first + 1 < stanza.end)
    {
        if let Some((word, _)) = second_keywords(*first)
            .iter()
            .find(|(w, k)| k == second && !w.is_empty())
        {
            return Some((format!("{name} {word}"), Span::new(*start, *second_end)));
        }
    }
    Some((name.to_owned(), Span::new(*start, *end)))
}

/// The first keyword of a stanza.
pub fn first_keyword(tokens: &[Spanned], stanza: &Stanza) -> Option<Kw> {
    match tokens.get(stanza.first) {
        Some((_, Tok::Kw(k), _)) => Some(*k),
        _ => None,
    }
}

/// Whether a stanza is `start on` or `stop on` (an event expression).
pub fn is_condition(tokens: &[Spanned], stanza: &Stanza) -> Option<Which> {
    let which = match first_keyword(tokens, stanza)? {
        Kw::Start => Which::Start,
        Kw::Stop => Which::Stop,
        _ => return None,
    };
    matches!(tokens.get(stanza.first + 1), Some((_, Tok::Kw(Kw::On), _))).then_some(which)
}

/// Which condition an event is used in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Which {
    Start,
    Stop,
}

impl Which {
    pub fn stanza(self) -> &'static str {
        match self {
            Which::Start => "start on",
            Which::Stop => "stop on",
        }
    }
}

/// For an operand at `index`: the index of its event name and its
/// argument number (0 for the event name itself).
pub fn match_of(tokens: &[Spanned], index: usize) -> (usize, usize) {
    let mut event = index;
    while event > 0 && matches!(tokens.get(event - 1), Some((_, Tok::Operand(_), _))) {
        event -= 1;
    }
    (event, index - event)
}

/// Whether a job name can be taken literally (no glob, no variable).
pub fn is_literal(name: &str) -> bool {
    !name.is_empty() && !name.contains(['*', '?', '[', '$', '\\'])
}

/// What a name in a file refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An event waited on in `start on`/`stop on`.
    Use(Which),
    /// An event (or glob of events) declared with `emits`.
    Emits,
    /// A job named in a job event (`started foo`, `stopped JOB=foo`).
    JobRef(Which),
}

/// One name in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub kind: Kind,
    pub name: String,
    pub span: Span,
}

/// Every event and job name in a file, in order.
pub fn occurrences(tokens: &[Spanned], text: &str) -> Vec<Occurrence> {
    let mut out = Vec::new();
    for stanza in stanzas(tokens, text) {
        let range = stanza.first..stanza.end;
        if let Some(which) = is_condition(tokens, &stanza) {
            for i in range {
                if let Some(o) = operand_occurrence(tokens, text, i, which) {
                    out.push(o);
                }
            }
        } else if first_keyword(tokens, &stanza) == Some(Kw::Emits) {
            for (start, tok, end) in tokens.get(range).unwrap_or(&[]) {
                if let Tok::Word(name) = tok {
                    out.push(Occurrence {
                        kind: Kind::Emits,
                        name: name.clone(),
                        span: Span::new(*start, *end),
                    });
                }
            }
        }
    }
    out
}

/// The event or job an operand of a condition names, if any.
pub fn operand_occurrence(
    tokens: &[Spanned],
    text: &str,
    index: usize,
    which: Which,
) -> Option<Occurrence> {
    let (start, Tok::Operand(value), end) = tokens.get(index)? else {
        return None;
    };
    let (event_index, arg) = match_of(tokens, index);
    if arg == 0 {
        return Some(Occurrence {
            kind: Kind::Use(which),
            name: value.clone(),
            span: Span::new(*start, *end),
        });
    }
    let (_, Tok::Operand(event), _) = tokens.get(event_index)? else {
        return None;
    };
    if !JOB_EVENTS.contains(&event.as_str()) {
        return None;
    }
    let name = match value.strip_prefix("JOB=") {
        Some(name) => name,
        None if arg == 1 && !value.contains('=') => value.as_str(),
        None => return None,
    };
    if !is_literal(name) {
        return None;
    }
    // Point at the name itself when it is written plainly at the end.
    let raw = text.get(*start..*end).unwrap_or("");
    let span = if raw.ends_with(name) {
        Span::new(*end - name.len(), *end)
    } else {
        Span::new(*start, *end)
    };
    Some(Occurrence {
        kind: Kind::JobRef(which),
        name: name.to_owned(),
        span,
    })
}

/// The index of the token at `offset`: one that contains it, or else one
/// that ends exactly there (the cursor just after a word).
pub fn token_at(tokens: &[Spanned], offset: usize) -> Option<usize> {
    let after = tokens.partition_point(|(s, _, _)| *s <= offset);
    // The last token starting at or before `offset`, or the one before it
    // when that is an empty end of line sitting right at `offset`.
    (after.saturating_sub(2)..after).rev().find(|&i| {
        tokens.get(i).is_some_and(|(start, tok, end)| {
            *start <= offset
                && offset <= *end
                && start != end
                && !matches!(tok, Tok::Eol | Tok::Invalid)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::syntax::lexer::lex;

    fn names(text: &str) -> Vec<(Kind, String, &str)> {
        let (tokens, _) = lex(FileId(0), text);
        occurrences(&tokens, text)
            .into_iter()
            .map(|o| {
                let written = text.get(o.span.range()).unwrap_or("");
                (o.kind, o.name, written)
            })
            .collect()
    }

    #[test]
    fn events_and_job_names_in_conditions_and_emits_are_found() {
        let text = "start on (started dbus and net-up IFACE=eth0)\nstop on stopped JOB=\"x\" or a\nemits b *-c\n";
        let use_start = Kind::Use(Which::Start);
        let use_stop = Kind::Use(Which::Stop);
        assert_eq!(
            names(text),
            vec![
                (use_start.clone(), "started".into(), "started"),
                (Kind::JobRef(Which::Start), "dbus".into(), "dbus"),
                (use_start, "net-up".into(), "net-up"),
                (use_stop.clone(), "stopped".into(), "stopped"),
                (Kind::JobRef(Which::Stop), "x".into(), "JOB=\"x\""),
                (use_stop, "a".into(), "a"),
                (Kind::Emits, "b".into(), "b"),
                (Kind::Emits, "*-c".into(), "*-c"),
            ]
        );
    }

    #[test]
    fn globs_and_second_arguments_are_not_job_names() {
        let found = names("start on started a* or stopped foo bar or started INSTANCE=x\n");
        let jobs: Vec<_> = found
            .iter()
            .filter(|(k, ..)| matches!(k, Kind::JobRef(_)))
            .map(|(_, n, _)| n.as_str())
            .collect();
        assert_eq!(jobs, vec!["foo"]);
    }

    #[test]
    fn stanzas_cover_their_script_bodies_and_names_join_two_keywords() {
        let text = "kill   timeout 5\npre-start script\n  echo\nend script\nmanual task\n";
        let (tokens, _) = lex(FileId(0), text);
        let list = stanzas(&tokens, text);
        let shown: Vec<(String, &str)> = list
            .iter()
            .map(|s| {
                let name = stanza_name(&tokens, s).map(|n| n.0).unwrap_or_default();
                (name, text.get(s.span.range()).unwrap_or(""))
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                ("kill timeout".to_owned(), "kill   timeout 5"),
                (
                    "pre-start script".to_owned(),
                    "pre-start script\n  echo\nend script"
                ),
                ("manual".to_owned(), "manual"),
                ("task".to_owned(), "task"),
            ]
        );
    }

    #[test]
    fn the_token_at_the_end_of_a_word_is_that_word() {
        let text = "start on startup\n";
        let (tokens, _) = lex(FileId(0), text);
        let at = |o| {
            token_at(&tokens, o)
                .and_then(|i| tokens.get(i))
                .map(|t| t.1.clone())
        };
        assert_eq!(at(16), Some(Tok::Operand("startup".into())));
        assert_eq!(at(9), Some(Tok::Operand("startup".into())));
        assert_eq!(at(0), Some(Tok::Kw(Kw::Start)));
        assert_eq!(at(17), None);
    }
}
