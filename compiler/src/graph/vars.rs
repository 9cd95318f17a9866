//! Variable flow (W0025, W0026): which variables a job's environment can
//! hold, and the uses and `export`s of variables it never holds.
//!
//! A job's environment is init's table (`PATH`, `TERM`), its `env` stanzas,
//! the environment of the events that started it and `UPSTART_EVENTS`;
//! every process also gets `UPSTART_JOB` and `UPSTART_INSTANCE`, and
//! `pre-stop`/`post-stop` the stop events' environment and
//! `UPSTART_STOP_EVENTS` (runtime-semantics.md 9). Job events carry `JOB`,
//! `INSTANCE`, for `stopping`/`stopped` also `RESULT`, `PROCESS`,
//! `EXIT_STATUS`, `EXIT_SIGNAL`, and the emitting job's `export`s; `startup`
//! and init's signal events carry nothing. An event from outside (declared,
//! assumed, well-known, or one nothing is known to emit) may carry anything,
//! so a job such an event can start is not checked at all, nor is a job
//! with no `start on` (`start JOB VAR=...` can pass anything).
//!
//! Uses: the `instance` template and `stop on` values, which Upstart itself
//! expands (an unknown variable there is an error at run time: the instance
//! cannot be named, the `stop on` never matches); `env` values, which
//! Upstart never expands at all; and `exec`/`script`, which the shell
//! expands, read conservatively by [`crate::shell::vars`]. In a script only names
//! that some event of the set is known to carry are reported (job-event
//! variables, `export`s, keys that event matches test, the variables of the
//! well-known events): a script using `$ARGS` with no event carrying `ARGS`
//! is reading an optional setting (`initctl set-env`, `start JOB ARGS=...`),
//! not making a mistake about events.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::cond::ArgKind;
use crate::diag::{Code, Diagnostic};
use crate::sema::ir::ProcessKind;
use crate::sema::ir::{JobClass, Process, ProcessBody};
use crate::source::{FileId, Span};
use upc_bundle::expand::{expand_with, is_variable_name, Reason};

use super::engine::Outcome;
use super::events::Carries;
use super::fx::{FxMap, FxSet};
use super::model::{LeafKind, Model};
use crate::shell::vars as shell;

/// Always in a job's environment (init's table and per-process additions).
const FROM_INIT: &[&str] = &[
    "PATH",
    "TERM",
    "UPSTART_JOB",
    "UPSTART_INSTANCE",
    "UPSTART_EVENTS",
    "UPSTART_FDS",
    "UPSTART_SESSION",
];

const JOB_EVENT_VARS: &[&str] = &["JOB", "INSTANCE"];
const STOP_EVENT_VARS: &[&str] = &["RESULT", "PROCESS", "EXIT_STATUS", "EXIT_SIGNAL"];

/// Variables well-known events carry (spec/standard-jobs.md 4).
const OUTSIDE_EVENT_VARS: &[&str] = &[
    "INIT_HALT",
    "IFACE",
    "LOGICAL",
    "ADDRFAM",
    "METHOD",
    "MOUNTPOINT",
    "TYPE",
    "DEVICE",
    "FSTYPE",
    "OPTIONS",
    "DEVPATH",
    "DEVNAME",
    "SUBSYSTEM",
    "ACTION",
    "KERNEL",
    "INTERFACE",
    "PRIMARY_DEVICE_FOR_DISPLAY",
    "CONTAINER",
];

/// Names a shell or the system provides that no job sets: never reported
/// when a script uses them.
const AMBIENT: &[&str] = &[
    "HOME",
    "PWD",
    "OLDPWD",
    "IFS",
    "RANDOM",
    "LINENO",
    "PPID",
    "UID",
    "EUID",
    "GROUPS",
    "HOSTNAME",
    "HOSTTYPE",
    "OSTYPE",
    "MACHTYPE",
    "OPTARG",
    "OPTIND",
    "OPTERR",
    "REPLY",
    "SECONDS",
    "SHELL",
    "SHELLOPTS",
    "SHLVL",
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "USER",
    "LOGNAME",
    "USERNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TMP",
    "TEMP",
    "MAIL",
    "MAILPATH",
    "DISPLAY",
    "XAUTHORITY",
    "DESKTOP_SESSION",
    "SESSION",
    "SESSIONTYPE",
    "GDMSESSION",
    "FUNCNAME",
    "PIPESTATUS",
    "HISTFILE",
    "COLUMNS",
    "LINES",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "CONSOLE",
    "BOOT_IMAGE",
    "INIT_VERBOSE",
    "RUNLEVEL",
    "PREVLEVEL",
    "LIBVIRT_LXC_UUID",
    "UPSTART_STOP_EVENTS",
    "LISTEN_FDS",
    "LISTEN_PID",
    "NOTIFY_SOCKET",
    "POSIXLY_CORRECT",
    "CDPATH",
    "ENV",
    "FCEDIT",
    "HISTSIZE",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "JAVA_HOME",
];

const AMBIENT_PREFIXES: &[&str] = &[
    "LC_", "XDG_", "UPSTART_", "BASH", "SSH_", "SUDO_", "DBUS_", "GTK_", "QT_", "KDE_", "GNOME_",
];

fn ambient(name: &str) -> bool {
    AMBIENT.contains(&name) || AMBIENT_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// A name that looks like a job-environment variable (upper case, digits,
/// underscores; two characters at least): lower-case names in scripts are
/// almost always the script's own.
fn env_like(name: &str) -> bool {
    name.len() >= 2
        && name.bytes().any(|b| b.is_ascii_uppercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// The variables the events of one tree carry; `None` when one of them may
/// carry anything.
fn tree_vars<'m>(
    model: &Model<'m>,
    t: u32,
    all_exports: &FxSet<&'m str>,
    set_exports: &mut FxMap<u32, Vec<&'m str>>,
) -> Option<FxSet<&'m str>> {
    let mut out: FxSet<&'m str> = FxSet::default();
    for l in model.tree_leaves(t) {
        let leaf = model.leaf(l)?;
        match &leaf.kind {
            LeafKind::Outside(o) => match o.carries() {
                Carries::Exactly(vars) => out.extend(vars.iter().copied()),
                Carries::Starts(_) | Carries::Unknown => return None,
            },
            LeafKind::Unknown
            | LeafKind::Job {
                missing_job: Some(_),
                ..
            } => return None,
            LeafKind::Job { event, set, .. } => {
                out.extend(JOB_EVENT_VARS.iter().copied());
                if event.is_stop() {
                    out.extend(STOP_EVENT_VARS.iter().copied());
                }
                let Some(id) = *set else { continue };
                let Some(s) = model.sets.get(id as usize) else {
                    continue;
                };
                match &s.members {
                    // The union of a set's exports is computed once per set.
                    Some(members) => {
                        let union = set_exports.entry(id).or_insert_with(|| {
                            let mut u: Vec<&'m str> = members
                                .iter()
                                .filter_map(|&m| model.job(m))
                                .flat_map(|job| job.export.iter().map(|e| e.value.as_str()))
                                .collect();
                            u.sort_unstable();
                            u.dedup();
                            u
                        });
                        out.extend(union.iter().copied());
                    }
                    None => out.extend(all_exports.iter().copied()),
                }
            }
        }
    }
    Some(out)
}

/// Every name some event of this job set is known to carry: job-event
/// variables, every `export`, every key an event match tests, and the
/// variables of the well-known events. A script's use of a name outside
/// this list is the script's own business (an optional setting, something
/// `initctl set-env` provides), not a mistake about events.
fn event_vocabulary<'m>(model: &Model<'m>, all_exports: &FxSet<&'m str>) -> FxSet<&'m str> {
    let mut v: FxSet<&'m str> = JOB_EVENT_VARS
        .iter()
        .chain(STOP_EVENT_VARS)
        .chain(OUTSIDE_EVENT_VARS)
        .copied()
        .collect();
    v.extend(all_exports.iter().copied());
    for leaf in &model.leaves {
        for a in &leaf.m.args {
            if let ArgKind::Equals(k) | ArgKind::NotEquals(k) = &a.kind {
                v.insert(k.as_str());
            }
        }
    }
    v
}

/// Checks every job that can start. Each job is checked on its own (what
/// the set contributes is read from `model`, shared), so the jobs are
/// split over the rayon pool; their diagnostics come back in job order,
/// exactly as one thread would have produced them.
pub fn run(model: &Model<'_>, reach: &Outcome, out: &mut Vec<Diagnostic>) {
    let all_exports: FxSet<&str> = model
        .jobs
        .iter()
        .flat_map(|j| j.export.iter().map(|e| e.value.as_str()))
        .collect();
    let vocabulary = event_vocabulary(model, &all_exports);
    let per_job: Vec<Vec<Diagnostic>> = (0..model.info.len())
        .into_par_iter()
        .with_min_len(64)
        .map_init(FxMap::default, |set_exports, j| {
            let mut found = Vec::new();
            check_job(
                model,
                reach,
                super::model::index(j),
                &all_exports,
                &vocabulary,
                set_exports,
                &mut found,
            );
            found
        })
        .collect();
    out.extend(per_job.into_iter().flatten());
}

fn check_job<'m>(
    model: &Model<'m>,
    reach: &Outcome,
    j: u32,
    all_exports: &FxSet<&'m str>,
    vocabulary: &FxSet<&'m str>,
    set_exports: &mut FxMap<u32, Vec<&'m str>>,
    out: &mut Vec<Diagnostic>,
) {
    let Some(info) = model.info.get(j as usize) else {
        return;
    };
    let (Some(start), Some(job)) = (info.start, model.job(j)) else {
        return;
    };
    if !reach.starts(j) {
        return;
    }
    let Some(start_vars) = tree_vars(model, start, all_exports, set_exports) else {
        return;
    };
    let mut avail = start_vars;
    avail.extend(FROM_INIT.iter().copied());
    for e in &job.env {
        avail.insert(e.value.split('=').next().unwrap_or(""));
    }
    let stop_vars = info
        .stop
        .and_then(|t| tree_vars(model, t, all_exports, set_exports));
    let start_span = model
        .tree(start)
        .map_or((job.file, Span::default()), |t| (t.file, t.span));
    JobCheck {
        model,
        job,
        avail: &avail,
        stop_vars: stop_vars.as_ref(),
        has_stop_on: info.stop.is_some(),
        start_on: start_span,
        vocabulary,
        reported: HashSet::new(),
        out,
    }
    .run(info.stop);
}

struct JobCheck<'c, 'a> {
    model: &'c Model<'a>,
    job: &'a JobClass,
    avail: &'c FxSet<&'a str>,
    /// What the stop events carry (`None`: unknown or no `stop on`).
    stop_vars: Option<&'c FxSet<&'a str>>,
    has_stop_on: bool,
    start_on: (FileId, Span),
    vocabulary: &'c FxSet<&'a str>,
    reported: HashSet<String>,
    out: &'c mut Vec<Diagnostic>,
}

impl JobCheck<'_, '_> {
    fn run(mut self, stop_tree: Option<u32>) {
        let name = self.job.name.clone();
        // `instance`: expanded by Upstart when the job is started.
        for var in missing_upstart(&self.job.instance, self.avail) {
            let (file, span) = self.start_on;
            self.report(
                &var,
                file,
                span,
                format!("`instance {}` uses `${var}`", self.job.instance),
                "the instance name cannot be expanded, so the job fails to start (\"Failed to obtain instance\")",
            );
        }
        // `stop on` values: expanded against the instance's environment.
        if let Some(t) = stop_tree {
            let file = self.model.tree(t).map_or(self.job.file, |x| x.file);
            for l in self.model.tree_leaves(t) {
                let Some(leaf) = self.model.leaf(l) else {
                    continue;
                };
                for arg in &leaf.m.args {
                    for var in missing_upstart(&arg.value, self.avail) {
                        self.report(
                            &var,
                            file,
                            arg.span,
                            format!("`stop on` matches against `${var}`"),
                            "the expansion fails, so this match never matches and the job is not stopped by it",
                        );
                    }
                }
            }
        }
        // `env` values: never expanded by Upstart.
        for e in &self.job.env {
            let Some((_, value)) = e.value.split_once('=') else {
                continue;
            };
            let scan = shell::scan(value);
            for (var, _) in scan.uses {
                if is_variable_name(&var)
                    && !self.avail.contains(var.as_str())
                    && env_like(&var)
                    && !ambient(&var)
                {
                    self.report(
                        &var,
                        e.origin.file,
                        e.origin.span,
                        format!("`env` uses `${var}`"),
                        "Upstart copies `env` values verbatim: the process sees the text `$` and the name, \
                         not a value",
                    );
                }
            }
        }
        // Processes: only what the shell would take from the environment.
        let procs = &self.job.processes;
        let mut scans: Vec<(ProcessKind, &Process, shell::Scan)> = Vec::new();
        for kind in ProcessKind::ALL {
            if let Some(p) = procs.get(kind) {
                let text = match &p.body {
                    ProcessBody::Exec(c) | ProcessBody::Script(c) => c,
                };
                scans.push((kind, p, shell::scan(text)));
            }
        }
        if scans.iter().any(|(_, _, s)| s.opaque) {
            return;
        }
        let mut set_anywhere: HashSet<&str> = HashSet::new();
        for (_, _, s) in &scans {
            set_anywhere.extend(s.assigned.iter().map(String::as_str));
            set_anywhere.extend(s.optional.iter().map(String::as_str));
        }
        for (kind, p, s) in &scans {
            let stop_proc = matches!(kind, ProcessKind::PreStop | ProcessKind::PostStop);
            if stop_proc && self.has_stop_on && self.stop_vars.is_none() {
                continue;
            }
            for (var, at) in &s.uses {
                if set_anywhere.contains(var.as_str())
                    || !self.vocabulary.contains(var.as_str())
                    || self.avail.contains(var.as_str())
                    || !env_like(var)
                    || ambient(var)
                    || (stop_proc && self.stop_vars.is_some_and(|v| v.contains(var.as_str())))
                {
                    continue;
                }
                let (span, place) = process_place(p, *kind, *at);
                self.report(
                    var,
                    p.origin.file,
                    span,
                    format!("the {place} uses `${var}`"),
                    "some events carry it, but not those that start this job: the shell expands it \
                     to an empty string",
                );
            }
        }
        let _ = name;
        self.exports();
    }

    fn exports(&mut self) {
        for e in &self.job.export {
            if self.avail.contains(e.value.as_str()) || !is_variable_name(&e.value) {
                continue;
            }
            let name = &self.job.name;
            self.out.push(
                Diagnostic::new(
                    Code::ExportNeverSet,
                    e.origin.file,
                    e.origin.span,
                    format!("`{name}` exports `{}`, which it never has", e.value),
                )
                .with_label("no `env` stanza sets it, and no event that can start the job carries it")
                .with_note(
                    "`export` only copies variables of the job's environment into its events; a variable \
                     a script sets is not in it",
                )
                .with_help(format!("set it with `env {}=...`, or remove the `export`", e.value)),
            );
        }
    }

    fn report(&mut self, var: &str, file: FileId, span: Span, label: String, consequence: &str) {
        if !self.reported.insert(var.to_owned()) {
            return;
        }
        let name = &self.job.name;
        let mut d = Diagnostic::new(
            Code::MissingVariable,
            file,
            span,
            format!("`${var}` is never set for `{name}`"),
        )
        .with_label(label)
        .with_note(format!(
            "no `env` stanza sets `{var}` and no event that can start `{name}` carries it; {consequence}"
        ));
        let (sfile, sspan) = self.start_on;
        if (sfile, sspan) != (file, span) {
            d = d.with_secondary(sfile, sspan, "the events that can start the job");
        }
        self.out
            .push(d.with_help(format!("give it a default with `env {var}=...`")));
    }
}

/// The variables `text` needs that `avail` lacks, under Upstart's own
/// expansion rules (a `${VAR:-x}` default is fine, a bare `$VAR` is not).
fn missing_upstart(text: &str, avail: &FxSet<&str>) -> Vec<String> {
    let mut missing: Vec<String> = Vec::new();
    if !text.contains('$') {
        return missing;
    }
    for _ in 0..64 {
        let lookup =
            |n: &str| (avail.contains(n) || missing.iter().any(|m| m == n)).then(|| n.to_owned());
        match expand_with(text, lookup).map_err(|e| e.reason) {
            Err(Reason::UnknownParameter(n)) if !missing.contains(&n) => missing.push(n),
            _ => break,
        }
    }
    missing
}

/// Where to point for a use in a process: the exact reference on an
/// `exec` line, the stanza's keyword for a script (whose text is
/// de-indented), with a line number.
fn process_place(p: &Process, kind: ProcessKind, at: usize) -> (Span, String) {
    let start = p.origin.span.start as usize;
    let end = p.origin.span.end as usize;
    match &p.body {
        ProcessBody::Exec(cmd) => {
            let place = format!("`{}exec` command", prefix(kind));
            match end.checked_sub(cmd.len()) {
                Some(cmd_start) if cmd_start >= start => {
                    let name_len = cmd.get(at + 1..).map_or(1, |r| {
                        1 + r
                            .bytes()
                            .take_while(|&b| {
                                b.is_ascii_alphanumeric() || b == b'_' || b == b'{' || b == b'}'
                            })
                            .count()
                    });
                    (Span::new(cmd_start + at, cmd_start + at + name_len), place)
                }
                _ => (Span::new(start, end), place),
            }
        }
        ProcessBody::Script(text) => {
            let line = text.get(..at).map_or(0, |t| t.matches('\n').count()) + 1;
            let keyword = match kind {
                ProcessKind::Main => "script".len(),
                k => k.name().len(),
            };
            (
                Span::new(start, (start + keyword).min(end.max(start))),
                format!("`{}script` (line {line} of its body)", prefix(kind)),
            )
        }
    }
}

fn prefix(kind: ProcessKind) -> String {
    match kind {
        ProcessKind::Main => String::new(),
        k => format!("{} ", k.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstart_references_respect_defaults() {
        let avail: FxSet<&str> = ["A"].into_iter().collect();
        assert_eq!(missing_upstart("$A-$B-${C}", &avail), ["B", "C"]);
        assert!(missing_upstart("${B:-x}${C-y}", &avail).is_empty());
        assert_eq!(missing_upstart("${B:-$D}", &avail), ["D"]);
        assert!(missing_upstart("plain", &avail).is_empty());
    }

    #[test]
    fn env_like_names() {
        assert!(env_like("DAEMON_OPTS"));
        assert!(!env_like("pidfile"));
        assert!(!env_like("X"));
        assert!(ambient("LC_ALL") && ambient("HOME") && !ambient("PORT"));
    }
}
