//! The `JobClass` IR: one job with every value typed and every default
//! applied. It is the single input of the graph checks, the bundle writer
//! and the language server; nothing downstream reads the syntax tree.

use std::collections::BTreeMap;

use upc_bundle::defaults;

use crate::cond::Expr;
use crate::source::{FileId, Span};
/// Which process of a job: the IR's name for the parser's kind.
pub use crate::syntax::ast::ProcessKind;

/// Where a value came from: file and span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Origin {
    pub file: FileId,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub origin: Origin,
}

/// How a process is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessBody {
    /// `exec` command line, raw (run directly or via `/bin/sh -e -c`).
    Exec(String),
    /// `script` text, run by `/bin/sh -e`.
    Script(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub body: ProcessBody,
    pub origin: Origin,
}

/// The hidden security process (`apparmor load`) and the five user ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Processes {
    pub main: Option<Process>,
    pub pre_start: Option<Process>,
    pub post_start: Option<Process>,
    pub pre_stop: Option<Process>,
    pub post_stop: Option<Process>,
    /// `/sbin/apparmor_parser -r -W PROFILE` from `apparmor load`.
    pub security: Option<Process>,
}

impl Processes {
    pub fn get(&self, kind: ProcessKind) -> Option<&Process> {
        match kind {
            ProcessKind::Main => self.main.as_ref(),
            ProcessKind::PreStart => self.pre_start.as_ref(),
            ProcessKind::PostStart => self.post_start.as_ref(),
            ProcessKind::PreStop => self.pre_stop.as_ref(),
            ProcessKind::PostStop => self.post_stop.as_ref(),
        }
    }

    pub fn slot(&mut self, kind: ProcessKind) -> &mut Option<Process> {
        match kind {
            ProcessKind::Main => &mut self.main,
            ProcessKind::PreStart => &mut self.pre_start,
            ProcessKind::PostStart => &mut self.post_start,
            ProcessKind::PreStop => &mut self.pre_stop,
            ProcessKind::PostStop => &mut self.post_stop,
        }
    }
}

/// A `start on`/`stop on` condition with the file it was written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub expr: Expr,
    pub origin: Origin,
}

/// `expect` and `console` modes: the runtime format's own enums, as for
/// [`Resource`], so compiler and bundle share one definition.
pub use upc_bundle::model::{Console, Expect};

/// `respawn limit`: `None` means unlimited (Upstart stores 0 for that).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RespawnLimit {
    pub count: Option<u32>,
    pub interval_secs: Option<u32>,
}

impl Default for RespawnLimit {
    /// Upstart's `respawn limit 10 5` ([`defaults`]).
    fn default() -> Self {
        RespawnLimit {
            count: Some(defaults::RESPAWN_LIMIT_COUNT),
            interval_secs: Some(defaults::RESPAWN_LIMIT_INTERVAL_SECS),
        }
    }
}

/// A resource limit value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LimitValue {
    Unlimited,
    Value(u64),
}

/// The `limit` resources: the runtime format's own enum, so the compiler
/// and the bundle can never disagree on the list.
pub use upc_bundle::model::Resource;

/// One `cgroup` controller with its names and settings (job-language.md 6.24).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cgroup {
    pub controller: String,
    /// Per name (`$UPSTART_CGROUP` when none was given), settings in order;
    /// a repeated key replaces the earlier value.
    pub names: Vec<(String, Vec<(String, String)>)>,
}

/// One job class, with Upstart's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobClass {
    /// Path relative to the source directory without `.conf` (`net/apache`).
    pub name: String,
    /// The `.conf` file, and the `.override` merged over it if any.
    pub file: FileId,
    pub override_file: Option<FileId>,

    pub description: Option<String>,
    pub author: Option<String>,
    pub version: Option<String>,
    pub usage: Option<String>,

    pub processes: Processes,
    pub start_on: Option<Condition>,
    pub stop_on: Option<Condition>,
    pub emits: Vec<Spanned<String>>,

    pub task: bool,
    pub respawn: bool,
    pub respawn_limit: RespawnLimit,
    /// Exit statuses that count as normal: `n` for an exit code, `SIG << 8`
    /// for a signal.
    pub normal_exit: Vec<i64>,
    /// The instance name template (`""` for a singleton), unexpanded.
    pub instance: String,
    pub expect: Expect,
    /// `ready fd N` (upc's extension): `Some` exactly when `expect` is
    /// [`Expect::Fd`].
    pub ready_fd: Option<u8>,
    pub kill_timeout_secs: u64,
    pub kill_signal: i32,
    pub reload_signal: i32,
    /// `None`: init's default (`upc_bundle::defaults::CONSOLE`, `log`,
    /// unless init is started with another).
    pub console: Option<Console>,
    pub umask: u32,
    pub nice: Option<i32>,
    /// The final oom score (`oom` legacy values converted); `None` = not set.
    pub oom_score: Option<i32>,
    pub limits: BTreeMap<Resource, (LimitValue, LimitValue)>,
    pub chroot: Option<String>,
    pub chdir: Option<String>,
    pub setuid: Option<String>,
    pub setgid: Option<String>,
    pub apparmor_switch: Option<String>,
    /// `env` entries in order, exactly as written (`NAME` or `NAME=VALUE`).
    pub env: Vec<Spanned<String>>,
    pub export: Vec<Spanned<String>>,
    pub cgroups: Vec<Cgroup>,
    pub debug: bool,
}

impl JobClass {
    /// A class with every Upstart default: the values are
    /// `upc_bundle::defaults`, the one place they are written
    /// (job-language.md section 4).
    pub fn new(name: impl Into<String>, file: FileId) -> JobClass {
        JobClass {
            name: name.into(),
            file,
            override_file: None,
            description: None,
            author: None,
            version: None,
            usage: None,
            processes: Processes::default(),
            start_on: None,
            stop_on: None,
            emits: Vec::new(),
            task: false,
            respawn: false,
            respawn_limit: RespawnLimit::default(),
            normal_exit: Vec::new(),
            instance: String::new(),
            expect: defaults::EXPECT,
            ready_fd: None,
            kill_timeout_secs: defaults::KILL_TIMEOUT_SECS,
            kill_signal: defaults::KILL_SIGNAL,
            reload_signal: defaults::RELOAD_SIGNAL,
            console: None,
            umask: u32::from(defaults::UMASK),
            nice: None,
            oom_score: None,
            limits: BTreeMap::new(),
            chroot: None,
            chdir: None,
            setuid: None,
            setgid: None,
            apparmor_switch: None,
            env: Vec::new(),
            export: Vec::new(),
            cgroups: Vec::new(),
            debug: false,
        }
    }
}
