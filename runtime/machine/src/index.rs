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

/// Classes with the order they react in, kept sorted by it (see
/// [`MatchIndex::reorder`]).
type List = Vec<(u32, ClassId)>;

#[derive(Default)]
struct ByName {
    /// Matches with no literal argument to file them under.
    any: List,
    /// First positional argument -> classes.
    first: HashMap<String, List>,
    /// `KEY=value` -> classes.
    keyed: HashMap<String, HashMap<String, List>>,
}

impl ByName {
    fn lists_mut(&mut self) -> impl Iterator<Item = &mut List> {
        std::iter::once(&mut self.any)
            .chain(self.first.values_mut())
            .chain(self.keyed.values_mut().flat_map(|m| m.values_mut()))
    }
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
    /// Files every match of `program` for `class`, which reacts in place
    /// `order`.
    pub fn add(&mut self, class: ClassId, order: u32, program: &Program<'_>) {
        for (event, slot) in slots(program) {
            let entry = self.by_name.entry(event.to_owned()).or_default();
            let list = match slot {
                Slot::Any => &mut entry.any,
                Slot::First(v) => entry.first.entry(v.to_owned()).or_default(),
                Slot::Keyed(k, v) => entry
                    .keyed
                    .entry(k.to_owned())
                    .or_default()
                    .entry(v.to_owned())
                    .or_default(),
            };
            if !list.iter().any(|&(_, c)| c == class) {
                let at = list.partition_point(|&(o, _)| o < order);
                list.insert(at, (order, class));
            }
        }
    }

    /// Takes `class` out of every list `program` filed it in.
    pub fn remove(&mut self, class: ClassId, program: &Program<'_>) {
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
                list.retain(|&(_, c)| c != class);
            }
        }
    }

    /// Gives every class its new place in the order (`order_of`), and
    /// sorts the lists by it.
    pub fn reorder(&mut self, order_of: impl Fn(ClassId) -> u32) {
        for entry in self.by_name.values_mut() {
            for list in entry.lists_mut() {
                for item in list.iter_mut() {
                    item.0 = order_of(item.1);
                }
                list.sort_unstable();
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
    fn literals_have_no_glob_or_variable() {
        assert!(literal("dbus"));
        assert!(literal("rc-sysinit"));
        assert!(!literal("net*"));
        assert!(!literal("[2345]"));
        assert!(!literal("$JOB"));
        assert!(!literal("a\\*"));
    }
}
