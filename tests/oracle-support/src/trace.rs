//! Trace records: Upstart's (`trace.jsonl`), `upinit --trace`'s and
//! `upc simulate --format json`'s, read into one [`Record`] type.
//!
//! The schemas agree (../shared/oracle/README.md; `upc_machine::json` writes
//! the runtime's and the simulator's) except for pids: the oracle's are
//! `P1`, `P2`, ... in order of appearance, a real run's are numbers.
//! [`name_pids`] renames numbers the same way, so the traces compare line
//! by line.

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserializer, Error as _, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// One trace record (the fields the comparisons use; others are ignored).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Record {
    pub kind: String,
    pub job: Option<String>,
    pub instance: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub event: Option<String>,
    pub env: Option<OrderedEnv>,
    pub process: Option<String>,
    #[serde(default, deserialize_with = "pid")]
    pub pid: Option<String>,
    #[serde(default, deserialize_with = "pid")]
    pub new_pid: Option<String>,
    pub status: Option<i64>,
    pub signal: Option<String>,
    pub command: Option<String>,
    pub output: Option<Vec<String>>,
    pub rc: Option<i64>,
    pub text: Option<String>,
}

/// A pid as the oracle writes it (`"P3"`) or as a real run does (`1234`).
fn pid<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(D::Error::custom(format!("expected a pid, found {other}"))),
    }
}

/// A JSON object's entries in the order they were written.
#[derive(Debug, Clone, Default)]
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

/// Reads JSON Lines (`what` names the source in errors).
pub fn parse_trace(text: &str, what: &str) -> Result<Vec<Record>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).map_err(|e| format!("{what}:{}: {e}", n + 1)))
        .collect()
}

/// Reads the trace of a run that may have ended while writing: a last
/// line without its newline is left out.
pub fn parse_run_trace(text: &str, what: &str) -> Result<Vec<Record>, String> {
    let complete = text
        .rfind('\n')
        .and_then(|end| text.get(..=end))
        .unwrap_or("");
    parse_trace(complete, what)
}

/// Real pids and the names they were given (`"1234"` -> `"P1"`).
#[derive(Debug, Clone, Default)]
pub struct PidNames(HashMap<String, String>);

impl PidNames {
    /// The name of a pid; `None` for a number that is not a known pid.
    pub fn get(&self, pid: &str) -> Option<&str> {
        self.0.get(pid).map(String::as_str)
    }

    fn name(&mut self, pid: &mut Option<String>) {
        let Some(p) = pid else { return };
        if p.parse::<u64>().is_err() {
            return;
        }
        let next = format!("P{}", self.0.len() + 1);
        *p = self.0.entry(p.clone()).or_insert(next).clone();
    }

    /// `process 1234` -> `process P1` for every known pid in `line`.
    pub fn rename_in(&self, line: &str) -> String {
        let words: Vec<String> = line
            .split(' ')
            .map(|w| {
                let end = w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len());
                let (number, rest) = w.split_at(end);
                match self.get(number) {
                    Some(name) => format!("{name}{rest}"),
                    None => w.to_owned(),
                }
            })
            .collect();
        words.join(" ")
    }
}

/// Renames numeric pids `P1`, `P2`, ... in order of appearance (as the
/// oracle's were named) and returns the names given. A trace whose pids
/// are names already is left as it is.
pub fn name_pids(records: &mut [Record]) -> PidNames {
    let mut names = PidNames::default();
    for r in records {
        names.name(&mut r.pid);
        names.name(&mut r.new_pid);
    }
    names
}

/// The order in which Upstart's job classes reacted to events: after each
/// `event` record, the jobs whose goal changed (until the next event,
/// exit, command or reply) reacted in class order. Those chains are
/// merged into one order; ties (jobs never seen together) go by first
/// appearance.
pub fn class_order(trace: &[Record]) -> Vec<String> {
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn real_pids_are_named_in_order_of_appearance_and_oracle_names_kept() {
        let text = "{\"kind\":\"process\",\"job\":\"A\",\"pid\":40}\n\
                    {\"kind\":\"process\",\"job\":\"B\",\"pid\":7}\n\
                    {\"kind\":\"exit\",\"job\":\"A\",\"pid\":40,\"status\":0}\n\
                    {\"kind\":\"follow\",\"job\":\"B\",\"pid\":7,\"new_pid\":9}\n";
        let mut records = parse_trace(text, "t").unwrap();
        let names = name_pids(&mut records);
        let pids: Vec<_> = records.iter().map(|r| r.pid.clone().unwrap()).collect();
        assert_eq!(pids, ["P1", "P2", "P1", "P2"]);
        assert_eq!(records[3].new_pid.as_deref(), Some("P3"));
        assert_eq!(
            names.rename_in("B start/running, process 9"),
            "B start/running, process P3"
        );
        assert_eq!(names.rename_in("tty 40x"), "tty P1x");

        let mut oracle =
            parse_trace("{\"kind\": \"process\", \"pid\": \"P1\"}\n", "trace.jsonl").unwrap();
        name_pids(&mut oracle);
        assert_eq!(oracle[0].pid.as_deref(), Some("P1"));
    }

    #[test]
    fn a_half_written_last_line_of_a_run_is_left_out() {
        let text = "{\"kind\":\"state\"}\n{\"kind\":\"sta";
        assert_eq!(parse_run_trace(text, "run").unwrap().len(), 1);
        assert!(parse_trace(text, "trace.jsonl").is_err());
    }

    #[test]
    fn the_class_order_merges_the_goal_changes_after_each_event() {
        let text = "{\"kind\":\"event\"}\n\
                    {\"kind\":\"goal\",\"job\":\"B\"}\n{\"kind\":\"goal\",\"job\":\"C\"}\n\
                    {\"kind\":\"exit\",\"job\":\"A\"}\n\
                    {\"kind\":\"event\"}\n\
                    {\"kind\":\"goal\",\"job\":\"A\"}\n{\"kind\":\"goal\",\"job\":\"B\"}\n";
        let records = parse_trace(text, "t").unwrap();
        assert_eq!(class_order(&records), ["A", "B", "C"]);
    }
}
