//! The analysed shape of a job set: every `start on`/`stop on` tree
//! flattened into one arena, every event match (a *leaf*) classified by
//! where its event can come from, and, for job events, the set of jobs whose
//! events it can match (its *candidates*), with argument matches decided
//! statically wherever the value is known (`JOB`, a constant `INSTANCE`,
//! `RESULT`, which variables an event carries at all).
//!
//! Classification lives in [`super::classify`]. Trees are stored in post-order (children before parents, each tree one
//! contiguous range), so evaluating a tree is a loop and nothing recurses.
//! Candidate sets are shared: every leaf with the same event and argument
//! list points at one set, and a leaf that any job can satisfy points at the
//! per-event "any job" set instead of listing every job.

use crate::cond::{EventMatch, Expr, Operator};
use crate::sema::ir::{Condition, JobClass};
use crate::source::{FileId, Span};

use super::events::{Carries, JobEvent, PatternSet, WellKnown};
use super::fx::{FxMap, FxSet};
use super::GraphOptions;

pub const NONE: u32 = u32::MAX;

/// Which condition of a job.
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

#[derive(Debug, Clone, Copy)]
pub enum NodeKind {
    Leaf(u32),
    Op(Operator, u32, u32),
}

#[derive(Debug, Clone, Copy)]
pub struct Node {
    pub parent: u32,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, Copy)]
pub struct Tree {
    pub job: u32,
    pub which: Which,
    /// The first node of the tree; the root is the last.
    pub first: u32,
    pub root: u32,
    pub file: FileId,
    pub span: Span,
}

/// Why a leaf can never match, and where to point.
#[derive(Debug, Clone)]
pub struct Dead {
    pub span: Span,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub enum LeafKind {
    /// `starting`/`started`/`stopping`/`stopped`.
    Job {
        event: JobEvent,
        /// The candidate set, `None` when no job can match.
        set: Option<u32>,
        /// When `set` is `None`: why.
        dead: Option<Dead>,
        /// The `JOB` pattern names no job of the set (for did-you-mean).
        missing_job: Option<String>,
    },
    /// An event from outside the job set (or init), a declared one, or one
    /// of a job that was left out of the analysis.
    Outside(Outside),
    /// Nothing emits it.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Outside {
    pub well_known: Option<&'static WellKnown>,
    /// Jobs whose `emits` match the name.
    pub emitters: Vec<u32>,
    pub assumed: bool,
    /// `NAME/failed`.
    pub failed: bool,
    /// Matches the job event of a job left out of the analysis.
    pub excluded: bool,
    /// Matches the job event of a well-known system job the set lacks.
    pub system_job: bool,
    /// Whether a normal boot brings it from outside (boot preview).
    pub at_boot: bool,
    /// `Err` when the arguments can never match what the event carries.
    pub args: Result<(), Dead>,
    /// Whether the arguments match the values a normal boot uses (`runlevel 2`).
    pub boot_args: bool,
    /// The set of `emitters`, for the boot preview.
    pub emit_set: Option<u32>,
}

impl Outside {
    pub fn declared(&self) -> bool {
        !self.emitters.is_empty()
    }

    /// What the event carries, as far as anyone can know.
    pub fn carries(&self) -> Carries {
        if self.declared() || self.assumed || self.failed || self.excluded || self.system_job {
            return Carries::Unknown;
        }
        self.well_known.map_or(Carries::Unknown, |w| w.carries)
    }

    /// A short name of the source, for the graph outputs.
    pub fn source(&self) -> &'static str {
        match self.well_known {
            Some(w) if w.emitter.starts_with("init") => "init",
            _ if self.excluded => "excluded",
            _ if self.system_job => "system-job",
            _ if self.declared() => "declared",
            _ if self.assumed => "assumed",
            _ if self.failed => "failed",
            Some(_) => "well-known",
            None => "unknown",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Leaf<'a> {
    pub tree: u32,
    pub node: u32,
    pub m: &'a EventMatch,
    pub kind: LeafKind,
}

/// What a candidate set is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    Job(JobEvent),
    /// The emitters of an `emits`-declared event.
    Emits,
}

#[derive(Debug, Clone)]
pub struct CandSet {
    pub kind: SetKind,
    /// `None`: every job.
    pub members: Option<Vec<u32>>,
    pub leaves: Vec<u32>,
}

/// Per job, what the analysis needs besides the class.
#[derive(Debug, Clone)]
pub struct JobInfo {
    pub start: Option<u32>,
    pub stop: Option<u32>,
    pub singleton: bool,
    /// The instance name when it is a constant.
    pub instance: Option<String>,
}

pub struct Model<'a> {
    pub jobs: &'a [JobClass],
    pub info: Vec<JobInfo>,
    pub by_name: FxMap<&'a str, Vec<u32>>,
    pub nodes: Vec<Node>,
    pub trees: Vec<Tree>,
    pub leaves: Vec<Leaf<'a>>,
    pub sets: Vec<CandSet>,
    /// Per job, the non-"any" sets it is a member of.
    pub job_sets: Vec<Vec<u32>>,
    /// The "any job" set of each job event, if some leaf uses it.
    pub any_sets: [Option<u32>; 4],
    pub emits: PatternSet,
    pub assumed: PatternSet,
    pub excluded: FxSet<String>,
}

impl<'a> Model<'a> {
    pub fn build(jobs: &'a [JobClass], opts: &GraphOptions) -> Model<'a> {
        let mut by_name: FxMap<&str, Vec<u32>> = FxMap::default();
        let mut emits = PatternSet::default();
        let mut info = Vec::with_capacity(jobs.len());
        for (i, job) in jobs.iter().enumerate() {
            let i = index(i);
            by_name.entry(job.name.as_str()).or_default().push(i);
            for e in &job.emits {
                emits.insert(&e.value, i as usize);
            }
            let instance = if job.instance.is_empty() {
                Some(String::new())
            } else if job.instance.contains('$') {
                None
            } else {
                Some(job.instance.clone())
            };
            info.push(JobInfo {
                start: None,
                stop: None,
                singleton: job.instance.is_empty(),
                instance,
            });
        }
        let mut assumed = PatternSet::default();
        for a in &opts.assume_events {
            assumed.insert(a, 0);
        }
        let excluded: FxSet<String> = opts
            .excluded_jobs
            .iter()
            .filter(|n| !by_name.contains_key(n.as_str()))
            .cloned()
            .collect();
        let mut model = Model {
            jobs,
            info,
            by_name,
            nodes: Vec::new(),
            trees: Vec::new(),
            leaves: Vec::new(),
            sets: Vec::new(),
            job_sets: vec![Vec::new(); jobs.len()],
            any_sets: [None; 4],
            emits,
            assumed,
            excluded,
        };
        let mut cx = BuildCx::default();
        for (i, job) in jobs.iter().enumerate() {
            let i = index(i);
            if let Some(c) = &job.start_on {
                let t = model.add_tree(&mut cx, i, Which::Start, c);
                if let Some(info) = model.info.get_mut(i as usize) {
                    info.start = Some(t);
                }
            }
            if let Some(c) = &job.stop_on {
                let t = model.add_tree(&mut cx, i, Which::Stop, c);
                if let Some(info) = model.info.get_mut(i as usize) {
                    info.stop = Some(t);
                }
            }
        }
        model.index_sets();
        model
    }

    pub fn job(&self, j: u32) -> Option<&'a JobClass> {
        self.jobs.get(j as usize)
    }

    pub fn name(&self, j: u32) -> &'a str {
        self.jobs.get(j as usize).map_or("?", |c| c.name.as_str())
    }

    pub fn tree(&self, t: u32) -> Option<&Tree> {
        self.trees.get(t as usize)
    }

    pub fn leaf(&self, l: u32) -> Option<&Leaf<'a>> {
        self.leaves.get(l as usize)
    }

    pub fn node(&self, n: u32) -> Option<&Node> {
        self.nodes.get(n as usize)
    }

    /// The leaves of a tree, left to right.
    pub fn tree_leaves(&self, t: u32) -> Vec<u32> {
        let Some(tree) = self.tree(t) else {
            return Vec::new();
        };
        (tree.first..=tree.root)
            .filter_map(|n| match self.node(n)?.kind {
                NodeKind::Leaf(l) => Some(l),
                NodeKind::Op(..) => None,
            })
            .collect()
    }

    /// Evaluates a tree bottom-up with the given leaf values; returns the
    /// value of every node of the tree (indexed from `tree.first`).
    pub fn eval(&self, t: u32, mut leaf: impl FnMut(u32) -> bool) -> Vec<bool> {
        let Some(tree) = self.tree(t) else {
            return Vec::new();
        };
        let first = tree.first;
        let mut vals: Vec<bool> = Vec::with_capacity((tree.root - first + 1) as usize);
        for n in first..=tree.root {
            let v = match self.node(n).map(|n| n.kind) {
                Some(NodeKind::Leaf(l)) => leaf(l),
                Some(NodeKind::Op(op, a, b)) => {
                    let get = |x: u32| {
                        x.checked_sub(first)
                            .and_then(|i| vals.get(i as usize).copied())
                            .unwrap_or(false)
                    };
                    match op {
                        Operator::And => get(a) && get(b),
                        Operator::Or => get(a) || get(b),
                    }
                }
                None => false,
            };
            vals.push(v);
        }
        vals
    }

    /// The leaves that make a false tree false: below a false `and`, its
    /// false operands; below a false `or`, both. Left to right.
    pub fn blame(&self, t: u32, vals: &[bool]) -> Vec<u32> {
        let Some(tree) = self.tree(t) else {
            return Vec::new();
        };
        let first = tree.first;
        let val = |n: u32| {
            n.checked_sub(first)
                .and_then(|i| vals.get(i as usize).copied())
                .unwrap_or(false)
        };
        let mut out = Vec::new();
        let mut stack = vec![tree.root];
        while let Some(n) = stack.pop() {
            if val(n) {
                continue;
            }
            match self.node(n).map(|n| n.kind) {
                Some(NodeKind::Leaf(l)) => out.push(l),
                Some(NodeKind::Op(_, a, b)) => {
                    stack.push(b);
                    stack.push(a);
                }
                None => {}
            }
        }
        out
    }

    /// The leaves one event can satisfy the whole tree with: those reached
    /// from the root through `or` nodes only.
    pub fn triggers(&self, t: u32) -> Vec<u32> {
        let Some(tree) = self.tree(t) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut stack = vec![tree.root];
        while let Some(n) = stack.pop() {
            match self.node(n).map(|n| n.kind) {
                Some(NodeKind::Leaf(l)) => out.push(l),
                Some(NodeKind::Op(Operator::Or, a, b)) => {
                    stack.push(b);
                    stack.push(a);
                }
                _ => {}
            }
        }
        out
    }

    /// Whether a leaf sits below an `and` (so a match can be held, §6.4).
    pub fn under_and(&self, leaf_node: u32) -> bool {
        let mut n = leaf_node;
        while let Some(node) = self.node(n) {
            if node.parent == NONE {
                return false;
            }
            if let Some(NodeKind::Op(Operator::And, ..)) = self.node(node.parent).map(|p| p.kind) {
                return true;
            }
            n = node.parent;
        }
        false
    }

    /// Whether a leaf can help satisfy its tree: every `and` above it has a
    /// satisfiable other operand (per `vals`, indexed from the tree's first node).
    pub fn useful(&self, t: u32, leaf_node: u32, vals: &[bool]) -> bool {
        let Some(tree) = self.tree(t) else {
            return false;
        };
        let val = |n: u32| {
            n.checked_sub(tree.first)
                .and_then(|i| vals.get(i as usize).copied())
                .unwrap_or(false)
        };
        let mut n = leaf_node;
        while let Some(node) = self.node(n) {
            let p = node.parent;
            if p == NONE {
                return true;
            }
            if let Some(NodeKind::Op(Operator::And, a, b)) = self.node(p).map(|p| p.kind) {
                let other = if a == n { b } else { a };
                if !val(other) {
                    return false;
                }
            }
            n = p;
        }
        false
    }

    fn add_tree(
        &mut self,
        cx: &mut BuildCx<'a>,
        job: u32,
        which: Which,
        cond: &'a Condition,
    ) -> u32 {
        let t = index(self.trees.len());
        let first = index(self.nodes.len());
        let mut out = std::mem::take(&mut cx.out);
        let mut stack = std::mem::take(&mut cx.stack);
        out.clear();
        stack.clear();
        stack.push((&cond.expr, false));
        while let Some((e, done)) = stack.pop() {
            match e {
                Expr::Match(m) => {
                    let n = index(self.nodes.len());
                    let l = index(self.leaves.len());
                    let kind = self.classify(cx, which, m);
                    self.leaves.push(Leaf {
                        tree: t,
                        node: n,
                        m,
                        kind,
                    });
                    self.nodes.push(Node {
                        parent: NONE,
                        kind: NodeKind::Leaf(l),
                    });
                    out.push(n);
                }
                Expr::Binary(b) if !done => {
                    stack.push((e, true));
                    stack.push((&b.right, false));
                    stack.push((&b.left, false));
                }
                Expr::Binary(b) => {
                    let r = out.pop().unwrap_or(NONE);
                    let l = out.pop().unwrap_or(NONE);
                    let n = index(self.nodes.len());
                    for c in [l, r] {
                        if let Some(node) = self.nodes.get_mut(c as usize) {
                            node.parent = n;
                        }
                    }
                    self.nodes.push(Node {
                        parent: NONE,
                        kind: NodeKind::Op(b.op, l, r),
                    });
                    out.push(n);
                }
            }
        }
        let root = out.pop().unwrap_or(first);
        cx.out = out;
        cx.stack = stack;
        // Leaves point at their tree only now that it has an index.
        self.trees.push(Tree {
            job,
            which,
            first,
            root,
            file: cond.origin.file,
            span: cond.origin.span,
        });
        t
    }

    fn index_sets(&mut self) {
        for (l, leaf) in self.leaves.iter().enumerate() {
            let set = match &leaf.kind {
                LeafKind::Job { set: Some(s), .. } => Some(*s),
                LeafKind::Outside(o) => o.emit_set,
                _ => None,
            };
            if let Some(s) = set.and_then(|s| self.sets.get_mut(s as usize)) {
                s.leaves.push(index(l));
            }
        }
        for (s, set) in self.sets.iter().enumerate() {
            for &j in set.members.iter().flatten() {
                if let Some(list) = self.job_sets.get_mut(j as usize) {
                    list.push(index(s));
                }
            }
        }
    }
}

/// Indices are u32 throughout (a job set of four billion jobs is not a
/// job set); saturates rather than wrapping.
pub fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NONE - 1)
}

/// What building the model keeps at hand (the classification in
/// [`super::classify`] fills and reads it).
#[derive(Default)]
pub(super) struct BuildCx<'a> {
    /// Candidate sets by event and argument list.
    pub(super) job_sets: FxMap<(JobEvent, Which, String), u32>,
    /// The common case without allocation: one literal job name.
    pub(super) named_sets: FxMap<(JobEvent, &'a str), u32>,
    pub(super) emit_sets: FxMap<String, u32>,
    /// Jobs matching a glob.
    pub(super) globs: FxMap<String, Vec<u32>>,
    /// Job names, sorted (built on the first glob).
    pub(super) sorted: Vec<(&'a str, u32)>,
    /// Scratch stacks of `add_tree`, reused.
    pub(super) stack: Vec<(&'a Expr, bool)>,
    pub(super) out: Vec<u32>,
}
