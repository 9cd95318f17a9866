//! The simulated trace as people read it (aligned text lines), and the
//! closing summary. The JSON Lines are in `json`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use upc_machine::{Cause, EventId, ExitStatus, LogLevel, Millis, Reply, State, TraceKind};

use super::driver::{End, Note, Outcome, Record, Simulation};

/// What the run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub outcome: Outcome,
    /// Instances in `running` at the end (`job` or `job (instance)`).
    pub running: Vec<String>,
    /// How many times an instance came to rest with RESULT=ok.
    pub stopped: usize,
    /// Instances that failed (a `stopping` or `stopped` event with
    /// RESULT=failed), in the order they failed.
    pub failed: Vec<String>,
    /// Instances neither running nor at rest at the end, and their state.
    pub not_at_rest: Vec<(String, State)>,
    /// The last instance to reach `running`, and when.
    pub last_running: Option<(String, Millis)>,
    /// Events still held at the end.
    pub unfinished: Vec<String>,
}

impl Summary {
    pub fn of(sim: &Simulation, outcome: Outcome) -> Summary {
        let mut s = Summary {
            outcome,
            running: Vec::new(),
            stopped: 0,
            failed: Vec::new(),
            not_at_rest: Vec::new(),
            last_running: None,
            unfinished: Vec::new(),
        };
        for record in sim.records() {
            let Record::Machine(r) = record else {
                continue;
            };
            match &r.kind {
                TraceKind::State {
                    job,
                    instance,
                    to: State::Running,
                    ..
                } => s.last_running = Some((label(job, instance), r.t)),
                TraceKind::Event { name, env, .. } => {
                    let get = |key: &str| {
                        env.iter()
                            .find_map(|e| e.strip_prefix(key)?.strip_prefix('='))
                            .unwrap_or("")
                    };
                    let who = label(get("JOB"), get("INSTANCE"));
                    // A post-stop failure shows only in `stopped`.
                    match (name.as_str(), get("RESULT")) {
                        ("stopping" | "stopped", "failed") if !s.failed.contains(&who) => {
                            s.failed.push(who);
                        }
                        ("stopped", "ok") => s.stopped += 1,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        for i in sim.machine().instances() {
            let who = label(&i.job, &i.name);
            match i.state {
                State::Running => s.running.push(who),
                State::Waiting => {}
                state => s.not_at_rest.push((who, state)),
            }
        }
        s.unfinished = sim
            .machine()
            .live_events()
            .into_iter()
            .map(|(_, name, _)| name)
            .collect();
        s
    }

    /// Whether a job failed or the run never settled.
    pub fn failed(&self) -> bool {
        !self.failed.is_empty() || self.outcome.end == End::StepLimit
    }

    /// A few lines for people.
    pub fn text(&self) -> String {
        let o = self.outcome;
        let mut out = match o.end {
            End::Settled => format!("settled at {} ms", ms(o.at)),
            End::Until => format!("stopped at the time limit, {} ms", ms(o.at)),
            End::StepLimit => format!(
                "gave up at {} ms after {} steps: the job set keeps itself busy",
                ms(o.at),
                o.steps
            ),
        };
        let _ = write!(
            out,
            ": {} running, {} stopped, {} failed",
            self.running.len(),
            self.stopped,
            self.failed.len()
        );
        if !self.failed.is_empty() {
            let _ = write!(out, " ({})", self.failed.join(", "));
        }
        out.push('\n');
        if let Some((who, t)) = &self.last_running {
            let _ = writeln!(out, "last to reach running: {who} at {} ms", ms(*t));
        }
        if !self.not_at_rest.is_empty() {
            let list: Vec<String> = self
                .not_at_rest
                .iter()
                .map(|(who, state)| format!("{who} ({state})"))
                .collect();
            let _ = writeln!(out, "not at rest: {}", list.join(", "));
        }
        if !self.unfinished.is_empty() {
            let _ = writeln!(out, "events not finished: {}", counted(&self.unfinished));
        }
        out
    }
}

/// `job` or `job (instance)`, as Upstart names an instance.
pub fn label(job: &str, instance: &str) -> String {
    if instance.is_empty() {
        job.to_owned()
    } else {
        format!("{job} ({instance})")
    }
}

pub(super) fn ms(t: Millis) -> String {
    format!("{t}.000")
}

pub(super) fn signal(s: i32) -> String {
    upc_machine::json::signal_name(s)
}

fn exit_text(status: ExitStatus) -> String {
    match status {
        ExitStatus::Exited(n) => format!("exited {n}"),
        ExitStatus::Signaled(s) => format!("killed by {}", signal(s)),
    }
}

pub(super) fn level(l: LogLevel) -> &'static str {
    upc_machine::json::level_name(l)
}

/// Names of events by id, for hold records and goal causes.
pub(super) fn event_names(records: &[Record]) -> BTreeMap<EventId, &str> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Machine(m) => match &m.kind {
                TraceKind::Event { id, name, .. } => Some((*id, name.as_str())),
                _ => None,
            },
            Record::Note { .. } => None,
        })
        .collect()
}

pub(super) fn cause_text(cause: &Cause, events: &BTreeMap<EventId, &str>) -> Option<String> {
    match cause {
        Cause::Event(id) => Some(format!("event {}", events.get(id).unwrap_or(&"?"))),
        Cause::Request(id) => Some(format!("request {}", id.0)),
        Cause::Process(kind) => Some(format!("{} process", kind.name())),
        Cause::Internal => None,
    }
}

pub(super) fn reply_lines(reply: &Reply) -> Vec<String> {
    upc_machine::json::reply_lines(reply)
}

/// The trace as aligned lines: `  12.000 ms  tty1  waiting -> starting`.
/// Debug and info log lines are left out (the trace says the same).
pub fn text(sim: &Simulation) -> String {
    let records = sim.records();
    let events = event_names(records);
    let width = records.iter().map(|r| ms(r.t()).len()).max().unwrap_or(1);
    let mut out = String::new();
    for record in records {
        let line = match record {
            Record::Machine(m) => match &m.kind {
                TraceKind::State {
                    job,
                    instance,
                    from,
                    to,
                    ..
                } => format!("{}  {from} -> {to}", label(job, instance)),
                TraceKind::Goal {
                    job,
                    instance,
                    from,
                    to,
                    cause,
                } => {
                    let by = cause_text(cause, &events)
                        .map(|c| format!(" (by {c})"))
                        .unwrap_or_default();
                    format!("{}  goal {from} -> {to}{by}", label(job, instance))
                }
                TraceKind::Event { name, env, .. } => {
                    let words: String = env.iter().map(|e| format!(" {e}")).collect();
                    format!("event {name}{words}")
                }
                TraceKind::EventFinished { name, failed, .. } => {
                    let how = if *failed { "failed" } else { "finished" };
                    format!("event {name} {how}")
                }
                TraceKind::Hold {
                    event,
                    job,
                    instance,
                    ..
                } => format!(
                    "{}  holds event {}",
                    label(job, instance),
                    events.get(event).unwrap_or(&"?")
                ),
                TraceKind::Process {
                    job,
                    instance,
                    process,
                    pid,
                } => format!("{}  {} process {pid}", label(job, instance), process.name()),
                TraceKind::Exit {
                    job,
                    instance,
                    process,
                    pid,
                    status,
                } => format!(
                    "{}  {} process {pid} {}",
                    label(job, instance),
                    process.name(),
                    exit_text(*status)
                ),
                TraceKind::Kill {
                    job,
                    instance,
                    process,
                    pid,
                    signal: s,
                } => format!(
                    "{}  sending {} to {} process {pid}",
                    label(job, instance),
                    signal(*s),
                    process.name()
                ),
                TraceKind::Reply { id, ok } => {
                    let lines = sim.reply(*id).map(reply_lines).unwrap_or_default();
                    let verdict = if *ok { "ok" } else { "error" };
                    let mut line = format!("reply {}: {verdict}", id.0);
                    for l in lines {
                        let _ = write!(line, "; {}", l.replace("\n\t", " "));
                    }
                    line
                }
                TraceKind::Log { level: l, text } => match l {
                    LogLevel::Warn | LogLevel::Error if !tells_an_exit(text) => {
                        format!("{}: {text}", level(*l))
                    }
                    _ => continue,
                },
            },
            Record::Note { note, .. } => match note {
                Note::Command { request, text, by } => match by {
                    Some((job, instance, kind)) => format!(
                        "{}  {} runs: initctl {text} (request {})",
                        label(job, instance),
                        kind.name(),
                        request.0
                    ),
                    None => format!("initctl {text} (request {})", request.0),
                },
                Note::Follow {
                    job,
                    instance,
                    pid,
                    new_pid,
                } => format!(
                    "{}  main process {pid} forked: following {new_pid}",
                    label(job, instance)
                ),
            },
        };
        let line = format!("  {:>width$} ms  {line}\n", ms(record.t()));
        // The class's `start on` and then its instance hold the same
        // event: one line says it.
        let hold = matches!(record, Record::Machine(m) if matches!(m.kind, TraceKind::Hold { .. }));
        if !(hold && out.ends_with(&line)) {
            out.push_str(&line);
        }
    }
    out
}

/// Init's log line for a process exit, which the exit line already says.
fn tells_an_exit(text: &str) -> bool {
    text.contains(" process (")
        && [
            " killed by ",
            " terminated with status ",
            " exited normally",
        ]
        .iter()
        .any(|s| text.contains(s))
}

/// `a, b ×3, c`: each name once, in first-seen order, with its count when
/// it repeats (a busy set can leave thousands).
fn counted(names: &[String]) -> String {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for n in names {
        match at.get(n.as_str()).and_then(|&i| seen.get_mut(i)) {
            Some((_, count)) => *count += 1,
            None => {
                at.insert(n, seen.len());
                seen.push((n, 1));
            }
        }
    }
    seen.iter()
        .map(|&(n, c)| {
            if c > 1 {
                format!("{n} ×{c}")
            } else {
                n.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
