//! Reading a scenario's `replay.txt` (stimuli and process behaviours) and
//! `trace.jsonl` (what Upstart did), as `../shared/oracle/README.md`
//! describes them.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use upc::simulate::{Behaviour, ProcessTable, Step, Verb, Whom};
use upc_machine::Millis;

/// A process that "exits at once" takes this long (the README: a few ms).
pub const AT_ONCE_MS: Millis = 2;

/// The operator's steps and the process behaviours of a replay.txt.
pub struct Replay {
    pub steps: Vec<Step>,
    pub processes: ProcessTable,
}

pub fn parse_replay(text: &str) -> Result<Replay, String> {
    let mut replay = Replay {
        steps: Vec::new(),
        processes: ProcessTable::default(),
    };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |e: String| format!("replay.txt:{}: {e}: {line}", n + 1);
        if let Some(rest) = line.strip_prefix("process ") {
            let (target, behaviour) = rest.split_once(':').ok_or_else(|| at("no `:`".into()))?;
            let mut words = target.split_whitespace();
            let (Some(job), Some(process), None) = (words.next(), words.next(), words.next())
            else {
                return Err(at("expected `process JOB PROC:`".into()));
            };
            let kind = upc::simulate::model::process_kind(process)
                .ok_or_else(|| at(format!("unknown process {process}")))?;
            let behaviour = parse_behaviour(behaviour).map_err(at)?;
            replay.processes.set(job, kind, behaviour);
            continue;
        }
        replay.steps.push(parse_step(line).map_err(at)?);
    }
    Ok(replay)
}

/// Puts the `status` and `list` queries of `commands` (which replay.txt
/// leaves out) among the replay's steps, where the operator ran them.
pub fn with_queries(steps: Vec<Step>, commands: &str) -> Result<Vec<Step>, String> {
    // replay.txt starts with the harness's startup and a pause that
    // `commands` does not list.
    let mut replayed = steps.into_iter().peekable();
    let mut out: Vec<Step> = replayed.by_ref().take(2).collect();
    for line in commands.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let step = parse_step(line).map_err(|e| format!("commands: {e}: {line}"))?;
        if matches!(step, Step::Status { .. } | Step::List) {
            out.push(step);
        } else if replayed.peek() == Some(&step) {
            out.extend(replayed.next());
        } else {
            return Err(format!("commands and replay.txt disagree at `{line}`"));
        }
    }
    out.extend(replayed);
    Ok(out)
}

fn parse_step(line: &str) -> Result<Step, String> {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or_default();
    if verb == "list" {
        return Ok(Step::List);
    }
    let mut wait = true;
    let mut rest = Vec::new();
    for w in words {
        if w == "--no-wait" {
            wait = false;
        } else {
            rest.push(w.to_owned());
        }
    }
    let Some((first, env)) = rest.split_first() else {
        return Err("missing argument".into());
    };
    let env = env.to_vec();
    Ok(match verb {
        "emit" => Step::Emit {
            name: first.clone(),
            env,
            wait,
        },
        "start" | "stop" | "restart" => Step::Job {
            verb: match verb {
                "start" => Verb::Start,
                "stop" => Verb::Stop,
                _ => Verb::Restart,
            },
            whom: Whom::Job(first.clone()),
            env,
            wait,
        },
        "status" => Step::Status {
            job: first.clone(),
            env,
        },
        "sleep" => Step::Sleep(seconds(first)?),
        other => return Err(format!("unknown step `{other}`")),
    })
}

/// `0.3` or `0.3s` -> 300.
fn seconds(text: &str) -> Result<Millis, String> {
    let value: f64 = text
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    Ok((value * 1000.0).round() as Millis)
}

fn signal(name: &str) -> Result<i32, String> {
    upc_bundle::signals::signal_number(name).ok_or_else(|| format!("unknown signal {name}"))
}

/// `runs`, `exits N`, `exits N after Ss`, `killed by SIG after Ss`,
/// `ignores TERM`, `never spawned`; a parenthesised note is ignored.
fn parse_behaviour(text: &str) -> Result<Behaviour, String> {
    let text = text.split('(').next().unwrap_or_default();
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["runs"] | ["never", "spawned"] => Ok(Behaviour::RUNS),
        ["ignores", "TERM"] => Ok(Behaviour::IGNORES_TERM),
        ["exits", n] => Ok(Behaviour::exits(status(n)?, AT_ONCE_MS)),
        ["exits", n, "after", s] => Ok(Behaviour::exits(status(n)?, seconds(s)?)),
        ["killed", "by", sig, "after", s] => Ok(Behaviour::killed_by(signal(sig)?, seconds(s)?)),
        _ => Err(format!("unknown behaviour `{}`", text.trim())),
    }
}

fn status(text: &str) -> Result<i32, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not an exit status"))
}

/// One record of trace.jsonl (the fields the comparison uses).
#[derive(Debug, Deserialize)]
pub struct OracleRecord {
    pub kind: String,
    pub job: Option<String>,
    pub instance: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub event: Option<String>,
    pub env: Option<OrderedEnv>,
    pub process: Option<String>,
    pub pid: Option<String>,
    pub status: Option<i64>,
    pub signal: Option<String>,
    pub command: Option<String>,
    pub output: Option<Vec<String>>,
    pub rc: Option<i64>,
}

/// A JSON object's entries in the order they were written.
#[derive(Debug, Default)]
pub struct OrderedEnv(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for OrderedEnv {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = OrderedEnv;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedEnv, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, String>()? {
                    out.push(entry);
                }
                Ok(OrderedEnv(out))
            }
        }
        d.deserialize_map(Entries)
    }
}

pub fn parse_trace(text: &str) -> Result<Vec<OracleRecord>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).map_err(|e| format!("trace.jsonl:{}: {e}", n + 1)))
        .collect()
}

/// The order in which Upstart's job classes reacted to events: after each
/// `event` record, the jobs whose goal changed (until the next event,
/// exit, command or reply) reacted in class order. Those chains are
/// merged into one order; ties (jobs never seen together) go by first
/// appearance.
pub fn class_order(trace: &[OracleRecord]) -> Vec<String> {
    let mut first_seen: Vec<String> = Vec::new();
    let mut before: Vec<(String, String)> = Vec::new();
    let mut window: Option<Vec<String>> = None;
    for r in trace {
        if let Some(job) = &r.job {
            if !first_seen.contains(job) {
                first_seen.push(job.clone());
            }
        }
        match r.kind.as_str() {
            "event" => {
                close(&mut window, &mut before);
                window = Some(Vec::new());
            }
            "exit" | "command" | "reply" | "log" => close(&mut window, &mut before),
            "goal" => {
                if let (Some(w), Some(job)) = (window.as_mut(), &r.job) {
                    if !w.contains(job) {
                        w.push(job.clone());
                    }
                }
            }
            _ => {}
        }
    }
    close(&mut window, &mut before);
    // Kahn's algorithm, picking the earliest-seen job among the free ones.
    let mut order = Vec::new();
    let mut left = first_seen;
    while !left.is_empty() {
        let free = left
            .iter()
            .position(|j| {
                !before
                    .iter()
                    .any(|(a, b)| b == j && a != j && left.contains(a))
            })
            .unwrap_or(0);
        order.push(left.remove(free));
    }
    order
}

fn close(window: &mut Option<Vec<String>>, before: &mut Vec<(String, String)>) {
    if let Some(w) = window.take() {
        for pair in w.windows(2) {
            if let [a, b] = pair {
                before.push((a.clone(), b.clone()));
            }
        }
    }
}
