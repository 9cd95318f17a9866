//! How fast the machine handles events, and what a simulated boot of a
//! large job tree costs.
//!
//! ```text
//! cargo run --release -p upc-machine --example machine_bench [-- --boot BUNDLE] [--events N] [--load-only]
//! ```
//!
//! Part 0 loads and reloads 10,000 (then 20,000) job classes that all wait
//! for one event with no literal argument (`start on runlevel [2345]`, `stop on runlevel
//! [!2345]`): every class is filed in the same list of the machine's event
//! index, the case where a load that inserts one class at a time costs
//! the square of the number of classes. Once with no `class_order`, once
//! with every class named in it. `--load-only` stops after it.
//!
//! Part 1 loads 1,000 and 10,000 made-up job classes and emits a long
//! stream of events, timing the whole `emit` (matching, instances coming
//! and going, job events, blocking) in three job sets:
//! - `or`: job i is `start on ev-i or ev-(i+1)`, `stop on ev-(i+2)`, a
//!   service with no process: each event starts one or two jobs and stops
//!   one, so instances come and go and each emit cascades into job events;
//! - `and`: job i is `start on ev-i and ev-(i+1)`: each event is held by a
//!   partial match until the next one completes it;
//! - `noise`: events no job mentions (the lookup alone).
//!
//! Part 2 (with `--boot`) simulates booting a job tree built by the
//! compiler (`gen_jobs` + `upc build`): emit `startup`, confirm every exec,
//! let `expect` milestones happen, exit every task and helper process one
//! tick later, and emit what a job declares with `emits` once one of its
//! processes runs. It prints the wall time and the allocations of the
//! boot (a counting global allocator).
//!
//! ```text
//! cargo run --release -p upc --example gen_jobs -- /dev/shm/jobs10k 10000
//! cargo run --release -p upc -- build /dev/shm/jobs10k -o /dev/shm/jobs10k.bundle
//! cargo run --release -p upc-machine --example machine_bench -- --boot /dev/shm/jobs10k.bundle
//! ```
// The counting allocator is the one unsafe item: `GlobalAlloc` is an
// unsafe trait, and it only forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use upc_bundle::{
    ArgKind, ArgSpec, BundleSpec, ConditionSpec, Expect, Instr, JobSpec, Location, MatchSpec,
    ProcessKind,
};
use upc_machine::{Config, ExitStatus, Job, Machine, Spawn, Spawner, Stimulus, ValidatedBundle};

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

struct Counting;

// SAFETY: every call is forwarded unchanged to `System`; the counters are
// only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> (u64, u64) {
    (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

/// Hands out pids and remembers which ones the driver has not seen yet.
#[derive(Default)]
struct FakeSpawner {
    next: u32,
    fresh: Vec<(u32, Spawn)>,
    /// Part 1 never looks at spawns.
    keep: bool,
}

impl Spawner for FakeSpawner {
    fn spawn(&mut self, spawn: &Spawn, _: Job<'_>) -> u32 {
        self.next += 1;
        if self.keep {
            self.fresh.push((self.next, spawn.clone()));
        }
        self.next
    }
}

fn main() -> ExitCode {
    let mut boot = None;
    let mut events: u64 = 2_000_000;
    let mut load_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--load-only" {
            load_only = true;
            continue;
        }
        match (a.as_str(), args.next()) {
            ("--boot", Some(path)) => boot = Some(path),
            ("--events", Some(n)) => match n.parse() {
                Ok(n) => events = n,
                Err(e) => {
                    eprintln!("machine_bench: --events {n}: {e}");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("usage: machine_bench [--boot BUNDLE] [--events N] [--load-only]");
                return ExitCode::from(2);
            }
        }
    }
    print_machine();
    println!();
    println!("## Load and reload: classes under one event, no literal argument");
    println!();
    println!("| job set | class_order | Machine::new | reload (all idle) |");
    println!("|---|---|---|---|");
    // Twice the classes costs twice the time when loading is linear.
    for classes in [LOAD_CLASSES, 2 * LOAD_CLASSES] {
        for ordered in [false, true] {
            if let Err(e) = load_bench(classes, ordered) {
                eprintln!("machine_bench: load {classes}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if load_only {
        return ExitCode::SUCCESS;
    }
    println!();
    println!("## Event stream ({events} emits per run, trace off, release build expected)");
    println!();
    println!(
        "| job set | classes | emits/s | handled events/s | ns/emit | allocs/emit | live instances at end |"
    );
    println!("|---|---|---|---|---|---|---|");
    for classes in [1_000, 10_000] {
        for set in [Set::Or, Set::And, Set::Noise] {
            if let Err(e) = stream(set, classes, events) {
                eprintln!("machine_bench: {set:?} {classes}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(path) = boot {
        println!();
        if let Err(e) = simulate_boot(&path) {
            eprintln!("machine_bench: {path}: {e}");
            return ExitCode::FAILURE;
        }
    } else {
        println!();
        println!("(no --boot BUNDLE: boot simulation skipped)");
    }
    ExitCode::SUCCESS
}

fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    println!("# upc-machine bench");
    println!();
    println!("- CPU: {cpu}");
    println!("- nproc: {nproc} (the machine is single-threaded)");
    println!("- kernel: {kernel}; load average: {load}");
    println!(
        "- build: {}",
        if cfg!(debug_assertions) {
            "DEBUG (figures meaningless; use --release)"
        } else {
            "release"
        }
    );
}

// ---------------------------------------------------------------------------
// Part 0: load and reload

const LOAD_CLASSES: usize = 10_000;
const LOAD_RUNS: usize = 5;

/// `EVENT PATTERN`: one positional argument.
fn with_arg(event: &str, pattern: &str) -> ConditionSpec {
    ConditionSpec {
        code: vec![Instr::Match],
        matches: vec![MatchSpec {
            event: event.into(),
            args: vec![ArgSpec {
                kind: ArgKind::Positional,
                pattern: pattern.into(),
            }],
        }],
        location: Location::default(),
    }
}

/// Job i: `start on runlevel [2345]`, `stop on runlevel [!2345]`.
fn one_event_set(n: usize) -> Result<Vec<u8>, String> {
    let jobs = (0..n)
        .map(|i| {
            let mut j = JobSpec::new(format!("job-{i:06}"), format!("job-{i:06}.conf"));
            j.start_on = Some(with_arg("runlevel", "[2345]"));
            j.stop_on = Some(with_arg("runlevel", "[!2345]"));
            j
        })
        .collect();
    let spec = BundleSpec {
        compiler_version: "machine_bench".into(),
        source_digest: [0; 32],
        jobs,
    };
    upc_bundle::write(&spec).map_err(|e| e.to_string())
}

/// Median of `Machine::new` and of a reload of the same set (every class
/// idle, so each is replaced at once), over [`LOAD_RUNS`] runs.
fn load_bench(classes: usize, ordered: bool) -> Result<(), String> {
    let bytes = one_event_set(classes)?;
    let config = Config {
        // Every class named, in the reverse of name order.
        class_order: if ordered {
            (0..classes).rev().map(|i| format!("job-{i:06}")).collect()
        } else {
            Vec::new()
        },
        ..Config::default()
    };
    let mut load = Vec::new();
    let mut reload = Vec::new();
    for _ in 0..LOAD_RUNS {
        let first = upc_bundle::validate_owned(bytes.clone()).map_err(|e| e.to_string())?;
        let second = upc_bundle::validate_owned(bytes.clone()).map_err(|e| e.to_string())?;
        let t = Instant::now();
        let mut m = Machine::new(first, config.clone(), FakeSpawner::default());
        load.push(t.elapsed());
        let t = Instant::now();
        m.reload(1, second);
        reload.push(t.elapsed());
        if m.class_names().count() != classes {
            return Err("a class went missing".into());
        }
    }
    load.sort();
    reload.sort();
    let median = |v: &[Duration]| v.get(v.len() / 2).copied().unwrap_or_default();
    println!(
        "| `runlevel [2345]` x {classes} | {} | {} | {} |",
        if ordered { "every class" } else { "empty" },
        ms(median(&load)),
        ms(median(&reload))
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Part 1: a stream of events

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Set {
    Or,
    And,
    Noise,
}

fn leaf(event: String) -> MatchSpec {
    MatchSpec {
        event,
        args: Vec::<ArgSpec>::new(),
    }
}

fn two(a: String, b: String, op: Instr) -> ConditionSpec {
    ConditionSpec {
        code: vec![Instr::Match, Instr::Match, op],
        matches: vec![leaf(a), leaf(b)],
        location: Location::default(),
    }
}

fn one(a: String) -> ConditionSpec {
    ConditionSpec {
        code: vec![Instr::Match],
        matches: vec![leaf(a)],
        location: Location::default(),
    }
}

fn job_set(set: Set, n: usize) -> Result<ValidatedBundle<'static>, String> {
    let ev = |i: usize| format!("ev-{}", i % n);
    let jobs = (0..n)
        .map(|i| {
            let mut j = JobSpec::new(format!("job-{i:05}"), format!("job-{i:05}.conf"));
            match set {
                Set::Or | Set::Noise => {
                    j.start_on = Some(two(ev(i), ev(i + 1), Instr::Or));
                    j.stop_on = Some(one(ev(i + 2)));
                }
                Set::And => j.start_on = Some(two(ev(i), ev(i + 1), Instr::And)),
            }
            j
        })
        .collect();
    let spec = BundleSpec {
        compiler_version: "machine_bench".into(),
        source_digest: [0; 32],
        jobs,
    };
    let bytes = upc_bundle::write(&spec).map_err(|e| e.to_string())?;
    upc_bundle::validate_owned(bytes).map_err(|e| e.to_string())
}

fn stream(set: Set, classes: usize, events: u64) -> Result<(), String> {
    let mut m = Machine::new(
        job_set(set, classes)?,
        Config::default(),
        FakeSpawner::default(),
    );
    let names: Vec<String> = (0..classes)
        .map(|i| match set {
            Set::Noise => format!("noise-{i}"),
            _ => format!("ev-{i}"),
        })
        .collect();
    // Job events handled per emit, measured on a short traced run.
    let cascade = cascade_factor(set, classes, &names)?;
    let (a0, _) = allocations();
    let t = Instant::now();
    for k in 0..events {
        let name = &names[(k % classes as u64) as usize];
        m.emit(k, name, Vec::new());
        while m.poll_action().is_some() {}
    }
    let elapsed = t.elapsed();
    let (a1, _) = allocations();
    let per_s = events as f64 / elapsed.as_secs_f64();
    println!(
        "| {:?} | {classes} | {} | {} | {:.0} | {:.1} | {} |",
        set,
        thousands(per_s),
        thousands(per_s * cascade),
        elapsed.as_nanos() as f64 / events as f64,
        (a1 - a0) as f64 / events as f64,
        m.instances().len()
    );
    Ok(())
}

/// Events handled per emitted event in steady state (the emitted one plus
/// the job events it causes), from a traced run of two laps.
fn cascade_factor(set: Set, classes: usize, names: &[String]) -> Result<f64, String> {
    let mut m = Machine::new(
        job_set(set, classes)?,
        Config {
            trace: true,
            ..Config::default()
        },
        FakeSpawner::default(),
    );
    let laps = 2 * classes;
    for k in 0..laps {
        m.emit(k as u64, &names[k % classes], Vec::new());
    }
    m.take_trace();
    for k in laps..2 * laps {
        m.emit(k as u64, &names[k % classes], Vec::new());
    }
    let handled = m
        .take_trace()
        .iter()
        .filter(|r| matches!(r.kind, upc_machine::TraceKind::Event { .. }))
        .count();
    Ok(handled as f64 / laps as f64)
}

fn thousands(x: f64) -> String {
    let n = x.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------
// Part 2: a simulated boot

/// Events a job's processes would emit at boot, and the environment they
/// would carry; shutdown-only events are left out.
fn boot_emits(name: &str) -> Option<Vec<String>> {
    match name {
        "net-device-down" | "deconfiguring-networking" => None,
        "runlevel" => Some(vec!["RUNLEVEL=2".into(), "PREVLEVEL=N".into()]),
        "net-device-up" => Some(vec!["IFACE=eth0".into()]),
        n if n.contains(['*', '?', '[', '$']) => None,
        _ => Some(Vec::new()),
    }
}

#[derive(Debug)]
struct Proc {
    kind: ProcessKind,
    expect: Expect,
    task: bool,
    forks: u32,
}

fn simulate_boot(path: &str) -> Result<(), String> {
    let bytes = upc_bundle::load(std::path::Path::new(path)).map_err(|e| e.to_string())?;
    let size = bytes.len();
    let (a0, b0) = allocations();
    let t0 = Instant::now();
    let bundle = upc_bundle::validate_owned(bytes).map_err(|e| e.to_string())?;
    let jobs = bundle.job_count();
    let mut m = Machine::new(
        bundle,
        Config {
            global_env: vec![
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin".into(),
            ],
            ..Config::default()
        },
        FakeSpawner {
            keep: true,
            ..FakeSpawner::default()
        },
    );
    let load = t0.elapsed();
    let (a1, b1) = allocations();

    let t1 = Instant::now();
    let mut now = 0;
    let mut procs: BTreeMap<u32, Proc> = BTreeMap::new();
    let mut emitted_for: BTreeSet<String> = BTreeSet::new();
    let mut spawned = 0u64;
    let mut emits = 1u64;
    let mut ticks = 0u64;
    m.emit(now, "startup", Vec::new());
    loop {
        // New processes: their exec succeeds, `expect` milestones happen,
        // and the job's declared events are emitted once it runs.
        let fresh = std::mem::take(&mut m.spawner.fresh);
        let progress = !fresh.is_empty();
        for (pid, s) in fresh {
            spawned += 1;
            let (expect, task, declared) = match m.class_view(s.class) {
                Some(j) => (
                    if s.proc.process == ProcessKind::Main {
                        j.expect()
                    } else {
                        Expect::None
                    },
                    j.task(),
                    j.emits().map(str::to_owned).collect::<Vec<_>>(),
                ),
                None => (Expect::None, false, Vec::new()),
            };
            procs.insert(
                pid,
                Proc {
                    kind: s.proc.process,
                    expect,
                    task,
                    forks: 0,
                },
            );
            m.handle(now, Stimulus::ExecConfirmed { pid });
            if emitted_for.insert(s.job.clone()) {
                for e in declared {
                    if let Some(env) = boot_emits(&e) {
                        m.emit(now, &e, env);
                        emits += 1;
                    }
                }
            }
        }
        // Milestones and exits, one tick later.
        now += 1;
        ticks += 1;
        let mut acted = false;
        let pids: Vec<u32> = procs.keys().copied().collect();
        for pid in pids {
            let Some(p) = procs.get_mut(&pid) else {
                continue;
            };
            let wanted_forks = match p.expect {
                Expect::Fork => 1,
                Expect::Daemon => 2,
                _ => 0,
            };
            if p.expect == Expect::Stop && p.forks == 0 {
                p.forks = 1;
                m.handle(now, Stimulus::Stopped { pid });
                acted = true;
            } else if p.forks < wanted_forks {
                let child = m.spawner.next + 1_000_000;
                m.spawner.next += 1;
                let mut moved = procs.remove(&pid).unwrap_or(Proc {
                    kind: ProcessKind::Main,
                    expect: Expect::None,
                    task: false,
                    forks: 0,
                });
                moved.forks += 1;
                procs.insert(child, moved);
                m.handle(now, Stimulus::Forked { pid, child });
                acted = true;
            } else if p.kind != ProcessKind::Main || p.task {
                procs.remove(&pid);
                m.handle(
                    now,
                    Stimulus::Exited {
                        pid,
                        status: ExitStatus::Exited(0),
                    },
                );
                acted = true;
            }
        }
        while m.poll_action().is_some() {}
        if !progress && !acted {
            break;
        }
        if ticks > 1_000_000 {
            return Err("the boot did not settle".into());
        }
    }
    let boot = t1.elapsed();
    let (a2, b2) = allocations();
    let instances = m.instances();
    let running = instances
        .iter()
        .filter(|i| i.state == upc_machine::State::Running)
        .count();
    let mut states: BTreeMap<String, usize> = BTreeMap::new();
    for i in &instances {
        *states.entry(format!("{}/{}", i.goal, i.state)).or_default() += 1;
    }
    println!("## Simulated boot of {path}");
    println!();
    println!("- bundle: {jobs} jobs, {size} bytes");
    println!(
        "- validate + Machine::new: {} ({} allocations, {} bytes)",
        ms(load),
        a1 - a0,
        b1 - b0
    );
    println!(
        "- boot (startup until nothing moves): {} wall, {} ticks, {} processes spawned, \
         {} events emitted by the driver",
        ms(boot),
        ticks,
        spawned,
        emits
    );
    println!(
        "- allocations during the boot: {} ({} bytes allocated in total)",
        a2 - a1,
        b2 - b1
    );
    let mut live: BTreeMap<String, usize> = BTreeMap::new();
    for (_, name, _) in m.live_events() {
        *live.entry(name).or_default() += 1;
    }
    println!(
        "- at the end: {} instances ({} running, {} processes alive) by goal/state {:?}; \
         {} events live (held by partial matches), by name {:?}",
        instances.len(),
        running,
        procs.len(),
        states,
        m.pending_events(),
        live
    );
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
