//! The walk behind the critical chain: from one point of one run (it
//! became running, it stopped, ...) to the thing it waited for last, and
//! on from there, iteratively.
//!
//! Each step moves to a strictly earlier trace record, checked as it goes,
//! so a walk over any trace, however odd, ends: at an event nobody emitted
//! (init's, or a request's), a control request, a missing record, or a
//! marker that the records contradict each other.

use upc_machine::{Cause, EventId, Goal, Millis, ProcessKind, State, TraceKind};

use super::index::{Name, Run, Sender, TraceIndex};
use super::{End, Link, LinkKind, Who};

/// A point to explain.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Why the run reached `End` when it did.
    Reasons(usize, End),
    /// The event, and who emitted it.
    Event(EventId),
    /// Why the run's process, spawned at that record, was spawned when it
    /// was (its script sent something).
    Process(usize, ProcessKind, usize),
}

/// What one step found.
enum Found {
    /// A line of the chain, and what to explain next (none: the chain
    /// ends here).
    Link(Link, Option<Step>),
    /// Nothing to print: the answer is another step.
    Go(Step),
}

impl<'a> TraceIndex<'a> {
    fn who(&self, name: Name<'_>) -> Who {
        Who {
            job: name.0.to_owned(),
            instance: name.1.to_owned(),
        }
    }

    fn who_of_run(&self, run: &Run) -> Who {
        self.who(self.name(run.key))
    }

    /// Where a step sits in the trace; every step of a walk must sit
    /// strictly before the one it explains.
    fn anchor(&self, step: Step) -> usize {
        match step {
            Step::Reasons(r, end) => self.run(r).map_or(0, |run| end_record(run, end)),
            Step::Event(e) => self
                .events
                .get(&e)
                .and_then(|e| e.handled.or(e.finished))
                .unwrap_or(0),
            Step::Process(_, _, spawned) => spawned,
        }
    }

    /// The point of `run` that makes it count as reached: a run whose main
    /// process ended by itself (a task) when it stopped, any other when it
    /// became running. `None`: it never became running.
    pub(super) fn reached(&self, r: usize) -> Option<End> {
        let run = self.run(r)?;
        run.running?;
        let Some(waiting) = run.waiting else {
            return Some(End::Running);
        };
        let stopped_itself = matches!(
            self.last_goal(run.key, Some(run.start), waiting, Goal::Stop, None),
            Some((_, Cause::Process(ProcessKind::Main)))
        );
        Some(if stopped_itself {
            End::Stopped
        } else {
            End::Running
        })
    }

    /// The first line of a chain: the run itself.
    pub(super) fn subject(&self, r: usize, end: End) -> Option<Link> {
        let run = self.run(r)?;
        let at = self.t(end_record(run, end));
        Some(Link {
            at,
            took: Some(at.saturating_sub(self.t(run.start))),
            kind: LinkKind::Reached {
                who: self.who_of_run(run),
                end,
            },
        })
    }

    /// The chain below the run's point `end`, at most `max` lines.
    pub(super) fn walk(&self, r: usize, end: End, max: usize) -> Vec<Link> {
        let mut links = Vec::new();
        let mut step = Step::Reasons(r, end);
        let mut bound = self.anchor(step).saturating_add(1);
        while links.len() < max {
            let anchor = self.anchor(step);
            if anchor >= bound {
                links.push(Link {
                    at: 0,
                    took: None,
                    kind: LinkKind::Contradiction,
                });
                break;
            }
            bound = anchor;
            match self.explain(step) {
                Found::Go(next) => step = next,
                Found::Link(link, next) => {
                    links.push(link);
                    match next {
                        Some(next) => step = next,
                        None => break,
                    }
                }
            }
        }
        links
    }

    fn explain(&self, step: Step) -> Found {
        let (r, end) = match step {
            Step::Reasons(r, end) => (r, end),
            Step::Event(e) => return self.event(e),
            Step::Process(r, kind, spawned) => return self.process(r, kind, spawned),
        };
        let Some(run) = self.run(r) else {
            return self.unknown(0);
        };
        match end {
            End::Starting => self.start_cause(r, run),
            End::Running => match run.starting_event {
                Some(e) => self
                    .held(e, end_record(run, End::Running))
                    .unwrap_or_else(|| self.start_cause(r, run)),
                None => self.start_cause(r, run),
            },
            End::Stopping => self.stop_cause(r, run),
            End::Stopped => match run.stopping.and_then(|(_, e)| e) {
                Some(e) => self
                    .held(e, end_record(run, End::Stopped))
                    .unwrap_or_else(|| self.stop_cause(r, run)),
                None => self.stop_cause(r, run),
            },
        }
    }

    /// Why a process was spawned when it was: the processes before
    /// `running` run once the `starting` event finished; pre-stop once the
    /// goal became stop; post-stop once the `stopping` event finished.
    fn process(&self, r: usize, kind: ProcessKind, spawned: usize) -> Found {
        let Some(run) = self.run(r) else {
            return self.unknown(spawned);
        };
        let (event, cause) = match kind {
            ProcessKind::PreStop => return self.stop_cause(r, run),
            ProcessKind::PostStop => (run.stopping.and_then(|(_, e)| e), End::Stopping),
            ProcessKind::Security
            | ProcessKind::PreStart
            | ProcessKind::Main
            | ProcessKind::PostStart => (run.starting_event, End::Starting),
        };
        if let Some(found) = event.and_then(|e| self.held(e, spawned)) {
            return found;
        }
        match cause {
            End::Stopping => self.stop_cause(r, run),
            _ => self.start_cause(r, run),
        }
    }

    /// The step that explains what `sender` did at record `at`: its run
    /// then, and the spawn of its process.
    fn sent_by(&self, sender: &Sender, at: usize) -> Option<(Step, Millis)> {
        let key = self.key_of((&sender.job, &sender.instance))?;
        let r = self.run_at(key, at)?;
        let run = self.run(r)?;
        let spawned = self.last_spawn(key, sender.process, at)?;
        let took = self.t(at).saturating_sub(self.t(run.start));
        Some((Step::Process(r, sender.process, spawned), took))
    }

    fn unknown(&self, at: usize) -> Found {
        Found::Link(
            Link {
                at: self.t(at),
                took: None,
                kind: LinkKind::Unknown,
            },
            None,
        )
    }

    /// Why the run entered `starting`: the previous run's stop (a restart
    /// or respawn), or what set its goal to start.
    fn start_cause(&self, r: usize, run: &Run) -> Found {
        if run.restart {
            if let Some(prev) = self.previous_run(r).and_then(|p| Some((p, self.run(p)?))) {
                let at = self.t(run.start);
                return Found::Link(
                    Link {
                        at,
                        took: Some(at.saturating_sub(self.t(prev.1.start))),
                        kind: LinkKind::Restart {
                            who: self.who_of_run(prev.1),
                        },
                    },
                    Some(Step::Reasons(prev.0, End::Stopped)),
                );
            }
        }
        match self.last_goal(run.key, None, run.start, Goal::Start, Some(Goal::Stop)) {
            Some((i, cause)) => self.goal_cause(i, cause),
            None => self.unknown(run.start),
        }
    }

    /// Why the run entered `stopping`: what set its goal to stop; when its
    /// own process ended (or nothing says), how it got to be running.
    fn stop_cause(&self, r: usize, run: &Run) -> Found {
        let before = run.stopping.map_or(run.last, |(i, _)| i);
        match self.last_goal(run.key, Some(run.start), before, Goal::Stop, None) {
            Some((i, cause @ (Cause::Event(_) | Cause::Request(_)))) => self.goal_cause(i, cause),
            _ if run.running.is_some() => Found::Go(Step::Reasons(r, End::Running)),
            _ => Found::Go(Step::Reasons(r, End::Starting)),
        }
    }

    /// A goal record's cause as the next step or the last line.
    fn goal_cause(&self, i: usize, cause: &Cause) -> Found {
        match cause {
            Cause::Event(e) => Found::Go(Step::Event(*e)),
            Cause::Request(id) => {
                let sender = self.senders.requests.get(id);
                let next = sender.and_then(|s| self.sent_by(s, i));
                Found::Link(
                    Link {
                        at: self.t(i),
                        took: next.map(|(_, took)| took),
                        kind: LinkKind::Request {
                            id: id.0,
                            sender: sender.cloned(),
                        },
                    },
                    next.map(|(step, _)| step),
                )
            }
            Cause::Process(_) | Cause::Internal => {
                // The machine decided on its own: nothing further to follow
                // that the trace names. Say so rather than guess.
                Found::Link(
                    Link {
                        at: self.t(i),
                        took: None,
                        kind: LinkKind::Machine,
                    },
                    None,
                )
            }
        }
    }

    /// The event and its emitter's run, at the point that emitted it.
    fn event(&self, id: EventId) -> Found {
        let Some(e) = self.events.get(&id) else {
            return Found::Link(
                Link {
                    at: 0,
                    took: None,
                    kind: LinkKind::Event {
                        name: format!("event {}", id.0),
                        emitter: None,
                    },
                },
                None,
            );
        };
        let at_record = e.handled.or(e.finished).unwrap_or(0);
        let at = self.t(at_record);
        let emitter_run = e.emitter.and_then(|name| {
            let key = self.key_of(name)?;
            let r = self.run_at(key, at_record)?;
            Some((r, self.run(r)?))
        });
        let Some((r, run)) = emitter_run else {
            if let Some(sender) = self.senders.events.get(&id) {
                let next = self.sent_by(sender, at_record);
                return Found::Link(
                    Link {
                        at,
                        took: next.map(|(_, took)| took),
                        kind: LinkKind::Sent {
                            name: e.title(),
                            sender: sender.clone(),
                        },
                    },
                    next.map(|(step, _)| step),
                );
            }
            return Found::Link(
                Link {
                    at,
                    took: None,
                    kind: LinkKind::Event {
                        name: e.title(),
                        emitter: e.emitter.map(|n| self.who(n)),
                    },
                },
                None,
            );
        };
        let end = match e.name {
            "starting" => End::Starting,
            "stopping" => End::Stopping,
            "stopped" => End::Stopped,
            _ => End::Running,
        };
        Found::Link(
            Link {
                at,
                took: (end != End::Starting).then(|| at.saturating_sub(self.t(run.start))),
                kind: LinkKind::Event {
                    name: e.name.to_owned(),
                    emitter: Some(self.who_of_run(run)),
                },
            },
            Some(Step::Reasons(r, end)),
        )
    }

    /// The holder of event `id` that let go of it last, before `limit`
    /// (when the event never finished). `None` when nothing held it, or
    /// nothing held it past its own handling.
    fn held(&self, id: EventId, limit: usize) -> Option<Found> {
        let e = self.events.get(&id)?;
        let end = e.finished.unwrap_or(limit);
        let mut best: Option<(usize, Holder)> = None;
        for &h in &e.holders {
            let Some(TraceKind::Hold { job, instance, .. }) = self.kind(h) else {
                continue;
            };
            let Some(key) = self.key_of((job, instance)) else {
                continue;
            };
            if let Some(release) = self.last_state_between(key, h, end) {
                if best.as_ref().is_none_or(|(b, _)| release > *b) {
                    best = Some((release, Holder::Instance(key)));
                }
            }
        }
        for &h in &e.class_holders {
            let Some(TraceKind::Hold { job, .. }) = self.kind(h) else {
                continue;
            };
            if let Some((release, by)) = self.last_class_hold(job, h, end, id) {
                if best.as_ref().is_none_or(|(b, _)| release > *b) {
                    best = Some((release, Holder::Class(job, by)));
                }
            }
        }
        let (release, holder) = best?;
        let at = self.t(release);
        let event = self.event_label(id);
        Some(match holder {
            Holder::Instance(key) => {
                let r = self.run_at(key, release)?;
                let run = self.run(r)?;
                let until = match self.kind(release) {
                    Some(TraceKind::State { to, .. }) => *to,
                    _ => State::Waiting,
                };
                Found::Link(
                    Link {
                        at,
                        took: Some(at.saturating_sub(self.t(run.start))),
                        kind: LinkKind::Held {
                            who: self.who(self.name(key)),
                            event,
                            until,
                        },
                    },
                    Some(Step::Reasons(r, end_of_state(until))),
                )
            }
            Holder::Class(job, by) => Found::Link(
                Link {
                    at,
                    took: None,
                    kind: LinkKind::Partial {
                        job: job.to_owned(),
                        event,
                    },
                },
                Some(Step::Event(by)),
            ),
        })
    }

    /// `starting rc`: the event's name and its emitter.
    fn event_label(&self, id: EventId) -> String {
        match self.events.get(&id) {
            Some(e) => match e.emitter {
                Some(n) => format!("{} {}", e.name, super::label(n.0, n.1)),
                None => e.title(),
            },
            None => format!("event {}", id.0),
        }
    }
}

enum Holder<'a> {
    Instance(usize),
    /// The class's partial match, let go when event `.1` completed it.
    Class(&'a str, EventId),
}

/// The record where the run reached `end` (the run's last record when it
/// never did).
pub(super) fn end_record(run: &Run, end: End) -> usize {
    match end {
        End::Starting => Some(run.start),
        End::Running => run.running,
        End::Stopping => run.stopping.map(|(i, _)| i),
        End::Stopped => run.waiting,
    }
    .unwrap_or(run.last)
}

/// What a holder's state when it let go says it had reached.
fn end_of_state(state: State) -> End {
    match state {
        State::Running => End::Running,
        State::Waiting => End::Stopped,
        State::PreStopping
        | State::PreStop
        | State::Stopping
        | State::Killed
        | State::PostStopping
        | State::PostStop => End::Stopping,
        State::Starting
        | State::SecuritySpawning
        | State::Security
        | State::PreStarting
        | State::PreStart
        | State::Spawning
        | State::Spawned
        | State::PostStarting
        | State::PostStart => End::Starting,
    }
}
