//! [`EventGraph`]: the job set as a petgraph graph for people, and its
//! renderings (`upc graph`): DOT, JSON, SVG through the system `dot`, and
//! the boot order preview.
//!
//! Nodes are jobs, events and, where a condition mixes `and` and `or`,
//! small operator nodes that keep the expression's structure (a chain of
//! one operator is flattened: `a or b or c` is three edges). A job event
//! (`started foo`) is drawn as an edge from job `foo` itself; every other
//! event is a node with the source it comes from.
//!
//! # JSON shape (version 1)
//!
//! ```text
//! { "version": 1,
//!   "nodes": [ { "id": 0, "kind": "job", "name": "rc", "task": true,
//!                "instance": "", "manual": false, "startable": true,
//!                "in_cycle": false, "boot_wave": 3 },
//!              { "id": 1, "kind": "event", "name": "runlevel",
//!                "source": "init|well-known|declared|assumed|failed|excluded|job|unknown" },
//!              { "id": 2, "kind": "and", "job": "tty1", "condition": "start" } ],
//!   "edges": [ { "from": 1, "to": 0, "kind": "start|stop|emits",
//!                "event": "runlevel", "args": ["[0123456]"], "blocking": false } ] }
//! ```
//!
//! An edge into an operator node has the kind of the condition it belongs
//! to and no event. `boot_wave` is `null` for a job a normal boot does not
//! start. Node ids are indices into `nodes`, stable for the same input.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use serde_json::{json, Value};

use crate::sema::ir::JobClass;

use super::draw::Builder;
use super::{EdgeKind, EventGraph, Focus, GraphEdge, GraphNode, SvgError};
use crate::graph::engine::{self, Mode};
use crate::graph::model::{Model, Which};
use crate::graph::{blocking, GraphOptions};

impl EventGraph {
    pub fn build(jobs: &[JobClass], opts: &GraphOptions) -> EventGraph {
        let model = Model::build(jobs, opts);
        let reach = engine::run(&model, Mode::Reach);
        let boot = engine::run(&model, Mode::Boot);
        let cycles = blocking::find(&model, &reach);
        Builder::new(&model, &reach, &boot, &cycles.members).finish()
    }

    /// Waves of jobs that could start together from `startup` when every
    /// job succeeds (sorted by name within a wave).
    pub fn boot_order(&self) -> Vec<Vec<String>> {
        self.waves.clone()
    }

    /// Whether a job of this name is in the graph (for `--job NAME`).
    pub fn contains_job(&self, name: &str) -> bool {
        self.graph
            .node_weights()
            .any(|n| matches!(n, GraphNode::Job { name: n, .. } if n == name))
    }

    /// Whether an event of this name is in the graph, as a node or as a job
    /// event on an edge (for `--event NAME`).
    pub fn contains_event(&self, name: &str) -> bool {
        self.graph.node_weights().any(|n| {
            matches!(n, GraphNode::Event { name: n, .. }
                if n == name || n.split_whitespace().next() == Some(name))
        }) || self.graph.edge_weights().any(|e| e.event == name)
    }

    /// Jobs with a `start on` that a normal boot does not start.
    pub fn not_started_at_boot(&self) -> &[String] {
        &self.not_at_boot
    }

    /// The boot order as text, one wave per line.
    pub fn boot_order_text(&self) -> String {
        let mut s = String::new();
        for (i, wave) in self.waves.iter().enumerate() {
            let _ = writeln!(s, "wave {}: {}", i + 1, wave.join(" "));
        }
        if !self.not_at_boot.is_empty() {
            let _ = writeln!(s, "not started at boot: {}", self.not_at_boot.join(" "));
        }
        s
    }

    /// The boot order as JSON: `{"waves": [[job, ...], ...], "not_started": [job, ...]}`.
    pub fn boot_order_json(&self) -> Value {
        json!({ "waves": self.waves, "not_started": self.not_at_boot })
    }

    fn included(&self, filter: Option<&Focus>) -> Vec<bool> {
        let n = self.graph.node_count();
        let Some(focus) = filter.filter(|f| f.job.is_some() || f.event.is_some()) else {
            return vec![true; n];
        };
        let mut dist: Vec<usize> = vec![usize::MAX; n];
        let mut queue = VecDeque::new();
        for idx in self.graph.node_indices() {
            let hit = match self.graph.node_weight(idx) {
                Some(GraphNode::Job { name, .. }) => focus.job.as_deref() == Some(name.as_str()),
                Some(GraphNode::Event { name, .. }) => focus
                    .event
                    .as_deref()
                    .is_some_and(|e| name == e || name.split_whitespace().next() == Some(e)),
                _ => false,
            };
            if hit {
                if let Some(d) = dist.get_mut(idx.index()) {
                    *d = 0;
                }
                queue.push_back(idx);
            }
        }
        // Edges carrying a job event stand for that event: focusing on
        // `started` shows them too.
        if let Some(ev) = &focus.event {
            for e in self.graph.edge_references() {
                let from_job = matches!(
                    self.graph.node_weight(e.source()),
                    Some(GraphNode::Job { .. })
                );
                if from_job && &e.weight().event == ev {
                    for x in [e.source(), e.target()] {
                        if let Some(d) = dist.get_mut(x.index()) {
                            if *d != 0 {
                                *d = 0;
                                queue.push_back(x);
                            }
                        }
                    }
                }
            }
        }
        // 0-1 breadth-first search: operator nodes cost nothing.
        while let Some(idx) = queue.pop_front() {
            let here = dist.get(idx.index()).copied().unwrap_or(usize::MAX);
            for dir in [Direction::Outgoing, Direction::Incoming] {
                for nb in self.graph.neighbors_directed(idx, dir) {
                    let free =
                        matches!(self.graph.node_weight(nb), Some(GraphNode::Operator { .. }));
                    let nd = here.saturating_add(usize::from(!free));
                    if nd > focus.depth {
                        continue;
                    }
                    if let Some(d) = dist.get_mut(nb.index()) {
                        if nd < *d {
                            *d = nd;
                            if free {
                                queue.push_front(nb);
                            } else {
                                queue.push_back(nb);
                            }
                        }
                    }
                }
            }
        }
        dist.into_iter().map(|d| d != usize::MAX).collect()
    }

    /// Graphviz DOT text.
    pub fn to_dot(&self, filter: Option<&Focus>) -> String {
        let keep = self.included(filter);
        let kept = |i: NodeIndex| keep.get(i.index()).copied().unwrap_or(false);
        let mut s = String::new();
        s.push_str("digraph upstart {\n");
        s.push_str(
            "  graph [rankdir=LR, fontname=\"Helvetica\", nodesep=0.25, ranksep=0.9, \
             concentrate=false, newrank=true];\n  node [fontname=\"Helvetica\", fontsize=11];\n  \
             edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];\n",
        );
        for idx in self.graph.node_indices() {
            if !kept(idx) {
                continue;
            }
            let Some(node) = self.graph.node_weight(idx) else {
                continue;
            };
            let _ = writeln!(s, "  n{} [{}];", idx.index(), node_attrs(node));
        }
        for e in self.graph.edge_references() {
            if !(kept(e.source()) && kept(e.target())) {
                continue;
            }
            // From an event node, the node already says which event.
            let from_event = matches!(
                self.graph.node_weight(e.source()),
                Some(GraphNode::Event { .. })
            );
            let _ = writeln!(
                s,
                "  n{} -> n{} [{}];",
                e.source().index(),
                e.target().index(),
                edge_attrs(e.weight(), from_event)
            );
        }
        s.push_str(LEGEND);
        s.push_str("}\n");
        s
    }

    /// The graph as JSON (shape in the module documentation).
    pub fn to_json(&self, filter: Option<&Focus>) -> Value {
        let keep = self.included(filter);
        let kept = |i: NodeIndex| keep.get(i.index()).copied().unwrap_or(false);
        let nodes: Vec<Value> = self
            .graph
            .node_indices()
            .filter(|&i| kept(i))
            .filter_map(|i| {
                let node = self.graph.node_weight(i)?;
                Some(match node {
                    GraphNode::Job {
                        name,
                        task,
                        instance,
                        manual,
                        startable,
                        in_cycle,
                        boot_wave,
                        description,
                    } => json!({
                        "id": i.index(), "kind": "job", "name": name, "task": task,
                        "instance": instance, "manual": manual, "startable": startable,
                        "in_cycle": in_cycle, "boot_wave": boot_wave, "description": description,
                    }),
                    GraphNode::Event { name, source } => json!({
                        "id": i.index(), "kind": "event", "name": name, "source": source,
                    }),
                    GraphNode::Operator { op, job, condition } => json!({
                        "id": i.index(), "kind": op.as_str(), "job": job,
                        "condition": if *condition == Which::Start { "start" } else { "stop" },
                    }),
                })
            })
            .collect();
        let edges: Vec<Value> = self
            .graph
            .edge_references()
            .filter(|e| kept(e.source()) && kept(e.target()))
            .map(|e| {
                let w = e.weight();
                json!({
                    "from": e.source().index(), "to": e.target().index(), "kind": w.kind.as_str(),
                    "event": w.event, "args": w.args, "blocking": w.blocking,
                })
            })
            .collect();
        json!({ "version": 1, "nodes": nodes, "edges": edges })
    }

    /// SVG, rendered by the system's Graphviz `dot`.
    pub fn to_svg(&self, filter: Option<&Focus>) -> Result<String, SvgError> {
        render_svg(&self.to_dot(filter))
    }
}

/// Runs `dot -Tsvg` on DOT text.
pub fn render_svg(dot: &str) -> Result<String, SvgError> {
    let mut child = match Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(SvgError::DotMissing),
        Err(e) => return Err(SvgError::Io(e)),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // Written from a thread so a large graph cannot deadlock on full pipes.
        let text = dot.to_owned();
        let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
        let output = child.wait_with_output()?;
        writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("writer thread panicked")))?;
        if !output.status.success() {
            return Err(SvgError::DotFailed {
                status: output.status.to_string(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    Err(SvgError::Io(std::io::Error::other("no pipe to `dot`")))
}

const LEGEND: &str = "  subgraph cluster_legend {\n    label=\"legend\"; fontsize=10; color=\"#bbbbbb\";\n    \
    legend [shape=plaintext, fontsize=9, label=<<table border=\"0\" cellspacing=\"0\" cellpadding=\"2\">\
    <tr><td align=\"left\">solid: starts the job</td></tr>\
    <tr><td align=\"left\">dashed: stops the job</td></tr>\
    <tr><td align=\"left\">thick red: starting/stopping (blocks the emitter)</td></tr>\
    <tr><td align=\"left\">dotted: emits</td></tr>\
    <tr><td align=\"left\">grey job: can never start; red border: blocking cycle</td></tr>\
    </table>>];\n  }\n";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn node_attrs(node: &GraphNode) -> String {
    match node {
        GraphNode::Job {
            name,
            task,
            instance,
            manual,
            startable,
            in_cycle,
            description,
            ..
        } => {
            let mut label = esc(name);
            if *task {
                label.push_str("\\n(task)");
            }
            if !instance.is_empty() {
                let _ = write!(label, "\\ninstance {}", esc(instance));
            }
            let fill = if !startable {
                "#dddddd"
            } else if *manual {
                "#fff4d6"
            } else {
                "#dbe9f6"
            };
            let (color, pen) = if *in_cycle {
                ("#c0392b", "2.5")
            } else {
                ("#4a6a8a", "1")
            };
            let style = if *startable {
                "rounded,filled"
            } else {
                "rounded,filled,dashed"
            };
            format!(
                "label=\"{label}\", shape=box, style=\"{style}\", fillcolor=\"{fill}\", color=\"{color}\", \
                 penwidth={pen}, tooltip=\"{}\"",
                esc(description.as_deref().unwrap_or(name))
            )
        }
        GraphNode::Event { name, source } => {
            let (fill, color) = match *source {
                "unknown" => ("#f9d6d5", "#c0392b"),
                "init" => ("#e3f1e0", "#3c7a3c"),
                "job" => ("#eeeeee", "#777777"),
                _ => ("#f5f5f5", "#888888"),
            };
            format!(
                "label=\"{}\", shape=ellipse, style=filled, fillcolor=\"{fill}\", color=\"{color}\", \
                 fontsize=10, tooltip=\"{source}\"",
                esc(name)
            )
        }
        GraphNode::Operator { op, .. } => format!(
            "label=\"{}\", shape=circle, fixedsize=true, width=0.38, fontsize=8, style=filled, \
             fillcolor=\"#ffffff\"",
            op.as_str()
        ),
    }
}

fn edge_attrs(e: &GraphEdge, from_event: bool) -> String {
    let mut label = if from_event || e.kind == EdgeKind::Emits {
        String::new()
    } else {
        e.event.clone()
    };
    for a in &e.args {
        if !label.is_empty() {
            label.push(' ');
        }
        label.push_str(a);
    }
    let style = match e.kind {
        EdgeKind::Start => "solid",
        EdgeKind::Stop => "dashed",
        EdgeKind::Emits => "dotted",
    };
    let (color, pen) = match (e.kind, e.blocking) {
        (EdgeKind::Emits, _) => ("#999999", "1"),
        (_, true) => ("#c0392b", "2.2"),
        (EdgeKind::Start, false) => ("#2c6e49", "1.2"),
        (EdgeKind::Stop, false) => ("#7d5a50", "1.2"),
    };
    format!(
        "label=\"{}\", style={style}, color=\"{color}\", penwidth={pen}",
        esc(&label)
    )
}
