//! Presentation of the event graph: what `upc graph` shows, built from the
//! analysis in [`crate::graph`] (which never uses this folder). `draw`
//! builds an [`EventGraph`] from the analysis model, `display` renders it
//! (DOT, JSON, SVG through the system `dot`, the boot order preview); the
//! types they share are here, so neither file imports the other's.

mod display;
mod draw;

pub use display::render_svg;

use petgraph::graph::DiGraph;

use crate::cond::Operator;

use super::model::Which;

/// A node of the display graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphNode {
    Job {
        name: String,
        task: bool,
        instance: String,
        /// No `start on`: started by hand or by another job's script.
        manual: bool,
        startable: bool,
        in_cycle: bool,
        boot_wave: Option<u32>,
        description: Option<String>,
    },
    Event {
        name: String,
        source: &'static str,
    },
    Operator {
        op: Operator,
        job: String,
        condition: Which,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Start,
    Stop,
    Emits,
}

impl EdgeKind {
    fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Start => "start",
            EdgeKind::Stop => "stop",
            EdgeKind::Emits => "emits",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphEdge {
    pub kind: EdgeKind,
    /// The event name (empty for an edge into an operator node).
    pub event: String,
    /// The argument matches, as written.
    pub args: Vec<String>,
    /// A `starting`/`stopping` event: the emitter waits.
    pub blocking: bool,
}

/// Restricts a rendering to the neighbourhood of a job or an event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Focus {
    pub job: Option<String>,
    pub event: Option<String>,
    /// How many job/event steps away from the focus to include (operator
    /// nodes are free).
    pub depth: usize,
}

/// Why an SVG could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SvgError {
    #[error("rendering SVG needs Graphviz's `dot` program, which was not found in PATH (install graphviz, or use `--format dot` and render it elsewhere)")]
    DotMissing,
    #[error("could not run `dot`: {0}")]
    Io(#[from] std::io::Error),
    #[error("`dot` failed ({status}): {stderr}")]
    DotFailed { status: String, stderr: String },
}

/// The event graph of a job set.
#[derive(Debug, Clone)]
pub struct EventGraph {
    pub graph: DiGraph<GraphNode, GraphEdge>,
    pub(super) waves: Vec<Vec<String>>,
    pub(super) not_at_boot: Vec<String>,
}
