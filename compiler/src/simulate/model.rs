//! What the simulated world does: how each process behaves ([`Behaviour`],
//! looked up in a [`ProcessTable`]) and what the operator does when
//! ([`Script`]s of [`Step`]s: events, control requests, pauses).
//!
//! Plain data and the parsers of the command-line forms (`JOB:PROCESS=MS`,
//! `EVENT KEY=VALUE@MS`); the driver in `driver.rs` gives it life.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use upc_machine::{ExitStatus, Millis, ProcessKind};

/// A task's main process ends by itself after this long (exit 0).
pub const TASK_MAIN_MS: Millis = 100;
/// pre-start, post-start, pre-stop, post-stop and security processes end
/// after this long (exit 0).
pub const HELPER_MS: Millis = 50;

/// How a simulated process ends by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ending {
    /// Time from its spawn.
    pub after_ms: Millis,
    /// `Exited(n)` or `Signaled(s)` (it killed itself).
    pub status: ExitStatus,
}

/// How one simulated process behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    /// `None`: it runs until a signal kills it.
    pub ending: Option<Ending>,
    /// It ignores SIGTERM and dies only of SIGKILL.
    pub ignores_term: bool,
}

impl Behaviour {
    /// Runs until signalled; dies of the first fatal signal.
    pub const RUNS: Behaviour = Behaviour {
        ending: None,
        ignores_term: false,
    };

    /// Exits with `status` after `after_ms`.
    pub fn exits(status: i32, after_ms: Millis) -> Behaviour {
        Behaviour {
            ending: Some(Ending {
                after_ms,
                status: ExitStatus::Exited(status),
            }),
            ignores_term: false,
        }
    }

    /// Kills itself with `signal` after `after_ms`.
    pub fn killed_by(signal: i32, after_ms: Millis) -> Behaviour {
        Behaviour {
            ending: Some(Ending {
                after_ms,
                status: ExitStatus::Signaled(signal),
            }),
            ignores_term: false,
        }
    }

    /// Runs until SIGKILL; SIGTERM does nothing.
    pub const IGNORES_TERM: Behaviour = Behaviour {
        ending: None,
        ignores_term: true,
    };

    /// The default for a process of this kind: a service's main process
    /// runs until signalled, a task's ends after [`TASK_MAIN_MS`], every
    /// other process after [`HELPER_MS`]; all end with status 0.
    pub fn default_for(kind: ProcessKind, task: bool) -> Behaviour {
        match kind {
            ProcessKind::Main if task => Behaviour::exits(0, TASK_MAIN_MS),
            ProcessKind::Main => Behaviour::RUNS,
            _ => Behaviour::exits(0, HELPER_MS),
        }
    }
}

/// Which behaviour each (job, process) has: the defaults of
/// [`Behaviour::default_for`], then whole replacements, then duration and
/// failure overrides on top.
#[derive(Debug, Clone, Default)]
pub struct ProcessTable {
    behaviours: BTreeMap<(String, ProcessKind), Behaviour>,
    durations: BTreeMap<(String, ProcessKind), Millis>,
    failing: BTreeSet<(String, ProcessKind)>,
    ignoring_term: BTreeSet<(String, ProcessKind)>,
}

impl ProcessTable {
    /// Replaces the behaviour of `job`'s `kind` process.
    pub fn set(&mut self, job: &str, kind: ProcessKind, behaviour: Behaviour) {
        self.behaviours.insert((job.to_owned(), kind), behaviour);
    }

    /// The process ends by itself after `ms` (with its status, 0 if it had
    /// none).
    pub fn set_duration(&mut self, job: &str, kind: ProcessKind, ms: Millis) {
        self.durations.insert((job.to_owned(), kind), ms);
    }

    /// The process exits with status 1 (after its duration; one that would
    /// run until signalled gets [`TASK_MAIN_MS`]).
    pub fn set_failing(&mut self, job: &str, kind: ProcessKind) {
        self.failing.insert((job.to_owned(), kind));
    }

    /// The process ignores SIGTERM (only SIGKILL ends it).
    pub fn set_ignores_term(&mut self, job: &str, kind: ProcessKind) {
        self.ignoring_term.insert((job.to_owned(), kind));
    }

    /// Every job name the table mentions (to check them against the set).
    pub fn jobs(&self) -> BTreeSet<&str> {
        let keys = self.behaviours.keys().chain(self.durations.keys());
        keys.chain(self.failing.iter())
            .chain(self.ignoring_term.iter())
            .map(|(job, _)| job.as_str())
            .collect()
    }

    /// The behaviour of `job`'s `kind` process; `task` says whether the
    /// job is a task.
    pub fn behaviour(&self, job: &str, kind: ProcessKind, task: bool) -> Behaviour {
        let key = (job.to_owned(), kind);
        let mut b = self
            .behaviours
            .get(&key)
            .copied()
            .unwrap_or_else(|| Behaviour::default_for(kind, task));
        let duration = self.durations.get(&key).copied();
        if let Some(ms) = duration {
            let status = b.ending.map_or(ExitStatus::Exited(0), |e| e.status);
            b.ending = Some(Ending {
                after_ms: ms,
                status,
            });
        }
        if self.ignoring_term.contains(&key) {
            b.ignores_term = true;
        }
        if self.failing.contains(&key) {
            let after_ms = duration
                .or(b.ending.map(|e| e.after_ms))
                .unwrap_or(TASK_MAIN_MS);
            b.ending = Some(Ending {
                after_ms,
                status: ExitStatus::Exited(1),
            });
        }
        b
    }
}

/// The three job requests.
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

/// Who a job request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whom {
    /// A job by name (the instance comes from the request's environment).
    Job(String),
    /// The instance the requesting process belongs to (`stop` with no
    /// argument inside a job's script); never waits.
    Own,
}

/// One thing the operator (or a job's script) does, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `initctl emit [--no-wait] NAME KEY=VALUE...`
    Emit {
        name: String,
        env: Vec<String>,
        wait: bool,
    },
    /// `initctl start|stop|restart [--no-wait] JOB KEY=VALUE...`
    Job {
        verb: Verb,
        whom: Whom,
        env: Vec<String>,
        wait: bool,
    },
    /// `initctl status JOB KEY=VALUE...`: a query, answered at once.
    Status { job: String, env: Vec<String> },
    /// `initctl list`: a query, answered at once.
    List,
    /// `telinit N`: a `runlevel` event (RUNLEVEL=N, PREVLEVEL=the last
    /// one, `N` at first), not waited for.
    Telinit(String),
    /// Time passes.
    Sleep(Millis),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let no_wait = |wait: bool| if wait { "" } else { " --no-wait" };
        let words = |env: &[String]| env.iter().map(|e| format!(" {e}")).collect::<String>();
        match self {
            Step::Emit { name, env, wait } => {
                write!(f, "emit{} {name}{}", no_wait(*wait), words(env))
            }
            Step::Job {
                verb,
                whom,
                env,
                wait,
            } => {
                let job = match whom {
                    Whom::Job(job) => format!(" {job}"),
                    Whom::Own => String::new(),
                };
                write!(f, "{}{}{job}{}", verb.name(), no_wait(*wait), words(env))
            }
            Step::Status { job, env } => write!(f, "status {job}{}", words(env)),
            Step::List => f.write_str("list"),
            Step::Telinit(level) => write!(f, "telinit {level}"),
            Step::Sleep(ms) => write!(f, "sleep {}", seconds(*ms)),
        }
    }
}

/// `1500` -> `1.5`, `300` -> `0.3`, `2000` -> `2`.
fn seconds(ms: Millis) -> String {
    let text = format!("{}.{:03}", ms / 1000, ms % 1000);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A sequence of steps that begins at `at`: each step starts when the one
/// before it is done (a waiting request when it is answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub at: Millis,
    pub steps: Vec<Step>,
}

/// A command-line form that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("expected JOB=MS or JOB:PROCESS=MS, got `{0}`")]
    Duration(String),
    #[error("`{0}` is not a number of milliseconds")]
    Millis(String),
    #[error("unknown process `{0}` (expected main, pre-start, post-start, pre-stop, post-stop or security)")]
    Process(String),
    #[error("the job name is empty in `{0}`")]
    EmptyJob(String),
    #[error("expected 'EVENT [KEY=VALUE...][@MS]', got `{0}`")]
    Emit(String),
    #[error("`{0}` is not KEY=VALUE (in --emit)")]
    EmitEnv(String),
}

/// A process name as Upstart writes it (`pre-start`).
pub fn process_kind(name: &str) -> Option<ProcessKind> {
    ProcessKind::ALL.into_iter().find(|k| k.name() == name)
}

/// `JOB` or `JOB:PROCESS` (main when no process is named).
pub fn parse_target(text: &str) -> Result<(String, ProcessKind), SpecError> {
    let (job, kind) = match text.rsplit_once(':') {
        Some((job, process)) => (
            job,
            process_kind(process).ok_or_else(|| SpecError::Process(process.to_owned()))?,
        ),
        None => (text, ProcessKind::Main),
    };
    if job.is_empty() {
        return Err(SpecError::EmptyJob(text.to_owned()));
    }
    Ok((job.to_owned(), kind))
}

/// `--duration JOB=MS` or `JOB:PROCESS=MS`.
pub fn parse_duration(text: &str) -> Result<(String, ProcessKind, Millis), SpecError> {
    let (target, ms) = text
        .rsplit_once('=')
        .ok_or_else(|| SpecError::Duration(text.to_owned()))?;
    let ms = parse_millis(ms)?;
    let (job, kind) = parse_target(target)?;
    Ok((job, kind, ms))
}

/// A whole number of milliseconds.
pub fn parse_millis(text: &str) -> Result<Millis, SpecError> {
    text.trim()
        .parse()
        .map_err(|_| SpecError::Millis(text.to_owned()))
}

/// An injected event: its name, environment and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    pub name: String,
    pub env: Vec<String>,
    pub at: Millis,
}

/// `--emit 'EVENT [KEY=VALUE...][@MS]'` (at 0 without `@MS`).
pub fn parse_emit(text: &str) -> Result<Injection, SpecError> {
    let (words, at) = match text.rsplit_once('@') {
        Some((words, ms)) if ms.trim().chars().all(|c| c.is_ascii_digit()) => {
            (words, parse_millis(ms)?)
        }
        // An `@` that is not followed by a time is part of a name or value.
        _ => (text, 0),
    };
    let mut words = words.split_whitespace();
    let name = words
        .next()
        .filter(|n| !n.contains('='))
        .ok_or_else(|| SpecError::Emit(text.to_owned()))?;
    let env = words
        .map(|w| match w.split_once('=') {
            Some((key, _)) if !key.is_empty() => Ok(w.to_owned()),
            _ => Err(SpecError::EmitEnv(w.to_owned())),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Injection {
        name: name.to_owned(),
        env,
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_depend_on_the_process_and_the_job_kind() {
        let t = ProcessTable::default();
        assert_eq!(t.behaviour("a", ProcessKind::Main, false), Behaviour::RUNS);
        assert_eq!(
            t.behaviour("a", ProcessKind::Main, true),
            Behaviour::exits(0, TASK_MAIN_MS)
        );
        assert_eq!(
            t.behaviour("a", ProcessKind::PostStop, false),
            Behaviour::exits(0, HELPER_MS)
        );
    }

    #[test]
    fn durations_and_failures_apply_on_top() {
        let mut t = ProcessTable::default();
        t.set_duration("a", ProcessKind::Main, 30);
        assert_eq!(
            t.behaviour("a", ProcessKind::Main, false),
            Behaviour::exits(0, 30)
        );
        t.set_failing("a", ProcessKind::Main);
        assert_eq!(
            t.behaviour("a", ProcessKind::Main, false),
            Behaviour::exits(1, 30)
        );
        t.set_failing("b", ProcessKind::Main);
        assert_eq!(
            t.behaviour("b", ProcessKind::Main, false),
            Behaviour::exits(1, TASK_MAIN_MS)
        );
        t.set_failing("b", ProcessKind::PreStart);
        assert_eq!(
            t.behaviour("b", ProcessKind::PreStart, false),
            Behaviour::exits(1, HELPER_MS)
        );
    }

    #[test]
    fn command_line_forms() {
        assert_eq!(
            parse_duration("net/web:pre-start=250"),
            Ok(("net/web".into(), ProcessKind::PreStart, 250))
        );
        assert_eq!(
            parse_duration("web=5"),
            Ok(("web".into(), ProcessKind::Main, 5))
        );
        assert!(matches!(parse_duration("web"), Err(SpecError::Duration(_))));
        assert!(matches!(
            parse_duration("web:start=5"),
            Err(SpecError::Process(_))
        ));
        assert!(matches!(
            parse_duration("web=soon"),
            Err(SpecError::Millis(_))
        ));
        assert_eq!(
            parse_emit("net-up ADDR=a@b@250").map(|i| (i.env, i.at)),
            Ok((vec!["ADDR=a@b".to_owned()], 250))
        );
        assert!(matches!(parse_emit("go@"), Err(SpecError::Millis(_))));
        assert_eq!(
            parse_emit("net-up IFACE=eth0@250"),
            Ok(Injection {
                name: "net-up".into(),
                env: vec!["IFACE=eth0".into()],
                at: 250
            })
        );
        assert_eq!(
            parse_emit("go URL=a@b"),
            Ok(Injection {
                name: "go".into(),
                env: vec!["URL=a@b".into()],
                at: 0
            })
        );
        assert!(matches!(
            parse_emit("net-up eth0"),
            Err(SpecError::EmitEnv(_))
        ));
        assert!(matches!(parse_emit("@5"), Err(SpecError::Emit(_))));
    }

    #[test]
    fn steps_read_like_initctl() {
        let step = Step::Job {
            verb: Verb::Stop,
            whom: Whom::Job("G".into()),
            env: vec!["TTY=tty1".into()],
            wait: false,
        };
        assert_eq!(step.to_string(), "stop --no-wait G TTY=tty1");
        assert_eq!(Step::Sleep(300).to_string(), "sleep 0.3");
    }
}

/// A sequence of steps being taken.
#[derive(Debug)]
pub(super) struct Actor {
    pub(super) steps: VecDeque<Step>,
    /// The process it belongs to (`None`: the operator).
    pub(super) pid: Option<u32>,
    /// Time after each step.
    pub(super) gap: Millis,
}
