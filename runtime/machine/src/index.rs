//! Which classes an event can concern, without asking every class.
//!
//! Upstart offers each event to every class. Here each match of a
//! registered class's `start on`/`stop on` is filed under its event name
//! and, when it has one, under a literal argument that any event it
//! matches must carry: the first positional argument (`started dbus`) or a
//! `KEY=value` (`started JOB=dbus`). An event then reaches the classes
//! filed under its name with no literal, plus those filed under the literal
//! its own first value or its `KEY=value` entries give. With 10,000 jobs
//! each waiting for `started SOMETHING`, a `started` event reaches the few
//! that name its job, not all of them.
//!
//! A candidate may still not match (the other arguments decide); a class
//! that could match is never left out, which is what matters.

use std::collections::HashMap;

use upc_bundle::Program;

use crate::types::ClassId;

/// Classes with the order they react in, sorted by (order, class), each
/// once.
type List = Vec<(u32, ClassId)>;

/// Files `entry` in `list`: appended when it sorts last (a whole load adds
/// its classes in order, so building the index is linear), else inserted
/// in place (a class taking over from an idle one at run time).
fn file_in(list: &mut List, entry: (u32, ClassId)) {
    match list.last() {
        None => list.push(entry),
        Some(&last) if last < entry => list.push(entry),
        Some(&last) if last == entry => {}
        Some(_) => {
            if let Err(at) = list.binary_search(&entry) {
                list.insert(at, entry);
            }
        }
    }
}

#[derive(Default)]
struct ByName {
    /// Matches with no literal argument to file them under.
    any: List,
    /// First positional argument -> classes.
    first: HashMap<String, List>,
    /// `KEY=value` -> classes.
    keyed: HashMap<String, HashMap<String, List>>,
}

#[derive(Default)]
pub struct MatchIndex {
    by_name: HashMap<String, ByName>,
}

/// A pattern that matches only itself (no glob, no `$VAR`).
fn literal(pattern: &str) -> bool {
    !pattern.contains(['*', '?', '[', '\\', '$'])
}

/// Where one match is filed.
enum Slot<'p> {
    Any,
    First(&'p str),
    Keyed(&'p str, &'p str),
}

fn slots<'p>(program: &Program<'p>) -> impl Iterator<Item = (&'p str, Slot<'p>)> + 'p {
    program.matches().map(|m| {
        let mut args = m.args();
        let first = args.next();
        let slot = match first {
            Some(a) if a.key.is_none() && literal(a.pattern) => Slot::First(a.pattern),
            _ => first
                .into_iter()
                .chain(args)
                .find_map(|a| match a.key {
                    Some(k) if !a.negated && literal(a.pattern) => Some(Slot::Keyed(k, a.pattern)),
                    _ => None,
                })
                .unwrap_or(Slot::Any),
        };
        (m.event(), slot)
    })
}

impl MatchIndex {
    /// The list `slot` of `event`, created if need be.
    fn list_mut(&mut self, event: &str, slot: Slot<'_>) -> &mut List {
        let entry = self.by_name.entry(event.to_owned()).or_default();
        match slot {
            Slot::Any => &mut entry.any,
            Slot::First(v) => entry.first.entry(v.to_owned()).or_default(),
            Slot::Keyed(k, v) => entry
                .keyed
                .entry(k.to_owned())
                .or_default()
                .entry(v.to_owned())
                .or_default(),
        }
    }

    /// Files every match of `program` for `class`, which reacts in place
    /// `order`. Classes added in increasing order cost O(1) each.
    pub fn add(&mut self, class: ClassId, order: u32, program: &Program<'_>) {
        for (event, slot) in slots(program) {
            file_in(self.list_mut(event, slot), (order, class));
        }
    }

    /// Takes `class`, filed in place `order`, out of every list `program`
    /// filed it in.
    pub fn remove(&mut self, class: ClassId, order: u32, program: &Program<'_>) {
        for (event, slot) in slots(program) {
            let Some(entry) = self.by_name.get_mut(event) else {
                continue;
            };
            let list = match slot {
                Slot::Any => Some(&mut entry.any),
                Slot::First(v) => entry.first.get_mut(v),
                Slot::Keyed(k, v) => entry.keyed.get_mut(k).and_then(|m| m.get_mut(v)),
            };
            if let Some(list) = list {
                if let Ok(at) = list.binary_search(&(order, class)) {
                    list.remove(at);
                }
            }
        }
    }

    /// The classes an event named `name` with `env` may concern, in the
    /// order they react, each once.
    pub fn candidates(&self, name: &str, env: &[String]) -> Vec<ClassId> {
        let Some(entry) = self.by_name.get(name) else {
            return Vec::new();
        };
        // At most one list per env entry, plus two.
        let mut lists: Vec<&List> = Vec::with_capacity(2 + env.len());
        lists.push(&entry.any);
        let split = |e: &'_ String| -> (usize, usize) {
            let k = e.find('=').unwrap_or(e.len());
            (k, (k + 1).min(e.len()))
        };
        if let Some(e) = env.first() {
            let (_, v) = split(e);
            if let Some(list) = e.get(v..).and_then(|value| entry.first.get(value)) {
                lists.push(list);
            }
        }
        if !entry.keyed.is_empty() {
            for e in env {
                let (k, v) = split(e);
                let (Some(key), Some(value)) = (e.get(..k), e.get(v..)) else {
                    continue;
                };
                if let Some(list) = entry.keyed.get(key).and_then(|m| m.get(value)) {
                    lists.push(list);
                }
            }
        }
        lists.retain(|l| !l.is_empty());
        match lists.as_slice() {
            [] => Vec::new(),
            [one] => one.iter().map(|&(_, c)| c).collect(),
            _ => {
                let mut all: List = lists.into_iter().flatten().copied().collect();
                all.sort_unstable();
                all.dedup();
                all.into_iter().map(|(_, c)| c).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_stays_sorted_and_holds_each_class_once() {
        let c = ClassId;
        let mut list = List::new();
        for entry in [(0, c(7)), (2, c(3)), (2, c(3)), (5, c(1))] {
            file_in(&mut list, entry);
        }
        // Out of order (a replacement keeps the place of the class it
        // replaces): inserted where it sorts.
        file_in(&mut list, (1, c(9)));
        file_in(&mut list, (1, c(9)));
        assert_eq!(list, [(0, c(7)), (1, c(9)), (2, c(3)), (5, c(1))]);
    }

    #[test]
    fn literals_have_no_glob_or_variable() {
        assert!(literal("dbus"));
        assert!(literal("rc-sysinit"));
        assert!(!literal("net*"));
        assert!(!literal("[2345]"));
        assert!(!literal("$JOB"));
        assert!(!literal("a\\*"));
    }
}
