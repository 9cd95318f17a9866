//! One pass over a trace that files every record where the critical chain
//! and the timeline look for it: per instance its runs and state records,
//! per event its emitter, holders and end. Shared by `chain` and `svg`.
//!
//! Everything here is positions into the trace (`usize` record indices):
//! the order of records is more precise than their times, which many
//! records share. Nothing panics on a trace with missing or surplus
//! records; what cannot be found is `None`.

use std::collections::HashMap;

use upc_machine::{
    Cause, EventId, Goal, Millis, ProcessKind, RequestId, State, TraceKind, TraceRecord,
};

use crate::simulate::driver::{Note, Record};

/// A job instance as the trace names it: `(job, instance)`.
pub(crate) type Name<'a> = (&'a str, &'a str);

/// A process whose script sent a control request (`initctl emit`,
/// `telinit`, `start ...`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sender {
    pub job: String,
    pub instance: String,
    pub process: ProcessKind,
}

/// What the machine's trace does not say: which process sent a control
/// request, and so emitted the event an `initctl emit` created (the
/// machine records such an event without an emitter). The simulator's
/// notes say it; [`Senders::from_records`] reads them.
#[derive(Debug, Clone, Default)]
pub struct Senders {
    pub events: HashMap<EventId, Sender>,
    pub requests: HashMap<RequestId, Sender>,
}

impl Senders {
    /// Reads the simulator's records: a request note names the process
    /// that sent it, and an `emit` request's event is the first event
    /// without an emitter the machine handles right after it.
    pub fn from_records(records: &[Record]) -> Senders {
        let mut senders = Senders::default();
        let mut emit: Option<Sender> = None;
        for r in records {
            match r {
                Record::Note {
                    note: Note::Command { request, text, by },
                    ..
                } => {
                    let sender = by.as_ref().map(|(job, instance, process)| Sender {
                        job: job.clone(),
                        instance: instance.clone(),
                        process: *process,
                    });
                    emit = sender.clone().filter(|_| text.starts_with("emit"));
                    if let Some(sender) = sender {
                        senders.requests.insert(*request, sender);
                    }
                }
                Record::Note { .. } => emit = None,
                Record::Machine(m) => {
                    if let TraceKind::Event {
                        id, emitter: None, ..
                    } = &m.kind
                    {
                        if let Some(sender) = emit.take() {
                            senders.events.insert(*id, sender);
                        }
                    }
                }
            }
        }
        senders
    }
}

/// One run of an instance: from entering `starting` to just before it next
/// enters `starting` (a restart or a respawn begins a new run).
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub key: usize,
    /// Which run of its instance it is (0 for the first).
    pub nth: usize,
    /// The record that began the run: entering `starting`, or (a trace that
    /// begins mid-run) the instance's first state record.
    pub start: usize,
    /// The run began in `post-stop`: a restart or respawn of the instance.
    pub restart: bool,
    /// The `starting` event it waited for.
    pub starting_event: Option<EventId>,
    /// First entry to `running`.
    pub running: Option<usize>,
    /// Last entry to `stopping`, and the `stopping` event it waited for.
    pub stopping: Option<(usize, Option<EventId>)>,
    /// Entry to `waiting`.
    pub waiting: Option<usize>,
    /// The last state record of the run.
    pub last: usize,
    /// Every state record of the run, in order: (record, state entered).
    pub states: Vec<(usize, State)>,
}

/// One event.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventInfo<'a> {
    /// The record where it was handled (`TraceKind::Event`).
    pub handled: Option<usize>,
    pub name: &'a str,
    pub env: &'a [String],
    pub emitter: Option<Name<'a>>,
    pub finished: Option<usize>,
    /// `Hold` records of instances (not partial `start on` matches).
    pub holders: Vec<usize>,
    /// `Hold` records of a class's partial `start on` match.
    pub class_holders: Vec<usize>,
}

impl EventInfo<'_> {
    /// The name, and for an event that is not a job's own its first
    /// variables, as Upstart's log shows them (`runlevel RUNLEVEL=2
    /// PREVLEVEL=N`).
    pub fn title(&self) -> String {
        const SHOWN: usize = 3;
        if self.emitter.is_some() {
            return self.name.to_owned();
        }
        let mut title = self.name.to_owned();
        for entry in self.env.iter().take(SHOWN) {
            title.push(' ');
            title.push_str(entry);
        }
        if self.env.len() > SHOWN {
            title.push_str(" ...");
        }
        title
    }
}

/// The filed trace.
pub(crate) struct TraceIndex<'a> {
    pub trace: &'a [TraceRecord],
    /// Instances in order of their first record.
    pub names: Vec<Name<'a>>,
    key_of: HashMap<Name<'a>, usize>,
    pub runs: Vec<Run>,
    /// Per instance, its runs (indices into `runs`), in order.
    pub key_runs: Vec<Vec<usize>>,
    /// Per instance, every state record.
    key_states: Vec<Vec<usize>>,
    /// Per instance, every goal record.
    key_goals: Vec<Vec<usize>>,
    /// Per instance, every process spawn record.
    key_procs: Vec<Vec<usize>>,
    /// Per class, its partial-match holds: (record, event).
    class_holds: HashMap<&'a str, Vec<(usize, EventId)>>,
    pub events: HashMap<EventId, EventInfo<'a>>,
    pub senders: Senders,
}

impl<'a> TraceIndex<'a> {
    pub fn new(trace: &'a [TraceRecord], senders: Senders) -> TraceIndex<'a> {
        let mut ix = TraceIndex {
            trace,
            names: Vec::new(),
            key_of: HashMap::new(),
            runs: Vec::new(),
            key_runs: Vec::new(),
            key_states: Vec::new(),
            key_goals: Vec::new(),
            key_procs: Vec::new(),
            class_holds: HashMap::new(),
            events: HashMap::new(),
            senders,
        };
        for (i, r) in trace.iter().enumerate() {
            if let TraceKind::Hold {
                event,
                job,
                start_on,
                ..
            } = &r.kind
            {
                let e = ix.events.entry(*event).or_default();
                if *start_on {
                    e.class_holders.push(i);
                    ix.class_holds.entry(job).or_default().push((i, *event));
                } else {
                    e.holders.push(i);
                }
            }
            ix.file(i, &r.kind);
        }
        ix
    }

    fn file(&mut self, i: usize, kind: &'a TraceKind) {
        match kind {
            TraceKind::State {
                job,
                instance,
                from,
                to,
                blocked_by,
            } => self.state(i, (job, instance), *from, *to, *blocked_by),
            TraceKind::Goal { job, instance, .. } => {
                let k = self.key((job, instance));
                if let Some(goals) = self.key_goals.get_mut(k) {
                    goals.push(i);
                }
            }
            TraceKind::Event {
                id,
                name,
                env,
                emitter,
            } => {
                let e = self.events.entry(*id).or_default();
                e.handled = Some(i);
                e.name = name;
                e.env = env;
                e.emitter = emitter.as_ref().map(|(j, n)| (j.as_str(), n.as_str()));
            }
            TraceKind::Hold { .. } => {}
            TraceKind::EventFinished { id, name, .. } => {
                let e = self.events.entry(*id).or_default();
                e.finished = Some(i);
                if e.name.is_empty() {
                    e.name = name;
                }
            }
            TraceKind::Process { job, instance, .. } => {
                let k = self.key((job, instance));
                if let Some(procs) = self.key_procs.get_mut(k) {
                    procs.push(i);
                }
            }
            TraceKind::Exit { .. }
            | TraceKind::Kill { .. }
            | TraceKind::Reply { .. }
            | TraceKind::Log { .. } => {}
        }
    }

    fn state(
        &mut self,
        i: usize,
        name: Name<'a>,
        from: State,
        to: State,
        blocked_by: Option<EventId>,
    ) {
        let k = self.key(name);
        if let Some(states) = self.key_states.get_mut(k) {
            states.push(i);
        }
        let current = self
            .key_runs
            .get(k)
            .and_then(|runs| runs.last())
            .copied()
            .filter(|&r| self.runs.get(r).is_some_and(|r| r.waiting.is_none()));
        let run = match current {
            Some(r) if to != State::Starting => r,
            _ => {
                let r = self.runs.len();
                let nth = self.key_runs.get(k).map_or(0, Vec::len);
                self.runs.push(Run {
                    key: k,
                    nth,
                    start: i,
                    restart: to == State::Starting && from == State::PostStop,
                    starting_event: None,
                    running: None,
                    stopping: None,
                    waiting: None,
                    last: i,
                    states: Vec::new(),
                });
                if let Some(runs) = self.key_runs.get_mut(k) {
                    runs.push(r);
                }
                r
            }
        };
        let Some(run) = self.runs.get_mut(run) else {
            return;
        };
        run.last = i;
        run.states.push((i, to));
        match to {
            State::Starting => run.starting_event = blocked_by,
            State::Running if run.running.is_none() => run.running = Some(i),
            State::Stopping => run.stopping = Some((i, blocked_by)),
            State::Waiting => run.waiting = Some(i),
            _ => {}
        }
    }

    fn key(&mut self, name: Name<'a>) -> usize {
        if let Some(&k) = self.key_of.get(&name) {
            return k;
        }
        let k = self.names.len();
        self.names.push(name);
        self.key_of.insert(name, k);
        self.key_runs.push(Vec::new());
        self.key_states.push(Vec::new());
        self.key_goals.push(Vec::new());
        self.key_procs.push(Vec::new());
        k
    }

    pub fn key_of(&self, name: Name<'_>) -> Option<usize> {
        self.key_of.get(&name).copied()
    }

    /// The time of a record (0 for a position outside the trace).
    pub fn t(&self, i: usize) -> Millis {
        self.trace.get(i).map_or(0, |r| r.t)
    }

    pub fn kind(&self, i: usize) -> Option<&'a TraceKind> {
        self.trace.get(i).map(|r| &r.kind)
    }

    pub fn name(&self, key: usize) -> Name<'a> {
        self.names.get(key).copied().unwrap_or(("", ""))
    }

    pub fn run(&self, r: usize) -> Option<&Run> {
        self.runs.get(r)
    }

    /// The run of `key` that record `i` falls in (the last one begun at or
    /// before it).
    pub fn run_at(&self, key: usize, i: usize) -> Option<usize> {
        let runs = self.key_runs.get(key)?;
        let n = runs.partition_point(|&r| self.runs.get(r).is_some_and(|r| r.start <= i));
        runs.get(n.checked_sub(1)?).copied()
    }

    /// The run before `run` of the same instance.
    pub fn previous_run(&self, run: usize) -> Option<usize> {
        let run = self.runs.get(run)?;
        let runs = self.key_runs.get(run.key)?;
        runs.get(run.nth.checked_sub(1)?).copied()
    }

    /// The last state record of `key` strictly between `after` and
    /// `before`.
    pub fn last_state_between(&self, key: usize, after: usize, before: usize) -> Option<usize> {
        let states = self.key_states.get(key)?;
        let n = states.partition_point(|&i| i < before);
        let i = *states.get(n.checked_sub(1)?)?;
        (i > after).then_some(i)
    }

    /// The last goal record of `key` before `before` (and after `after`)
    /// that set the goal to `to` (from `from`, if given), with its cause.
    pub fn last_goal(
        &self,
        key: usize,
        after: Option<usize>,
        before: usize,
        to: Goal,
        from: Option<Goal>,
    ) -> Option<(usize, &'a Cause)> {
        let goals = self.key_goals.get(key)?;
        let n = goals.partition_point(|&i| i < before);
        for &i in goals.get(..n)?.iter().rev() {
            if after.is_some_and(|a| i <= a) {
                return None;
            }
            if let Some(TraceKind::Goal {
                from: f,
                to: t,
                cause,
                ..
            }) = self.kind(i)
            {
                if *t == to && from.is_none_or(|from| from == *f) {
                    return Some((i, cause));
                }
            }
        }
        None
    }

    /// The last partial-match hold of `job`'s `start on` strictly between
    /// `after` and `before` for another event than `not`.
    pub fn last_class_hold(
        &self,
        job: &str,
        after: usize,
        before: usize,
        not: EventId,
    ) -> Option<(usize, EventId)> {
        let holds = self.class_holds.get(job)?;
        let n = holds.partition_point(|&(i, _)| i < before);
        holds
            .get(..n)?
            .iter()
            .rev()
            .take_while(|&&(i, _)| i > after)
            .find(|&&(_, e)| e != not)
            .copied()
    }

    /// The last spawn of `key`'s `process` before record `before`.
    pub fn last_spawn(&self, key: usize, process: ProcessKind, before: usize) -> Option<usize> {
        let procs = self.key_procs.get(key)?;
        let n = procs.partition_point(|&i| i < before);
        procs.get(..n)?.iter().rev().copied().find(|&i| {
            matches!(self.kind(i), Some(TraceKind::Process { process: p, .. }) if *p == process)
        })
    }
}
