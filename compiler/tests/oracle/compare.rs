//! The core records of both traces as comparable lines, the two ways of
//! comparing them, and a readable diff.
//!
//! Core records (the README): `state`, `event` (with its environment in
//! order), `process`, `exit`, `goal`, `kill`. Commands, replies, output,
//! log and follow lines are left out. Pids are `P1`, `P2`, ... in the
//! order they were handed out.

use std::collections::BTreeMap;

use upc::simulate::driver::FIRST_PID;
use upc::simulate::{Note, Record, Simulation};
use upc_machine::{ExitStatus, Output, TraceKind, TraceRecord};

use super::replay::OracleRecord;

/// One core record as a line; `who` is the instance it belongs to (`None`
/// for events).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    pub who: Option<String>,
    pub text: String,
}

fn label(job: &str, instance: &str) -> String {
    if instance.is_empty() {
        job.to_owned()
    } else {
        format!("{job} ({instance})")
    }
}

fn line(who: String, text: String) -> Line {
    Line {
        text: format!("{who} {text}"),
        who: Some(who),
    }
}

fn event_line(name: &str, env: impl Iterator<Item = (String, String)>) -> Line {
    let mut text = format!("event {name}");
    for (k, v) in env {
        text.push_str(&format!(" {k}={v}"));
    }
    Line { who: None, text }
}

pub fn oracle_lines(trace: &[OracleRecord]) -> Vec<Line> {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    trace
        .iter()
        .filter_map(|r| {
            let who = label(&s(&r.job), &s(&r.instance));
            Some(match r.kind.as_str() {
                "state" => line(who, format!("{} -> {}", s(&r.from), s(&r.to))),
                "goal" => line(who, format!("goal {} -> {}", s(&r.from), s(&r.to))),
                "event" => event_line(
                    &s(&r.event),
                    r.env
                        .as_ref()
                        .map(|e| e.0.clone())
                        .unwrap_or_default()
                        .into_iter(),
                ),
                "process" => line(who, format!("{} {}", s(&r.process), s(&r.pid))),
                "exit" => {
                    let how = match (&r.status, &r.signal) {
                        (Some(n), _) => format!("status {n}"),
                        (None, Some(sig)) => format!("signal {sig}"),
                        (None, None) => "?".into(),
                    };
                    line(who, format!("{} {} exit {how}", s(&r.process), s(&r.pid)))
                }
                "kill" => line(
                    who,
                    format!("{} {} kill {}", s(&r.process), s(&r.pid), s(&r.signal)),
                ),
                _ => return None,
            })
        })
        .collect()
}

fn pid(p: u32) -> String {
    format!("P{}", p.saturating_sub(FIRST_PID) + 1)
}

fn signal(s: i32) -> String {
    upc_bundle::signals::signal_name(s).map_or_else(|| s.to_string(), str::to_owned)
}

pub fn simulated_lines(trace: &[TraceRecord]) -> Vec<Line> {
    trace
        .iter()
        .filter_map(|r| {
            Some(match &r.kind {
                TraceKind::State {
                    job,
                    instance,
                    from,
                    to,
                    ..
                } => line(label(job, instance), format!("{from} -> {to}")),
                TraceKind::Goal {
                    job,
                    instance,
                    from,
                    to,
                    ..
                } => line(label(job, instance), format!("goal {from} -> {to}")),
                TraceKind::Event { name, env, .. } => event_line(
                    name,
                    env.iter().map(|e| {
                        let (k, v) = e.split_once('=').unwrap_or((e, ""));
                        (k.to_owned(), v.to_owned())
                    }),
                ),
                TraceKind::Process {
                    job,
                    instance,
                    process,
                    pid: p,
                } => line(
                    label(job, instance),
                    format!("{} {}", process.name(), pid(*p)),
                ),
                TraceKind::Exit {
                    job,
                    instance,
                    process,
                    pid: p,
                    status,
                } => {
                    let how = match status {
                        ExitStatus::Exited(n) => format!("status {n}"),
                        ExitStatus::Signaled(s) => format!("signal {}", signal(*s)),
                    };
                    line(
                        label(job, instance),
                        format!("{} {} exit {how}", process.name(), pid(*p)),
                    )
                }
                TraceKind::Kill {
                    job,
                    instance,
                    process,
                    pid: p,
                    signal: s,
                } => line(
                    label(job, instance),
                    format!("{} {} kill {}", process.name(), pid(*p), signal(*s)),
                ),
                _ => return None,
            })
        })
        .collect()
}

/// The operator's commands with their exit status and output, as
/// `COMMAND => rc N: LINE | LINE`.
pub fn oracle_replies(trace: &[OracleRecord]) -> Vec<String> {
    trace
        .iter()
        .filter(|r| r.kind == "command")
        .filter_map(|r| {
            let command = r.command.clone()?;
            let output = r.output.clone().unwrap_or_default();
            Some(reply_line(&command, r.rc.unwrap_or(-1), &output))
        })
        .collect()
}

/// The same for the simulation: each operator request and its answer as
/// initctl would print it, pids renamed.
pub fn simulated_replies(sim: &Simulation) -> Vec<String> {
    sim.records()
        .iter()
        .filter_map(|r| match r {
            Record::Note {
                note:
                    Note::Command {
                        request,
                        text,
                        by: None,
                    },
                ..
            } => Some((*request, text)),
            _ => None,
        })
        .map(|(id, command)| {
            let (rc, output) = match sim.reply(id) {
                None => (-1, vec!["(no answer)".to_owned()]),
                Some(Err(e)) => (1, vec![format!("initctl: {}", e.message)]),
                Some(Ok(Output::Status(lines))) => (
                    0,
                    lines
                        .iter()
                        .flat_map(|l| l.split('\n'))
                        .map(rename_pids)
                        .collect(),
                ),
                Some(Ok(Output::Env(lines))) => (0, lines.clone()),
                Some(Ok(Output::Value(v))) => (0, vec![v.clone()]),
                Some(Ok(Output::Done)) => (0, Vec::new()),
            };
            reply_line(command, rc, &output)
        })
        .collect()
}

/// `list` prints instances in Upstart's hash order, which nothing
/// specifies: its lines are compared sorted.
fn reply_line(command: &str, rc: i64, output: &[String]) -> String {
    let mut output = output.to_vec();
    if command == "list" {
        output.sort();
    }
    format!("{command} => rc {rc}: {}", output.join(" | "))
}

/// `process 104` -> `process P5`.
fn rename_pids(line: &str) -> String {
    let words: Vec<String> = line
        .split(' ')
        .map(|w| {
            let (number, rest) =
                w.split_at(w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len()));
            match number.parse::<u32>() {
                Ok(p) if p >= FIRST_PID => format!("{}{rest}", pid(p)),
                _ => w.to_owned(),
            }
        })
        .collect();
    words.join(" ")
}

/// Exact: the same lines in the same order. `Err` holds the diff.
pub fn exact(expected: &[Line], got: &[Line]) -> Result<(), String> {
    let (e, g): (Vec<&str>, Vec<&str>) = (
        expected.iter().map(|l| l.text.as_str()).collect(),
        got.iter().map(|l| l.text.as_str()).collect(),
    );
    if e == g {
        Ok(())
    } else {
        Err(diff(&e, &g))
    }
}

/// Exact, for plain strings.
pub fn exact_text(expected: &[String], got: &[String]) -> Result<(), String> {
    if expected == got {
        return Ok(());
    }
    let e: Vec<&str> = expected.iter().map(String::as_str).collect();
    let g: Vec<&str> = got.iter().map(String::as_str).collect();
    Err(diff(&e, &g))
}

/// Tolerant (racy scenarios): each instance's lines in the same order, and
/// the same events, in any order.
pub fn tolerant(expected: &[Line], got: &[Line]) -> Result<(), String> {
    let group = |lines: &[Line]| {
        let mut by: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
        for l in lines {
            by.entry(l.who.clone()).or_default().push(l.text.clone());
        }
        if let Some(events) = by.get_mut(&None) {
            events.sort();
        }
        by
    };
    let (e, g) = (group(expected), group(got));
    let mut report = String::new();
    let keys: std::collections::BTreeSet<_> = e.keys().chain(g.keys()).collect();
    for key in keys {
        let (el, gl) = (e.get(key), g.get(key));
        if el != gl {
            let name = key.clone().unwrap_or_else(|| "events (sorted)".into());
            let el: Vec<&str> = el.into_iter().flatten().map(String::as_str).collect();
            let gl: Vec<&str> = gl.into_iter().flatten().map(String::as_str).collect();
            report.push_str(&format!("--- {name}\n{}", diff(&el, &gl)));
        }
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(report)
    }
}

/// A unified-style diff (`-` Upstart only, `+` simulator only) with three
/// lines of context, from a longest common subsequence.
pub fn diff(expected: &[&str], got: &[&str]) -> String {
    let (n, m) = (expected.len(), got.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == got[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && expected[i] == got[j] {
            ops.push((' ', expected[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(('+', got[j]));
            j += 1;
        } else {
            ops.push(('-', expected[i]));
            i += 1;
        }
    }
    let near_change = |k: usize| {
        let lo = k.saturating_sub(3);
        let hi = (k + 4).min(ops.len());
        ops[lo..hi].iter().any(|(c, _)| *c != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (c, text)) in ops.iter().enumerate() {
        if near_change(k) {
            if skipped {
                out.push_str("  ...\n");
                skipped = false;
            }
            out.push_str(&format!("{c} {text}\n"));
        } else {
            skipped = true;
        }
    }
    out
}
