//! The stanza walk: each part's stanzas, in order, applied to one class with
//! Upstart's repetition rules (job-language.md section 3).
//!
//! Every stanza is checked on its own: a bad value is reported and the
//! stanza is skipped, and the walk goes on, so one run reports every error.
//! (Upstart stops at the first error and loads nothing; a class with error
//! diagnostics must not be built.)

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::ast::{Stanza, StanzaKind, Word};
use upc_bundle::expand::is_variable_name;

use super::ir::{
    Condition, Console, Expect, JobClass, LimitValue, Origin, Process, ProcessBody, Resource,
    Spanned,
};
use super::repetition::{self, Slot};
use super::signals::signal_names;
use super::values::{self, Invalid};
use super::warnings::{self, Facts};
use super::Part;
use crate::suggest;

/// The name of a cgroup when the stanza gives none (job-language.md 6.24).
pub const DEFAULT_CGROUP_NAME: &str = "$UPSTART_CGROUP";

/// The command of the security process that `apparmor load` defines.
pub const APPARMOR_PARSER: &str = "/sbin/apparmor_parser -r -W ";

const CONSOLE_VALUES: [&str; 4] = ["none", "output", "owner", "log"];
const EXPECT_VALUES: [&str; 5] = ["stop", "daemon", "fork", "none", "notify"];

/// Lowers the parts of one job, in order, into a class.
pub(super) fn lower(name: &str, parts: &[Part<'_>]) -> (JobClass, Vec<Diagnostic>) {
    let file = parts.first().map_or(FileId(0), |p| p.file);
    let mut class = JobClass::new(name, file);
    class.override_file = parts.get(1).map(|p| p.file);
    let mut cx = Lowerer {
        class,
        diags: Vec::new(),
        facts: Facts::default(),
        cgroup_warned: false,
    };
    for part in parts {
        cx.part(part);
    }
    warnings::job(&cx.class, &cx.facts, &mut cx.diags);
    (cx.class, cx.diags)
}

struct Lowerer {
    class: JobClass,
    diags: Vec<Diagnostic>,
    facts: Facts,
    cgroup_warned: bool,
}

/// The walk through one file.
struct FileCx<'a> {
    file: FileId,
    text: &'a str,
    /// Single-valued settings given so far in this file, with the head of
    /// the stanza that gave them.
    seen: Seen,
}

/// The settings seen in one file, with where: a handful per file, so a
/// list searched from the front beats hashing each one.
#[derive(Default)]
struct Seen(Vec<(Slot, Span)>);

impl Seen {
    /// Records `slot` at `at`; the earlier place, if it was seen before.
    fn insert(&mut self, slot: Slot, at: Span) -> Option<Span> {
        match self.0.iter_mut().find(|(s, _)| *s == slot) {
            Some((_, span)) => Some(std::mem::replace(span, at)),
            None => {
                self.0.push((slot, at));
                None
            }
        }
    }

    fn remove(&mut self, slot: &Slot) {
        self.0.retain(|(s, _)| s != slot);
    }
}

impl FileCx<'_> {
    fn origin(&self, span: Span) -> Origin {
        Origin {
            file: self.file,
            span,
        }
    }

    /// The first line of a stanza (a whole one-line stanza; for a script,
    /// the `script` line without its block), for labels.
    fn head(&self, stanza: &Stanza) -> Span {
        match &stanza.kind {
            StanzaKind::Script { .. } => {
                let start = stanza.keyword.start as usize;
                let line = self
                    .text
                    .get(start..)
                    .and_then(|t| t.lines().next())
                    .unwrap_or("");
                let line = line.split('#').next().unwrap_or(line).trim_end();
                Span::new(start, start + line.len()).to(stanza.keyword)
            }
            _ => stanza.span,
        }
    }
}

impl Lowerer {
    fn part(&mut self, part: &Part<'_>) {
        let mut fx = FileCx {
            file: part.file,
            text: part.text,
            seen: Seen::default(),
        };
        for stanza in &part.ast.stanzas {
            self.stanza(&mut fx, stanza);
        }
    }

    fn error(
        &mut self,
        fx: &FileCx<'_>,
        code: Code,
        word: &Word,
        message: impl Into<String>,
        invalid: &Invalid,
    ) {
        let label = format!("`{}` {}", word.value, invalid.reason);
        self.diags
            .push(Diagnostic::new(code, fx.file, word.span, message).with_label(label));
    }

    fn warn_repeat(&mut self, fx: &mut FileCx<'_>, stanza: &Stanza) {
        let Some(slot) = Slot::of(&stanza.kind) else {
            return;
        };
        let head = fx.head(stanza);
        let Some(earlier) = fx.seen.insert(slot, head) else {
            return;
        };
        self.diags
            .push(repetition::repeated(slot, fx.file, head, earlier));
    }

    fn stanza(&mut self, fx: &mut FileCx<'_>, stanza: &Stanza) {
        if self.facts.first_stanza.is_none() {
            self.facts.first_stanza = Some(fx.origin(fx.head(stanza)));
        }
        use StanzaKind as K;
        if !matches!(
            stanza.kind,
            K::Description(_)
                | K::Author(_)
                | K::Version(_)
                | K::Usage(_)
                | K::Env(_)
                | K::Export(_)
                | K::Emits(_)
        ) {
            self.facts.only_inert = false;
        }
        self.warn_repeat(fx, stanza);
        let origin = fx.origin(stanza.span);
        match &stanza.kind {
            K::Exec { process, command } => {
                *self.class.processes.slot(*process) = Some(Process {
                    body: ProcessBody::Exec(command.value.clone()),
                    origin,
                });
            }
            K::Script { process, body } => {
                *self.class.processes.slot(*process) = Some(Process {
                    body: ProcessBody::Script(body.text.clone()),
                    origin,
                });
            }
            K::StartOn(expr) => {
                warnings::expression(expr, fx.file, true, &mut self.diags);
                self.class.start_on = Some(Condition {
                    expr: expr.clone(),
                    origin,
                });
            }
            K::StopOn(expr) => {
                warnings::expression(expr, fx.file, false, &mut self.diags);
                self.class.stop_on = Some(Condition {
                    expr: expr.clone(),
                    origin,
                });
            }
            K::Manual => {
                // Discards every `start on` read so far, in this file or the
                // one before; a later `start on` applies again.
                self.class.start_on = None;
                fx.seen.remove(&Slot::StartOn);
            }
            K::Debug => self.class.debug = true,
            K::Emits(words) => {
                self.class
                    .emits
                    .extend(words.iter().map(|w| spanned(fx, w)));
            }
            K::Task => {
                self.class.task = true;
                self.facts.task = Some(origin);
            }
            K::Respawn => self.class.respawn = true,
            K::RespawnLimit { count, interval } => {
                self.facts.respawn_limit = Some(origin);
                self.respawn_limit(fx, count, interval);
            }
            K::RespawnUnlimited(_) => {
                self.facts.respawn_limit = Some(origin);
                self.class.respawn_limit.count = None;
                self.class.respawn_limit.interval_secs = None;
            }
            K::NormalExit(words) => {
                for w in words {
                    self.normal_exit(fx, w);
                }
            }
            K::Instance(w) => self.class.instance = w.value.clone(),
            K::Expect(w) => self.expect(fx, w, origin),
            K::ReadyFd(w) => match values::ready_fd(&w.value) {
                Ok(fd) => {
                    self.class.expect = Expect::Fd;
                    self.class.ready_fd = Some(fd);
                    self.facts.expect = Some(origin);
                }
                Err(e) => self.error(
                    fx,
                    Code::IllegalReadyFd,
                    w,
                    "illegal `ready fd`, expected a descriptor from 3 to 255",
                    &e,
                ),
            },
            K::KillTimeout(w) => match values::kill_timeout(&w.value) {
                Ok(secs) => self.class.kill_timeout_secs = secs,
                Err(e) => self.error(
                    fx,
                    Code::IllegalInterval,
                    w,
                    "illegal interval, expected a number of seconds",
                    &e,
                ),
            },
            K::KillSignal(w) => {
                if let Some(signo) = self.signal(fx, w, "kill") {
                    self.class.kill_signal = signo;
                }
            }
            K::ReloadSignal(w) => {
                if let Some(signo) = self.signal(fx, w, "reload") {
                    self.class.reload_signal = signo;
                }
            }
            K::Env(w) => {
                let name = w.value.split('=').next().unwrap_or("");
                self.check_variable_name(fx, w, name, "env");
                self.class.env.push(spanned(fx, w));
            }
            K::Export(words) => {
                for w in words {
                    self.check_variable_name(fx, w, &w.value, "export");
                    self.class.export.push(spanned(fx, w));
                }
            }
            K::Console(w) => self.console(fx, w),
            K::Umask(w) => match values::umask(&w.value) {
                Ok(mask) => self.class.umask = mask,
                Err(e) => {
                    self.error(
                        fx,
                        Code::IllegalUmask,
                        w,
                        "illegal file creation mask, expected an octal integer",
                        &e,
                    );
                }
            },
            K::Nice(w) => match values::nice(&w.value) {
                Ok(n) => self.class.nice = Some(n),
                Err(e) => self.error(
                    fx,
                    Code::IllegalNice,
                    w,
                    "illegal nice value, expected -20 to 19",
                    &e,
                ),
            },
            K::Oom(w) => self.oom_legacy(fx, w),
            K::OomScore(w) => match values::oom_score(&w.value) {
                Ok(score) => self.class.oom_score = Some(score).filter(|&s| s != 0),
                Err(e) => self.error(
                    fx,
                    Code::IllegalOom,
                    w,
                    "illegal oom score adjustment, expected -1000 to 1000 or `never`",
                    &e,
                ),
            },
            K::Limit {
                resource,
                soft,
                hard,
            } => self.limit(fx, resource, soft, hard),
            K::Chroot(w) => self.class.chroot = Some(w.value.clone()),
            K::Chdir(w) => self.class.chdir = Some(w.value.clone()),
            K::Setuid(w) => self.class.setuid = Some(w.value.clone()),
            K::Setgid(w) => self.class.setgid = Some(w.value.clone()),
            K::ApparmorLoad(w) => {
                let command = format!("{APPARMOR_PARSER}{}", w.value);
                self.class.processes.security = Some(Process {
                    body: ProcessBody::Exec(command),
                    origin,
                });
            }
            K::ApparmorSwitch(w) => self.class.apparmor_switch = Some(w.value.clone()),
            K::Cgroup(words) => self.cgroup(fx, words, stanza),
            K::Description(w) => self.class.description = Some(w.value.clone()),
            K::Author(w) => self.class.author = Some(w.value.clone()),
            K::Version(w) => self.class.version = Some(w.value.clone()),
            K::Usage(w) => self.class.usage = Some(w.value.clone()),
            K::Error => self.facts.parse_errors = true,
        }
    }

    fn respawn_limit(&mut self, fx: &FileCx<'_>, count: &Word, interval: &Word) {
        let count = match values::respawn_count(&count.value) {
            Ok(n) => Some(n),
            Err(e) => {
                self.error(
                    fx,
                    Code::IllegalLimit,
                    count,
                    "illegal respawn limit, expected a number of respawns",
                    &e,
                );
                None
            }
        };
        let interval = match values::respawn_interval(&interval.value) {
            Ok(n) => Some(n),
            Err(e) => {
                self.error(
                    fx,
                    Code::IllegalInterval,
                    interval,
                    "illegal interval, expected a number of seconds",
                    &e,
                );
                None
            }
        };
        if let (Some(count), Some(interval)) = (count, interval) {
            // Upstart only limits respawns when both numbers are non-zero;
            // a zero in either place means unlimited, so store it as such.
            let limited = count.is_some() && interval.is_some();
            self.class.respawn_limit.count = count.filter(|_| limited);
            self.class.respawn_limit.interval_secs = interval.filter(|_| limited);
        }
    }

    fn normal_exit(&mut self, fx: &FileCx<'_>, w: &Word) {
        match values::exit_status(&w.value) {
            Ok(status) => {
                let named = super::signals::signal_number(&w.value).is_some();
                if !named {
                    if let Some(why) = never_matches(status) {
                        self.diags.push(
                            Diagnostic::new(
                                Code::ExitNeverMatches,
                                fx.file,
                                w.span,
                                format!("no process can end with status {status}"),
                            )
                            .with_label(why)
                            .with_note("an exit code n matches n; death by signal s matches s * 256")
                            .with_help("use an exit code from 0 to 255, or a signal name (`normal exit 0 TERM`)"),
                        );
                    }
                }
                self.class.normal_exit.push(status);
            }
            Err(e) => {
                let mut d = Diagnostic::new(
                    Code::IllegalExit,
                    fx.file,
                    w.span,
                    "illegal exit status, expected an integer or a signal name",
                )
                .with_label(format!("`{}` {}", w.value, e.reason));
                if let Some(name) = signal_suggestion(&w.value) {
                    d = d
                        .with_help(format!(
                            "did you mean `{name}`? signal names are upper case"
                        ))
                        .with_fix(w.span, name);
                }
                self.diags.push(d);
            }
        }
    }

    /// `kill signal` / `reload signal`.
    fn signal(&mut self, fx: &FileCx<'_>, w: &Word, which: &str) -> Option<i32> {
        match values::signal(&w.value) {
            Ok(signo) => {
                let named = super::signals::signal_number(&w.value).is_some();
                if !named {
                    if let Some(d) = signal_out_of_range(fx.file, w, signo, which) {
                        self.diags.push(d);
                    }
                }
                Some(signo)
            }
            Err(e) => {
                let mut d = Diagnostic::new(
                    Code::IllegalSignal,
                    fx.file,
                    w.span,
                    "illegal signal, expected a signal name or number",
                )
                .with_label(format!("`{}` {}", w.value, e.reason));
                d = match signal_suggestion(&w.value) {
                    Some(name) => d
                        .with_help(format!(
                            "did you mean `{name}`? signal names are upper case"
                        ))
                        .with_fix(w.span, name),
                    None => d.with_help(
                        "use a name such as `TERM`, `SIGTERM`, `HUP` or `USR1`, or a number",
                    ),
                };
                self.diags.push(d);
                None
            }
        }
    }

    fn expect(&mut self, fx: &FileCx<'_>, w: &Word, origin: Origin) {
        let mode = match w.value.as_str() {
            "stop" => Expect::Stop,
            "daemon" => Expect::Daemon,
            "fork" => Expect::Fork,
            "none" => Expect::None,
            "notify" => Expect::Notify,
            _ => return self.unknown_value(fx, w, "expect", &EXPECT_VALUES),
        };
        self.class.expect = mode;
        self.class.ready_fd = None;
        self.facts.expect = Some(origin);
    }

    fn console(&mut self, fx: &FileCx<'_>, w: &Word) {
        let mode = match w.value.as_str() {
            "none" => Console::None,
            "output" => Console::Output,
            "owner" => Console::Owner,
            "log" => Console::Log,
            _ => return self.unknown_value(fx, w, "console", &CONSOLE_VALUES),
        };
        self.class.console = Some(mode);
    }

    /// E0006 on the mode of `console` or `expect` (`stanza`).
    fn unknown_value(&mut self, fx: &FileCx<'_>, w: &Word, stanza: &str, valid: &[&str]) {
        let d = Diagnostic::new(
            Code::UnknownStanza,
            fx.file,
            w.span,
            format!("unknown `{stanza}` mode"),
        )
        .with_label(format!("`{}` is not a valid `{stanza}` mode", w.value))
        .with_help(suggest::help(&w.value, valid));
        self.diags
            .push(match suggest::closest(&w.value, valid.iter().copied()) {
                Some(c) => d.with_fix(w.span, c),
                None => d,
            });
    }

    fn oom_legacy(&mut self, fx: &FileCx<'_>, w: &Word) {
        match values::oom_legacy(&w.value) {
            Ok(score) => {
                self.class.oom_score = Some(score).filter(|&s| s != 0);
                let replacement = if w.value == "never" {
                    "never".to_string()
                } else {
                    score.to_string()
                };
                self.diags.push(
                    Diagnostic::new(
                        Code::LegacyOom,
                        fx.file,
                        w.span,
                        "`oom N` is the deprecated form of `oom score`",
                    )
                    .with_label(format!("Upstart converts this to the score {score}"))
                    .with_help(format!("write `oom score {replacement}`")),
                );
            }
            Err(e) => self.error(
                fx,
                Code::IllegalOom,
                w,
                "illegal oom adjustment, expected -17 to 15 or `never` (or use `oom score`)",
                &e,
            ),
        }
    }

    fn limit(&mut self, fx: &FileCx<'_>, resource: &Word, soft: &Word, hard: &Word) {
        let res = Resource::from_name(&resource.value);
        if res.is_none() {
            let names: Vec<&str> = Resource::ALL.iter().map(|r| r.name()).collect();
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownStanza,
                    fx.file,
                    resource.span,
                    "unknown resource limit",
                )
                .with_label(format!("`{}` is not a resource", resource.value))
                .with_help(suggest::help(&resource.value, &names)),
            );
            if let (Some(d), Some(c)) = (
                self.diags.last_mut(),
                suggest::closest(&resource.value, names.iter().copied()),
            ) {
                d.fix = Some(crate::diag::Fix {
                    span: resource.span,
                    replacement: c.to_owned(),
                });
            }
        }
        let mut value = |w: &Word| match values::limit_value(&w.value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(
                    fx,
                    Code::IllegalLimit,
                    w,
                    "illegal limit, expected `unlimited` or an integer",
                    &e,
                );
                None
            }
        };
        let (soft_v, hard_v) = (value(soft), value(hard));
        let (Some(res), Some(s), Some(h)) = (res, soft_v, hard_v) else {
            return;
        };
        if values::soft_above_hard(s, h) {
            self.diags.push(
                Diagnostic::new(
                    Code::LimitSoftAboveHard,
                    fx.file,
                    soft.span,
                    format!("the soft `{}` limit is above the hard limit", res.name()),
                )
                .with_label(format!("soft limit {}", show_limit(s)))
                .with_secondary(fx.file, hard.span, format!("hard limit {}", show_limit(h)))
                .with_note(
                    "the kernel refuses such a pair, so every process of the job fails to start",
                )
                .with_help("make the soft limit at most the hard limit"),
            );
        }
        self.class.limits.insert(res, (s, h));
    }

    fn cgroup(&mut self, fx: &FileCx<'_>, words: &[Word], stanza: &Stanza) {
        // By count (job-language.md 6.24); the parser reports 0 or 5+.
        let (controller, name, setting) = match words {
            [c] => (c, None, None),
            [c, n] => (c, Some(n), None),
            [c, k, v] => (c, None, Some((k, v))),
            [c, n, k, v] => (c, Some(n), Some((k, v))),
            _ => return,
        };
        if !self.cgroup_warned {
            self.cgroup_warned = true;
            self.diags.push(
                Diagnostic::new(
                    Code::CgroupUnsupported,
                    fx.file,
                    stanza.span,
                    "`cgroup` needs a cgroup manager, which upinit does not provide",
                )
                .with_label("not supported by upinit")
                .with_note(
                    "under Upstart such a job cannot start until a cgroup manager is announced \
                     (`initctl notify-cgroup-manager-address`)",
                )
                .with_help("remove the `cgroup` stanzas, or set the limits with `limit` or in the job's script"),
            );
        }
        let name = name.map_or(DEFAULT_CGROUP_NAME, |n| n.value.as_str());
        let setting = setting.map(|(k, v)| (k.value.as_str(), v.value.as_str()));
        repetition::merge_cgroup(&mut self.class.cgroups, &controller.value, name, setting);
    }

    fn check_variable_name(&mut self, fx: &FileCx<'_>, w: &Word, name: &str, stanza: &str) {
        if is_variable_name(name) {
            return;
        }
        let label = if name.is_empty() {
            "the name is empty".to_string()
        } else {
            format!("`{name}` is not a valid variable name")
        };
        self.diags.push(
            Diagnostic::new(
                Code::InvalidVariableName,
                fx.file,
                w.span,
                format!("`{stanza}` of an invalid variable name"),
            )
            .with_label(label)
            .with_note("Upstart passes it on, but no shell or `$VAR` reference can use it")
            .with_help("variable names are letters, digits and `_`, and do not start with a digit"),
        );
    }
}

/// Why a numeric `normal exit` value can match no exit, if it cannot: exit
/// codes are 0..=255 and a signal `s` is `s << 8` with `s` at most 64.
fn never_matches(status: i64) -> Option<String> {
    if status < 256 {
        return None;
    }
    if status % 256 != 0 {
        return Some(
            "exit codes are 0 to 255, and this is not a signal number times 256".to_string(),
        );
    }
    let signo = status / 256;
    (signo > i64::from(super::signals::SIGNAL_MAX))
        .then(|| format!("that would be signal {signo}, which does not exist"))
}

fn spanned(fx: &FileCx<'_>, w: &Word) -> Spanned<String> {
    Spanned {
        value: w.value.clone(),
        origin: fx.origin(w.span),
    }
}

fn show_limit(v: LimitValue) -> String {
    match v {
        LimitValue::Unlimited => "unlimited".to_string(),
        LimitValue::Value(n) => n.to_string(),
    }
}

/// W0009 for a numeric `kill signal`/`reload signal` that is no signal.
/// `reload signal 0` is left alone: it is the idiom for "reload does
/// nothing" (kill(2) with signal 0 only checks that the process exists).
fn signal_out_of_range(file: FileId, w: &Word, signo: i32, which: &str) -> Option<Diagnostic> {
    if values::signal_in_range(signo) || (signo == 0 && which == "reload") {
        return None;
    }
    let d = Diagnostic::new(
        Code::KillSignalOutOfRange,
        file,
        w.span,
        format!("{signo} is not a signal number"),
    )
    .with_label("Linux signals are numbered 1 to 64")
    .with_help("use a signal name, such as `TERM` or `HUP`");
    Some(if signo == 0 {
        d.with_note("signal 0 sends nothing: the job is only stopped by SIGKILL once `kill timeout` has passed")
    } else {
        d.with_note(format!(
            "Upstart accepts any number here, but the {which} request cannot deliver it"
        ))
    })
}

/// A signal name for a value that is almost one (`term`, `SIGterm`, `TREM`).
fn signal_suggestion(value: &str) -> Option<&'static str> {
    let upper = value.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    if bare.is_empty()
        || bare
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
    {
        return None;
    }
    suggest::closest(bare, signal_names())
}
