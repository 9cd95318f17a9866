//! `start on`/`stop on` programs: postfix bytecode over event matches, and
//! their evaluation against a per-job [`OperatorState`].
//!
//! A program is a sequence of `MATCH` (push the value of the next event
//! match), `AND` and `OR` (pop two, push one); validation proved the stack
//! discipline. Upstart keeps a boolean in each MATCH leaf of its operator
//! tree (runtime-semantics.md 6.3); here that boolean lives in
//! `OperatorState`, one per match, in program order, and the AND/OR values
//! are recomputed from them. Everything is iterative: a program can be a
//! 100,000-instruction chain.

use crate::cursor::{proven, rd32, rd8};
use crate::entry::split_entry;
use crate::expand::expand;
use crate::glob::fnmatch;
use crate::layout::*;
use crate::model::{ArgKind, ArgSpec, Instr, MatchSpec};
use crate::validated::ValidatedBundle;

/// One program of a validated bundle.
#[derive(Clone, Copy)]
pub struct Program<'b> {
    b: &'b ValidatedBundle<'b>,
    code: &'b [u8],
    match_first: usize,
    match_end: usize,
}

/// The boolean of every match of one program for one job (or, for `stop
/// on`, one instance).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OperatorState {
    values: Vec<bool>,
}

impl OperatorState {
    /// Per match, in program order: whether an event has satisfied it.
    pub fn values(&self) -> &[bool] {
        &self.values
    }

    /// Sets one match's value (for a runtime restoring or transferring
    /// state); out-of-range indices are ignored.
    pub fn set(&mut self, k: usize, value: bool) {
        if let Some(v) = self.values.get_mut(k) {
            *v = value;
        }
    }
}

/// What handling one event did to a program's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Handled {
    /// The matches that became true in this pass, in program order (each
    /// now holds the event: Upstart raises the event's blocker count once
    /// per such match).
    pub newly_true: Vec<usize>,
    /// Whether the whole condition is true now.
    pub satisfied: bool,
}

/// An event as the evaluator sees it: a name and `KEY=VALUE` entries in
/// order.
#[derive(Debug)]
pub struct EventRef<'e, E: AsRef<str>> {
    pub name: &'e str,
    pub env: &'e [E],
}

// By hand: a derive would demand `E: Copy`, but only references are copied.
impl<E: AsRef<str>> Clone for EventRef<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E: AsRef<str>> Copy for EventRef<'_, E> {}

impl<'b> Program<'b> {
    pub(crate) fn new(b: &'b ValidatedBundle<'b>, index: usize) -> Program<'b> {
        let (c0, c1) = b.children(Section::Programs, index, F0, Section::Code);
        let code_sec = b.sec(Section::Code);
        let code = proven(b.bytes.get(code_sec.off + c0..code_sec.off + c1)).unwrap_or_default();
        let (match_first, match_end) = b.children(Section::Programs, index, F1, Section::Matches);
        Program {
            b,
            code,
            match_first,
            match_end,
        }
    }

    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// Never true for a validated program.
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    pub fn instructions(&self) -> impl ExactSizeIterator<Item = Instr> + 'b {
        self.code.iter().map(|&op| match op {
            OP_AND => Instr::And,
            OP_OR => Instr::Or,
            _ => Instr::Match,
        })
    }

    pub fn match_count(&self) -> usize {
        self.match_end - self.match_first
    }

    pub fn matches(&self) -> impl ExactSizeIterator<Item = MatchView<'b>> + 'b {
        let b = self.b;
        (self.match_first..self.match_end).map(move |index| MatchView { b, index })
    }

    pub fn get_match(&self, k: usize) -> Option<MatchView<'b>> {
        (k < self.match_count()).then_some(MatchView {
            b: self.b,
            index: self.match_first + k,
        })
    }

    /// A state with every match false.
    pub fn new_state(&self) -> OperatorState {
        OperatorState {
            values: vec![false; self.match_count()],
        }
    }

    /// Sets every match false (runtime-semantics.md 6.6).
    pub fn reset(&self, state: &mut OperatorState) {
        state.values.clear();
        state.values.resize(self.match_count(), false);
    }

    /// Offers one event to every false match (6.3): a match it satisfies
    /// becomes true. `expand_env` is what `$VAR` references in the patterns
    /// expand against: the instance environment for `stop on`, nothing
    /// (`&[]`) for `start on`.
    pub fn handle<E: AsRef<str>, V: AsRef<str>>(
        &self,
        state: &mut OperatorState,
        event: EventRef<'_, E>,
        expand_env: &[V],
    ) -> Handled {
        if state.values.len() != self.match_count() {
            state.values.resize(self.match_count(), false);
        }
        let mut newly_true = Vec::new();
        for (k, m) in self.matches().enumerate() {
            if let Some(v) = state.values.get_mut(k) {
                if !*v && m.matches(event, expand_env) {
                    *v = true;
                    newly_true.push(k);
                }
            }
        }
        Handled {
            newly_true,
            satisfied: self.is_satisfied(state),
        }
    }

    /// Whether the whole condition is true.
    pub fn is_satisfied(&self, state: &OperatorState) -> bool {
        if self.b.max_stack_depth() <= 64 {
            return self.is_satisfied_in_bits(state);
        }
        let mut stack: Vec<bool> = Vec::new();
        let mut k = 0;
        for &op in self.code {
            match op {
                OP_MATCH => {
                    stack.push(state.values.get(k).copied().unwrap_or(false));
                    k += 1;
                }
                _ => {
                    let r = proven(stack.pop()).unwrap_or(false);
                    let l = proven(stack.pop()).unwrap_or(false);
                    stack.push(if op == OP_AND { l && r } else { l || r });
                }
            }
        }
        proven(stack.pop()).unwrap_or(false)
    }

    /// [`Program::is_satisfied`] with the stack in one `u64` (bit 0 on
    /// top): no allocation, for every program no deeper than 64.
    fn is_satisfied_in_bits(&self, state: &OperatorState) -> bool {
        let mut stack = 0u64;
        let mut k = 0;
        for &op in self.code {
            if op == OP_MATCH {
                let v = state.values.get(k).copied().unwrap_or(false);
                stack = (stack << 1) | u64::from(v);
                k += 1;
            } else {
                let (r, l) = (stack & 1 != 0, stack & 2 != 0);
                let v = if op == OP_AND { l && r } else { l || r };
                stack = ((stack >> 2) << 1) | u64::from(v);
            }
        }
        stack & 1 != 0
    }

    /// The value of every instruction's subtree.
    fn node_values(&self, state: &OperatorState) -> Vec<bool> {
        let mut values = Vec::with_capacity(self.code.len());
        let mut stack: Vec<bool> = Vec::new();
        let mut k = 0;
        for &op in self.code {
            let v = match op {
                OP_MATCH => {
                    k += 1;
                    state.values.get(k - 1).copied().unwrap_or(false)
                }
                _ => {
                    let r = proven(stack.pop()).unwrap_or(false);
                    let l = proven(stack.pop()).unwrap_or(false);
                    if op == OP_AND {
                        l && r
                    } else {
                        l || r
                    }
                }
            };
            stack.push(v);
            values.push(v);
        }
        values
    }

    /// The matches whose events make up the environment of a satisfied
    /// condition (6.5): the true matches whose every enclosing AND/OR is
    /// true, left to right.
    pub fn contributing(&self, state: &OperatorState) -> Vec<usize> {
        let values = self.node_values(state);
        // Reversed postfix visits a node, then its right subtree, then its
        // left one: each operator hands "all ancestors true" to both.
        let mut parent_ok = vec![true];
        let mut out = Vec::new();
        let mut k = self.match_count();
        for (i, &op) in self.code.iter().enumerate().rev() {
            let ok = proven(parent_ok.pop()).unwrap_or(false)
                && proven(values.get(i).copied()).unwrap_or(false);
            if op == OP_MATCH {
                k = k.saturating_sub(1);
                if ok {
                    out.push(k);
                }
            } else {
                parent_ok.push(ok);
                parent_ok.push(ok);
            }
        }
        out.reverse();
        out
    }

    /// Upstart's fully bracketed rendering (job-language.md 7.5), rebuilt
    /// from the bytecode: `(a and (b or c))`, a lone match without brackets.
    pub fn canonical(&self) -> String {
        let n = self.code.len();
        // For each position: how many "(" open there, and which operator
        // (if any) separates a left operand from a right one starting there.
        let mut opens = vec![0u32; n];
        let mut sep: Vec<Option<u8>> = vec![None; n];
        let mut starts: Vec<usize> = Vec::new();
        for (i, &op) in self.code.iter().enumerate() {
            if op == OP_MATCH {
                starts.push(i);
            } else {
                let right = proven(starts.pop()).unwrap_or(0);
                let left = proven(starts.pop()).unwrap_or(0);
                if let Some(s) = sep.get_mut(right) {
                    *s = Some(op);
                }
                if let Some(o) = opens.get_mut(left) {
                    *o += 1;
                }
                starts.push(left);
            }
        }
        let mut out = String::new();
        let mut k = 0;
        for (i, &op) in self.code.iter().enumerate() {
            match sep.get(i).copied().flatten() {
                Some(OP_AND) => out.push_str(" and "),
                Some(_) => out.push_str(" or "),
                None => {}
            }
            for _ in 0..proven(opens.get(i).copied()).unwrap_or(0) {
                out.push('(');
            }
            if op == OP_MATCH {
                if let Some(m) = self.get_match(k) {
                    m.write_canonical(&mut out);
                }
                k += 1;
            } else {
                out.push(')');
            }
        }
        out
    }

    /// One line per instruction: `MATCH #k EVENT ARGS`, `AND`, `OR`.
    pub fn disassemble(&self) -> Vec<String> {
        let mut k = 0;
        self.code
            .iter()
            .map(|&op| match op {
                OP_MATCH => {
                    let mut line = format!("MATCH #{k} ");
                    if let Some(m) = self.get_match(k) {
                        m.write_canonical(&mut line);
                    }
                    k += 1;
                    line
                }
                OP_AND => "AND".to_owned(),
                _ => "OR".to_owned(),
            })
            .collect()
    }
}

/// One event match: `EVENT [ARG...]`.
#[derive(Clone, Copy)]
pub struct MatchView<'b> {
    b: &'b ValidatedBundle<'b>,
    index: usize,
}

/// One argument of a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgView<'b> {
    /// `None` for a positional argument.
    pub key: Option<&'b str>,
    /// `KEY!=PATTERN`.
    pub negated: bool,
    pub pattern: &'b str,
}

impl<'b> MatchView<'b> {
    /// Index of the event in the event index.
    pub fn event_index(&self) -> usize {
        self.b.field(Section::Matches, self.index, F0) as usize
    }

    pub fn event(&self) -> &'b str {
        self.b
            .string(self.b.field(Section::Events, self.event_index(), F0))
    }

    pub fn args(&self) -> impl ExactSizeIterator<Item = ArgView<'b>> + 'b {
        let b = self.b;
        let sec = b.sec(Section::Args);
        let (a0, a1) = b.children(Section::Matches, self.index, F1, Section::Args);
        (a0..a1).map(move |k| {
            let kind = rd8(&b.bytes, sec.at(k, A_KIND));
            ArgView {
                key: b.opt_string(rd32(&b.bytes, sec.at(k, A_KEY))),
                negated: kind == 2,
                pattern: b.string(rd32(&b.bytes, sec.at(k, A_PATTERN))),
            }
        })
    }

    pub fn to_spec(&self) -> MatchSpec {
        MatchSpec {
            event: self.event().to_owned(),
            args: self
                .args()
                .map(|a| ArgSpec {
                    kind: match (a.key, a.negated) {
                        (None, _) => ArgKind::Positional,
                        (Some(k), false) => ArgKind::Equals(k.to_owned()),
                        (Some(k), true) => ArgKind::NotEquals(k.to_owned()),
                    },
                    pattern: a.pattern.to_owned(),
                })
                .collect(),
        }
    }

    fn write_canonical(&self, out: &mut String) {
        out.push_str(self.event());
        for a in self.args() {
            out.push(' ');
            if let Some(k) = a.key {
                out.push_str(k);
                out.push_str(if a.negated { "!=" } else { "=" });
            }
            out.push_str(a.pattern);
        }
    }

    /// Whether `event` satisfies this match (runtime-semantics.md 6.3):
    /// same name; each positional argument i globs the value of the
    /// event's i-th entry; `KEY=` / `KEY!=` glob (or not) the first entry
    /// named KEY, and a missing entry never matches. Patterns are expanded
    /// against `expand_env` first; an expansion error is no match.
    pub fn matches<E: AsRef<str>, V: AsRef<str>>(
        &self,
        event: EventRef<'_, E>,
        expand_env: &[V],
    ) -> bool {
        if self.event() != event.name {
            return false;
        }
        for (i, arg) in self.args().enumerate() {
            let value = match arg.key {
                None => event.env.get(i).map(|e| split_entry(e.as_ref()).1),
                Some(key) => event
                    .env
                    .iter()
                    .map(|e| split_entry(e.as_ref()))
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v),
            };
            let Some(value) = value else {
                return false;
            };
            let pattern = if arg.pattern.contains('$') {
                match expand(arg.pattern, expand_env) {
                    Some(p) => std::borrow::Cow::Owned(p),
                    None => return false,
                }
            } else {
                std::borrow::Cow::Borrowed(arg.pattern)
            };
            if fnmatch(pattern.as_bytes(), value.as_bytes()) == arg.negated {
                return false;
            }
        }
        true
    }
}
