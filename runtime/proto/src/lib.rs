//! `upc-proto`: the control protocol between upinit and its clients
//! (runtime/init/PROTOCOL.md is the reference; this crate is its one
//! implementation). `upinit` serves it, `upctl` and `upc run` speak it:
//! each of the three depends on this crate, and none on another's, so the
//! compiler talks to a running init without linking the runtime shell.
//!
//! One JSON object per line, UTF-8. The server greets each connection with
//! a [`Hello`]; then the client sends requests ([`encode_request`]) and the
//! server answers each one with a reply carrying the request's id
//! ([`encode_reply`]). Requests the event/job machine answers map 1:1 onto
//! [`upc_machine::Request`] ([`Request::machine_request`]); the others are
//! init's own (reload the bundle, power off, the runlevel, a job's log).
//!
//! The codec is pure: no IO, no clock. The decoders take one line's bytes,
//! return a value or a [`DecodeError`] that says where and what, and never
//! panic on any bytes (the `proto` fuzz target in runtime/init/fuzz holds
//! them to that). Requests are decoded strictly (an unknown field is
//! refused, so a client never believes a server honoured an option it does
//! not know); the greeting and replies leniently (a minor version may add
//! fields). The one piece with IO is [`client`]: a blocking connection
//! (greeting, version check, one request at a time, its reply by id).
//!
//! The wire types are this crate's own: the machine's types are converted
//! at the edge ([`from_machine`]) and never serialised directly, so a change
//! inside the machine cannot change the format.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fmt;

use upc_machine::{EnvScope, Goal, ProcessKind, State, Target};

pub mod client;
mod decode;
mod encode;
mod lines;

pub use decode::{decode_hello, decode_reply, decode_request};
pub use encode::{encode_hello, encode_reply, encode_request};
pub use lines::{LineBuffer, TooLong};

/// The protocol's major version: a client refuses a server whose major
/// differs.
pub const MAJOR: u64 = 1;
/// The protocol's minor version: additions a client of the same major may
/// ignore (1.1: a record's `failure`).
pub const MINOR: u64 = 1;

/// The longest request line a server accepts, newline not counted.
pub const MAX_REQUEST_LINE: usize = 64 * 1024;
/// The longest reply line a client accepts, newline not counted (a `log`
/// reply carries up to [`MAX_LOG_TEXT`] bytes, escaped).
pub const MAX_REPLY_LINE: usize = 16 * 1024 * 1024;
/// The most log text one `log` reply carries (the end of the log).
pub const MAX_LOG_TEXT: usize = 1024 * 1024;

/// The system init's socket.
pub const SYSTEM_SOCKET: &str = "/run/upinit.sock";
/// A `--user` init's socket, under `$XDG_RUNTIME_DIR`.
pub const USER_SOCKET_NAME: &str = "upinit.sock";
/// The environment variable naming the socket to use (exported to the jobs
/// of a `--user` init, as Upstart exports `UPSTART_SESSION`).
pub const SOCKET_ENV: &str = "UPINIT_SOCKET";

/// The server's first line on every connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub major: u64,
    pub minor: u64,
    /// The server program and its version, `upinit 0.1.0`.
    pub server: String,
    /// `system`, `user` or `container`.
    pub mode: String,
}

impl Hello {
    /// Whether a client of this crate's [`MAJOR`] can talk to the server.
    pub fn compatible(&self) -> bool {
        self.major == MAJOR
    }
}

/// What a request's `power` operation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Power {
    Poweroff,
    Reboot,
    Halt,
}

impl Power {
    pub const ALL: [Power; 3] = [Power::Poweroff, Power::Reboot, Power::Halt];

    pub fn name(self) -> &'static str {
        match self {
            Power::Poweroff => "poweroff",
            Power::Reboot => "reboot",
            Power::Halt => "halt",
        }
    }
}

/// One control request (PROTOCOL.md, "Requests").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Start {
        target: Target,
        env: Vec<String>,
        wait: bool,
    },
    Stop {
        target: Target,
        env: Vec<String>,
        wait: bool,
    },
    Restart {
        target: Target,
        env: Vec<String>,
        wait: bool,
    },
    Reload {
        target: Target,
        env: Vec<String>,
    },
    /// The status line of one instance; with `records`, also its
    /// [`InstanceRecord`] (`upctl status --json`).
    Status {
        target: Target,
        env: Vec<String>,
        records: bool,
    },
    /// Every class's and instance's status line (and records).
    List {
        records: bool,
    },
    Emit {
        name: String,
        env: Vec<String>,
        wait: bool,
    },
    GetEnv {
        scope: EnvScope,
        name: String,
    },
    ListEnv {
        scope: EnvScope,
    },
    SetEnv {
        scope: EnvScope,
        vars: Vec<String>,
        replace: bool,
    },
    UnsetEnv {
        scope: EnvScope,
        names: Vec<String>,
    },
    ResetEnv {
        scope: EnvScope,
    },
    /// Load the bundle again (keeping the old one if the new is invalid).
    ReloadConfiguration,
    /// The server's version string.
    Version,
    /// Query (`None`) or set init's log priority.
    LogPriority {
        set: Option<String>,
    },
    /// The log directory is writable now: flush the buffered job logs.
    NotifyDiskWriteable,
    /// The current and previous runlevel.
    Runlevel,
    /// Change runlevel: record it and emit `runlevel RUNLEVEL=.. PREVLEVEL=..`
    /// plus `env`, without waiting. `prevlevel` overrides the recorded
    /// one (telinit takes `$RUNLEVEL` when set).
    Telinit {
        runlevel: String,
        prevlevel: Option<String>,
        env: Vec<String>,
    },
    /// Power off, reboot or halt; `force` skips the orderly stop of jobs.
    Power {
        action: Power,
        force: bool,
    },
    /// The end of a job's `console log` output (file or buffer).
    Log {
        job: String,
        instance: String,
    },
    /// A class's `usage` text.
    Usage {
        job: String,
    },
}

impl Request {
    /// The operation's name on the wire (`op`).
    pub fn op(&self) -> &'static str {
        match self {
            Request::Start { .. } => "start",
            Request::Stop { .. } => "stop",
            Request::Restart { .. } => "restart",
            Request::Reload { .. } => "reload",
            Request::Status { .. } => "status",
            Request::List { .. } => "list",
            Request::Emit { .. } => "emit",
            Request::GetEnv { .. } => "get-env",
            Request::ListEnv { .. } => "list-env",
            Request::SetEnv { .. } => "set-env",
            Request::UnsetEnv { .. } => "unset-env",
            Request::ResetEnv { .. } => "reset-env",
            Request::ReloadConfiguration => "reload-configuration",
            Request::Version => "version",
            Request::LogPriority { .. } => "log-priority",
            Request::NotifyDiskWriteable => "notify-disk-writeable",
            Request::Runlevel => "runlevel",
            Request::Telinit { .. } => "telinit",
            Request::Power { action, .. } => action.name(),
            Request::Log { .. } => "log",
            Request::Usage { .. } => "usage",
        }
    }

    /// Whether the request changes init's state (and so needs a privileged
    /// peer: root, or the session's own uid in `--user` mode). Queries do
    /// not.
    pub fn modifies(&self) -> bool {
        match self {
            Request::Status { .. }
            | Request::List { .. }
            | Request::GetEnv { .. }
            | Request::ListEnv { .. }
            | Request::Version
            | Request::LogPriority { set: None }
            | Request::Runlevel
            | Request::Usage { .. } => false,
            // A job's log may hold what only root should read.
            Request::Log { .. } => true,
            Request::Start { .. }
            | Request::Stop { .. }
            | Request::Restart { .. }
            | Request::Reload { .. }
            | Request::Emit { .. }
            | Request::SetEnv { .. }
            | Request::UnsetEnv { .. }
            | Request::ResetEnv { .. }
            | Request::ReloadConfiguration
            | Request::LogPriority { set: Some(_) }
            | Request::NotifyDiskWriteable
            | Request::Telinit { .. }
            | Request::Power { .. } => true,
        }
    }

    /// The machine's request, for those the event/job machine answers
    /// (with `records`, the server adds the instances' records to the
    /// machine's reply). `None` for init's own operations and for the
    /// status of a named instance (`status` from inside a job), which the
    /// machine's `Status` cannot address.
    pub fn machine_request(&self) -> Option<upc_machine::Request> {
        use upc_machine::Request as M;
        Some(match self.clone() {
            Request::Start { target, env, wait } => M::Start { target, env, wait },
            Request::Stop { target, env, wait } => M::Stop { target, env, wait },
            Request::Restart { target, env, wait } => M::Restart { target, env, wait },
            Request::Reload { target, env } => M::Reload { target, env },
            Request::Status {
                target: Target::Job(job),
                env,
                ..
            } => M::Status { job, env },
            Request::List { .. } => M::List,
            Request::Emit { name, env, wait } => M::Emit { name, env, wait },
            Request::GetEnv { scope, name } => M::GetEnv { scope, name },
            Request::ListEnv { scope } => M::ListEnv { scope },
            Request::SetEnv {
                scope,
                vars,
                replace,
            } => M::SetEnv {
                scope,
                vars,
                replace,
            },
            Request::UnsetEnv { scope, names } => M::UnsetEnv { scope, names },
            Request::ResetEnv { scope } => M::ResetEnv { scope },
            Request::Status {
                target: Target::Instance { .. },
                ..
            }
            | Request::ReloadConfiguration
            | Request::Version
            | Request::LogPriority { .. }
            | Request::NotifyDiskWriteable
            | Request::Runlevel
            | Request::Telinit { .. }
            | Request::Power { .. }
            | Request::Log { .. }
            | Request::Usage { .. } => return None,
        })
    }
}

/// One instance as `status --json` and `list --json` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRecord {
    pub job: String,
    /// `""` for a singleton (and for a class without instances in `list`).
    pub instance: String,
    pub goal: Goal,
    pub state: State,
    /// Every process slot with a pid, in slot order.
    pub processes: Vec<(ProcessKind, u32)>,
    /// Why the last run failed, on a `stop/waiting` record whose status
    /// line shows it (protocol 1.1).
    pub failure: Option<RecordFailure>,
}

/// A failed run as a record carries it: the machine's
/// [`upc_machine::RunFailure`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFailure {
    /// The instance that failed (`""` for a singleton).
    pub instance: String,
    /// The process that failed; `None`: the respawn limit was hit.
    pub process: Option<ProcessKind>,
    /// What the status line says after `failed: `
    /// (`main process: unable to execute: No such file or directory`).
    pub message: String,
}

impl From<&upc_machine::RunFailure> for RecordFailure {
    fn from(f: &upc_machine::RunFailure) -> RecordFailure {
        RecordFailure {
            instance: f.instance.clone(),
            process: f.process,
            message: f.message(),
        }
    }
}

/// A successful reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Nothing to print.
    Done,
    /// Status lines (continuation lines joined with `"\n\t"`, as the
    /// machine renders them) and, when asked for, the records of the same
    /// instances in the same order.
    Status {
        lines: Vec<String>,
        records: Option<Vec<InstanceRecord>>,
    },
    /// One value (get-env, version, log-priority, usage).
    Value(String),
    /// `KEY=VALUE` lines (list-env).
    Env(Vec<String>),
    /// `None` while no runlevel was ever set.
    Runlevel {
        previous: Option<String>,
        current: Option<String>,
    },
    /// The end of a job's log: at most [`MAX_LOG_TEXT`] bytes of it
    /// (`truncated` when there was more), invalid UTF-8 replaced; `path`
    /// is the log file once it is on disk.
    Log {
        text: String,
        path: Option<String>,
        truncated: bool,
    },
}

/// The error names of a failed reply: the machine's (Upstart's D-Bus
/// error names) and init's own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    UnknownJob,
    UnknownInstance,
    AlreadyStarted,
    AlreadyStopped,
    JobFailed,
    EventFailed,
    InvalidArgs,
    NotRunning,
    PermissionDenied,
    /// The request line could not be decoded (the message says where).
    BadRequest,
    /// The request line passed [`MAX_REQUEST_LINE`]; the server closes.
    TooLarge,
    /// `reload-configuration`: the new bundle is invalid; the old one runs
    /// on.
    ConfigInvalid,
    /// `log`: the job has no log (its console is not `log`, or nothing was
    /// written yet).
    NoLog,
    /// The operation is not available in this mode (power off in `--user`
    /// mode, ...).
    Unsupported,
    /// The server is shutting down or out of a resource; try again.
    Unavailable,
    /// A name this client does not know (a later minor version's).
    Other(String),
}

impl ErrorKind {
    pub(crate) const KNOWN: [ErrorKind; 15] = [
        ErrorKind::UnknownJob,
        ErrorKind::UnknownInstance,
        ErrorKind::AlreadyStarted,
        ErrorKind::AlreadyStopped,
        ErrorKind::JobFailed,
        ErrorKind::EventFailed,
        ErrorKind::InvalidArgs,
        ErrorKind::NotRunning,
        ErrorKind::PermissionDenied,
        ErrorKind::BadRequest,
        ErrorKind::TooLarge,
        ErrorKind::ConfigInvalid,
        ErrorKind::NoLog,
        ErrorKind::Unsupported,
        ErrorKind::Unavailable,
    ];

    pub fn name(&self) -> &str {
        match self {
            ErrorKind::UnknownJob => "UnknownJob",
            ErrorKind::UnknownInstance => "UnknownInstance",
            ErrorKind::AlreadyStarted => "AlreadyStarted",
            ErrorKind::AlreadyStopped => "AlreadyStopped",
            ErrorKind::JobFailed => "JobFailed",
            ErrorKind::EventFailed => "EventFailed",
            ErrorKind::InvalidArgs => "InvalidArgs",
            ErrorKind::NotRunning => "NotRunning",
            ErrorKind::PermissionDenied => "PermissionDenied",
            ErrorKind::BadRequest => "BadRequest",
            ErrorKind::TooLarge => "TooLarge",
            ErrorKind::ConfigInvalid => "ConfigInvalid",
            ErrorKind::NoLog => "NoLog",
            ErrorKind::Unsupported => "Unsupported",
            ErrorKind::Unavailable => "Unavailable",
            ErrorKind::Other(name) => name,
        }
    }

    pub fn from_name(name: &str) -> ErrorKind {
        ErrorKind::KNOWN
            .into_iter()
            .find(|k| k.name() == name)
            .unwrap_or_else(|| ErrorKind::Other(name.to_owned()))
    }
}

impl From<upc_machine::ControlErrorKind> for ErrorKind {
    fn from(kind: upc_machine::ControlErrorKind) -> ErrorKind {
        use upc_machine::ControlErrorKind as M;
        match kind {
            M::UnknownJob => ErrorKind::UnknownJob,
            M::UnknownInstance => ErrorKind::UnknownInstance,
            M::AlreadyStarted => ErrorKind::AlreadyStarted,
            M::AlreadyStopped => ErrorKind::AlreadyStopped,
            M::JobFailed => ErrorKind::JobFailed,
            M::EventFailed => ErrorKind::EventFailed,
            M::InvalidArgs => ErrorKind::InvalidArgs,
            M::NotRunning => ErrorKind::NotRunning,
            M::PermissionDenied => ErrorKind::PermissionDenied,
        }
    }
}

/// A failed reply: the error's name and Upstart's message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A reply: its request's id (`None` when the request line was too broken
/// to read one) and the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub id: Option<u64>,
    pub result: Result<Output, Failure>,
}

/// The machine's reply on the wire.
pub fn from_machine(reply: upc_machine::Reply) -> Result<Output, Failure> {
    match reply {
        Ok(upc_machine::Output::Done) => Ok(Output::Done),
        Ok(upc_machine::Output::Status(lines)) => Ok(Output::Status {
            lines,
            records: None,
        }),
        Ok(upc_machine::Output::Value(v)) => Ok(Output::Value(v)),
        Ok(upc_machine::Output::Env(e)) => Ok(Output::Env(e)),
        Err(e) => Err(Failure::new(e.kind.into(), e.message)),
    }
}

impl From<&upc_machine::InstanceInfo> for InstanceRecord {
    fn from(i: &upc_machine::InstanceInfo) -> InstanceRecord {
        InstanceRecord {
            job: i.job.clone(),
            instance: i.name.clone(),
            goal: i.goal,
            state: i.state,
            processes: i.processes.clone(),
            failure: None,
        }
    }
}

impl InstanceRecord {
    /// A class without an instance, as `list` shows it (`NAME stop/waiting`),
    /// with the last run's failure if the line shows one.
    pub fn waiting(job: &str, failure: Option<&upc_machine::RunFailure>) -> InstanceRecord {
        InstanceRecord {
            job: job.to_owned(),
            instance: String::new(),
            goal: Goal::Stop,
            state: State::Waiting,
            processes: Vec::new(),
            failure: failure.map(RecordFailure::from),
        }
    }

    /// The record as one JSON object, as `upctl --json` prints it.
    pub fn to_json(&self) -> String {
        encode::encode_record(self)
    }
}

// ---------------------------------------------------------------------
// Decoding errors

/// Why a line could not be decoded: where (the 1-based byte column of a
/// JSON syntax error, or the field) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The column of a syntax error (bytes, from 1).
    pub column: Option<usize>,
    /// The field whose value is wrong (`job`, `env[2]`).
    pub field: Option<String>,
    pub message: String,
}

impl DecodeError {
    pub(crate) fn field(field: impl Into<String>, message: impl Into<String>) -> DecodeError {
        DecodeError {
            column: None,
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub(crate) fn whole(message: impl Into<String>) -> DecodeError {
        DecodeError {
            column: None,
            field: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.column, &self.field) {
            (Some(c), _) => write!(f, "column {c}: {}", self.message),
            (None, Some(field)) => write!(f, "field `{field}`: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// A request line that could not be decoded, with its id when one could
/// be read (so the error reply can carry it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    pub id: Option<u64>,
    pub error: DecodeError,
}

impl RequestError {
    /// The reply a server sends for it.
    pub fn reply(&self) -> Reply {
        Reply {
            id: self.id,
            result: Err(Failure::new(
                ErrorKind::BadRequest,
                format!("bad request: {}", self.error),
            )),
        }
    }
}

/// The reply to a request line longer than [`MAX_REQUEST_LINE`] (the
/// server closes the connection after sending it).
pub fn too_large_reply() -> Reply {
    Reply {
        id: None,
        result: Err(Failure::new(
            ErrorKind::TooLarge,
            format!("bad request: line longer than {MAX_REQUEST_LINE} bytes"),
        )),
    }
}

#[cfg(test)]
mod tests;
