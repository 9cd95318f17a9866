//! The command-line interface: argument definitions (clap derive) only.
//!
//! `main.rs` turns these into library calls; the same definitions produce
//! the shell completions and the man page, so those never drift from the
//! real options.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use upc::diag::render::Format;
use upc::simulate::model::{Injection, SpecError};
use upc_machine::ProcessKind;

#[derive(Debug, Parser)]
#[command(
    name = "upc",
    version,
    about = "Upstart, compiled: check Upstart 1.13 job files",
    long_about = "upc checks Upstart 1.13 job files (/etc/init/*.conf and their .override \
                  files) and reports every problem with its location and a stable code.",
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check job files and directories of job files
    #[command(long_about = CHECK_ABOUT, after_help = CHECK_AFTER)]
    Check(CheckArgs),
    /// Show the event graph of a job set (dot, json, svg) or its boot order
    #[command(long_about = GRAPH_ABOUT)]
    Graph(GraphArgs),
    /// Check a job set and write its bundle (refuses when there is any error)
    #[command(long_about = BUILD_ABOUT)]
    Build(BuildArgs),
    /// Simulate a boot of a job set: the trace, the critical chain, a timeline
    #[command(long_about = SIMULATE_ABOUT, after_help = SIMULATE_AFTER)]
    Simulate(SimulateArgs),
    /// Draw a recorded trace (upinit --trace): its critical chain and timeline picture
    #[command(long_about = TIMELINE_ABOUT)]
    Timeline(TimelineArgs),
    /// Boot a job set under the real upinit in a throwaway system and watch it
    #[command(long_about = RUN_ABOUT, after_help = RUN_AFTER)]
    Run(RunArgs),
    /// (internal) a stage of `upc run`'s sandbox
    #[command(name = "__sandbox", hide = true)]
    Sandbox { stage: String, spec: String },
    /// List a bundle's contents (header, jobs, event index, bytecode)
    Dump {
        /// The bundle file
        #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
        file: PathBuf,
        /// Print JSON instead of the listing
        #[arg(long)]
        json: bool,
    },
    /// Format job files: normalised spacing, stanza order, scripts and comments kept
    #[command(long_about = FMT_ABOUT)]
    Fmt(FmtArgs),
    /// Run the language server on stdin/stdout (for editors)
    #[command(long_about = LSP_ABOUT)]
    Lsp,
    /// Explain a diagnostic code or a stanza (or list every code)
    Explain {
        /// A code such as E0006, its name (unknown-stanza), or a stanza (`start on`)
        code: Option<String>,
    },
    /// Print a shell completion script to stdout
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout
    Man,
}

const FMT_ABOUT: &str = "Format job files in place: stanzas stay in the order written, each \
starts in column 0, one space separates words (none inside parentheses), comments are kept (a \
comment after a stanza one space after it), runs of blank lines become one and the file ends with \
one newline. Quoted values, `exec` command lines and `script` bodies are copied byte for byte. A \
file with syntax errors, or not valid UTF-8, is left as it is and reported. Paths are read as \
`upc check` reads them; `-` formats standard input to standard output.\n\n\
Exit status: 0 when every file is formatted (with --check: already was), 1 when a file could not \
be formatted or, with --check, would change, 2 on a usage error.";

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Job files and directories (as for `upc check`; `-` for standard input)
    #[arg(value_name = "PATH", required = true, value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// Change nothing; list the files that would change and exit 1 if any would
    #[arg(long)]
    pub check: bool,
}

const LSP_ABOUT: &str = "Run the language server: JSON-RPC over standard input and output, as \
editors start it (editors/ has the VS Code, Vim/Neovim and Helix set-ups). It reports the \
diagnostics of `upc check` as you type (the whole-set checks of the workspace folder shortly \
after), and offers hover documentation, completion, go to definition, references, document \
symbols, formatting (as `upc fmt`) and quick fixes.";

const BUILD_ABOUT: &str = "Check a job set exactly as `upc check` does and, when no error was \
found (and no warning, with --deny warnings), write its bundle: the one file upinit loads at boot. \
The bundle is written to a temporary file beside FILE, flushed to disk and renamed over FILE, so an \
existing FILE is never left half-written or replaced by a broken bundle. The same sources give the \
same bytes, wherever they are and in whatever order they were created.";

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Job files and directories (as for `upc check`)
    #[arg(value_name = "PATH", required = true, value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// Where to write the bundle
    #[arg(short, long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub output: PathBuf,

    /// Output format of the diagnostics
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = FormatArg::Human)]
    pub format: FormatArg,

    /// Refuse to build on warnings too
    #[arg(long, value_enum, value_name = "WHAT")]
    pub deny: Vec<Deny>,

    /// Print only what fails the build
    #[arg(short, long)]
    pub quiet: bool,

    /// An event that comes from outside the job set (repeatable; globs allowed)
    #[arg(long = "assume-event", value_name = "NAME")]
    pub assume_events: Vec<String>,
}

const SIMULATE_ABOUT: &str = "Check a job set as `upc build` does and, when it has no error, \
run it in upc's event/job machine on a simulated clock with simulated processes: init emits \
`startup` at 0 ms and the jobs start, run and stop as Upstart 1.13 would make them. Nothing is \
started on this machine and no root is needed.\n\n\
Simulated processes: a service's main process runs until it is signalled, a task's main process \
exits 0 after 100 ms, pre-start, post-start, pre-stop, post-stop exit 0 after 50 ms (change them \
with --duration, --fail and --ignore-term). A process dies of the first TERM or KILL; `expect fork`/`daemon` \
processes fork as the job expects, `expect stop` ones stop themselves. The `initctl emit`, \
`start`, `stop`, `restart` and `telinit` commands at the top level of a job's script are \
performed 1 ms apart (with the script's `sleep`s), waiting where initctl would; commands inside \
`if`, `case`, loops and functions are skipped (--no-script-effects skips them all).\n\n\
Output: the trace (one line per goal, state, event, process and request), the critical chain, \
and a summary. --format json prints JSON Lines instead: one object per record with `t_ms` and \
`kind` (state, event, event-finished, goal, hold, process, exit, kill, command, reply, follow, \
log), then a `summary` object.";

const SIMULATE_AFTER: &str = "Exit status: 0 when the simulation came to rest (or reached \
--until) with no job failed, 1 when the job set has errors, a job failed (a `stopping` or \
`stopped` event with RESULT=failed) or the job set kept itself busy past the step limit, 2 on a \
usage error (an unknown job in --duration, --fail or --ignore-term, a malformed --emit) or when \
the output cannot be written.";

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Job files and directories (as for `upc check`)
    #[arg(value_name = "PATH", required = true, value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// Output format of the trace
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = SimFormat::Text)]
    pub format: SimFormat,

    /// Stop the simulation at this time (milliseconds)
    #[arg(long, value_name = "MS", default_value_t = upc::simulate::driver::DEFAULT_UNTIL_MS)]
    pub until: u64,

    /// The event init emits at 0 ms
    #[arg(long, value_name = "NAME", default_value = "startup")]
    pub startup_event: String,

    /// Emit no event at 0 ms (only --emit events happen)
    #[arg(long, conflicts_with = "startup_event")]
    pub no_startup_event: bool,

    /// Make a process end by itself after MS (main when no PROCESS is named; repeatable)
    #[arg(long = "duration", value_name = "JOB[:PROCESS]=MS", value_parser = parse_duration)]
    pub durations: Vec<(String, ProcessKind, u64)>,

    /// Make a process exit with status 1 (main when no PROCESS is named; repeatable)
    #[arg(long = "fail", value_name = "JOB[:PROCESS]", value_parser = parse_target)]
    pub failures: Vec<(String, ProcessKind)>,

    /// Make a process ignore SIGTERM, so only the kill timeout's SIGKILL ends it (repeatable)
    #[arg(long = "ignore-term", value_name = "JOB[:PROCESS]", value_parser = parse_target)]
    pub ignore_term: Vec<(String, ProcessKind)>,

    /// Emit an event at MS (0 without @MS), as `initctl emit --no-wait` (repeatable)
    #[arg(long = "emit", value_name = "'EVENT [KEY=VALUE...][@MS]'", value_parser = parse_emit)]
    pub emits: Vec<Injection>,

    /// Do not perform the initctl commands found in job scripts
    #[arg(long)]
    pub no_script_effects: bool,

    /// Also write the timeline as an SVG picture to FILE
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub svg: Option<PathBuf>,

    /// Print only the critical chain and the summary, not the trace
    #[arg(short, long)]
    pub quiet: bool,

    /// An event that comes from outside the job set (repeatable; globs allowed)
    #[arg(long = "assume-event", value_name = "NAME")]
    pub assume_events: Vec<String>,
}

const TIMELINE_ABOUT: &str = "Read a trace that upinit wrote with --trace FILE (or that `upc \
simulate --format json` printed) and print its critical chain; with --svg, also draw its timeline \
with the code that draws `upc simulate --svg`, so a real boot and a simulated one can be compared \
by eye. Exit status: 0 when the trace was read, 2 when it cannot be read or a line is not a trace \
record (the message names the line).";

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// The trace: JSON Lines
    #[arg(value_name = "TRACE", value_hint = ValueHint::FilePath)]
    pub trace: PathBuf,

    /// Write the timeline as an SVG picture to FILE
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub svg: Option<PathBuf>,

    /// The picture's title (default: upc timeline TRACE)
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
}

fn parse_duration(text: &str) -> Result<(String, ProcessKind, u64), SpecError> {
    upc::simulate::model::parse_duration(text)
}

fn parse_target(text: &str) -> Result<(String, ProcessKind), SpecError> {
    upc::simulate::model::parse_target(text)
}

fn parse_emit(text: &str) -> Result<Injection, SpecError> {
    upc::simulate::model::parse_emit(text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimFormat {
    /// Aligned lines, the critical chain and a summary
    Text,
    /// JSON Lines: one object per record, then a summary object
    Json,
}

const RUN_ABOUT: &str = "Check and build a job set as `upc build` does, then boot it under the \
real upinit (the program beside upc, or on PATH, or --upinit) in a throwaway system, and show the \
jobs coming up: on a terminal, one line per job instance redrawn as its state changes, below the \
console's lines; elsewhere, one line per change. Ctrl-C stops every job cleanly (a second one kills \
the sandbox). Without PATH: stdlib-jobs/system (stdlib-jobs/session with --user).\n\n\
The throwaway system, as root: new PID, mount, UTS, IPC and network namespaces; a root of its own \
in a tmpfs with the host's /usr, /bin, /sbin and /lib read-only, a written /etc (no inittab, no \
SysV scripts), a minimal /dev whose console is a pty upc reads, fresh /proc and /sys; upinit as \
its PID 1. Nothing of the host's terminals, mounts, network or host name is touched. Not as root \
(or with --user): the same in a user namespace, with upinit as a session init (`upinit --user`).";

const RUN_AFTER: &str = "Exit status: 0 when every job that ran succeeded and the stop was \
clean (init powered off, or the session init exited 0, with every job stopped and none killed \
with SIGKILL), 1 when the job set has errors, a job failed or the stop was not clean, 2 on a \
usage error or when the sandbox could not be made (no upinit, no namespaces).";

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Job files and directories (as for `upc check`; default stdlib-jobs/system)
    #[arg(value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// Boot a session init (`upinit --user`) in a user namespace (the default when not root)
    #[arg(long)]
    pub user: bool,

    /// The upinit program (default: beside upc, else on PATH); upctl is taken beside it
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub upinit: Option<PathBuf>,

    /// Stop once the job set has been at rest for the settle time
    #[arg(long, conflicts_with = "for_")]
    pub until_settled: bool,

    /// Stop after this long (500ms, 2s, 1m)
    #[arg(long = "for", id = "for_", value_name = "DURATION", value_parser = parse_run_duration)]
    pub for_: Option<std::time::Duration>,

    /// How long no state may change for the set to count as at rest
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = parse_run_duration)]
    pub settle: std::time::Duration,

    /// One line per change even on a terminal (no live view)
    #[arg(long)]
    pub plain: bool,

    /// Print only the summary
    #[arg(short, long)]
    pub quiet: bool,

    /// An event that comes from outside the job set (repeatable; globs allowed)
    #[arg(long = "assume-event", value_name = "NAME")]
    pub assume_events: Vec<String>,
}

fn parse_run_duration(text: &str) -> Result<std::time::Duration, String> {
    upc::run::parse_duration(text)
}

const GRAPH_ABOUT: &str = "Show the event graph of a job set: events and jobs as nodes, \
`start on`/`stop on` as edges (solid: start, dashed: stop; red: blocking `starting`/`stopping` \
waits), jobs that can never start and blocking cycles highlighted. Jobs with errors are left out. \
With --order, print the order in which jobs would start from `startup` when every job succeeds, \
in waves of jobs that can start together.";

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Job files and directories (as for `upc check`)
    #[arg(value_name = "PATH", required = true, value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// Output format: dot, json or svg for the graph (default dot); text or json for --order (default text)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<GraphFormat>,

    /// Print the boot order (waves of jobs) instead of the graph
    #[arg(long)]
    pub order: bool,

    /// Show only this job and its neighbourhood
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,

    /// Show only this event and its neighbourhood
    #[arg(long, value_name = "NAME")]
    pub event: Option<String>,

    /// How many job/event steps around --job/--event to include
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub depth: usize,

    /// An event that comes from outside the job set (repeatable; globs allowed)
    #[arg(long = "assume-event", value_name = "NAME")]
    pub assume_events: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT
    Dot,
    /// JSON (nodes and edges, or waves with --order)
    Json,
    /// SVG, drawn by Graphviz's `dot` program
    Svg,
    /// Plain text (--order only)
    Text,
}

const CHECK_ABOUT: &str = "Check job files and directories of job files.\n\n\
A directory is read the way Upstart reads /etc/init: recursively, every NAME.conf is a job \
named by its path relative to the directory (net/apache), NAME.override is applied on top of \
NAME.conf, and hidden files, editor backups and symbolic links are skipped. A file named \
explicitly is a job file whatever its name (debian/foo.upstart); `-` reads standard input.";

const CHECK_AFTER: &str =
    "Output: diagnostics go to stdout in every format. The human format ends \
with a summary line; the other formats print nothing else.\n\n\
Exit status: 0 when no error was found (warnings allowed unless denied), 1 when an error was \
found (including a path that cannot be read) or a warning with --deny warnings, 2 on a usage \
error or when the output cannot be written.";

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Job files and directories to check (`-` for standard input)
    #[arg(value_name = "PATH", required_unless_present = "explain_events", value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// Skip the whole-set checks (which run when a directory is checked)
    #[arg(long)]
    pub no_graph: bool,

    /// An event that comes from outside the job set (repeatable; globs allowed)
    #[arg(long = "assume-event", value_name = "NAME")]
    pub assume_events: Vec<String>,

    /// Print the events upc knows come from init and the outside world, and exit
    #[arg(long)]
    pub explain_events: bool,

    /// Also warn (W0028) where a job uses an extension of upc's that Upstart 1.13 refuses
    /// (`expect notify`, `ready fd`)
    #[arg(long)]
    pub strict_upstart: bool,

    /// Output format
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = FormatArg::Human)]
    pub format: FormatArg,

    /// Fail (exit 1) on warnings too
    #[arg(long, value_enum, value_name = "WHAT")]
    pub deny: Vec<Deny>,

    /// Show only what fails the run (errors, and warnings when denied), and no summary line
    #[arg(short, long)]
    pub quiet: bool,

    /// When to colour the human format (auto: when stdout is a terminal and NO_COLOR is unset)
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

impl CheckArgs {
    pub fn deny_warnings(&self) -> bool {
        self.deny.contains(&Deny::Warnings)
    }
}

/// `--format` values; mirrors [`Format`], which the library keeps free of clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Source excerpts with labels, then a summary line
    Human,
    /// One `PATH:LINE:COL: error[CODE]: message` line per diagnostic
    Short,
    /// One JSON document (schema version 1)
    Json,
    /// SARIF 2.1.0, for code-scanning services
    Sarif,
    /// GitHub Actions workflow commands (annotations)
    Github,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Short => Format::Short,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Github => Format::Github,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    /// Warnings fail the run like errors
    Warnings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_format_has_an_argument() {
        for f in Format::ALL {
            let arg = FormatArg::from_str(f.name(), false).map(Format::from);
            assert_eq!(arg, Ok(f));
        }
    }
}
