//! What must hold once a random case has come to rest.

use std::collections::{BTreeMap, BTreeSet};

use upc_bundle::ProcessKind;
use upc_machine::{EventId, Goal, Request, RequestId, State, Target, TraceKind};

use crate::common::*;

/// With no process left and nothing pending:
/// - an instance is either running with goal start and no main process
///   (none defined, or it died before `running` could react to it: see
///   `Track::main_lost`), or waits in `starting`/`stopping` for its own
///   job event, still live;
/// - every live event has a holder that may still hold it: a partial
///   `start on`/`stop on` match (a match below an `and`, §6.4), or an
///   instance that has not reached its goal — one waiting in
///   `starting`/`stopping`, or a task running with no main process, which
///   never finishes (§8.3).
///
/// Holders may wait on each other in a cycle (`stop on starting SELF`
/// holds the job's own `starting` event, as Upstart does); what must not
/// happen is an event nobody holds, or an instance with nothing to wait
/// for. In particular every instance with goal stop has reached `waiting`
/// and is gone unless its `starting`/`stopping` event is held (§3.3, §7).
pub fn check_at_rest(d: &Driver, jobs: &[JobBuilder]) {
    let mut partial = BTreeSet::new();
    for j in jobs {
        j.partial_names(&mut partial);
    }
    let spec = |job: &str| jobs.iter().find(|j| j.spec.name == job).map(|j| &j.spec);
    let live: BTreeMap<EventId, (String, u32)> =
        d.m.live_events()
            .into_iter()
            .map(|(id, name, blockers)| (id, (name, blockers)))
            .collect();
    let instances = d.m.instances();
    let track = |job: &str, name: &str| {
        d.tracks
            .get(&(job.to_owned(), name.to_owned()))
            .cloned()
            .expect("a tracked instance")
    };
    let mut holding = BTreeSet::new();
    for i in &instances {
        assert!(i.processes.is_empty(), "{i:?} has processes at rest");
        let t = track(&i.job, &i.name);
        let no_main =
            spec(&i.job).is_some_and(|s| s.processes.iter().all(|p| p.kind != ProcessKind::Main));
        let running = i.state == State::Running && i.goal == Goal::Start;
        let waiting = matches!(i.state, State::Starting | State::Stopping)
            && t.blocker.is_some_and(|b| live.contains_key(&b));
        assert!(
            (running && (no_main || t.main_lost)) || waiting,
            "{} ({}) is stuck in {}/{} (blocked by {:?}) with nothing left to run;\n\
             live events: {live:?}",
            i.job,
            i.name,
            i.goal,
            i.state,
            t.blocker
        );
        if waiting || (running && spec(&i.job).is_some_and(|s| s.task)) {
            holding.insert((i.job.clone(), i.name.clone()));
        }
    }
    for (id, (name, blockers)) in &live {
        let held = partial.contains(name)
            || d.holds
                .get(id)
                .is_some_and(|hs| hs.iter().any(|h| holding.contains(h)));
        assert!(
            held,
            "event {name} ({id:?}) is still live with {blockers} blockers at rest, \
             and nothing may still hold it; instances: {instances:#?}"
        );
    }
}

/// Every request got at most one reply; a request without one waits for
/// something that is legitimately stuck (an instance of its job, or a live
/// event of its name).
pub fn check_replies(d: &Driver, _: &[JobBuilder]) {
    let replies_in_trace: Vec<RequestId> = d
        .trace
        .iter()
        .filter_map(|r| match r.kind {
            TraceKind::Reply { id, .. } => Some(id),
            _ => None,
        })
        .collect();
    let mut counted: BTreeMap<RequestId, usize> = BTreeMap::new();
    for id in &replies_in_trace {
        *counted.entry(*id).or_default() += 1;
    }
    let live_names: BTreeSet<String> = d.m.live_events().into_iter().map(|e| e.1).collect();
    let instances = d.m.instances();
    for (id, request) in &d.requests {
        let n = d.replies.get(id).map_or(0, Vec::len);
        assert!(n <= 1, "{id:?} {request:?} got {n} replies");
        assert_eq!(
            counted.get(id).copied().unwrap_or(0),
            n,
            "{id:?}: replies and their trace records disagree"
        );
        if n == 1 {
            continue;
        }
        let ok = match request {
            Request::Start {
                target: Target::Job(job),
                wait: true,
                ..
            }
            | Request::Stop {
                target: Target::Job(job),
                wait: true,
                ..
            }
            | Request::Restart {
                target: Target::Job(job),
                wait: true,
                ..
            } => instances.iter().any(|i| &i.job == job),
            Request::Emit {
                name, wait: true, ..
            } => live_names.contains(name),
            _ => false,
        };
        assert!(
            ok,
            "{id:?} {request:?} was never answered; instances: {instances:#?}"
        );
    }
}

/// Per instance, what the story so far allows (see [`check_story`]).
#[derive(Default)]
struct Run {
    goal: Option<Goal>,
    state: Option<State>,
    main_alive: bool,
    pre_start_spawned: bool,
    pre_start_ok: bool,
    /// When and which pid got the kill signal in this run.
    term_sent: Option<(u64, u32)>,
}

/// Replays the whole trace and checks what §3–§6 and §14 promise beyond
/// the state table:
/// - a process is spawned only on entering its `…-ing` state; main only
///   with goal start and after a pre-start (if one ran) exited 0 with goal
///   start (§4.2);
/// - `pre-stop` only when stopped while running with a live main, and a
///   stop from `running` without a live main goes straight to `stopping`
///   (§3.2, §4.3);
/// - the kill signal goes to a live main in `killed`; SIGKILL only once
///   `kill timeout` has passed since (§14); `killed` is only left once
///   main is gone;
/// - events are handled in creation order and finished once (§6.1); a
///   failed event is followed by `NAME/failed` (§6.8);
/// - each instance emits `starting` per entry to starting, `started` per
///   post-start → running, `stopping` per entry to stopping, `stopped` per
///   return to waiting (§4.4, §5), with `JOB`/`INSTANCE` first and
///   `RESULT` only on the last two.
pub fn check_story(d: &Driver, jobs: &[JobBuilder]) {
    let kill_timeout = |job: &str| {
        jobs.iter()
            .find(|j| j.spec.name == job)
            .map_or(0, |j| j.spec.kill_timeout * 1000)
    };
    let mut runs: BTreeMap<(String, String), Run> = BTreeMap::new();
    let mut by_label: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut last_event = 0;
    let mut handled: BTreeSet<EventId> = BTreeSet::new();
    let mut finished: BTreeSet<EventId> = BTreeSet::new();
    let mut owed_failed: Vec<String> = Vec::new();
    // (job, instance, event name) -> emitted, and the transitions that
    // should have emitted them.
    let mut emitted: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut due: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for r in &d.trace {
        match &r.kind {
            TraceKind::Goal {
                job, instance, to, ..
            } => {
                by_label.insert(
                    instance_label(job, instance),
                    (job.clone(), instance.clone()),
                );
                runs.entry((job.clone(), instance.clone()))
                    .or_default()
                    .goal = Some(*to);
            }
            TraceKind::State {
                job,
                instance,
                from,
                to,
                ..
            } => {
                let key = (job.clone(), instance.clone());
                let run = runs.entry(key.clone()).or_default();
                let why = format!("{job} ({instance}) {from} -> {to} at {}", r.t);
                match (from, to) {
                    (State::Running, State::PreStopping) => {
                        assert!(run.main_alive, "{why}: pre-stop without a live main");
                    }
                    (State::Running, State::Stopping) if run.goal == Some(Goal::Stop) => {
                        assert!(!run.main_alive, "{why}: a live main skipped pre-stop");
                    }
                    (State::Killed, _) => {
                        assert!(!run.main_alive, "{why}: left killed with main alive");
                    }
                    _ => {}
                }
                let event = match (from, to) {
                    (_, State::Starting) => Some("starting"),
                    (State::PostStart, State::Running) => Some("started"),
                    (_, State::Stopping) => Some("stopping"),
                    (_, State::Waiting) => Some("stopped"),
                    _ => None,
                };
                if let Some(e) = event {
                    *due.entry((job.clone(), instance.clone(), e.to_owned()))
                        .or_default() += 1;
                }
                if *to == State::Starting {
                    *run = Run {
                        goal: run.goal,
                        ..Run::default()
                    };
                }
                if *to == State::Killed {
                    run.term_sent = None;
                }
                run.state = Some(*to);
            }
            TraceKind::Process {
                job,
                instance,
                process,
                pid,
            } => {
                let run = runs.entry((job.clone(), instance.clone())).or_default();
                let spawning = match process {
                    ProcessKind::Security => State::SecuritySpawning,
                    ProcessKind::PreStart => State::PreStarting,
                    ProcessKind::Main => State::Spawning,
                    ProcessKind::PostStart => State::PostStarting,
                    ProcessKind::PreStop => State::PreStopping,
                    ProcessKind::PostStop => State::PostStopping,
                };
                let why = format!("{job} ({instance}) {} ({pid}) at {}", process.name(), r.t);
                assert_eq!(
                    run.state,
                    Some(spawning),
                    "{why}: spawned outside its state"
                );
                match process {
                    ProcessKind::Main => {
                        assert_eq!(run.goal, Some(Goal::Start), "{why}: main with goal stop");
                        assert!(
                            !run.pre_start_spawned || run.pre_start_ok,
                            "{why}: main after a pre-start that did not succeed"
                        );
                        run.main_alive = true;
                    }
                    ProcessKind::PreStart => run.pre_start_spawned = true,
                    _ => {}
                }
            }
            TraceKind::Exit {
                job,
                instance,
                process,
                status,
                ..
            } => {
                let run = runs.entry((job.clone(), instance.clone())).or_default();
                match process {
                    ProcessKind::Main => run.main_alive = false,
                    ProcessKind::PreStart => {
                        run.pre_start_ok = status.is_success() && run.goal == Some(Goal::Start);
                    }
                    _ => {}
                }
            }
            TraceKind::Log { text, .. } => {
                if let Some(rest) = text.strip_prefix("Failed to spawn ") {
                    if let Some(l) = rest.split(" main process: ").next().filter(|l| *l != rest) {
                        if let Some(key) = by_label.get(l) {
                            runs.entry(key.clone()).or_default().main_alive = false;
                        }
                    }
                }
            }
            TraceKind::Kill {
                job,
                instance,
                pid,
                signal,
                ..
            } => {
                let run = runs.entry((job.clone(), instance.clone())).or_default();
                let why = format!("{job} ({instance}) signal {signal} to {pid} at {}", r.t);
                assert_eq!(run.state, Some(State::Killed), "{why}: kill outside killed");
                assert!(run.main_alive, "{why}: kill without a live main");
                if *signal == SIGKILL {
                    let (t0, p0) = run.term_sent.expect("SIGKILL after the kill signal");
                    assert_eq!(p0, *pid, "{why}: SIGKILL to another pid");
                    assert!(
                        r.t >= t0 + kill_timeout(job),
                        "{why}: SIGKILL before the kill timeout (sent at {t0})"
                    );
                } else {
                    run.term_sent = Some((r.t, *pid));
                }
            }
            TraceKind::Event {
                id,
                name,
                env,
                emitter,
            } => {
                assert!(
                    id.0 > last_event,
                    "event {id:?} {name} handled out of order"
                );
                last_event = id.0;
                handled.insert(*id);
                if let Some(i) = owed_failed.iter().position(|n| n == name) {
                    owed_failed.remove(i);
                }
                if let Some((job, instance)) = emitter {
                    *emitted
                        .entry((job.clone(), instance.clone(), name.clone()))
                        .or_default() += 1;
                    assert_eq!(env.first(), Some(&format!("JOB={job}")), "{name} {env:?}");
                    assert_eq!(
                        env.get(1),
                        Some(&format!("INSTANCE={instance}")),
                        "{name} {env:?}"
                    );
                    let result = env.get(2).filter(|e| e.starts_with("RESULT="));
                    assert_eq!(
                        result.is_some(),
                        matches!(name.as_str(), "stopping" | "stopped"),
                        "{name} {env:?}"
                    );
                }
            }
            TraceKind::EventFinished { id, name, failed } => {
                assert!(
                    handled.contains(id),
                    "{name} {id:?} finished before it was handled"
                );
                assert!(finished.insert(*id), "{name} {id:?} finished twice");
                if *failed && !name.ends_with("/failed") {
                    owed_failed.push(format!("{name}/failed"));
                }
            }
            _ => {}
        }
    }
    assert!(owed_failed.is_empty(), "never emitted: {owed_failed:?}");
    assert_eq!(
        emitted, due,
        "job events emitted vs the transitions that emit them"
    );
}
