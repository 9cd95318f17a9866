//! The loop: one thread, one epoll. Everything that can happen is an
//! epoll event ([`Token`]): a signal (signalfd), a connection or request
//! on the control socket, a process's error pipe, a job's log pty, the
//! console capture pipe, a long script being written; or the deadline the
//! machine asks for (`poll_timeout`), which is epoll_wait's timeout.
//!
//! Each event is dispatched inside `catch_unwind`: a panic that still
//! happens is reported on the console and init carries on with the next
//! event. After every stimulus the machine's trace and actions are taken
//! at once ([`Init::after_step`]), so the order of records is the order
//! things were decided.
//!
//! Timer choice: epoll_wait's millisecond timeout, recomputed from
//! `poll_timeout()` on every turn, rather than a timerfd: one descriptor
//! and one system call fewer per turn for the same precision.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollEvent, EpollTimeout};
use nix::sys::signal::Signal;
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::{waitid, Id, WaitPidFlag};
use nix::unistd::getpid;
use upc_machine::{
    Action, ExitStatus, InstanceId, InstanceInfo, LogLevel, Machine, Millis, Notice, ProcessKind,
    Reply as MachineReply, RequestId, State, Stimulus, Target,
};

use super::boot::load_bundle;
use super::control::{Incoming, Server};
use super::options::Mode;
use super::pid1;
use super::say::Say;
use super::spawn::Processes;
use super::sys::{trim_heap, wait_any, wait_pid, ChildState, Token};
use super::trace::{command_text, Trace};
use crate::proto::{
    self, ErrorKind, Failure, InstanceRecord, Output, Power, Reply, Request, MAX_LOG_TEXT,
};

/// Longest captured console line kept before it is passed on unfinished.
const MAX_CAPTURE_LINE: usize = 64 * 1024;
/// After this many events, an idle loop gives freed memory back.
const TRIM_AFTER_EVENTS: usize = 64;
/// A wait this long (or without end) counts as idle.
const IDLE_MS: u64 = 1_000;
/// While shutting down, how often the loop looks at the jobs.
const SHUTDOWN_TICK_MS: Millis = 50;
/// How long after a SIGCHLD the full reap may wait (see
/// [`Init::child_signal`]): the exits of a burst share one.
const SCAN_DELAY_MS: Millis = 1;
/// The least time the jobs get to stop, as Upstart's session init gives
/// them; with a longer `kill timeout`, that and [`SHUTDOWN_KILL_SLACK_MS`].
const SHUTDOWN_MIN_MS: Millis = 5_000;
/// Time after the longest `kill timeout` for the SIGKILLed to be reaped.
const SHUTDOWN_KILL_SLACK_MS: Millis = 2_000;
/// Time left processes get between TERM and KILL.
const TERM_GRACE_MS: Millis = 2_000;
/// Time after KILL before giving up on stragglers.
const KILL_GRACE_MS: Millis = 1_000;

/// Who waits for a machine request's reply.
struct Waiter {
    client: u64,
    id: u64,
    records: Records,
}

/// Records to add to a status reply (`--json`).
enum Records {
    None,
    Status { target: Target, env: Vec<String> },
    List,
}

/// How a shutdown ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// reboot(2).
    Power(Power),
    /// Exit with 0 if every job stopped in time, else 1 (`--container`,
    /// `--user`).
    Exit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Every job has been told to stop; waiting for them.
    Jobs,
    /// TERM was sent to what is left.
    Term,
    /// KILL was sent to what is left.
    Kill,
    /// reboot(2) was refused: nothing more to do.
    Refused,
}

struct Shutdown {
    ending: Ending,
    phase: Phase,
    deadline: Millis,
    clean: bool,
}

/// The console capture pipe's read end and the unfinished line.
pub struct Capture {
    pub fd: OwnedFd,
    pub partial: Vec<u8>,
}

/// The running init.
pub struct Init {
    pub mode: Mode,
    pub epoll: Rc<Epoll>,
    pub signals: SignalFd,
    pub machine: Machine<Processes>,
    pub server: Option<Server>,
    pub trace: Trace,
    pub say: Say,
    pub clock: Instant,
    pub bundle_path: PathBuf,
    pub capture: Option<Capture>,
    /// The console sends SIGWINCH for the keyboard request.
    pub keyboard: bool,
    next_request: u64,
    waiting: HashMap<RequestId, Waiter>,
    shutdown: Option<Shutdown>,
    /// (previous, current) as `telinit` set them.
    runlevel: (Option<String>, Option<String>),
    priority: &'static str,
    exit: Option<i32>,
    next_sweep: Option<Millis>,
    /// When the full reap after a SIGCHLD is due ([`Init::child_signal`]).
    scan_at: Option<Millis>,
    now: Millis,
}

/// Log priority names (control.md §3.10) and the level each shows.
const PRIORITIES: [(&str, LogLevel); 6] = [
    ("debug", LogLevel::Debug),
    ("info", LogLevel::Info),
    ("message", LogLevel::Warn),
    ("warn", LogLevel::Warn),
    ("error", LogLevel::Error),
    ("fatal", LogLevel::Error),
];

fn priority_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "message",
        LogLevel::Error => "error",
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

impl Init {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        mode: Mode,
        epoll: Rc<Epoll>,
        signals: SignalFd,
        machine: Machine<Processes>,
        server: Option<Server>,
        trace: Trace,
        say: Say,
        clock: Instant,
        bundle_path: PathBuf,
        capture: Option<Capture>,
    ) -> Init {
        Init {
            mode,
            epoll,
            signals,
            priority: priority_name(say.level),
            machine,
            server,
            trace,
            say,
            clock,
            bundle_path,
            capture,
            keyboard: false,
            next_request: 1,
            waiting: HashMap::new(),
            shutdown: None,
            runlevel: (None, None),
            exit: None,
            next_sweep: None,
            scan_at: None,
            now: 0,
        }
    }

    /// The time of the event being handled (read once per event: a spawn
    /// burst would otherwise read the clock for every stimulus).
    pub fn now(&self) -> Millis {
        self.now
    }

    fn read_clock(&mut self) {
        self.now = u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    }

    /// Emits init's first event.
    pub fn startup(&mut self, event: Option<&str>) {
        self.read_clock();
        if let Some(name) = event {
            let now = self.now();
            self.machine.emit(now, name, Vec::new());
            self.after_step();
        }
        self.trace.flush();
    }

    /// Runs until an exit is due (never for a system init). Returns the
    /// exit status.
    pub fn run(&mut self) -> i32 {
        let mut events = vec![EpollEvent::empty(); 64];
        // Events handled since the heap was last trimmed.
        let mut busy = 0usize;
        loop {
            if let Some(code) = self.exit {
                return code;
            }
            self.read_clock();
            let mut wait = self.wait_ms();
            // After a burst of work, a quiet second gives the freed heap
            // back (never during the burst: trimming walks the heap).
            let trim = busy >= TRIM_AFTER_EVENTS && wait.is_none_or(|ms| ms >= IDLE_MS);
            if trim {
                wait = Some(IDLE_MS);
            }
            let timeout = match wait {
                None => EpollTimeout::NONE,
                Some(ms) => {
                    EpollTimeout::try_from(ms.min(i32::MAX as u64)).unwrap_or(EpollTimeout::MAX)
                }
            };
            let n = match self.epoll.wait(&mut events, timeout) {
                Ok(n) => n,
                Err(Errno::EINTR) => 0,
                Err(e) => {
                    self.say.error(&format!("epoll_wait failed: {}", e.desc()));
                    0
                }
            };
            if trim && n == 0 {
                trim_heap();
                busy = 0;
            }
            busy += n;
            for event in events.iter().take(n) {
                let data = event.data();
                let flags = event.events();
                self.guarded(|init| init.dispatch(data, flags));
            }
            self.guarded(Init::tick);
            self.trace.flush();
        }
    }

    /// Runs `f` at the current time; a panic in it is reported and
    /// survived.
    fn guarded(&mut self, f: impl FnOnce(&mut Init)) {
        self.read_clock();
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| f(self))) {
            self.say.error(&format!(
                "internal error: {}; carrying on",
                panic_text(payload.as_ref())
            ));
        }
    }

    /// How long the loop may sleep: until the machine's deadline, the next
    /// look at a shutdown or at stalled clients; `None`: until something
    /// happens.
    fn wait_ms(&self) -> Option<u64> {
        let now = self.now();
        let mut due = self.machine.poll_timeout();
        let mut soonest = |t: Option<Millis>| {
            if let Some(t) = t {
                due = Some(due.map_or(t, |d| d.min(t)));
            }
        };
        soonest(self.next_sweep);
        soonest(self.scan_at);
        if self
            .shutdown
            .as_ref()
            .is_some_and(|s| s.phase != Phase::Refused)
        {
            soonest(Some(now + SHUTDOWN_TICK_MS));
        }
        due.map(|t| t.saturating_sub(now))
    }

    fn dispatch(&mut self, data: u64, flags: nix::sys::epoll::EpollFlags) {
        let Some(token) = Token::decode(data) else {
            return;
        };
        let now = self.now();
        match token {
            Token::Signals => self.signals(),
            Token::Listener => {
                if let Some(s) = &mut self.server {
                    s.accept(now);
                }
            }
            Token::Client(id) => {
                let mut incoming = Vec::new();
                if let Some(s) = &mut self.server {
                    if flags.intersects(nix::sys::epoll::EpollFlags::EPOLLOUT) {
                        s.writable(id, now);
                    }
                    if flags.intersects(
                        nix::sys::epoll::EpollFlags::EPOLLIN
                            | nix::sys::epoll::EpollFlags::EPOLLHUP
                            | nix::sys::epoll::EpollFlags::EPOLLERR,
                    ) {
                        s.readable(id, now, &mut incoming);
                    }
                }
                for request in incoming {
                    self.request(request);
                }
            }
            Token::Confirm(pid) => {
                let stimuli = self.machine.spawner.confirm(pid);
                self.feed(stimuli);
            }
            Token::Log(id) => {
                self.machine.spawner.logs.readable(id);
            }
            Token::Script(pid) => self.machine.spawner.write_script(pid),
            Token::Capture => self.capture(),
            Token::Ready(id) => self.readiness(id),
        }
    }

    /// Hands stimuli to the machine, one step each.
    fn feed(&mut self, stimuli: Vec<Stimulus>) {
        for s in stimuli {
            let moved = match &s {
                Stimulus::Forked { pid, child } => Some((*pid, *child)),
                Stimulus::Notify {
                    pid,
                    notice: Notice::MainPid(new),
                } => Some((*pid, *new)),
                _ => None,
            };
            let now = self.now();
            self.machine.handle(now, s);
            if let Some((old, new)) = moved {
                self.main_moved(old, new);
            }
            self.after_step();
        }
    }

    /// After a fork or a `MAINPID`: if the machine took the new process as
    /// the main one, init reports its exit (and not the old one's) and
    /// says so in the trace.
    fn main_moved(&mut self, old: u32, new: u32) {
        let Some(p) = self.machine.process(new) else {
            return;
        };
        if p.process != ProcessKind::Main {
            return;
        }
        self.machine.spawner.moved_main(old, new);
        self.machine.spawner.ready.main_moved(old, new);
        if let Some(i) = self.machine.instance(p.instance) {
            let now = self.now();
            self.trace.follow(now, &i.job, &i.name, old, new);
        }
    }

    /// A readiness channel (`expect notify`, `ready fd`) has something.
    fn readiness(&mut self, id: u64) {
        let heard = self.machine.spawner.ready.read(id);
        for note in &heard.notes {
            self.say
                .warn(&format!("process {}: notify socket: {note}", heard.main));
        }
        let mut main = heard.main;
        for notice in heard.notices {
            let new = match notice {
                Notice::MainPid(n) => Some(n),
                _ => None,
            };
            self.feed(vec![Stimulus::Notify { pid: main, notice }]);
            if let Some(n) = new.filter(|&n| self.machine.process(n).is_some()) {
                main = n;
            }
        }
    }

    /// Takes the trace and the actions of the step just made, performs the
    /// actions, and feeds back what the spawner decided on its own.
    fn after_step(&mut self) {
        loop {
            let mut actions = Vec::new();
            while let Some(a) = self.machine.poll_action() {
                actions.push(a);
            }
            if self.trace.wanted() {
                let records = self.machine.take_trace();
                let replies: BTreeMap<RequestId, &MachineReply> = actions
                    .iter()
                    .filter_map(|a| match a {
                        Action::Reply { id, reply } => Some((*id, reply)),
                        _ => None,
                    })
                    .collect();
                for r in &records {
                    let reply = match r.kind {
                        upc_machine::TraceKind::Reply { id, .. } => replies.get(&id).copied(),
                        _ => None,
                    };
                    self.trace.record(r, reply, &self.say);
                }
            }
            for action in actions {
                self.act(action);
            }
            for (level, text) in std::mem::take(&mut self.machine.spawner.notes) {
                self.say.line(level, &text);
            }
            let pending = std::mem::take(&mut self.machine.spawner.pending);
            if pending.is_empty() {
                return;
            }
            for s in pending {
                let now = self.now();
                self.machine.handle(now, s);
            }
        }
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Signal { pid, signal, group } => {
                self.machine.spawner.signal(pid, signal, group)
            }
            Action::PtraceContinue { pid } => self.machine.spawner.tracer.resume(pid),
            Action::PtraceDetach { pid } => self.machine.spawner.tracer.detach(pid),
            Action::Reply { id, reply } => self.answer(id, reply),
            Action::Log { level, text } => self.say.line(level, &text),
        }
    }

    // ------------------------------------------------------------------
    // Signals and children

    fn signals(&mut self) {
        loop {
            let info = match self.signals.read_signal() {
                Ok(Some(info)) => info,
                Ok(None) => return,
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    self.say
                        .error(&format!("cannot read signals: {}", e.desc()));
                    return;
                }
            };
            let Ok(signal) = Signal::try_from(i32::try_from(info.ssi_signo).unwrap_or(0)) else {
                continue;
            };
            if signal == Signal::SIGCHLD {
                self.child_signal(info.ssi_pid);
            } else {
                self.signal(signal);
            }
        }
    }

    fn signal(&mut self, signal: Signal) {
        let emit = |init: &mut Init, name: &str| {
            let now = init.now();
            init.machine.emit(now, name, Vec::new());
            init.after_step();
        };
        match (signal, self.mode) {
            (Signal::SIGCHLD, _) => self.reap(),
            (Signal::SIGHUP, _) => {
                if let Err(e) = self.reload() {
                    self.say.error(&e);
                }
            }
            (Signal::SIGINT, Mode::System) => emit(self, "control-alt-delete"),
            (Signal::SIGWINCH, Mode::System) if self.keyboard => emit(self, "keyboard-request"),
            (Signal::SIGPWR, Mode::System | Mode::Container) => emit(self, "power-status-changed"),
            (Signal::SIGTERM | Signal::SIGINT, Mode::Container) => {
                self.begin_shutdown(Ending::Exit)
            }
            (Signal::SIGTERM | Signal::SIGINT, Mode::User) => {
                if self.shutdown.is_none() {
                    let now = self.now();
                    self.machine
                        .emit(now, "session-end", vec!["TYPE=shutdown".into()]);
                    self.after_step();
                }
                self.begin_shutdown(Ending::Exit);
            }
            (Signal::SIGTERM, Mode::System) => self
                .say
                .warn("SIGTERM asks for a stateful re-exec, which upinit does not do yet; ignored"),
            (s, _) => self
                .say
                .line(LogLevel::Debug, &format!("ignored signal {}", s.as_str())),
        }
    }

    /// Reaps every child that changed state: signals coalesce, so one
    /// SIGCHLD may stand for many. Orphans re-parented to init are reaped
    /// too; the machine hears only of its own processes. Stops of traced
    /// processes (`__WALL` reports them, children or not) go to the
    /// tracer, which answers each at once: init never leaves one waiting.
    fn reap(&mut self) {
        self.scan_at = None;
        // What a process said before it ended comes first (a `MAINPID`
        // sent just before the old main process exits).
        for id in self.machine.spawner.ready.ids() {
            self.readiness(id);
        }
        loop {
            let (pid, state) = match wait_any() {
                Ok(Some(changed)) => changed,
                Ok(None) => return,
                Err(e) => {
                    self.say.error(&format!("waitpid failed: {}", e.desc()));
                    return;
                }
            };
            self.child_changed(pid, state);
        }
    }

    /// A SIGCHLD about `pid`: that process is reaped (or its stop handled)
    /// at once, by pid. SIGCHLDs coalesce, so others may have changed too:
    /// a full [`Init::reap`] follows within [`SCAN_DELAY_MS`], once for a
    /// whole burst (a scan walks every child in the kernel; one per exit
    /// made stopping 1,000 services quadratic).
    fn child_signal(&mut self, pid: u32) {
        for id in self.machine.spawner.ready.ids() {
            self.readiness(id);
        }
        while let Ok(Some((pid, state))) = wait_pid(pid) {
            self.child_changed(pid, state);
        }
        // A traced daemon's new child: its first stop's SIGCHLD may have
        // merged with this one (waiting for the full reap cost `expect
        // daemon` a millisecond a fork).
        for child in self.machine.spawner.tracer.unstarted() {
            while let Ok(Some((pid, state))) = wait_pid(child) {
                self.child_changed(pid, state);
            }
        }
        if self.scan_at.is_none() {
            self.scan_at = Some(self.now() + SCAN_DELAY_MS);
        }
    }

    fn child_changed(&mut self, pid: u32, state: ChildState) {
        let spawner = &mut self.machine.spawner;
        let stimuli = match state {
            ChildState::Exited(code) => spawner.exited(pid, ExitStatus::Exited(code)),
            ChildState::Signaled(signal) => spawner.exited(pid, ExitStatus::Signaled(signal)),
            ChildState::Continued => Vec::new(),
            stop => match spawner.tracer.stopped(pid, stop) {
                Some(stimuli) => stimuli,
                None => match stop {
                    ChildState::Stopped(signal) => {
                        spawner.stopped(pid, signal).into_iter().collect()
                    }
                    _ => Vec::new(),
                },
            },
        };
        self.feed(stimuli);
    }

    // ------------------------------------------------------------------
    // Control requests

    fn request(&mut self, inc: Incoming) {
        let rid = RequestId(self.next_request);
        self.next_request += 1;
        let now = self.now();
        if self.trace.to_file() {
            self.trace.command(now, rid, &command_text(&inc.request));
        }
        let refuse = |kind: ErrorKind, message: String| Err(Failure::new(kind, message));
        if inc.request.modifies() && !inc.privileged {
            let what = match &inc.request {
                Request::Emit { .. } => "You do not have permission to emit an event".to_owned(),
                r => format!("You do not have permission to {}", r.op()),
            };
            return self.send(&inc, refuse(ErrorKind::PermissionDenied, what));
        }
        // While every job is being stopped, nothing may be started again
        // (a start, a restart, a new job set or runlevel, another orderly
        // power request); the rest is served: the jobs' own stop scripts
        // emit events and stop others (networking's post-stop emits
        // `deconfiguring-networking`), and what an event starts is stopped
        // by the shutdown's next look at the jobs.
        let starts = matches!(
            inc.request,
            Request::Start { .. }
                | Request::Restart { .. }
                | Request::ReloadConfiguration
                | Request::Telinit { .. }
                | Request::Power { force: false, .. }
        );
        if self.shutdown.is_some() && starts {
            let why = "upinit is shutting down".to_owned();
            return self.send(&inc, refuse(ErrorKind::Unavailable, why));
        }
        if let Some(m) = inc.request.machine_request() {
            let records = match &inc.request {
                Request::Status {
                    target,
                    env,
                    records: true,
                } => Records::Status {
                    target: target.clone(),
                    env: env.clone(),
                },
                Request::List { records: true } => Records::List,
                _ => Records::None,
            };
            self.waiting.insert(
                rid,
                Waiter {
                    client: inc.client,
                    id: inc.id,
                    records,
                },
            );
            self.machine.handle(
                now,
                Stimulus::Request {
                    id: rid,
                    request: m,
                },
            );
            self.after_step();
            return;
        }
        let result = self.own_request(&inc.request);
        self.send(&inc, result);
        if let Request::Power { action, force } = inc.request {
            if self.mode == Mode::System {
                if force {
                    self.power(action);
                } else {
                    self.begin_shutdown(Ending::Power(action));
                }
            }
        }
    }

    fn send(&mut self, inc: &Incoming, result: Result<Output, Failure>) {
        // Whoever reads the reply finds the trace up to it.
        self.trace.flush();
        let now = self.now();
        if let Some(s) = &mut self.server {
            let reply = Reply {
                id: Some(inc.id),
                result,
            };
            s.reply(inc.client, &reply, now);
        }
    }

    /// The requests init answers itself.
    fn own_request(&mut self, request: &Request) -> Result<Output, Failure> {
        match request {
            Request::Status {
                target: Target::Instance { job, instance },
                records,
                ..
            } => {
                let result = proto::from_machine(self.machine.instance_status(job, instance));
                if *records {
                    let target = Target::Instance {
                        job: job.clone(),
                        instance: instance.clone(),
                    };
                    return result.map(|o| {
                        self.with_records(
                            o,
                            &Records::Status {
                                target,
                                env: Vec::new(),
                            },
                        )
                    });
                }
                result
            }
            Request::ReloadConfiguration => self
                .reload()
                .map(|()| Output::Done)
                .map_err(|e| Failure::new(ErrorKind::ConfigInvalid, e)),
            Request::Version => Ok(Output::Value(format!(
                "init (upinit {})",
                env!("CARGO_PKG_VERSION")
            ))),
            Request::LogPriority { set: None } => Ok(Output::Value(self.priority.to_owned())),
            Request::LogPriority { set: Some(name) } => {
                match PRIORITIES.iter().find(|(n, _)| n == name) {
                    Some(&(n, level)) => {
                        self.priority = n;
                        self.say.level = level;
                        self.machine.set_log_level(level);
                        Ok(Output::Done)
                    }
                    None => Err(Failure::new(
                        ErrorKind::InvalidArgs,
                        "The log priority given was not recognised",
                    )),
                }
            }
            Request::NotifyDiskWriteable => {
                self.machine.spawner.logs.disk_writable();
                Ok(Output::Done)
            }
            Request::Runlevel => Ok(Output::Runlevel {
                previous: self.runlevel.0.clone(),
                current: self.runlevel.1.clone(),
            }),
            Request::Telinit {
                runlevel,
                prevlevel,
                env,
            } => {
                let previous = prevlevel
                    .clone()
                    .or_else(|| self.runlevel.1.clone())
                    .unwrap_or_else(|| "N".to_owned());
                self.runlevel = (self.runlevel.1.take(), Some(runlevel.clone()));
                let mut event_env = vec![
                    format!("RUNLEVEL={runlevel}"),
                    format!("PREVLEVEL={previous}"),
                ];
                event_env.extend(env.iter().cloned());
                let now = self.now();
                self.machine.emit(now, "runlevel", event_env);
                self.after_step();
                Ok(Output::Done)
            }
            Request::Power { action, .. } => match self.mode {
                Mode::System => Ok(Output::Done),
                mode => Err(Failure::new(
                    ErrorKind::Unsupported,
                    format!(
                        "{} is not available in --{} mode (send SIGTERM to end it)",
                        action.name(),
                        mode.name()
                    ),
                )),
            },
            Request::Log { job, instance } => {
                match self.machine.spawner.logs.tail(job, instance, MAX_LOG_TEXT) {
                    Some(t) => Ok(Output::Log {
                        text: t.text,
                        path: t.path,
                        truncated: t.truncated,
                    }),
                    None => Err(Failure::new(
                        ErrorKind::NoLog,
                        format!(
                            "No log for {}",
                            if instance.is_empty() {
                                job.clone()
                            } else {
                                format!("{job} ({instance})")
                            }
                        ),
                    )),
                }
            }
            Request::Usage { job } => {
                let usage = self
                    .machine
                    .class_id(job)
                    .and_then(|c| self.machine.class_view(c))
                    .map(|j| j.usage().unwrap_or("").to_owned());
                usage.map(Output::Value).ok_or_else(|| {
                    Failure::new(ErrorKind::UnknownJob, format!("Unknown job: {job}"))
                })
            }
            // The machine's own requests never come here.
            other => Err(Failure::new(
                ErrorKind::BadRequest,
                format!("{} is not init's own request", other.op()),
            )),
        }
    }

    /// The machine answered a request.
    fn answer(&mut self, id: RequestId, reply: MachineReply) {
        let Some(waiter) = self.waiting.remove(&id) else {
            return;
        };
        let result = proto::from_machine(reply).map(|o| self.with_records(o, &waiter.records));
        self.trace.flush();
        let now = self.now();
        if let Some(s) = &mut self.server {
            s.reply(
                waiter.client,
                &Reply {
                    id: Some(waiter.id),
                    result,
                },
                now,
            );
        }
    }

    fn with_records(&self, output: Output, records: &Records) -> Output {
        let Output::Status { lines, .. } = output else {
            return output;
        };
        let records = match records {
            Records::None => None,
            Records::Status { target, env } => {
                let job = match target {
                    Target::Job(j) | Target::Instance { job: j, .. } => j,
                };
                Some(vec![self
                    .machine
                    .addressed_instance(target, env)
                    .map_or_else(
                        || {
                            let failure = self.machine.addressed_failure(target, env);
                            InstanceRecord::waiting(job, failure)
                        },
                        |i| InstanceRecord::from(&i),
                    )])
            }
            Records::List => Some(self.list_records()),
        };
        Output::Status { lines, records }
    }

    /// Every class's instances in `list`'s order (class by name, instance
    /// by name), a waiting record for a class without any.
    fn list_records(&self) -> Vec<InstanceRecord> {
        let mut by_job: BTreeMap<String, Vec<InstanceInfo>> = BTreeMap::new();
        for i in self.machine.instances() {
            by_job.entry(i.job.clone()).or_default().push(i);
        }
        let mut out = Vec::new();
        for name in self.machine.class_names() {
            match by_job.get_mut(name) {
                Some(list) if !list.is_empty() => {
                    list.sort_by(|a, b| a.name.cmp(&b.name));
                    out.extend(list.iter().map(InstanceRecord::from));
                }
                _ => out.push(InstanceRecord::waiting(
                    name,
                    self.machine.last_failure(name),
                )),
            }
        }
        out
    }

    /// Loads the bundle again (SIGHUP, reload-configuration); an invalid
    /// one leaves the running one in place.
    fn reload(&mut self) -> Result<(), String> {
        let bundle = load_bundle(&self.bundle_path)
            .map_err(|e| format!("{e}; the job set loaded before runs on"))?;
        let now = self.now();
        self.machine.reload(now, bundle);
        self.after_step();
        self.say
            .info(&format!("reloaded {}", self.bundle_path.display()));
        Ok(())
    }

    // ------------------------------------------------------------------
    // The console capture

    fn capture(&mut self) {
        let Some(cap) = &mut self.capture else {
            return;
        };
        let mut buf = [0u8; 16 * 1024];
        let mut lines = Vec::new();
        loop {
            match nix::unistd::read(cap.fd.as_fd(), &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    cap.partial
                        .extend_from_slice(buf.get(..n).unwrap_or_default());
                    while let Some(end) = cap.partial.iter().position(|&b| b == b'\n') {
                        let mut line: Vec<u8> = cap.partial.drain(..=end).collect();
                        line.pop();
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                        lines.push(line);
                    }
                    if cap.partial.len() > MAX_CAPTURE_LINE {
                        lines.push(std::mem::take(&mut cap.partial));
                    }
                }
                Err(Errno::EINTR) => {}
                Err(_) => break,
            }
        }
        let now = self.now();
        let mut stdout = std::io::stdout().lock();
        for line in lines {
            let _ = stdout.write_all(&line);
            let _ = stdout.write_all(b"\n");
            self.trace.output(now, &String::from_utf8_lossy(&line));
        }
        let _ = stdout.flush();
    }

    // ------------------------------------------------------------------
    // Timers and shutdown

    fn tick(&mut self) {
        let now = self.now();
        if self.scan_at.is_some_and(|t| t <= now) {
            self.reap();
        }
        if self.machine.poll_timeout().is_some_and(|t| t <= now) {
            self.machine.handle(now, Stimulus::Timeout);
            self.after_step();
        }
        if self.shutdown.is_some() {
            self.shutdown_step();
        }
        self.next_sweep = match &mut self.server {
            Some(s) => s.sweep(now),
            None => None,
        };
    }

    /// Starts an orderly stop: every job is told to stop (the last started
    /// first), then what is left is signalled, then the ending.
    fn begin_shutdown(&mut self, ending: Ending) {
        if self.shutdown.is_some() {
            return;
        }
        let longest = self
            .machine
            .instances()
            .iter()
            .filter_map(|i| self.machine.class_view(i.class).map(|j| j.kill_timeout()))
            .max()
            .unwrap_or(0);
        let now = self.now();
        self.say.info("stopping every job");
        self.shutdown = Some(Shutdown {
            ending,
            phase: Phase::Jobs,
            deadline: now
                + longest
                    .saturating_mul(1000)
                    .saturating_add(SHUTDOWN_KILL_SLACK_MS)
                    .max(SHUTDOWN_MIN_MS),
            clean: true,
        });
        self.stop_all();
    }

    /// Asks the machine to stop every instance that is not stopping yet,
    /// in the order they were created (again and again: an event may start
    /// one during the shutdown). The order matters through the machine:
    /// stopping the first job makes its `stopping` event stop the jobs
    /// that have `stop on stopping FIRST`, and the first stays in
    /// `stopping` until they are down, as Upstart orders a shutdown.
    fn stop_all(&mut self) {
        // Called at every step of a shutdown: a pass over ids, goals and
        // states, and names only for the instances still to be stopped.
        let to_stop: Vec<InstanceId> = self
            .machine
            .instance_states()
            .filter(|&(_, goal, _)| goal != upc_machine::Goal::Stop)
            .map(|(id, _, _)| id)
            .collect();
        for id in to_stop {
            // Earlier stops may have stopped this one already.
            if self
                .machine
                .instance_goal(id)
                .is_none_or(|goal| goal == upc_machine::Goal::Stop)
            {
                continue;
            }
            let Some(i) = self.machine.instance(id) else {
                continue;
            };
            let rid = RequestId(self.next_request);
            self.next_request += 1;
            let now = self.now();
            let request = upc_machine::Request::Stop {
                target: Target::Instance {
                    job: i.job,
                    instance: i.name,
                },
                env: Vec::new(),
                wait: false,
            };
            self.machine
                .handle(now, Stimulus::Request { id: rid, request });
            self.after_step();
        }
    }

    fn at_rest(&self) -> bool {
        self.machine
            .instance_states()
            .all(|(_, _, state)| state == State::Waiting)
    }

    /// Whether init still has children (its own or adopted).
    fn has_children() -> bool {
        let flags = WaitPidFlag::WNOHANG
            | WaitPidFlag::WEXITED
            | WaitPidFlag::WNOWAIT
            | WaitPidFlag::__WALL;
        !matches!(waitid(Id::All, flags), Err(Errno::ECHILD))
    }

    /// Signals what is left: every process when init is PID 1 of its
    /// namespace, else the groups of the processes it started.
    fn signal_rest(&mut self, signal: Signal) {
        if getpid().as_raw() == 1 {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(-1), signal);
        } else {
            for pid in self.machine.spawner.pids() {
                self.machine.spawner.signal(pid, signal as i32, true);
            }
        }
    }

    fn shutdown_step(&mut self) {
        let now = self.now();
        let Some(s) = &self.shutdown else {
            return;
        };
        let (phase, deadline) = (s.phase, s.deadline);
        match phase {
            Phase::Jobs => {
                self.stop_all();
                let done = self.at_rest();
                if done || now >= deadline {
                    if !done {
                        self.say
                            .warn("jobs did not stop in time; signalling what is left");
                    }
                    self.signal_rest(Signal::SIGTERM);
                    if let Some(s) = &mut self.shutdown {
                        s.clean &= done;
                        s.phase = Phase::Term;
                        s.deadline = now + TERM_GRACE_MS;
                    }
                    // Nothing left (the usual case: every process was a
                    // job's): end now, not at the next shutdown tick.
                    if !Self::has_children() {
                        self.finish_shutdown();
                    }
                }
            }
            Phase::Term => {
                if !Self::has_children() {
                    self.finish_shutdown();
                } else if now >= deadline {
                    self.signal_rest(Signal::SIGKILL);
                    if let Some(s) = &mut self.shutdown {
                        s.phase = Phase::Kill;
                        s.deadline = now + KILL_GRACE_MS;
                    }
                }
            }
            Phase::Kill => {
                if !Self::has_children() || now >= deadline {
                    self.finish_shutdown();
                }
            }
            Phase::Refused => {}
        }
    }

    fn finish_shutdown(&mut self) {
        let Some(s) = &self.shutdown else {
            return;
        };
        match s.ending {
            Ending::Exit => {
                self.exit = Some(if s.clean { 0 } else { 1 });
            }
            Ending::Power(action) => self.power(action),
        }
    }

    fn power(&mut self, action: Power) {
        self.trace.flush();
        let e = pid1::power(action);
        self.say.error(&format!(
            "cannot {}: {}; init carries on",
            action.name(),
            e.desc()
        ));
        self.shutdown = Some(Shutdown {
            ending: Ending::Power(action),
            phase: Phase::Refused,
            deadline: 0,
            clean: false,
        });
    }
}
