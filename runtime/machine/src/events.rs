//! The event queue and the matching of one event against the job classes
//! (runtime-semantics.md §6).
//!
//! Events live in a map ordered by id, which is their creation order; one
//! pass visits them in that order, handles the pending ones (events created
//! meanwhile get their turn in the same pass) and finishes those nobody
//! blocks any more. Passes repeat while something finished, as Upstart's
//! main loop does.

use std::ops::Bound;
use std::rc::Rc;

use upc_bundle::EventRef;

use crate::instance::Blocked;
use crate::types::*;
use crate::{env, Machine, Spawner};

/// By default no single step handles more events than this (about 50 ms
/// of work): a job set that feeds itself events for ever (a job restarted
/// by its own `stopped` event, with no process to wait for) must not stall
/// the driver. What is left makes [`Machine::poll_timeout`] due at once,
/// so the driver comes back for it after its own work.
pub const DEFAULT_MAX_EVENTS_PER_STEP: usize = 1 << 16;

pub struct Event {
    pub id: EventId,
    /// Shared, so handling it can hold them while the machine changes.
    pub name: Rc<str>,
    pub env: Rc<[String]>,
    pub handling: bool,
    /// How many matches and instances hold it.
    pub blockers: u32,
    pub failed: bool,
    /// What to tell when it finishes.
    pub waiters: Vec<Waiter>,
    /// The instance whose state change emitted it (for the trace).
    pub emitter: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiter {
    /// An instance in `starting`/`stopping` waiting for its own event.
    Job(InstanceId),
    /// An `emit` request made with wait.
    Request(RequestId),
}

impl<S: Spawner> Machine<S> {
    pub(crate) fn new_event(
        &mut self,
        name: String,
        env: Vec<String>,
        emitter: Option<(String, String)>,
    ) -> EventId {
        let id = EventId(self.next_event);
        self.next_event += 1;
        self.attention.insert(id);
        self.events.insert(
            id,
            Event {
                id,
                name: name.into(),
                env: env.into(),
                handling: false,
                blockers: 0,
                failed: false,
                waiters: Vec::new(),
                emitter,
            },
        );
        id
    }

    /// Runs the queue until no event can be handled or finished.
    ///
    /// Upstart scans its whole event list in passes, repeated while
    /// anything finished; only pending events and events nobody holds any
    /// more can do anything in a pass, so only those are visited here
    /// (`attention`, in id order). An event released after the cursor
    /// passed it waits for the next pass, as in a full scan, so the order
    /// is Upstart's, while a step costs what it touches, not the number of
    /// events held.
    pub(crate) fn poll_events(&mut self) {
        let mut handled = 0usize;
        while !self.attention.is_empty() {
            let mut cursor = EventId(0);
            while let Some(id) = self
                .attention
                .range((Bound::Excluded(cursor), Bound::Unbounded))
                .next()
                .copied()
            {
                cursor = id;
                self.attention.remove(&id);
                let Some(e) = self.events.get_mut(&id) else {
                    continue;
                };
                if !e.handling {
                    if handled >= self.config.max_events_per_step {
                        self.attention.insert(id);
                        self.log(LogLevel::Error, |_| {
                            format!("event loop did not settle after {handled} events")
                        });
                        return;
                    }
                    handled += 1;
                    e.handling = true;
                    self.handle_event(id);
                }
                if self.events.get(&id).is_some_and(|e| e.blockers == 0) {
                    self.finish_event(id);
                }
            }
        }
    }

    /// Offers one event to every class that mentions it: `stop on` of its
    /// instances first, then `start on` (§6.2).
    fn handle_event(&mut self, id: EventId) {
        let Some(e) = self.events.get(&id) else {
            return;
        };
        let (name, event_env) = (Rc::clone(&e.name), Rc::clone(&e.env));
        let emitter = e.emitter.clone();
        self.record(|_| TraceKind::Event {
            id,
            name: name.to_string(),
            env: event_env.to_vec(),
            emitter,
        });
        for class in self.index.candidates(&name, &event_env) {
            self.match_stop_on(class, id, &name, &event_env);
            if !self.match_start_on(class, id, &name, &event_env) {
                // Upstart abandons the event for every remaining class when
                // an instance name cannot be expanded (a defect, kept).
                break;
            }
        }
    }

    fn match_stop_on(&mut self, class: ClassId, id: EventId, name: &str, event_env: &[String]) {
        let Some(c) = self.classes.get(&class) else {
            return;
        };
        let bundle = Rc::clone(&c.bundle);
        let Some(program) = c.stop_on.and_then(|p| bundle.program(p)) else {
            return;
        };
        // The class may be here for its `start on` alone: then none of its
        // instances (there can be thousands) needs to look.
        if !program.matches().any(|m| m.event() == name) {
            return;
        }
        let mut instances = std::mem::take(&mut self.scratch);
        instances.clear();
        instances.extend(c.instances.values().copied());
        let event = EventRef {
            name,
            env: event_env,
        };
        for &iid in instances.iter() {
            let Some(inst) = self.instances.get_mut(&iid) else {
                continue;
            };
            let handled = program.handle(&mut inst.stop_on, event, &inst.env);
            if handled.newly_true.is_empty() {
                continue;
            }
            for &k in &handled.newly_true {
                if let Some(slot) = inst.stop_held.get_mut(k) {
                    *slot = Some(id);
                }
            }
            let stopping = inst.goal == Goal::Stop;
            self.block_event(id, handled.newly_true.len());
            if !handled.satisfied {
                continue;
            }
            if !stopping {
                let Some(inst) = self.instances.get(&iid) else {
                    continue;
                };
                let held = inst.stop_held.clone();
                let contributing = program.contributing(&inst.stop_on);
                let (mut stop_env, events) = self.collect(&held, &contributing);
                stop_env.push(format!("UPSTART_STOP_EVENTS={}", self.names(&events)));
                if let Some(inst) = self.instances.get_mut(&iid) {
                    inst.stop_env = stop_env;
                }
                self.job_finished(iid, false);
                self.hold_events(iid, &events);
                self.change_goal(iid, Goal::Stop, Cause::Event(id));
            }
            self.release_stop_holds(iid);
        }
        self.scratch = instances;
    }

    /// Returns false when the event must not be offered to further classes.
    fn match_start_on(
        &mut self,
        class: ClassId,
        id: EventId,
        name: &str,
        event_env: &[String],
    ) -> bool {
        let Some(c) = self.classes.get_mut(&class) else {
            return true;
        };
        let bundle = Rc::clone(&c.bundle);
        let Some(program) = c.start_on.and_then(|p| bundle.program(p)) else {
            return true;
        };
        let event = EventRef {
            name,
            env: event_env,
        };
        let handled = program.handle(&mut c.start_state, event, &[] as &[&str]);
        if handled.newly_true.is_empty() {
            return true;
        }
        for &k in &handled.newly_true {
            if let Some(slot) = c.start_held.get_mut(k) {
                *slot = Some(id);
            }
        }
        self.block_event(id, handled.newly_true.len());
        self.record(|m| TraceKind::Hold {
            event: id,
            job: m.class_name(class).to_owned(),
            instance: String::new(),
            start_on: true,
        });
        if !handled.satisfied {
            return true;
        }
        let Some(c) = self.classes.get(&class) else {
            return true;
        };
        // A template without `$` (a singleton's empty one, above all)
        // names its instance without the environment; when that instance
        // is already started there is nothing to build, only the reset
        // (the common case of a repeated event).
        let already_started = !c.instance_template.contains('$')
            && c.instances
                .get(&c.instance_template)
                .and_then(|iid| self.instances.get(iid))
                .is_some_and(|i| i.goal == Goal::Start);
        if already_started {
            self.release_start_holds(class);
            return true;
        }
        let held = c.start_held.clone();
        let template = c.instance_template.clone();
        let class_name = c.name.clone();
        let contributing = program.contributing(&c.start_state);
        let mut start_env = self.class_env(class);
        let (collected, events) = self.collect(&held, &contributing);
        for entry in collected {
            env::set(&mut start_env, entry);
        }
        env::set(
            &mut start_env,
            format!("UPSTART_EVENTS={}", self.names(&events)),
        );
        let instance = match upc_bundle::expand::try_expand(&template, &start_env) {
            Ok(name) => name,
            Err(e) => {
                self.log(LogLevel::Warn, |_| {
                    format!("{class_name}: Failed to obtain {class_name} instance: {e}")
                });
                self.release_start_holds(class);
                return false;
            }
        };
        let iid = self.find_or_create(class, &instance);
        if self
            .instances
            .get(&iid)
            .is_some_and(|i| i.goal != Goal::Start)
        {
            if let Some(inst) = self.instances.get_mut(&iid) {
                inst.start_env = Some(start_env);
            }
            self.job_finished(iid, false);
            self.hold_events(iid, &events);
            self.change_goal(iid, Goal::Start, Cause::Event(id));
        }
        self.release_start_holds(class);
        true
    }

    /// The environment of the contributing matches' events, merged in
    /// order, and those events (§6.5).
    fn collect(
        &self,
        held: &[Option<EventId>],
        contributing: &[usize],
    ) -> (Vec<String>, Vec<EventId>) {
        let mut merged = Vec::new();
        let mut events = Vec::new();
        for &k in contributing {
            let Some(Some(e)) = held.get(k) else {
                continue;
            };
            if let Some(event) = self.events.get(e) {
                for entry in event.env.iter() {
                    env::set(&mut merged, entry.clone());
                }
            }
            events.push(*e);
        }
        (merged, events)
    }

    fn names(&self, events: &[EventId]) -> String {
        let names: Vec<&str> = events
            .iter()
            .filter_map(|e| self.events.get(e).map(|e| &*e.name))
            .collect();
        names.join(" ")
    }

    /// The instance holds each event until it reaches its goal.
    fn hold_events(&mut self, iid: InstanceId, events: &[EventId]) {
        let Some(inst) = self.instances.get_mut(&iid) else {
            return;
        };
        inst.blocking
            .extend(events.iter().map(|&e| Blocked::Event(e)));
        for &e in events {
            self.block_event(e, 1);
            self.record(|m| {
                let (job, instance) = m.names_of(iid);
                TraceKind::Hold {
                    event: e,
                    job,
                    instance,
                    start_on: false,
                }
            });
        }
    }

    fn block_event(&mut self, id: EventId, times: usize) {
        if let Some(e) = self.events.get_mut(&id) {
            e.blockers = e
                .blockers
                .saturating_add(u32::try_from(times).unwrap_or(u32::MAX));
        }
    }

    /// One holder lets go of the event; `failed` marks it failed.
    pub(crate) fn unblock_event(&mut self, id: EventId, failed: bool) {
        if let Some(e) = self.events.get_mut(&id) {
            e.blockers = e.blockers.saturating_sub(1);
            e.failed |= failed;
            if e.blockers == 0 && e.handling {
                self.attention.insert(id);
            }
        }
    }

    /// Resets an instance's `stop on`, releasing the events it held.
    pub(crate) fn release_stop_holds(&mut self, iid: InstanceId) {
        let Some(inst) = self.instances.get_mut(&iid) else {
            return;
        };
        let held: Vec<EventId> = inst.stop_held.iter_mut().filter_map(Option::take).collect();
        let values = inst.stop_on.values().len();
        for k in 0..values {
            inst.stop_on.set(k, false);
        }
        for e in held {
            self.unblock_event(e, false);
        }
    }

    fn finish_event(&mut self, id: EventId) {
        let Some(e) = self.events.remove(&id) else {
            return;
        };
        self.record(|_| TraceKind::EventFinished {
            id,
            name: e.name.to_string(),
            failed: e.failed,
        });
        for waiter in &e.waiters {
            match *waiter {
                Waiter::Job(iid) => {
                    if let Some(inst) = self.instances.get_mut(&iid) {
                        if inst.blocker == Some(id) {
                            inst.blocker = None;
                            self.advance(iid);
                        }
                    }
                }
                Waiter::Request(rid) => {
                    let reply = if e.failed {
                        Err(ControlError::new(
                            ControlErrorKind::EventFailed,
                            "Event failed",
                        ))
                    } else {
                        Ok(Output::Done)
                    };
                    self.reply(rid, reply);
                }
            }
        }
        if e.failed && !e.name.ends_with("/failed") {
            self.new_event(format!("{}/failed", e.name), e.env.to_vec(), None);
        }
    }
}
