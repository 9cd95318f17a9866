//! The boot timeline picture: one row per job instance, a coloured span per
//! phase of its life, arrows for the events that started instances.
//!
//! - Rows: every instance that changed state, in the order it first did,
//!   labelled `job` or `job (instance)` on the left; a restarted instance
//!   keeps its row.
//! - Spans: the states grouped into seven phases ([`Phase`]), one colour
//!   each, explained in the legend; a state the trace ends in runs to the
//!   right edge. Every span carries a tooltip (`<title>`) with its exact
//!   times, so a browser shows what the picture rounds.
//! - Arrows: for every goal change to start caused by an event, from the
//!   row that emitted the event (its state change, or with the simulator's
//!   records its script's `initctl emit`/`telinit`) at the event's time to
//!   the row it started; a request a job's script sent is a dashed arrow.
//!   A start by an event of init's or of the operator is a small triangle
//!   over the row.
//! - A red cross marks a process that ended with a failure status.
//!
//! Output is a standalone SVG 1.1 document: no script, no external style or
//! font, every text XML-escaped. It depends on nothing but the trace, so
//! the same trace always gives the same bytes. Building it is linear in
//! the trace (plus sorting the rows).

mod axis;
mod xml;

use upc_machine::{Cause, ExitStatus, Goal, Millis, State, TraceKind, TraceRecord};

use super::chain::index::{Senders, TraceIndex};
use super::chain::{label, split, time};
use super::driver::Record;
use axis::{tick_label, TimeAxis};
use xml::{escape, num, Doc};

/// Width of the plot area (the time axis), in pixels.
const PLOT_W: f64 = 1000.0;
const ROW_H: f64 = 18.0;
const BAR_H: f64 = 12.0;
/// A phase that took no time still shows as a sliver (a stop, a job that
/// started and stopped at once); the next span, drawn later, covers it.
const MIN_SPAN_W: f64 = 3.0;
/// Height of everything above the first row: title, legend, time labels.
const HEAD_H: f64 = 92.0;
const FOOT_H: f64 = 64.0;
const RIGHT_PAD: f64 = 24.0;
/// Width of one character of the row labels (11 px monospace), to size the
/// label column without measuring text.
const CHAR_W: f64 = 6.7;
/// Longer labels are cut (the tooltip keeps the whole name).
const MAX_LABEL: usize = 56;
const LABEL_FONT: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";
const TEXT_FONT: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";

/// A group of states drawn in one colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// `starting`: waiting for its `starting` event to finish.
    Starting,
    /// `security-spawning` to `pre-start`.
    PreStart,
    /// `spawning`, `spawned`: the main process is starting.
    Spawned,
    /// `post-starting`, `post-start`.
    PostStart,
    Running,
    /// `pre-stopping` to `killed`.
    Stopping,
    /// `post-stopping`, `post-stop`.
    PostStop,
}

impl Phase {
    pub const ALL: [Phase; 7] = [
        Phase::Starting,
        Phase::PreStart,
        Phase::Spawned,
        Phase::PostStart,
        Phase::Running,
        Phase::Stopping,
        Phase::PostStop,
    ];

    /// The phase of a state; `None` for `waiting` (nothing is drawn).
    pub fn of(state: State) -> Option<Phase> {
        Some(match state {
            State::Waiting => return None,
            State::Starting => Phase::Starting,
            State::SecuritySpawning | State::Security | State::PreStarting | State::PreStart => {
                Phase::PreStart
            }
            State::Spawning | State::Spawned => Phase::Spawned,
            State::PostStarting | State::PostStart => Phase::PostStart,
            State::Running => Phase::Running,
            State::PreStopping | State::PreStop | State::Stopping | State::Killed => {
                Phase::Stopping
            }
            State::PostStopping | State::PostStop => Phase::PostStop,
        })
    }

    /// The legend's words.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Starting => "starting (blocked on its event)",
            Phase::PreStart => "pre-start",
            Phase::Spawned => "spawned",
            Phase::PostStart => "post-start",
            Phase::Running => "running",
            Phase::Stopping => "stopping, killed",
            Phase::PostStop => "post-stop",
        }
    }

    /// Colours that stay apart for the common forms of colour blindness
    /// (Okabe and Ito's palette, plus a grey).
    fn colour(self) -> &'static str {
        match self {
            Phase::Starting => "#E69F00",
            Phase::PreStart => "#56B4E9",
            Phase::Spawned => "#0072B2",
            Phase::PostStart => "#CC79A7",
            Phase::Running => "#009E73",
            Phase::Stopping => "#D55E00",
            Phase::PostStop => "#999999",
        }
    }
}

/// A standalone SVG document of the timeline.
pub fn timeline(trace: &[TraceRecord], title: &str) -> String {
    draw(&TraceIndex::new(trace, Senders::default()), title)
}

/// [`timeline`] over the simulator's records: its notes say which job's
/// script emitted which event, so those get arrows too.
pub fn timeline_records(records: &[Record], title: &str) -> String {
    let (trace, senders) = split(records);
    draw(&TraceIndex::new(&trace, senders), title)
}

/// Where things go.
struct Layout {
    /// Instance key -> its row.
    row_of: Vec<Option<usize>>,
    /// Rows, in order: instance keys.
    rows: Vec<usize>,
    /// Left edge of the plot.
    left: f64,
    axis: TimeAxis,
}

impl Layout {
    fn new(ix: &TraceIndex<'_>) -> Layout {
        let mut row_of = vec![None; ix.names.len()];
        let mut rows = Vec::new();
        for run in &ix.runs {
            if let Some(slot @ None) = row_of.get_mut(run.key) {
                *slot = Some(rows.len());
                rows.push(run.key);
            }
        }
        let widest = rows
            .iter()
            .map(|&k| {
                let (job, instance) = ix.name(k);
                label(job, instance).chars().count().min(MAX_LABEL)
            })
            .max()
            .unwrap_or(0);
        Layout {
            row_of,
            rows,
            left: (widest as f64 * CHAR_W + 20.0).max(90.0),
            axis: TimeAxis::new(ix.trace.iter().map(|r| r.t), PLOT_W),
        }
    }

    fn x(&self, t: Millis) -> f64 {
        self.left + self.axis.x(t)
    }

    fn row_top(&self, row: usize) -> f64 {
        HEAD_H + ROW_H * row as f64
    }

    fn row_mid(&self, row: usize) -> f64 {
        self.row_top(row) + ROW_H / 2.0
    }

    fn width(&self) -> f64 {
        self.left + PLOT_W + RIGHT_PAD
    }

    fn plot_bottom(&self) -> f64 {
        self.row_top(self.rows.len())
    }

    fn height(&self) -> f64 {
        self.plot_bottom() + FOOT_H
    }

    fn row(&self, key: usize) -> Option<usize> {
        self.row_of.get(key).copied().flatten()
    }
}

fn draw(ix: &TraceIndex<'_>, title: &str) -> String {
    let layout = Layout::new(ix);
    let mut doc = Doc::new();
    let (w, h) = (layout.width(), layout.height());
    doc.line(&format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{}" height="{}" viewBox="0 0 {} {}" font-family="{TEXT_FONT}" font-size="12">"#,
        num(w),
        num(h),
        num(w),
        num(h)
    ));
    doc.line(&format!("<title>{}</title>", escape(title)));
    doc.line(
        r##"<defs><marker id="head" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333333"/></marker></defs>"##,
    );
    doc.rect(0.0, 0.0, w, h, r#" fill="white""#, "");
    header(&mut doc, &layout, ix, title);
    rows(&mut doc, &layout, ix);
    axis(&mut doc, &layout);
    spans(&mut doc, &layout, ix);
    gaps(&mut doc, &layout);
    exits(&mut doc, &layout, ix);
    arrows(&mut doc, &layout, ix);
    footer(&mut doc, &layout);
    doc.line("</svg>");
    doc.out
}

fn header(doc: &mut Doc, layout: &Layout, ix: &TraceIndex<'_>, title: &str) {
    let last = ix.trace.iter().map(|r| r.t).max().unwrap_or(0);
    let summary = format!(
        "{} job instance{}, {} runs, {} traced",
        layout.rows.len(),
        if layout.rows.len() == 1 { "" } else { "s" },
        ix.runs.len(),
        time(last)
    );
    // The title gives way to the summary (the document's <title> keeps it
    // whole).
    let room = (layout.width() - 40.0) / 6.6 - summary.chars().count() as f64;
    let room = ((room * 6.6 / 9.6) as usize).max(8);
    let shown = if title.chars().count() > room {
        let cut: String = title.chars().take(room - 1).collect();
        format!("{cut}…")
    } else {
        title.to_owned()
    };
    doc.text(12.0, 24.0, r#" font-size="16" font-weight="bold""#, &shown);
    doc.text(
        layout.width() - RIGHT_PAD,
        24.0,
        r##" text-anchor="end" fill="#555555""##,
        &summary,
    );
    let mut x = 12.0;
    let y = 46.0;
    for phase in Phase::ALL {
        doc.rect(
            x,
            y - 10.0,
            14.0,
            12.0,
            &format!(r#" fill="{}""#, phase.colour()),
            "",
        );
        doc.text(x + 19.0, y, "", phase.name());
        x += 19.0 + phase.name().chars().count() as f64 * 6.6 + 18.0;
    }
    arrow_path(doc, x, y - 4.0, x + 26.0, y - 4.0, false, "");
    doc.text(x + 32.0, y, "", "event that started a job");
}

fn rows(doc: &mut Doc, layout: &Layout, ix: &TraceIndex<'_>) {
    for (row, &key) in layout.rows.iter().enumerate() {
        let top = layout.row_top(row);
        if row % 2 == 0 {
            doc.rect(0.0, top, layout.width(), ROW_H, r##" fill="#F2F2F2""##, "");
        }
        let (job, instance) = ix.name(key);
        let full = label(job, instance);
        let shown = if full.chars().count() > MAX_LABEL {
            let cut: String = full.chars().take(MAX_LABEL - 1).collect();
            format!("{cut}…")
        } else {
            full.clone()
        };
        doc.line(&format!(
            r#"<text x="{}" y="{}" text-anchor="end" font-family="{LABEL_FONT}" font-size="11">{}<title>{}</title></text>"#,
            num(layout.left - 8.0),
            num(top + ROW_H / 2.0 + 4.0),
            escape(&shown),
            escape(&full)
        ));
    }
}

fn axis(doc: &mut Doc, layout: &Layout) {
    let top = HEAD_H - 4.0;
    let bottom = layout.plot_bottom() + 4.0;
    for t in layout.axis.ticks() {
        let x = layout.x(t);
        doc.path(
            &format!("M{} {} V{}", num(x), num(top), num(bottom)),
            r##" stroke="#CCCCCC" stroke-width="1""##,
            "",
        );
        let text = tick_label(t);
        let anchor = r#" text-anchor="middle" font-size="11""#;
        doc.text(x, top - 6.0, anchor, &text);
        doc.text(x, bottom + 14.0, anchor, &text);
    }
    doc.path(
        &format!(
            "M{} {} H{}",
            num(layout.left),
            num(top),
            num(layout.left + PLOT_W)
        ),
        r##" stroke="#666666" stroke-width="1""##,
        "",
    );
}

/// Idle stretches squeezed by the axis: a pale band over the rows, and a
/// break in the axis.
fn gaps(doc: &mut Doc, layout: &Layout) {
    let top = HEAD_H - 4.0;
    let bottom = layout.plot_bottom() + 4.0;
    for (from, to, x0, x1) in layout.axis.gaps() {
        let (x0, x1) = (layout.left + x0, layout.left + x1);
        let tip = format!(
            "nothing happens from {} to {} ({}): squeezed",
            time(from),
            time(to),
            time(to - from)
        );
        doc.rect(
            x0 + 2.0,
            top,
            (x1 - x0 - 4.0).max(1.0),
            bottom - top,
            r##" fill="#FFFFFF" fill-opacity="0.8""##,
            &tip,
        );
        for x in [x0 + 2.0, x1 - 2.0] {
            doc.path(
                &format!("M{} {} l4 -5 l4 10 l4 -5", num(x - 6.0), num(top)),
                r##" fill="none" stroke="#666666" stroke-width="1""##,
                "",
            );
        }
    }
}

/// One coloured span per phase: consecutive states of one phase merge;
/// the state an instance is left in at the end runs to the right edge.
fn spans(doc: &mut Doc, layout: &Layout, ix: &TraceIndex<'_>) {
    for (row, &key) in layout.rows.iter().enumerate() {
        let (job, instance) = ix.name(key);
        let name = label(job, instance);
        let top = layout.row_mid(row) - BAR_H / 2.0;
        let states = ix
            .key_runs
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|&r| ix.run(r))
            .flat_map(|run| run.states.iter());
        let mut open: Option<(Phase, Millis, State)> = None;
        for &(i, state) in states {
            let t = ix.t(i);
            let phase = Phase::of(state);
            if let Some((p, from, first)) = open {
                if Some(p) == phase {
                    continue;
                }
                span(doc, layout, top, p, from, t, &name, first);
            }
            open = phase.map(|p| (p, t, state));
        }
        if let Some((p, from, first)) = open {
            span(doc, layout, top, p, from, layout.axis.end, &name, first);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn span(
    doc: &mut Doc,
    layout: &Layout,
    top: f64,
    phase: Phase,
    from: Millis,
    to: Millis,
    name: &str,
    first: State,
) {
    let (x1, x2) = (layout.x(from), layout.x(to));
    let tip = format!(
        "{name}: {} {}–{} ({})",
        if phase == Phase::Starting {
            "starting"
        } else {
            first.name()
        },
        time(from),
        time(to),
        time(to.saturating_sub(from))
    );
    doc.rect(
        x1,
        top,
        (x2 - x1).max(MIN_SPAN_W),
        BAR_H,
        &format!(r#" fill="{}""#, phase.colour()),
        &tip,
    );
}

/// A red cross where a process ended with a failure.
fn exits(doc: &mut Doc, layout: &Layout, ix: &TraceIndex<'_>) {
    // A process init killed did not fail.
    let mut killed = std::collections::HashSet::new();
    for r in ix.trace {
        if let TraceKind::Kill { pid, .. } = &r.kind {
            killed.insert(*pid);
        }
        let TraceKind::Exit {
            job,
            instance,
            process,
            pid,
            status,
        } = &r.kind
        else {
            continue;
        };
        if status.is_success() || killed.contains(pid) {
            continue;
        }
        let Some(row) = ix.key_of((job, instance)).and_then(|k| layout.row(k)) else {
            continue;
        };
        let (x, y) = (layout.x(r.t), layout.row_mid(row));
        let how = match status {
            ExitStatus::Exited(n) => format!("exited {n}"),
            ExitStatus::Signaled(s) => format!("killed by signal {s}"),
        };
        doc.path(
            &format!("M{} {} l6 6 m0 -6 l-6 6", num(x - 3.0), num(y - 3.0)),
            r##" stroke="#B00000" stroke-width="2""##,
            &format!(
                "{} {} process ({pid}) {how} at {}",
                label(job, instance),
                process.name(),
                time(r.t)
            ),
        );
    }
}

/// Arrows from the row whose event (or request) started an instance to
/// that instance's row.
fn arrows(doc: &mut Doc, layout: &Layout, ix: &TraceIndex<'_>) {
    for r in ix.trace {
        let TraceKind::Goal {
            job,
            instance,
            from: Goal::Stop,
            to: Goal::Start,
            cause,
        } = &r.kind
        else {
            continue;
        };
        let Some(to_row) = ix.key_of((job, instance)).and_then(|k| layout.row(k)) else {
            continue;
        };
        let target = label(job, instance);
        let (source, at, dashed, what) = match cause {
            Cause::Event(e) => {
                let Some(info) = ix.events.get(e) else {
                    continue;
                };
                let at = info.handled.map_or(r.t, |h| ix.t(h));
                let source = match info.emitter {
                    Some(name) => Some(name),
                    None => ix
                        .senders
                        .events
                        .get(e)
                        .map(|s| (s.job.as_str(), s.instance.as_str())),
                };
                let what = match info.emitter {
                    Some((j, n)) => format!("{} {}", info.name, label(j, n)),
                    None => info.title(),
                };
                (source, at, false, what)
            }
            Cause::Request(id) => {
                let source = ix
                    .senders
                    .requests
                    .get(id)
                    .map(|s| (s.job.as_str(), s.instance.as_str()));
                (source, r.t, true, format!("control request {}", id.0))
            }
            Cause::Process(_) | Cause::Internal => continue,
        };
        let x2 = layout.x(r.t);
        let y2 = layout.row_mid(to_row);
        let from_row = source
            .and_then(|name| ix.key_of(name))
            .and_then(|k| layout.row(k))
            .filter(|&row| row != to_row);
        let Some(from_row) = from_row else {
            // Init's event or the operator's: a mark over the row.
            let tip = format!("{target} started by {what} at {}", time(r.t));
            doc.path(
                &format!("M{} {} l8 0 l-4 6 z", num(x2 - 4.0), num(y2 - ROW_H / 2.0)),
                r##" fill="#333333""##,
                &tip,
            );
            continue;
        };
        let y1 = layout.row_mid(from_row);
        let y2 = if y2 > y1 {
            y2 - BAR_H / 2.0
        } else {
            y2 + BAR_H / 2.0
        };
        let tip = format!("{what} at {} started {target}", time(at));
        arrow_path(doc, layout.x(at), y1, x2, y2, dashed, &tip);
    }
}

/// An arrow that leaves its row bowed to the right and comes into the
/// row it points at straight, so arrows that share a time stay apart and
/// their heads point at the rows.
fn arrow_path(doc: &mut Doc, x1: f64, y1: f64, x2: f64, y2: f64, dashed: bool, tip: &str) {
    let dy = y2 - y1;
    let bow = (dy.abs() * 0.3).min(4.0 + dy.abs() * 0.05).min(30.0);
    let d = if dy.abs() < 1.0 {
        format!("M{} {} L{} {}", num(x1), num(y1), num(x2), num(y2))
    } else {
        format!(
            "M{} {} C{} {} {} {} {} {}",
            num(x1),
            num(y1),
            num(x1 + bow),
            num(y1 + dy * 0.2),
            num(x2),
            num(y2 - dy * 0.4),
            num(x2),
            num(y2)
        )
    };
    let dash = if dashed {
        r#" stroke-dasharray="4 3""#
    } else {
        ""
    };
    doc.path(
        &d,
        &format!(
            r##" fill="none" stroke="#333333" stroke-opacity="0.6" stroke-width="1"{dash} marker-end="url(#head)""##
        ),
        tip,
    );
}

fn footer(doc: &mut Doc, layout: &Layout) {
    let y = layout.plot_bottom() + 34.0;
    let attrs = r##" fill="#555555" font-size="11""##;
    doc.text(
        12.0,
        y,
        attrs,
        "Arrows: from the instance that emitted an event (by a state change, or from its script) to the instance \
         it started; dashed: a start request its script sent.",
    );
    doc.text(
        12.0,
        y + 14.0,
        attrs,
        "Triangle: started by an event of init's or the operator's. Red cross: a process failed. \
         Hover over a span for its exact times.",
    );
}
