//! The spanned syntax tree of one job file.
//!
//! One [`Stanza`] per directive, in file order, each with the span of its
//! whole text and of its keyword. Argument values are stored both as written
//! (the span) and as Upstart reads them (`value`: dequoted for arguments, raw
//! for command lines, de-indented for script bodies), so sema never looks at
//! quoting rules again. A stanza that failed to parse is kept as
//! [`StanzaKind::Error`] so the tree still covers the whole file (for the
//! language server), while the error itself is in the parse diagnostics.

pub use crate::cond::{ArgKind, Binary, EventArg, EventMatch, Expr, Operator, Word};
use crate::source::Span;

/// A parsed job file (or override file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFile {
    pub stanzas: Vec<Stanza>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    /// From the keyword to the end of the last argument (or script body).
    pub span: Span,
    /// The first keyword (`start` in `start on ...`).
    pub keyword: Span,
    pub kind: StanzaKind,
}

/// Which process of a job a stanza defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProcessKind {
    Main,
    PreStart,
    PostStart,
    PreStop,
    PostStop,
}

impl ProcessKind {
    pub const ALL: [ProcessKind; 5] = [
        ProcessKind::Main,
        ProcessKind::PreStart,
        ProcessKind::PostStart,
        ProcessKind::PreStop,
        ProcessKind::PostStop,
    ];

    /// The name Upstart uses (in `PROCESS=` and in messages).
    pub fn name(self) -> &'static str {
        match self {
            ProcessKind::Main => "main",
            ProcessKind::PreStart => "pre-start",
            ProcessKind::PostStart => "post-start",
            ProcessKind::PreStop => "pre-stop",
            ProcessKind::PostStop => "post-stop",
        }
    }
}

/// The text of a `script ... end script` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptBody {
    /// The content lines, exactly as in the file (without the terminator).
    pub span: Span,
    /// The content after Upstart's de-indentation (job-language.md 2.7).
    pub text: String,
    /// The `end script` line.
    pub end: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StanzaKind {
    /// `exec CMD` or `HOOK exec CMD`; the command line raw (job-language.md 2.8).
    Exec {
        process: ProcessKind,
        command: Word,
    },
    /// `script` or `HOOK script`, with its block.
    Script {
        process: ProcessKind,
        body: ScriptBody,
    },
    StartOn(Expr),
    StopOn(Expr),
    Manual,
    Debug,
    Emits(Vec<Word>),
    Task,
    Respawn,
    /// `respawn limit COUNT INTERVAL`
    RespawnLimit {
        count: Word,
        interval: Word,
    },
    /// `respawn limit unlimited`
    RespawnUnlimited(Word),
    /// `normal exit STATUS...`
    NormalExit(Vec<Word>),
    Instance(Word),
    Expect(Word),
    /// `ready fd N` (upc's extension: the job writes a newline to fd N
    /// when it is ready).
    ReadyFd(Word),
    KillTimeout(Word),
    KillSignal(Word),
    ReloadSignal(Word),
    Env(Word),
    Export(Vec<Word>),
    Console(Word),
    Umask(Word),
    Nice(Word),
    /// `oom ADJ|never` (legacy)
    Oom(Word),
    /// `oom score SCORE|never`
    OomScore(Word),
    Limit {
        resource: Word,
        soft: Word,
        hard: Word,
    },
    Chroot(Word),
    Chdir(Word),
    Setuid(Word),
    Setgid(Word),
    ApparmorLoad(Word),
    ApparmorSwitch(Word),
    /// 1 to 4 arguments (job-language.md 6.24).
    Cgroup(Vec<Word>),
    Description(Word),
    Author(Word),
    Version(Word),
    Usage(Word),
    /// A stanza that did not parse; the error is in the diagnostics.
    Error,
}

impl StanzaKind {
    /// The stanza's name as a user writes it (`start on`, `pre-start exec`).
    pub fn name(&self) -> &'static str {
        use StanzaKind::*;
        match self {
            Exec {
                process: ProcessKind::Main,
                ..
            } => "exec",
            Exec {
                process: ProcessKind::PreStart,
                ..
            } => "pre-start exec",
            Exec {
                process: ProcessKind::PostStart,
                ..
            } => "post-start exec",
            Exec {
                process: ProcessKind::PreStop,
                ..
            } => "pre-stop exec",
            Exec {
                process: ProcessKind::PostStop,
                ..
            } => "post-stop exec",
            Script {
                process: ProcessKind::Main,
                ..
            } => "script",
            Script {
                process: ProcessKind::PreStart,
                ..
            } => "pre-start script",
            Script {
                process: ProcessKind::PostStart,
                ..
            } => "post-start script",
            Script {
                process: ProcessKind::PreStop,
                ..
            } => "pre-stop script",
            Script {
                process: ProcessKind::PostStop,
                ..
            } => "post-stop script",
            StartOn(_) => "start on",
            StopOn(_) => "stop on",
            Manual => "manual",
            Debug => "debug",
            Emits(_) => "emits",
            Task => "task",
            Respawn => "respawn",
            RespawnLimit { .. } | RespawnUnlimited(_) => "respawn limit",
            NormalExit(_) => "normal exit",
            Instance(_) => "instance",
            Expect(_) => "expect",
            ReadyFd(_) => "ready fd",
            KillTimeout(_) => "kill timeout",
            KillSignal(_) => "kill signal",
            ReloadSignal(_) => "reload signal",
            Env(_) => "env",
            Export(_) => "export",
            Console(_) => "console",
            Umask(_) => "umask",
            Nice(_) => "nice",
            Oom(_) => "oom",
            OomScore(_) => "oom score",
            Limit { .. } => "limit",
            Chroot(_) => "chroot",
            Chdir(_) => "chdir",
            Setuid(_) => "setuid",
            Setgid(_) => "setgid",
            ApparmorLoad(_) => "apparmor load",
            ApparmorSwitch(_) => "apparmor switch",
            Cgroup(_) => "cgroup",
            Description(_) => "description",
            Author(_) => "author",
            Version(_) => "version",
            Usage(_) => "usage",
            Error => "<error>",
        }
    }
}
