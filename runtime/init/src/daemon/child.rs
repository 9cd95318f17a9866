//! The forked child: set the process up exactly as runtime-semantics §11.2
//! orders it, then exec. Everything it needs was prepared by the parent
//! ([`Plan`]: C strings, pointer arrays, descriptors), so the child
//! allocates nothing of its own on the way to exec.
//!
//! A failed step is written to the close-on-exec error pipe as one
//! [`Record`] (the step, the resource of a limit, the errno) and the child
//! exits with status 255; the parent turns it into Upstart's text
//! ([`Failure::text`], §11.6) and a `SpawnFailed`. An empty pipe at EOF
//! means the exec succeeded. A warning (the console could not be opened
//! for `console output`, so /dev/null is used) is a record too, but the
//! child carries on.
//!
//! This is the one module with `unsafe`: after fork only the child runs,
//! single-threaded, so `environ` may be replaced and raw descriptors moved
//! with dup2 (nix's owned-descriptor API would have to allocate or take
//! ownership of descriptors the child does not own).
#![allow(unsafe_code)]

use std::convert::Infallible;
use std::ffi::{c_char, CStr, CString};
use std::os::fd::RawFd;

use nix::errno::Errno;
use nix::libc;
use nix::sys::resource::{setrlimit, Resource as Rlimit};
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow};
use nix::sys::stat::{umask, Mode};
use nix::unistd::{chdir, chroot, fchown, setgid, setsid, setuid, Gid, Uid};
use upc_bundle::Resource;

/// What a process's descriptor 0, 1 or 2 becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdio {
    /// A copy of this descriptor of the parent (/dev/null, a pty slave, the
    /// console capture pipe).
    Fd(RawFd),
    /// Left as init's own (the console of a container or session init).
    Keep,
}

/// Where the process's standard descriptors go.
#[derive(Debug)]
pub enum Console {
    /// Each descriptor as given.
    Fds([Stdio; 3]),
    /// Open this device for all three (`console output`/`owner`); `owner`
    /// also makes it the controlling terminal. If it cannot be opened for
    /// `output`, `null` is used and a warning sent.
    Open {
        path: CString,
        owner: bool,
        null: RawFd,
    },
}

/// The job's process settings (§11.2 step 8; none for the security
/// process).
#[derive(Debug, Default)]
pub struct Settings {
    /// `limit` stanzas: (resource, soft, hard), unlimited as RLIM_INFINITY.
    pub limits: Vec<(Resource, u64, u64)>,
    /// Init's own soft `nofile`, which it raised for itself: restored
    /// before the job's limits.
    pub nofile: Option<(u64, u64)>,
    pub umask: u16,
    pub nice: Option<i32>,
    /// `/proc/self/oom_score_adj`'s new content.
    pub oom: Option<CString>,
    pub chroot: Option<CString>,
    pub chdir: Option<CString>,
    pub setuid: Option<String>,
    pub setgid: Option<String>,
    /// Join the target user's supplementary groups (root only).
    pub initgroups: bool,
}

/// Everything the child needs, prepared before fork.
#[derive(Debug)]
pub struct Plan {
    /// The error pipe's write end (close-on-exec, above 9).
    pub err_fd: RawFd,
    /// A failure found while preparing (a NUL in a string, a log directory
    /// that cannot exist): reported at once, so every failure takes the
    /// same path.
    pub early: Option<Failure>,
    pub argv: Vec<CString>,
    pub envp: Vec<CString>,
    /// The script pipe's read end, to become descriptor 9.
    pub script: Option<RawFd>,
    pub console: Console,
    /// `apparmor switch` profile for the main process.
    pub apparmor: Option<CString>,
    pub settings: Option<Settings>,
    /// `debug`: stop before exec.
    pub debug: bool,
    /// `expect fork`/`daemon`: the trace gate's read end. The child waits
    /// on it before exec until init has attached to it, and reads 4 bytes:
    /// 0, or the errno of init's `PTRACE_SEIZE` (see `ptrace.rs`).
    pub trace_gate: Option<RawFd>,
    /// `ready fd N`: the pipe's write end, and N (the parent keeps the
    /// error pipe above N).
    pub ready_fd: Option<(RawFd, RawFd)>,
}

/// A failed setup step (§11.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    MoveScriptFd,
    Session,
    Console,
    Limit(Resource),
    Priority,
    Oom,
    Chroot,
    Chdir,
    Getpwnam,
    FindUser,
    Getgrnam,
    FindGroup,
    Chown,
    Initgroups,
    Setgid,
    Setuid,
    SignalHandler,
    SecurityProfile,
    Exec,
    /// upinit's own: the `console log` directory cannot be made.
    LogDir,
    /// `expect fork`/`daemon`: init could not trace the process.
    Trace,
    /// upc's readiness extensions: the socket or the ready fd.
    Readiness,
}

impl Step {
    const ALL: [Step; 22] = [
        Step::MoveScriptFd,
        Step::Session,
        Step::Console,
        Step::Limit(Resource::As),
        Step::Priority,
        Step::Oom,
        Step::Chroot,
        Step::Chdir,
        Step::Getpwnam,
        Step::FindUser,
        Step::Getgrnam,
        Step::FindGroup,
        Step::Chown,
        Step::Initgroups,
        Step::Setgid,
        Step::Setuid,
        Step::SignalHandler,
        Step::SecurityProfile,
        Step::Exec,
        Step::LogDir,
        Step::Trace,
        Step::Readiness,
    ];

    fn code(self) -> u8 {
        let kind = std::mem::discriminant(&self);
        Step::ALL
            .iter()
            .position(|s| std::mem::discriminant(s) == kind)
            .map_or(u8::MAX, |n| u8::try_from(n).unwrap_or(u8::MAX))
    }

    fn from_code(code: u8, resource: u8) -> Option<Step> {
        match Step::ALL.get(usize::from(code)).copied()? {
            Step::Limit(_) => Resource::from_code(resource).map(Step::Limit),
            step => Some(step),
        }
    }
}

/// A step and its errno (0: nothing to add, as for an unknown user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub step: Step,
    pub errno: i32,
}

impl Failure {
    pub fn new(step: Step, errno: Errno) -> Failure {
        Failure {
            step,
            errno: errno as i32,
        }
    }

    /// Upstart's words for it (`unable to execute: No such file or
    /// directory`).
    pub fn text(&self) -> String {
        let what = match self.step {
            Step::MoveScriptFd => "unable to move script fd".to_owned(),
            Step::Session => "unable to create a session".to_owned(),
            Step::Console => "unable to open console".to_owned(),
            Step::Limit(r) => format!("unable to set \"{}\" resource limit", r.name()),
            Step::Priority => "unable to set priority".to_owned(),
            Step::Oom => "unable to set oom adjustment".to_owned(),
            Step::Chroot => "unable to change root directory".to_owned(),
            Step::Chdir => "unable to change working directory".to_owned(),
            Step::Getpwnam => "unable to getpwnam".to_owned(),
            Step::FindUser => "unable to find setuid user".to_owned(),
            Step::Getgrnam => "unable to getgrnam".to_owned(),
            Step::FindGroup => "unable to find setgid group".to_owned(),
            Step::Chown => "unable to chown".to_owned(),
            Step::Initgroups => "unable to initgroups".to_owned(),
            Step::Setgid => "unable to setgid".to_owned(),
            Step::Setuid => "unable to setuid".to_owned(),
            Step::SignalHandler => "unable to modify signal handler".to_owned(),
            Step::SecurityProfile => "unable to switch security profile".to_owned(),
            Step::Exec => "unable to execute".to_owned(),
            Step::LogDir => "unable to create log directory".to_owned(),
            Step::Trace => "unable to set trace".to_owned(),
            Step::Readiness => "unable to set up readiness notification".to_owned(),
        };
        if self.errno == 0 {
            what
        } else {
            format!("{what}: {}", Errno::from_raw(self.errno).desc())
        }
    }
}

/// What the error pipe carries: 8 bytes, one write (atomic on a pipe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    Fatal(Failure),
    /// `console output` could not open the console; /dev/null is used.
    ConsoleFallback(i32),
}

const FATAL: u8 = 1;
const CONSOLE_FALLBACK: u8 = 2;

impl Record {
    pub const LEN: usize = 8;

    fn encode(self) -> [u8; Record::LEN] {
        let (kind, step, resource, errno) = match self {
            Record::Fatal(f) => {
                let resource = match f.step {
                    Step::Limit(r) => r.code(),
                    _ => 0,
                };
                (FATAL, f.step.code(), resource, f.errno)
            }
            Record::ConsoleFallback(errno) => (CONSOLE_FALLBACK, 0, 0, errno),
        };
        let e = errno.to_le_bytes();
        [kind, step, resource, 0, e[0], e[1], e[2], e[3]]
    }

    /// Reads one record; `None` for bytes no child of ours wrote.
    pub fn decode(bytes: [u8; Record::LEN]) -> Option<Record> {
        let [kind, step, resource, _, e0, e1, e2, e3] = bytes;
        let errno = i32::from_le_bytes([e0, e1, e2, e3]);
        match kind {
            FATAL => Some(Record::Fatal(Failure {
                step: Step::from_code(step, resource)?,
                errno,
            })),
            CONSOLE_FALLBACK => Some(Record::ConsoleFallback(errno)),
            _ => None,
        }
    }
}

extern "C" {
    static mut environ: *const *const c_char;
}

/// Null-terminated pointer arrays for exec, built before fork.
pub struct Exec {
    argv: Vec<*const c_char>,
    envp: Vec<*const c_char>,
}

impl Exec {
    /// Pointers into `plan`'s strings, which must outlive it.
    pub fn new(plan: &Plan) -> Exec {
        let ptrs = |v: &[CString]| {
            v.iter()
                .map(|s| s.as_ptr())
                .chain(std::iter::once(std::ptr::null()))
                .collect()
        };
        Exec {
            argv: ptrs(&plan.argv),
            envp: ptrs(&plan.envp),
        }
    }
}

/// Forks; the child runs [`run`], the parent gets its pid. A fork that
/// fails with EAGAIN (a transient shortage) is tried up to `tries` times.
///
/// Where the child only sets itself up from what the parent prepared, it
/// shares init's memory until its exec (`clone(CLONE_VM | CLONE_VFORK)`,
/// as posix_spawn does): no page tables to copy, and init's own pages
/// are not made copy-on-write, each of which would cost init a page
/// fault on its next write. Under emulation (QEMU TCG) page tables and
/// faults are what a fork costs most. A child that waits for init
/// (`expect fork`/`daemon`'s trace gate, `debug`'s SIGSTOP) or looks up
/// a user or group (the C library allocates) gets a fork of its own.
pub fn fork_and_run(plan: &Plan, exec: &Exec, tries: usize) -> nix::Result<nix::unistd::Pid> {
    let shares_memory = plan.trace_gate.is_none()
        && !plan.debug
        && plan
            .settings
            .as_ref()
            .is_none_or(|s| s.setuid.is_none() && s.setgid.is_none() && !s.initgroups);
    let mut left = tries.max(1);
    loop {
        if shares_memory {
            match spawn_sharing_memory(plan, exec) {
                Ok(pid) => return Ok(pid),
                Err(Errno::EAGAIN) if left > 1 => {
                    left -= 1;
                    continue;
                }
                // No stack for the child: fork as before.
                Err(Errno::ENOMEM) => {}
                Err(e) => return Err(e),
            }
        }
        // SAFETY: init is single-threaded, so the child inherits no lock
        // held by another thread; it only runs `run`, which ends in exec or
        // _exit.
        match unsafe { nix::unistd::fork() } {
            Ok(nix::unistd::ForkResult::Child) => run(plan, exec),
            Ok(nix::unistd::ForkResult::Parent { child }) => return Ok(child),
            Err(Errno::EAGAIN) if left > 1 => left -= 1,
            Err(e) => return Err(e),
        }
    }
}

/// The stack the child of [`spawn_sharing_memory`] runs on until its
/// exec: the setup steps need a few kilobytes.
const CHILD_STACK: usize = 256 * 1024;

/// The address of the child stack: allocated once and kept (one child
/// runs on it at a time, and init waits for it to exec), not zeroed, so
/// a spawn costs neither an allocation nor a fill; `None` when it could
/// not be allocated.
fn child_stack() -> Option<usize> {
    static STACK: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let base = *STACK.get_or_init(|| {
        std::alloc::Layout::from_size_align(CHILD_STACK, 16)
            // SAFETY: a non-zero size; the block is never freed.
            .map(|layout| unsafe { std::alloc::alloc(layout) } as usize)
            .unwrap_or(0)
    });
    (base != 0).then_some(base)
}

/// What the child of [`spawn_sharing_memory`] is handed.
struct ChildArgs<'a> {
    plan: &'a Plan,
    exec: &'a Exec,
}

extern "C" fn child_entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `ChildArgs` of spawn_sharing_memory, which
    // stays alive (the parent is suspended) until this child execs or
    // exits.
    let args = unsafe { &*(arg as *const ChildArgs<'_>) };
    run(args.plan, args.exec)
}

/// `clone(CLONE_VM | CLONE_VFORK)`: the child runs [`run`] on a stack of
/// its own in init's memory; init is suspended until the child has
/// exec'd or exited, then gets its pid. The child changes nothing of
/// that memory but `environ`, which is put back here.
fn spawn_sharing_memory(plan: &Plan, exec: &Exec) -> Result<nix::unistd::Pid, Errno> {
    let base = child_stack().ok_or(Errno::ENOMEM)?;
    let args = ChildArgs { plan, exec };
    // SAFETY: reading the C library's environment pointer.
    let saved = unsafe { environ };
    // The stack grows down from its (16-byte aligned) top.
    let top = (base + CHILD_STACK) & !15;
    // SAFETY: the child runs child_entry on `stack`, which outlives it
    // (CLONE_VFORK: this returns only once the child has exec'd or
    // exited); everything it reads was prepared before, and it ends in
    // exec or _exit.
    let pid = unsafe {
        libc::clone(
            child_entry,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            &args as *const ChildArgs<'_> as *mut libc::c_void,
        )
    };
    let errno = Errno::last();
    // SAFETY: the child set `environ` for its exec in the memory it
    // shared; init's own is put back.
    unsafe {
        environ = saved;
    }
    if pid < 0 {
        return Err(errno);
    }
    Ok(nix::unistd::Pid::from_raw(pid))
}

/// Runs in the child after fork: sets it up and execs, or reports why not
/// and exits 255. Never returns.
pub fn run(plan: &Plan, exec: &Exec) -> ! {
    let failure = match setup(plan, exec) {
        Ok(never) => match never {},
        Err(f) => f,
    };
    send(plan.err_fd, Record::Fatal(failure));
    // SAFETY: _exit ends the child without running the parent's atexit
    // handlers or flushing its copies of the parent's buffers.
    unsafe { libc::_exit(255) }
}

fn send(fd: RawFd, record: Record) {
    let bytes = record.encode();
    // SAFETY: writing a local buffer to a descriptor this process owns.
    unsafe {
        libc::write(fd, bytes.as_ptr().cast(), bytes.len());
    }
}

fn fail(step: Step) -> impl FnOnce(Errno) -> Failure {
    move |e| Failure::new(step, e)
}

/// dup2 on raw descriptors: the target stays open across exec.
fn dup_to(from: RawFd, to: RawFd, step: Step) -> Result<(), Failure> {
    // SAFETY: both are descriptor numbers; dup2 only changes the table.
    let r = unsafe { libc::dup2(from, to) };
    if r < 0 {
        return Err(Failure::new(step, Errno::last()));
    }
    Ok(())
}

fn setup(plan: &Plan, exec: &Exec) -> Result<Infallible, Failure> {
    if let Some(f) = plan.early {
        return Err(f);
    }
    // 3. The script pipe becomes fd 9 (the parent kept every descriptor it
    // hands over above 9, so nothing is overwritten).
    if let Some(fd) = plan.script {
        dup_to(fd, 9, Step::MoveScriptFd)?;
    }
    // 4. A session and process group of its own.
    setsid().map_err(fail(Step::Session))?;
    // 5. The job's environment: execvp looks up the command in its PATH.
    // SAFETY: single-threaded child; `envp` lives in the parent's copy of
    // `exec`, which this child never frees before exec.
    unsafe {
        environ = exec.envp.as_ptr();
    }
    // 6. Standard descriptors.
    console(plan)?;
    // 7. AppArmor profile for the next exec (main process only).
    if let Some(profile) = &plan.apparmor {
        write_file(c"/proc/self/attr/exec", profile.as_bytes())
            .map_err(fail(Step::SecurityProfile))?;
    }
    // 8. Limits, umask, nice, OOM score, root, directory, user and group.
    if let Some(s) = &plan.settings {
        settings(plan, s)?;
    }
    // 9. Default signal handling and an empty mask.
    signals()?;
    // Anything init left open that is not ours to pass on is closed at
    // exec (init opens everything close-on-exec; this covers what it may
    // have inherited).
    close_strays();
    // 10. `debug`: stop before exec, for a debugger to attach.
    if plan.debug {
        // SAFETY: closing our own descriptor and stopping ourselves.
        unsafe {
            libc::close(plan.err_fd);
            libc::raise(libc::SIGSTOP);
        }
    }
    // 12. `expect fork`/`daemon`: wait until init traces this process.
    if let Some(gate) = plan.trace_gate {
        wait_for_trace(gate)?;
    }
    // upc: `ready fd N`, placed last (after the strays were marked
    // close-on-exec, and after everything else was copied from the
    // descriptor it may overwrite).
    if let Some((fd, target)) = plan.ready_fd {
        place_ready_fd(fd, target)?;
    }
    // 13. exec.
    let Some(&program) = exec.argv.first() else {
        return Err(Failure::new(Step::Exec, Errno::EINVAL));
    };
    // SAFETY: null-terminated arrays of pointers to C strings that live in
    // `plan`; on success this never returns.
    unsafe {
        libc::execvp(program, exec.argv.as_ptr());
    }
    Err(Failure::new(Step::Exec, Errno::last()))
}

/// Reads the trace gate: 0 when init traces this process, its errno
/// when it could not.
fn wait_for_trace(gate: RawFd) -> Result<(), Failure> {
    let mut word = [0u8; 4];
    let mut got = 0;
    while got < word.len() {
        let Some(rest) = word.get_mut(got..) else {
            break;
        };
        // SAFETY: reading into a local buffer from our own descriptor.
        let n = unsafe { libc::read(gate, rest.as_mut_ptr().cast(), rest.len()) };
        match n {
            n if n > 0 => got += usize::try_from(n).unwrap_or(0),
            0 => return Err(Failure::new(Step::Trace, Errno::EPIPE)),
            _ if Errno::last() == Errno::EINTR => {}
            _ => return Err(Failure::new(Step::Trace, Errno::last())),
        }
    }
    match i32::from_le_bytes(word) {
        0 => Ok(()),
        errno => Err(Failure {
            step: Step::Trace,
            errno,
        }),
    }
}

/// Puts the ready pipe on its descriptor, open across exec.
fn place_ready_fd(fd: RawFd, target: RawFd) -> Result<(), Failure> {
    if fd == target {
        // SAFETY: clearing close-on-exec on our own descriptor.
        let r = unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
        if r < 0 {
            return Err(Failure::new(Step::Readiness, Errno::last()));
        }
        return Ok(());
    }
    dup_to(fd, target, Step::Readiness)
}

fn console(plan: &Plan) -> Result<(), Failure> {
    match &plan.console {
        Console::Fds(fds) => {
            for (target, stdio) in (0..).zip(fds) {
                if let Stdio::Fd(fd) = *stdio {
                    dup_to(fd, target, Step::Console)?;
                }
            }
        }
        Console::Open { path, owner, null } => {
            let flags = libc::O_RDWR | if *owner { 0 } else { libc::O_NOCTTY };
            // SAFETY: opening a path given as a C string.
            let fd = unsafe { libc::open(path.as_ptr(), flags) };
            let fd = if fd >= 0 {
                if *owner {
                    // SAFETY: TIOCSCTTY on a descriptor we opened; a file
                    // that is not a terminal only refuses.
                    unsafe {
                        libc::ioctl(fd, libc::TIOCSCTTY, 0);
                    }
                }
                fd
            } else if *owner {
                return Err(Failure::new(Step::Console, Errno::last()));
            } else {
                send(plan.err_fd, Record::ConsoleFallback(Errno::last() as i32));
                *null
            };
            for target in 0..3 {
                dup_to(fd, target, Step::Console)?;
            }
            if fd > 2 && fd != *null {
                // SAFETY: our own descriptor, copied to 0-2 above.
                unsafe {
                    libc::close(fd);
                }
            }
        }
    }
    Ok(())
}

fn write_file(path: &CStr, content: &[u8]) -> Result<(), Errno> {
    // SAFETY: open, write and close of a descriptor local to this call.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(Errno::last());
        }
        let n = libc::write(fd, content.as_ptr().cast(), content.len());
        let err = Errno::last();
        libc::close(fd);
        if n < 0 {
            return Err(err);
        }
    }
    Ok(())
}

fn rlimit(resource: Resource) -> Rlimit {
    match resource {
        Resource::As => Rlimit::RLIMIT_AS,
        Resource::Core => Rlimit::RLIMIT_CORE,
        Resource::Cpu => Rlimit::RLIMIT_CPU,
        Resource::Data => Rlimit::RLIMIT_DATA,
        Resource::Fsize => Rlimit::RLIMIT_FSIZE,
        Resource::Memlock => Rlimit::RLIMIT_MEMLOCK,
        Resource::Msgqueue => Rlimit::RLIMIT_MSGQUEUE,
        Resource::Nice => Rlimit::RLIMIT_NICE,
        Resource::Nofile => Rlimit::RLIMIT_NOFILE,
        Resource::Nproc => Rlimit::RLIMIT_NPROC,
        Resource::Rss => Rlimit::RLIMIT_RSS,
        Resource::Rtprio => Rlimit::RLIMIT_RTPRIO,
        Resource::Sigpending => Rlimit::RLIMIT_SIGPENDING,
        Resource::Stack => Rlimit::RLIMIT_STACK,
    }
}

fn settings(plan: &Plan, s: &Settings) -> Result<(), Failure> {
    if let Some((soft, hard)) = s.nofile {
        // Best effort: the job's own `limit nofile` follows anyway.
        let _ = setrlimit(Rlimit::RLIMIT_NOFILE, soft, hard);
    }
    for &(resource, soft, hard) in &s.limits {
        setrlimit(rlimit(resource), soft, hard).map_err(fail(Step::Limit(resource)))?;
    }
    umask(Mode::from_bits_truncate(libc::mode_t::from(s.umask)));
    if let Some(nice) = s.nice {
        // SAFETY: setpriority on this process; errno tells a failure from
        // a legitimately negative result.
        let r = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
        if r < 0 {
            return Err(Failure::new(Step::Priority, Errno::last()));
        }
    }
    if let Some(score) = &s.oom {
        write_file(c"/proc/self/oom_score_adj", score.as_bytes()).map_err(fail(Step::Oom))?;
    }
    if let Some(dir) = &s.chroot {
        chroot(dir.as_c_str()).map_err(fail(Step::Chroot))?;
    }
    if let Some(dir) = &s.chdir {
        chdir(dir.as_c_str()).map_err(fail(Step::Chdir))?;
    }
    let mut uid = None;
    let mut gid = None;
    let mut user_name = None;
    if let Some(name) = &s.setuid {
        match find_user(name) {
            Ok(Some((u, g))) => {
                uid = Some(u);
                gid = Some(g);
                user_name = Some(name.clone());
            }
            Ok(None) => {
                return Err(Failure {
                    step: Step::FindUser,
                    errno: 0,
                })
            }
            Err(e) => return Err(Failure::new(Step::Getpwnam, e)),
        }
    }
    if let Some(name) = &s.setgid {
        match find_group(name) {
            Ok(Some(g)) => gid = Some(g),
            Ok(None) => {
                return Err(Failure {
                    step: Step::FindGroup,
                    errno: 0,
                })
            }
            Err(e) => return Err(Failure::new(Step::Getgrnam, e)),
        }
    }
    if plan.script.is_some() && (uid.is_some() || gid.is_some()) {
        // The shell opens /proc/self/fd/9 as the new user.
        // SAFETY: descriptor 9 is the script pipe placed above.
        let nine = unsafe { std::os::fd::BorrowedFd::borrow_raw(9) };
        fchown(nine, uid, gid).map_err(fail(Step::Chown))?;
    }
    if s.initgroups && Uid::effective().is_root() {
        if let Some(gid) = gid {
            let name = user_name.unwrap_or_else(|| "root".to_owned());
            let name =
                CString::new(name).map_err(|_| Failure::new(Step::Initgroups, Errno::EINVAL))?;
            init_groups(&name, gid).map_err(fail(Step::Initgroups))?;
        }
    }
    if let Some(gid) = gid {
        setgid(gid).map_err(fail(Step::Setgid))?;
    }
    if let Some(uid) = uid {
        setuid(uid).map_err(fail(Step::Setuid))?;
    }
    Ok(())
}

/// A user's uid and primary gid, through NSS (getpwnam(3)).
#[cfg(not(target_feature = "crt-static"))]
fn find_user(name: &str) -> Result<Option<(Uid, Gid)>, Errno> {
    Ok(nix::unistd::User::from_name(name)?.map(|u| (u.uid, u.gid)))
}

/// A group's gid, through NSS (getgrnam(3)).
#[cfg(not(target_feature = "crt-static"))]
fn find_group(name: &str) -> Result<Option<Gid>, Errno> {
    Ok(nix::unistd::Group::from_name(name)?.map(|g| g.gid))
}

#[cfg(not(target_feature = "crt-static"))]
fn init_groups(user: &CStr, gid: Gid) -> Result<(), Errno> {
    nix::unistd::initgroups(user, gid)
}

/// The static build reads /etc/passwd itself (see `passwd`).
#[cfg(target_feature = "crt-static")]
fn find_user(name: &str) -> Result<Option<(Uid, Gid)>, Errno> {
    let text = read_table("/etc/passwd")?;
    Ok(super::passwd::user(&text, name).map(|(u, g)| (Uid::from_raw(u), Gid::from_raw(g))))
}

#[cfg(target_feature = "crt-static")]
fn find_group(name: &str) -> Result<Option<Gid>, Errno> {
    let text = read_table("/etc/group")?;
    Ok(super::passwd::group(&text, name).map(Gid::from_raw))
}

#[cfg(target_feature = "crt-static")]
fn init_groups(user: &CStr, gid: Gid) -> Result<(), Errno> {
    let text = read_table("/etc/group")?;
    let user = user.to_str().map_err(|_| Errno::EINVAL)?;
    let gids: Vec<Gid> = super::passwd::groups_of(&text, user, gid.as_raw())
        .into_iter()
        .map(Gid::from_raw)
        .collect();
    nix::unistd::setgroups(&gids)
}

/// A missing table is an empty one, as for glibc's `files` backend.
#[cfg(target_feature = "crt-static")]
fn read_table(path: &str) -> Result<Vec<u8>, Errno> {
    match std::fs::read(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))),
    }
}

fn signals() -> Result<(), Failure> {
    for signal in 1..=libc::SIGRTMAX() {
        if signal == libc::SIGKILL || signal == libc::SIGSTOP {
            continue;
        }
        // SAFETY: restoring the default disposition; signals the C
        // library reserves for itself refuse with EINVAL, which is fine.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
        }
    }
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)
        .map_err(fail(Step::SignalHandler))
}

/// Marks every descriptor above 2 but 9 close-on-exec (the error pipe
/// already is).
fn close_strays() {
    // SAFETY: close_range only flags descriptors of this process.
    unsafe {
        let flag = libc::CLOSE_RANGE_CLOEXEC as libc::c_int;
        let low = libc::syscall(libc::SYS_close_range, 3u32, 8u32, flag);
        let high = libc::syscall(libc::SYS_close_range, 10u32, u32::MAX, flag);
        if low < 0 || high < 0 {
            // Before Linux 5.11: one descriptor at a time, up to a bound
            // well above what init opens.
            for fd in (3..8192).filter(|&fd| fd != 9) {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_through_the_error_pipe_format() {
        for record in [
            Record::Fatal(Failure::new(Step::Exec, Errno::ENOENT)),
            Record::Fatal(Failure::new(Step::Limit(Resource::Nofile), Errno::EPERM)),
            Record::Fatal(Failure {
                step: Step::FindUser,
                errno: 0,
            }),
            Record::ConsoleFallback(Errno::ENXIO as i32),
        ] {
            assert_eq!(Record::decode(record.encode()), Some(record));
        }
        assert_eq!(Record::decode([9, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(Record::decode([FATAL, 200, 0, 0, 0, 0, 0, 0]), None);
    }

    #[test]
    fn failures_read_as_upstart_words_them() {
        assert_eq!(
            Failure::new(Step::Exec, Errno::ENOENT).text(),
            "unable to execute: No such file or directory"
        );
        assert_eq!(
            Failure::new(Step::Limit(Resource::Nofile), Errno::EPERM).text(),
            "unable to set \"nofile\" resource limit: Operation not permitted"
        );
        assert_eq!(
            Failure {
                step: Step::FindUser,
                errno: 0
            }
            .text(),
            "unable to find setuid user"
        );
    }
}
