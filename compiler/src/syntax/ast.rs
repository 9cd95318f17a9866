//! The spanned syntax tree of one job file.
//!
//! One [`Stanza`] per directive, in file order, each with the span of its
//! whole text and of its keyword. Argument values are stored both as written
//! (the span) and as Upstart reads them (`value`: dequoted for arguments, raw
//! for command lines, de-indented for script bodies), so sema never looks at
//! quoting rules again. A stanza that failed to parse is kept as
//! [`StanzaKind::Error`] so the tree still covers the whole file (for the
//! language server), while the error itself is in the parse diagnostics.

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

/// One argument as Upstart reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub span: Span,
    pub value: String,
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

/// A `start on` / `stop on` expression. `and` and `or` have equal
/// precedence and associate to the left, exactly as Upstart parses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Match(EventMatch),
    Binary(Box<Binary>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    pub op: Operator,
    /// The `and`/`or` token.
    pub op_span: Span,
    pub left: Expr,
    pub right: Expr,
    /// Whether this node was written inside its own parentheses.
    pub parenthesized: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    And,
    Or,
}

impl Operator {
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::And => "and",
            Operator::Or => "or",
        }
    }
}

/// `EVENT [positional...] [KEY=VALUE | KEY!=VALUE ...]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMatch {
    pub span: Span,
    pub event: Word,
    pub args: Vec<EventArg>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventArg {
    pub span: Span,
    pub kind: ArgKind,
    /// The pattern (a glob, possibly with `$VAR` references).
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgKind {
    Positional,
    /// `KEY=VALUE`
    Equals(String),
    /// `KEY!=VALUE`
    NotEquals(String),
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Match(m) => m.span,
            Expr::Binary(b) => b.left.span().to(b.right.span()),
        }
    }

    /// Upstart's canonical, fully bracketed rendering (job-language.md 7.5).
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out, true);
        out
    }

    fn write_canonical(&self, out: &mut String, top: bool) {
        match self {
            Expr::Match(m) => {
                out.push_str(&m.event.value);
                for a in &m.args {
                    out.push(' ');
                    match &a.kind {
                        ArgKind::Positional => {}
                        ArgKind::Equals(k) => {
                            out.push_str(k);
                            out.push('=');
                        }
                        ArgKind::NotEquals(k) => {
                            out.push_str(k);
                            out.push_str("!=");
                        }
                    }
                    out.push_str(&a.value);
                }
            }
            Expr::Binary(b) => {
                let _ = top;
                out.push('(');
                b.left.write_canonical(out, false);
                out.push(' ');
                out.push_str(b.op.as_str());
                out.push(' ');
                b.right.write_canonical(out, false);
                out.push(')');
            }
        }
    }

    /// Every event match in the tree, left to right.
    pub fn matches(&self) -> Vec<&EventMatch> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Match(m) => out.push(m),
                Expr::Binary(b) => {
                    stack.push(&b.right);
                    stack.push(&b.left);
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StanzaKind {
    /// `exec CMD` or `HOOK exec CMD`; the command line raw (job-language.md 2.8).
    Exec { process: ProcessKind, command: Word },
    /// `script` or `HOOK script`, with its block.
    Script { process: ProcessKind, body: ScriptBody },
    StartOn(Expr),
    StopOn(Expr),
    Manual,
    Debug,
    Emits(Vec<Word>),
    Task,
    Respawn,
    /// `respawn limit COUNT INTERVAL`
    RespawnLimit { count: Word, interval: Word },
    /// `respawn limit unlimited`
    RespawnUnlimited(Word),
    /// `normal exit STATUS...`
    NormalExit(Vec<Word>),
    Instance(Word),
    Expect(Word),
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
    Limit { resource: Word, soft: Word, hard: Word },
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
            Exec { process: ProcessKind::Main, .. } => "exec",
            Exec { process: ProcessKind::PreStart, .. } => "pre-start exec",
            Exec { process: ProcessKind::PostStart, .. } => "post-start exec",
            Exec { process: ProcessKind::PreStop, .. } => "pre-stop exec",
            Exec { process: ProcessKind::PostStop, .. } => "post-stop exec",
            Script { process: ProcessKind::Main, .. } => "script",
            Script { process: ProcessKind::PreStart, .. } => "pre-start script",
            Script { process: ProcessKind::PostStart, .. } => "post-start script",
            Script { process: ProcessKind::PreStop, .. } => "pre-stop script",
            Script { process: ProcessKind::PostStop, .. } => "post-stop script",
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
