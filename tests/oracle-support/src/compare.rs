//! The records of two traces as comparable lines, the two ways of
//! comparing them, and a readable diff.
//!
//! Core records (the README): `state`, `event` (with its environment in
//! order), `process`, `exit`, `goal`, `kill`. Commands, replies, log and
//! follow lines are left out; `output` lines (what the jobs printed) are
//! compared on their own ([`output_lines`]), since a real run alone has
//! them. Pids are `P1`, `P2`, ... ([`crate::trace::name_pids`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::trace::Record;

/// One record as a line; `who` is the instance it belongs to (`None` for
/// events).
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

/// The core records, in trace order.
pub fn core_lines(trace: &[Record]) -> Vec<Line> {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    trace
        .iter()
        .filter_map(|r| {
            let who = label(&s(&r.job), &s(&r.instance));
            Some(match r.kind.as_str() {
                "state" => line(who, format!("{} -> {}", s(&r.from), s(&r.to))),
                "goal" => line(who, format!("goal {} -> {}", s(&r.from), s(&r.to))),
                "event" => {
                    let mut text = format!("event {}", s(&r.event));
                    for (k, v) in r.env.iter().flat_map(|e| e.0.iter()) {
                        text.push_str(&format!(" {k}={v}"));
                    }
                    Line { who: None, text }
                }
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

/// What the jobs printed on the console (`output` records), in order.
pub fn output_lines(trace: &[Record]) -> Vec<String> {
    trace
        .iter()
        .filter(|r| r.kind == "output")
        .map(|r| r.text.clone().unwrap_or_default())
        .collect()
}

/// Continuation lines of status output that upc adds to Upstart's (the
/// reason a job's last run failed, under its `stop/waiting` line): left
/// out of the answers compared with initctl's.
pub const UPC_STATUS_EXTENSION: &str = "\tlast run";

/// The operator's commands of an oracle trace with their exit status and
/// output, as [`answer`] writes them (the harness's `emit --no-wait
/// startup` included).
pub fn oracle_answers(trace: &[Record]) -> Vec<String> {
    trace
        .iter()
        .filter(|r| r.kind == "command")
        .filter_map(|r| {
            let command = r.command.clone()?;
            let output = r.output.clone().unwrap_or_default();
            Some(answer(&command, r.rc.unwrap_or(-1), &output))
        })
        .collect()
}

/// A command and its answer as `COMMAND => rc N: LINE | LINE`. `list`
/// prints instances in Upstart's hash order, which nothing specifies: its
/// lines are sorted. upc's own continuation lines
/// ([`UPC_STATUS_EXTENSION`]) are left out.
pub fn answer(command: &str, rc: i64, output: &[String]) -> String {
    let mut output: Vec<String> = output
        .iter()
        .flat_map(|l| l.split('\n'))
        .filter(|l| !l.starts_with(UPC_STATUS_EXTENSION))
        .map(str::to_owned)
        .collect();
    if command == "list" {
        output.sort();
    }
    format!("{command} => rc {rc}: {}", output.join(" | "))
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
    let keys: BTreeSet<_> = e.keys().chain(g.keys()).collect();
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

/// The same lines in any order (console output of racy scenarios).
pub fn same_multiset(expected: &[String], got: &[String]) -> Result<(), String> {
    let (mut e, mut g) = (expected.to_vec(), got.to_vec());
    e.sort();
    g.sort();
    exact_text(&e, &g)
}

/// A unified-style diff (`-` expected only, `+` got only) with three lines
/// of context, from a longest common subsequence.
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::trace::parse_trace;

    fn lines(text: &str) -> Vec<Line> {
        core_lines(&parse_trace(text, "t").unwrap())
    }

    #[test]
    fn tolerant_accepts_instances_interleaved_differently_but_not_reordered_within_one() {
        let a = lines(
            "{\"kind\":\"state\",\"job\":\"A\",\"instance\":\"\",\"from\":\"waiting\",\"to\":\"starting\"}\n\
             {\"kind\":\"state\",\"job\":\"B\",\"instance\":\"\",\"from\":\"waiting\",\"to\":\"starting\"}\n\
             {\"kind\":\"event\",\"event\":\"x\",\"env\":{\"K\":\"v\"}}\n",
        );
        let mut b = a.clone();
        b.swap(0, 1);
        assert!(exact(&a, &b).is_err());
        assert_eq!(tolerant(&a, &b), Ok(()));
        let mut c = a.clone();
        c[1].text = "B waiting -> stopping".into();
        let report = tolerant(&a, &c).unwrap_err();
        assert_eq!(
            report,
            "--- B\n+ B waiting -> stopping\n- B waiting -> starting\n"
        );
    }

    #[test]
    fn answers_sort_list_lines_and_drop_upcs_failure_line() {
        let out = ["b stop/waiting".to_owned(), "a start/running".to_owned()];
        assert_eq!(
            answer("list", 0, &out),
            "list => rc 0: a start/running | b stop/waiting"
        );
        let failed = [
            "P stop/waiting\n\tlast run failed: pre-start process terminated with status 1"
                .to_owned(),
        ];
        assert_eq!(
            answer("status P", 0, &failed),
            "status P => rc 0: P stop/waiting"
        );
    }

    #[test]
    fn the_diff_shows_changes_with_context() {
        let d = diff(&["a", "b", "c"], &["a", "x", "c"]);
        assert_eq!(d, "  a\n+ x\n- b\n  c\n");
    }
}
