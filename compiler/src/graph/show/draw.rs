//! Turns the analysed model into the display graph of [`EventGraph`]: one
//! node per job, per event from outside and per operator where a condition
//! changes between `and` and `or`; one edge per event match (from the
//! emitting job itself for a job event with few candidates).

use std::collections::{HashMap, HashSet};

use petgraph::graph::{DiGraph, NodeIndex};

use crate::cond::{ArgKind, Operator};

use super::{EdgeKind, EventGraph, GraphEdge, GraphNode};
use crate::graph::engine::Outcome;
use crate::graph::events::JobEvent;
use crate::graph::model::{LeafKind, Model, NodeKind, Which, NONE};
use crate::graph::text::arg_text;

/// Job events with at most this many candidate jobs are drawn as edges
/// from each; more (or "any job") get an event node.
const MAX_EDGE_CANDIDATES: usize = 16;

pub(super) struct Builder<'b, 'a> {
    model: &'b Model<'a>,
    graph: DiGraph<GraphNode, GraphEdge>,
    job_nodes: Vec<NodeIndex>,
    events: HashMap<String, NodeIndex>,
    waves: Vec<Vec<String>>,
    not_at_boot: Vec<String>,
}

impl<'b, 'a> Builder<'b, 'a> {
    pub(super) fn new(
        model: &'b Model<'a>,
        reach: &Outcome,
        boot: &Outcome,
        cycle: &HashSet<u32>,
    ) -> Builder<'b, 'a> {
        let mut graph = DiGraph::new();
        let mut job_nodes = Vec::with_capacity(model.jobs.len());
        let mut waves: Vec<Vec<String>> = Vec::new();
        let mut not_at_boot = Vec::new();
        for (j, job) in model.jobs.iter().enumerate() {
            let j = crate::graph::model::index(j);
            let wave = boot.wave.get(j as usize).copied().filter(|&w| w != NONE);
            let manual = job.start_on.is_none();
            match wave {
                Some(w) => {
                    let w = w as usize;
                    if waves.len() <= w {
                        waves.resize(w + 1, Vec::new());
                    }
                    if let Some(list) = waves.get_mut(w) {
                        list.push(job.name.clone());
                    }
                }
                None if !manual => not_at_boot.push(job.name.clone()),
                None => {}
            }
            job_nodes.push(graph.add_node(GraphNode::Job {
                name: job.name.clone(),
                task: job.task,
                instance: job.instance.clone(),
                manual,
                startable: reach.starts(j),
                in_cycle: cycle.contains(&j),
                boot_wave: wave.map(|w| w + 1),
                description: job.description.clone(),
            }));
        }
        waves.retain(|w| !w.is_empty());
        for w in &mut waves {
            w.sort();
        }
        not_at_boot.sort();
        Builder {
            model,
            graph,
            job_nodes,
            events: HashMap::new(),
            waves,
            not_at_boot,
        }
    }

    fn event_node(&mut self, name: &str, source: &'static str) -> NodeIndex {
        if let Some(&n) = self.events.get(name) {
            return n;
        }
        let n = self.graph.add_node(GraphNode::Event {
            name: name.to_owned(),
            source,
        });
        self.events.insert(name.to_owned(), n);
        n
    }

    pub(super) fn finish(mut self) -> EventGraph {
        let model = self.model;
        // Declared events first, so emitters point at them.
        for (j, job) in model.jobs.iter().enumerate() {
            let Some(&from) = self.job_nodes.get(j) else {
                continue;
            };
            for e in &job.emits {
                let to = self.event_node(&e.value, "declared");
                self.graph.add_edge(
                    from,
                    to,
                    GraphEdge {
                        kind: EdgeKind::Emits,
                        event: e.value.clone(),
                        args: Vec::new(),
                        blocking: false,
                    },
                );
            }
        }
        for t in 0..model.trees.len() {
            self.tree(crate::graph::model::index(t));
        }
        EventGraph {
            graph: self.graph,
            waves: self.waves,
            not_at_boot: self.not_at_boot,
        }
    }

    fn tree(&mut self, t: u32) {
        let model = self.model;
        let Some(tree) = model.tree(t) else { return };
        let Some(&job_node) = self.job_nodes.get(tree.job as usize) else {
            return;
        };
        let kind = match tree.which {
            Which::Start => EdgeKind::Start,
            Which::Stop => EdgeKind::Stop,
        };
        // (arena node, display target, operator of the target if it is an operator node)
        let mut stack: Vec<(u32, NodeIndex, Option<Operator>)> =
            vec![(tree.root, job_node, Some(Operator::Or))];
        while let Some((n, target, target_op)) = stack.pop() {
            match model.node(n).map(|x| x.kind) {
                Some(NodeKind::Leaf(l)) => self.leaf(l, target, kind),
                Some(NodeKind::Op(op, a, b)) => {
                    let into = if target_op == Some(op) {
                        target
                    } else {
                        let o = self.graph.add_node(GraphNode::Operator {
                            op,
                            job: model.name(tree.job).to_owned(),
                            condition: tree.which,
                        });
                        self.graph.add_edge(
                            o,
                            target,
                            GraphEdge {
                                kind,
                                event: String::new(),
                                args: Vec::new(),
                                blocking: false,
                            },
                        );
                        o
                    };
                    stack.push((b, into, Some(op)));
                    stack.push((a, into, Some(op)));
                }
                None => {}
            }
        }
    }

    /// A non-blocking edge from the event's node (created with `source` as
    /// its origin) to `target`.
    fn plain_edge(
        &mut self,
        event: &str,
        source: &'static str,
        target: NodeIndex,
        kind: EdgeKind,
        args: Vec<String>,
    ) {
        let from = self.event_node(event, source);
        let edge = GraphEdge {
            kind,
            event: event.to_owned(),
            args,
            blocking: false,
        };
        self.graph.add_edge(from, target, edge);
    }

    fn leaf(&mut self, l: u32, target: NodeIndex, kind: EdgeKind) {
        let model = self.model;
        let Some(leaf) = model.leaf(l) else { return };
        let event = leaf.m.event.value.clone();
        let all_args: Vec<String> = leaf
            .m
            .args
            .iter()
            .map(|a| arg_text(&a.kind, &a.value))
            .collect();
        match &leaf.kind {
            LeafKind::Job { event: je, set, .. } => {
                let members = set
                    .and_then(|s| model.sets.get(s as usize))
                    .and_then(|s| s.members.clone())
                    .filter(|m| m.len() <= MAX_EDGE_CANDIDATES);
                let job_named = leaf.m.args.iter().position(|a| {
                    matches!(&a.kind, ArgKind::Positional)
                        || matches!(&a.kind, ArgKind::Equals(k) if k == "JOB")
                });
                match members {
                    Some(members) if !members.is_empty() => {
                        // The JOB pattern is the source node; keep the other arguments.
                        let args: Vec<String> = all_args
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| Some(*i) != job_named)
                            .map(|(_, a)| a.clone())
                            .collect();
                        for m in members {
                            if let Some(&from) = self.job_nodes.get(m as usize) {
                                self.graph.add_edge(
                                    from,
                                    target,
                                    GraphEdge {
                                        kind,
                                        event: event.clone(),
                                        args: args.clone(),
                                        blocking: je.blocks(),
                                    },
                                );
                            }
                        }
                    }
                    _ => {
                        let source = if set.is_some() { "job" } else { "unknown" };
                        let name = crate::graph::text::leaf_text(leaf.m);
                        let from = self.event_node(&name, source);
                        self.graph.add_edge(
                            from,
                            target,
                            GraphEdge {
                                kind,
                                event,
                                args: Vec::new(),
                                blocking: je.blocks(),
                            },
                        );
                    }
                }
            }
            LeafKind::Outside(o) if o.system_job || o.excluded => {
                // A job event of a job outside the set: one node per job event.
                let (name, args) = match leaf.m.args.split_first() {
                    Some((first, rest)) => (
                        format!("{event} {}", arg_text(&first.kind, &first.value)),
                        rest.iter().map(|a| arg_text(&a.kind, &a.value)).collect(),
                    ),
                    None => (event.clone(), Vec::new()),
                };
                let blocking = JobEvent::from_name(&event).is_some_and(JobEvent::blocks);
                let from = self.event_node(&name, o.source());
                self.graph.add_edge(
                    from,
                    target,
                    GraphEdge {
                        kind,
                        event,
                        args,
                        blocking,
                    },
                );
            }
            LeafKind::Outside(o) => self.plain_edge(&event, o.source(), target, kind, all_args),
            LeafKind::Unknown => self.plain_edge(&event, "unknown", target, kind, all_args),
        }
    }
}
