//! Job sets for tests: `start on`/`stop on` written as expressions
//! (`on("a").and(started("x"))`), jobs built from Upstart's defaults, and
//! the validated bundle of a set.

use std::collections::BTreeSet;

use upc_bundle::{
    ArgKind, ArgSpec, BodyKind, BundleSpec, ConditionSpec, Expect, Instr, JobSpec, Location,
    MatchSpec, ProcessKind, ProcessSpec,
};

// ---------------------------------------------------------------------------
// Conditions

/// A `start on`/`stop on` expression, written the way the job file reads:
/// `on("a").and(on("b").or(started("x")))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Match(MatchSpec),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

/// `EVENT` with no arguments yet.
pub fn on(event: &str) -> Cond {
    Cond::Match(MatchSpec {
        event: event.to_owned(),
        args: Vec::new(),
    })
}

/// `started JOB`.
pub fn started(job: &str) -> Cond {
    on("started").arg(job)
}

/// `stopped JOB`.
pub fn stopped(job: &str) -> Cond {
    on("stopped").arg(job)
}

/// `starting JOB`.
pub fn starting(job: &str) -> Cond {
    on("starting").arg(job)
}

/// `stopping JOB`.
pub fn stopping(job: &str) -> Cond {
    on("stopping").arg(job)
}

impl Cond {
    fn push_arg(self, kind: ArgKind, pattern: &str) -> Cond {
        match self {
            Cond::Match(mut m) => {
                m.args.push(ArgSpec {
                    kind,
                    pattern: pattern.to_owned(),
                });
                Cond::Match(m)
            }
            other => panic!("arguments go on a single event match, not on {other:?}"),
        }
    }

    /// A positional argument.
    pub fn arg(self, pattern: &str) -> Cond {
        self.push_arg(ArgKind::Positional, pattern)
    }

    /// `KEY=PATTERN`.
    pub fn eq(self, key: &str, pattern: &str) -> Cond {
        self.push_arg(ArgKind::Equals(key.to_owned()), pattern)
    }

    /// `KEY!=PATTERN`.
    pub fn ne(self, key: &str, pattern: &str) -> Cond {
        self.push_arg(ArgKind::NotEquals(key.to_owned()), pattern)
    }

    pub fn and(self, other: Cond) -> Cond {
        Cond::And(Box::new(self), Box::new(other))
    }

    pub fn or(self, other: Cond) -> Cond {
        Cond::Or(Box::new(self), Box::new(other))
    }

    /// The postfix form the bundle stores.
    pub fn to_spec(&self) -> ConditionSpec {
        let mut code = Vec::new();
        let mut matches = Vec::new();
        self.postfix(&mut code, &mut matches);
        ConditionSpec {
            code,
            matches,
            location: Location::default(),
        }
    }

    fn postfix(&self, code: &mut Vec<Instr>, matches: &mut Vec<MatchSpec>) {
        match self {
            Cond::Match(m) => {
                code.push(Instr::Match);
                matches.push(m.clone());
            }
            Cond::And(l, r) | Cond::Or(l, r) => {
                l.postfix(code, matches);
                r.postfix(code, matches);
                code.push(if matches!(self, Cond::And(..)) {
                    Instr::And
                } else {
                    Instr::Or
                });
            }
        }
    }

    /// The event names of the matches below an `and`: the only matches
    /// that can hold an event once the condition has been handled
    /// (runtime-semantics.md §6.4); a match under `or`s only is satisfied
    /// and reset at once.
    pub fn partial_names(&self, out: &mut BTreeSet<String>) {
        self.walk(false, out);
    }

    fn walk(&self, under_and: bool, out: &mut BTreeSet<String>) {
        match self {
            Cond::Match(m) => {
                if under_and {
                    out.insert(m.event.clone());
                }
            }
            Cond::And(l, r) => {
                l.walk(true, out);
                r.walk(true, out);
            }
            Cond::Or(l, r) => {
                l.walk(under_and, out);
                r.walk(under_and, out);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Jobs and bundles

/// A job under construction; Upstart's defaults until told otherwise.
#[derive(Debug, Clone)]
pub struct JobBuilder {
    pub spec: JobSpec,
    pub start_on: Option<Cond>,
    pub stop_on: Option<Cond>,
}

pub fn job(name: &str) -> JobBuilder {
    JobBuilder {
        spec: JobSpec::new(name, format!("{name}.conf")),
        start_on: None,
        stop_on: None,
    }
}

impl JobBuilder {
    pub fn start_on(mut self, cond: Cond) -> Self {
        self.start_on = Some(cond);
        self
    }

    pub fn stop_on(mut self, cond: Cond) -> Self {
        self.stop_on = Some(cond);
        self
    }

    pub fn task(mut self) -> Self {
        self.spec.task = true;
        self
    }

    pub fn respawn(mut self) -> Self {
        self.spec.respawn = true;
        self
    }

    /// `respawn limit COUNT INTERVAL`; `None` for `unlimited`.
    pub fn respawn_limit(mut self, count: Option<u32>, interval: Option<u32>) -> Self {
        self.spec.respawn_count = count;
        self.spec.respawn_interval = interval;
        self
    }

    /// `normal exit`: statuses, or `signal << 8`.
    pub fn normal_exit(mut self, codes: &[i64]) -> Self {
        self.spec.normal_exit = codes.to_vec();
        self
    }

    pub fn instance(mut self, template: &str) -> Self {
        self.spec.instance = template.to_owned();
        self
    }

    /// `env NAME=VALUE` (or `env NAME`).
    pub fn env(mut self, entry: &str) -> Self {
        self.spec.env.push(entry.to_owned());
        self
    }

    pub fn export(mut self, name: &str) -> Self {
        self.spec.export.push(name.to_owned());
        self
    }

    pub fn usage(mut self, text: &str) -> Self {
        self.spec.usage = Some(text.to_owned());
        self
    }

    pub fn expect(mut self, expect: Expect) -> Self {
        self.spec.expect = expect;
        self
    }

    /// Seconds.
    pub fn kill_timeout(mut self, seconds: u64) -> Self {
        self.spec.kill_timeout = seconds;
        self
    }

    pub fn kill_signal(mut self, signal: i32) -> Self {
        self.spec.kill_signal = signal;
        self
    }

    /// Defines a process as an `exec` line.
    pub fn exec(mut self, kind: ProcessKind, command: &str) -> Self {
        self.spec.processes.retain(|p| p.kind != kind);
        self.spec.processes.push(ProcessSpec {
            kind,
            body: BodyKind::Exec,
            text: command.to_owned(),
            location: Location::default(),
        });
        self.spec.processes.sort_by_key(|p| p.kind);
        self
    }

    /// Defines each of `kinds` with a made-up command.
    pub fn processes(mut self, kinds: &[ProcessKind]) -> Self {
        for &kind in kinds {
            let name = self.spec.name.clone();
            self = self.exec(kind, &format!("/bin/{name}-{}", kind.name()));
        }
        self
    }

    pub fn main(self) -> Self {
        self.processes(&[ProcessKind::Main])
    }

    /// The condition trees' partial-match names (see [`Cond::partial_names`]).
    pub fn partial_names(&self, out: &mut BTreeSet<String>) {
        for c in [&self.start_on, &self.stop_on].into_iter().flatten() {
            c.partial_names(out);
        }
    }

    pub fn build(&self) -> JobSpec {
        let mut spec = self.spec.clone();
        spec.start_on = self.start_on.as_ref().map(Cond::to_spec);
        spec.stop_on = self.stop_on.as_ref().map(Cond::to_spec);
        spec
    }
}

/// The bundle of a job set, written and validated.
pub fn bundle(jobs: &[JobBuilder]) -> crate::ValidatedBundle<'static> {
    let spec = BundleSpec {
        compiler_version: "upc-machine tests".into(),
        source_digest: [0; 32],
        jobs: jobs.iter().map(JobBuilder::build).collect(),
    };
    let bytes = upc_bundle::write(&spec).expect("the job set writes");
    upc_bundle::validate_owned(bytes).expect("the job set validates")
}

/// `KEY=VALUE` strings from literals.
pub fn env(entries: &[&str]) -> Vec<String> {
    entries.iter().map(|s| s.to_string()).collect()
}
