//! The trace as short lines, as the worked timelines of
//! runtime-semantics.md §20 read: what the compiler's job-file tests
//! compare.

use crate::{ExitStatus, LogLevel, TraceKind, TraceRecord};

use super::driver::instance_label;

fn env_text(env: &[String]) -> String {
    env.iter().map(|e| format!(" {e}")).collect()
}

/// One short line per trace record, as the worked timelines read:
/// `J goal stop -> start`, `J waiting -> starting`, `event go A=1`,
/// `finished go (failed)`, `J main (2)`, `J main (2) exit 0`, `J kill 15
/// (2)`, `log TEXT` (warnings and errors only). Holds, replies and the
/// lesser log lines have none.
pub fn short_line(r: &TraceRecord) -> Option<String> {
    Some(match &r.kind {
        TraceKind::Goal {
            job,
            instance,
            from,
            to,
            ..
        } => format!("{} goal {from} -> {to}", instance_label(job, instance)),
        TraceKind::State {
            job,
            instance,
            from,
            to,
            ..
        } => format!("{} {from} -> {to}", instance_label(job, instance)),
        TraceKind::Event { name, env, .. } => format!("event {name}{}", env_text(env)),
        TraceKind::EventFinished { name, failed, .. } => {
            format!("finished {name}{}", if *failed { " (failed)" } else { "" })
        }
        TraceKind::Process {
            job,
            instance,
            process,
            pid,
        } => format!(
            "{} {} ({pid})",
            instance_label(job, instance),
            process.name()
        ),
        TraceKind::Exit {
            job,
            instance,
            process,
            pid,
            status,
        } => format!(
            "{} {} ({pid}) {}",
            instance_label(job, instance),
            process.name(),
            match status {
                ExitStatus::Exited(n) => format!("exit {n}"),
                ExitStatus::Signaled(s) => format!("signal {s}"),
            }
        ),
        TraceKind::Kill {
            job,
            instance,
            pid,
            signal,
            ..
        } => format!("{} kill {signal} ({pid})", instance_label(job, instance)),
        TraceKind::Log { level, text } if *level >= LogLevel::Warn => format!("log {text}"),
        TraceKind::Hold { .. } | TraceKind::Reply { .. } | TraceKind::Log { .. } => return None,
    })
}

/// The lines of a start that has no process to wait for, from `starting`
/// to `running`.
pub fn start_walk(job: &str) -> Vec<String> {
    [
        "starting -> security-spawning",
        "security-spawning -> security",
        "security -> pre-starting",
        "pre-starting -> pre-start",
        "pre-start -> spawning",
        "spawning -> spawned",
        "spawned -> post-starting",
        "post-starting -> post-start",
        "post-start -> running",
    ]
    .iter()
    .map(|s| format!("{job} {s}"))
    .collect()
}

/// Whether `lines` contains `wanted` in order (other lines may come
/// between).
pub fn in_order(lines: &[String], wanted: &[&str]) -> bool {
    let mut it = lines.iter();
    wanted.iter().all(|w| it.any(|l| l == w))
}
