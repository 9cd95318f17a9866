//! A scenario's `replay.txt` (the operator's steps and the processes'
//! behaviours) and `commands` (the operator's commands, queries included),
//! as ../shared/oracle/README.md describes them.

use std::fmt;

use upc_machine::{ExitStatus, Millis, ProcessKind};

/// The three job commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Start,
    Stop,
    Restart,
}

impl Verb {
    pub fn name(self) -> &'static str {
        match self {
            Verb::Start => "start",
            Verb::Stop => "stop",
            Verb::Restart => "restart",
        }
    }
}

/// One thing the operator did, in order; each waits like initctl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `emit [--no-wait] NAME KEY=VALUE...`
    Emit {
        name: String,
        env: Vec<String>,
        wait: bool,
    },
    /// `start|stop|restart [--no-wait] JOB KEY=VALUE...`
    Job {
        verb: Verb,
        job: String,
        env: Vec<String>,
        wait: bool,
    },
    /// `status JOB KEY=VALUE...`
    Status { job: String, env: Vec<String> },
    /// `list`
    List,
    /// Time passes.
    Sleep(Millis),
}

impl Step {
    /// The initctl arguments of a command (`None` for a pause).
    pub fn args(&self) -> Option<Vec<String>> {
        let mut words: Vec<String> = Vec::new();
        let no_wait = |words: &mut Vec<String>, wait: bool| {
            if !wait {
                words.push("--no-wait".into());
            }
        };
        match self {
            Step::Emit { name, env, wait } => {
                words.push("emit".into());
                no_wait(&mut words, *wait);
                words.push(name.clone());
                words.extend(env.iter().cloned());
            }
            Step::Job {
                verb,
                job,
                env,
                wait,
            } => {
                words.push(verb.name().into());
                no_wait(&mut words, *wait);
                words.push(job.clone());
                words.extend(env.iter().cloned());
            }
            Step::Status { job, env } => {
                words.push("status".into());
                words.push(job.clone());
                words.extend(env.iter().cloned());
            }
            Step::List => words.push("list".into()),
            Step::Sleep(_) => return None,
        }
        Some(words)
    }
}

/// As the oracle's `command` records write it: `emit --no-wait startup`.
impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.args()) {
            (_, Some(words)) => f.write_str(&words.join(" ")),
            (Step::Sleep(ms), None) => write!(f, "sleep {}.{:03}", ms / 1000, ms % 1000),
            (_, None) => Ok(()),
        }
    }
}

/// How a process behaves (`process JOB PROC: BEHAVIOUR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// `runs`: until signalled; dies of the first TERM.
    Runs,
    /// `never spawned`: defined but not reached.
    NeverSpawned,
    /// `ignores TERM`: dies only of KILL.
    IgnoresTerm,
    /// `exits N [after Ss]`, `killed by SIG after Ss`; no time: at once
    /// (a few ms).
    Ends {
        status: ExitStatus,
        after: Option<Millis>,
    },
}

/// A `process` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub job: String,
    pub kind: ProcessKind,
    pub behaviour: Behaviour,
}

/// The operator's steps and the process behaviours of a replay.txt.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    pub steps: Vec<Step>,
    pub processes: Vec<Process>,
}

pub fn parse_replay(text: &str) -> Result<Replay, String> {
    let mut replay = Replay::default();
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
            let kind = ProcessKind::ALL
                .into_iter()
                .find(|k| k.name() == process)
                .ok_or_else(|| at(format!("unknown process {process}")))?;
            replay.processes.push(Process {
                job: job.to_owned(),
                kind,
                behaviour: parse_behaviour(behaviour).map_err(at)?,
            });
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
    let job = |verb| Step::Job {
        verb,
        job: first.clone(),
        env: env.clone(),
        wait,
    };
    Ok(match verb {
        "emit" => Step::Emit {
            name: first.clone(),
            env,
            wait,
        },
        "start" => job(Verb::Start),
        "stop" => job(Verb::Stop),
        "restart" => job(Verb::Restart),
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

/// `runs`, `exits N`, `exits N after Ss`, `killed by SIG after Ss`,
/// `ignores TERM`, `never spawned`; a parenthesised note is ignored.
fn parse_behaviour(text: &str) -> Result<Behaviour, String> {
    let text = text.split('(').next().unwrap_or_default();
    let words: Vec<&str> = text.split_whitespace().collect();
    let ends = |status, after| Ok(Behaviour::Ends { status, after });
    match words.as_slice() {
        ["runs"] => Ok(Behaviour::Runs),
        ["never", "spawned"] => Ok(Behaviour::NeverSpawned),
        ["ignores", "TERM"] => Ok(Behaviour::IgnoresTerm),
        ["exits", n] => ends(ExitStatus::Exited(status(n)?), None),
        ["exits", n, "after", s] => ends(ExitStatus::Exited(status(n)?), Some(seconds(s)?)),
        ["killed", "by", sig, "after", s] => {
            let signal = upc_bundle::signals::signal_number(sig)
                .ok_or_else(|| format!("unknown signal {sig}"))?;
            ends(ExitStatus::Signaled(signal), Some(seconds(s)?))
        }
        _ => Err(format!("unknown behaviour `{}`", text.trim())),
    }
}

fn status(text: &str) -> Result<i32, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not an exit status"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_behaviours_are_read_and_queries_put_back_in_place() {
        let replay = parse_replay(
            "emit --no-wait startup\nsleep 0.3\nstart G TTY=tty1\nsleep 1\n\
             process G main: exits 3 after 0.5s\n\
             process G pre-start: killed by SEGV after 0.1s (it signals itself)\n",
        )
        .unwrap();
        assert_eq!(
            replay.processes[0].behaviour,
            Behaviour::Ends {
                status: ExitStatus::Exited(3),
                after: Some(500)
            }
        );
        assert_eq!(replay.processes[1].kind, ProcessKind::PreStart);
        let steps = with_queries(replay.steps, "start G TTY=tty1\nlist\nsleep 1\n").unwrap();
        let text: Vec<String> = steps.iter().map(Step::to_string).collect();
        assert_eq!(
            text,
            [
                "emit --no-wait startup",
                "sleep 0.300",
                "start G TTY=tty1",
                "list",
                "sleep 1.000"
            ]
        );
        assert!(with_queries(steps, "stop G\n").is_err());
    }
}
