//! The simulated trace as JSON Lines, for programs.
//!
//! The records are written by `upc_machine::json`, the renderer `upinit
//! --trace` uses too, so a simulated and a real trace have one schema. Only
//! the closing `summary` object is the simulator's own. One object per
//! line; every object has `t_ms` and `kind`.

use upc_machine::json::{command_line, follow_line, Object, TraceWriter};

use super::driver::{End, Note, Record, Simulation};
use super::render::Summary;

/// The trace as JSON Lines, then a `summary` object.
pub fn json_lines(sim: &Simulation, summary: &Summary) -> String {
    let mut writer = TraceWriter::new();
    let mut out = String::new();
    for record in sim.records() {
        match record {
            Record::Machine(m) => {
                let reply = match m.kind {
                    upc_machine::TraceKind::Reply { id, .. } => sim.reply(id),
                    _ => None,
                };
                writer.line(&mut out, m, reply);
            }
            Record::Note {
                t,
                note: Note::Command { request, text, by },
            } => command_line(
                &mut out,
                *t,
                *request,
                text,
                by.as_ref().map(|b| (b.0.as_str(), b.1.as_str(), b.2)),
            ),
            Record::Note {
                t,
                note:
                    Note::Follow {
                        job,
                        instance,
                        pid,
                        new_pid,
                    },
            } => follow_line(&mut out, *t, job, instance, *pid, *new_pid),
        }
    }
    let end = match summary.outcome.end {
        End::Settled => "settled",
        End::Until => "until",
        End::StepLimit => "step-limit",
    };
    Object::record(&mut out, summary.outcome.at, "summary")
        .str("end", end)
        .num(
            "steps",
            u64::try_from(summary.outcome.steps).unwrap_or(u64::MAX),
        )
        .strs("running", &summary.running)
        .num(
            "stopped",
            u64::try_from(summary.stopped).unwrap_or(u64::MAX),
        )
        .strs("failed", &summary.failed)
        .raw("not_at_rest", |out| {
            out.push('[');
            for (n, (who, state)) in summary.not_at_rest.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                Object::new(out)
                    .str("instance", who)
                    .str("state", state.name())
                    .end();
            }
            out.push(']');
        })
        .strs("unfinished_events", &summary.unfinished)
        .end();
    out.push('\n');
    out
}
