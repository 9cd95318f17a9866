//! From argv to what upctl will do: the program's personality (by the
//! name it was invoked under), the socket, and one [`Request`] with the way
//! to print its reply. Pure: the environment comes in as a lookup, so
//! every rule here is tested without a process.

use std::path::PathBuf;

use upc_machine::{EnvScope, Target};

use super::commands::{command_help, help_text, version_text, Command};
use super::options::{self, Item, Opt, Scanner};
use crate::proto::{Power, Request, SOCKET_ENV, SYSTEM_SOCKET, USER_SOCKET_NAME};

/// Looks up one environment variable.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// How a successful reply is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    /// Nothing (emit, reload, set-env, ...).
    Nothing,
    /// The status lines.
    Status,
    /// The records as JSON Lines (`--json`).
    Json,
    /// The value on a line.
    Value,
    /// `Usage: VALUE`.
    Usage,
    /// `KEY=VALUE` lines, sorted.
    Env,
    /// `PREVIOUS CURRENT`, or `unknown` (exit 1).
    Runlevel,
    /// The log text as it is.
    Log,
}

/// What one run of upctl does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Print this text to stdout, exit 0 (`--help`, `help`, `--version`).
    Print(String),
    /// Send the request, print the reply.
    Call { request: Request, render: Render },
    /// A command upc does not have: print the message, exit
    /// [`super::EXIT_UNSUPPORTED`].
    Unsupported(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub socket: PathBuf,
    /// Print only errors.
    pub quiet: bool,
    pub action: Action,
}

/// A command line upctl refuses: `PROG: MESSAGE` and the help hint, exit 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

/// The programs upctl can be, by the name it is invoked under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Personality {
    /// `upctl`, `initctl` or any other name: the command comes first.
    Ctl,
    /// Invoked as a command's name (`start`, `status`, `telinit`, ...).
    Command(Command),
}

/// The basename of argv[0], as messages name the program.
pub fn program_name(argv0: &str) -> String {
    let base = argv0.rsplit('/').next().unwrap_or(argv0);
    if base.is_empty() {
        "upctl".to_owned()
    } else {
        base.to_owned()
    }
}

fn personality(prog: &str) -> Personality {
    match Command::named(prog) {
        Some(c) if c != Command::Help => Personality::Command(c),
        _ => Personality::Ctl,
    }
}

/// Where to connect, as the options and the environment say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum SocketChoice {
    #[default]
    Default,
    System,
    User,
}

/// What the options seen so far say.
#[derive(Default)]
struct Flags {
    quiet: bool,
    socket_path: Option<String>,
    socket: SocketChoice,
    no_wait: bool,
    json: bool,
    global: bool,
    retain: bool,
    force: bool,
    poweroff: bool,
    env: Vec<String>,
    help: bool,
    version: bool,
    dbus_option: Option<&'static str>,
}

impl Flags {
    fn set(&mut self, opt: Opt, value: Option<String>) {
        match opt {
            Opt::Quiet => self.quiet = true,
            Opt::Verbose => {}
            Opt::Help => self.help = true,
            Opt::Version => self.version = true,
            Opt::System => self.socket = SocketChoice::System,
            Opt::User => self.socket = SocketChoice::User,
            Opt::Socket => self.socket_path = value,
            Opt::Session => self.dbus_option = Some("--session"),
            Opt::Dest => self.dbus_option = Some("--dest"),
            Opt::NoWait => self.no_wait = true,
            Opt::Json => self.json = true,
            Opt::Global => self.global = true,
            Opt::Retain => self.retain = true,
            Opt::Env => self.env.extend(value),
            Opt::Force => self.force = true,
            Opt::Poweroff => self.poweroff = true,
        }
    }
}

/// Reads upctl's command line: `prog` is the program name (see
/// [`program_name`]), `args` what follows it.
pub fn parse(prog: &str, args: Vec<String>, env: Env<'_>) -> Result<Invocation, UsageError> {
    let mut flags = Flags::default();
    let mut scanner = Scanner::new(args);
    let command = match personality(prog) {
        Personality::Command(c) => Some(c),
        Personality::Ctl => loop {
            match scanner.next(&[options::GLOBAL]) {
                None => break None,
                Some(Err(e)) => return Err(UsageError(e)),
                Some(Ok(Item::Opt(opt, value))) => {
                    flags.set(opt, value);
                    if flags.help || flags.version {
                        break None;
                    }
                }
                Some(Ok(Item::Arg(name))) => match Command::named(&name) {
                    Some(c) => break Some(c),
                    None => return Err(UsageError(format!("invalid command: {name}"))),
                },
            }
        },
    };
    if flags.version {
        return Ok(print(version_text(prog)));
    }
    let Some(command) = command else {
        if flags.help {
            return Ok(print(help_text(prog)));
        }
        return Err(UsageError("missing command".into()));
    };
    if let Some(reason) = command.unsupported_reason() {
        return Ok(Invocation {
            socket: PathBuf::from(SYSTEM_SOCKET),
            quiet: flags.quiet,
            action: Action::Unsupported(reason.to_owned()),
        });
    }
    let mut positional = Vec::new();
    while let Some(item) = scanner.next(&[options::GLOBAL, command.options()]) {
        match item.map_err(UsageError)? {
            Item::Opt(opt, value) => {
                flags.set(opt, value);
                if flags.help {
                    let invoked = match personality(prog) {
                        Personality::Command(_) => prog.to_owned(),
                        Personality::Ctl => format!("{prog} {}", command.name()),
                    };
                    return Ok(print(command_help(&invoked, command)));
                }
                if flags.version {
                    return Ok(print(version_text(prog)));
                }
            }
            Item::Arg(a) => positional.push(a),
        }
    }
    if let Some(option) = flags.dbus_option {
        return Ok(Invocation {
            socket: PathBuf::from(SYSTEM_SOCKET),
            quiet: flags.quiet,
            action: Action::Unsupported(format!(
                "{option} is not supported: upinit does not use D-Bus; \
                 choose the socket with --socket PATH, --system or --user"
            )),
        });
    }
    let socket = socket_path(&flags, env)?;
    let action = command_action(command, positional, &flags, env)?;
    Ok(Invocation {
        socket,
        quiet: flags.quiet,
        action,
    })
}

fn print(text: String) -> Invocation {
    Invocation {
        socket: PathBuf::from(SYSTEM_SOCKET),
        quiet: false,
        action: Action::Print(text),
    }
}

fn socket_path(flags: &Flags, env: Env<'_>) -> Result<PathBuf, UsageError> {
    if let Some(path) = &flags.socket_path {
        return Ok(PathBuf::from(path));
    }
    match flags.socket {
        SocketChoice::System => Ok(PathBuf::from(SYSTEM_SOCKET)),
        SocketChoice::User => match env("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => Ok(PathBuf::from(dir).join(USER_SOCKET_NAME)),
            None => Err(UsageError(
                "XDG_RUNTIME_DIR isn't set in the environment. \
                 Unable to locate the upinit instance."
                    .into(),
            )),
        },
        SocketChoice::Default => Ok(env(SOCKET_ENV)
            .filter(|p| !p.is_empty())
            .map_or_else(|| PathBuf::from(SYSTEM_SOCKET), PathBuf::from)),
    }
}

/// The job a command addresses: JOB and its KEY=VALUE list, or, with no
/// JOB, the instance this process runs in (`UPSTART_JOB` and
/// `UPSTART_INSTANCE`, both required).
fn target(positional: Vec<String>, env: Env<'_>) -> Result<(Target, Vec<String>), UsageError> {
    let mut args = positional.into_iter();
    match args.next() {
        Some(job) => Ok((Target::Job(job), args.collect())),
        None => match (env("UPSTART_JOB"), env("UPSTART_INSTANCE")) {
            (Some(job), Some(instance)) => Ok((Target::Instance { job, instance }, Vec::new())),
            _ => Err(missing("job name")),
        },
    }
}

/// The env table a set-env family command works on: `--global`, or from
/// inside a job that job's instance, else the global table.
fn scope(flags: &Flags, env: Env<'_>) -> Result<EnvScope, UsageError> {
    if flags.global {
        return Ok(EnvScope::Global);
    }
    match env("UPSTART_JOB") {
        None => Ok(EnvScope::Global),
        Some(job) => match env("UPSTART_INSTANCE") {
            Some(instance) => Ok(EnvScope::Instance { job, instance }),
            None => Err(missing("job name")),
        },
    }
}

fn missing(what: &str) -> UsageError {
    UsageError(format!("missing {what}"))
}

fn call(request: Request, render: Render) -> Action {
    Action::Call { request, render }
}

fn command_action(
    command: Command,
    positional: Vec<String>,
    flags: &Flags,
    env: Env<'_>,
) -> Result<Action, UsageError> {
    let wait = !flags.no_wait;
    let first = positional.first().cloned();
    Ok(match command {
        Command::Start | Command::Stop | Command::Restart => {
            let (target, env) = target(positional, env)?;
            // From inside a job a request never waits: it would wait for
            // the very job that asks.
            let wait = wait && matches!(target, Target::Job(_));
            let request = match command {
                Command::Start => Request::Start { target, env, wait },
                Command::Stop => Request::Stop { target, env, wait },
                _ => Request::Restart { target, env, wait },
            };
            call(request, Render::Status)
        }
        Command::Reload => {
            let (target, env) = target(positional, env)?;
            call(Request::Reload { target, env }, Render::Nothing)
        }
        Command::Status => {
            let (target, env) = target(positional, env)?;
            let records = flags.json;
            let render = if records {
                Render::Json
            } else {
                Render::Status
            };
            call(
                Request::Status {
                    target,
                    env,
                    records,
                },
                render,
            )
        }
        Command::List => call(
            Request::List {
                records: flags.json,
            },
            if flags.json {
                Render::Json
            } else {
                Render::Status
            },
        ),
        Command::Emit => {
            let mut args = positional.into_iter();
            let name = args.next().ok_or_else(|| missing("event name"))?;
            call(
                Request::Emit {
                    name,
                    env: args.collect(),
                    wait,
                },
                Render::Nothing,
            )
        }
        Command::ReloadConfiguration => call(Request::ReloadConfiguration, Render::Nothing),
        Command::Version => call(Request::Version, Render::Value),
        Command::LogPriority => match first {
            None => call(Request::LogPriority { set: None }, Render::Value),
            Some(p) => call(Request::LogPriority { set: Some(p) }, Render::Nothing),
        },
        Command::Usage => {
            let job = match first {
                Some(job) => job,
                None => env("UPSTART_JOB").ok_or_else(|| missing("job name"))?,
            };
            call(Request::Usage { job }, Render::Usage)
        }
        Command::ListEnv => call(
            Request::ListEnv {
                scope: scope(flags, env)?,
            },
            Render::Env,
        ),
        Command::GetEnv => {
            let name = first.ok_or_else(|| missing("variable name"))?;
            call(
                Request::GetEnv {
                    scope: scope(flags, env)?,
                    name,
                },
                Render::Value,
            )
        }
        Command::SetEnv => {
            if positional.is_empty() {
                return Err(missing("variable value"));
            }
            call(
                Request::SetEnv {
                    scope: scope(flags, env)?,
                    vars: positional,
                    replace: !flags.retain,
                },
                Render::Nothing,
            )
        }
        Command::UnsetEnv => {
            if positional.is_empty() {
                return Err(missing("variable name"));
            }
            call(
                Request::UnsetEnv {
                    scope: scope(flags, env)?,
                    names: positional,
                },
                Render::Nothing,
            )
        }
        Command::ResetEnv => call(
            Request::ResetEnv {
                scope: scope(flags, env)?,
            },
            Render::Nothing,
        ),
        Command::NotifyDiskWriteable => call(Request::NotifyDiskWriteable, Render::Nothing),
        Command::Log => {
            let mut args = positional.into_iter();
            let (job, instance) = match args.next() {
                Some(job) => (job, args.next().unwrap_or_default()),
                None => match (env("UPSTART_JOB"), env("UPSTART_INSTANCE")) {
                    (Some(job), Some(instance)) => (job, instance),
                    _ => return Err(missing("job name")),
                },
            };
            if let Some(extra) = args.next() {
                return Err(UsageError(format!("unexpected argument: {extra}")));
            }
            call(Request::Log { job, instance }, Render::Log)
        }
        Command::Telinit => telinit(positional, flags, env)?,
        Command::Runlevel => {
            if let Some(extra) = first {
                return Err(UsageError(format!("unexpected argument: {extra}")));
            }
            call(Request::Runlevel, Render::Runlevel)
        }
        Command::Poweroff | Command::Reboot | Command::Halt => {
            if let Some(extra) = first {
                return Err(UsageError(format!("unexpected argument: {extra}")));
            }
            let action = match command {
                Command::Poweroff => Power::Poweroff,
                Command::Reboot => Power::Reboot,
                _ if flags.poweroff => Power::Poweroff,
                _ => Power::Halt,
            };
            call(
                Request::Power {
                    action,
                    force: flags.force,
                },
                Render::Nothing,
            )
        }
        Command::Help => Action::Print(super::commands::commands_text()),
        Command::ShowConfig
        | Command::CheckConfig
        | Command::NotifyDbusAddress
        | Command::NotifyCgroupManagerAddress
        | Command::ListSessions => {
            Action::Unsupported(command.unsupported_reason().unwrap_or_default().to_owned())
        }
    })
}

/// `telinit RUNLEVEL`: 0-6 and S change runlevel, q reloads the
/// configuration, u (re-exec init) is not supported.
fn telinit(positional: Vec<String>, flags: &Flags, env: Env<'_>) -> Result<Action, UsageError> {
    let mut args = positional.into_iter();
    let level = args.next().ok_or_else(|| missing("runlevel"))?;
    if args.next().is_some() {
        return Err(UsageError("too many arguments".into()));
    }
    let mut chars = level.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return Err(UsageError(format!("illegal runlevel: {level}")));
    };
    Ok(match c {
        '0'..='6' | 'S' | 's' => call(
            Request::Telinit {
                runlevel: c.to_ascii_uppercase().to_string(),
                prevlevel: env("RUNLEVEL").filter(|r| !r.is_empty()),
                env: flags.env.clone(),
            },
            Render::Nothing,
        ),
        'q' | 'Q' => call(Request::ReloadConfiguration, Render::Nothing),
        'u' | 'U' => {
            Action::Unsupported("re-executing init (telinit u) is not supported by upinit".into())
        }
        _ => return Err(UsageError(format!("illegal runlevel: {level}"))),
    })
}

#[cfg(test)]
mod tests;
