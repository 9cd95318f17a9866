//! Graph: the whole job set at once. Which jobs can start, which events
//! nothing emits, which jobs wait on each other forever (blocking cycles),
//! which variables no starting event supplies; and the event graph itself
//! for `upc graph` (DOT, JSON, SVG) with the boot order preview.
//!
//! Input is only [`JobClass`] values (`sema`'s output), never syntax or
//! files; output is [`Diagnostic`]s and renderings. Nothing here does I/O
//! except [`EventGraph::to_svg`], which runs the system `dot`. Nothing
//! recurses on the input: expression trees are flattened into a post-order
//! arena (`model`), propagation is a worklist (`engine`), cycles come
//! from petgraph's iterative Kosaraju SCC; the whole analysis is linear in
//! the size of the job set, except the held-match proofs of
//! `blocking`, which are capped.
//!
//! Severity follows one rule: only a blocking cycle (E0019) is an error,
//! because only it hangs a boot that would otherwise work. Everything else
//! is a warning, since real job sets that boot contain jobs that never start
//! and events from outside that the set cannot know about.
//!
//! Where events come from: every job emits its own `starting`, `started`,
//! `stopping` and `stopped` (with `JOB=name`); init emits `startup` and a
//! few signal events; the outside world (`initctl emit`, bridges, mountall,
//! ifup, telinit) is the [well-known list](well_known_events), anything a job
//! declares with `emits` (globs declare families: `emits *-device-added`),
//! and whatever `--assume-event` names.

mod blocking;
mod checks;
mod classify;
mod engine;
mod events;
mod fx;
mod model;
mod pattern;
pub mod show;
mod text;
mod vars;

pub use events::{well_known_events, well_known_jobs};
pub use show::{render_svg, EdgeKind, EventGraph, Focus, GraphEdge, GraphNode, SvgError};

use crate::diag::Diagnostic;
use crate::sema::ir::JobClass;

/// What the analysis may assume about the world outside the job set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphOptions {
    /// Events that come from outside (`--assume-event NAME`; globs allowed).
    pub assume_events: Vec<String>,
    /// Names of jobs that exist but were left out of the analysis (their
    /// files failed to parse): waiting on their events is not reported,
    /// and what those events carry is unknown.
    pub excluded_jobs: Vec<String>,
}

/// Runs every whole-set check: W0021 (never starts), W0022 (unknown
/// event), E0019 (blocking cycle), W0023 (never stops), W0024 (start and
/// stop on the same event), W0025 (missing variable), W0026 (export never
/// set). Sorted by file, then position.
pub fn check(jobs: &[JobClass], opts: &GraphOptions) -> Vec<Diagnostic> {
    let model = model::Model::build(jobs, opts);
    let reach = engine::run(&model, engine::Mode::Reach);
    // The variable checks (most of the work, split per job) run beside the
    // reachability and cycle checks; the results are joined in the order
    // one thread would produce them, then sorted.
    let (mut out, var_found) = rayon::join(
        || {
            let mut out = Vec::new();
            checks::run(&model, &reach, &mut out);
            out.extend(blocking::find(&model, &reach).diagnostics);
            out
        },
        || {
            let mut found = Vec::new();
            vars::run(&model, &reach, &mut found);
            found
        },
    );
    out.extend(var_found);
    out.sort_by(|a, b| {
        (a.primary.file, a.primary.span.start, a.code, &a.message).cmp(&(
            b.primary.file,
            b.primary.span.start,
            b.code,
            &b.message,
        ))
    });
    out
}
