//! The event-ordered simulation: `upc-machine` on a virtual clock, with
//! made-up processes that behave as their [`ProcessTable`] entry says.
//!
//! Everything that will happen is an [`Item`] in one queue ordered by
//! (time, insertion number), so ties are resolved first-come first-served
//! and every run of the same input gives the same trace. The machine's
//! kill timer ([`Machine::poll_timeout`]) is merged in; at equal times the
//! queue goes first. A run ends when nothing is left to happen (settled),
//! at the time bound, or at the step bound (a job set that feeds itself
//! for ever); it never panics, whatever the job set.
//!
//! What a simulated process does:
//! - it is spawned at once and gets a pid from 100 up;
//! - a main process with `expect none` has its exec confirmed at once;
//!   `expect stop` raises SIGSTOP 1 ms after spawning; `expect fork` and
//!   `expect daemon` exec under the tracer at once and then fork as many
//!   times as the job expects, 1 ms after each `PTRACE_CONT`, the child
//!   carrying on as the process (the parents leave silently);
//! - it ends as its [`Behaviour`] says, or of a signal: SIGKILL always
//!   kills it, SIGTERM unless it ignores TERM; SIGHUP is taken as a reload
//!   and SIGCONT, SIGCHLD, SIGWINCH, SIGURG and the stop signals do
//!   nothing; any other signal kills it;
//! - with script effects on, it performs its script's top-level `initctl`
//!   commands ([`super::script`]) from 1 ms after its spawn, 1 ms apart
//!   (plus its `sleep`s), waiting for the answer where `initctl` would;
//!   it does not end before they are done.

use std::collections::BTreeMap;

use upc_bundle::signals::{SIGKILL, SIGTERM};
use upc_bundle::Expect;
use upc_machine::{
    Action, Config, ExitStatus, Machine, Millis, ProcessKind, Reply, RequestId, Spawn, Spawner,
    Stimulus, TraceRecord, ValidatedBundle,
};

use super::model::{Actor, Behaviour, ProcessTable, Script};
use super::script;

/// The first pid handed out; later ones count up from it.
pub const FIRST_PID: u32 = 100;
/// Bound on the simulated time, unless told otherwise: ten minutes.
pub const DEFAULT_UNTIL_MS: Millis = 10 * 60 * 1000;
/// Bound on the number of steps (stimuli handed to the machine and script
/// steps taken).
pub const DEFAULT_MAX_STEPS: usize = 50_000;
/// Bound on the trace: a job set that feeds itself events fills it within
/// one step, long before the step bound.
pub const DEFAULT_MAX_RECORDS: usize = 5_000_000;
/// Events the machine handles in one step here: small, so the bounds above
/// are looked at often.
const EVENTS_PER_STEP: usize = 10_000;
/// Time between two effects of a job's script, and before its first.
const EFFECT_GAP_MS: Millis = 1;
/// Time between a traced process's `PTRACE_CONT` and its fork, and
/// between an `expect stop` process's spawn and its SIGSTOP.
const FORK_MS: Millis = 1;

/// Signals whose default action does not end a process, and HUP, which a
/// simulated daemon takes as "reload".
const HARMLESS: [&str; 9] = [
    "HUP", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "WINCH",
];

/// How a simulation runs.
#[derive(Debug, Clone)]
pub struct Options {
    pub processes: ProcessTable,
    /// The operator's scripts (`--emit`, a replayed session).
    pub scripts: Vec<Script>,
    /// The event init emits at time 0 (`startup`), if any.
    pub startup: Option<String>,
    /// Stop at this simulated time.
    pub until: Millis,
    pub max_steps: usize,
    /// Stop once the trace holds this many records.
    pub max_records: usize,
    /// Perform the `initctl` commands found in job scripts.
    pub script_effects: bool,
    /// Handed to the machine: the order in which classes react to one event.
    pub class_order: Vec<String>,
    /// The global job environment at start.
    pub global_env: Vec<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            processes: ProcessTable::default(),
            scripts: Vec::new(),
            startup: Some("startup".into()),
            until: DEFAULT_UNTIL_MS,
            max_steps: DEFAULT_MAX_STEPS,
            max_records: DEFAULT_MAX_RECORDS,
            script_effects: true,
            class_order: Vec::new(),
            global_env: vec![
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin".into(),
                "TERM=linux".into(),
            ],
        }
    }
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Nothing was left to happen.
    Settled,
    /// The time bound was reached with things still to happen.
    Until,
    /// The step bound was reached: the job set keeps itself busy.
    StepLimit,
}

/// How a run ended and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub end: End,
    /// The simulated time at the end.
    pub at: Millis,
    pub steps: usize,
}

/// What the driver itself adds to the machine's trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A control request was sent; `by` is the process whose script sent
    /// it (job, instance, process), `None` for the operator.
    Command {
        request: RequestId,
        text: String,
        by: Option<(String, String, ProcessKind)>,
    },
    /// A traced main process forked and the child is followed.
    Follow {
        job: String,
        instance: String,
        pid: u32,
        new_pid: u32,
    },
}

/// One line of the combined trace, in the order things happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Machine(TraceRecord),
    Note { t: Millis, note: Note },
}

impl Record {
    pub fn t(&self) -> Millis {
        match self {
            Record::Machine(r) => r.t,
            Record::Note { t, .. } => *t,
        }
    }
}

/// Hands out pids and remembers what it was asked to start.
#[derive(Debug)]
pub struct SimSpawner {
    next_pid: u32,
    spawned: Vec<(u32, Spawn)>,
}

impl SimSpawner {
    fn allocate(&mut self) -> u32 {
        let pid = self.next_pid;
        self.next_pid = self.next_pid.wrapping_add(1).max(FIRST_PID);
        pid
    }
}

impl Spawner for SimSpawner {
    fn spawn(&mut self, spawn: &Spawn, _: upc_machine::Job<'_>) -> u32 {
        let pid = self.allocate();
        self.spawned.push((pid, spawn.clone()));
        pid
    }
}

/// What will happen.
#[derive(Debug)]
pub(super) enum Item {
    Stimulus(Stimulus),
    /// A script (the operator's or a process's) takes its next step.
    Resume(u64),
    /// A process's own end is due.
    End(u32),
    /// A traced process forks.
    Fork(u32),
}

/// A live simulated process.
#[derive(Debug)]
pub(super) struct Process {
    pub(super) job: String,
    pub(super) instance: String,
    pub(super) kind: ProcessKind,
    pub(super) behaviour: Behaviour,
    /// When its own end is due.
    pub(super) due: Option<Millis>,
    /// Its script still has steps to take.
    pub(super) busy: bool,
    /// Its end came while it was busy.
    pub(super) end_due: bool,
    pub(super) forks_left: u8,
    pub(super) actor: Option<u64>,
}

/// A simulation in progress (see the module documentation).
pub struct Simulation {
    pub(super) machine: Machine<SimSpawner>,
    pub(super) options: Options,
    pub(super) queue: BTreeMap<(Millis, u64), Item>,
    pub(super) seq: u64,
    pub(super) now: Millis,
    pub(super) steps: usize,
    pub(super) started: bool,
    pub(super) processes: BTreeMap<u32, Process>,
    pub(super) actors: BTreeMap<u64, Actor>,
    pub(super) next_actor: u64,
    pub(super) waiting: BTreeMap<RequestId, u64>,
    pub(super) next_request: u64,
    pub(super) replies: BTreeMap<RequestId, Reply>,
    pub(super) runlevel: String,
    pub(super) records: Vec<Record>,
}

/// A job named in the options that the bundle does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no job named `{name}` in the job set{}", did_you_mean(.suggestion))]
pub struct UnknownJob {
    pub name: String,
    pub suggestion: Option<String>,
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

impl Simulation {
    /// A simulation of `bundle`; nothing happens before [`Simulation::run`].
    pub fn new(bundle: ValidatedBundle<'static>, options: Options) -> Result<Self, UnknownJob> {
        let config = Config {
            trace: true,
            max_events_per_step: EVENTS_PER_STEP,
            class_order: options.class_order.clone(),
            global_env: options.global_env.clone(),
            ..Config::default()
        };
        let spawner = SimSpawner {
            next_pid: FIRST_PID,
            spawned: Vec::new(),
        };
        let machine = Machine::new(bundle, config, spawner);
        let names: Vec<&str> = machine.class_names().collect();
        if let Some(name) = options
            .processes
            .jobs()
            .into_iter()
            .find(|j| !names.contains(j))
        {
            let suggestion = crate::suggest::closest(name, names.iter().copied());
            return Err(UnknownJob {
                name: name.to_owned(),
                suggestion: suggestion.map(str::to_owned),
            });
        }
        Ok(Simulation {
            machine,
            options,
            queue: BTreeMap::new(),
            seq: 0,
            now: 0,
            steps: 0,
            started: false,
            processes: BTreeMap::new(),
            actors: BTreeMap::new(),
            next_actor: 0,
            waiting: BTreeMap::new(),
            next_request: 1,
            replies: BTreeMap::new(),
            runlevel: "N".into(),
            records: Vec::new(),
        })
    }

    /// Runs until nothing is left to happen or a bound is reached.
    pub fn run(&mut self) -> Outcome {
        if !self.started {
            self.start();
        }
        loop {
            let next = self.queue.first_key_value().map(|(&(t, _), _)| t);
            let timeout = self.machine.poll_timeout();
            let (t, timer) = match (next, timeout) {
                (None, None) => return self.outcome(End::Settled),
                (Some(q), Some(k)) if k < q => (k, true),
                (Some(q), _) => (q, false),
                (None, Some(k)) => (k, true),
            };
            if t > self.options.until {
                self.now = self.now.max(self.options.until);
                return self.outcome(End::Until);
            }
            if self.steps >= self.options.max_steps
                || self.records.len() >= self.options.max_records
            {
                return self.outcome(End::StepLimit);
            }
            self.steps += 1;
            self.now = self.now.max(t);
            if timer {
                self.handle(Stimulus::Timeout);
            } else if let Some((_, item)) = self.queue.pop_first() {
                self.dispatch(item);
            }
        }
    }

    /// Every record so far: the machine's trace with the driver's notes.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The machine's trace alone.
    pub fn trace(&self) -> Vec<TraceRecord> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::Machine(m) => Some(m.clone()),
                Record::Note { .. } => None,
            })
            .collect()
    }

    /// The answer to a request, once there is one.
    pub fn reply(&self, id: RequestId) -> Option<&Reply> {
        self.replies.get(&id)
    }

    /// The machine, to look at its instances and events.
    pub fn machine(&self) -> &Machine<SimSpawner> {
        &self.machine
    }

    fn outcome(&self, end: End) -> Outcome {
        Outcome {
            end,
            at: self.now,
            steps: self.steps,
        }
    }

    fn start(&mut self) {
        self.started = true;
        if let Some(name) = self.options.startup.clone() {
            self.machine.emit(0, &name, Vec::new());
            self.after_step();
        }
        for script in std::mem::take(&mut self.options.scripts) {
            let id = self.new_actor(script.steps, None, 0);
            self.schedule(script.at, Item::Resume(id));
        }
    }

    pub(super) fn schedule(&mut self, at: Millis, item: Item) {
        self.seq += 1;
        self.queue.insert((at, self.seq), item);
    }

    fn dispatch(&mut self, item: Item) {
        match item {
            Item::Stimulus(s) => self.handle(s),
            Item::Resume(actor) => self.resume(actor),
            Item::End(pid) => self.end_due(pid),
            Item::Fork(pid) => self.fork(pid),
        }
    }

    /// Hands the machine a stimulus and takes in what came of it.
    pub(super) fn handle(&mut self, stimulus: Stimulus) {
        self.machine.handle(self.now, stimulus);
        self.after_step();
    }

    fn after_step(&mut self) {
        let trace = self.machine.take_trace();
        self.records.extend(trace.into_iter().map(Record::Machine));
        for (pid, spawn) in std::mem::take(&mut self.machine.spawner.spawned) {
            self.spawned(pid, &spawn);
        }
        while let Some(action) = self.machine.poll_action() {
            self.act(action);
        }
    }

    fn spawned(&mut self, pid: u32, spawn: &Spawn) {
        let (task, expect) = self
            .machine
            .class_view(spawn.class)
            .map_or((false, Expect::None), |j| (j.task(), j.expect()));
        let kind = spawn.proc.process;
        let behaviour = self.options.processes.behaviour(&spawn.job, kind, task);
        let due = behaviour
            .ending
            .map(|e| self.now.saturating_add(e.after_ms));
        let mut process = Process {
            job: spawn.job.clone(),
            instance: spawn.instance.clone(),
            kind,
            behaviour,
            due,
            busy: false,
            end_due: false,
            forks_left: 0,
            actor: None,
        };
        // The exec is confirmed before a process that ends at once ends.
        if kind == ProcessKind::Main {
            match expect {
                Expect::None => {
                    self.schedule(self.now, Item::Stimulus(Stimulus::ExecConfirmed { pid }))
                }
                Expect::Stop => self.schedule(
                    self.now.saturating_add(FORK_MS),
                    Item::Stimulus(Stimulus::Stopped { pid }),
                ),
                Expect::Fork | Expect::Daemon => {
                    process.forks_left = if expect == Expect::Fork { 1 } else { 2 };
                    self.schedule(self.now, Item::Stimulus(Stimulus::Execed { pid }));
                }
                // A notifying daemon says it is ready as soon as a forking
                // one would have forked.
                Expect::Notify | Expect::Fd => {
                    self.schedule(self.now, Item::Stimulus(Stimulus::ExecConfirmed { pid }));
                    self.schedule(
                        self.now.saturating_add(FORK_MS),
                        Item::Stimulus(Stimulus::Notify {
                            pid,
                            notice: upc_machine::Notice::Ready,
                        }),
                    );
                }
            }
        }
        if let Some(due) = due {
            self.schedule(due, Item::End(pid));
        }
        if self.options.script_effects {
            let steps = script::effects(&spawn.text, &spawn.env);
            if !steps.is_empty() {
                let actor = self.new_actor(steps, Some(pid), EFFECT_GAP_MS);
                process.busy = true;
                process.actor = Some(actor);
                self.schedule(self.now.saturating_add(EFFECT_GAP_MS), Item::Resume(actor));
            }
        }
        self.processes.insert(pid, process);
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Signal { pid, signal, .. } => self.signal(pid, signal),
            Action::PtraceContinue { pid } => {
                if self.processes.get(&pid).is_some_and(|p| p.forks_left > 0) {
                    self.schedule(self.now.saturating_add(FORK_MS), Item::Fork(pid));
                }
            }
            Action::PtraceDetach { .. } | Action::Log { .. } => {}
            Action::Reply { id, reply } => {
                self.replies.insert(id, reply);
                if let Some(actor) = self.waiting.remove(&id) {
                    let gap = self.actors.get(&actor).map_or(0, |a| a.gap);
                    self.schedule(self.now.saturating_add(gap), Item::Resume(actor));
                }
            }
        }
    }

    /// A signal reaches a simulated process.
    fn signal(&mut self, pid: u32, signal: i32) {
        let Some(p) = self.processes.get(&pid) else {
            return;
        };
        let dies = match signal {
            SIGKILL => true,
            SIGTERM => !p.behaviour.ignores_term,
            s => !HARMLESS
                .iter()
                .any(|name| upc_bundle::signals::signal_number(name) == Some(s)),
        };
        if dies {
            if let Some(actor) = self.processes.remove(&pid).and_then(|p| p.actor) {
                self.actors.remove(&actor);
            }
            let status = ExitStatus::Signaled(signal);
            self.schedule(self.now, Item::Stimulus(Stimulus::Exited { pid, status }));
        }
    }

    /// The process's own end is due: it exits now, or once its script is
    /// done.
    fn end_due(&mut self, pid: u32) {
        let Some(p) = self.processes.get_mut(&pid) else {
            return;
        };
        if p.due != Some(self.now) {
            return;
        }
        if p.busy {
            p.end_due = true;
        } else {
            self.exit(pid);
        }
    }

    pub(super) fn exit(&mut self, pid: u32) {
        let Some(p) = self.processes.remove(&pid) else {
            return;
        };
        if let Some(actor) = p.actor {
            self.actors.remove(&actor);
        }
        let status = p
            .behaviour
            .ending
            .map_or(ExitStatus::Exited(0), |e| e.status);
        self.handle(Stimulus::Exited { pid, status });
    }

    fn fork(&mut self, pid: u32) {
        let Some(mut p) = self.processes.remove(&pid) else {
            return;
        };
        let child = self.machine.spawner.allocate();
        p.forks_left = p.forks_left.saturating_sub(1);
        if let Some(due) = p.due {
            self.schedule(due.max(self.now), Item::End(child));
            p.due = Some(due.max(self.now));
        }
        if let Some(actor) = p.actor.and_then(|a| self.actors.get_mut(&a)) {
            actor.pid = Some(child);
        }
        self.records.push(Record::Note {
            t: self.now,
            note: Note::Follow {
                job: p.job.clone(),
                instance: p.instance.clone(),
                pid,
                new_pid: child,
            },
        });
        self.processes.insert(child, p);
        self.handle(Stimulus::Forked { pid, child });
    }
}
