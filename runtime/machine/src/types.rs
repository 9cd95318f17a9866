//! The machine's vocabulary: goals, states, the stimuli it consumes and the
//! actions it produces. Everything here is plain data; the rules live in
//! the other modules.

use std::fmt;

pub use upc_bundle::{BodyKind, ProcessKind};

/// Time as the driver's clock gives it, in milliseconds. The machine never
/// reads a clock; it only compares the values it is handed.
pub type Millis = u64;

/// Identifies one job instance for its whole life (never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId(pub u64);

/// Identifies one event for its whole life (never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub u64);

/// Chosen by the driver for each control request; echoed in the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// Identifies a loaded job class (a job of one loaded bundle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId(pub u32);

/// One process slot of one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcRef {
    pub instance: InstanceId,
    pub process: ProcessKind,
}

/// What the instance should end up doing (runtime-semantics.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Goal {
    Stop,
    Start,
    /// The main process died and must be respawned once the post-start or
    /// pre-stop process that is still running has finished.
    Respawn,
}

impl Goal {
    pub fn name(self) -> &'static str {
        match self {
            Goal::Stop => "stop",
            Goal::Start => "start",
            Goal::Respawn => "respawn",
        }
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An instance's state (runtime-semantics.md §3.1), in lifecycle order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Waiting,
    Starting,
    SecuritySpawning,
    Security,
    PreStarting,
    PreStart,
    Spawning,
    Spawned,
    PostStarting,
    PostStart,
    Running,
    PreStopping,
    PreStop,
    Stopping,
    Killed,
    PostStopping,
    PostStop,
}

impl State {
    pub const ALL: [State; 17] = [
        State::Waiting,
        State::Starting,
        State::SecuritySpawning,
        State::Security,
        State::PreStarting,
        State::PreStart,
        State::Spawning,
        State::Spawned,
        State::PostStarting,
        State::PostStart,
        State::Running,
        State::PreStopping,
        State::PreStop,
        State::Stopping,
        State::Killed,
        State::PostStopping,
        State::PostStop,
    ];

    pub fn name(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Starting => "starting",
            State::SecuritySpawning => "security-spawning",
            State::Security => "security",
            State::PreStarting => "pre-starting",
            State::PreStart => "pre-start",
            State::Spawning => "spawning",
            State::Spawned => "spawned",
            State::PostStarting => "post-starting",
            State::PostStart => "post-start",
            State::Running => "running",
            State::PreStopping => "pre-stopping",
            State::PreStop => "pre-stop",
            State::Stopping => "stopping",
            State::Killed => "killed",
            State::PostStopping => "post-stopping",
            State::PostStop => "post-stop",
        }
    }

    pub fn from_name(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// It called exit(n).
    Exited(i32),
    /// A signal killed it.
    Signaled(i32),
}

impl ExitStatus {
    /// Upstart's single number: n, or the signal shifted left by 8, which is
    /// what `normal exit` lists are compared with.
    pub fn code(self) -> i64 {
        match self {
            ExitStatus::Exited(n) => i64::from(n),
            ExitStatus::Signaled(s) => i64::from(s) << 8,
        }
    }

    pub fn is_success(self) -> bool {
        self == ExitStatus::Exited(0)
    }
}

/// Why the last run of a job class failed, as the machine remembers it
/// until an instance of the class starts cleanly (reaches `running`).
/// `status` and `list` show it under the class's `stop/waiting` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFailure {
    /// The instance that failed (`""` for a singleton).
    pub instance: String,
    /// The process that failed; `None`: the respawn limit was hit.
    pub process: Option<ProcessKind>,
    pub cause: FailureCause,
}

/// What went wrong in a failed run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureCause {
    /// The process ended with a status or signal that counts as a failure.
    Ended(ExitStatus),
    /// The process could not be started: the spawner's reason (Upstart's
    /// text, `unable to execute: No such file or directory`).
    Spawn(String),
    /// It respawned too fast (`respawn limit`).
    RespawnLimit,
}

/// What the driver tells the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stimulus {
    /// A process [`crate::Spawner::spawn`] started failed before or at
    /// exec; `reason` is Upstart's text ("unable to execute: No such file
    /// or directory"). Its exit is not reported separately.
    SpawnFailed { pid: u32, reason: String },
    /// The exec of the process succeeded (its setup pipe closed empty).
    ExecConfirmed { pid: u32 },
    /// The process ended.
    Exited { pid: u32, status: ExitStatus },
    /// The process stopped itself with SIGSTOP (`expect stop`).
    Stopped { pid: u32 },
    /// A traced process forked; `child` is stopped and traced (`expect
    /// fork`/`daemon`). The driver reports it once both the fork event and
    /// the child's first stop were seen, in whatever order they came.
    Forked { pid: u32, child: u32 },
    /// A traced process called exec (`expect fork`/`daemon`).
    Execed { pid: u32 },
    /// The job's readiness protocol said something about the main process
    /// `pid` (`expect notify`, `ready fd`).
    Notify { pid: u32, notice: Notice },
    /// The driver's clock passed [`crate::Machine::poll_timeout`].
    Timeout,
    /// A control request (initctl).
    Request { id: RequestId, request: Request },
}

/// What a main process told init through upc's readiness extensions: the
/// sd_notify protocol of `expect notify` (one datagram may carry several),
/// or the newline of `ready fd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// `READY=1`, or the newline on the ready fd: leave `spawned`.
    Ready,
    /// `MAINPID=N`: the job's main process is N from now on.
    MainPid(u32),
    /// `STATUS=TEXT`: shown by `status` (empty: cleared).
    Status(String),
    /// `STOPPING=1`: the daemon is shutting down.
    Stopping,
}

/// Selects the instance a job request applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// By class name; the instance comes from the class's `instance`
    /// template expanded against the request's environment.
    Job(String),
    /// A named instance, as a job's own processes address themselves
    /// (`UPSTART_JOB` and `UPSTART_INSTANCE`); never waits.
    Instance { job: String, instance: String },
}

/// Which environment table a set-env family request works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvScope {
    /// The global job environment table.
    Global,
    /// One instance's environment.
    Instance { job: String, instance: String },
}

/// The control requests (control.md §1, §3).
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
    /// Send the reload signal to the main process.
    Reload {
        target: Target,
        env: Vec<String>,
    },
    /// The status line of one instance (`stop/waiting` if the singleton
    /// does not exist).
    Status {
        job: String,
        env: Vec<String>,
    },
    /// A status line for every class and instance.
    List,
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
}

/// Why a control request failed: the error names of the control
/// interface (control.md §1), which `initctl` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlErrorKind {
    UnknownJob,
    UnknownInstance,
    AlreadyStarted,
    AlreadyStopped,
    JobFailed,
    EventFailed,
    InvalidArgs,
    NotRunning,
    PermissionDenied,
}

/// A failed request: the kind and Upstart's message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlError {
    pub kind: ControlErrorKind,
    pub message: String,
}

impl ControlError {
    pub fn new(kind: ControlErrorKind, message: impl Into<String>) -> ControlError {
        ControlError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A successful request's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Nothing to print (emit, reload, set-env, ...).
    Done,
    /// Status lines (start, stop, restart, status, list): one string per
    /// instance, continuation lines joined with "\n\t" as initctl prints
    /// them.
    Status(Vec<String>),
    /// A variable's value (get-env).
    Value(String),
    /// `KEY=VALUE` lines (list-env).
    Env(Vec<String>),
}

pub type Reply = Result<Output, ControlError>;

/// A process the driver must start ([`crate::Spawner::spawn`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spawn {
    pub proc: ProcRef,
    /// The class whose settings (user, limits, console, ...) apply: see
    /// [`crate::Machine::class_view`].
    pub class: ClassId,
    pub job: String,
    pub instance: String,
    pub body: BodyKind,
    /// The `exec` command line or the script; [`Spawn::command`] gives
    /// the exact argv (and fd 9 script) Upstart would run.
    pub text: String,
    /// The exact environment, `KEY=VALUE` in order.
    pub env: Vec<String>,
    /// Trace it from exec on (`expect fork`/`daemon` main process).
    pub trace: bool,
}

/// What the machine asks the driver to do, in order. (Spawning is the
/// one synchronous call, [`crate::Spawner`].)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send `signal` to `pid`, or to its process group when `group`.
    Signal {
        pid: u32,
        signal: i32,
        group: bool,
    },
    /// Let a traced process run on, tracing forks and execs.
    PtraceContinue {
        pid: u32,
    },
    /// Stop tracing a process and let it run.
    PtraceDetach {
        pid: u32,
    },
    Reply {
        id: RequestId,
        reply: Reply,
    },
    /// A line for init's log, at Upstart's level for it.
    Log {
        level: LogLevel,
        text: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// Whose action a goal change comes from, for traces and the critical
/// chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// An event satisfied `start on` or `stop on`.
    Event(EventId),
    /// A control request.
    Request(RequestId),
    /// A process of the instance itself (exit, failure, respawn).
    Process(ProcessKind),
    /// The machine's own bookkeeping (a failure, a reload).
    Internal,
}

/// One record of the deterministic trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRecord {
    pub t: Millis,
    pub kind: TraceKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceKind {
    Goal {
        job: String,
        instance: String,
        from: Goal,
        to: Goal,
        cause: Cause,
    },
    State {
        job: String,
        instance: String,
        from: State,
        to: State,
        /// Entering `starting`/`stopping`: the job's own event it now waits
        /// for.
        blocked_by: Option<EventId>,
    },
    /// An event is being matched against the jobs (Upstart's "Handling
    /// NAME event").
    Event {
        id: EventId,
        name: String,
        env: Vec<String>,
        /// The instance whose state change emitted it, if any.
        emitter: Option<(String, String)>,
    },
    /// The event is held and cannot finish until its holder lets go.
    Hold {
        event: EventId,
        job: String,
        /// `""` for a singleton, and for a class's `start on`.
        instance: String,
        /// The holder is the class's `start on` match, which lets go when
        /// the condition is reset (when it is satisfied by this or a later
        /// event). Otherwise it is the instance, until it reaches its goal.
        start_on: bool,
    },
    /// The event stopped blocking and was finished.
    EventFinished {
        id: EventId,
        name: String,
        failed: bool,
    },
    Process {
        job: String,
        instance: String,
        process: ProcessKind,
        pid: u32,
    },
    Exit {
        job: String,
        instance: String,
        process: ProcessKind,
        pid: u32,
        status: ExitStatus,
    },
    Kill {
        job: String,
        instance: String,
        process: ProcessKind,
        pid: u32,
        signal: i32,
    },
    /// A request was answered.
    Reply { id: RequestId, ok: bool },
    /// Init's log line, and stimuli that were ignored because they did not
    /// fit the state (a stale pid, ...).
    Log { level: LogLevel, text: String },
}
