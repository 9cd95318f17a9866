//! The parent's side of starting a process: [`Processes`] is the machine's
//! [`Spawner`]. It prepares everything before fork (the [`Plan`]: argv,
//! environment, descriptors, the job's settings as C strings), forks, and
//! keeps what it needs to report back: the error pipe (exec confirmed, or
//! the step that failed), the `console log` pty, the rest of a long
//! script for fd 9.
//!
//! The machine learns of a process only through stimuli, in the order the
//! kernel allows: a failure before exec is a `SpawnFailed` and never an
//! exit; a process that exits before its error pipe was read has the pipe
//! drained first, so its exec is confirmed before its exit is reported.
//!
//! Fork vs clone: fork. The child looks users up through NSS, sets limits
//! and opens files before exec, which a vfork child sharing init's memory
//! could not do safely; and init is small, so copying its page tables costs
//! tens of microseconds.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::rc::Rc;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::epoll::{Epoll, EpollEvent, EpollFlags};
use nix::sys::signal::{kill, Signal};
use nix::unistd::{pipe2, Pid};
use upc_bundle::{Console as ConsoleKind, Expect, ProcessKind};
use upc_machine::{ExitStatus, Job, LogLevel, Spawn, Spawner, Stimulus};

use super::child::{self, Console, Exec, Failure, Plan, Record, Settings, Stdio, Step};
use super::joblog::{open_pty, JobLogs};
use super::options::Mode;
use super::ptrace::Tracer;
use super::readiness::{ForChild, Readiness};
use super::sys::{above_nine, at_least, set_nonblocking, Token};

/// Pids handed to the machine for a process that could not even be forked:
/// above any pid Linux gives out (2^22), so they never name a real process.
const FAKE_PID_BASE: u32 = 1 << 30;
/// How often a fork that fails with EAGAIN is tried again at once.
const FORK_TRIES: usize = 3;

/// What "the console" is for `console output` and `owner`.
pub enum ConsoleTarget {
    /// A device (or file) opened by each process: /dev/console, or
    /// `--console PATH`.
    Device(CString),
    /// Init's own stdout and stderr (a container's or session's console).
    Inherit,
    /// The write end of init's capture pipe.
    Capture(OwnedFd),
}

/// How processes are started.
pub struct SpawnConfig {
    pub mode: Mode,
    pub console: ConsoleTarget,
    /// The console of a job that does not say.
    pub default_console: ConsoleKind,
    /// AppArmor can switch profiles (runtime-semantics §11.4).
    pub apparmor: bool,
    /// Init's `nofile` limit as it started: init raises its own soft limit
    /// to hold many ptys and clients; jobs get the original back.
    pub nofile: Option<(u64, u64)>,
    /// Where `expect notify` sockets are bound.
    pub notify_dir: PathBuf,
}

/// One process init started and has not reaped.
struct Proc {
    job: String,
    instance: String,
    kind: ProcessKind,
    /// The error pipe's read end until EOF.
    confirm: Option<OwnedFd>,
    /// A setup step failed: its exit is not reported (the failure was).
    failed: bool,
    /// Its `console log`.
    log: Option<u64>,
}

/// The rest of a script too long for the pipe's buffer.
struct Script {
    fd: OwnedFd,
    data: Vec<u8>,
    written: usize,
}

/// A plan, and what the parent keeps of it after fork.
struct Prepared {
    plan: Plan,
    /// The `console log` pty's master side.
    master: Option<nix::pty::PtyMaster>,
    /// A script's part that did not fit in the pipe.
    script_rest: Option<(OwnedFd, Vec<u8>)>,
}

/// The machine's spawner, and the table of the processes it started.
pub struct Processes {
    epoll: Rc<Epoll>,
    cfg: SpawnConfig,
    null: OwnedFd,
    pub logs: JobLogs,
    /// `expect fork`/`daemon`: the traced processes.
    pub tracer: Tracer,
    /// `expect notify`/`ready fd`: the readiness channels.
    pub ready: Readiness,
    procs: HashMap<u32, Proc>,
    /// Processes that became the main process of a job without init
    /// spawning them (a followed fork's child, a `MAINPID`): their exits
    /// are the machine's business too.
    followed: HashSet<u32>,
    /// Processes whose job moved on to another main process: their exits
    /// are not (Upstart ignores them).
    handed_off: HashSet<u32>,
    scripts: HashMap<u32, Script>,
    /// Stimuli decided while spawning (a fork that failed), for the driver
    /// to hand to the machine after the step.
    pub pending: Vec<Stimulus>,
    /// Lines for init's log, for the driver to print.
    pub notes: Vec<(LogLevel, String)>,
    next_fake: u32,
}

impl Processes {
    pub fn new(epoll: Rc<Epoll>, cfg: SpawnConfig, null: OwnedFd, logs: JobLogs) -> Processes {
        let ready = Readiness::new(Rc::clone(&epoll), cfg.notify_dir.clone());
        Processes {
            epoll,
            cfg,
            null,
            logs,
            tracer: Tracer::default(),
            ready,
            procs: HashMap::new(),
            followed: HashSet::new(),
            handed_off: HashSet::new(),
            scripts: HashMap::new(),
            pending: Vec::new(),
            notes: Vec::new(),
            next_fake: FAKE_PID_BASE,
        }
    }

    /// The pids of those processes.
    pub fn pids(&self) -> Vec<u32> {
        self.procs.keys().copied().collect()
    }

    fn note(&mut self, level: LogLevel, text: String) {
        self.notes.push((level, text));
    }

    fn label(job: &str, instance: &str) -> String {
        if instance.is_empty() {
            job.to_owned()
        } else {
            format!("{job} ({instance})")
        }
    }

    /// Sends a signal the machine asked for. A pid that never was a
    /// process is skipped; ESRCH is no error. A group that does not exist
    /// (the main process is no group leader: a daemon that forked after
    /// its `setsid`) falls back to the group the process is in, which is
    /// the job's (every job process starts a session of its own, so only
    /// its descendants can share its group), and then to the pid alone
    /// (runtime-semantics §14 stops at the pid; the group reaches the
    /// daemon's workers too).
    pub fn signal(&mut self, pid: u32, signal: i32, group: bool) {
        if pid >= FAKE_PID_BASE || pid == 0 {
            return;
        }
        let Ok(sig) = Signal::try_from(signal) else {
            self.note(
                LogLevel::Warn,
                format!("cannot send signal {signal}: no such signal"),
            );
            return;
        };
        let Ok(raw) = i32::try_from(pid) else {
            return;
        };
        let mut result = if group {
            kill(Pid::from_raw(-raw), sig)
        } else {
            kill(Pid::from_raw(raw), sig)
        };
        if group && result == Err(Errno::ESRCH) {
            result = match nix::unistd::getpgid(Some(Pid::from_raw(raw))) {
                Ok(pg) if pg.as_raw() > 1 && pg != nix::unistd::getpgrp() => {
                    kill(Pid::from_raw(-pg.as_raw()), sig)
                }
                _ => Err(Errno::ESRCH),
            };
        }
        if group && result == Err(Errno::ESRCH) {
            result = kill(Pid::from_raw(raw), sig);
        }
        match result {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(e) => self.note(
                LogLevel::Warn,
                format!(
                    "cannot send {} to process {pid}: {}",
                    sig.as_str(),
                    e.desc()
                ),
            ),
        }
    }

    /// Reads a process's error pipe: a failed step, a console warning, or
    /// EOF (exec confirmed). `None` while nothing final has arrived.
    pub fn confirm(&mut self, pid: u32) -> Vec<Stimulus> {
        let mut out = Vec::new();
        let Some(proc) = self.procs.get_mut(&pid) else {
            return out;
        };
        let Some(fd) = proc.confirm.as_ref() else {
            return out;
        };
        let mut buf = [0u8; Record::LEN];
        let mut eof = false;
        let mut records = Vec::new();
        loop {
            match nix::unistd::read(fd.as_fd(), &mut buf) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) if n == Record::LEN => records.extend(Record::decode(buf)),
                // A short read cannot come from a child of ours (records
                // are written whole): the pipe is of no more use.
                Ok(_) => {
                    eof = true;
                    break;
                }
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => break,
                Err(_) => {
                    eof = true;
                    break;
                }
            }
        }
        let (job, instance, kind, log) =
            (proc.job.clone(), proc.instance.clone(), proc.kind, proc.log);
        let label = Self::label(&job, &instance);
        for record in records {
            match record {
                Record::ConsoleFallback(errno) => self.note(
                    LogLevel::Warn,
                    format!(
                        "{label} {} process: unable to open console: {}; using /dev/null",
                        kind.name(),
                        Errno::from_raw(errno).desc()
                    ),
                ),
                Record::Fatal(failure) => {
                    if let Some(p) = self.procs.get_mut(&pid) {
                        p.failed = true;
                    }
                    let reason = failure.text();
                    if let Some(id) = log {
                        self.logs.note(
                            id,
                            &format!("Failed to spawn {label} {} process: {reason}", kind.name()),
                        );
                    }
                    out.push(Stimulus::SpawnFailed { pid, reason });
                }
            }
        }
        if eof {
            if let Some(p) = self.procs.get_mut(&pid) {
                // Dropping the descriptor takes it out of epoll.
                p.confirm = None;
                if !p.failed {
                    out.push(Stimulus::ExecConfirmed { pid });
                }
            }
        }
        out
    }

    /// A process was reaped: what the machine hears of it (its exec
    /// confirmation first, if the pipe was still unread; nothing of an
    /// exit after a failed setup; nothing of a process init did not
    /// start).
    pub fn exited(&mut self, pid: u32, status: ExitStatus) -> Vec<Stimulus> {
        let mut out = Vec::new();
        self.tracer.exited(pid);
        self.ready.exited(pid);
        let handed_off = self.handed_off.remove(&pid);
        if self.followed.remove(&pid) && !handed_off {
            out.push(Stimulus::Exited { pid, status });
            return out;
        }
        if !self.procs.contains_key(&pid) {
            return out;
        }
        // The child is gone, so its end of the pipe is closed: this reads
        // to EOF.
        out.extend(self.confirm(pid));
        self.scripts.remove(&pid);
        if let Some(p) = self.procs.remove(&pid) {
            if !p.failed && !handed_off {
                out.push(Stimulus::Exited { pid, status });
            }
        }
        out
    }

    /// The machine made `new` the main process in place of `old` (a
    /// followed fork, a `MAINPID`): from now on `new`'s exit is reported
    /// and `old`'s is not.
    pub fn moved_main(&mut self, old: u32, new: u32) {
        self.followed.remove(&old);
        if self.procs.contains_key(&old) {
            self.handed_off.insert(old);
        }
        self.followed.insert(new);
    }

    /// A process (not traced) stopped: `expect stop` waits for SIGSTOP
    /// from the main process; other stops leave it stopped, as Upstart
    /// does.
    pub fn stopped(&self, pid: u32, signal: i32) -> Option<Stimulus> {
        (signal == Signal::SIGSTOP as i32 && self.procs.contains_key(&pid))
            .then_some(Stimulus::Stopped { pid })
    }

    /// A script pipe can take more.
    pub fn write_script(&mut self, pid: u32) {
        let Some(s) = self.scripts.get_mut(&pid) else {
            return;
        };
        loop {
            let rest = s.data.get(s.written..).unwrap_or_default();
            if rest.is_empty() {
                self.scripts.remove(&pid);
                return;
            }
            match nix::unistd::write(s.fd.as_fd(), rest) {
                Ok(n) => s.written += n,
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => return,
                // The shell is gone (EPIPE): nobody will read the rest.
                Err(_) => {
                    self.scripts.remove(&pid);
                    return;
                }
            }
        }
    }

    fn register(&mut self, fd: &impl AsFd, token: Token, flags: EpollFlags) -> bool {
        match self.epoll.add(fd, EpollEvent::new(flags, token.encode())) {
            Ok(()) => true,
            Err(e) => {
                self.note(
                    LogLevel::Error,
                    format!("cannot watch a descriptor: {}", e.desc()),
                );
                false
            }
        }
    }

    /// A pid for a process that was never forked, with its failure queued.
    fn never_forked(&mut self, why: Errno) -> u32 {
        let pid = self.next_fake;
        self.next_fake = self.next_fake.checked_add(1).unwrap_or(FAKE_PID_BASE);
        self.pending.push(Stimulus::SpawnFailed {
            pid,
            reason: format!("unable to fork: {}", why.desc()),
        });
        pid
    }

    /// Builds the plan; `hold` keeps the parent's copies of the child's
    /// descriptors until after fork.
    fn plan(
        &mut self,
        spawn: &Spawn,
        job: Job<'_>,
        err_fd: &OwnedFd,
        hold: &mut Vec<OwnedFd>,
    ) -> Prepared {
        let command = spawn.command();
        let mut early = None;
        let mut cstrings = |v: &[String]| -> Vec<CString> {
            v.iter()
                .filter_map(|s| match CString::new(s.as_str()) {
                    Ok(c) => Some(c),
                    Err(_) => {
                        early = Some(Failure::new(Step::Exec, Errno::EINVAL));
                        None
                    }
                })
                .collect()
        };
        let argv = cstrings(&command.argv);
        let envp = cstrings(&spawn.env);
        let null = self.null.as_raw_fd();

        // The script pipe: written now as far as the pipe takes it.
        let mut script_fd = None;
        let mut script_rest = None;
        if let Some(text) = command.fd9_script {
            match pipe2(OFlag::O_CLOEXEC).and_then(|(r, w)| Ok((above_nine(r)?, w))) {
                Ok((r, w)) => {
                    let _ = set_nonblocking(&w);
                    let bytes = text.into_bytes();
                    let mut written = 0;
                    while written < bytes.len() {
                        match nix::unistd::write(
                            w.as_fd(),
                            bytes.get(written..).unwrap_or_default(),
                        ) {
                            Ok(n) => written += n,
                            Err(Errno::EINTR) => {}
                            Err(_) => break,
                        }
                    }
                    script_fd = Some(r.as_raw_fd());
                    hold.push(r);
                    if written < bytes.len() {
                        let rest = bytes.get(written..).unwrap_or_default().to_vec();
                        script_rest = Some((w, rest));
                    }
                }
                Err(e) => early = Some(Failure::new(Step::MoveScriptFd, e)),
            }
        }

        // Standard descriptors.
        let kind = job.console().unwrap_or(self.cfg.default_console);
        let mut master = None;
        let console = match kind {
            ConsoleKind::None => Console::Fds([Stdio::Fd(null); 3]),
            ConsoleKind::Output | ConsoleKind::Owner => match &self.cfg.console {
                ConsoleTarget::Device(path) => Console::Open {
                    path: path.clone(),
                    owner: kind == ConsoleKind::Owner,
                    null,
                },
                ConsoleTarget::Inherit => Console::Fds([Stdio::Fd(null), Stdio::Keep, Stdio::Keep]),
                ConsoleTarget::Capture(w) => {
                    let w = w.as_raw_fd();
                    Console::Fds([Stdio::Fd(null), Stdio::Fd(w), Stdio::Fd(w)])
                }
            },
            ConsoleKind::Log => match self.logs.prepare_dir() {
                Err(e) => {
                    early = early.or(Some(Failure::new(Step::LogDir, e)));
                    Console::Fds([Stdio::Fd(null); 3])
                }
                Ok(()) => match open_pty() {
                    Ok(pty) => {
                        let slave = pty.slave.as_raw_fd();
                        hold.push(pty.slave);
                        master = Some(pty.master);
                        Console::Fds([Stdio::Fd(null), Stdio::Fd(slave), Stdio::Fd(slave)])
                    }
                    Err(e) => {
                        let label = Self::label(&spawn.job, &spawn.instance);
                        self.note(
                            LogLevel::Warn,
                            format!(
                                "{label}: unable to allocate a pty for its log ({}); its output goes to /dev/null",
                                e.desc()
                            ),
                        );
                        Console::Fds([Stdio::Fd(null); 3])
                    }
                },
            },
        };

        let main = spawn.proc.process == ProcessKind::Main;
        let mut apparmor = None;
        if main && self.cfg.apparmor {
            if let Some(name) = job.apparmor_switch() {
                match upc_bundle::expand::try_expand(name, &spawn.env)
                    .ok()
                    .and_then(|p| CString::new(format!("exec {p}")).ok())
                {
                    Some(p) => apparmor = Some(p),
                    None => {
                        early = early.or(Some(Failure::new(Step::SecurityProfile, Errno::EINVAL)))
                    }
                }
            }
        }

        let settings = (spawn.proc.process != ProcessKind::Security).then(|| {
            let infinity = nix::libc::RLIM_INFINITY;
            let cstr = |s: &str| CString::new(s).ok();
            let chdir = match job.chdir() {
                Some(d) => cstr(d),
                None if self.cfg.mode != Mode::User => cstr("/"),
                None => None,
            };
            Settings {
                limits: job
                    .limits()
                    .map(|l| {
                        (
                            l.resource,
                            l.soft.unwrap_or(infinity),
                            l.hard.unwrap_or(infinity),
                        )
                    })
                    .collect(),
                nofile: self.cfg.nofile,
                umask: job.umask(),
                nice: job.nice().map(i32::from),
                oom: job
                    .oom_score()
                    .and_then(|s| CString::new(format!("{s}\n")).ok()),
                chroot: job.chroot().and_then(cstr),
                chdir,
                setuid: job.setuid().map(str::to_owned),
                setgid: job.setgid().map(str::to_owned),
                initgroups: job.setuid().is_some() || job.setgid().is_some(),
            }
        });

        let plan = Plan {
            err_fd: err_fd.as_raw_fd(),
            early,
            argv,
            envp,
            script: script_fd,
            console,
            apparmor,
            settings,
            debug: job.debug(),
            trace_gate: None,
            ready_fd: None,
        };
        Prepared {
            plan,
            master,
            script_rest,
        }
    }
}

/// What a main process of `expect fork`/`daemon`, `expect notify` or
/// `ready fd` needs beyond the plan, made before the fork.
#[derive(Default)]
struct Readying {
    /// The readiness channel's id.
    channel: Option<u64>,
    /// The trace gate's write end (the child holds the read end).
    gate: Option<OwnedFd>,
}

impl Processes {
    /// Adds the trace gate and the readiness channel to the plan. A
    /// failure here is the child's to report (`early`), as every setup
    /// failure is.
    fn readying(
        &mut self,
        spawn: &Spawn,
        job: Job<'_>,
        plan: &mut Plan,
        floor: i32,
        hold: &mut Vec<OwnedFd>,
    ) -> Readying {
        let mut r = Readying::default();
        if spawn.trace {
            match pipe2(OFlag::O_CLOEXEC).and_then(|(rd, w)| Ok((at_least(rd, floor)?, w))) {
                Ok((rd, w)) => {
                    plan.trace_gate = Some(rd.as_raw_fd());
                    hold.push(rd);
                    r.gate = Some(w);
                }
                Err(e) => plan.early = plan.early.or(Some(Failure::new(Step::Trace, e))),
            }
        }
        if spawn.proc.process != ProcessKind::Main {
            return r;
        }
        let expect = job.expect();
        let target = job.ready_fd().map(i32::from);
        if !matches!(expect, Expect::Notify | Expect::Fd) {
            return r;
        }
        if expect == Expect::Fd
            && (target.is_none() || (target == Some(9) && plan.script.is_some()))
        {
            // `upc check` refuses both; a bundle is validated, not trusted.
            plan.early = plan
                .early
                .or(Some(Failure::new(Step::Readiness, Errno::EBADF)));
            return r;
        }
        match self.ready.open(expect == Expect::Notify) {
            Ok((id, ForChild::Env(entry))) => {
                r.channel = Some(id);
                match CString::new(entry) {
                    Ok(c) => plan.envp.push(c),
                    Err(_) => {
                        plan.early = plan
                            .early
                            .or(Some(Failure::new(Step::Readiness, Errno::EINVAL)))
                    }
                }
            }
            Ok((id, ForChild::Fd(w))) => {
                r.channel = Some(id);
                match at_least(w, floor) {
                    Ok(w) => {
                        plan.ready_fd = target.map(|t| (w.as_raw_fd(), t));
                        hold.push(w);
                    }
                    Err(e) => plan.early = plan.early.or(Some(Failure::new(Step::Readiness, e))),
                }
            }
            Err(e) => plan.early = plan.early.or(Some(Failure::new(Step::Readiness, e))),
        }
        r
    }

    /// After the fork: trace the child and open its gate, listen on its
    /// readiness channel.
    fn readied(&mut self, pid: u32, r: Readying, spawn: &Spawn) {
        if let Some(gate) = r.gate {
            let answer = match self.tracer.seize(pid) {
                Ok(()) => 0,
                Err(e) => e as i32,
            };
            // A write of 4 bytes to an empty pipe never blocks; if the
            // child is gone, its exit says the rest.
            let _ = nix::unistd::write(gate.as_fd(), &answer.to_le_bytes());
        }
        if let Some(id) = r.channel {
            if let Err(e) = self.ready.attach(id, pid) {
                let label = Self::label(&spawn.job, &spawn.instance);
                self.note(
                    LogLevel::Error,
                    format!("{label}: cannot watch its readiness channel: {}", e.desc()),
                );
            }
        }
    }
}

impl Spawner for Processes {
    fn spawn(&mut self, spawn: &Spawn, job: Job<'_>) -> u32 {
        // Everything the child keeps until it places it stays above 9, and
        // above a `ready fd N`, which it places last.
        let floor = job
            .ready_fd()
            .filter(|_| spawn.proc.process == ProcessKind::Main)
            .map_or(10, |n| (i32::from(n) + 1).max(10));
        let (err_r, err_w) =
            match pipe2(OFlag::O_CLOEXEC).and_then(|(r, w)| Ok((r, at_least(w, floor)?))) {
                Ok(p) => p,
                Err(e) => return self.never_forked(e),
            };
        let mut hold = Vec::new();
        let Prepared {
            mut plan,
            master,
            script_rest,
        } = self.plan(spawn, job, &err_w, &mut hold);
        let readying = self.readying(spawn, job, &mut plan, floor, &mut hold);
        let exec = Exec::new(&plan);
        let pid = match child::fork_and_run(&plan, &exec, FORK_TRIES) {
            Ok(pid) => pid,
            Err(e) => {
                if let Some(id) = readying.channel {
                    self.ready.abandon(id);
                }
                return self.never_forked(e);
            }
        };
        // The child's ends are the child's now.
        drop(hold);
        drop(err_w);
        let pid = u32::try_from(pid.as_raw()).unwrap_or(0);
        self.readied(pid, readying, spawn);
        let _ = set_nonblocking(&err_r);
        self.register(&err_r, Token::Confirm(pid), EpollFlags::EPOLLIN);
        let mut log_id = None;
        if let Some(master) = master {
            let id = self.logs.add(master, &spawn.job, &spawn.instance);
            let event = EpollEvent::new(EpollFlags::EPOLLIN, Token::Log(id).encode());
            let watched = self
                .logs
                .master(id)
                .is_some_and(|m| self.epoll.add(m, event).is_ok());
            if !watched {
                self.note(LogLevel::Error, "cannot watch a log pty".into());
            }
            log_id = Some(id);
        }
        if let Some((fd, data)) = script_rest {
            if self.register(&fd, Token::Script(pid), EpollFlags::EPOLLOUT) {
                self.scripts.insert(
                    pid,
                    Script {
                        fd,
                        data,
                        written: 0,
                    },
                );
            }
        }
        self.procs.insert(
            pid,
            Proc {
                job: spawn.job.clone(),
                instance: spawn.instance.clone(),
                kind: spawn.proc.process,
                confirm: Some(err_r),
                failed: false,
                log: log_id,
            },
        );
        pid
    }
}
