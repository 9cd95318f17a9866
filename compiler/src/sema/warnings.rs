//! Warnings about what Upstart accepts but almost certainly does not do what
//! the author meant. Never errors: a file that Upstart loads must stay
//! loadable.
//!
//! Two kinds live here: checks of one `start on`/`stop on` expression
//! (run when the stanza is lowered, so each one is reported where it is
//! written, even if a later stanza replaces it), and checks of the finished
//! class (run once, after the `.conf` and the `.override` are merged).
//! Checks that are about something *missing* (no `respawn`, no main process,
//! no process at all) are skipped when a stanza of the job failed to parse:
//! the missing stanza may be the broken one.

use crate::diag::{Code, Diagnostic};
use crate::shell::forks;
use crate::source::{FileId, Span};
use crate::syntax::ast::{ArgKind, Binary, EventArg, Expr};
use upc_bundle::expand::{expand_with, ExpandError, Reason};

use super::ir::{Expect, JobClass, Origin, ProcessBody};

/// What the class-level checks need to know beyond the class itself.
#[derive(Debug, Clone)]
pub(super) struct Facts {
    /// The last `task` stanza.
    pub task: Option<Origin>,
    /// The last `respawn limit` stanza.
    pub respawn_limit: Option<Origin>,
    /// The `expect` stanza that set the current mode.
    pub expect: Option<Origin>,
    /// The first stanza of the job (for whole-job warnings).
    pub first_stanza: Option<Origin>,
    /// A stanza of some part failed to parse.
    pub parse_errors: bool,
    /// Every stanza so far only documents or sets the environment
    /// (`description`, `author`, `version`, `usage`, `env`, `export`, `emits`).
    pub only_inert: bool,
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            task: None,
            respawn_limit: None,
            expect: None,
            first_stanza: None,
            parse_errors: false,
            only_inert: true,
        }
    }
}

/// Checks one `start on` (`start_on == true`) or `stop on` expression.
pub(super) fn expression(expr: &Expr, file: FileId, start_on: bool, out: &mut Vec<Diagnostic>) {
    ambiguous_precedence(expr, file, out);
    if start_on {
        variables_in_start_on(expr, file, out);
    }
}

/// W0008: `a or b and c` is `(a or b) and c` in Upstart (equal precedence,
/// left to right), which is rarely what the author meant. Reported for every
/// binary node one of whose operands is an unparenthesized binary node with
/// the other operator. The parent's own parentheses do not matter: in
/// `(a or b and c)` the ambiguity is inside them.
fn ambiguous_precedence(expr: &Expr, file: FileId, out: &mut Vec<Diagnostic>) {
    // Iterative: a chain of operators is a tree as deep as it is long.
    let mut stack = vec![expr];
    while let Some(Expr::Binary(parent)) = stack.pop() {
        for child in [&parent.left, &parent.right] {
            if let Expr::Binary(inner) = child {
                if !inner.parenthesized && inner.op != parent.op {
                    out.push(precedence_warning(parent, inner, file));
                }
                stack.push(child);
            }
        }
    }
}

fn precedence_warning(parent: &Binary, inner: &Binary, file: FileId) -> Diagnostic {
    let d = Diagnostic::new(
        Code::AmbiguousPrecedence,
        file,
        parent.op_span,
        format!(
            "`{}` and `{}` mixed without parentheses",
            inner.op.as_str(),
            parent.op.as_str()
        ),
    )
    .with_label(format!(
        "this `{}` applies to everything before it",
        parent.op.as_str()
    ))
    .with_secondary(
        file,
        inner.op_span,
        format!("this `{}` is grouped first", inner.op.as_str()),
    )
    .with_note("`and` and `or` have equal precedence in Upstart and group from left to right");
    // Spelling the grouping out helps for a short expression; for a huge
    // one it would be unreadable (and quadratic over many warnings).
    const SHOWN: usize = 200;
    let left = parent.left.canonical_within(SHOWN);
    let right = parent.right.canonical_within(SHOWN);
    match (left, right) {
        (Some(l), Some(r)) if l.len() + r.len() < SHOWN => d.with_help(format!(
            "Upstart reads this as `({l} {} {r})`; add parentheses to say so",
            parent.op.as_str()
        )),
        _ => d.with_help("add parentheses to say which grouping you mean"),
    }
}

/// W0007: `start on` values are expanded against an empty environment, so a
/// reference without a default never resolves and the match never succeeds.
/// The expansion is the runtime's own ([`upc_bundle::expand`]), so what is
/// reported here is exactly what upinit will fail to expand.
fn variables_in_start_on(expr: &Expr, file: FileId, out: &mut Vec<Diagnostic>) {
    for m in expr.matches() {
        for arg in &m.args {
            if !arg.value.contains('$') {
                continue;
            }
            let Err(e) = expand_with(&arg.value, |_| None::<&str>) else {
                continue;
            };
            let span = reference_span(arg, &e);
            let (message, label, help) = match e.reason {
                Reason::UnknownParameter(name) => (
                    format!("`${name}` in `start on` never matches"),
                    "no variable is set when `start on` is matched".to_string(),
                    format!(
                        "give a default (`${{{name}:-VALUE}}`) or write the value itself; \
                         to match a literal `$`, write `${{}}`"
                    ),
                ),
                other => (
                    "a malformed variable reference in `start on` never matches".to_string(),
                    describe(&other),
                    "to match a literal `$`, write `${}`".to_string(),
                ),
            };
            out.push(
                Diagnostic::new(Code::VariableInStartOn, file, span, message)
                    .with_label(label)
                    .with_note(format!(
                        "Upstart expands `start on` values in an empty environment before matching \
                         `{}`; when that fails, the match silently fails",
                        m.event.value
                    ))
                    .with_help(help),
            );
        }
    }
}

fn describe(reason: &Reason) -> String {
    match reason {
        Reason::UnknownParameter(name) => format!("`{name}` is not set"),
        Reason::IllegalParameter(name) => format!("`{name}` is not a variable name"),
        Reason::ExpectedOperator => {
            "expected `}`, `-`, `+`, `:-` or `:+` after the name".to_string()
        }
        Reason::MismatchedBraces => "`${` is never closed".to_string(),
        Reason::TooDeep => format!(
            "`${{` is nested more than {} deep, which upinit refuses to expand",
            upc_bundle::limits::MAX_EXPANSION_DEPTH
        ),
    }
}

/// Where in the source the failing reference is: the `$NAME` itself, or
/// from its `${` to the end of the argument, when the argument is written
/// verbatim (no quotes or escapes, so value offsets are source offsets);
/// otherwise the whole argument.
fn reference_span(arg: &EventArg, e: &ExpandError) -> Span {
    let key = match &arg.kind {
        ArgKind::Positional => 0,
        ArgKind::Equals(k) => k.len() + 1,
        ArgKind::NotEquals(k) => k.len() + 2,
    };
    let (start, end) = (arg.span.start as usize, arg.span.end as usize);
    if end - start != key + arg.value.len() {
        return arg.span;
    }
    let at = start + key + e.at;
    match &e.reason {
        Reason::UnknownParameter(name) if arg.value.get(e.at + 1..e.at + 2) != Some("{") => {
            Span::new(at, at + 1 + name.len())
        }
        _ => Span::new(at, end),
    }
}

/// Class-level checks, after every part is applied.
pub(super) fn job(class: &JobClass, facts: &Facts, out: &mut Vec<Diagnostic>) {
    respawn_limit_without_respawn(class, facts, out);
    task_without_main(class, facts, out);
    task_with_expect(class, facts, out);
    expect_with_shell(class, facts, out);
    ready_fd_of_the_script(class, facts, out);
    upstart_extension(class, facts, out);
    empty_job(class, facts, out);
}

/// W0005.
fn respawn_limit_without_respawn(class: &JobClass, facts: &Facts, out: &mut Vec<Diagnostic>) {
    let Some(at) = facts.respawn_limit else {
        return;
    };
    if class.respawn || facts.parse_errors {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::RespawnLimitWithoutRespawn,
            at.file,
            at.span,
            "`respawn limit` without `respawn` does nothing",
        )
        .with_label("this limit never applies")
        .with_note("`respawn limit` only sets the rate limit; it does not turn respawning on")
        .with_help("add a `respawn` stanza, or remove `respawn limit`"),
    );
}

/// W0006: a task with no main process reaches `running` and stays there,
/// so its start request (and any event that started it) never completes.
fn task_without_main(class: &JobClass, facts: &Facts, out: &mut Vec<Diagnostic>) {
    let Some(at) = facts.task else { return };
    if !class.task || class.processes.main.is_some() || facts.parse_errors {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::TaskWithoutMain,
            at.file,
            at.span,
            "a task with no main process never finishes",
        )
        .with_label("this job is a task, but has no `exec` or `script`")
        .with_note(
            "without a main process the job stays `running` until it is stopped, \
                 so whatever waits for the task to finish waits forever",
        )
        .with_help("add an `exec` or `script` stanza, or remove `task`"),
    );
}

/// W0011: a task is expected to run and exit; `expect` makes Upstart wait for
/// a stop signal or follow forks of it as if it were a daemon. (Deliberate
/// in a few jobs, such as Ubuntu's `mountall`, which daemonizes yet must be
/// waited for; the help says so.)
fn task_with_expect(class: &JobClass, facts: &Facts, out: &mut Vec<Diagnostic>) {
    let (Some(expect_at), Some(task_at)) = (facts.expect, facts.task) else {
        return;
    };
    if !class.task || class.expect == Expect::None {
        return;
    }
    out.push(
        Diagnostic::new(Code::TaskWithExpect, expect_at.file, expect_at.span, "`expect` on a task")
            .with_label(format!("Upstart will wait for {}", expect_wait(class.expect)))
            .with_secondary(task_at.file, task_at.span, "the job is a task")
            .with_note(
                "the task only completes when the process Upstart ends up following exits; \
                 if the program does not stop or fork exactly as `expect` says, the task hangs in \
                 `spawned` or completes early",
            )
            .with_help(
                "remove `expect` unless the program really detaches this way (as `mountall --daemon` does)",
            ),
    );
}

fn expect_wait(expect: Expect) -> &'static str {
    match expect {
        Expect::Stop => "the process to stop itself with SIGSTOP",
        Expect::Fork => "the process to fork once",
        Expect::Daemon => "the process to fork twice",
        Expect::Notify => "the process to send READY=1 to NOTIFY_SOCKET",
        Expect::Fd => "the process to write a newline to its ready fd",
        Expect::None => "nothing",
    }
}

/// E0020: a multi-line `script` is read by the shell from descriptor 9
/// (runtime-semantics.md 11.1), so `ready fd 9` would take its place.
/// Upstart refuses `ready fd` altogether, so this error keeps the rule
/// that an `E` code is a file Upstart refuses.
fn ready_fd_of_the_script(class: &JobClass, facts: &Facts, out: &mut Vec<Diagnostic>) {
    let (Some(at), Some(9), Some(main)) = (facts.expect, class.ready_fd, &class.processes.main)
    else {
        return;
    };
    if !matches!(main.body, ProcessBody::Script(_)) {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::IllegalReadyFd,
            at.file,
            at.span,
            "`ready fd 9` is the descriptor the shell reads this job's script from",
        )
        .with_label("descriptor 9 is taken")
        .with_secondary(
            main.origin.file,
            main.origin.span,
            "the script is read from fd 9",
        )
        .with_help("choose another descriptor, such as `ready fd 3`"),
    );
}

/// W0028 (kept only with `--strict-upstart`; `check` drops it otherwise):
/// `expect notify` and `ready fd` are upc's own, and Upstart 1.13 refuses
/// the file.
fn upstart_extension(class: &JobClass, facts: &Facts, out: &mut Vec<Diagnostic>) {
    let Some(at) = facts.expect else {
        return;
    };
    let what = match class.expect {
        Expect::Notify => "`expect notify`",
        Expect::Fd => "`ready fd`",
        Expect::None | Expect::Stop | Expect::Fork | Expect::Daemon => return,
    };
    out.push(
        Diagnostic::new(
            Code::UpstartExtension,
            at.file,
            at.span,
            format!("{what} is an extension of upc's; Upstart 1.13 refuses this file"),
        )
        .with_label("upinit understands this, Upstart's init does not")
        .with_help(
            "keep the job for upinit only, or use `expect fork`/`daemon`/`stop` (or none) for Upstart",
        ),
    );
}

/// W0014: with `expect fork`/`daemon` Upstart follows the first fork(s) of
/// the main process. A `script` runs in a shell that forks for every
/// external command, so it is only safe when it runs nothing but builtins
/// before `exec DAEMON` (the cookbook pattern `. /etc/default/x; exec d`,
/// which must not be flagged); an `exec` line goes through
/// `/bin/sh -e -c "exec CMD"` when it has shell characters, which is
/// harmless (the shell replaces itself) unless the line makes the shell fork
/// first. See `crate::shell::forks` for what counts as a fork.
fn expect_with_shell(class: &JobClass, facts: &Facts, out: &mut Vec<Diagnostic>) {
    if !matches!(class.expect, Expect::Fork | Expect::Daemon) {
        return;
    }
    let (Some(expect_at), Some(main)) = (facts.expect, class.processes.main.as_ref()) else {
        return;
    };
    let mode = if class.expect == Expect::Fork {
        "fork"
    } else {
        "daemon"
    };
    if let ProcessBody::Script(text) = &main.body {
        if let Some(program) = forks::foreground_command(text) {
            return out.push(foreground_command(mode, &program, expect_at, main));
        }
    }
    let (message, label) = match &main.body {
        ProcessBody::Script(text) => match forks::script_forks(text) {
            Some(what) => (
                format!("`expect {mode}` with a script that forks before the daemon starts"),
                format!("the shell running this script forks for {what}"),
            ),
            None => return,
        },
        ProcessBody::Exec(cmd) => match forks::exec_forks(cmd) {
            Some(what) => (
                format!("`expect {mode}` with a command line that makes the shell fork"),
                format!("this runs through `/bin/sh`, which forks for {what}"),
            ),
            None => return,
        },
    };
    out.push(
        Diagnostic::new(Code::ExpectWithScript, expect_at.file, expect_at.span, message)
            .with_label("Upstart follows the first fork(s) of the main process")
            .with_secondary(main.origin.file, main.origin.span, label)
            .with_note(
                "the fork Upstart follows may be a helper command rather than the daemon, \
                 which then ends up unsupervised while Upstart tracks the wrong pid",
            )
            .with_help(
                "move preparation into `pre-start` and make the main process a plain `exec DAEMON` \
                 (a script is safe only if it runs nothing but shell builtins before `exec DAEMON`)",
            ),
    );
}

/// W0027: the script's last command is the daemon, run without `exec`: the
/// shell forks for it and waits, and Upstart counts that fork as the
/// daemon's first. With `expect fork` the job follows the daemon and then
/// never sees its own fork; with `expect daemon` one of the daemon's two
/// forks is left uncounted, so the job follows the wrong process or waits
/// in `spawned` for ever.
fn foreground_command(
    mode: &str,
    program: &str,
    expect_at: Origin,
    main: &super::ir::Process,
) -> Diagnostic {
    Diagnostic::new(
        Code::ExpectForegroundCommand,
        expect_at.file,
        expect_at.span,
        format!("`expect {mode}` with a script that runs `{program}` without `exec`"),
    )
    .with_label("each fork is counted, the shell's own included")
    .with_secondary(
        main.origin.file,
        main.origin.span,
        format!("the shell forks to run `{program}` and waits for it"),
    )
    .with_note(
        "the shell's fork is the first one counted: the daemon's own forks are then \
         miscounted, and the job follows the wrong process or waits in `spawned` for ever",
    )
    .with_help(format!(
        "write `exec {program} ...` so the daemon replaces the shell"
    ))
}

/// W0020: a job with no process and no `start on`/`stop on` does nothing
/// even when started. Deliberately narrow, because process-less jobs are
/// legitimate "state" jobs (started and stopped by other jobs or by hand):
/// the warning only fires when every stanza of the job only documents it or
/// sets its environment. An empty file (no stanzas at all) is accepted
/// silently: it is a common way to keep a job name present as a marker.
/// `manual`, `task`, `instance`, `stop on`, limits and the like all count as
/// intent and silence the warning.
fn empty_job(class: &JobClass, facts: &Facts, out: &mut Vec<Diagnostic>) {
    let Some(at) = facts.first_stanza else { return };
    let p = &class.processes;
    let has_process = p.main.is_some()
        || p.pre_start.is_some()
        || p.post_start.is_some()
        || p.pre_stop.is_some()
        || p.post_stop.is_some()
        || p.security.is_some();
    if has_process
        || class.start_on.is_some()
        || class.stop_on.is_some()
        || !facts.only_inert
        || facts.parse_errors
    {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::EmptyJob,
            at.file,
            at.span,
            "this job has no process and no `start on` or `stop on`",
        )
        .with_label("the job only describes itself")
        .with_note("it never starts by itself, and when started by hand it runs nothing")
        .with_help(
            "add an `exec` or `script` stanza for the job to run, or a `start on`/`stop on` \
                 if it is meant to mark a state",
        ),
    );
}
