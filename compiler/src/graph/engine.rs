//! Propagation over the model: which jobs can start, and in which wave.
//!
//! Every `and` counts its true operands and every `or` becomes true with
//! its first one, so each node changes at most once and a whole run is
//! linear in the size of the job set (plus the candidate sets). Facts are
//! processed in waves: a job whose `start on` became true while wave `w` was
//! processed starts in wave `w + 1`. The same engine answers three
//! questions, chosen by [`Mode`]:
//!
//! - [`Mode::Reach`]: can a job ever start? Every outside event is
//!   available, any job that has started may also stop, jobs with no
//!   `start on` can be started by hand.
//! - [`Mode::Boot`]: the boot order preview. Only `startup` and the events a
//!   normal boot brings from outside are there at first; a declared event
//!   comes once a job that declares it has started; tasks finish, services
//!   keep running until their `stop on` fires.
//! - [`Mode::Without`]: what can happen while job `K` is held in `starting`
//!   (or `stopping`), i.e. without `K`'s later events. Used to prove that a
//!   partial match waits for something that only comes after the event it
//!   holds (a blocking cycle).

use super::events::JobEvent;
use super::model::{LeafKind, Model, NodeKind, SetKind, Which, NONE};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Reach,
    Boot,
    /// `K` is held in `starting` (`stopping: false`) or `stopping`.
    Without {
        job: u32,
        stopping: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Outcome {
    /// Per job: the wave it (first) starts in, or `NONE`.
    pub wave: Vec<u32>,
    /// Per node of the arena: whether it became true.
    pub node: Vec<bool>,
    /// Steps taken (node updates and set members visited): the run's cost.
    pub work: u64,
}

impl Outcome {
    pub fn starts(&self, j: u32) -> bool {
        self.wave.get(j as usize).is_some_and(|&w| w != NONE)
    }

    pub fn node(&self, n: u32) -> bool {
        self.node.get(n as usize).copied().unwrap_or(false)
    }

    /// The values of one tree's nodes, indexed from its first node.
    pub fn tree_vals(&self, model: &Model<'_>, t: u32) -> Vec<bool> {
        match model.tree(t) {
            Some(tree) => self
                .node
                .get(tree.first as usize..=tree.root as usize)
                .map(<[bool]>::to_vec)
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Fact {
    Start(u32),
    Stop(u32),
}

struct Run<'m, 'a> {
    model: &'m Model<'a>,
    mode: Mode,
    node: Vec<bool>,
    and_count: Vec<u8>,
    set_done: Vec<bool>,
    wave: Vec<u32>,
    stop_root: Vec<bool>,
    stops: Vec<bool>,
    next: Vec<Fact>,
    /// Steps taken so far.
    work: u64,
}

/// Runs the propagation to its end (it always terminates: every node and
/// every set changes at most once).
pub fn run(model: &Model<'_>, mode: Mode) -> Outcome {
    let mut r = Run {
        model,
        mode,
        node: vec![false; model.nodes.len()],
        and_count: vec![0; model.nodes.len()],
        set_done: vec![false; model.sets.len()],
        wave: vec![NONE; model.jobs.len()],
        stop_root: vec![false; model.jobs.len()],
        stops: vec![false; model.jobs.len()],
        next: Vec::new(),
        work: 0,
    };
    r.seed();
    let mut wave = 0u32;
    while !r.next.is_empty() {
        let facts = std::mem::take(&mut r.next);
        for fact in facts {
            match fact {
                Fact::Start(j) => r.start(j, wave),
                Fact::Stop(j) => r.stop(j),
            }
        }
        wave = wave.saturating_add(1);
    }
    Outcome {
        wave: r.wave,
        node: r.node,
        work: r.work,
    }
}

impl Run<'_, '_> {
    fn seed(&mut self) {
        let model = self.model;
        if self.mode != Mode::Boot {
            // Jobs with no `start on` can be started by hand.
            for (j, info) in model.info.iter().enumerate() {
                if info.start.is_none() {
                    self.next.push(Fact::Start(super::model::index(j)));
                }
            }
        }
        for (l, leaf) in model.leaves.iter().enumerate() {
            let available = match &leaf.kind {
                LeafKind::Outside(o) => match self.mode {
                    Mode::Boot => o.boot_args && o.at_boot,
                    _ => o.args.is_ok(),
                },
                _ => false,
            };
            if available {
                self.mark_leaf(super::model::index(l));
            }
        }
        // In `Without` mode the held job is in its transition already.
        if let Mode::Without { job, .. } = self.mode {
            self.next.push(Fact::Start(job));
        }
    }

    fn mark_leaf(&mut self, l: u32) {
        let Some(leaf) = self.model.leaf(l) else {
            return;
        };
        if let (Mode::Boot, LeafKind::Outside(o)) = (self.mode, &leaf.kind) {
            if !o.boot_args {
                return;
            }
        }
        let mut n = leaf.node;
        loop {
            self.work = self.work.saturating_add(1);
            match self.node.get_mut(n as usize) {
                Some(v) if !*v => *v = true,
                _ => return,
            }
            let Some(node) = self.model.node(n) else {
                return;
            };
            let p = node.parent;
            if p == NONE {
                self.root_true(leaf.tree);
                return;
            }
            match self.model.node(p).map(|x| x.kind) {
                Some(NodeKind::Op(crate::cond::Operator::And, ..)) => {
                    let Some(c) = self.and_count.get_mut(p as usize) else {
                        return;
                    };
                    *c = c.saturating_add(1);
                    if *c < 2 {
                        return;
                    }
                }
                Some(NodeKind::Op(..)) => {}
                _ => return,
            }
            n = p;
        }
    }

    fn root_true(&mut self, t: u32) {
        let Some(tree) = self.model.tree(t) else {
            return;
        };
        let j = tree.job;
        match tree.which {
            Which::Start => {
                if !self.started(j) {
                    self.next.push(Fact::Start(j));
                }
            }
            Which::Stop => {
                if let Some(s) = self.stop_root.get_mut(j as usize) {
                    *s = true;
                }
                if self.started(j) && self.stop_allowed(j) {
                    self.next.push(Fact::Stop(j));
                }
            }
        }
    }

    fn started(&self, j: u32) -> bool {
        self.wave.get(j as usize).is_some_and(|&w| w != NONE)
    }

    fn stop_allowed(&self, j: u32) -> bool {
        match self.mode {
            Mode::Without { job, .. } => job != j,
            _ => true,
        }
    }

    fn start(&mut self, j: u32, wave: u32) {
        match self.wave.get_mut(j as usize) {
            Some(w) if *w == NONE => *w = wave,
            _ => return,
        }
        let task = self.model.job(j).is_some_and(|c| c.task);
        let held_start = matches!(self.mode, Mode::Without { job, stopping: false } if job == j);
        let held_stop = matches!(self.mode, Mode::Without { job, stopping: true } if job == j);
        // The events of starting: `starting` always; `started` unless held in starting.
        self.fire(j, JobEvent::Starting);
        if !held_start {
            self.fire(j, JobEvent::Started);
            if self.mode == Mode::Boot {
                self.fire_emits(j);
            }
        }
        if held_stop {
            // Held in `stopping`: its `stopping` event exists, `stopped` does not.
            self.fire(j, JobEvent::Stopping);
            return;
        }
        let stop_root = self.stop_root.get(j as usize).copied().unwrap_or(false);
        let stops = match self.mode {
            Mode::Reach => true,
            Mode::Boot | Mode::Without { .. } => task || stop_root,
        };
        if stops && self.stop_allowed(j) {
            self.stop(j);
        }
    }

    fn stop(&mut self, j: u32) {
        match self.stops.get_mut(j as usize) {
            Some(s) if !*s => *s = true,
            _ => return,
        }
        self.fire(j, JobEvent::Stopping);
        self.fire(j, JobEvent::Stopped);
    }

    /// Satisfies every candidate set of `event` that contains `j`.
    fn fire(&mut self, j: u32, event: JobEvent) {
        let model = self.model;
        if let Some(s) = model.any_sets.get(event.index()).copied().flatten() {
            self.satisfy(s);
        }
        let Some(sets) = model.job_sets.get(j as usize) else {
            return;
        };
        for &s in sets {
            self.work = self.work.saturating_add(1);
            if model
                .sets
                .get(s as usize)
                .is_some_and(|x| x.kind == SetKind::Job(event))
            {
                self.satisfy(s);
            }
        }
    }

    fn fire_emits(&mut self, j: u32) {
        let model = self.model;
        let Some(sets) = model.job_sets.get(j as usize) else {
            return;
        };
        for &s in sets {
            if model
                .sets
                .get(s as usize)
                .is_some_and(|x| x.kind == SetKind::Emits)
            {
                self.satisfy(s);
            }
        }
    }

    fn satisfy(&mut self, s: u32) {
        match self.set_done.get_mut(s as usize) {
            Some(d) if !*d => *d = true,
            _ => return,
        }
        let model = self.model;
        let Some(set) = model.sets.get(s as usize) else {
            return;
        };
        for &l in &set.leaves {
            self.mark_leaf(l);
        }
    }
}
