//! The `upc` command line. Arguments in, library calls, output out.
//!
//! Output conventions: results (diagnostics, explanations, completions,
//! the man page) go to stdout; only upc's own failures go to stderr. Exit
//! status: 0 clean, 1 the checked files have errors (or warnings under
//! `--deny warnings`), 2 usage errors and failures to write the output.

mod cli;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{CommandFactory, Parser};
use codespan_reporting::term::termcolor::{BufferedStandardStream, ColorChoice};
use upc::check;
use upc::diag::render::{self, Format, Options};
use upc::diag::Code;

use cli::{
    BuildArgs, CheckArgs, Cli, ColorWhen, Command, GraphArgs, GraphFormat, SimFormat, SimulateArgs,
};

const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("upc: error: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Explain { code } => explain(code.as_deref()),
        Command::Fmt(args) => fmt(&args),
        Command::Lsp => upc::lsp::run_stdio().context("the language server failed"),
        Command::Completions { shell } => {
            write_stdout(|out| {
                clap_complete::generate(shell, &mut Cli::command(), "upc", out);
                Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Graph(args) => graph(&args),
        Command::Build(args) => build(&args),
        Command::Simulate(args) => simulate(&args),
        Command::Timeline(args) => timeline(&args),
        Command::Run(args) => run_set(&args),
        Command::Sandbox { stage, spec } => {
            Ok(ExitCode::from(upc::run::sandbox::stage(&stage, &spec)))
        }
        Command::Dump { file, json } => dump(&file, json),
        Command::Man => {
            write_stdout(|out| clap_mangen::Man::new(Cli::command()).render(out))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check(args: &CheckArgs) -> Result<ExitCode> {
    if args.explain_events {
        write_stdout(|out| {
            writeln!(
                out,
                "Events a job set may wait on without any job emitting them:"
            )?;
            for (event, source) in upc::graph::well_known_events() {
                writeln!(out, "  {event:<28} {source}")?;
            }
            writeln!(
                out,
                "\nEvery job also emits starting, started, stopping and stopped (JOB=name)."
            )?;
            writeln!(
                out,
                "Declare other outside events with `emits` in a job or with --assume-event NAME."
            )
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let deny_warnings = args.deny_warnings();
    let options = check::CheckOptions {
        graph: !args.no_graph,
        assume_events: args.assume_events.clone(),
        whole_set: false,
        strict_upstart: args.strict_upstart,
    };
    let report = check::check_paths_with(&args.paths, &options);
    let status = if report.fails(deny_warnings) {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    };
    let shown = Shown {
        format: args.format,
        quiet: args.quiet,
        deny_warnings,
        color: args.color,
    };
    print_report(report, shown)?;
    Ok(status)
}

/// How a report is printed.
#[derive(Clone, Copy)]
struct Shown {
    format: cli::FormatArg,
    quiet: bool,
    deny_warnings: bool,
    color: ColorWhen,
}

/// Prints a report's diagnostics (and summary) to stdout; consumes it.
fn print_report(mut report: check::Report, shown: Shown) -> Result<()> {
    if shown.quiet {
        report.retain_failing(shown.deny_warnings);
    }
    let format = Format::from(shown.format);
    let options = Options {
        summary: !shown.quiet,
        deny_warnings: shown.deny_warnings,
    };
    let color = match (format, shown.color) {
        (Format::Human, ColorWhen::Always) => ColorChoice::Always,
        (Format::Human, ColorWhen::Auto) if io::stdout().is_terminal() && !no_color() => {
            ColorChoice::Auto
        }
        _ => ColorChoice::Never,
    };
    let mut out = BufferedStandardStream::stdout(color);
    let written = render::render(
        format,
        &report.sources,
        &report.diagnostics,
        report.summary(),
        options,
        &mut out,
    )
    .and_then(|()| out.flush());
    // The process ends soon after this: freeing every job and file one by
    // one would only cost time (a twentieth of a ten-thousand-file run).
    std::mem::forget(report);
    match written {
        Ok(()) => Ok(()),
        // A reader that went away (`upc check ... | head`) is not upc's failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e).context("cannot write the diagnostics"),
    }
}

/// Checks a job set as a whole, the way `build` and `simulate` need it.
fn check_whole_set(paths: &[std::path::PathBuf], assume_events: &[String]) -> check::Report {
    let options = check::CheckOptions {
        graph: true,
        assume_events: assume_events.to_vec(),
        whole_set: true,
        strict_upstart: false,
    };
    check::check_paths_with(paths, &options)
}

fn build(args: &BuildArgs) -> Result<ExitCode> {
    let deny_warnings = args.deny.contains(&cli::Deny::Warnings);
    let report = check_whole_set(&args.paths, &args.assume_events);
    if report.fails(deny_warnings) {
        let why = if report.errors() > 0 {
            "errors"
        } else {
            "warnings (denied)"
        };
        let shown = Shown {
            format: args.format,
            quiet: args.quiet,
            deny_warnings,
            color: ColorWhen::Auto,
        };
        print_report(report, shown)?;
        eprintln!(
            "upc: no bundle written: the job set has {why}; {} is unchanged",
            args.output.display()
        );
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    let bytes =
        upc::build::build(&report.jobs, &report.sources).context("cannot build the bundle")?;
    upc::build::write_atomically(&args.output, &bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let jobs = report.jobs.len();
    let shown = Shown {
        format: args.format,
        quiet: true,
        deny_warnings,
        color: ColorWhen::Auto,
    };
    print_report(report, shown)?;
    if !args.quiet {
        eprintln!(
            "upc: wrote {} ({jobs} jobs, {} bytes)",
            args.output.display(),
            bytes.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn simulate(args: &SimulateArgs) -> Result<ExitCode> {
    use upc::simulate::{self, ProcessTable, Script, Simulation, Step, Summary};

    let report = check_whole_set(&args.paths, &args.assume_events);
    if report.fails(false) {
        let shown = Shown {
            format: cli::FormatArg::Human,
            quiet: true,
            deny_warnings: false,
            color: ColorWhen::Auto,
        };
        print_report(report, shown)?;
        eprintln!("upc: nothing simulated: the job set has errors");
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    let bytes =
        upc::build::build(&report.jobs, &report.sources).context("cannot build the bundle")?;
    let bundle = upc_bundle::validate_owned(bytes).context("the built bundle is not valid")?;
    let mut processes = ProcessTable::default();
    for (job, kind, ms) in &args.durations {
        processes.set_duration(job, *kind, *ms);
    }
    for (job, kind) in &args.failures {
        processes.set_failing(job, *kind);
    }
    for (job, kind) in &args.ignore_term {
        processes.set_ignores_term(job, *kind);
    }
    let scripts = args
        .emits
        .iter()
        .map(|e| Script {
            at: e.at,
            steps: vec![Step::Emit {
                name: e.name.clone(),
                env: e.env.clone(),
                wait: false,
            }],
        })
        .collect();
    let options = simulate::Options {
        processes,
        scripts,
        startup: (!args.no_startup_event).then(|| args.startup_event.clone()),
        until: args.until,
        script_effects: !args.no_script_effects,
        ..simulate::Options::default()
    };
    let mut sim = Simulation::new(bundle, options)?;
    let outcome = sim.run();
    let summary = Summary::of(&sim, outcome);
    if let Some(file) = &args.svg {
        let title = format!("upc simulate {}", display_paths(&args.paths));
        let picture = simulate::svg::timeline_records(sim.records(), &title);
        upc::build::write_atomically(file, picture.as_bytes())
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    let text = match args.format {
        SimFormat::Json => simulate::json::json_lines(&sim, &summary),
        SimFormat::Text => {
            let mut text = String::new();
            if !args.quiet {
                text.push_str(&simulate::render::text(&sim));
            }
            let chain = simulate::chain::render_records(sim.records());
            if !chain.is_empty() {
                text.push('\n');
                text.push_str(&chain);
                if !chain.ends_with('\n') {
                    text.push('\n');
                }
            }
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&summary.text());
            text
        }
    };
    print_text(&text)?;
    Ok(if summary.failed() {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// `upc timeline`: a recorded trace's critical chain, and its picture.
fn timeline(args: &cli::TimelineArgs) -> Result<ExitCode> {
    use upc::simulate;

    let path = &args.trace;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let records = simulate::replay::read(&text)
        .with_context(|| format!("{} is not a trace", path.display()))?;
    if let Some(file) = &args.svg {
        let title = args
            .title
            .clone()
            .unwrap_or_else(|| format!("upc timeline {}", path.display()));
        let picture = simulate::svg::timeline_records(&records, &title);
        upc::build::write_atomically(file, picture.as_bytes())
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    print_text(&simulate::chain::render_records(&records))?;
    Ok(ExitCode::SUCCESS)
}

fn run_set(args: &cli::RunArgs) -> Result<ExitCode> {
    use upc::run::{self, Until};
    // First: the checks below start a thread pool, which must inherit
    // the blocked Ctrl-C (see `Signals`).
    let signals = run::Signals::block()?;
    let user = args.user || !run::is_root();
    if user && !args.user {
        eprintln!("upc: not root: booting a session init in a user namespace (--user)");
    }
    let paths = if args.paths.is_empty() {
        vec![run::default_set(user)?]
    } else {
        args.paths.clone()
    };
    let programs = run::Programs::find(args.upinit.as_deref())?;
    let report = check_whole_set(&paths, &args.assume_events);
    if report.fails(false) {
        let shown = Shown {
            format: cli::FormatArg::Human,
            quiet: true,
            deny_warnings: false,
            color: ColorWhen::Auto,
        };
        print_report(report, shown)?;
        eprintln!("upc: nothing run: the job set has errors");
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    let bytes =
        upc::build::build(&report.jobs, &report.sources).context("cannot build the bundle")?;
    let until = match (args.until_settled, args.for_) {
        (true, _) => Until::Settled,
        (false, Some(d)) => Until::For(d),
        (false, None) => Until::Interrupted,
    };
    let options = run::Options {
        name: display_paths(&paths),
        jobs: report.jobs.len(),
        user,
        programs,
        until,
        settle: args.settle,
        style: run::Style::choose(args.quiet, args.plain),
    };
    let summary = run::run(&bytes, &options, &signals)?;
    print_text(&summary.text())?;
    Ok(if summary.clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

fn display_paths(paths: &[std::path::PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(" ")
}

fn dump(file: &std::path::Path, json: bool) -> Result<ExitCode> {
    // `load` refuses a file larger than any bundle before reading it.
    let bytes = match upc_bundle::load(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            eprintln!("upc: {}: not a valid bundle: {e}", file.display());
            return Ok(ExitCode::from(EXIT_FAILED));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let bundle = match upc_bundle::validate(&bytes) {
        Ok(bundle) => bundle,
        Err(e) => {
            eprintln!("upc: {}: not a valid bundle: {e}", file.display());
            return Ok(ExitCode::from(EXIT_FAILED));
        }
    };
    let text = if json {
        pretty(&upc::dump::dump_json(&bundle))?
    } else {
        upc::dump::dump_text(&bundle)
    };
    print_text(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn graph(args: &GraphArgs) -> Result<ExitCode> {
    let options = check::CheckOptions {
        graph: false,
        assume_events: Vec::new(),
        whole_set: false,
        strict_upstart: false,
    };
    let report = check::check_paths_with(&args.paths, &options);
    if !report.broken.is_empty() {
        let names: Vec<&str> = report.broken.iter().map(|(n, _)| n.as_str()).collect();
        eprintln!(
            "upc: note: left out {} job(s) with errors: {}",
            names.len(),
            names.join(", ")
        );
    }
    let jobs: Vec<_> = report
        .jobs
        .iter()
        .filter(|j| !report.broken.iter().any(|(n, _)| *n == j.name))
        .cloned()
        .collect();
    let graph_options = upc::graph::GraphOptions {
        assume_events: args.assume_events.clone(),
        excluded_jobs: Vec::new(),
    };
    let graph = upc::graph::EventGraph::build(&jobs, &graph_options);
    let focus = (args.job.is_some() || args.event.is_some()).then(|| upc::graph::Focus {
        job: args.job.clone(),
        event: args.event.clone(),
        depth: args.depth,
    });
    let text = match (args.order, args.format) {
        (true, None | Some(GraphFormat::Text)) => graph.boot_order_text(),
        (true, Some(GraphFormat::Json)) => pretty(&graph.boot_order_json())?,
        (true, Some(f)) => bail!("--order prints text or json, not {f:?}"),
        (false, None | Some(GraphFormat::Dot)) => graph.to_dot(focus.as_ref()),
        (false, Some(GraphFormat::Json)) => pretty(&graph.to_json(focus.as_ref()))?,
        (false, Some(GraphFormat::Svg)) => graph.to_svg(focus.as_ref())?,
        (false, Some(GraphFormat::Text)) => {
            bail!("the graph is drawn as dot, json or svg; text is for --order")
        }
    };
    print_text(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints a text to stdout, ending it with a newline if it has none.
fn print_text(text: &str) -> Result<()> {
    write_stdout(|out| {
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            writeln!(out)?;
        }
        Ok(())
    })
}

fn pretty(value: &serde_json::Value) -> Result<String> {
    serde_json::to_string_pretty(value).context("cannot serialise the graph")
}

/// <https://no-color.org>: set and not empty disables colour.
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn explain(code: Option<&str>) -> Result<ExitCode> {
    let Some(code) = code else {
        write_stdout(|out| {
            let width = Code::ALL
                .iter()
                .map(|c| c.info().name.len())
                .max()
                .unwrap_or(0);
            for c in Code::ALL {
                let info = c.info();
                writeln!(out, "{}  {:width$}  {}", info.id, info.name, info.summary)?;
            }
            Ok(())
        })?;
        return Ok(ExitCode::SUCCESS);
    };
    if Code::parse(code).is_none() {
        if let Some(stanza) = upc::lsp::docs::stanza(code) {
            print_text(&stanza.markdown())?;
            return Ok(ExitCode::SUCCESS);
        }
    }
    let Some(found) = Code::parse(code) else {
        match suggest(code) {
            Some(near) => bail!("unknown diagnostic code `{code}` (did you mean {near}?); `upc explain` lists them all"),
            None => bail!("unknown diagnostic code `{code}`; `upc explain` lists them all"),
        }
    };
    print_text(found.info().explanation)?;
    Ok(ExitCode::SUCCESS)
}

fn fmt(args: &cli::FmtArgs) -> Result<ExitCode> {
    use upc::fmt::{FileOutcome, Mode};
    let mode = if args.check { Mode::Check } else { Mode::Write };
    let outcomes = upc::fmt::format_paths(&args.paths, mode);
    let mut status = ExitCode::SUCCESS;
    let mut failures = Vec::new();
    write_stdout(|out| {
        for outcome in &outcomes {
            if outcome.fails(mode) {
                status = ExitCode::from(EXIT_FAILED);
            }
            match outcome {
                FileOutcome::Unchanged(_) => {}
                FileOutcome::Reformatted(path) if mode == Mode::Check => {
                    writeln!(out, "would reformat {}", path.display())?
                }
                FileOutcome::Reformatted(path) => writeln!(out, "reformatted {}", path.display())?,
                FileOutcome::Stdout(text) => out.write_all(text.as_bytes())?,
                FileOutcome::Failed(path, why) => failures.push((path, why)),
            }
        }
        Ok(())
    })?;
    for (path, why) in failures {
        eprintln!("upc: {}: {why}", path.display());
    }
    Ok(status)
}

/// The registered id or name closest to a mistyped code.
fn suggest(code: &str) -> Option<&'static str> {
    let lower = code.to_ascii_lowercase();
    Code::ALL
        .iter()
        .flat_map(|c| [c.info().id, c.info().name])
        .map(|candidate| {
            (
                strsim::levenshtein(&lower, &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .filter(|&(distance, candidate)| distance <= 2.max(candidate.len() / 4))
        .min()
        .map(|(_, candidate)| candidate)
}

/// Runs `f` on a buffered stdout; a closed pipe is not an error.
fn write_stdout(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match f(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e).context("cannot write to stdout"),
        _ => Ok(()),
    }
}
