//! The plain description of a job set that the writer takes and that
//! [`ValidatedBundle::to_spec`](crate::ValidatedBundle::to_spec) gives
//! back: owned, std-only, no knowledge of the compiler's IR.
//!
//! The enums here are also what the reader's accessors return.
//! [`JobSpec::new`], a job with Upstart's defaults, is in
//! [`defaults`](crate::defaults).

/// A whole bundle's content.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BundleSpec {
    /// E.g. `upc 0.1.0`.
    pub compiler_version: String,
    /// A digest of the sources, computed by the compiler; opaque here.
    pub source_digest: [u8; 32],
    /// In any order: the writer sorts them by name.
    pub jobs: Vec<JobSpec>,
}

/// One job class: every field the runtime needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// `net/apache`: the path below the configuration directory, no `.conf`.
    pub name: String,
    /// The `.conf` file, relative to its configuration directory.
    pub file: String,
    pub override_file: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub version: Option<String>,
    pub usage: Option<String>,
    /// In [`ProcessKind`] order, at most one of each kind.
    pub processes: Vec<ProcessSpec>,
    pub start_on: Option<ConditionSpec>,
    pub stop_on: Option<ConditionSpec>,
    pub emits: Vec<String>,
    pub task: bool,
    pub respawn: bool,
    /// `None`: unlimited.
    pub respawn_count: Option<u32>,
    /// `None`: unlimited.
    pub respawn_interval: Option<u32>,
    /// `n` for an exit status, `SIGNAL << 8` for a signal, in stanza order.
    pub normal_exit: Vec<i64>,
    /// The instance template, unexpanded (`""` for a singleton).
    pub instance: String,
    pub expect: Expect,
    /// `ready fd N` (upc's extension): the descriptor the main process
    /// writes a newline to when it is ready, 3..=255. `Some` exactly when
    /// `expect` is [`Expect::Fd`].
    pub ready_fd: Option<u8>,
    pub kill_timeout: u64,
    pub kill_signal: i32,
    pub reload_signal: i32,
    /// `None`: init's default.
    pub console: Option<Console>,
    pub umask: u16,
    pub nice: Option<i8>,
    pub oom_score: Option<i16>,
    /// At most one per resource, in [`Resource`] order.
    pub limits: Vec<LimitSpec>,
    pub chroot: Option<String>,
    pub chdir: Option<String>,
    pub setuid: Option<String>,
    pub setgid: Option<String>,
    pub apparmor_switch: Option<String>,
    /// `NAME` or `NAME=VALUE`, in stanza order.
    pub env: Vec<String>,
    pub export: Vec<String>,
    pub cgroups: Vec<CgroupSpec>,
    pub debug: bool,
}

/// Which file of a job a line number refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Origin {
    /// The `.conf` file.
    #[default]
    Conf,
    /// The `.override` file.
    Override,
}

/// A source line: 1-based, in the job's `.conf` or `.override`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Location {
    pub origin: Origin,
    pub line: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProcessKind {
    Main,
    PreStart,
    PostStart,
    PreStop,
    PostStop,
    /// The hidden `apparmor load` process.
    Security,
}

impl ProcessKind {
    pub const ALL: [ProcessKind; 6] = [
        ProcessKind::Main,
        ProcessKind::PreStart,
        ProcessKind::PostStart,
        ProcessKind::PreStop,
        ProcessKind::PostStop,
        ProcessKind::Security,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<ProcessKind> {
        ProcessKind::ALL.get(usize::from(code)).copied()
    }

    /// Upstart's name (`PROCESS=` value); `security` for the hidden one.
    pub fn name(self) -> &'static str {
        match self {
            ProcessKind::Main => "main",
            ProcessKind::PreStart => "pre-start",
            ProcessKind::PostStart => "post-start",
            ProcessKind::PreStop => "pre-stop",
            ProcessKind::PostStop => "post-stop",
            ProcessKind::Security => "security",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// An `exec` command line, raw.
    Exec,
    /// A `script` body, de-indented.
    Script,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSpec {
    pub kind: ProcessKind,
    pub body: BodyKind,
    pub text: String,
    pub location: Location,
}

/// A `start on`/`stop on` condition, already in postfix form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionSpec {
    /// Postfix code; the k-th [`Instr::Match`] is `matches[k]`.
    pub code: Vec<Instr>,
    pub matches: Vec<MatchSpec>,
    pub location: Location,
}

/// One bytecode instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Instr {
    /// Push the value of the program's next event match.
    Match,
    And,
    Or,
}

/// `EVENT [ARG...]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MatchSpec {
    pub event: String,
    pub args: Vec<ArgSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArgSpec {
    pub kind: ArgKind,
    /// A glob, possibly with `$VAR` references.
    pub pattern: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ArgKind {
    Positional,
    /// `KEY=PATTERN`
    Equals(String),
    /// `KEY!=PATTERN`
    NotEquals(String),
}

/// The lowest descriptor `ready fd` may name (0-2 are the standard ones).
pub const READY_FD_MIN: u8 = 3;

/// When the main process counts as ready (runtime-semantics.md §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Expect {
    /// As soon as it is running its program.
    #[default]
    None,
    /// When it stops itself with SIGSTOP.
    Stop,
    /// After its second fork (followed with ptrace).
    Daemon,
    /// After its first fork (followed with ptrace).
    Fork,
    /// upc's extension: when it sends `READY=1` to `NOTIFY_SOCKET` (the
    /// sd_notify protocol).
    Notify,
    /// upc's extension (`ready fd N`): when it writes a newline to a
    /// descriptor ([`JobSpec::ready_fd`]), as s6's notification-fd.
    Fd,
}

impl Expect {
    pub const ALL: [Expect; 6] = [
        Expect::None,
        Expect::Stop,
        Expect::Daemon,
        Expect::Fork,
        Expect::Notify,
        Expect::Fd,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<Expect> {
        Expect::ALL.get(usize::from(code)).copied()
    }

    pub fn name(self) -> &'static str {
        match self {
            Expect::None => "none",
            Expect::Stop => "stop",
            Expect::Daemon => "daemon",
            Expect::Fork => "fork",
            Expect::Notify => "notify",
            Expect::Fd => "fd",
        }
    }

    /// Whether the main process is followed with ptrace.
    pub fn traces(self) -> bool {
        matches!(self, Expect::Fork | Expect::Daemon)
    }

    /// Whether this is one of upc's extensions, which Upstart 1.13 refuses.
    pub fn is_extension(self) -> bool {
        matches!(self, Expect::Notify | Expect::Fd)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Console {
    None,
    Output,
    Owner,
    Log,
}

impl Console {
    pub const ALL: [Console; 4] = [Console::None, Console::Output, Console::Owner, Console::Log];

    /// 0 is "not set"; a console is 1 + its position in [`Console::ALL`].
    pub fn code(console: Option<Console>) -> u8 {
        console.map_or(0, |c| c as u8 + 1)
    }

    /// `None` for an unknown code; `Some(None)` for "not set".
    pub fn from_code(code: u8) -> Option<Option<Console>> {
        match code {
            0 => Some(None),
            n => Console::ALL.get(usize::from(n - 1)).copied().map(Some),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Console::None => "none",
            Console::Output => "output",
            Console::Owner => "owner",
            Console::Log => "log",
        }
    }
}

/// The `limit` resources, in the order of their codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    As,
    Core,
    Cpu,
    Data,
    Fsize,
    Memlock,
    Msgqueue,
    Nice,
    Nofile,
    Nproc,
    Rss,
    Rtprio,
    Sigpending,
    Stack,
}

impl Resource {
    pub const ALL: [Resource; 14] = [
        Resource::As,
        Resource::Core,
        Resource::Cpu,
        Resource::Data,
        Resource::Fsize,
        Resource::Memlock,
        Resource::Msgqueue,
        Resource::Nice,
        Resource::Nofile,
        Resource::Nproc,
        Resource::Rss,
        Resource::Rtprio,
        Resource::Sigpending,
        Resource::Stack,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    /// The resource a `limit` stanza names (`nofile`), if any.
    pub fn from_name(name: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn from_code(code: u8) -> Option<Resource> {
        Resource::ALL.get(usize::from(code)).copied()
    }

    /// The name in a `limit` stanza.
    pub fn name(self) -> &'static str {
        match self {
            Resource::As => "as",
            Resource::Core => "core",
            Resource::Cpu => "cpu",
            Resource::Data => "data",
            Resource::Fsize => "fsize",
            Resource::Memlock => "memlock",
            Resource::Msgqueue => "msgqueue",
            Resource::Nice => "nice",
            Resource::Nofile => "nofile",
            Resource::Nproc => "nproc",
            Resource::Rss => "rss",
            Resource::Rtprio => "rtprio",
            Resource::Sigpending => "sigpending",
            Resource::Stack => "stack",
        }
    }
}

/// A resource limit value: `None` is `unlimited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LimitSpec {
    pub resource: Resource,
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

/// One `cgroup` controller with its names and their settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CgroupSpec {
    pub controller: String,
    pub names: Vec<(String, Vec<(String, String)>)>,
}
