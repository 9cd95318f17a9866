//! Classifying event matches: where each leaf's event can come from and,
//! for job events, which jobs can emit an event it matches. Arguments are
//! decided statically wherever the value is known: `JOB`, a constant
//! `INSTANCE`, `RESULT` (`ok` or `failed`), and which variables an event
//! carries at all (runtime-semantics.md 5 and 6.3). Part of [`Model::build`].

use crate::cond::{ArgKind, EventArg, EventMatch};
use crate::sema::ir::JobClass;

use super::events::{well_known, well_known_job, Carries, JobEvent};
use super::model::{
    index, BuildCx, CandSet, Dead, JobInfo, LeafKind, Model, Outside, SetKind, Which,
};
use super::pattern::{fnmatch, literal_text};

/// A pattern after Upstart's expansion (runtime-semantics.md 6.3).
enum Pat {
    Glob(String),
    /// Depends on the instance environment (`stop on ... $VAR`).
    Any,
    /// An expansion error in `start on`: never matches.
    Never,
}

fn pattern(value: &str, which: Which) -> Pat {
    if !value.contains('$') {
        return Pat::Glob(value.to_owned());
    }
    // `start on` values expand in an empty environment.
    match (
        which,
        upc_bundle::expand::expand_with(value, |_| None::<&str>),
    ) {
        (Which::Start, Ok(p)) => Pat::Glob(p),
        (Which::Start, Err(_)) => Pat::Never,
        (Which::Stop, _) => Pat::Any,
    }
}

/// A value an event carries, as far as known statically.
#[derive(Debug, Clone)]
pub enum Val<'v> {
    Known(&'v str),
    OneOf(&'static [&'static str]),
    Unknown,
    Absent,
}

const RESULTS: &[&str] = &["ok", "failed"];

/// The value of `key` (or of positional argument `pos`) in `event` of `job`.
fn job_value<'v>(job: &'v JobClass, info: &'v JobInfo, event: JobEvent, key: Key<'_>) -> Val<'v> {
    let exports = job.export.len();
    let exported = |k: &str| job.export.iter().any(|e| e.value == k);
    let instance = || info.instance.as_deref().map_or(Val::Unknown, Val::Known);
    match key {
        Key::Pos(0) | Key::Name("JOB") => Val::Known(&job.name),
        Key::Pos(1) | Key::Name("INSTANCE") => instance(),
        Key::Pos(2) | Key::Name("RESULT") if event.is_stop() => Val::OneOf(RESULTS),
        Key::Pos(_) if event.is_stop() => Val::Unknown,
        Key::Name("PROCESS" | "EXIT_STATUS" | "EXIT_SIGNAL") if event.is_stop() => Val::Unknown,
        Key::Pos(i) => {
            if exports + 1 >= i {
                Val::Unknown
            } else {
                Val::Absent
            }
        }
        Key::Name(k) => {
            if exported(k) {
                Val::Unknown
            } else {
                Val::Absent
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Key<'k> {
    Pos(usize),
    Name(&'k str),
}

fn keys(args: &[EventArg]) -> impl Iterator<Item = (Key<'_>, bool, &EventArg)> {
    let mut pos = 0;
    args.iter().map(move |a| match &a.kind {
        ArgKind::Positional => {
            pos += 1;
            (Key::Pos(pos - 1), false, a)
        }
        ArgKind::Equals(k) => (Key::Name(k.as_str()), false, a),
        ArgKind::NotEquals(k) => (Key::Name(k.as_str()), true, a),
    })
}

/// Whether a pattern can match a value. `KEY!=P` with the key missing is
/// no match, as in Upstart.
fn compatible(pat: &Pat, negated: bool, val: &Val<'_>) -> bool {
    match (pat, val) {
        (_, Val::Absent) | (Pat::Never, _) => false,
        (Pat::Any, _) | (_, Val::Unknown) => true,
        (Pat::Glob(p), Val::Known(v)) => fnmatch(p, v) != negated,
        (Pat::Glob(p), Val::OneOf(vs)) => vs.iter().any(|v| fnmatch(p, v) != negated),
    }
}

fn describe_val(val: &Val<'_>) -> String {
    match val {
        Val::Known(v) => format!("`{v}`"),
        Val::OneOf(vs) => vs
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(" or "),
        Val::Unknown => "unknown".to_owned(),
        Val::Absent => "absent".to_owned(),
    }
}

fn key_name(key: Key<'_>) -> String {
    match key {
        Key::Pos(i) => format!("argument {}", i + 1),
        Key::Name(k) => format!("`{k}`"),
    }
}

/// The `JOB` pattern of a job-event match: positional 1 or `JOB=`.
fn job_pattern(m: &EventMatch) -> Option<&EventArg> {
    keys(&m.args)
        .find(|(k, neg, _)| !neg && matches!(k, Key::Pos(0) | Key::Name("JOB")))
        .map(|(_, _, a)| a)
}

impl<'a> Model<'a> {
    pub(super) fn classify(
        &mut self,
        cx: &mut BuildCx<'a>,
        which: Which,
        m: &'a EventMatch,
    ) -> LeafKind {
        let name = m.event.value.as_str();
        if let Some(event) = JobEvent::from_name(name) {
            return self.classify_job_event(cx, which, m, event);
        }
        let base = name.strip_suffix("/failed");
        let failed =
            base.is_some_and(|b| JobEvent::from_name(b).is_some() || self.known_outside(b));
        let wk = well_known(name);
        let emitters: Vec<u32> = self.emits.owners(name).into_iter().map(index).collect();
        let assumed = self.assumed.matches(name);
        if wk.is_none() && emitters.is_empty() && !assumed && !failed {
            return LeafKind::Unknown;
        }
        let at_boot = emitters.is_empty() && (assumed || wk.is_some_and(|w| w.at_boot));
        let mut outside = Outside {
            well_known: wk,
            emitters,
            assumed,
            failed,
            excluded: false,
            system_job: false,
            at_boot,
            args: Ok(()),
            boot_args: true,
            emit_set: None,
        };
        outside.args = outside_args(name, &outside.carries(), m, which, false);
        outside.boot_args = outside.args.is_ok()
            && (name != "runlevel"
                || outside_args(name, &outside.carries(), m, which, true).is_ok());
        // For the boot preview a declared event comes once a job that
        // declares it has started, unless it is known not to be a boot event
        // (`socket`, `:sys:restarted`, `failsafe-boot`).
        if outside.declared() && wk.is_none_or(|w| w.at_boot) {
            outside.emit_set = Some(self.emit_set(cx, name, &outside.emitters));
        }
        LeafKind::Outside(outside)
    }

    fn known_outside(&self, name: &str) -> bool {
        well_known(name).is_some() || self.emits.matches(name) || self.assumed.matches(name)
    }

    fn emit_set(&mut self, cx: &mut BuildCx<'a>, name: &str, emitters: &[u32]) -> u32 {
        if let Some(&s) = cx.emit_sets.get(name) {
            return s;
        }
        let s = index(self.sets.len());
        self.sets.push(CandSet {
            kind: SetKind::Emits,
            members: Some(emitters.to_vec()),
            leaves: Vec::new(),
        });
        cx.emit_sets.insert(name.to_owned(), s);
        s
    }

    fn classify_job_event(
        &mut self,
        cx: &mut BuildCx<'a>,
        which: Which,
        m: &'a EventMatch,
        event: JobEvent,
    ) -> LeafKind {
        let job_arg = job_pattern(m);
        // `started foo`: one literal name, nothing else.
        if let ([arg], Some(list)) = (
            m.args.as_slice(),
            job_arg.and_then(|a| self.by_name.get(a.value.as_str())),
        ) {
            if matches!(arg.kind, ArgKind::Positional)
                && literal_text(&arg.value).as_deref() == Some(arg.value.as_str())
            {
                let key = (event, arg.value.as_str());
                let set = match cx.named_sets.get(&key) {
                    Some(&s) => s,
                    None => {
                        let s = index(self.sets.len());
                        let members = list.clone();
                        self.sets.push(CandSet {
                            kind: SetKind::Job(event),
                            members: Some(members),
                            leaves: Vec::new(),
                        });
                        cx.named_sets.insert(key, s);
                        s
                    }
                };
                return LeafKind::Job {
                    event,
                    set: Some(set),
                    dead: None,
                    missing_job: None,
                };
            }
        }
        // Names the job pattern can match, before the other arguments.
        let named: Option<Vec<u32>> = match job_arg.map(|a| pattern(&a.value, which)) {
            None | Some(Pat::Any) => None,
            Some(Pat::Never) => Some(Vec::new()),
            Some(Pat::Glob(p)) => Some(self.jobs_named(cx, &p)),
        };
        if let (Some(a), Some(list)) = (job_arg, &named) {
            if list.is_empty() {
                if let Pat::Glob(p) = pattern(&a.value, which) {
                    let lit = literal_text(&p).unwrap_or_else(|| p.clone());
                    let excluded = self.excluded.contains(&lit)
                        || self.excluded.iter().any(|x| fnmatch(&p, x));
                    let system = literal_text(&p).and_then(|l| well_known_job(&l));
                    if excluded || system.is_some() {
                        let at_boot = excluded
                            || system
                                .is_some_and(|(_, boot, task)| boot && (!event.is_stop() || task));
                        return LeafKind::Outside(Outside {
                            well_known: None,
                            emitters: Vec::new(),
                            assumed: false,
                            failed: false,
                            excluded,
                            system_job: system.is_some(),
                            at_boot,
                            args: Ok(()),
                            boot_args: true,
                            emit_set: None,
                        });
                    }
                    return LeafKind::Job {
                        event,
                        set: None,
                        dead: Some(Dead {
                            span: a.span,
                            reason: if literal_text(&p).is_some() {
                                format!("there is no job named `{lit}`")
                            } else {
                                format!("no job's name matches `{p}`")
                            },
                        }),
                        missing_job: Some(lit),
                    };
                }
                return LeafKind::Job {
                    event,
                    set: None,
                    dead: Some(Dead {
                        span: a.span,
                        reason: "`start on` never expands variables, so this never matches"
                            .to_owned(),
                    }),
                    missing_job: None,
                };
            }
        }
        let key = (event, which, canonical_args(m));
        if let Some(&set) = cx.job_sets.get(&key) {
            return LeafKind::Job {
                event,
                set: Some(set),
                dead: None,
                missing_job: None,
            };
        }
        let all: Vec<u32>;
        let names: &[u32] = match &named {
            Some(list) => list,
            None => {
                all = (0..index(self.jobs.len())).collect();
                &all
            }
        };
        let mut members = Vec::new();
        let mut first_failure: Option<Dead> = None;
        for &j in names {
            match self.args_match(j, event, which, m) {
                Ok(()) => members.push(j),
                Err(d) => {
                    if first_failure.is_none() {
                        first_failure = Some(d);
                    }
                }
            }
        }
        if members.is_empty() {
            return LeafKind::Job {
                event,
                set: None,
                dead: first_failure.or(Some(Dead {
                    span: m.span,
                    reason: "there are no jobs".to_owned(),
                })),
                missing_job: None,
            };
        }
        let set = if members.len() == self.jobs.len() {
            match self.any_sets.get(event.index()).copied().flatten() {
                Some(s) => s,
                None => {
                    let s = index(self.sets.len());
                    self.sets.push(CandSet {
                        kind: SetKind::Job(event),
                        members: None,
                        leaves: Vec::new(),
                    });
                    if let Some(slot) = self.any_sets.get_mut(event.index()) {
                        *slot = Some(s);
                    }
                    s
                }
            }
        } else {
            let s = index(self.sets.len());
            self.sets.push(CandSet {
                kind: SetKind::Job(event),
                members: Some(members),
                leaves: Vec::new(),
            });
            s
        };
        cx.job_sets.insert(key, set);
        LeafKind::Job {
            event,
            set: Some(set),
            dead: None,
            missing_job: None,
        }
    }

    fn jobs_named(&self, cx: &mut BuildCx<'a>, p: &str) -> Vec<u32> {
        if let Some(lit) = literal_text(p) {
            return self.by_name.get(lit.as_str()).cloned().unwrap_or_default();
        }
        if let Some(list) = cx.globs.get(p) {
            return list.clone();
        }
        // Only names that start with the pattern's literal prefix can match:
        // a binary search in the sorted names, not a scan of every job.
        if cx.sorted.len() != self.jobs.len() {
            cx.sorted = (0..index(self.jobs.len()))
                .map(|j| (self.name(j), j))
                .collect();
            cx.sorted.sort_unstable();
        }
        let prefix = p
            .find(['*', '?', '[', '\\'])
            .and_then(|i| p.get(..i))
            .unwrap_or(p);
        let from = cx.sorted.partition_point(|(n, _)| *n < prefix);
        let mut list: Vec<u32> = cx
            .sorted
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|(n, _)| n.starts_with(prefix))
            .filter(|(n, _)| fnmatch(p, n))
            .map(|&(_, j)| j)
            .collect();
        list.sort_unstable();
        cx.globs.insert(p.to_owned(), list.clone());
        list
    }

    /// Whether every argument of `m` can match `event` of job `j`.
    fn args_match(
        &self,
        j: u32,
        event: JobEvent,
        which: Which,
        m: &EventMatch,
    ) -> Result<(), Dead> {
        let (Some(job), Some(info)) = (self.job(j), self.info.get(j as usize)) else {
            return Err(Dead {
                span: m.span,
                reason: "no such job".to_owned(),
            });
        };
        for (key, negated, arg) in keys(&m.args) {
            let pat = pattern(&arg.value, which);
            let val = job_value(job, info, event, key);
            if compatible(&pat, negated, &val) {
                continue;
            }
            let reason = match (&pat, &val) {
                (Pat::Never, _) => {
                    "`start on` never expands variables, so this never matches".to_owned()
                }
                (_, Val::Absent) => format!(
                    "`{} {}` carries no {}",
                    event.name(),
                    job.name,
                    key_name(key)
                ),
                _ => format!(
                    "{} of `{} {}` is {}, which `{}` {}",
                    key_name(key),
                    event.name(),
                    job.name,
                    describe_val(&val),
                    arg.value,
                    if negated {
                        "always matches"
                    } else {
                        "does not match"
                    }
                ),
            };
            return Err(Dead {
                span: arg.span,
                reason,
            });
        }
        Ok(())
    }
}

/// Whether the arguments can match an outside event that carries `carries`;
/// with `boot`, against the values of a normal boot (`runlevel 2`).
fn outside_args(
    name: &str,
    carries: &Carries,
    m: &EventMatch,
    which: Which,
    boot: bool,
) -> Result<(), Dead> {
    for (key, negated, arg) in keys(&m.args) {
        let val = match (boot, name, key) {
            (true, "runlevel", Key::Pos(0) | Key::Name("RUNLEVEL")) => Val::Known("2"),
            (true, "runlevel", Key::Pos(1) | Key::Name("PREVLEVEL")) => Val::Known("N"),
            _ => match (carries, key) {
                (Carries::Unknown | Carries::Starts(_), _) => Val::Unknown,
                (Carries::Exactly(vars), Key::Pos(i)) => {
                    if i < vars.len() {
                        Val::Unknown
                    } else {
                        Val::Absent
                    }
                }
                (Carries::Exactly(vars), Key::Name(k)) => {
                    if vars.contains(&k) {
                        Val::Unknown
                    } else {
                        Val::Absent
                    }
                }
            },
        };
        let pat = pattern(&arg.value, which);
        if !compatible(&pat, negated, &val) {
            let reason = match (&pat, &val, carries) {
                (Pat::Never, ..) => {
                    "`start on` never expands variables, so this never matches".to_owned()
                }
                (_, Val::Absent, Carries::Exactly([])) => format!("`{name}` carries no variables"),
                (_, Val::Absent, _) => format!("`{name}` carries no {}", key_name(key)),
                _ => format!("`{name}` does not match `{}` at boot", arg.value),
            };
            return Err(Dead {
                span: arg.span,
                reason,
            });
        }
    }
    Ok(())
}

/// The argument list as text, the key of shared candidate sets.
fn canonical_args(m: &EventMatch) -> String {
    let mut s = String::new();
    for a in &m.args {
        match &a.kind {
            ArgKind::Positional => s.push('\u{1}'),
            ArgKind::Equals(k) => {
                s.push_str(k);
                s.push('\u{2}');
            }
            ArgKind::NotEquals(k) => {
                s.push_str(k);
                s.push('\u{3}');
            }
        }
        s.push_str(&a.value);
        s.push('\u{0}');
    }
    s
}
