//! Properties of the machine over random job sets and random stimuli.
//!
//! A case (case.rs) is 1–8 jobs whose `start on`/`stop on` mix three plain
//! events (with arguments) and the job events of the other jobs, random
//! processes, `expect`, task/respawn flags and instance templates; then a
//! random sequence of emits, requests, process milestones and exits (with
//! random statuses), signals honoured or not, timeouts, late spawn
//! failures, stale pids and reloads; then every process is run out until
//! nothing is left.
//!
//! The driver (tests/common) checks after every step that each instance's
//! state records chain (`from` is the previous `to`) and follow the table
//! of runtime-semantics.md §3.2, that every entry to `starting` is matched
//! by one `post-stop` before the next (§4.1), and that the machine's
//! instance table agrees with its trace. At rest (checks.rs): everything
//! that can finish has finished (§3.3, §7), every request got exactly one
//! reply unless what it waits for is legitimately stuck, and processes,
//! kills and job events happened where §3–§6 and §14 say. A second run of
//! the same case gives the same trace.
//!
//! `start on` only names job events of jobs earlier in the set, so a case
//! cannot feed itself events for ever (that case has its own tests in
//! bad_input.rs).
//!
//! Hunting: `PROPTEST_CASES=50000 UPC_DUMP=1 cargo test --release -p
//! upc-machine --test properties -- --nocapture` prints each failing run's
//! jobs, stimuli and trace; the last one printed is the minimal case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod case;
mod checks;
#[path = "../common/mod.rs"]
mod common;

use case::{any_case, apply, realise, JobGen, Op};
use checks::{check_at_rest, check_replies, check_story};
use common::*;
use proptest::prelude::*;
use upc_machine::{Action, ExitStatus, Spawn, TraceRecord};

// ---------------------------------------------------------------------------
// Running a case and the checks at rest

struct Outcome {
    trace: Vec<TraceRecord>,
    actions: Vec<Action>,
    spawns: Vec<(u32, Spawn)>,
}

/// What to check once the case has come to rest (the driver checks the
/// per-step invariants whatever this is).
type AtRest = fn(&Driver, &[JobBuilder]);

fn nothing(_: &Driver, _: &[JobBuilder]) {}

fn run(gens: &[JobGen], ops: &[Op], seed: u32, at_rest: AtRest) -> Outcome {
    let jobs = realise(gens);
    let mut d = Driver::new(&jobs);
    d.honour_term = Box::new(move |pid| !(pid + seed).is_multiple_of(4));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for op in ops {
            apply(&mut d, op, &jobs);
        }
        // Every process does what it does next until none is left.
        d.run_to_rest(200_000, |_| ExitStatus::Exited(0));
        at_rest(&d, &jobs);
    }));
    if let Err(panic) = result {
        // UPC_DUMP=1: the job set, the stimuli and the trace of each
        // failing run; the last one printed is the minimal case.
        if std::env::var_os("UPC_DUMP").is_some() {
            eprintln!("{}", dump(&d, &jobs, ops));
        }
        std::panic::resume_unwind(panic);
    }
    Outcome {
        trace: std::mem::take(&mut d.trace),
        actions: std::mem::take(&mut d.actions),
        spawns: std::mem::take(&mut d.m.spawner.spawns),
    }
}

/// A failing case as a reader wants it: the jobs as job-file lines, the
/// stimuli, and the trace.
fn dump(d: &Driver, jobs: &[JobBuilder], ops: &[Op]) -> String {
    let mut out = String::from("==== jobs\n");
    for j in jobs {
        out.push_str(&describe_job(j));
    }
    out.push_str("==== stimuli\n");
    for op in ops {
        out.push_str(&format!("{op:?}\n"));
    }
    out.push_str("==== trace\n");
    for r in &d.trace {
        out.push_str(&format!("{:>6} {:?}\n", r.t, r.kind));
    }
    out
}

fn describe_cond(c: &Cond) -> String {
    match c {
        Cond::Match(m) => std::iter::once(m.event.clone())
            .chain(m.args.iter().map(|a| match &a.kind {
                upc_bundle::ArgKind::Positional => a.pattern.clone(),
                upc_bundle::ArgKind::Equals(k) => format!("{k}={}", a.pattern),
                upc_bundle::ArgKind::NotEquals(k) => format!("{k}!={}", a.pattern),
            }))
            .collect::<Vec<_>>()
            .join(" "),
        Cond::And(l, r) => format!("({} and {})", describe_cond(l), describe_cond(r)),
        Cond::Or(l, r) => format!("({} or {})", describe_cond(l), describe_cond(r)),
    }
}

fn describe_job(j: &JobBuilder) -> String {
    let s = &j.spec;
    let mut out = format!("# {}\n", s.name);
    if let Some(c) = &j.start_on {
        out.push_str(&format!("  start on {}\n", describe_cond(c)));
    }
    if let Some(c) = &j.stop_on {
        out.push_str(&format!("  stop on {}\n", describe_cond(c)));
    }
    let kinds: Vec<&str> = s.processes.iter().map(|p| p.kind.name()).collect();
    out.push_str(&format!(
        "  processes {kinds:?} expect {} task {} respawn {} limit {:?}/{:?} normal exit {:?} \
         instance {:?} env {:?} export {:?} kill timeout {}\n",
        s.expect.name(),
        s.task,
        s.respawn,
        s.respawn_count,
        s.respawn_interval,
        s.normal_exit,
        s.instance,
        s.env,
        s.export,
        s.kill_timeout
    ));
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        max_shrink_iters: 4096,
        .. ProptestConfig::default()
    })]

    /// Never a panic; after every step each instance's state records chain
    /// and follow the §3.2 table, every entry to `starting` is matched by
    /// one `post-stop` before the next, and the instance table agrees with
    /// the trace (all checked by the driver).
    #[test]
    fn random_runs_never_panic_and_follow_the_state_table((gens, ops, seed) in any_case()) {
        run(&gens, &ops, seed, nothing);
    }

    /// Once every process has exited and nothing else comes, instances
    /// with goal stop are gone and only legitimately held events remain.
    #[test]
    fn random_runs_come_to_rest_with_nothing_left_blocked((gens, ops, seed) in any_case()) {
        run(&gens, &ops, seed, check_at_rest);
    }

    /// Every request gets exactly one reply, or waits for something that
    /// is legitimately stuck.
    #[test]
    fn random_runs_answer_every_request_once((gens, ops, seed) in any_case()) {
        run(&gens, &ops, seed, check_replies);
    }

    /// Processes, kills and job events happen where §3–§6 and §14 say.
    #[test]
    fn random_runs_spawn_kill_and_emit_where_the_spec_says((gens, ops, seed) in any_case()) {
        run(&gens, &ops, seed, check_story);
    }

    /// The same job set and stimuli give the same trace, actions and
    /// spawns.
    #[test]
    fn random_runs_are_deterministic((gens, ops, seed) in any_case()) {
        let a = run(&gens, &ops, seed, nothing);
        let b = run(&gens, &ops, seed, nothing);
        prop_assert_eq!(a.trace, b.trace);
        prop_assert_eq!(a.actions, b.actions);
        prop_assert_eq!(a.spawns, b.spawns);
    }
}
