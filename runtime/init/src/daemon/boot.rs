//! From `exec` to the loop. Every fallible thing happens here first (block
//! signals, open the signalfd and epoll, load and validate the bundle,
//! bind the socket, open the trace), then init crosses the point of no
//! return and enters [`Init::run`]; from there on errors are logged and
//! worked around.
//!
//! Before that point a `--user` or `--container` init that cannot start
//! says why and exits 1. A system init must not exit: without a job set it
//! runs an emergency shell on the console and tries again when the shell
//! ends; without a socket or a trace file it runs without them.

use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use nix::fcntl::{open, OFlag};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use nix::sys::resource::{getrlimit, setrlimit, Resource};
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::stat::Mode as FileMode;
use nix::unistd::{getpid, getuid, pipe2, setsid};
use upc_machine::{Config, LogLevel, Machine, ValidatedBundle};

use super::event_loop::{Capture, Init};
use super::joblog::JobLogs;
use super::options::{ConsoleChoice, Mode, Options};
use super::pid1;
use super::say::Say;
use super::spawn::{ConsoleTarget, Processes, SpawnConfig};
use super::sys::{above_nine, set_nonblocking, Token};
use super::trace::Trace;

/// PATH of a system init (runtime-semantics §9.1).
const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin";

/// The signals init takes through its signalfd.
const HANDLED: [Signal; 10] = [
    Signal::SIGCHLD,
    Signal::SIGINT,
    Signal::SIGWINCH,
    Signal::SIGPWR,
    Signal::SIGHUP,
    Signal::SIGTERM,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGQUIT,
    Signal::SIGALRM,
];

/// Reads and validates a bundle file.
pub fn load_bundle(path: &Path) -> Result<ValidatedBundle<'static>, String> {
    let bytes =
        upc_bundle::load(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    upc_bundle::validate_owned(bytes)
        .map_err(|e| format!("{} is not a valid job set: {e}", path.display()))
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn home() -> PathBuf {
    env_path("HOME").unwrap_or_else(|| PathBuf::from("/"))
}

/// Where the job set, the socket and the logs are, by mode.
struct Paths {
    bundle: PathBuf,
    socket: Result<PathBuf, String>,
    logdir: PathBuf,
    /// `expect notify` sockets: `upinit-notify` beside the control socket
    /// (/run/upinit-notify for a system init).
    notify_dir: PathBuf,
}

fn paths(o: &Options) -> Paths {
    let user = o.mode == Mode::User;
    let bundle = o.bundle.clone().unwrap_or_else(|| {
        if user {
            env_path("XDG_CONFIG_HOME")
                .unwrap_or_else(|| home().join(".config"))
                .join("upstart/init.bundle")
        } else {
            PathBuf::from("/etc/init.bundle")
        }
    });
    let socket = match (&o.socket, user) {
        (Some(p), _) => Ok(p.clone()),
        (None, false) => Ok(PathBuf::from(crate::proto::SYSTEM_SOCKET)),
        (None, true) => env_path("XDG_RUNTIME_DIR")
            .map(|d| d.join(crate::proto::USER_SOCKET_NAME))
            .ok_or_else(|| "--user needs $XDG_RUNTIME_DIR or --socket PATH".to_owned()),
    };
    let logdir = o
        .logdir
        .clone()
        .or_else(|| env_path("UPSTART_LOGDIR"))
        .unwrap_or_else(|| {
            if user {
                env_path("XDG_CACHE_HOME")
                    .unwrap_or_else(|| home().join(".cache"))
                    .join("upstart")
            } else {
                PathBuf::from("/var/log/upstart")
            }
        });
    let notify_dir = socket
        .as_ref()
        .ok()
        .and_then(|s| s.parent())
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("/run"), Path::to_path_buf)
        .join("upinit-notify");
    Paths {
        bundle,
        socket,
        logdir,
        notify_dir,
    }
}

/// AppArmor can switch profiles (runtime-semantics §11.4).
fn apparmor_available() -> bool {
    use std::os::unix::fs::PermissionsExt;
    let enabled = std::fs::read("/sys/module/apparmor/parameters/enabled")
        .is_ok_and(|b| b.first() == Some(&b'Y'));
    let parser = std::fs::metadata("/sbin/apparmor_parser")
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    enabled
        && parser
        && !Path::new("/run/container_type").exists()
        && !Path::new("/rofs/etc/apparmor.d").exists()
}

fn level(verbosity: u8) -> LogLevel {
    match verbosity {
        0 => LogLevel::Error,
        1 => LogLevel::Warn,
        2 => LogLevel::Info,
        _ => LogLevel::Debug,
    }
}

/// A failure before the point of no return.
struct Fatal(String);

/// Boots and runs. Returns the exit status (`--user`, `--container`, or a
/// system init that is not PID 1 and cannot start); a system init that is
/// PID 1 never returns.
pub fn boot(o: Options) -> i32 {
    let say = Say::new(level(o.verbosity));
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        Say::new(LogLevel::Error).error(&format!("panic{place}"));
    }));
    let pid1 = getpid().as_raw() == 1;
    let code = match prepare(&o, say, pid1) {
        Ok(mut init) => {
            init.startup(o.startup_event.as_deref());
            init.run()
        }
        Err(Fatal(why)) => {
            say.error(&why);
            1
        }
    };
    if o.mode == Mode::System && pid1 {
        // PID 1 must not exit (the kernel would panic): nothing is left to
        // do but wait.
        say.error("init has nothing left to run; waiting");
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    code
}

/// Makes the paths of the command line absolute: a system init changes
/// to `/` before it reads them.
fn absolute(o: &Options) -> Options {
    let mut o = o.clone();
    let Ok(cwd) = std::env::current_dir() else {
        return o;
    };
    let fix = |p: &mut Option<PathBuf>| {
        if let Some(path) = p {
            if path.is_relative() {
                *path = cwd.join(&*path);
            }
        }
    };
    fix(&mut o.bundle);
    fix(&mut o.socket);
    fix(&mut o.logdir);
    fix(&mut o.trace);
    if let ConsoleChoice::Path(path) = &mut o.console {
        if path.is_relative() {
            *path = cwd.join(&*path);
        }
    }
    o
}

fn prepare(o: &Options, say: Say, pid1: bool) -> Result<Init, Fatal> {
    let o = &absolute(o);
    let clock = Instant::now();
    let system = o.mode == Mode::System;
    let fatal = |what: &str, e: nix::Error| Fatal(format!("{what}: {}", e.desc()));

    // Signals: blocked for good, read from a signalfd. SIGPIPE is blocked
    // too, so a write to a closed pipe or socket is an EPIPE, not a death.
    let mut handled = SigSet::empty();
    for s in HANDLED {
        handled.add(s);
    }
    let mut blocked = handled;
    blocked.add(Signal::SIGPIPE);
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&blocked), None)
        .map_err(|e| fatal("cannot block signals", e))?;
    let signals = SignalFd::with_flags(&handled, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(|e| fatal("cannot open a signalfd", e))?;
    let epoll = Rc::new(
        Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)
            .map_err(|e| fatal("cannot create an epoll", e))?,
    );
    epoll
        .add(
            signals.as_fd(),
            EpollEvent::new(EpollFlags::EPOLLIN, Token::Signals.encode()),
        )
        .map_err(|e| fatal("cannot watch the signalfd", e))?;

    for word in &o.ignored {
        say.line(LogLevel::Debug, &format!("ignored argument: {word}"));
    }

    // The machine's console and the kernel's file systems.
    let console_path = match &o.console {
        ConsoleChoice::Path(p) => Some(p.clone()),
        ConsoleChoice::Default if system => Some(PathBuf::from("/dev/console")),
        ConsoleChoice::Default | ConsoleChoice::Capture => None,
    };
    let mut keyboard = false;
    let mut subreaper_failed = false;
    if system {
        if pid1 {
            let _ = setsid();
            for problem in pid1::mount_filesystems() {
                say.warn(&problem);
            }
        }
        // The console becomes init's own descriptors 0-2 (for a system
        // init that is not PID 1, only when named with --console).
        let attach = pid1 || matches!(o.console, ConsoleChoice::Path(_));
        if let Some(path) = console_path.as_ref().filter(|_| attach) {
            if let Err(e) = pid1::attach_console(path) {
                say.warn(&e);
            }
        }
        std::env::set_var("PATH", SYSTEM_PATH);
        let _ = std::env::set_current_dir("/");
        if pid1 {
            // EINVAL in a PID namespace, where there is no keyboard.
            let _ = pid1::take_ctrl_alt_del();
            keyboard = pid1::take_keyboard_request();
        }
    }
    if !pid1 || o.mode == Mode::User {
        // Orphans of the jobs come back to init, not to whoever started
        // it (runtime-semantics §16.1 step 11, §18).
        subreaper_failed = nix::sys::prctl::set_child_subreaper(true).is_err();
        if !pid1 && system {
            say.warn("not PID 1: running as a system init anyway, as a child subreaper");
        }
    }

    // Room for many ptys and clients; jobs get the old limit back.
    let nofile = getrlimit(Resource::RLIMIT_NOFILE).ok();
    if let Some((soft, hard)) = nofile {
        if soft < hard {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
        }
    }
    let null = open(
        "/dev/null",
        OFlag::O_RDWR | OFlag::O_CLOEXEC,
        FileMode::empty(),
    )
    .and_then(above_nine)
    .map_err(|e| fatal("cannot open /dev/null", e))?;

    let paths = paths(o);
    let trace_file = match &o.trace {
        None => None,
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Some(f),
            Err(e) if system => {
                say.error(&format!("cannot write the trace {}: {e}", p.display()));
                None
            }
            Err(e) => {
                return Err(Fatal(format!(
                    "cannot write the trace {}: {e}",
                    p.display()
                )))
            }
        },
    };
    let trace = Trace::new(trace_file, o.verbosity >= 3);

    let bundle = match load_bundle(&paths.bundle) {
        Ok(b) => b,
        Err(e) if system => emergency(o, say, &e, console_path.as_deref(), &null, &paths.bundle),
        Err(e) => return Err(Fatal(e)),
    };

    // The console jobs see.
    let mut capture = None;
    let console = match (&o.console, &console_path) {
        (ConsoleChoice::Capture, _) => {
            let (r, w) =
                pipe2(OFlag::O_CLOEXEC).map_err(|e| fatal("cannot make the console pipe", e))?;
            set_nonblocking(&r).map_err(|e| fatal("cannot make the console pipe", e))?;
            epoll
                .add(
                    r.as_fd(),
                    EpollEvent::new(EpollFlags::EPOLLIN, Token::Capture.encode()),
                )
                .map_err(|e| fatal("cannot watch the console pipe", e))?;
            capture = Some(Capture {
                fd: r,
                partial: Vec::new(),
            });
            ConsoleTarget::Capture(
                above_nine(w).map_err(|e| fatal("cannot make the console pipe", e))?,
            )
        }
        (_, Some(path)) => ConsoleTarget::Device(
            CString::new(path.as_os_str().as_encoded_bytes())
                .map_err(|_| Fatal("the console path has a NUL byte".into()))?,
        ),
        (_, None) => ConsoleTarget::Inherit,
    };

    // The control socket.
    let session_uid = (o.mode == Mode::User).then(|| getuid().as_raw());
    let server = match paths.socket.and_then(|path| {
        super::control::Server::bind(&path, Rc::clone(&epoll), session_uid, o.mode.name())
            .map_err(|e| format!("cannot listen on {}: {e}", path.display()))
    }) {
        Ok(s) => Some(s),
        Err(e) if system => {
            say.error(&format!("{e}; running without control"));
            None
        }
        Err(e) => return Err(Fatal(e)),
    };

    // The machine.
    let mut init_env: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    init_env.extend(o.env.iter().cloned());
    let mut global_env = Vec::new();
    match o.mode {
        Mode::User => global_env.extend(init_env.iter().cloned()),
        Mode::System | Mode::Container => {
            let path = std::env::var("PATH").unwrap_or_else(|_| SYSTEM_PATH.to_owned());
            global_env.push(format!("PATH={path}"));
            if let Ok(term) = std::env::var("TERM") {
                global_env.push(format!("TERM={term}"));
            }
        }
    }
    if o.mode == Mode::User {
        if let Some(s) = &server {
            upc_machine::env::set(
                &mut global_env,
                format!("{}={}", crate::proto::SOCKET_ENV, s.path().display()),
            );
        }
    }
    let config = Config {
        session: o.mode == Mode::User,
        global_env,
        init_env,
        trace: trace.wanted(),
        class_order: o.class_order.clone(),
        log_level: say.level,
        apparmor: apparmor_available(),
        spawn_timeout: o.spawn_timeout_ms,
        ..Config::default()
    };
    let spawn_config = SpawnConfig {
        mode: o.mode,
        console,
        default_console: o.default_console,
        apparmor: config.apparmor,
        nofile,
        notify_dir: paths.notify_dir,
    };
    let processes = Processes::new(
        Rc::clone(&epoll),
        spawn_config,
        null,
        JobLogs::new(paths.logdir),
    );
    let machine = Machine::new(bundle, config, processes);

    // The point of no return.
    let mut init = Init::new(
        o.mode,
        epoll,
        signals,
        machine,
        server,
        trace,
        say,
        clock,
        paths.bundle,
        capture,
    );
    init.keyboard = keyboard;
    if subreaper_failed {
        let now = init.now();
        init.machine.emit(now, "child-subreaper-failed", Vec::new());
    }
    Ok(init)
}

/// A system init without a job set: say why, run the emergency shell on
/// the console, and try again when it ends, until the job set loads.
fn emergency(
    o: &Options,
    say: Say,
    why: &str,
    console: Option<&Path>,
    null: &OwnedFd,
    bundle: &Path,
) -> ValidatedBundle<'static> {
    let mut why = why.to_owned();
    loop {
        say.error(&why);
        let on = console.map_or_else(|| "init's console".to_owned(), |c| c.display().to_string());
        say.error(&format!(
            "starting an emergency shell on {on}; when it ends, upinit loads {} again",
            bundle.display()
        ));
        if let Err(e) = pid1::emergency_shell(console, o.emergency_shell.as_deref(), null) {
            say.error(&e);
        }
        match load_bundle(bundle) {
            Ok(b) => {
                say.warn(&format!("loaded {}; booting", bundle.display()));
                return b;
            }
            Err(e) => why = e,
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}
