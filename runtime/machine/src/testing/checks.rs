//! The driver's running check of the trace: per instance, every state
//! record starts where the previous one ended and follows the table of
//! runtime-semantics.md §3.2, goal records chain, every start passes
//! through post-stop; and after every step the instances the machine
//! reports agree with the trace, each state that waits for a process has
//! one, no pid fills two slots and no process runs outside its states.

use std::collections::BTreeSet;

use upc_bundle::ProcessKind;

use super::driver::{instance_label, Driver};
use crate::instance::next_state;
use crate::{EventId, Goal, State, TraceKind, TraceRecord};

/// Per instance, what the trace says so far.
#[derive(Debug, Clone)]
pub struct Track {
    pub state: State,
    pub goal: Goal,
    /// Every goal held since the last state record (the transition may
    /// have been decided under any of them, e.g. `respawn` turned `start`).
    pub goals_since_state: Vec<Goal>,
    pub starts: u32,
    pub post_stops: u32,
    /// The job event it waits for in `starting`/`stopping`.
    pub blocker: Option<EventId>,
    /// This run's main process died (or its spawn failure came in late) in
    /// `spawned`, `post-start` or `pre-stop`, where that does not move the
    /// instance out of the way of `running`: with goal start (a respawn
    /// decided in `spawned`, or a start arriving before post-start or
    /// pre-stop ends) the instance then reaches `running` with no main
    /// process, as Upstart's `job_process_terminated` does.
    pub main_lost: bool,
}

impl Track {
    fn lose_main(&mut self) {
        if matches!(
            self.state,
            State::Spawned | State::PostStart | State::PreStop
        ) {
            self.main_lost = true;
        }
    }
}

impl Driver {
    /// Follows one trace record, asserting the per-instance invariants.
    pub(super) fn follow(&mut self, r: &TraceRecord) {
        match &r.kind {
            TraceKind::Goal {
                job,
                instance,
                from,
                to,
                ..
            } => {
                let key = (job.clone(), instance.clone());
                let t = self.tracks.entry(key).or_insert_with(|| {
                    assert_eq!(
                        *from,
                        Goal::Stop,
                        "{job} ({instance}): a new instance starts with goal stop"
                    );
                    Track {
                        state: State::Waiting,
                        goal: Goal::Stop,
                        goals_since_state: vec![Goal::Stop],
                        starts: 0,
                        post_stops: 0,
                        blocker: None,
                        main_lost: false,
                    }
                });
                assert_eq!(
                    t.goal, *from,
                    "{job} ({instance}): goal record from {from} but the goal was {}",
                    t.goal
                );
                assert_ne!(from, to, "{job} ({instance}): a goal change to itself");
                t.goal = *to;
                t.goals_since_state.push(*to);
            }
            TraceKind::State {
                job,
                instance,
                from,
                to,
                blocked_by,
            } => {
                let key = (job.clone(), instance.clone());
                let Some(t) = self.tracks.get_mut(&key) else {
                    panic!("{job} ({instance}): state {from} -> {to} before any goal change");
                };
                assert_eq!(
                    t.state, *from,
                    "{job} ({instance}): state record from {from} but the state was {}",
                    t.state
                );
                let allowed = t.goals_since_state.iter().any(|&g| {
                    [true, false]
                        .into_iter()
                        .any(|alive| next_state(*from, g, alive).map(|n| n.0) == Some(*to))
                });
                assert!(
                    allowed,
                    "{job} ({instance}): {from} -> {to} is not in the table under goals {:?}",
                    t.goals_since_state
                );
                t.state = *to;
                t.goals_since_state = vec![t.goal];
                t.blocker = *blocked_by;
                assert_eq!(
                    blocked_by.is_some(),
                    matches!(to, State::Starting | State::Stopping),
                    "{job} ({instance}): only starting and stopping wait for an event"
                );
                match to {
                    State::Starting => {
                        t.starts += 1;
                        t.main_lost = false;
                    }
                    State::PostStop => t.post_stops += 1,
                    State::Waiting => {
                        assert_eq!(t.goal, Goal::Stop, "{job} ({instance}): waiting needs stop");
                        assert_eq!(
                            t.starts, t.post_stops,
                            "{job} ({instance}): every start passes through post-stop"
                        );
                        self.tracks.remove(&key);
                    }
                    _ => {}
                }
            }
            TraceKind::Exit {
                job,
                instance,
                process: ProcessKind::Main,
                ..
            } => {
                if let Some(t) = self.tracks.get_mut(&(job.clone(), instance.clone())) {
                    t.lose_main();
                }
            }
            // A main spawn failure reported late (after its exec) has the
            // same effect as an exit; only the log line names the job.
            TraceKind::Log { text, .. } if text.starts_with("Failed to spawn ") => {
                if let Some(label) = text
                    .strip_prefix("Failed to spawn ")
                    .and_then(|rest| rest.split_once(" main process: "))
                    .map(|(label, _)| label)
                {
                    for ((job, instance), t) in self.tracks.iter_mut() {
                        if label == instance_label(job, instance) {
                            t.lose_main();
                        }
                    }
                }
            }
            // A class's `start on` match lets go without a record when the
            // condition is reset; only instance holds are kept.
            TraceKind::Hold {
                event,
                job,
                instance,
                start_on: false,
            } => {
                self.holds
                    .entry(*event)
                    .or_default()
                    .push((job.clone(), instance.clone()));
            }
            _ => {}
        }
    }

    /// The instance table agrees with the trace; every state that waits
    /// for a process has one, no pid fills two slots, and no instance at
    /// rest is kept.
    pub fn check_instances(&self) {
        let infos = self.m.instances();
        let mut seen = BTreeSet::new();
        let mut pids = BTreeSet::new();
        for i in &infos {
            let key = (i.job.clone(), i.name.clone());
            assert!(seen.insert(key.clone()), "two instances {key:?}");
            assert!(
                i.state != State::Waiting,
                "{key:?}: an instance at rest was kept"
            );
            if let Some(k) = waits_for(i.state) {
                assert!(
                    i.processes.iter().any(|(p, _)| *p == k),
                    "{key:?} waits in {} without a {} process",
                    i.state,
                    k.name()
                );
            }
            for (_, pid) in &i.processes {
                assert!(pids.insert(*pid), "pid {pid} in two slots");
            }
            let Some(t) = self.tracks.get(&key) else {
                panic!("instance {key:?} exists but the trace never started it: {i:?}");
            };
            assert_eq!(i.state, t.state, "{key:?}: state differs from the trace");
            assert_eq!(i.goal, t.goal, "{key:?}: goal differs from the trace");
            let open = t.starts - t.post_stops;
            let expected = u32::from(!matches!(t.state, State::PostStop | State::Waiting));
            assert_eq!(
                open, expected,
                "{key:?} in {}: {} starts, {} post-stops",
                t.state, t.starts, t.post_stops
            );
            for (kind, _) in &i.processes {
                assert!(
                    process_may_run(*kind, i.state),
                    "{key:?}: a {} process in state {}",
                    kind.name(),
                    i.state
                );
            }
        }
        for key in self.tracks.keys() {
            assert!(
                seen.contains(key),
                "the trace says {key:?} exists ({:?}) but the machine has no such instance",
                self.tracks.get(key)
            );
        }
    }
}

/// The process a state waits for (§3.3), if any.
fn waits_for(state: State) -> Option<ProcessKind> {
    match state {
        State::Security => Some(ProcessKind::Security),
        State::PreStart => Some(ProcessKind::PreStart),
        State::PostStart => Some(ProcessKind::PostStart),
        State::PreStop => Some(ProcessKind::PreStop),
        State::PostStop => Some(ProcessKind::PostStop),
        State::Killed => Some(ProcessKind::Main),
        _ => None,
    }
}

/// Whether a process of `kind` may be alive while the instance is in
/// `state` at the end of a step: main from `spawned` until `killed` sees
/// it go; every other process holds its own waiting state until it exits
/// (§3.3).
fn process_may_run(kind: ProcessKind, state: State) -> bool {
    use State::*;
    match kind {
        ProcessKind::Main => matches!(
            state,
            Spawned
                | PostStarting
                | PostStart
                | Running
                | PreStopping
                | PreStop
                | Stopping
                | Killed
        ),
        ProcessKind::Security => state == Security,
        ProcessKind::PreStart => state == PreStart,
        ProcessKind::PostStart => state == PostStart,
        ProcessKind::PreStop => state == PreStop,
        ProcessKind::PostStop => state == PostStop,
    }
}
