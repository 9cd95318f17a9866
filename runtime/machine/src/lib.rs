//! `upc-machine`: Upstart's event and job state machine as a pure library.
//!
//! It makes no system call, reads no clock and draws no random number. The
//! driver (`upinit`, or the compiler's simulator) hands it stimuli with the
//! time ([`Machine::handle`]), drains the actions it produces
//! ([`Machine::poll_action`]) and asks when it next needs to be woken
//! ([`Machine::poll_timeout`]). The one synchronous call out is
//! [`Spawner::spawn`]: Upstart forks inside its state transitions and
//! knows the pid at once, and so must the machine, or the order of its
//! records would differ from Upstart's.
//!
//! The rules are runtime-semantics.md's, module by module:
//! - `instance`: the state table (§3.2) and the per-instance record
//!   (callers see an instance as [`InstanceInfo`]);
//! - `job`: goal and state changes, job events and blocking (§3–§5, §7);
//! - `events`: the event queue and matching against the classes (§6);
//! - `process`: process exits, spawn failures, `expect`, kill timers
//!   (§8, §12, §14);
//! - `control`: control requests (control.md);
//! - `class`: loading a bundle, and reloading one (§15).
//!
//! Nothing here panics on any stimulus: a stimulus that does not fit the
//! state (a stale pid, an exit for a process that is not running) is
//! ignored with a trace record.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod class;
pub mod command;
mod control;
pub mod env;
mod events;
mod index;
mod instance;
mod job;
pub mod json;
mod process;
mod status;
#[cfg(feature = "testing")]
pub mod testing;
mod types;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::rc::Rc;

pub use command::Command;
pub use events::DEFAULT_MAX_EVENTS_PER_STEP;
pub use types::*;
pub use upc_bundle::{Job, ValidatedBundle};

use class::Classes;
use events::Event;
use instance::Instance;

/// The bundle format this machine understands.
pub const BUNDLE_FORMAT: u32 = upc_bundle::FORMAT_VERSION;

/// Starts processes for the machine. `upinit` forks; the simulator hands
/// out made-up pids.
pub trait Spawner {
    /// Starts `spawn` and returns its pid. `job` is the class's settings
    /// (user, limits, console, ...): the machine is busy while it calls
    /// this, so [`Machine::class_view`] cannot be asked. A failure in the
    /// child (exec, user, limits, ...) is reported later as
    /// [`Stimulus::SpawnFailed`]; a temporary failure of fork itself is
    /// retried by the driver, as Upstart does, so there is always a pid.
    fn spawn(&mut self, spawn: &Spawn, job: Job<'_>) -> u32;
}

/// How the machine runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// A session init (`--user`): `set-env` and friends are allowed. PID 1
    /// refuses them.
    pub session: bool,
    /// The global job environment table at start (PATH and TERM from init's
    /// own environment).
    pub global_env: Vec<String>,
    /// Init's own environment, where `env NAME` without a value looks.
    pub init_env: Vec<String>,
    /// Record [`TraceRecord`]s (tests, the simulator, `upinit --debug`).
    pub trace: bool,
    /// The order in which classes react to one event: these names first,
    /// in this order, then the rest by name. Upstart's order is its hash
    /// table's, which nothing specifies; name order is ours.
    pub class_order: Vec<String>,
    /// At most this many events are handled in one step
    /// ([`DEFAULT_MAX_EVENTS_PER_STEP`]).
    pub max_events_per_step: usize,
    /// The least important log line produced as an [`Action::Log`]
    /// (Upstart's default priority, `message`, is [`LogLevel::Warn`] here).
    pub log_level: LogLevel,
    /// AppArmor can load profiles, so `apparmor load` runs (§11.4).
    pub apparmor: bool,
    /// How long a main process may wait in `spawned` for its `expect`
    /// milestone (a fork, SIGSTOP, READY=1, ...) before the job fails.
    /// `None` (the default, as Upstart): for ever.
    pub spawn_timeout: Option<Millis>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            session: false,
            global_env: Vec::new(),
            init_env: Vec::new(),
            trace: false,
            class_order: Vec::new(),
            max_events_per_step: DEFAULT_MAX_EVENTS_PER_STEP,
            log_level: LogLevel::Info,
            apparmor: true,
            spawn_timeout: None,
        }
    }
}

/// The event/job machine (see the crate documentation).
pub struct Machine<S: Spawner> {
    /// Starts processes; public so a driver or a test can look at its own
    /// spawner between steps.
    pub spawner: S,
    config: Config,
    now: Millis,
    /// Which classes each event can concern.
    index: index::MatchIndex,
    /// [`Config::class_order`] by name: each class's rank.
    ranks: HashMap<String, u32>,
    classes: Classes,
    /// Name -> the class registered under it.
    registered: BTreeMap<String, ClassId>,
    /// Name -> the newer class waiting for the registered one to become
    /// idle; `None`: the name was deleted.
    pending: BTreeMap<String, Option<ClassId>>,
    next_class: u32,
    /// Boxed: an `Instance` is some 350 bytes, and a B-tree node holds up
    /// to 11 values but is often half full.
    instances: BTreeMap<InstanceId, Box<Instance>>,
    next_instance: u64,
    events: BTreeMap<EventId, Event>,
    next_event: u64,
    /// Reused for the instance list of a class while an event is offered
    /// to them.
    scratch: Vec<InstanceId>,
    /// The events a pass of the queue must visit: pending ones and those
    /// nobody holds any more.
    attention: BTreeSet<EventId>,
    /// pid -> the slot it fills (main, pre-start, ...).
    pids: HashMap<u32, ProcRef>,
    /// Kill timers: (deadline, instance).
    deadlines: BTreeSet<(Millis, InstanceId)>,
    /// Spawn timeouts ([`Config::spawn_timeout`]): (deadline, instance).
    ready_deadlines: BTreeSet<(Millis, InstanceId)>,
    global_env: Vec<String>,
    actions: VecDeque<Action>,
    /// Requests answered during this step; their status lines are taken
    /// once the step is over (an instance that finished no longer exists,
    /// as `initctl` then sees it).
    replies: Vec<(RequestId, PendingReply)>,
    trace: Vec<TraceRecord>,
}

/// A reply decided during a step, rendered at its end.
enum PendingReply {
    Ready(Reply),
    /// The status line of this instance (or `JOB stop/waiting` when it is
    /// gone).
    Status {
        job: String,
        instance: String,
    },
}

/// A read-only view of one instance, for drivers and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceInfo {
    pub id: InstanceId,
    pub class: ClassId,
    pub job: String,
    pub name: String,
    pub goal: Goal,
    pub state: State,
    /// Every process slot with a pid, in slot order.
    pub processes: Vec<(ProcessKind, u32)>,
    pub env: Vec<String>,
}

impl<S: Spawner> Machine<S> {
    /// A machine with `bundle`'s job classes registered and nothing
    /// running. Nothing happens until the driver emits `startup`.
    pub fn new(bundle: ValidatedBundle<'static>, config: Config, spawner: S) -> Machine<S> {
        let mut m = Machine {
            spawner,
            global_env: config.global_env.clone(),
            ranks: class::ranks(&config.class_order),
            config,
            now: 0,
            index: index::MatchIndex::default(),
            classes: Classes::default(),
            registered: BTreeMap::new(),
            pending: BTreeMap::new(),
            next_class: 0,
            instances: BTreeMap::new(),
            next_instance: 1,
            events: BTreeMap::new(),
            next_event: 1,
            attention: BTreeSet::new(),
            scratch: Vec::new(),
            pids: HashMap::new(),
            deadlines: BTreeSet::new(),
            ready_deadlines: BTreeSet::new(),
            actions: VecDeque::new(),
            replies: Vec::new(),
            trace: Vec::new(),
        };
        m.load(Rc::new(bundle));
        m
    }

    /// Feeds one stimulus at time `now`, then runs the event queue until
    /// nothing more can happen without a new stimulus.
    pub fn handle(&mut self, now: Millis, stimulus: Stimulus) {
        self.now = self.now.max(now);
        match stimulus {
            Stimulus::SpawnFailed { pid, reason } => self.spawn_failed(pid, &reason),
            Stimulus::ExecConfirmed { pid } => self.exec_confirmed(pid),
            Stimulus::Exited { pid, status } => self.exited(pid, status),
            Stimulus::Stopped { pid } => self.stopped(pid),
            Stimulus::Forked { pid, child } => self.forked(pid, child),
            Stimulus::Execed { pid } => self.execed(pid),
            Stimulus::Notify { pid, notice } => self.notified(pid, notice),
            Stimulus::Timeout => self.timeout(),
            Stimulus::Request { id, request } => self.request(id, request),
        }
        self.settle();
    }

    /// Queues an event of init's own (`startup`, a signal's event), which
    /// nobody waits for.
    pub fn emit(&mut self, now: Millis, name: &str, env: Vec<String>) {
        self.now = self.now.max(now);
        self.new_event(name.to_owned(), env, None);
        self.settle();
    }

    /// Replaces the job set (a configuration reload, runtime-semantics.md
    /// §15): a class with running instances keeps its old definition until
    /// its last instance stops.
    pub fn reload(&mut self, now: Millis, bundle: ValidatedBundle<'static>) {
        self.now = self.now.max(now);
        self.load(Rc::new(bundle));
        self.settle();
    }

    /// Changes which log lines become [`Action::Log`] (`log-priority`).
    pub fn set_log_level(&mut self, level: LogLevel) {
        self.config.log_level = level;
    }

    /// The next action for the driver, in the order they were decided.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When the driver must send [`Stimulus::Timeout`]: a kill timeout,
    /// or now when a step was cut short and events still wait.
    pub fn poll_timeout(&self) -> Option<Millis> {
        if !self.attention.is_empty() {
            return Some(self.now);
        }
        let kill = self.deadlines.first().map(|&(t, _)| t);
        let ready = self.ready_deadlines.first().map(|&(t, _)| t);
        match (kill, ready) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Drains the trace recorded so far (empty unless [`Config::trace`]).
    pub fn take_trace(&mut self) -> Vec<TraceRecord> {
        std::mem::take(&mut self.trace)
    }

    /// The settings of a class (for a driver about to spawn one of its
    /// processes).
    pub fn class_view(&self, class: ClassId) -> Option<Job<'_>> {
        let c = self.classes.get(&class)?;
        c.bundle.job(c.index)
    }

    /// Every instance, in creation order.
    pub fn instances(&self) -> Vec<InstanceInfo> {
        self.instances.values().map(|i| self.info(i)).collect()
    }

    /// Every instance's id, goal and state, in creation order: what a
    /// driver looks at often (at every step of a shutdown) without copying
    /// each one's names and environment as [`Machine::instances`] does.
    pub fn instance_states(&self) -> impl Iterator<Item = (InstanceId, Goal, State)> + '_ {
        self.instances.values().map(|i| (i.id, i.goal, i.state))
    }

    /// The goal of the instance with this id, if it still exists.
    pub fn instance_goal(&self, id: InstanceId) -> Option<Goal> {
        self.instances.get(&id).map(|i| i.goal)
    }

    /// The instance with this id, if it still exists.
    pub fn instance(&self, id: InstanceId) -> Option<InstanceInfo> {
        self.instances.get(&id).map(|i| self.info(i))
    }

    /// The process slot `pid` fills, if the machine knows it as one of
    /// its processes (a driver asks whether a followed child, or a
    /// `MAINPID`, became the main process).
    pub fn process(&self, pid: u32) -> Option<ProcRef> {
        self.pids.get(&pid).copied().filter(|p| {
            self.instances
                .get(&p.instance)
                .is_some_and(|i| i.pid(p.process) == Some(pid))
        })
    }

    /// The names of the registered classes, in name order.
    pub fn class_names(&self) -> impl Iterator<Item = &str> {
        self.registered.keys().map(String::as_str)
    }

    /// How many events are queued or being handled.
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// The ids, names and blocker counts of the live events (for tests and
    /// debugging).
    pub fn live_events(&self) -> Vec<(EventId, String, u32)> {
        self.events
            .values()
            .map(|e| (e.id, e.name.to_string(), e.blockers))
            .collect()
    }

    /// The global job environment table.
    pub fn global_env(&self) -> &[String] {
        &self.global_env
    }

    fn info(&self, i: &Instance) -> InstanceInfo {
        InstanceInfo {
            id: i.id,
            class: i.class,
            job: self.class_name(i.class).to_owned(),
            name: i.name.clone(),
            goal: i.goal,
            state: i.state,
            processes: i.processes(),
            env: i.env.clone(),
        }
    }

    fn class_name(&self, class: ClassId) -> &str {
        self.classes.get(&class).map_or("", |c| c.name.as_str())
    }

    /// Runs the event queue to rest, then renders the step's replies.
    fn settle(&mut self) {
        self.poll_events();
        for (id, reply) in std::mem::take(&mut self.replies) {
            let reply = match reply {
                PendingReply::Ready(r) => r,
                PendingReply::Status { job, instance } => {
                    Ok(Output::Status(vec![self.status_of(&job, &instance)]))
                }
            };
            let ok = reply.is_ok();
            self.record(|_| TraceKind::Reply { id, ok });
            self.actions.push_back(Action::Reply { id, reply });
        }
    }

    /// Records what `kind` builds, only when tracing: nothing is
    /// allocated for the trace otherwise.
    fn record(&mut self, kind: impl FnOnce(&Self) -> TraceKind) {
        if self.config.trace {
            let kind = kind(self);
            self.trace.push(TraceRecord { t: self.now, kind });
        }
    }

    /// A line for init's log (and the trace), built only if someone reads
    /// it: [`Config::log_level`] or tracing.
    fn log(&mut self, level: LogLevel, text: impl FnOnce(&Self) -> String) {
        if level < self.config.log_level && !self.config.trace {
            return;
        }
        let text = text(self);
        if self.config.trace {
            self.trace.push(TraceRecord {
                t: self.now,
                kind: TraceKind::Log {
                    level,
                    text: text.clone(),
                },
            });
        }
        if level >= self.config.log_level {
            self.actions.push_back(Action::Log { level, text });
        }
    }

    fn reply(&mut self, id: RequestId, reply: Reply) {
        self.replies.push((id, PendingReply::Ready(reply)));
    }
}
