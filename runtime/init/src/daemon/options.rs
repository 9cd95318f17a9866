//! upinit's command line, parsed by hand (no argument crate in PID 1).
//!
//! As PID 1 the kernel hands init the words of its command line it did not
//! understand itself (runtime-semantics §16.1, tools/README.md):
//! `KEY=VALUE` words normally arrive in the environment, but any that reach
//! argv are taken as environment too, and other unknown words (`splash`,
//! `single`, a stray option) are ignored with a note rather than refused:
//! a boot must not fail on them. In `--user` and `--container` mode the
//! command line comes from a person or a script, and a mistake there is an
//! error.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use upc_bundle::Console;

/// How upinit runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// PID 1 of a machine (or of a PID namespace in tests).
    System,
    /// A session supervisor for one user (`--user`).
    User,
    /// PID 1 of a container (`--container`).
    Container,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::System => "system",
            Mode::User => "user",
            Mode::Container => "container",
        }
    }
}

/// Where jobs' `console output`/`owner` goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleChoice {
    /// The mode's default: `/dev/console` for the system, init's own
    /// standard output and error otherwise.
    Default,
    /// A device or file opened for each process, as `/dev/console` is.
    Path(PathBuf),
    /// Init reads the jobs' console output from a pipe and copies each
    /// line to its standard output and to the trace (`output` records).
    Capture,
}

/// The parsed command line.
#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    pub bundle: Option<PathBuf>,
    pub socket: Option<PathBuf>,
    pub logdir: Option<PathBuf>,
    pub console: ConsoleChoice,
    /// `console` of a job that does not say (`--default-console`, or
    /// `none` with `--no-log`).
    pub default_console: Console,
    pub trace: Option<PathBuf>,
    /// 0 quiet (errors), 1 default (warnings), 2 verbose (info), 3 debug.
    pub verbosity: u8,
    /// The command run on the console when the bundle cannot be loaded at
    /// boot (system mode); default `/bin/sh`.
    pub emergency_shell: Option<String>,
    /// The event emitted at startup; `None` with `--no-startup-event`.
    pub startup_event: Option<String>,
    /// The order in which classes react to one event (Upstart's is its
    /// hash order; tests that replay an Upstart trace pass it).
    pub class_order: Vec<String>,
    /// `--spawn-timeout`: how long a main process may wait in `spawned`
    /// for its `expect` milestone, in milliseconds (`None`: for ever, as
    /// Upstart).
    pub spawn_timeout_ms: Option<u64>,
    /// `KEY=VALUE` words found in argv (the kernel command line).
    pub env: Vec<String>,
    /// Unknown words, ignored in system mode.
    pub ignored: Vec<String>,
    pub help: bool,
    pub version: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            mode: Mode::System,
            bundle: None,
            socket: None,
            logdir: None,
            console: ConsoleChoice::Default,
            default_console: Console::Log,
            trace: None,
            verbosity: 1,
            emergency_shell: None,
            startup_event: Some("startup".into()),
            class_order: Vec::new(),
            spawn_timeout_ms: None,
            env: Vec::new(),
            ignored: Vec::new(),
            help: false,
            version: false,
        }
    }
}

pub const USAGE: &str = "\
usage: upinit [OPTION]...
Runs a compiled job set (upc build) as PID 1, a user session or a container init.

  --user                 supervise one user's session (child subreaper, no mounts)
  --container            PID 1 of a container: SIGTERM/SIGINT stop every job, then exit
  --bundle PATH          the job set (default /etc/init.bundle; --user:
                         $XDG_CONFIG_HOME/upstart/init.bundle)
  --socket PATH          the control socket (default /run/upinit.sock;
                         --user: $XDG_RUNTIME_DIR/upinit.sock)
  --logdir DIR           where `console log` output goes (default /var/log/upstart,
                         $UPSTART_LOGDIR; --user: $XDG_CACHE_HOME/upstart)
  --console PATH         what \"the console\" is for jobs and init's messages
  --capture-console      jobs' console output to init's stdout and the trace
  --default-console VAL  console of jobs that do not say (none output owner log)
  --no-log               every `console log` becomes `console none`
  --startup-event NAME   the first event (default startup)
  --no-startup-event     emit none
  --trace FILE           JSON Lines trace (the schema of upc simulate --format json)
  --class-order A,B,...  the order in which jobs react to one event
  --spawn-timeout SECS   fail a job whose main process waits longer than this in
                         spawned for its `expect` (a fork, SIGSTOP, READY=1, ...);
                         default: wait for ever, as Upstart
  --emergency-shell CMD  run on the console when the bundle is missing or invalid
  -q, --quiet            errors only
  -v, --verbose          also say what starts and stops
  --debug                also log every goal, state and event (Upstart's wording)
  --help, --version
";

/// A command-line mistake (only reported outside system mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Options, UsageError> {
    let mut o = Options::default();
    let mut args = args.into_iter().map(|a| a.as_bytes().to_vec());
    let mut strays = Vec::new();
    while let Some(raw) = args.next() {
        let word = String::from_utf8_lossy(&raw).into_owned();
        let (name, inline) = match word.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (word.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, UsageError> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => args
                    .next()
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .ok_or_else(|| UsageError(format!("{name} needs {what}"))),
            }
        };
        match name.as_str() {
            "--user" => o.mode = Mode::User,
            "--container" => o.mode = Mode::Container,
            "--bundle" => o.bundle = Some(value("a file")?.into()),
            "--socket" => o.socket = Some(value("a path")?.into()),
            "--logdir" => o.logdir = Some(value("a directory")?.into()),
            "--console" => o.console = ConsoleChoice::Path(value("a path")?.into()),
            "--capture-console" => o.console = ConsoleChoice::Capture,
            "--default-console" => {
                let v = value("a console type")?;
                o.default_console = Console::ALL
                    .into_iter()
                    .find(|c| c.name() == v)
                    .ok_or_else(|| UsageError("invalid console type specified".into()))?;
            }
            "--no-log" => o.default_console = Console::None,
            "--startup-event" => o.startup_event = Some(value("an event name")?),
            "--no-startup-event" => o.startup_event = None,
            "--trace" => o.trace = Some(value("a file")?.into()),
            "--class-order" => {
                o.class_order = value("job names")?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "--emergency-shell" => o.emergency_shell = Some(value("a command")?),
            "--spawn-timeout" => {
                let v = value("a number of seconds")?;
                match seconds_to_ms(&v) {
                    Some(ms) => o.spawn_timeout_ms = Some(ms),
                    // As PID 1 a bad value is ignored, not fatal.
                    None => strays.push(format!("--spawn-timeout={v}")),
                }
            }
            "-q" | "--quiet" => o.verbosity = 0,
            "-v" | "--verbose" => o.verbosity = o.verbosity.max(2),
            "--debug" => o.verbosity = 3,
            "--help" | "-h" => o.help = true,
            "--version" | "-V" => o.version = true,
            // Upstart's options that mean nothing here.
            "--no-dbus" | "--no-cgroups" | "--no-sessions" | "--no-inherit-env" => {}
            _ if inline.is_none() && is_env_word(&word) => o.env.push(word),
            _ => strays.push(word),
        }
    }
    if o.mode != Mode::System {
        if let Some(stray) = strays.first() {
            return Err(UsageError(format!("unknown argument: {stray}")));
        }
    }
    o.ignored = strays;
    Ok(o)
}

/// A positive number of seconds (`30`, `0.5`) in milliseconds.
fn seconds_to_ms(text: &str) -> Option<u64> {
    let secs: f64 = text.trim().parse().ok()?;
    (secs.is_finite() && secs > 0.0 && secs < 1e9).then(|| (secs * 1000.0).round() as u64)
}

/// `KEY=VALUE` with a name a shell would accept.
fn is_env_word(word: &str) -> bool {
    match word.split_once('=') {
        Some((key, _)) => {
            !key.is_empty()
                && !key.starts_with(|c: char| c.is_ascii_digit())
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn parsed(words: &[&str]) -> Result<Options, UsageError> {
        parse(words.iter().map(OsString::from))
    }

    #[test]
    fn options_take_their_value_inline_or_as_the_next_word() {
        let o = parsed(&["--bundle=/b", "--socket", "/s", "--trace", "/t"]).unwrap();
        assert_eq!(o.bundle, Some("/b".into()));
        assert_eq!(o.socket, Some("/s".into()));
        assert_eq!(o.trace, Some("/t".into()));
        assert_eq!(
            parsed(&["--user", "--bundle"]).unwrap_err(),
            UsageError("--bundle needs a file".into())
        );
    }

    #[test]
    fn kernel_command_line_words_are_environment_or_ignored_in_system_mode() {
        let o = parsed(&["splash", "LANG=C", "ro", "--weird", "x.y=1"]).unwrap();
        assert_eq!(o.env, ["LANG=C"]);
        assert_eq!(o.ignored, ["splash", "ro", "--weird", "x.y=1"]);
        assert_eq!(o.mode, Mode::System);
    }

    #[test]
    fn unknown_words_are_errors_outside_system_mode() {
        assert_eq!(
            parsed(&["--container", "splash"]).unwrap_err(),
            UsageError("unknown argument: splash".into())
        );
        assert!(parsed(&["--user", "A=b"]).is_ok());
    }

    #[test]
    fn console_settings() {
        let o = parsed(&["--no-log"]).unwrap();
        assert_eq!(o.default_console, Console::None);
        let o = parsed(&["--default-console", "output", "--capture-console"]).unwrap();
        assert_eq!(o.default_console, Console::Output);
        assert_eq!(o.console, ConsoleChoice::Capture);
        assert_eq!(
            parsed(&["--user", "--default-console=tty"]).unwrap_err(),
            UsageError("invalid console type specified".into())
        );
    }

    #[test]
    fn the_spawn_timeout_is_seconds_and_a_bad_one_is_refused_or_ignored_as_pid_1() {
        assert_eq!(
            parsed(&["--spawn-timeout", "30"]).unwrap().spawn_timeout_ms,
            Some(30_000)
        );
        assert_eq!(
            parsed(&["--spawn-timeout=0.25"]).unwrap().spawn_timeout_ms,
            Some(250)
        );
        assert_eq!(parsed(&[]).unwrap().spawn_timeout_ms, None);
        assert_eq!(
            parsed(&["--user", "--spawn-timeout", "-1"]).unwrap_err(),
            UsageError("unknown argument: --spawn-timeout=-1".into())
        );
        let o = parsed(&["--spawn-timeout", "soon"]).unwrap();
        assert_eq!(
            (o.spawn_timeout_ms, o.ignored),
            (None, vec!["--spawn-timeout=soon".to_owned()])
        );
    }

    #[test]
    fn verbosity_and_the_startup_event() {
        assert_eq!(parsed(&["-q"]).unwrap().verbosity, 0);
        assert_eq!(parsed(&["--debug", "-v"]).unwrap().verbosity, 3);
        assert_eq!(parsed(&["--no-startup-event"]).unwrap().startup_event, None);
        let o = parsed(&["--class-order", "b,a,,c"]).unwrap();
        assert_eq!(o.class_order, ["b", "a", "c"]);
    }
}
