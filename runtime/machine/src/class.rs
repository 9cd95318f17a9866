//! Job classes: loading a bundle, the registration rule, and what happens
//! to a class replaced or deleted by a reload (runtime-semantics.md §15).
//!
//! A class is one job of one loaded bundle. Each name has exactly one
//! registered class; a newer definition of a name whose class still has
//! instances waits in `pending` until the last instance is back in
//! `waiting`, and only then takes over (with the partial `start on`
//! matches of the old one, so no event is lost).

use std::collections::HashMap;
use std::rc::Rc;

use upc_bundle::{EventRef, Expect, OperatorState, Program, ValidatedBundle};

use crate::index::MatchIndex;
use crate::types::*;
use crate::{Machine, Spawner};

/// A job class, with the settings the machine consults cached.
pub struct Class {
    pub name: String,
    /// The bundle it comes from (shared by the classes of one load, and
    /// freed with the last of them).
    pub bundle: Rc<ValidatedBundle<'static>>,
    pub index: usize,
    pub start_on: Option<usize>,
    pub stop_on: Option<usize>,
    /// The class's `start on` match state and the event each true match
    /// holds.
    pub start_state: OperatorState,
    pub start_held: Vec<Option<EventId>>,
    /// Instance name -> instance.
    pub instances: NameMap,
    /// Rank in [`crate::Config::class_order`] (`u32::MAX` if unlisted).
    pub rank: u32,
    /// Position among the registered classes by (rank, name): the order
    /// in which classes react to one event.
    pub order: u32,
    pub task: bool,
    pub respawn: bool,
    pub respawn_limit: u32,
    pub respawn_interval: u32,
    pub normal_exit: Vec<i64>,
    pub kill_signal: i32,
    pub kill_timeout_ms: u64,
    pub reload_signal: i32,
    pub expect: Expect,
    pub instance_template: String,
    pub env: Vec<String>,
    pub export: Vec<String>,
    pub usage: Option<String>,
    /// Which process slots are defined, in [`ProcessKind::ALL`] order.
    pub defined: [bool; 6],
    /// Why the last run failed, until an instance starts cleanly (boxed:
    /// most classes never fail).
    pub last_failure: Option<Box<RunFailure>>,
}

impl Class {
    fn new(bundle: &Rc<ValidatedBundle<'static>>, index: usize, rank: u32) -> Option<Class> {
        let job = bundle.job(index)?;
        let mut defined = [false; 6];
        for p in job.processes() {
            if let Some(d) = defined.get_mut(usize::from(p.kind().code())) {
                *d = true;
            }
        }
        let start_on = job.start_on().map(|c| c.program_index);
        let start_state = job
            .start_on()
            .map(|c| c.program.new_state())
            .unwrap_or_default();
        Some(Class {
            name: job.name().to_owned(),
            bundle: Rc::clone(bundle),
            index,
            start_held: vec![None; start_state.values().len()],
            start_state,
            start_on,
            stop_on: job.stop_on().map(|c| c.program_index),
            instances: NameMap::default(),
            rank,
            order: u32::MAX,
            task: job.task(),
            respawn: job.respawn(),
            // `None` is `respawn limit unlimited`: no runaway detection.
            respawn_limit: job.respawn_count().unwrap_or(0),
            respawn_interval: job.respawn_interval().unwrap_or(0),
            normal_exit: job.normal_exit().collect(),
            kill_signal: job.kill_signal(),
            kill_timeout_ms: job.kill_timeout().saturating_mul(1000),
            reload_signal: job.reload_signal(),
            expect: job.expect(),
            instance_template: job.instance().to_owned(),
            env: job.env().map(str::to_owned).collect(),
            export: job.export().map(str::to_owned).collect(),
            usage: job.usage().map(str::to_owned),
            defined,
            last_failure: None,
        })
    }

    pub fn defines(&self, kind: ProcessKind) -> bool {
        self.defined
            .get(usize::from(kind.code()))
            .copied()
            .unwrap_or(false)
    }

    pub fn start_program(&self) -> Option<Program<'_>> {
        self.bundle.program(self.start_on?)
    }

    pub fn stop_program(&self) -> Option<Program<'_>> {
        self.bundle.program(self.stop_on?)
    }

    /// A fresh `stop on` state for a new instance.
    pub fn new_stop_state(&self) -> OperatorState {
        self.stop_program()
            .map(|p| p.new_state())
            .unwrap_or_default()
    }
}

/// Each name of [`crate::Config::class_order`] with its rank (its first
/// place in the list), so a load looks a class's rank up once.
pub fn ranks(class_order: &[String]) -> HashMap<String, u32> {
    let mut ranks = HashMap::with_capacity(class_order.len());
    for (p, name) in class_order.iter().enumerate() {
        ranks
            .entry(name.clone())
            .or_insert_with(|| u32::try_from(p).unwrap_or(u32::MAX));
    }
    ranks
}

impl<S: Spawner> Machine<S> {
    /// Makes a class of every job of `bundle` and registers each by the
    /// rule, then numbers the registered classes and rebuilds the event
    /// index in one pass: a load (and a reload) costs the size of the job
    /// set, never its square, however many classes one event concerns.
    pub(crate) fn load(&mut self, bundle: Rc<ValidatedBundle<'static>>) {
        let count = bundle.job_count();
        // One allocation for the classes of the first load, not a doubling
        // vector that leaves its smaller copies behind in the heap.
        self.classes.reserve(count);
        let mut seen = std::collections::BTreeSet::new();
        for index in 0..count {
            let id = ClassId(self.next_class);
            let rank = bundle
                .job(index)
                .and_then(|j| self.ranks.get(j.name()).copied())
                .unwrap_or(u32::MAX);
            let Some(class) = Class::new(&bundle, index, rank) else {
                continue;
            };
            self.next_class += 1;
            let name = class.name.clone();
            seen.insert(name.clone());
            self.classes.insert(id, class);
            match self.registered.get(&name).copied() {
                Some(old) if self.has_instances(old) => {
                    if let Some(Some(stale)) = self.pending.insert(name, Some(id)) {
                        self.classes.remove(&stale);
                    }
                }
                Some(old) => self.replace(old, id),
                None => self.register(id),
            }
        }
        let gone: Vec<ClassId> = self
            .registered
            .iter()
            .filter(|(name, _)| !seen.contains(*name))
            .map(|(_, &id)| id)
            .collect();
        for old in gone {
            if self.has_instances(old) {
                let name = self.class_name(old).to_owned();
                if let Some(Some(stale)) = self.pending.insert(name, None) {
                    self.classes.remove(&stale);
                }
            } else {
                self.unregister(old);
                self.classes.remove(&old);
            }
        }
        self.reorder();
    }

    fn has_instances(&self, class: ClassId) -> bool {
        self.classes
            .get(&class)
            .is_some_and(|c| !c.instances.is_empty())
    }

    /// Registers a class under its name. (The event index is the
    /// caller's: a load rebuilds it once, a single replacement files the
    /// class itself.)
    fn register(&mut self, id: ClassId) {
        let Some(c) = self.classes.get(&id) else {
            return;
        };
        self.registered.insert(c.name.clone(), id);
    }

    /// Numbers the registered classes by (rank, name), and files them all
    /// in a new event index, in that order (each list is built by
    /// appending).
    fn reorder(&mut self) {
        let mut ids: Vec<(u32, ClassId)> = self
            .registered
            .values()
            .filter_map(|id| self.classes.get(id).map(|c| (c.rank, *id)))
            .collect();
        // `registered` iterates by name: a stable sort by rank keeps it.
        ids.sort_by_key(|&(rank, _)| rank);
        self.index = MatchIndex::default();
        for (n, (_, id)) in ids.into_iter().enumerate() {
            if let Some(c) = self.classes.get_mut(&id) {
                c.order = u32::try_from(n).unwrap_or(u32::MAX);
            }
            self.file_class(id);
        }
    }

    /// Files the matches of a registered class in the event index.
    fn file_class(&mut self, id: ClassId) {
        let Some(c) = self.classes.get(&id) else {
            return;
        };
        for program in [c.start_program(), c.stop_program()].into_iter().flatten() {
            self.index.add(id, c.order, &program);
        }
    }

    /// Takes a class's matches out of the event index.
    fn unfile_class(&mut self, id: ClassId) {
        let Some(c) = self.classes.get(&id) else {
            return;
        };
        for program in [c.start_program(), c.stop_program()].into_iter().flatten() {
            self.index.remove(id, c.order, &program);
        }
    }

    /// Takes a class's name back and lets go of what its `start on`
    /// holds. (The event index is the caller's, as for `register`.)
    fn unregister(&mut self, id: ClassId) {
        self.release_start_holds(id);
        let Some(c) = self.classes.get(&id) else {
            return;
        };
        if self.registered.get(&c.name) == Some(&id) {
            self.registered.remove(&c.name);
        }
    }

    /// `new` takes over from the idle `old`, inheriting the events `old`'s
    /// partial `start on` matches hold. (The event index is the caller's.)
    fn replace(&mut self, old: ClassId, new: ClassId) {
        let held: Vec<EventId> = self
            .classes
            .get(&old)
            .map(|c| c.start_held.iter().flatten().copied().collect())
            .unwrap_or_default();
        let order = self.classes.get(&old).map_or(u32::MAX, |c| c.order);
        self.unregister(old);
        let last_failure = self.classes.remove(&old).and_then(|c| c.last_failure);
        if let Some(c) = self.classes.get_mut(&new) {
            // Same name, same rank: the same place in the order. A new
            // definition has not run yet: the old one's failure stands.
            c.order = order;
            c.last_failure = last_failure;
        }
        self.register(new);
        for event in held {
            self.offer_to_start_on(new, event);
        }
    }

    /// Offers a held event to a class's `start on` matches that are still
    /// false; each that it satisfies holds it.
    fn offer_to_start_on(&mut self, class: ClassId, event: EventId) {
        let Some(e) = self.events.get(&event) else {
            return;
        };
        let (name, env) = (Rc::clone(&e.name), Rc::clone(&e.env));
        let Some(c) = self.classes.get_mut(&class) else {
            return;
        };
        let bundle = Rc::clone(&c.bundle);
        let Some(program) = c.start_on.and_then(|p| bundle.program(p)) else {
            return;
        };
        let ev = EventRef {
            name: &name,
            env: &env,
        };
        let handled = program.handle(&mut c.start_state, ev, &[] as &[&str]);
        for k in &handled.newly_true {
            if let Some(slot) = c.start_held.get_mut(*k) {
                *slot = Some(event);
            }
        }
        let holds = handled.newly_true.len();
        if let Some(e) = self.events.get_mut(&event) {
            e.blockers += u32::try_from(holds).unwrap_or(u32::MAX);
        }
    }

    /// A class whose last instance has gone: a pending replacement takes
    /// over, a deleted class goes.
    pub(crate) fn reconsider(&mut self, class: ClassId) {
        if self.has_instances(class) {
            return;
        }
        let name = self.class_name(class).to_owned();
        if self.registered.get(&name) != Some(&class) {
            return;
        }
        match self.pending.remove(&name) {
            Some(Some(new)) => {
                self.unfile_class(class);
                self.replace(class, new);
                self.file_class(new);
            }
            Some(None) => {
                self.unfile_class(class);
                self.unregister(class);
                self.classes.remove(&class);
            }
            None => {}
        }
    }

    /// Resets a class's `start on`, releasing the events it held.
    pub(crate) fn release_start_holds(&mut self, class: ClassId) {
        let Some(c) = self.classes.get_mut(&class) else {
            return;
        };
        for k in 0..c.start_held.len() {
            let Some(c) = self.classes.get_mut(&class) else {
                return;
            };
            if let Some(e) = c.start_held.get_mut(k).and_then(Option::take) {
                c.start_state.set(k, false);
                self.unblock_event(e, false);
            }
        }
    }

    /// The registered class of a name.
    pub(crate) fn find_class(&self, name: &str) -> Option<ClassId> {
        self.registered.get(name).copied()
    }

    /// Global table + class `env` stanzas (§9.2 steps 1 and 2).
    pub(crate) fn class_env(&self, class: ClassId) -> Vec<String> {
        let mut env = self.global_env.clone();
        if let Some(c) = self.classes.get(&class) {
            for entry in &c.env {
                if entry.contains('=') {
                    crate::env::set(&mut env, entry.clone());
                } else {
                    match crate::env::get(&self.config.init_env, entry) {
                        Some(v) => crate::env::set(&mut env, format!("{entry}={v}")),
                        None => {
                            crate::env::unset(&mut env, entry);
                        }
                    }
                }
            }
        }
        env
    }
}

/// Instance name -> instance of one class: a vector sorted by name. Most
/// classes have one instance (or none), for which a `BTreeMap` allocates a
/// whole leaf node (368 bytes) and this one entry (32 bytes); lookups are a
/// binary search, in the same order as the map's.
#[derive(Debug, Default, Clone)]
pub struct NameMap {
    entries: Vec<(String, InstanceId)>,
}

impl NameMap {
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(n, _)| n.as_str().cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&InstanceId> {
        let at = self.find(name).ok()?;
        self.entries.get(at).map(|(_, id)| id)
    }

    pub fn insert(&mut self, name: String, id: InstanceId) {
        match self.find(&name) {
            Ok(at) => {
                if let Some(e) = self.entries.get_mut(at) {
                    e.1 = id;
                }
            }
            Err(at) => self.entries.insert(at, (name, id)),
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<InstanceId> {
        let at = self.find(name).ok()?;
        Some(self.entries.remove(at).1)
    }

    pub fn values(&self) -> impl Iterator<Item = &InstanceId> {
        self.entries.iter().map(|(_, id)| id)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The classes by id. Ids are handed out in increasing order and never
/// reused, so a vector indexed by id is the map: a lookup is one index, not
/// a tree walk (every event looks up the classes it concerns).
#[derive(Default)]
pub struct Classes {
    slots: Vec<Option<Class>>,
}

impl Classes {
    pub fn get(&self, id: &ClassId) -> Option<&Class> {
        self.slots.get(id.0 as usize)?.as_ref()
    }

    pub fn get_mut(&mut self, id: &ClassId) -> Option<&mut Class> {
        self.slots.get_mut(id.0 as usize)?.as_mut()
    }

    pub fn insert(&mut self, id: ClassId, class: Class) {
        let at = id.0 as usize;
        if self.slots.len() <= at {
            self.slots.resize_with(at + 1, || None);
        }
        if let Some(slot) = self.slots.get_mut(at) {
            *slot = Some(class);
        }
    }

    pub fn reserve(&mut self, more: usize) {
        self.slots.reserve(more);
    }

    pub fn remove(&mut self, id: &ClassId) -> Option<Class> {
        self.slots.get_mut(id.0 as usize)?.take()
    }
}
