//! The simulator against real Upstart 1.13.2: every scenario of
//! `../shared/oracle` (see its README.md) is replayed in `upc simulate`'s
//! driver and the core records of the two traces compared.
//!
//! - The operator's lines of `replay.txt` run in order, each waiting like
//!   initctl; its `process` lines are the process behaviours (a process
//!   that "exits at once" takes `AT_ONCE_MS`). Script effects are off: the
//!   replay says everything the jobs' processes do.
//! - The order in which classes react to one event is Upstart's hash order,
//!   which nothing specifies; it is read off the oracle trace and handed to
//!   the machine (`Config::class_order`).
//! - Deterministic scenarios must match exactly. Racy ones (`b`, `y`: races
//!   inside Upstart itself) must match exactly or else per instance, with
//!   the same events in any order. (Races that only move reply and output
//!   lines, as in g, k, n, u and x, do not touch the core records.)
//! - The `status` and `list` queries that replay.txt leaves out are put
//!   back where `commands` has them. The answers to all the operator's
//!   commands (exit status, output lines; `list` sorted) must be initctl's,
//!   in every mode.
//! - `KNOWN_MACHINE_BUGS` lists scenarios that fail because of a machine
//!   bug, with the reason; they still run, and one that starts to match
//!   fails the test until it is taken off the list.
//!
//! Reading the scenario and comparing are `upc_oracle`'s
//! (tests/oracle-support), which the real runtime's test
//! (runtime/init/tests/oracle.rs) shares.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;

use upc::simulate::json::json_lines;
use upc::simulate::{
    Behaviour, End, Note, Options, ProcessTable, Record, Script, Simulation, Step, Summary, Verb,
    Whom,
};
use upc_machine::{ExitStatus, Millis, Output};
use upc_oracle::{compare, replay, trace};

/// A process that "exits at once" takes this long (the README: a few ms).
const AT_ONCE_MS: Millis = 2;

/// Scenarios whose comparison fails because the machine differs from
/// Upstart, and why. Remove an entry once the machine is fixed.
const KNOWN_MACHINE_BUGS: &[(&str, &str)] = &[];

use upc_oracle::Mode;

fn read(path: &Path) -> String {
    upc_oracle::read(path).unwrap_or_else(|e| panic!("{e}"))
}

/// The replay's steps as the simulator's.
fn sim_step(step: replay::Step) -> Step {
    match step {
        replay::Step::Emit { name, env, wait } => Step::Emit { name, env, wait },
        replay::Step::Job {
            verb,
            job,
            env,
            wait,
        } => Step::Job {
            verb: match verb {
                replay::Verb::Start => Verb::Start,
                replay::Verb::Stop => Verb::Stop,
                replay::Verb::Restart => Verb::Restart,
            },
            whom: Whom::Job(job),
            env,
            wait,
        },
        replay::Step::Status { job, env } => Step::Status { job, env },
        replay::Step::List => Step::List,
        replay::Step::Sleep(ms) => Step::Sleep(ms),
    }
}

/// The replay's process behaviours as the simulator's.
fn sim_processes(processes: &[replay::Process]) -> ProcessTable {
    let mut table = ProcessTable::default();
    for p in processes {
        let behaviour = match p.behaviour {
            replay::Behaviour::Runs | replay::Behaviour::NeverSpawned => Behaviour::RUNS,
            replay::Behaviour::IgnoresTerm => Behaviour::IGNORES_TERM,
            replay::Behaviour::Ends { status, after } => {
                let after = after.unwrap_or(AT_ONCE_MS);
                match status {
                    ExitStatus::Exited(n) => Behaviour::exits(n, after),
                    ExitStatus::Signaled(s) => Behaviour::killed_by(s, after),
                }
            }
        };
        table.set(&p.job, p.kind, behaviour);
    }
    table
}

/// Each operator request of the simulation and its answer as initctl would
/// print it, pids named as in the trace.
fn simulated_answers(sim: &Simulation, pids: &trace::PidNames) -> Vec<String> {
    sim.records()
        .iter()
        .filter_map(|r| match r {
            Record::Note {
                note:
                    Note::Command {
                        request,
                        text,
                        by: None,
                    },
                ..
            } => Some((*request, text)),
            _ => None,
        })
        .map(|(id, command)| {
            let (rc, output) = match sim.reply(id) {
                None => (-1, vec!["(no answer)".to_owned()]),
                Some(Err(e)) => (1, vec![format!("initctl: {}", e.message)]),
                Some(Ok(Output::Status(lines))) => {
                    (0, lines.iter().map(|l| pids.rename_in(l)).collect())
                }
                Some(Ok(Output::Env(lines))) => (0, lines.clone()),
                Some(Ok(Output::Value(v))) => (0, vec![v.clone()]),
                Some(Ok(Output::Done)) => (0, Vec::new()),
            };
            compare::answer(command, rc, &output)
        })
        .collect()
}

/// Replays the scenario and returns the comparison's verdict.
fn replay_scenario(name: &str, mode: Mode) -> Result<(), String> {
    let dir = upc_oracle::oracle_dir().join(name);
    let report = upc::check::check_paths(&[dir.join("jobs")]);
    assert_eq!(report.errors(), 0, "{name}: the job files do not check");
    let bytes = upc::build::build(&report.jobs, &report.sources).expect("build");
    let bundle = upc_bundle::validate_owned(bytes).expect("valid bundle");
    let replay = replay::parse_replay(&read(&dir.join("replay.txt")))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let oracle = trace::parse_trace(&read(&dir.join("trace.jsonl")), "trace.jsonl")
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let steps = replay::with_queries(replay.steps, &read(&dir.join("commands")))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let options = Options {
        processes: sim_processes(&replay.processes),
        scripts: vec![Script {
            at: 0,
            steps: steps.into_iter().map(sim_step).collect(),
        }],
        startup: None,
        script_effects: false,
        class_order: trace::class_order(&oracle),
        ..Options::default()
    };
    let mut sim = Simulation::new(bundle, options).unwrap_or_else(|e| panic!("{name}: {e}"));
    let outcome = sim.run();
    assert_eq!(outcome.end, End::Settled, "{name}: {outcome:?}");
    // The trace as `upc simulate --format json` writes it.
    let json = json_lines(&sim, &Summary::of(&sim, outcome));
    let mut simulated = trace::parse_trace(&json, "the simulation's trace")
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let pids = trace::name_pids(&mut simulated);
    let expected = compare::core_lines(&oracle);
    let got = compare::core_lines(&simulated);
    assert!(
        !expected.is_empty(),
        "{name}: no core records in trace.jsonl"
    );
    let replies = (
        compare::oracle_answers(&oracle),
        simulated_answers(&sim, &pids),
    );
    compare::exact_text(&replies.0, &replies.1)
        .map_err(|diff| format!("the answers to the commands differ:\n{diff}"))?;
    match mode {
        Mode::Exact => compare::exact(&expected, &got),
        Mode::Tolerant => compare::exact(&expected, &got)
            .map(|()| eprintln!("{name}: matches the stored trace exactly"))
            .or_else(|_| compare::tolerant(&expected, &got)),
    }
}

fn scenario(name: &str, mode: Mode) {
    let runner = upc_oracle::Runner {
        what: "simulator",
        exceptions: KNOWN_MACHINE_BUGS,
        list: "compiler/tests/simulate/oracle.rs (KNOWN_MACHINE_BUGS)",
    };
    upc_oracle::judge(name, mode, replay_scenario(name, mode), &runner);
}

upc_oracle::scenario_tests!(scenario);
