//! A recorded trace read back: the JSON Lines of `upinit --trace` (or of
//! `upc simulate --format json`) turned into the records the critical
//! chain and the timeline picture draw, so a real boot is drawn by the
//! same code as a simulated one (`upc timeline`).
//!
//! The JSON names events, not their ids: an event gets a fresh id where it
//! is handled, and the records after it that name it (`hold`, a goal's
//! `event NAME` cause) refer to the latest live event of that name; an
//! `event-finished` to the oldest live one that nothing held (a held event
//! waits for its holders while a later one of its name finishes at once),
//! else the oldest. A job's own event (`starting`, `stopping`, ...)
//! gets the job named by its `JOB` and `INSTANCE` as its emitter, and the
//! state change that waits for it (`starting`, `stopping`) gets it as what
//! blocked it, as the machine records them. What the JSON does not keep
//! is left out: an `emit` request's sender, unless the `command` record
//! names it.
//!
//! Records of kinds it does not know (`output`, `summary`, a newer init's)
//! are skipped; a line that is not a JSON object, or a known record with a
//! missing or unknown field, is an error with its line number.

use std::collections::HashMap;

use serde::Deserialize;
use upc_machine::{
    Cause, EventId, ExitStatus, Goal, LogLevel, ProcessKind, RequestId, State, TraceKind,
    TraceRecord,
};

use super::driver::{Note, Record};
use crate::run::model::Env;

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayError {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ReplayError {}

/// The kinds read; the others are skipped.
const KINDS: [&str; 12] = [
    "state",
    "event",
    "event-finished",
    "goal",
    "hold",
    "process",
    "exit",
    "kill",
    "reply",
    "log",
    "command",
    "follow",
];

#[derive(Deserialize)]
struct Kind {
    kind: String,
}

/// One JSON line: every field the kinds read have.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Line {
    t_ms: u64,
    kind: String,
    job: Option<String>,
    instance: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cause: Option<String>,
    event: Option<String>,
    env: Env,
    start_on: Option<bool>,
    failed: Option<bool>,
    process: Option<String>,
    pid: Option<u32>,
    new_pid: Option<u32>,
    status: Option<i32>,
    signal: Option<String>,
    request: Option<u64>,
    ok: Option<bool>,
    command: Option<String>,
    level: Option<String>,
    text: Option<String>,
}

fn need<T>(value: Option<T>, field: &str, kind: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("a `{kind}` record without `{field}`"))
}

fn state(name: Option<String>, field: &str) -> Result<State, String> {
    let name = need(name, field, "state")?;
    State::from_name(&name).ok_or_else(|| format!("unknown state `{name}`"))
}

fn goal(name: Option<String>, field: &str) -> Result<Goal, String> {
    match need(name, field, "goal")?.as_str() {
        "stop" => Ok(Goal::Stop),
        "start" => Ok(Goal::Start),
        "respawn" => Ok(Goal::Respawn),
        other => Err(format!("unknown goal `{other}`")),
    }
}

fn process_kind(name: &str) -> Result<ProcessKind, String> {
    ProcessKind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(|| format!("unknown process `{name}`"))
}

/// `TERM`, `SIGTERM` or a number (what the trace writes for a signal
/// without a name).
fn signal(name: &str) -> Result<i32, String> {
    upc_bundle::signals::signal_number(name)
        .or_else(|| name.parse().ok())
        .ok_or_else(|| format!("unknown signal `{name}`"))
}

fn level(name: &str) -> Result<LogLevel, String> {
    match name {
        "debug" => Ok(LogLevel::Debug),
        "info" => Ok(LogLevel::Info),
        "warn" => Ok(LogLevel::Warn),
        "error" => Ok(LogLevel::Error),
        other => Err(format!("unknown log level `{other}`")),
    }
}

/// Events by name, while they are live, and whether anything held them.
#[derive(Default)]
struct Events {
    next: u64,
    live: HashMap<String, Vec<(EventId, bool)>>,
}

impl Events {
    fn fresh(&mut self) -> EventId {
        self.next += 1;
        EventId(self.next)
    }

    fn handled(&mut self, name: &str) -> EventId {
        let id = self.fresh();
        self.live
            .entry(name.to_owned())
            .or_default()
            .push((id, false));
        id
    }

    /// The latest live event of that name (one the trace did not show
    /// being handled gets an id of its own).
    fn named(&mut self, name: &str) -> EventId {
        match self.live.get(name).and_then(|ids| ids.last()) {
            Some(&(id, _)) => id,
            None => self.handled(name),
        }
    }

    /// [`Events::named`], which something holds now.
    fn held(&mut self, name: &str) -> EventId {
        let id = self.named(name);
        if let Some(entry) = self
            .live
            .get_mut(name)
            .and_then(|ids| ids.iter_mut().find(|(i, _)| *i == id))
        {
            entry.1 = true;
        }
        id
    }

    /// The live event of that name that finishes now: the oldest that
    /// nothing held (one that was held waits for its holders, while a
    /// later one of the same name finishes at once), else the oldest.
    fn finished(&mut self, name: &str) -> EventId {
        let Some(ids) = self.live.get_mut(name).filter(|ids| !ids.is_empty()) else {
            return self.fresh();
        };
        let at = ids.iter().position(|&(_, held)| !held).unwrap_or(0);
        ids.remove(at).0
    }
}

struct Reader {
    events: Events,
    /// (job, instance, state) -> the index of the `starting`/`stopping`
    /// state record still waiting to learn its event.
    blocked: HashMap<(String, String, State), usize>,
    records: Vec<Record>,
}

impl Reader {
    fn line(&mut self, l: Line) -> Result<(), String> {
        let t = l.t_ms;
        let kind = l.kind.as_str();
        let job = |l: &Line| need(l.job.clone(), "job", kind);
        let instance = |l: &Line| l.instance.clone().unwrap_or_default();
        let record = match kind {
            "state" => {
                let (job, instance) = (job(&l)?, instance(&l));
                let to = state(l.to, "to")?;
                if matches!(to, State::Starting | State::Stopping) {
                    self.blocked
                        .insert((job.clone(), instance.clone(), to), self.records.len());
                }
                TraceKind::State {
                    job,
                    instance,
                    from: state(l.from, "from")?,
                    to,
                    blocked_by: None,
                }
            }
            "event" => {
                let name = need(l.event, "event", kind)?;
                let id = self.events.handled(&name);
                let emitter = match name.as_str() {
                    "starting" | "started" | "stopping" | "stopped" => {
                        l.env.0.iter().find(|(k, _)| k == "JOB").map(|(_, job)| {
                            let instance = l
                                .env
                                .0
                                .iter()
                                .find(|(k, _)| k == "INSTANCE")
                                .map(|(_, v)| v.clone())
                                .unwrap_or_default();
                            (job.clone(), instance)
                        })
                    }
                    _ => None,
                };
                let waits = match name.as_str() {
                    "starting" => Some(State::Starting),
                    "stopping" => Some(State::Stopping),
                    _ => None,
                };
                if let (Some(s), Some((job, instance))) = (waits, &emitter) {
                    if let Some(i) = self.blocked.remove(&(job.clone(), instance.clone(), s)) {
                        if let Some(Record::Machine(TraceRecord {
                            kind: TraceKind::State { blocked_by, .. },
                            ..
                        })) = self.records.get_mut(i)
                        {
                            *blocked_by = Some(id);
                        }
                    }
                }
                TraceKind::Event {
                    id,
                    name,
                    env: l.env.0.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                    emitter,
                }
            }
            "event-finished" => {
                let name = need(l.event, "event", kind)?;
                TraceKind::EventFinished {
                    id: self.events.finished(&name),
                    name,
                    failed: need(l.failed, "failed", kind)?,
                }
            }
            "goal" => {
                let cause = match l.cause.as_deref() {
                    None => Cause::Internal,
                    Some(c) => {
                        if let Some(name) = c.strip_prefix("event ") {
                            Cause::Event(self.events.named(name))
                        } else if let Some(n) = c.strip_prefix("request ") {
                            Cause::Request(RequestId(
                                n.parse().map_err(|_| format!("unknown cause `{c}`"))?,
                            ))
                        } else if let Some(p) = c.strip_suffix(" process") {
                            Cause::Process(process_kind(p)?)
                        } else {
                            return Err(format!("unknown cause `{c}`"));
                        }
                    }
                };
                TraceKind::Goal {
                    job: job(&l)?,
                    instance: instance(&l),
                    from: goal(l.from, "from")?,
                    to: goal(l.to, "to")?,
                    cause,
                }
            }
            "hold" => TraceKind::Hold {
                event: self.events.held(&need(l.event.clone(), "event", kind)?),
                job: job(&l)?,
                instance: instance(&l),
                start_on: need(l.start_on, "start_on", kind)?,
            },
            "process" => TraceKind::Process {
                job: job(&l)?,
                instance: instance(&l),
                process: process_kind(&need(l.process.clone(), "process", kind)?)?,
                pid: need(l.pid, "pid", kind)?,
            },
            "exit" => {
                let status = match (l.status, l.signal.as_deref()) {
                    (Some(n), _) => ExitStatus::Exited(n),
                    (None, Some(s)) => ExitStatus::Signaled(signal(s)?),
                    (None, None) => {
                        return Err("an `exit` record without `status` or `signal`".into())
                    }
                };
                TraceKind::Exit {
                    job: job(&l)?,
                    instance: instance(&l),
                    process: process_kind(&need(l.process.clone(), "process", kind)?)?,
                    pid: need(l.pid, "pid", kind)?,
                    status,
                }
            }
            "kill" => TraceKind::Kill {
                job: job(&l)?,
                instance: instance(&l),
                process: process_kind(&need(l.process.clone(), "process", kind)?)?,
                pid: need(l.pid, "pid", kind)?,
                signal: signal(&need(l.signal.clone(), "signal", kind)?)?,
            },
            "reply" => TraceKind::Reply {
                id: RequestId(need(l.request, "request", kind)?),
                ok: need(l.ok, "ok", kind)?,
            },
            "log" => TraceKind::Log {
                level: level(&need(l.level.clone(), "level", kind)?)?,
                text: need(l.text, "text", kind)?,
            },
            "command" => {
                let by = match (&l.job, &l.process) {
                    (Some(job), Some(process)) => {
                        Some((job.clone(), instance(&l), process_kind(process)?))
                    }
                    _ => None,
                };
                let note = Note::Command {
                    request: RequestId(need(l.request, "request", kind)?),
                    text: need(l.command, "command", kind)?,
                    by,
                };
                self.records.push(Record::Note { t, note });
                return Ok(());
            }
            "follow" => {
                let note = Note::Follow {
                    job: job(&l)?,
                    instance: instance(&l),
                    pid: need(l.pid, "pid", kind)?,
                    new_pid: need(l.new_pid, "new_pid", kind)?,
                };
                self.records.push(Record::Note { t, note });
                return Ok(());
            }
            _ => return Ok(()),
        };
        self.records
            .push(Record::Machine(TraceRecord { t, kind: record }));
        Ok(())
    }
}

/// Reads a JSON Lines trace; blank lines are skipped.
pub fn read(text: &str) -> Result<Vec<Record>, ReplayError> {
    let mut reader = Reader {
        events: Events::default(),
        blocked: HashMap::new(),
        records: Vec::new(),
    };
    for (n, raw) in text.lines().enumerate() {
        let fail = |message: String| ReplayError {
            line: n + 1,
            message,
        };
        if raw.trim().is_empty() {
            continue;
        }
        // The kind first: another kind's fields may have other types
        // (the simulator's `summary` has a list of `failed` jobs).
        let kind: Kind = serde_json::from_str(raw).map_err(|e| fail(e.to_string()))?;
        if !KINDS.contains(&kind.kind.as_str()) {
            continue;
        }
        let line: Line = serde_json::from_str(raw).map_err(|e| fail(e.to_string()))?;
        reader.line(line).map_err(fail)?;
    }
    Ok(reader.records)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const BOOT: &str = r#"{"t_ms":5,"kind":"event","event":"startup","env":{}}
{"t_ms":5,"kind":"goal","job":"hostname","instance":"","from":"stop","to":"start","cause":"event startup"}
{"t_ms":5,"kind":"state","job":"hostname","instance":"","from":"waiting","to":"starting"}
{"t_ms":5,"kind":"event","event":"starting","env":{"JOB":"hostname","INSTANCE":""}}
{"t_ms":5,"kind":"event-finished","event":"starting","failed":false}
{"t_ms":6,"kind":"process","job":"hostname","instance":"","process":"main","pid":78}
{"t_ms":9,"kind":"command","request":1,"command":"emit --no-wait up"}
{"t_ms":9,"kind":"output","text":"hello"}
{"t_ms":40,"kind":"exit","job":"hostname","instance":"","process":"main","pid":78,"signal":"TERM"}
{"t_ms":41,"kind":"event-finished","event":"startup","failed":false}
"#;

    #[test]
    fn a_trace_reads_back_with_event_ids_emitters_and_causes() {
        let records = read(BOOT).unwrap();
        // The output line is skipped; the command is a note.
        assert_eq!(records.len(), 9);
        let machine: Vec<&TraceKind> = records
            .iter()
            .filter_map(|r| match r {
                Record::Machine(m) => Some(&m.kind),
                Record::Note { .. } => None,
            })
            .collect();
        assert!(matches!(
            machine[1],
            TraceKind::Goal {
                cause: Cause::Event(EventId(1)),
                ..
            }
        ));
        assert!(matches!(
            machine[2],
            TraceKind::State {
                blocked_by: Some(EventId(2)),
                to: State::Starting,
                ..
            }
        ));
        assert!(matches!(
            machine[3],
            TraceKind::Event { emitter: Some((j, i)), .. } if j == "hostname" && i.is_empty()
        ));
        assert!(matches!(
            machine[4],
            TraceKind::EventFinished { id: EventId(2), .. }
        ));
        assert!(matches!(
            machine[6],
            TraceKind::Exit {
                status: ExitStatus::Signaled(15),
                ..
            }
        ));
        assert!(matches!(
            machine[7],
            TraceKind::EventFinished { id: EventId(1), .. }
        ));
    }

    #[test]
    fn a_bad_line_is_an_error_with_its_number() {
        let e = read("{\"t_ms\":1,\"kind\":\"event\",\"event\":\"a\",\"env\":{}}\nnot json\n")
            .unwrap_err();
        assert_eq!(e.line, 2);
        let e = read("{\"t_ms\":1,\"kind\":\"state\",\"job\":\"a\",\"from\":\"waiting\",\"to\":\"nowhere\"}\n")
            .unwrap_err();
        assert_eq!(e.to_string(), "line 1: unknown state `nowhere`");
    }
}
