//! Hover: a stanza's documentation, an event's sources and waiters, a
//! job's description and conditions, and the explanation of a diagnostic
//! under the cursor.

use std::fmt::Write as _;

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use crate::sema::JobClass;
use crate::source::Span;
use crate::syntax::lexer::Tok;

use super::docs;
use super::tokens::{self, is_condition, stanza_name, stanza_of, stanzas, token_at, Kind};
use super::world::{Source, World};

/// What the cursor is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A stanza's keywords.
    Stanza { name: String, span: Span },
    /// An event name in a condition or an `emits`.
    Event {
        name: String,
        span: Span,
        declared: bool,
    },
    /// A job named in a job event.
    Job { name: String, span: Span },
}

/// The target at a byte offset of the document.
pub fn target(world: &World<'_>, offset: usize) -> Option<Target> {
    let tokens = &world.analysis.tokens;
    let text = world.doc.text.as_str();
    let index = token_at(tokens, offset)?;
    let list = stanzas(tokens, text);
    let stanza = stanza_of(&list, index)?;
    let (start, tok, end) = tokens.get(index)?;
    let span = Span::new(*start, *end);
    match tok {
        Tok::Kw(_) => {
            let (name, keywords) = stanza_name(tokens, stanza)?;
            (keywords.start as usize <= offset && offset <= keywords.end as usize).then_some(
                Target::Stanza {
                    name,
                    span: keywords,
                },
            )
        }
        Tok::Operand(_) => {
            let which = is_condition(tokens, stanza)?;
            let o = tokens::operand_occurrence(tokens, text, index, which)?;
            match o.kind {
                Kind::JobRef(_) => Some(Target::Job {
                    name: o.name,
                    span: o.span,
                }),
                _ => Some(Target::Event {
                    name: o.name,
                    span: o.span,
                    declared: false,
                }),
            }
        }
        Tok::Word(name)
            if tokens::first_keyword(tokens, stanza) == Some(crate::syntax::lexer::Kw::Emits) =>
        {
            Some(Target::Event {
                name: name.clone(),
                span,
                declared: true,
            })
        }
        _ => None,
    }
}

pub fn hover(world: &World<'_>, offset: usize) -> Option<Hover> {
    let mut sections = Vec::new();
    let mut range = None;
    if let Some(target) = target(world, offset) {
        let (text, span) = match &target {
            Target::Stanza { name, span } => (docs::stanza(name)?.markdown(), *span),
            Target::Event {
                name,
                span,
                declared,
            } => (event(world, name, *declared), *span),
            Target::Job { name, span } => (job(world, name), *span),
        };
        sections.push(text);
        range = Some(world.doc.range(span, world.encoding));
    }
    // The explanation of a diagnostic under the cursor.
    for d in world.analysis.diagnostics() {
        let span = d.primary.span;
        if span.start as usize <= offset && offset <= span.end as usize {
            let info = d.code.info();
            sections.push(format!(
                "**{}** `{}`: {}\n\n{}",
                info.id,
                info.name,
                info.summary,
                info.explanation.trim()
            ));
            break;
        }
    }
    if sections.is_empty() {
        return None;
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: sections.join("\n\n---\n\n"),
        }),
        range,
    })
}

fn event(world: &World<'_>, name: &str, declared: bool) -> String {
    let mut out = format!("**event** `{name}`");
    if declared && !tokens::is_literal(name) {
        out.push_str(" (a pattern: declares every event it matches)");
    }
    out.push_str("\n\n");
    let sources = world.sources(name);
    if sources.is_empty() {
        out.push_str("*Emitted by:* nothing known: no job declares it with `emits`, and neither init nor a well-known source emits it\n");
    } else {
        out.push_str("*Emitted by:*\n");
        for source in sources {
            match source {
                Source::JobEvent => out.push_str(
                    "- init, for every job as it changes state (`JOB=` the job, `INSTANCE=` the instance)\n",
                ),
                Source::WellKnown(who) => {
                    let _ = writeln!(out, "- {who}");
                }
                Source::Declared { job, .. } => {
                    let _ = writeln!(out, "- job `{job}` (`emits`)");
                }
            }
        }
    }
    let waiters = world.waiters(name);
    if waiters.is_empty() {
        out.push_str("\n*Waited for by:* no job in the workspace\n");
    } else {
        out.push_str("\n*Waited for by:*\n");
        for (job, which) in waiters {
            let _ = writeln!(out, "- `{job}` in `{}`", which.stanza());
        }
    }
    out
}

fn job(world: &World<'_>, name: &str) -> String {
    match world.job(name) {
        Some((class, _)) => describe(class),
        None => match crate::graph::well_known_jobs().find(|(n, _)| *n == name) {
            Some((_, what)) => {
                format!("**job** `{name}`: a standard system job ({what}), not in this workspace")
            }
            None => format!("**job** `{name}`: no job of this name in the workspace"),
        },
    }
}

/// A job in a few lines: what it is, when it starts and stops.
pub fn describe(class: &JobClass) -> String {
    let kind = if class.task { "task" } else { "service" };
    let mut out = format!("**job** `{}` ({kind})", class.name);
    if !class.instance.is_empty() {
        let _ = write!(out, ", one instance per `{}`", class.instance);
    }
    out.push_str("\n\n");
    if let Some(d) = &class.description {
        out.push_str(d);
        out.push_str("\n\n");
    }
    let condition = |c: &Option<crate::sema::ir::Condition>| {
        c.as_ref()
            .and_then(|c| c.expr.canonical_within(400))
            .map_or_else(|| "(none)".to_owned(), |e| format!("`{e}`"))
    };
    let _ = write!(
        out,
        "*start on* {}\n\n*stop on* {}",
        condition(&class.start_on),
        condition(&class.stop_on)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::analysis::DocAnalysis;
    use crate::lsp::document::{Document, Encoding};
    use std::collections::HashMap;
    use std::str::FromStr;

    fn target_in(text: &str, at: &str) -> Option<Target> {
        let doc = Document::new(text.to_owned(), 1);
        let analysis = DocAnalysis::new(None, "a.conf", text, &HashMap::new());
        let uri = lsp_types::Uri::from_str("untitled:a").unwrap_or_else(|e| panic!("{e}"));
        let world = World {
            uri: &uri,
            doc: &doc,
            analysis: &analysis,
            encoding: Encoding::Utf16,
            snapshot: None,
            own: None,
        };
        let offset = text.find(at).unwrap_or_else(|| panic!("{at} not in text"));
        target(&world, offset)
    }

    #[test]
    fn the_cursor_finds_stanzas_events_and_jobs() {
        let text = "kill timeout 5\nstart on started dbus and net-up\nemits my-event\n";
        assert!(matches!(
            target_in(text, "timeout"),
            Some(Target::Stanza { name, .. }) if name == "kill timeout"
        ));
        assert!(matches!(
            target_in(text, "dbus"),
            Some(Target::Job { name, .. }) if name == "dbus"
        ));
        assert!(matches!(
            target_in(text, "net-up"),
            Some(Target::Event { name, declared: false, .. }) if name == "net-up"
        ));
        assert!(matches!(
            target_in(text, "my-event"),
            Some(Target::Event { name, declared: true, .. }) if name == "my-event"
        ));
        assert_eq!(target_in(text, "5\n"), None);
    }
}
