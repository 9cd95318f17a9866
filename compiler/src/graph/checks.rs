//! The reachability checks: events nothing emits (W0022), jobs that can
//! never start (W0021), `stop on` that can never fire (W0023), and `start
//! on`/`stop on` that fire on the same event (W0024).
//!
//! All are warnings: a job set that boots may well contain a job that never
//! starts. A job whose `start on` fails only because of events nothing emits
//! gets no W0021 of its own; the W0022 on each such event says so instead,
//! so an incomplete job set is not reported twice for one cause.

use std::collections::HashMap;

use crate::cond::ArgKind;
use crate::diag::{Code, Diagnostic};

use super::engine::Outcome;
use super::events::{well_known_names, JobEvent};
use super::model::{Leaf, LeafKind, Model, Which};
use super::pattern::{can_overlap, fnmatch, literal_text, Constraint};
use super::text::{closest, leaf_text};

/// The most distinct unknown names that get a did-you-mean (each one scans
/// every job name).
const MAX_SUGGESTIONS: usize = 500;

/// Did-you-mean, computed once per distinct name.
struct Suggest<'m> {
    cache: HashMap<(bool, String), Option<&'m str>>,
}

impl<'m> Suggest<'m> {
    fn get(&mut self, job: bool, name: &str, candidates: &[&'m str]) -> Option<&'m str> {
        let key = (job, name.to_owned());
        if let Some(hit) = self.cache.get(&key) {
            return *hit;
        }
        if self.cache.len() >= MAX_SUGGESTIONS {
            return None;
        }
        let found = closest(name, candidates.iter().copied());
        self.cache.insert(key, found);
        found
    }
}

pub fn run(model: &Model<'_>, reach: &Outcome, out: &mut Vec<Diagnostic>) {
    unknown_events(model, reach, out);
    for (j, info) in model.info.iter().enumerate() {
        let j = super::model::index(j);
        if let Some(t) = info.start {
            if !reach.starts(j) {
                if let Some(d) = never(model, reach, t, j) {
                    out.push(d);
                }
            }
        }
        if let Some(t) = info.stop {
            if reach.starts(j) && !reach.node(model.tree(t).map_or(0, |x| x.root)) {
                if let Some(d) = never(model, reach, t, j) {
                    out.push(d);
                }
            }
        }
        if let (Some(s), Some(t)) = (info.start, info.stop) {
            if reach.starts(j) {
                if let Some(d) = same_event(model, reach, s, t, j) {
                    out.push(d);
                }
            }
        }
    }
}

/// Leaves whose event nothing emits: unknown names, and job events of jobs
/// that do not exist.
fn is_unknown(leaf: &Leaf<'_>) -> bool {
    matches!(
        leaf.kind,
        LeafKind::Unknown
            | LeafKind::Job {
                missing_job: Some(_),
                ..
            }
    )
}

fn unknown_events(model: &Model<'_>, reach: &Outcome, out: &mut Vec<Diagnostic>) {
    let mut known: Vec<&str> = well_known_names().collect();
    known.extend(model.emits.names());
    known.extend(model.assumed.names());
    known.extend(JobEvent::ALL.iter().map(|e| e.name()));
    known.sort_unstable();
    known.dedup();
    let mut job_names: Vec<&str> = model.by_name.keys().copied().collect();
    job_names.sort_unstable();
    let mut suggest = Suggest {
        cache: HashMap::new(),
    };
    for leaf in &model.leaves {
        let Some(tree) = model.tree(leaf.tree) else {
            continue;
        };
        let mut d = match &leaf.kind {
            LeafKind::Unknown => {
                let name = leaf.m.event.value.as_str();
                let mut d = Diagnostic::new(
                    Code::UnknownEvent,
                    tree.file,
                    leaf.m.event.span,
                    format!("nothing emits `{name}`"),
                )
                .with_label(
                    "no job declares it with `emits`, and init and the well-known sources do not emit it",
                );
                let help = if model.by_name.contains_key(name) {
                    Some(format!(
                        "`{name}` is a job, not an event: wait for `started {name}` (or `stopped {name}`)"
                    ))
                } else if name.contains('=') {
                    Some(format!(
                        "`{name}` is read as an event name; an argument belongs after its event, \
                         without `and`/`or` in between (`stopped rc RUNLEVEL=[2345]`)"
                    ))
                } else if matches!(name, "shutdown" | "reboot" | "halt" | "poweroff" | "stop") {
                    Some(format!(
                        "Upstart has no `{name}` event: a system going down emits `runlevel` with \
                         RUNLEVEL 0 or 6 (`stop on runlevel [016]`)"
                    ))
                } else {
                    let fix = suggest
                        .get(false, name, &known)
                        .map(|c| c.to_owned())
                        .or_else(|| {
                            suggest
                                .get(true, name, &job_names)
                                .map(|c| format!("started {c}"))
                        });
                    if let Some(fix) = &fix {
                        d = d.with_fix(leaf.m.event.span, fix.as_str());
                    }
                    fix.map(|c| format!("did you mean `{c}`?"))
                };
                d = d.with_help(help.unwrap_or_else(|| {
                    format!(
                        "if it comes from outside the job set, declare it with `emits {name}` in the job \
                         that emits it, or pass `--assume-event {name}`"
                    )
                }));
                d
            }
            LeafKind::Job {
                missing_job: Some(name),
                dead,
                event,
                ..
            } => {
                let span = dead.as_ref().map_or(leaf.m.span, |x| x.span);
                let mut d = Diagnostic::new(
                    Code::UnknownEvent,
                    tree.file,
                    span,
                    format!(
                        "nothing emits `{} {name}`: there is no job `{name}`",
                        event.name()
                    ),
                )
                .with_label(format!("no job is named `{name}`"));
                let suggestion = suggest.get(true, name, &job_names);
                // The fix rewrites the argument that names the job, as
                // it was written (`foo` or `JOB=foo`).
                let argument = leaf.m.args.iter().find(|a| a.span == span);
                let fix = match (suggestion, argument.map(|a| &a.kind)) {
                    (Some(c), Some(ArgKind::Positional)) => Some(c.to_owned()),
                    (Some(c), Some(ArgKind::Equals(key))) => Some(format!("{key}={c}")),
                    _ => None,
                };
                if let Some(fix) = fix {
                    d = d.with_fix(span, fix);
                }
                d = match suggestion {
                    Some(c) => d.with_help(format!("did you mean `{c}`?")),
                    None => d.with_help(format!(
                        "if `{name}` is installed separately this is expected; pass `--assume-event {}` \
                         to say so",
                        event.name()
                    )),
                };
                d
            }
            _ => continue,
        };
        if let Some(job) = model.job(tree.job) {
            let fails = match tree.which {
                Which::Start => !reach.starts(tree.job),
                Which::Stop => reach.starts(tree.job) && !reach.node(tree.root),
            };
            if fails {
                d = d.with_note(match tree.which {
                    Which::Start => format!("so `{}` can never start", job.name),
                    Which::Stop => format!("so `{}`'s `stop on` can never fire", job.name),
                });
            }
        }
        out.push(d);
    }
}

/// W0021 / W0023 for a tree that can never be true.
fn never(model: &Model<'_>, reach: &Outcome, t: u32, j: u32) -> Option<Diagnostic> {
    let tree = model.tree(t)?;
    // Explained by unknown events alone? Then the W0022s say it.
    let forced = model.eval(t, |l| {
        model
            .leaf(l)
            .is_some_and(|x| is_unknown(x) || reach.node(x.node))
    });
    if forced.last().copied().unwrap_or(false) {
        return None;
    }
    let vals = reach.tree_vals(model, t);
    let mut blamed = model.blame(t, &vals);
    // The causes of this finding first; events nothing emits have their own.
    blamed.sort_by_key(|&l| model.leaf(l).is_some_and(is_unknown));
    let name = model.name(j);
    let (code, message, note) = match tree.which {
        Which::Start => (
            Code::NeverStarts,
            format!("`{name}` can never start"),
            "its `start on` cannot be satisfied by `startup`, the well-known events, the events the \
             job set declares and the jobs that can start",
        ),
        Which::Stop => (
            Code::NeverStops,
            format!("`{name}`'s `stop on` can never fire"),
            "once started, the job runs until it exits or is stopped by hand",
        ),
    };
    let mut labels = Vec::new();
    let mut causes = Vec::new();
    for &l in &blamed {
        let Some(leaf) = model.leaf(l) else { continue };
        let (span, text) = why(model, leaf, &mut causes);
        labels.push((span, text));
    }
    let mut iter = labels.into_iter();
    let (span, first) = iter.next().unwrap_or((tree.span, String::new()));
    let mut d = Diagnostic::new(code, tree.file, span, message).with_label(first);
    for (span, text) in iter {
        d = d.with_secondary(tree.file, span, text);
    }
    causes.sort_unstable();
    causes.dedup();
    for c in causes.iter().take(3) {
        if let Some(ct) = model.info.get(*c as usize).and_then(|i| i.start) {
            if let Some(ctree) = model.tree(ct) {
                d = d.with_secondary(
                    ctree.file,
                    ctree.span,
                    format!(
                        "`{}` can never start: this is never satisfied",
                        model.name(*c)
                    ),
                );
            }
        }
    }
    let help = if !causes.is_empty() {
        Some("fix the jobs it waits for first, or wait for an event that does happen")
    } else {
        None
    };
    d = d.with_note(note);
    if let Some(h) = help {
        d = d.with_help(h);
    }
    Some(d)
}

/// Why one leaf is never true: its span and a label; the jobs it waits on
/// that can never start go to `causes`.
fn why(model: &Model<'_>, leaf: &Leaf<'_>, causes: &mut Vec<u32>) -> (crate::source::Span, String) {
    match &leaf.kind {
        LeafKind::Unknown => (
            leaf.m.event.span,
            format!("nothing emits `{}`", leaf.m.event.value),
        ),
        LeafKind::Job { dead: Some(d), .. } => (d.span, d.reason.clone()),
        LeafKind::Job { set: Some(s), .. } => {
            let members = model.sets.get(*s as usize).and_then(|x| x.members.clone());
            match members {
                Some(m) => {
                    let names: Vec<String> = m
                        .iter()
                        .take(3)
                        .map(|&c| format!("`{}`", model.name(c)))
                        .collect();
                    causes.extend(m.iter().take(3));
                    let more = if m.len() > 3 { ", ..." } else { "" };
                    let text = match names.as_slice() {
                        [one] => format!("{one} can never start"),
                        _ => format!("none of {}{more} can ever start", names.join(", ")),
                    };
                    (leaf.m.span, text)
                }
                None => (leaf.m.span, "no job can ever start".to_owned()),
            }
        }
        LeafKind::Outside(o) => match &o.args {
            Err(d) => (d.span, d.reason.clone()),
            Ok(()) => (
                leaf.m.span,
                format!("`{}` never matches", leaf_text(leaf.m)),
            ),
        },
        LeafKind::Job { .. } => (
            leaf.m.span,
            format!("`{}` never matches", leaf_text(leaf.m)),
        ),
    }
}

/// W0024: one event that both starts and stops the job.
fn same_event(model: &Model<'_>, reach: &Outcome, s: u32, t: u32, j: u32) -> Option<Diagnostic> {
    let starts = model.triggers(s);
    let stops = model.triggers(t);
    for &a in &starts {
        let la = model.leaf(a)?;
        if !reach.node(la.node) {
            continue;
        }
        for &b in &stops {
            let lb = model.leaf(b)?;
            if !reach.node(lb.node) || la.m.event.value != lb.m.event.value {
                continue;
            }
            if !overlap(la, lb) || !(contains(la, lb) || contains(lb, la)) {
                continue;
            }
            let (st, tt) = (model.tree(s)?, model.tree(t)?);
            let name = model.name(j);
            return Some(
                Diagnostic::new(
                    Code::StartStopSameEvent,
                    tt.file,
                    lb.m.span,
                    format!("`{name}` starts and stops on the same `{}` event", la.m.event.value),
                )
                .with_label("this stops the job...")
                .with_secondary(st.file, la.m.span, "...and this starts it again on the same event")
                .with_note(
                    "Upstart handles `stop on` first: each such event stops a running job and then \
                     starts it again (a restart), or starts it if it was not running",
                )
                .with_help(
                    "make the argument patterns exclusive (`start on runlevel [2345]` with `stop on \
                     runlevel [!2345]`), or stop on a different event",
                ),
            );
        }
    }
    None
}

/// The slot an argument constrains, by the event's known layout.
fn slot(event: &str, pos: usize) -> String {
    let name = match (JobEvent::from_name(event), event, pos) {
        (Some(_), _, 0) => "JOB",
        (Some(_), _, 1) => "INSTANCE",
        (Some(e), _, 2) if e.is_stop() => "RESULT",
        (None, "runlevel", 0) => "RUNLEVEL",
        (None, "runlevel", 1) => "PREVLEVEL",
        (None, "session-end", 0) => "TYPE",
        _ => return format!("#{pos}"),
    };
    name.to_owned()
}

/// The argument constraints of a leaf by slot.
fn constraints<'l>(leaf: &'l Leaf<'_>) -> HashMap<String, Vec<Constraint<'l>>> {
    let event = leaf.m.event.value.as_str();
    let mut slots: HashMap<String, Vec<Constraint<'l>>> = HashMap::new();
    let mut pos = 0;
    for arg in &leaf.m.args {
        let (key, negated) = match &arg.kind {
            ArgKind::Positional => {
                pos += 1;
                (slot(event, pos - 1), false)
            }
            ArgKind::Equals(k) => (k.clone(), false),
            ArgKind::NotEquals(k) => (k.clone(), true),
        };
        slots.entry(key).or_default().push(Constraint {
            pattern: &arg.value,
            negated,
        });
    }
    slots
}

/// Whether every event `inner` matches, `outer` matches too (as far as
/// can be told simply: an identical constraint, `*`, or a literal value
/// that satisfies it). Two matches that each narrow a different argument
/// (`ARG1='' ARG2='*'` against `ARG1='*' ARG2=''`) are read as deliberately
/// different and not reported.
fn contains(outer: &Leaf<'_>, inner: &Leaf<'_>) -> bool {
    let inner_c = constraints(inner);
    constraints(outer).iter().all(|(slot, need)| {
        let have = inner_c.get(slot).map_or(&[][..], Vec::as_slice);
        need.iter().all(|n| {
            (!n.negated && n.pattern == "*")
                || have
                    .iter()
                    .any(|h| h.pattern == n.pattern && h.negated == n.negated)
                || have
                    .iter()
                    .filter(|h| !h.negated)
                    .find_map(|h| literal_text(h.pattern))
                    .is_some_and(|v| fnmatch(n.pattern, &v) != n.negated)
        })
    })
}

/// Whether one event could match both leaves. Unsure (a `$VAR`, which
/// depends on the instance) counts as "no".
fn overlap(a: &Leaf<'_>, b: &Leaf<'_>) -> bool {
    if [a, b]
        .iter()
        .any(|leaf| leaf.m.args.iter().any(|arg| arg.value.contains('$')))
    {
        return false;
    }
    // Callers compare leaves of the same event, so their slots line up.
    let mut slots = constraints(a);
    for (key, more) in constraints(b) {
        slots.entry(key).or_default().extend(more);
    }
    slots.values().all(|c| can_overlap(c))
}
