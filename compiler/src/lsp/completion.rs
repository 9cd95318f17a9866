//! Completion: what may come next at the cursor, read from the tokens of
//! the stanza before it. Stanza keywords at the start of a line, the
//! second keyword after a first one, the values of `expect`, `console`,
//! `kill signal` and friends, resource names after `limit`, and in `start
//! on`/`stop on` the known events, the job names after a job event and the
//! operators after a complete match.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, InsertTextFormat,
    MarkupContent, MarkupKind, Range, TextEdit,
};

use crate::source::Span;
use crate::syntax::lexer::{second_keywords, Kw, Tok};

use super::docs;
use super::tokens::{match_of, JOB_EVENTS};
use super::world::World;

/// The completions at a byte offset. `snippets`: the client takes
/// snippet syntax.
pub fn complete(world: &World<'_>, offset: usize, snippets: bool) -> Vec<CompletionItem> {
    let text = world.doc.text.as_str();
    let offset = floor_char_boundary(text, offset);
    let tokens = &world.analysis.tokens;
    // Inside a script body nothing is ours to complete.
    let in_body = tokens
        .iter()
        .any(|(s, t, e)| matches!(t, Tok::Body(_)) && *s <= offset && offset < (*e).max(s + 1));
    if in_body {
        return Vec::new();
    }
    let line_start = text
        .get(..offset)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let before_cursor = text.get(line_start..offset).unwrap_or("");
    if before_cursor.contains('#') {
        return Vec::new();
    }
    let prefix_len = before_cursor
        .chars()
        .rev()
        .take_while(|c| !c.is_whitespace() && *c != '(' && *c != ')')
        .map(char::len_utf8)
        .sum::<usize>();
    let prefix_start = offset - prefix_len;
    let prefix = text.get(prefix_start..offset).unwrap_or("");
    let replace = world
        .doc
        .range(Span::new(prefix_start, offset), world.encoding);

    // The tokens of this stanza before the word being typed.
    let upto = tokens.partition_point(|(s, _, _)| *s < prefix_start);
    let mut first = upto;
    while first > 0 {
        match tokens.get(first - 1) {
            Some((_, Tok::Eol | Tok::Body(_), _)) => break,
            Some((_, Tok::Kw(Kw::Manual | Kw::Debug), _)) if first == upto => break,
            _ => first -= 1,
        }
    }
    let before: Vec<&Tok> = tokens
        .get(first..upto)
        .unwrap_or(&[])
        .iter()
        .map(|(_, t, _)| t)
        .collect();
    let items = Items { replace, snippets };
    match before.as_slice() {
        [] => items.stanzas(),
        [Tok::Kw(Kw::Expect)] => items.values(docs::EXPECT_VALUES),
        [Tok::Kw(Kw::Console)] => items.values(docs::CONSOLE_VALUES),
        [Tok::Kw(Kw::Limit)] => {
            items.words(resources(), CompletionItemKind::ENUM_MEMBER, "resource")
        }
        [Tok::Kw(Kw::Limit), Tok::Resource(_)] | [Tok::Kw(Kw::Limit), Tok::Resource(_), _] => items
            .words(
                vec!["unlimited".to_owned()],
                CompletionItemKind::KEYWORD,
                "no limit",
            ),
        [Tok::Kw(Kw::Respawn), Tok::Kw(Kw::Limit)] => items.words(
            vec!["unlimited".to_owned()],
            CompletionItemKind::KEYWORD,
            "no limit",
        ),
        [Tok::Kw(Kw::Oom), Tok::Kw(Kw::Score)] => items.words(
            vec!["never".to_owned()],
            CompletionItemKind::KEYWORD,
            "-1000",
        ),
        [Tok::Kw(Kw::Kill | Kw::Reload), Tok::Kw(Kw::Signal)]
        | [Tok::Kw(Kw::Normal), Tok::Kw(Kw::Exit), ..] => {
            items.words(signals(), CompletionItemKind::ENUM_MEMBER, "signal")
        }
        [Tok::Kw(kw)] => items.second_keywords(*kw),
        [Tok::Kw(Kw::Emits), ..] => items.events(world),
        [Tok::Kw(Kw::Start | Kw::Stop), Tok::Kw(Kw::On), rest @ ..] => {
            items.condition(world, rest, upto, prefix)
        }
        _ => Vec::new(),
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn resources() -> Vec<String> {
    crate::sema::ir::Resource::ALL
        .iter()
        .map(|r| r.name().to_owned())
        .collect()
}

fn signals() -> Vec<String> {
    crate::sema::signals::signal_names()
        .map(str::to_owned)
        .collect()
}

struct Items {
    replace: Range,
    snippets: bool,
}

impl Items {
    fn item(&self, label: String, kind: CompletionItemKind, detail: &str) -> CompletionItem {
        CompletionItem {
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                self.replace,
                label.clone(),
            ))),
            label,
            kind: Some(kind),
            detail: Some(detail.to_owned()),
            ..CompletionItem::default()
        }
    }

    fn stanzas(&self) -> Vec<CompletionItem> {
        docs::stanzas()
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut item = self.item(s.name.to_owned(), CompletionItemKind::KEYWORD, s.summary);
                item.documentation = Some(markdown(s.markdown()));
                item.sort_text = Some(format!("{i:03}"));
                if self.snippets {
                    item.text_edit = Some(CompletionTextEdit::Edit(TextEdit::new(
                        self.replace,
                        s.snippet.to_owned(),
                    )));
                    item.insert_text_format = Some(InsertTextFormat::SNIPPET);
                }
                item
            })
            .collect()
    }

    fn second_keywords(&self, kw: Kw) -> Vec<CompletionItem> {
        let Some(first) = crate::syntax::lexer::STANZAS
            .iter()
            .find(|(_, k)| *k == kw)
            .map(|(n, _)| *n)
        else {
            return Vec::new();
        };
        let mut out: Vec<CompletionItem> = second_keywords(kw)
            .iter()
            .filter(|(w, _)| !w.is_empty())
            .map(|(word, _)| {
                let full = format!("{first} {word}");
                let summary = docs::stanza(&full).map_or("", |d| d.summary);
                let mut item = self.item((*word).to_owned(), CompletionItemKind::KEYWORD, summary);
                if let Some(d) = docs::stanza(&full) {
                    item.documentation = Some(markdown(d.markdown()));
                }
                item
            })
            .collect();
        if kw == Kw::Oom {
            out.push(self.item(
                "never".to_owned(),
                CompletionItemKind::KEYWORD,
                "-1000 (deprecated form)",
            ));
        }
        out
    }

    fn values(&self, values: &[docs::ValueDoc]) -> Vec<CompletionItem> {
        values
            .iter()
            .map(|v| {
                self.item(
                    v.value.to_owned(),
                    CompletionItemKind::ENUM_MEMBER,
                    v.summary,
                )
            })
            .collect()
    }

    fn words(
        &self,
        words: Vec<String>,
        kind: CompletionItemKind,
        detail: &str,
    ) -> Vec<CompletionItem> {
        words
            .into_iter()
            .map(|w| self.item(w, kind, detail))
            .collect()
    }

    fn events(&self, world: &World<'_>) -> Vec<CompletionItem> {
        world
            .event_names()
            .into_iter()
            .map(|(name, what)| self.item(name, CompletionItemKind::EVENT, what))
            .collect()
    }

    fn jobs(&self, world: &World<'_>, prefix: &str) -> Vec<CompletionItem> {
        world
            .job_names()
            .into_iter()
            .map(|name| {
                let detail = world
                    .job(&name)
                    .and_then(|(j, _)| j.description.clone())
                    .unwrap_or_else(|| "job".to_owned());
                let label = format!("{prefix}{name}");
                self.item(label, CompletionItemKind::MODULE, &detail)
            })
            .collect()
    }

    fn operators(&self) -> Vec<CompletionItem> {
        ["and", "or"]
            .iter()
            .map(|op| self.item((*op).to_owned(), CompletionItemKind::OPERATOR, "operator"))
            .collect()
    }

    /// Inside `start on`/`stop on`: `rest` are the expression's tokens
    /// before the word being typed, which ends at token index `upto`.
    fn condition(
        &self,
        world: &World<'_>,
        rest: &[&Tok],
        upto: usize,
        prefix: &str,
    ) -> Vec<CompletionItem> {
        match rest.last() {
            None | Some(Tok::And | Tok::Or | Tok::LParen) => self.events(world),
            Some(Tok::RParen) => self.operators(),
            Some(Tok::Operand(_)) => {
                let tokens = &world.analysis.tokens;
                let (event, arg) = match_of(tokens, upto.saturating_sub(1));
                let job_event = matches!(
                    tokens.get(event),
                    Some((_, Tok::Operand(e), _)) if JOB_EVENTS.contains(&e.as_str())
                );
                if job_event && prefix.starts_with("JOB=") {
                    self.jobs(world, "JOB=")
                } else if job_event && arg == 0 {
                    let mut items = self.jobs(world, "");
                    items.extend(self.operators());
                    items
                } else {
                    self.operators()
                }
            }
            Some(_) => Vec::new(),
        }
    }
}

fn markdown(value: String) -> Documentation {
    Documentation::MarkupContent(MarkupContent {
        kind: MarkupKind::Markdown,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::analysis::DocAnalysis;
    use crate::lsp::document::{Document, Encoding};
    use std::collections::HashMap;
    use std::str::FromStr;

    /// The labels offered at the `|` in `text`.
    fn labels(text: &str) -> Vec<String> {
        let offset = text
            .find('|')
            .unwrap_or_else(|| panic!("no cursor in {text:?}"));
        let text = text.replacen('|', "", 1);
        let doc = Document::new(text.clone(), 1);
        let analysis = DocAnalysis::new(None, "a.conf", &text, &HashMap::new());
        let uri = lsp_types::Uri::from_str("untitled:a").unwrap_or_else(|e| panic!("{e}"));
        let world = World {
            uri: &uri,
            doc: &doc,
            analysis: &analysis,
            encoding: Encoding::Utf16,
            snapshot: None,
            own: None,
        };
        complete(&world, offset, false)
            .into_iter()
            .map(|i| i.label)
            .collect()
    }

    #[test]
    fn a_line_start_offers_every_stanza() {
        let got = labels("task\n|\n");
        assert!(got.contains(&"start on".to_owned()) && got.contains(&"respawn limit".to_owned()));
        assert_eq!(got.len(), docs::stanzas().len());
        assert_eq!(labels("ta|"), labels("|"));
    }

    #[test]
    fn values_follow_their_stanza() {
        assert_eq!(
            labels("expect |"),
            vec!["fork", "daemon", "stop", "none", "notify"]
        );
        assert_eq!(labels("console o|"), vec!["log", "none", "output", "owner"]);
        assert!(labels("kill signal |").contains(&"TERM".to_owned()));
        assert!(labels("normal exit 0 |").contains(&"HUP".to_owned()));
        assert!(labels("limit |").contains(&"nofile".to_owned()));
        assert_eq!(labels("limit nofile 10 |"), vec!["unlimited"]);
        assert_eq!(labels("kill |"), vec!["timeout", "signal"]);
        assert_eq!(labels("start |"), vec!["on"]);
    }

    #[test]
    fn conditions_offer_events_then_jobs_then_operators() {
        let events = labels("start on |");
        assert!(events.contains(&"startup".to_owned()) && events.contains(&"started".to_owned()));
        let nested = labels("start on (a and |");
        assert!(nested.contains(&"startup".to_owned()) && nested.contains(&"a".to_owned()));
        let jobs = labels("start on started |");
        assert!(jobs.contains(&"dbus".to_owned()) && jobs.contains(&"or".to_owned()));
        assert!(labels("start on stopped JOB=|").contains(&"JOB=dbus".to_owned()));
        assert_eq!(labels("start on runlevel [2345] |"), vec!["and", "or"]);
        assert_eq!(labels("start on (a or b) |"), vec!["and", "or"]);
    }

    #[test]
    fn scripts_and_comments_get_nothing() {
        assert!(labels("script\n  ec|ho\nend script\n").is_empty());
        assert!(labels("task # sta|").is_empty());
    }
}
