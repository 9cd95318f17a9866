//! upctl's commands: initctl's names, each command's options, its line
//! in `--help`, and why upc lacks the ones it does not have; and the help
//! texts.

use super::options::{self, OptSpec};

/// Every command, with initctl's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Start,
    Stop,
    Restart,
    Reload,
    Status,
    List,
    Emit,
    ReloadConfiguration,
    Version,
    LogPriority,
    Usage,
    ListEnv,
    GetEnv,
    SetEnv,
    UnsetEnv,
    ResetEnv,
    NotifyDiskWriteable,
    Log,
    Telinit,
    Runlevel,
    Poweroff,
    Reboot,
    Halt,
    Help,
    // initctl's, which upc does not have.
    ShowConfig,
    CheckConfig,
    NotifyDbusAddress,
    NotifyCgroupManagerAddress,
    ListSessions,
}

impl Command {
    pub const ALL: [Command; 29] = [
        Command::Start,
        Command::Stop,
        Command::Restart,
        Command::Reload,
        Command::Status,
        Command::List,
        Command::Emit,
        Command::ReloadConfiguration,
        Command::Version,
        Command::LogPriority,
        Command::Usage,
        Command::ListEnv,
        Command::GetEnv,
        Command::SetEnv,
        Command::UnsetEnv,
        Command::ResetEnv,
        Command::NotifyDiskWriteable,
        Command::Log,
        Command::Telinit,
        Command::Runlevel,
        Command::Poweroff,
        Command::Reboot,
        Command::Halt,
        Command::Help,
        Command::ShowConfig,
        Command::CheckConfig,
        Command::NotifyDbusAddress,
        Command::NotifyCgroupManagerAddress,
        Command::ListSessions,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Command::Start => "start",
            Command::Stop => "stop",
            Command::Restart => "restart",
            Command::Reload => "reload",
            Command::Status => "status",
            Command::List => "list",
            Command::Emit => "emit",
            Command::ReloadConfiguration => "reload-configuration",
            Command::Version => "version",
            Command::LogPriority => "log-priority",
            Command::Usage => "usage",
            Command::ListEnv => "list-env",
            Command::GetEnv => "get-env",
            Command::SetEnv => "set-env",
            Command::UnsetEnv => "unset-env",
            Command::ResetEnv => "reset-env",
            Command::NotifyDiskWriteable => "notify-disk-writeable",
            Command::Log => "log",
            Command::Telinit => "telinit",
            Command::Runlevel => "runlevel",
            Command::Poweroff => "poweroff",
            Command::Reboot => "reboot",
            Command::Halt => "halt",
            Command::Help => "help",
            Command::ShowConfig => "show-config",
            Command::CheckConfig => "check-config",
            Command::NotifyDbusAddress => "notify-dbus-address",
            Command::NotifyCgroupManagerAddress => "notify-cgroup-manager-address",
            Command::ListSessions => "list-sessions",
        }
    }

    pub(super) fn named(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The command's own options (besides the global ones).
    pub(super) fn options(self) -> &'static [OptSpec] {
        match self {
            Command::Start | Command::Stop | Command::Restart | Command::Emit => options::NO_WAIT,
            Command::Status | Command::List => options::JSON,
            Command::ListEnv | Command::GetEnv | Command::UnsetEnv | Command::ResetEnv => {
                options::GLOBAL_ENV
            }
            Command::SetEnv => options::SET_ENV,
            Command::Telinit => options::TELINIT,
            Command::Poweroff | Command::Reboot => options::FORCE,
            Command::Halt => options::HALT,
            Command::Reload
            | Command::ReloadConfiguration
            | Command::Version
            | Command::LogPriority
            | Command::Usage
            | Command::NotifyDiskWriteable
            | Command::Log
            | Command::Runlevel
            | Command::Help
            | Command::ShowConfig
            | Command::CheckConfig
            | Command::NotifyDbusAddress
            | Command::NotifyCgroupManagerAddress
            | Command::ListSessions => options::NONE,
        }
    }

    /// One line of `--help`: the arguments and what it does.
    pub fn synopsis(self) -> (&'static str, &'static str) {
        match self {
            Command::Start => ("JOB [KEY=VALUE]...", "Start a job (wait until it runs)."),
            Command::Stop => ("JOB [KEY=VALUE]...", "Stop a job (wait until it stopped)."),
            Command::Restart => ("JOB [KEY=VALUE]...", "Stop, then start a running job."),
            Command::Reload => ("JOB [KEY=VALUE]...", "Send a job its reload signal."),
            Command::Status => ("JOB [KEY=VALUE]...", "Show a job's status."),
            Command::List => ("", "Show the status of every job."),
            Command::Emit => (
                "EVENT [KEY=VALUE]...",
                "Emit an event (wait until it is handled).",
            ),
            Command::ReloadConfiguration => ("", "Load the job bundle again."),
            Command::Version => ("", "Show init's version."),
            Command::LogPriority => ("[PRIORITY]", "Show or set init's log priority."),
            Command::Usage => ("JOB", "Show a job's usage text."),
            Command::ListEnv => ("", "List the job environment."),
            Command::GetEnv => ("VAR", "Show one variable of the job environment."),
            Command::SetEnv => ("VAR[=VALUE]...", "Set variables in the job environment."),
            Command::UnsetEnv => ("VAR...", "Remove variables from the job environment."),
            Command::ResetEnv => ("", "Reset the job environment to its defaults."),
            Command::NotifyDiskWriteable => ("", "Write the job logs kept in memory to disk."),
            Command::Log => ("JOB [INSTANCE]", "Show the end of a job's console log."),
            Command::Telinit => ("RUNLEVEL", "Change runlevel (emit the runlevel event)."),
            Command::Runlevel => ("", "Show the previous and current runlevel."),
            Command::Poweroff => ("", "Stop every job and power off."),
            Command::Reboot => ("", "Stop every job and reboot."),
            Command::Halt => ("", "Stop every job and halt."),
            Command::Help => ("", "List the commands."),
            Command::ShowConfig
            | Command::CheckConfig
            | Command::NotifyDbusAddress
            | Command::NotifyCgroupManagerAddress
            | Command::ListSessions => ("", "Not supported by upc."),
        }
    }

    /// Why upc has no such command, and what to use instead.
    pub(super) fn unsupported_reason(self) -> Option<&'static str> {
        Some(match self {
            Command::ShowConfig => {
                "show-config is not supported: upinit runs a compiled bundle; \
                 run `upc graph DIR` on the job files for their start on, stop on \
                 and emits"
            }
            Command::CheckConfig => {
                "check-config is not supported: upinit runs a compiled bundle; \
                 run `upc check DIR` on the job files, which reports events and \
                 jobs that nothing provides"
            }
            Command::NotifyDbusAddress => {
                "notify-dbus-address is not supported: upinit does not use D-Bus"
            }
            Command::NotifyCgroupManagerAddress => {
                "notify-cgroup-manager-address is not supported: upinit has no \
                 cgroup manager support"
            }
            Command::ListSessions => {
                "list-sessions is not supported: a --user upinit listens on \
                 $XDG_RUNTIME_DIR/upinit.sock (upctl --user)"
            }
            _ => return None,
        })
    }
}

pub(super) fn version_text(prog: &str) -> String {
    format!("{prog} (upc {})\n", env!("CARGO_PKG_VERSION"))
}

pub(super) fn help_text(prog: &str) -> String {
    format!(
        "Usage: {prog} [OPTION]... COMMAND [OPTION]... [ARG]...\n\
         \n\
         Control upinit, upc's init, as initctl controls Upstart.\n\
         \n\
         {}\
         Options:\n\
         {}\n\
         For a command's own options: {prog} COMMAND --help.\n\
         Report bugs to the upc project.\n",
        commands_text(),
        options_text(options::GLOBAL)
    )
}

/// `--help` lines for these options (the D-Bus ones, refused, are not
/// shown).
fn options_text(specs: &[OptSpec]) -> String {
    let mut out = String::new();
    for spec in specs.iter().filter(|s| !s.help.is_empty()) {
        let short = spec.short.map_or("    ".to_owned(), |c| format!("-{c}, "));
        let long = match spec.value {
            Some(v) => format!("--{}={v}", spec.long),
            None => format!("--{}", spec.long),
        };
        out.push_str(&format!("  {short}{long:<20} {}\n", spec.help));
    }
    out
}

pub(super) fn commands_text() -> String {
    let groups: [(&str, &[Command]); 4] = [
        (
            "Job commands",
            &[
                Command::Start,
                Command::Stop,
                Command::Restart,
                Command::Reload,
                Command::Status,
                Command::List,
                Command::Usage,
                Command::Log,
            ],
        ),
        ("Event commands", &[Command::Emit]),
        (
            "Environment commands",
            &[
                Command::GetEnv,
                Command::ListEnv,
                Command::ResetEnv,
                Command::SetEnv,
                Command::UnsetEnv,
            ],
        ),
        (
            "Other commands",
            &[
                Command::Help,
                Command::LogPriority,
                Command::NotifyDiskWriteable,
                Command::ReloadConfiguration,
                Command::Version,
                Command::Runlevel,
                Command::Telinit,
                Command::Poweroff,
                Command::Reboot,
                Command::Halt,
            ],
        ),
    ];
    let mut out = String::new();
    for (title, commands) in groups {
        out.push_str(title);
        out.push_str(":\n");
        for c in commands {
            out.push_str(&format!("  {:<23}{}\n", c.name(), c.synopsis().1));
        }
        out.push('\n');
    }
    out
}

pub(super) fn command_help(invoked: &str, command: Command) -> String {
    let (args, what) = command.synopsis();
    let mut out = format!("Usage: {invoked} [OPTION]... {args}\n{what}\n\nOptions:\n");
    out.push_str(&options_text(command.options()));
    out.push_str(&options_text(options::GLOBAL));
    out
}
