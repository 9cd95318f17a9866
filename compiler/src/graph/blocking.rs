//! Blocking cycles (E0019): `starting` and `stopping` hold the job that
//! emits them until every job they start or stop has finished its own
//! transition (runtime-semantics.md 5 and 7), so jobs can wait on each other
//! forever. Two shapes are found:
//!
//! **Rings.** A wait-for graph over (job, `starting`|`stopping`) pairs: an
//! edge `(K, T) -> (J, T')` says K's `T` event changes J's goal, so K stays in
//! `T` until J has got through `T'`. Upstart only blocks an event on a job
//! whose goal it *changes* (job_class.c: a job whose goal is already `start`
//! is left alone), so a ring of plain starts (`a: start on starting b`,
//! `b: start on starting a`) never hangs: whoever starts first is already
//! `start` when the ring comes back to it. A ring hangs only when it comes
//! back to a job and *flips* its goal: a `stop on` that matches while the
//! job is still `starting`, or a `start on` that matches while it is still
//! `stopping`. So a deadlock is a cycle with at least one flip edge. One
//! cycle is reported per strongly connected component, its labels walking
//! the ring in order.
//!
//! **Held partial matches** (§6.4): a match below an `and` holds its event
//! until the rest of the tree is true. If the rest can only become true
//! after that event has finished (`start on starting K and started K`, or
//! through other jobs: `started C` where C starts on `started K`), K stays in
//! `starting` forever. Proved by running the engine without K's later events
//! ([`Mode::Without`]).
//!
//! Everything here is iterative (petgraph's Kosaraju SCC, breadth-first
//! search). The held-match proofs are whole engine runs, so their number
//! and total cost are capped (a multiple of one reachability run), as is the
//! size of the wait-for graph: a huge or dense job set finishes in bounded
//! time, and past a cap some cycles go unreported, never the other way
//! round (every proof that is used ran to completion).

use std::collections::{HashMap, HashSet, VecDeque};

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::diag::{Code, Diagnostic};

use super::engine::{self, Mode, Outcome};
use super::events::JobEvent;
use super::model::{LeafKind, Model, Which};
use super::text::{leaf_text, quote_list};

/// How an edge of the wait-for graph arises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// The job was at rest (or running, for a stop) and starts (stops).
    Enter,
    /// A task started by the event: the event waits until it has finished.
    EnterTask,
    /// The job is itself in the other transition and its goal flips.
    Flip,
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    leaf: u32,
    how: How,
}

/// A found deadlock, for the diagnostics and the graph outputs.
pub struct Cycles {
    pub diagnostics: Vec<Diagnostic>,
    /// Jobs that take part in some reported cycle.
    pub members: HashSet<u32>,
}

/// The transition a job is in while its event is handled.
fn trans_name(stopping: bool) -> &'static str {
    if stopping {
        "stopping"
    } else {
        "starting"
    }
}

fn node_of(job: u32, stopping: bool) -> NodeIndex {
    NodeIndex::new(job as usize * 2 + usize::from(stopping))
}

fn job_of(n: NodeIndex) -> (u32, bool) {
    (super::model::index(n.index() / 2), n.index() % 2 == 1)
}

/// The most held-match proofs to run (each is one engine run).
const MAX_HELD_RUNS: usize = 256;
/// Their total cost, in multiples of the reachability run.
const HELD_WORK_FACTOR: u64 = 32;
/// The most wait-for edges built; past it rings are not searched (a miss,
/// never a false error).
const MAX_RING_EDGES: usize = 20_000_000;
/// The most candidates of one held match to try.
const MAX_HELD_CANDIDATES: usize = 8;

pub fn find(model: &Model<'_>, reach: &Outcome) -> Cycles {
    let mut out = Cycles {
        diagnostics: Vec::new(),
        members: HashSet::new(),
    };
    rings(model, reach, &mut out);
    held(model, reach, &mut out);
    out
}

fn rings(model: &Model<'_>, reach: &Outcome, out: &mut Cycles) {
    let n = model.jobs.len();
    let mut g: DiGraph<(), Edge> = DiGraph::with_capacity(n * 2, 0);
    for _ in 0..n * 2 {
        g.add_node(());
    }
    let mut tree_vals: HashMap<u32, Vec<bool>> = HashMap::new();
    for (l, leaf) in model.leaves.iter().enumerate() {
        let l = super::model::index(l);
        let LeafKind::Job {
            event,
            set: Some(set),
            ..
        } = &leaf.kind
        else {
            continue;
        };
        if !event.blocks() {
            continue;
        }
        let Some(tree) = model.tree(leaf.tree) else {
            continue;
        };
        let j = tree.job;
        let root_true = match tree.which {
            Which::Start => reach.starts(j),
            Which::Stop => reach.starts(j) && reach.node(tree.root),
        };
        if !root_true {
            continue;
        }
        let vals = tree_vals
            .entry(leaf.tree)
            .or_insert_with(|| reach.tree_vals(model, leaf.tree));
        if !model.useful(leaf.tree, leaf.node, vals) {
            continue;
        }
        let Some(job) = model.job(j) else { continue };
        let singleton = model.info.get(j as usize).is_some_and(|i| i.singleton);
        let from_stopping = *event == JobEvent::Stopping;
        let targets: Vec<(bool, How)> = match tree.which {
            Which::Start => {
                let mut t = vec![(false, How::Enter)];
                if job.task {
                    t.push((true, How::EnterTask));
                }
                if singleton {
                    t.push((true, How::Flip));
                }
                t
            }
            Which::Stop => {
                let mut t = vec![(true, How::Enter)];
                if singleton {
                    t.push((false, How::Flip));
                }
                t
            }
        };
        let members: Vec<u32> = match model
            .sets
            .get(*set as usize)
            .and_then(|s| s.members.clone())
        {
            Some(m) => m,
            None => (0..super::model::index(n)).collect(),
        };
        for k in members {
            if !reach.starts(k) {
                continue;
            }
            for &(to_stopping, how) in &targets {
                if k == j {
                    // The same instance: only a flip into the transition it is in.
                    if how != How::Flip || to_stopping != from_stopping {
                        continue;
                    }
                }
                if g.edge_count() >= MAX_RING_EDGES {
                    return;
                }
                g.add_edge(
                    node_of(k, from_stopping),
                    node_of(j, to_stopping),
                    Edge { leaf: l, how },
                );
            }
        }
    }
    if g.edge_count() == 0 {
        return;
    }
    let sccs = kosaraju_scc(&g);
    // Component of every node, so "inside" is an array lookup.
    let mut comp = vec![usize::MAX; g.node_count()];
    for (c, scc) in sccs.iter().enumerate() {
        for n in scc {
            if let Some(slot) = comp.get_mut(n.index()) {
                *slot = c;
            }
        }
    }
    for (c, scc) in sccs.iter().enumerate() {
        let inside = |n: NodeIndex| comp.get(n.index()) == Some(&c);
        let flips: Vec<(NodeIndex, NodeIndex, Edge)> = scc
            .iter()
            .flat_map(|&a| g.edges(a))
            .filter(|e| e.weight().how == How::Flip && inside(e.target()))
            .map(|e| (e.source(), e.target(), *e.weight()))
            .collect();
        for (src, dst, flip) in flips.into_iter().take(64) {
            let Some(path) = bfs(&g, &inside, dst, src) else {
                continue;
            };
            // The ring: the flip edge, then the path back to its source.
            let mut ring = vec![(src, dst, flip)];
            ring.extend(path);
            let mut seen = HashSet::new();
            if !ring.iter().all(|(_, to, _)| seen.insert(job_of(*to).0)) {
                // Visits one job in two transitions at once: not a real ring.
                continue;
            }
            for (from, _, _) in &ring {
                out.members.insert(job_of(*from).0);
            }
            out.diagnostics.push(ring_diagnostic(model, &ring));
            break;
        }
    }
}

/// The shortest path from `from` to `to` inside one component, as edges.
fn bfs(
    g: &DiGraph<(), Edge>,
    inside: &dyn Fn(NodeIndex) -> bool,
    from: NodeIndex,
    to: NodeIndex,
) -> Option<Vec<(NodeIndex, NodeIndex, Edge)>> {
    if from == to {
        return Some(Vec::new());
    }
    let mut prev: HashMap<NodeIndex, (NodeIndex, Edge)> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(n) = queue.pop_front() {
        for e in g.edges(n) {
            let t = e.target();
            if !inside(t) || t == from || prev.contains_key(&t) {
                continue;
            }
            prev.insert(t, (n, *e.weight()));
            if t == to {
                let mut path = Vec::new();
                let mut at = to;
                while at != from {
                    let (p, w) = *prev.get(&at)?;
                    path.push((p, at, w));
                    at = p;
                }
                path.reverse();
                return Some(path);
            }
            queue.push_back(t);
        }
    }
    None
}

fn ring_diagnostic(model: &Model<'_>, ring: &[(NodeIndex, NodeIndex, Edge)]) -> Diagnostic {
    let mut names = Vec::new();
    for (from, _, _) in ring {
        let (j, stopping) = job_of(*from);
        names.push(format!("`{}` ({})", model.name(j), trans_name(stopping)));
    }
    if let Some((from, _, _)) = ring.first() {
        names.push(format!("`{}`", model.name(job_of(*from).0)));
    }
    let mut labels = ring.iter().map(|&(from, to, e)| {
        let (k, k_stopping) = job_of(from);
        let (j, _) = job_of(to);
        let (kn, jn) = (model.name(k), model.name(j));
        let ev = trans_name(k_stopping);
        let which = model
            .leaf(e.leaf)
            .and_then(|l| model.tree(l.tree))
            .map_or(Which::Start, |t| t.which);
        let text = match (e.how, which) {
            (How::Enter, Which::Start) => {
                format!("`{jn}` starts on `{ev} {kn}`, so `{kn}` stays in `{ev}` until `{jn}` is running")
            }
            (How::EnterTask, _) => format!(
                "the task `{jn}` starts on `{ev} {kn}`, so `{kn}` stays in `{ev}` until `{jn}` has finished"
            ),
            (How::Enter, Which::Stop) => {
                format!("`{jn}` stops on `{ev} {kn}`, so `{kn}` stays in `{ev}` until `{jn}` has stopped")
            }
            (How::Flip, Which::Stop) => format!(
                "`{jn}` stops on `{ev} {kn}` while itself still starting: `{kn}` stays in `{ev}` until \
                 `{jn}` has stopped, which cannot happen before `{jn}`'s own `starting` has finished"
            ),
            (How::Flip, Which::Start) => format!(
                "`{jn}` starts on `{ev} {kn}` while itself still stopping: `{kn}` stays in `{ev}` until \
                 `{jn}` runs again, which cannot happen before `{jn}`'s own `stopping` has finished"
            ),
        };
        let (file, span) = model
            .leaf(e.leaf)
            .and_then(|l| Some((model.tree(l.tree)?.file, l.m.span)))
            .unwrap_or((crate::source::FileId(0), crate::source::Span::default()));
        (file, span, text)
    });
    let (file, span, first) = labels.next().unwrap_or((
        crate::source::FileId(0),
        crate::source::Span::default(),
        String::new(),
    ));
    let mut d = Diagnostic::new(
        Code::BlockingCycle,
        file,
        span,
        format!("blocking cycle: {}", names.join(" -> ")),
    )
    .with_label(first);
    for (file, span, text) in labels {
        d = d.with_secondary(file, span, text);
    }
    d.with_note(
        "`starting` and `stopping` hold the job that emits them until every job they start or stop \
         has finished its own transition; these jobs wait for each other forever",
    )
    .with_help("wait for the non-blocking `started`/`stopped` event on one side of the ring instead")
}

/// Held partial matches whose rest can only come after the held event.
fn held(model: &Model<'_>, reach: &Outcome, out: &mut Cycles) {
    let mut runs: HashMap<(u32, bool), Outcome> = HashMap::new();
    // Each proof is one full engine run; together they may cost at most
    // this many times a normal run (a normal set needs one or two).
    let budget = HELD_WORK_FACTOR.saturating_mul(reach.work.max(1024));
    let mut spent = 0u64;
    for leaf in &model.leaves {
        let LeafKind::Job {
            event,
            set: Some(set),
            ..
        } = &leaf.kind
        else {
            continue;
        };
        if !event.blocks() || !model.under_and(leaf.node) {
            continue;
        }
        let Some(tree) = model.tree(leaf.tree) else {
            continue;
        };
        let j = tree.job;
        if tree.which == Which::Stop && !reach.starts(j) {
            continue;
        }
        let Some(members) = model
            .sets
            .get(*set as usize)
            .and_then(|s| s.members.as_ref())
        else {
            continue;
        };
        let held_node = leaf.node;
        // With the held leaf true, can the tree be satisfied at all?
        let possible = model.eval(leaf.tree, |l| {
            model
                .leaf(l)
                .is_some_and(|x| x.node == held_node || reach.node(x.node))
        });
        if !possible.last().copied().unwrap_or(false) {
            continue;
        }
        let stopping = *event == JobEvent::Stopping;
        for &k in members.iter().take(MAX_HELD_CANDIDATES) {
            if !reach.starts(k) || !model.info.get(k as usize).is_some_and(|i| i.singleton) {
                continue;
            }
            if !runs.contains_key(&(k, stopping)) {
                if runs.len() >= MAX_HELD_RUNS || spent >= budget {
                    continue;
                }
                let o = engine::run(model, Mode::Without { job: k, stopping });
                spent = spent.saturating_add(o.work);
                runs.insert((k, stopping), o);
            }
            let Some(without) = runs.get(&(k, stopping)) else {
                continue;
            };
            let vals = model.eval(leaf.tree, |l| {
                model
                    .leaf(l)
                    .is_some_and(|x| x.node == held_node || without.node(x.node))
            });
            if vals.last().copied().unwrap_or(true) {
                continue;
            }
            out.members.insert(j);
            out.members.insert(k);
            out.diagnostics.push(held_diagnostic(
                model, without, leaf.tree, held_node, k, stopping, &vals,
            ));
            break;
        }
    }
}

fn held_diagnostic(
    model: &Model<'_>,
    without: &Outcome,
    t: u32,
    held_node: u32,
    k: u32,
    stopping: bool,
    vals: &[bool],
) -> Diagnostic {
    let ev = trans_name(stopping);
    let kn = model.name(k);
    let (file, which, j) = model
        .tree(t)
        .map_or((crate::source::FileId(0), Which::Start, 0), |tr| {
            (tr.file, tr.which, tr.job)
        });
    let jn = model.name(j);
    let held_leaf = model.leaves.iter().find(|l| l.node == held_node);
    let span = held_leaf.map_or(crate::source::Span::default(), |l| l.m.span);
    let mut d = Diagnostic::new(
        Code::BlockingCycle,
        file,
        span,
        format!("blocking cycle: `{kn}` waits in `{ev}` for a partial match of `{jn}` that needs `{kn}` to have finished `{ev}`"),
    )
    .with_label(format!(
        "`{jn}`'s `{}` holds `{ev} {kn}` here until the rest of it is true",
        which.stanza()
    ));
    let blamed: Vec<u32> = model
        .blame(t, vals)
        .into_iter()
        .filter(|&l| model.leaf(l).is_some_and(|x| x.node != held_node))
        .collect();
    let mut chain_from = None;
    for &l in &blamed {
        let Some(leaf) = model.leaf(l) else { continue };
        d = d.with_secondary(
            file,
            leaf.m.span,
            format!(
                "but `{}` cannot happen while `{kn}` is still {ev}",
                leaf_text(leaf.m)
            ),
        );
        if chain_from.is_none() {
            chain_from = Some(l);
        }
    }
    // Follow the first blamed job event a few steps, to show where the ring closes.
    let mut seen = HashSet::new();
    let mut at = chain_from;
    for _ in 0..4 {
        let Some(l) = at.take() else { break };
        let Some(LeafKind::Job { set: Some(set), .. }) = model.leaf(l).map(|x| &x.kind) else {
            break;
        };
        let Some(c) = model
            .sets
            .get(*set as usize)
            .and_then(|s| s.members.as_ref())
            .and_then(|m| m.iter().copied().find(|&c| c != k && !without.starts(c)))
        else {
            break;
        };
        if !seen.insert(c) {
            break;
        }
        let Some(ct) = model.info.get(c as usize).and_then(|i| i.start) else {
            break;
        };
        let cvals = without.tree_vals(model, ct);
        let cblame = model.blame(ct, &cvals);
        let Some(&first) = cblame.first() else { break };
        let (Some(cleaf), Some(ctree)) = (model.leaf(first), model.tree(ct)) else {
            break;
        };
        d = d.with_secondary(
            ctree.file,
            cleaf.m.span,
            format!(
                "`{}` starts only after `{}`",
                model.name(c),
                leaf_text(cleaf.m)
            ),
        );
        at = Some(first);
    }
    let others: Vec<String> = blamed
        .iter()
        .filter_map(|&l| model.leaf(l).map(|x| leaf_text(x.m)))
        .collect();
    d.with_note(format!(
        "a match below `and` holds its event until the whole expression is true (runtime-semantics.md 6.4); \
         `{ev} {kn}` cannot finish before {} happens, and that needs `{kn}` past `{ev}`",
        quote_list(&others)
    ))
    .with_help(format!(
        "wait for `{} {kn}` (which does not block) or drop the `and`",
        if stopping { "stopped" } else { "started" }
    ))
}
