//! `upc run`: boot a job set under the real `upinit`, in a throwaway
//! system, and watch it come up and go down.
//!
//! The compiler never links the runtime shell (the crate arrows): `upc
//! run` executes the `upinit` program found beside `upc` (or on PATH, or
//! named with `--upinit`), and talks to it only as any client does:
//!
//! - the control socket, through the protocol crate `upc-proto` that
//!   `upctl` uses too (the `poweroff` request that stops the system, the
//!   `log` of a job that failed);
//! - upinit's `--trace` file, the JSON Lines record of every goal, state,
//!   process and event, which the live view and the summary are built from
//!   ([`model`] says why a trace and not a polled `list`);
//! - the console, a pty whose master `upc run` reads: init's own messages
//!   and the output of `console output` jobs.
//!
//! The sandbox ([`sandbox`]) is a new PID, mount, UTS, IPC and network
//! namespace with a root of its own (the host's programs read-only, a
//! written /etc, a minimal /dev), so the standard system set can boot on
//! any host without touching its terminals, mounts, network or name. As
//! root, upinit runs as a system init (PID 1); otherwise, or with
//! `--user`, a user namespace is added and upinit runs as a session init
//! (`--user`).
//!
//! How it ends: on Ctrl-C (SIGINT, also SIGTERM or SIGHUP), with
//! `--until-settled` once the set has been at rest for a moment, or after
//! `--for DURATION`, `upc run` asks init to stop every job. A system init
//! gets the `poweroff` request: it stops every job through the machine,
//! signals what is left and calls reboot(2), which in a PID namespace
//! ends init with SIGINT instead of powering the host off: `upc run` reads
//! that as "powered off". A session init gets SIGTERM (`poweroff` is not a
//! session's request) and exits 0 when every job stopped cleanly. A second
//! Ctrl-C kills the sandbox at once. Then the summary: jobs started,
//! failures (with the end of their logs), time to rest, time to stop.

pub mod model;
pub mod sandbox;

mod launch;
mod view;

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, sigprocmask, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::Pid;
use upc_proto::client::Connection;
use upc_proto::{Output, Power, Request};

pub use launch::Programs;
pub use view::Style;

use launch::{Launch, StageLine};
use model::{Model, TraceReader};
use view::View;

/// How long init may take to come up (its socket) before `upc run` gives
/// up on it.
const START_PATIENCE: Duration = Duration::from_secs(15);
/// How long the stop may take, after the request, before `upc run` kills
/// the sandbox (upinit's own shutdown gives up on a job after its kill
/// timeout and on stragglers after 3 s more).
const STOP_PATIENCE: Duration = Duration::from_secs(60);
/// How long a control request (a log, the poweroff) may take.
const REQUEST_PATIENCE: Duration = Duration::from_secs(5);
/// Lines of a failed job's log the summary shows.
const LOG_TAIL: usize = 5;

/// A failure to run at all (exit status 2): no upinit, no namespaces, a
/// sandbox that could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    Setup(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Setup(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for RunError {}

/// The signals `upc run` reads (Ctrl-C and friends, the terminal's size),
/// blocked for the whole process. Make it before any thread starts
/// (threads keep the mask they start with, and a thread that does not
/// block SIGINT would take Ctrl-C's default action: the end of `upc run`,
/// with the sandbox behind it killed rather than stopped).
pub struct Signals {
    fd: SignalFd,
}

impl Signals {
    pub fn block() -> Result<Signals, RunError> {
        let mut set = SigSet::empty();
        for s in [
            Signal::SIGINT,
            Signal::SIGTERM,
            Signal::SIGHUP,
            Signal::SIGWINCH,
        ] {
            set.add(s);
        }
        let fail = |e: nix::Error| RunError::Setup(format!("cannot take signals: {}", e.desc()));
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(fail)?;
        let fd = SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .map_err(fail)?;
        Ok(Signals { fd })
    }

    /// The signals that arrived since the last call.
    fn take(&self) -> Vec<Signal> {
        let mut got = Vec::new();
        while let Ok(Some(info)) = self.fd.read_signal() {
            if let Ok(s) = Signal::try_from(i32::try_from(info.ssi_signo).unwrap_or(0)) {
                got.push(s);
            }
        }
        got
    }
}

/// When `upc run` stops the job set by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Only on Ctrl-C (or SIGTERM, SIGHUP).
    Interrupted,
    /// Once no state changed for the settle time, every instance at rest.
    Settled,
    /// After this long.
    For(Duration),
}

#[derive(Debug, Clone)]
pub struct Options {
    /// How the set is named in the output (its directory).
    pub name: String,
    /// Jobs in the set.
    pub jobs: usize,
    /// A session init in a user namespace, not a system init.
    pub user: bool,
    pub programs: Programs,
    pub until: Until,
    /// How long a job set must be at rest to count as settled.
    pub settle: Duration,
    pub style: Style,
}

/// How the sandbox's init ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// reboot(2) with RB_POWER_OFF or RB_HALT_SYSTEM: SIGINT in a PID
    /// namespace.
    PoweredOff,
    /// RB_AUTOBOOT: SIGHUP.
    Rebooted,
    Exited(i32),
    Signaled(i32),
    /// `upc run` killed the sandbox (a second Ctrl-C, or a stop that took
    /// too long): the reason.
    Killed(String),
}

impl Ending {
    fn from_stage(line: StageLine) -> Option<Ending> {
        match line {
            StageLine::Pid(_) => None,
            StageLine::Exit(n) => Some(Ending::Exited(n)),
            StageLine::Signal(2) => Some(Ending::PoweredOff),
            StageLine::Signal(1) => Some(Ending::Rebooted),
            StageLine::Signal(n) => Some(Ending::Signaled(n)),
        }
    }
}

/// The end of a failed job's log, as init kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTail {
    pub name: String,
    pub lines: Vec<String>,
}

/// What happened, for the summary and the exit status.
#[derive(Debug)]
pub struct Summary {
    pub name: String,
    pub jobs: usize,
    pub user: bool,
    pub model: Model,
    /// Init's clock when the set came to rest (the last change before a
    /// quiet settle time), if it did before the stop.
    pub at_rest_ms: Option<u64>,
    /// Whether `upc run` asked for the stop (else the set ended itself).
    pub stop_requested: bool,
    /// From the stop request (or, without one, from nothing) to init's end.
    pub stop_time: Option<Duration>,
    pub ending: Ending,
    pub logs: Vec<LogTail>,
}

impl Summary {
    /// Why the run was not clean (empty when it was).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let failed = self.model.failures().len();
        if failed > 0 {
            p.push(plural(failed, "job failed", "jobs failed"));
        }
        let expected = matches!(
            (&self.ending, self.user),
            (Ending::PoweredOff, false) | (Ending::Exited(0), true)
        );
        if !expected {
            p.push(format!("init {}", self.ending_text()));
        }
        let left: Vec<String> = self
            .model
            .instances()
            .iter()
            .filter(|i| !i.stopped())
            .map(|i| i.status())
            .collect();
        if !left.is_empty() && !matches!(self.ending, Ending::Killed(_)) {
            p.push(format!("not stopped when init ended: {}", left.join("; ")));
        }
        if !self.model.killed().is_empty() {
            p.push(format!(
                "killed with SIGKILL after the kill timeout: {}",
                self.model.killed().join(", ")
            ));
        }
        p
    }

    pub fn clean(&self) -> bool {
        self.problems().is_empty()
    }

    fn ending_text(&self) -> String {
        match &self.ending {
            Ending::PoweredOff => "powered off".to_owned(),
            Ending::Rebooted => "asked for a reboot".to_owned(),
            Ending::Exited(n) => format!("exited with status {n}"),
            Ending::Signaled(n) => format!("was killed by signal {n}"),
            Ending::Killed(why) => format!("was killed: {why}"),
        }
    }

    /// The summary as printed (deterministic but for the times).
    pub fn text(&self) -> String {
        let m = &self.model;
        let mut out = format!(
            "upc run: {}: {}, {} started, {} failed\n",
            self.name,
            plural(self.jobs, "job", "jobs"),
            m.started(),
            m.failures().len()
        );
        for f in m.failures() {
            out.push_str(&format!("  failed: {} ({})\n", f.name, f.reason));
            if let Some(tail) = self.logs.iter().find(|l| l.name == f.name) {
                for line in &tail.lines {
                    out.push_str(&format!("    | {line}\n"));
                }
            }
        }
        match self.at_rest_ms {
            Some(t) => {
                let mut running: Vec<String> = Vec::new();
                for i in m.instances().iter().filter(|i| i.running_at_stop) {
                    running.push(i.name());
                }
                running.sort();
                let list = if running.is_empty() {
                    "nothing running".to_owned()
                } else {
                    format!("running: {}", running.join(", "))
                };
                out.push_str(&format!(
                    "  boot: at rest {t} ms after init started; {list}\n"
                ));
            }
            None => out.push_str("  boot: not at rest when the stop began\n"),
        }
        let how = match (self.stop_requested, self.user) {
            (true, false) => "the poweroff request",
            (true, true) => "SIGTERM",
            (false, _) => "",
        };
        let time = self
            .stop_time
            .map(|d| format!(" {} ms after {how}", d.as_millis()))
            .filter(|_| self.stop_requested)
            .unwrap_or_default();
        let stopped = if m.instances().iter().all(model::Instance::stopped) {
            "every job stopped"
        } else {
            "not every job stopped"
        };
        let by_itself = if self.stop_requested {
            ""
        } else {
            " (by the job set itself)"
        };
        out.push_str(&format!(
            "  stop: {stopped}; init {}{time}{by_itself}\n",
            self.ending_text()
        ));
        let problems = self.problems();
        if problems.is_empty() {
            out.push_str("  result: clean\n");
        } else {
            out.push_str(&format!("  result: not clean: {}\n", problems.join("; ")));
        }
        out
    }
}

/// Whether `upc run` can boot a system init (root makes the namespaces).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The job set `upc run` boots when given none: the standard system set
/// (the session set for a session init), in the current directory or in
/// the checkout whose target/ holds the running `upc`.
pub fn default_set(user: bool) -> Result<PathBuf, RunError> {
    let name = if user {
        "stdlib-jobs/session"
    } else {
        "stdlib-jobs/system"
    };
    if Path::new(name).is_dir() {
        return Ok(PathBuf::from(name));
    }
    let checkout = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .map(|d| d.join(name))
            .find(|p| p.is_dir())
    });
    checkout.ok_or_else(|| {
        RunError::Setup(format!(
            "no PATH given and {name} is neither here nor in the checkout of this upc: \
             name a directory of job files"
        ))
    })
}

/// A duration as `upc run` takes it: `500ms`, `2s`, `1.5s`, `1m`; a bare
/// number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (500ms, 2s, 1m)"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        other => return Err(format!("unknown unit `{other}` in `{text}` (ms, s, m)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is out of range"))
}

/// Runs of the same line as one (`text (×N)`): a job that respawned
/// into its limit says the same thing each time.
fn collapse<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut runs: Vec<(&str, usize)> = Vec::new();
    for line in lines {
        match runs.last_mut() {
            Some((last, n)) if *last == line => *n += 1,
            _ => runs.push((line, 1)),
        }
    }
    runs.into_iter()
        .map(|(line, n)| {
            if n == 1 {
                line.to_owned()
            } else {
                format!("{line} (×{n})")
            }
        })
        .collect()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Boots `bundle` in a sandbox and watches it until the end.
pub fn run(bundle: &[u8], options: &Options, signals: &Signals) -> Result<Summary, RunError> {
    let mut view = View::new(options.style);
    let mut launch = Launch::start(bundle, &options.programs, options.user)?;
    let mode = if options.user { "session" } else { "system" };
    let connection = connect(&mut launch, signals)?;
    let trace = File::open(launch.inside(sandbox::TRACE))
        .map(TraceReader::new)
        .map_err(|e| RunError::Setup(format!("cannot read init's trace: {e}")))?;
    view.note(&format!(
        "upc run: booting {} ({}) under {} in a sandbox, {mode} mode; init is pid {} on this host",
        options.name,
        plural(options.jobs, "job", "jobs"),
        connection.hello.server,
        launch.pid
    ));
    let mut watch = Watch {
        options,
        signals,
        view,
        launch,
        connection: Some(connection),
        trace,
        model: Model::default(),
        started: Instant::now(),
        last_activity: Instant::now(),
        at_rest_ms: None,
        stop_at: None,
        ending: None,
        stage_open: true,
        console_open: true,
        logs: Vec::new(),
        interrupts: 0,
    };
    watch.watch();
    let stop_time = watch.stop_at.map(|t| t.elapsed());
    watch.view.finish();
    let ending = watch
        .ending
        .take()
        .unwrap_or_else(|| Ending::Killed("the sandbox ended without a word".into()));
    if !watch.launch.wait_for_end(Duration::from_secs(5)) {
        watch.launch.kill();
    }
    Ok(Summary {
        name: options.name.clone(),
        jobs: options.jobs,
        user: options.user,
        at_rest_ms: watch.at_rest_ms,
        stop_requested: watch.stop_at.is_some(),
        stop_time,
        ending,
        logs: std::mem::take(&mut watch.logs),
        model: std::mem::take(&mut watch.model),
    })
}

/// Waits for init's socket inside the sandbox and connects. The path is
/// reached through `/proc/PID/root`, which is the host's root until the
/// init stage has entered the new one: `upc run` connects only once it
/// has, or it could find a host init's socket at the same path.
fn connect(launch: &mut Launch, signals: &Signals) -> Result<Connection, RunError> {
    let deadline = Instant::now() + START_PATIENCE;
    let socket = launch.inside(sandbox::SOCKET);
    let root = launch.inside("");
    let host_root = same_file_id(Path::new("/"));
    loop {
        if signals.take().iter().any(|s| *s != Signal::SIGWINCH) {
            launch.kill();
            return Err(RunError::Setup(
                "interrupted while init was starting".into(),
            ));
        }
        if stage_ended(launch) {
            return Err(RunError::Setup(launch.failure_text()));
        }
        let entered = match (same_file_id(&root), host_root) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        };
        if entered {
            if let Ok(c) = Connection::open(&socket, "upc run") {
                return Ok(c);
            }
        }
        if Instant::now() >= deadline {
            launch.kill();
            let why = launch.failure_text();
            return Err(RunError::Setup(format!(
                "init did not open its control socket within {} s: {why}",
                START_PATIENCE.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether the outer stage has said its last line or closed its output.
fn stage_ended(launch: &Launch) -> bool {
    let mut fds = [PollFd::new(launch.stage_stdout(), PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
}

fn same_file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

struct Watch<'a> {
    options: &'a Options,
    signals: &'a Signals,
    view: View,
    launch: Launch,
    connection: Option<Connection>,
    trace: TraceReader,
    model: Model,
    started: Instant,
    /// When the trace last reported a change.
    last_activity: Instant,
    at_rest_ms: Option<u64>,
    stop_at: Option<Instant>,
    ending: Option<Ending>,
    stage_open: bool,
    console_open: bool,
    logs: Vec<LogTail>,
    interrupts: u32,
}

impl Watch<'_> {
    fn watch(&mut self) {
        loop {
            self.wait_for_input();
            if self.ending.is_some() || !self.stage_open {
                break;
            }
            self.decide();
            let headline = self.headline();
            self.view.draw(&self.model, &headline, false);
        }
        // Init has ended: what it wrote last is still there to read.
        self.read_console();
        self.view.console_end();
        self.read_trace();
        if self.at_rest() && self.at_rest_ms.is_none() && self.stop_at.is_none() {
            self.at_rest_ms = Some(self.model.last_change_ms);
        }
    }

    fn at_rest(&self) -> bool {
        self.model.at_rest()
    }

    /// Sleeps until a signal, console output or the outer stage's output,
    /// at most 25 ms, then reads what came (the trace is a file: it is
    /// read after every wait).
    fn wait_for_input(&mut self) {
        let (mut sig, mut con, mut out, mut err) = (false, false, false, false);
        {
            let mut fds = vec![PollFd::new(self.signals.fd.as_fd(), PollFlags::POLLIN)];
            let console = self.console_open.then(|| {
                fds.push(PollFd::new(self.launch.console.as_fd(), PollFlags::POLLIN));
                fds.len() - 1
            });
            let stage = self.stage_open.then(|| {
                fds.push(PollFd::new(self.launch.stage_stdout(), PollFlags::POLLIN));
                fds.len() - 1
            });
            let stage_err = self.launch.stage_stderr().map(|fd| {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
                fds.len() - 1
            });
            if poll(&mut fds, PollTimeout::from(25u8)).is_ok() {
                let ready = |n: Option<usize>| {
                    n.and_then(|n| fds.get(n))
                        .and_then(PollFd::revents)
                        .is_some_and(|r| !r.is_empty())
                };
                sig = ready(Some(0));
                con = ready(console);
                out = ready(stage);
                err = ready(stage_err);
            }
        }
        if sig {
            for s in self.signals.take() {
                self.signal(s);
            }
        }
        // The trace before the console: a job's output usually follows the
        // state change that started it, and init may not have written
        // that change when the output arrives.
        self.read_trace();
        if con {
            self.read_console();
        }
        if err {
            if let Some(bytes) = self.launch.read_stderr() {
                self.view.console(&bytes);
            }
        }
        if out {
            match self.launch.read_stage_line() {
                Ok(Some(line)) => {
                    if let Some(end) = Ending::from_stage(line) {
                        self.ending = Some(end);
                    }
                }
                Ok(None) | Err(_) => {
                    self.stage_open = false;
                    if self.ending.is_none() {
                        self.ending =
                            Some(Ending::Killed("the sandbox ended without a word".into()));
                    }
                }
            }
        }
    }

    fn signal(&mut self, s: Signal) {
        match s {
            Signal::SIGWINCH => self.view.draw(&self.model, &self.headline(), true),
            _ => {
                self.interrupts += 1;
                if self.interrupts == 1 {
                    self.stop(&format!("{}: stopping every job", s.as_str()));
                } else {
                    self.view
                        .note("upc run: interrupted again: killing the sandbox");
                    self.launch.kill();
                    self.ending = Some(Ending::Killed("interrupted twice".into()));
                }
            }
        }
    }

    fn read_console(&mut self) {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match (&self.launch.console).read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.view.console(buf.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // WouldBlock: all read. EIO: nobody has the console open.
                Err(e) => {
                    if e.kind() != std::io::ErrorKind::WouldBlock {
                        self.console_open = false;
                    }
                    break;
                }
            }
        }
    }

    fn read_trace(&mut self) {
        let Ok(records) = self.trace.read() else {
            return;
        };
        let before = self.model.changes;
        for r in &records {
            if let Some(change) = self.model.apply(r) {
                self.view.change(&change);
            }
        }
        if self.model.changes != before {
            self.last_activity = Instant::now();
        }
    }

    /// Whether to stop now (settled, time is up) or to give up on a stop.
    fn decide(&mut self) {
        let settled = self.at_rest() && self.last_activity.elapsed() >= self.options.settle;
        if settled && self.stop_at.is_none() {
            self.at_rest_ms = Some(self.model.last_change_ms);
            self.model.mark_running();
        } else if !self.at_rest() && self.stop_at.is_none() {
            self.at_rest_ms = None;
        }
        match (self.stop_at, self.options.until) {
            (Some(t), _) if t.elapsed() >= STOP_PATIENCE => {
                self.view.note(&format!(
                    "upc run: init did not end within {} s of the stop: killing the sandbox",
                    STOP_PATIENCE.as_secs()
                ));
                self.launch.kill();
                self.ending = Some(Ending::Killed(format!(
                    "it did not end within {} s of the stop",
                    STOP_PATIENCE.as_secs()
                )));
            }
            (Some(_), _) => {}
            (None, Until::Settled) if settled => {
                self.stop(&format!(
                    "at rest for {} ms: stopping every job",
                    self.options.settle.as_millis()
                ));
            }
            (None, Until::For(d)) if self.started.elapsed() >= d => {
                self.stop(&format!("{} ms are up: stopping every job", d.as_millis()));
            }
            _ => {}
        }
    }

    fn headline(&self) -> String {
        let m = &self.model;
        let running = m.instances().iter().filter(|i| i.running()).count();
        let moving = m.instances().iter().filter(|i| !i.at_rest()).count();
        let failed = m.failures().len();
        let phase = if self.stop_at.is_some() {
            "stopping"
        } else if self.at_rest_ms.is_some() {
            "at rest"
        } else {
            "booting"
        };
        let hint = if self.stop_at.is_some() {
            "Ctrl-C again kills it"
        } else {
            "Ctrl-C stops it"
        };
        format!(
            "upc run {} · {} · {} s · {running} running, {moving} on their way, {failed} failed · {hint}",
            self.options.name,
            phase,
            self.started.elapsed().as_secs()
        )
    }

    /// Asks init to stop every job (once).
    fn stop(&mut self, why: &str) {
        if self.stop_at.is_some() {
            return;
        }
        // The summary lists what ran; by the end everything has stopped.
        self.model.mark_running();
        self.fetch_logs();
        self.view.note(&format!("upc run: {why}"));
        self.stop_at = Some(Instant::now());
        if self.options.user {
            let pid = i32::try_from(self.launch.pid).unwrap_or(0);
            if pid > 1 {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
            return;
        }
        let request = Request::Power {
            action: Power::Poweroff,
            force: false,
        };
        let answer = self.connection.as_mut().map(|c| {
            let _ = c.set_timeout(Some(REQUEST_PATIENCE));
            c.call(&request)
        });
        match answer {
            Some(Ok(Ok(_))) | None => {}
            Some(Ok(Err(f))) => self.view.note(&format!(
                "upc run: init refused to power off: {}",
                f.message
            )),
            Some(Err(e)) => self.view.note(&format!("upc run: {}", e.0)),
        }
    }

    /// The end of each failed job's log, while init still runs.
    fn fetch_logs(&mut self) {
        let Some(c) = self.connection.as_mut() else {
            return;
        };
        let _ = c.set_timeout(Some(REQUEST_PATIENCE));
        let mut seen = Vec::new();
        for f in self.model.failures() {
            if seen.contains(&f.name) {
                continue;
            }
            seen.push(f.name.clone());
            let request = Request::Log {
                job: f.job.clone(),
                instance: f.instance.clone(),
            };
            if let Ok(Ok(Output::Log { text, .. })) = c.call(&request) {
                let lines = collapse(
                    text.lines()
                        .map(|l| l.trim_end_matches('\r'))
                        .filter(|l| !l.is_empty()),
                );
                let from = lines.len().saturating_sub(LOG_TAIL);
                self.logs.push(LogTail {
                    name: f.name.clone(),
                    lines: lines.get(from..).unwrap_or_default().to_vec(),
                });
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_the_same_log_line_are_counted() {
        let lines = collapse(["a", "b", "b", "b", "a"].into_iter());
        assert_eq!(lines, ["a", "b (×3)", "a"]);
    }

    #[test]
    fn durations_take_milliseconds_seconds_and_minutes() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("soon")
            .unwrap_err()
            .contains("not a duration"));
        assert!(parse_duration("3h")
            .unwrap_err()
            .contains("unknown unit `h`"));
    }
}
