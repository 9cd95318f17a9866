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
///
/// A long `a or b or c ...` chain is a tree as deep as it is long, so
/// nothing may walk it recursively: `Clone`, `PartialEq` and `Drop` are
/// written out with explicit stacks, and so must every other traversal be.
#[derive(Debug, Eq)]
pub enum Expr {
    Match(EventMatch),
    Binary(Box<Binary>),
}

#[derive(Debug, PartialEq, Eq)]
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
    /// From the first event to the end of the last one (iterative: the
    /// start is on the left spine, the end on the right spine).
    pub fn span(&self) -> Span {
        let mut first = self;
        while let Expr::Binary(b) = first {
            first = &b.left;
        }
        let mut last = self;
        while let Expr::Binary(b) = last {
            last = &b.right;
        }
        match (first, last) {
            (Expr::Match(a), Expr::Match(b)) => a.span.to(b.span),
            _ => Span::default(),
        }
    }

    /// Upstart's canonical, fully bracketed rendering (job-language.md 7.5).
    pub fn canonical(&self) -> String {
        self.canonical_within(usize::MAX).unwrap_or_default()
    }

    /// The canonical rendering, or `None` as soon as it would exceed
    /// `max_len` bytes (so callers can afford it on any tree).
    pub fn canonical_within(&self, max_len: usize) -> Option<String> {
        enum Step<'a> {
            Visit(&'a Expr),
            Text(&'static str),
        }
        let mut out = String::new();
        let mut stack = vec![Step::Visit(self)];
        while let Some(step) = stack.pop() {
            if out.len() > max_len {
                return None;
            }
            match step {
                Step::Text(t) => out.push_str(t),
                Step::Visit(Expr::Match(m)) => m.write_canonical(&mut out),
                Step::Visit(Expr::Binary(b)) => {
                    stack.push(Step::Text(")"));
                    stack.push(Step::Visit(&b.right));
                    stack.push(Step::Text(if b.op == Operator::And {
                        " and "
                    } else {
                        " or "
                    }));
                    stack.push(Step::Visit(&b.left));
                    stack.push(Step::Text("("));
                }
            }
        }
        (out.len() <= max_len).then_some(out)
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

impl EventMatch {
    fn write_canonical(&self, out: &mut String) {
        out.push_str(&self.event.value);
        for a in &self.args {
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
}

/// A leaf that owns no heap memory, used to take subtrees out in place.
fn placeholder() -> Expr {
    Expr::Match(EventMatch {
        span: Span::default(),
        event: Word {
            span: Span::default(),
            value: String::new(),
        },
        args: Vec::new(),
    })
}

impl Drop for Expr {
    fn drop(&mut self) {
        let mut stack = Vec::new();
        if let Expr::Binary(b) = self {
            stack.push(std::mem::replace(&mut b.left, placeholder()));
            stack.push(std::mem::replace(&mut b.right, placeholder()));
        }
        while let Some(mut e) = stack.pop() {
            if let Expr::Binary(b) = &mut e {
                stack.push(std::mem::replace(&mut b.left, placeholder()));
                stack.push(std::mem::replace(&mut b.right, placeholder()));
            }
            // `e` now has leaf children only and drops without recursing.
        }
    }
}

impl Clone for Expr {
    fn clone(&self) -> Expr {
        // Post-order: clone children onto `done`, then assemble parents.
        enum Step<'a> {
            Visit(&'a Expr),
            Build(&'a Binary),
        }
        let mut stack = vec![Step::Visit(self)];
        let mut done: Vec<Expr> = Vec::new();
        while let Some(step) = stack.pop() {
            match step {
                Step::Visit(Expr::Match(m)) => done.push(Expr::Match(m.clone())),
                Step::Visit(Expr::Binary(b)) => {
                    stack.push(Step::Build(b));
                    stack.push(Step::Visit(&b.right));
                    stack.push(Step::Visit(&b.left));
                }
                Step::Build(b) => {
                    let right = done.pop().unwrap_or_else(placeholder);
                    let left = done.pop().unwrap_or_else(placeholder);
                    done.push(Expr::Binary(Box::new(Binary {
                        op: b.op,
                        op_span: b.op_span,
                        left,
                        right,
                        parenthesized: b.parenthesized,
                    })));
                }
            }
        }
        done.pop().unwrap_or_else(placeholder)
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        let mut stack = vec![(self, other)];
        while let Some((a, b)) = stack.pop() {
            match (a, b) {
                (Expr::Match(x), Expr::Match(y)) => {
                    if x != y {
                        return false;
                    }
                }
                (Expr::Binary(x), Expr::Binary(y)) => {
                    if x.op != y.op || x.op_span != y.op_span || x.parenthesized != y.parenthesized
                    {
                        return false;
                    }
                    stack.push((&x.left, &y.left));
                    stack.push((&x.right, &y.right));
                }
                _ => return false,
            }
        }
        true
    }
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
