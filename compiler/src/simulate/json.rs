//! The simulated trace as JSON Lines, for programs.
//!
//! Written from small DTOs declared here, never from the machine's own
//! types, so the machine can change without breaking what scripts parse.
//! One object per line; every object has `t_ms` and `kind`.

use std::collections::BTreeMap;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use upc_machine::{EventId, ExitStatus, Millis, TraceKind, TraceRecord};

use super::driver::{End, Note, Record, Simulation};
use super::render::{cause_text, event_names, level, reply_lines, signal, Summary};

/// An event's environment as a JSON object, in the event's own order.
struct Env<'a>(&'a [String]);

impl Serialize for Env<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for entry in self.0 {
            let (key, value) = entry.split_once('=').unwrap_or((entry, ""));
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct Line<'a> {
    t_ms: Millis,
    #[serde(flatten)]
    record: Dto<'a>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Dto<'a> {
    State {
        job: &'a str,
        instance: &'a str,
        from: &'static str,
        to: &'static str,
    },
    Event {
        event: &'a str,
        env: Env<'a>,
    },
    EventFinished {
        event: &'a str,
        failed: bool,
    },
    Goal {
        job: &'a str,
        instance: &'a str,
        from: &'static str,
        to: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
    },
    Hold {
        job: &'a str,
        instance: &'a str,
        event: &'a str,
        /// Held by the class's `start on` match rather than the instance.
        start_on: bool,
    },
    Process {
        job: &'a str,
        instance: &'a str,
        process: &'static str,
        pid: u32,
    },
    Exit {
        job: &'a str,
        instance: &'a str,
        process: &'static str,
        pid: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<i32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        signal: Option<String>,
    },
    Kill {
        job: &'a str,
        instance: &'a str,
        process: &'static str,
        pid: u32,
        signal: String,
    },
    Command {
        request: u64,
        command: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        job: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        instance: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        process: Option<&'static str>,
    },
    Reply {
        request: u64,
        ok: bool,
        output: Vec<String>,
    },
    Follow {
        job: &'a str,
        instance: &'a str,
        process: &'static str,
        pid: u32,
        new_pid: u32,
    },
    Log {
        level: &'static str,
        text: &'a str,
    },
    Summary {
        end: &'static str,
        steps: usize,
        running: &'a [String],
        stopped: usize,
        failed: &'a [String],
        not_at_rest: Vec<NotAtRest<'a>>,
        unfinished_events: &'a [String],
    },
}

#[derive(Serialize)]
struct NotAtRest<'a> {
    instance: &'a str,
    state: &'static str,
}

fn dto<'a>(
    sim: &'a Simulation,
    record: &'a Record,
    events: &BTreeMap<EventId, &'a str>,
) -> Dto<'a> {
    match record {
        Record::Machine(m) => machine_dto(sim, m, events),
        Record::Note {
            note: Note::Command { request, text, by },
            ..
        } => Dto::Command {
            request: request.0,
            command: text,
            job: by.as_ref().map(|b| b.0.as_str()),
            instance: by.as_ref().map(|b| b.1.as_str()),
            process: by.as_ref().map(|b| b.2.name()),
        },
        Record::Note {
            note:
                Note::Follow {
                    job,
                    instance,
                    pid,
                    new_pid,
                },
            ..
        } => Dto::Follow {
            job,
            instance,
            process: "main",
            pid: *pid,
            new_pid: *new_pid,
        },
    }
}

fn machine_dto<'a>(
    sim: &'a Simulation,
    m: &'a TraceRecord,
    events: &BTreeMap<EventId, &'a str>,
) -> Dto<'a> {
    match &m.kind {
        TraceKind::State {
            job,
            instance,
            from,
            to,
            ..
        } => Dto::State {
            job,
            instance,
            from: from.name(),
            to: to.name(),
        },
        TraceKind::Event { name, env, .. } => Dto::Event {
            event: name,
            env: Env(env),
        },
        TraceKind::EventFinished { name, failed, .. } => Dto::EventFinished {
            event: name,
            failed: *failed,
        },
        TraceKind::Goal {
            job,
            instance,
            from,
            to,
            cause,
        } => Dto::Goal {
            job,
            instance,
            from: from.name(),
            to: to.name(),
            cause: cause_text(cause, events),
        },
        TraceKind::Hold {
            event,
            job,
            instance,
            start_on,
        } => Dto::Hold {
            job,
            instance,
            event: events.get(event).copied().unwrap_or("?"),
            start_on: *start_on,
        },
        TraceKind::Process {
            job,
            instance,
            process,
            pid,
        } => Dto::Process {
            job,
            instance,
            process: process.name(),
            pid: *pid,
        },
        TraceKind::Exit {
            job,
            instance,
            process,
            pid,
            status,
        } => {
            let (status, signal) = match *status {
                ExitStatus::Exited(n) => (Some(n), None),
                ExitStatus::Signaled(s) => (None, Some(signal(s))),
            };
            Dto::Exit {
                job,
                instance,
                process: process.name(),
                pid: *pid,
                status,
                signal,
            }
        }
        TraceKind::Kill {
            job,
            instance,
            process,
            pid,
            signal: s,
        } => Dto::Kill {
            job,
            instance,
            process: process.name(),
            pid: *pid,
            signal: signal(*s),
        },
        TraceKind::Reply { id, ok } => Dto::Reply {
            request: id.0,
            ok: *ok,
            output: sim.reply(*id).map(reply_lines).unwrap_or_default(),
        },
        TraceKind::Log { level: l, text } => Dto::Log {
            level: level(*l),
            text,
        },
    }
}

/// The trace as JSON Lines, then a `summary` object.
pub fn json_lines(sim: &Simulation, summary: &Summary) -> Result<String, serde_json::Error> {
    let records = sim.records();
    let events = event_names(records);
    let mut out = String::new();
    for record in records {
        let line = Line {
            t_ms: record.t(),
            record: dto(sim, record, &events),
        };
        out.push_str(&serde_json::to_string(&line)?);
        out.push('\n');
    }
    let end = match summary.outcome.end {
        End::Settled => "settled",
        End::Until => "until",
        End::StepLimit => "step-limit",
    };
    let last = Line {
        t_ms: summary.outcome.at,
        record: Dto::Summary {
            end,
            steps: summary.outcome.steps,
            running: &summary.running,
            stopped: summary.stopped,
            failed: &summary.failed,
            not_at_rest: summary
                .not_at_rest
                .iter()
                .map(|(who, state)| NotAtRest {
                    instance: who,
                    state: state.name(),
                })
                .collect(),
            unfinished_events: &summary.unfinished,
        },
    };
    out.push_str(&serde_json::to_string(&last)?);
    out.push('\n');
    Ok(out)
}
