//! Times the whole-set graph checks (`upc::graph::check`) and the event
//! graph with its boot order (`EventGraph::build`), outside the parser.
//!
//! ```text
//! cargo run --release -p upc --example graph_bench                    # 1k, 10k, 100k generated in memory
//! cargo run --release -p upc --example graph_bench -- --sizes 1000,5000
//! cargo run --release -p upc --example graph_bench -- --tree DIR...   # job trees (gen_jobs output)
//! cargo run --release -p upc --example graph_bench -- --render DIR OUT.svg
//! cargo run --release -p upc --example graph_bench -- --dot DIR
//! cargo run --release -p upc --example graph_bench -- --order DIR
//! perf stat -e instructions:u target/release/examples/graph_bench --repeat K DIR
//! ```
//!
//! In-memory sets are realistic in shape: a few base jobs on `startup`,
//! `filesystem`, `runlevel` and `net-device-up`; every other job starts on
//! the `started`/`stopped` (or, alone, `starting`) events of recent jobs,
//! sometimes two of them with `and`; a tenth are instances; some export
//! variables others use; and every thousandth job is a planted defect
//! (a blocking ring, or a job waiting on an event nothing emits). Parsing
//! and lowering are not timed. Each figure is the best of three runs.
//!
//! `--render` writes the SVG of one directory through the system `dot`,
//! `--dot` prints its DOT text, `--order` its boot order (the corpus's `a__b__name.conf` file names
//! are shortened to `name`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use upc::graph::{self, EventGraph, GraphOptions};
use upc::sema::{self, JobClass, Part};
use upc::source::FileId;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The text of job `i` of a generated set of `n`.
fn job_text(i: usize, rng: &mut Rng) -> String {
    let recent = |rng: &mut Rng| i.saturating_sub(1 + rng.below(50.min(i.max(1))));
    if i < 8 {
        let on = [
            "startup",
            "filesystem",
            "runlevel [2345]",
            "net-device-up IFACE!=lo",
        ][i % 4];
        return format!("start on {on}\nstop on runlevel [!2345]\nenv MODE=base\nexport MODE\nexec /usr/sbin/base{i}\n");
    }
    if i % 1000 == 500 {
        // Planted: a ring that flips a goal (deadlock) with the next job.
        return format!("start on starting j{}\nexec /bin/ring\n", i + 1);
    }
    if i % 1000 == 501 {
        return format!(
            "start on runlevel [2345]\nstop on starting j{}\nexec /bin/ring\n",
            i - 1
        );
    }
    if i % 1000 == 700 {
        return "start on planted-nobody-emits\nexec /bin/orphan\n".to_owned();
    }
    let mut text = String::new();
    let a = recent(rng);
    let start = match rng.below(10) {
        0..=3 => format!("started j{a}"),
        4 => format!("stopped j{a} RESULT=ok"),
        5 => format!("starting j{a}"),
        6 => format!("started j{a} and started j{}", recent(rng)),
        7 => format!("filesystem and started j{a}"),
        8 => format!("(started j{a} or runlevel [2345]) and net-device-up IFACE!=lo"),
        _ => format!("stopped j{a} or startup"),
    };
    let _ = std::fmt::Write::write_fmt(&mut text, format_args!("start on {start}\n"));
    match rng.below(4) {
        0 => text.push_str(&format!("stop on stopping j{a}\n")),
        1 => text.push_str("stop on runlevel [!2345]\n"),
        _ => {}
    }
    if rng.below(10) == 0 {
        text.push_str("instance $JOB\n");
    }
    if rng.below(8) == 0 {
        text.push_str(&format!("env LEVEL{i}=1\nexport LEVEL{i}\n"));
    }
    if rng.below(5) == 0 {
        text.push_str("task\n");
    }
    text.push_str(&format!("exec /usr/bin/job{i} --job $JOB\n"));
    text
}

fn generate(n: usize) -> Vec<JobClass> {
    let mut rng = Rng(0x5eed);
    (0..n)
        .map(|i| {
            let text = job_text(i, &mut rng);
            let file = FileId(u32::try_from(i).unwrap_or(u32::MAX));
            let parsed = upc::syntax::parse(file, &text);
            sema::lower(
                &format!("j{i}"),
                &[Part {
                    file,
                    text: &text,
                    ast: &parsed.ast,
                }],
            )
            .0
        })
        .collect()
}

fn best_of_3<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..3 {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    match last {
        Some(v) => (best, v),
        None => (best, f()),
    }
}

fn measure(label: &str, jobs: &[JobClass]) {
    let opts = GraphOptions::default();
    let (check_time, diags) = best_of_3(|| graph::check(jobs, &opts));
    let (build_time, g) = best_of_3(|| EventGraph::build(jobs, &opts));
    let (dot_time, dot) = best_of_3(|| g.to_dot(None));
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let mut by_code = std::collections::BTreeMap::new();
    for d in &diags {
        *by_code.entry(d.code.as_str()).or_insert(0usize) += 1;
    }
    println!(
        "{label:>24}  jobs {:>7}  check {:>9.2} ms  ({} errors, {} warnings)  graph+boot order {:>9.2} ms  ({} waves)  dot {:>8.2} ms ({} KiB)",
        jobs.len(),
        check_time.as_secs_f64() * 1e3,
        errors,
        diags.len() - errors,
        build_time.as_secs_f64() * 1e3,
        g.boot_order().len(),
        dot_time.as_secs_f64() * 1e3,
        dot.len() / 1024,
    );
    println!("{:>24}  findings {by_code:?}", "");
}

fn load(dir: &PathBuf) -> Vec<JobClass> {
    let report = upc::check::check_paths(std::slice::from_ref(dir));
    report
        .jobs
        .into_iter()
        .map(|mut j| {
            j.name = j.name.rsplit("__").next().unwrap_or(&j.name).to_owned();
            j
        })
        .collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--render") => {
            let (Some(dir), Some(out)) = (args.get(1), args.get(2)) else {
                eprintln!("usage: graph_bench --render DIR OUT.svg");
                return ExitCode::from(2);
            };
            let g = EventGraph::build(&load(&PathBuf::from(dir)), &GraphOptions::default());
            match g.to_svg(None) {
                Ok(svg) => match std::fs::write(out, svg) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("{out}: {e}");
                        ExitCode::FAILURE
                    }
                },
                Err(e) => {
                    eprintln!("graph_bench: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("--dot") => {
            let Some(dir) = args.get(1) else {
                eprintln!("usage: graph_bench --dot DIR");
                return ExitCode::from(2);
            };
            let g = EventGraph::build(&load(&PathBuf::from(dir)), &GraphOptions::default());
            print!("{}", g.to_dot(None));
            ExitCode::SUCCESS
        }
        Some("--order") => {
            let Some(dir) = args.get(1) else {
                eprintln!("usage: graph_bench --order DIR");
                return ExitCode::from(2);
            };
            let g = EventGraph::build(&load(&PathBuf::from(dir)), &GraphOptions::default());
            print!("{}", g.boot_order_text());
            ExitCode::SUCCESS
        }
        Some("--repeat") => {
            // `--repeat K DIR`: load DIR, run the checks K times, print
            // nothing; for `perf stat`, which sees instructions, not load.
            let (Some(k), Some(dir)) = (
                args.get(1).and_then(|k| k.parse::<usize>().ok()),
                args.get(2),
            ) else {
                eprintln!("usage: graph_bench --repeat K DIR");
                return ExitCode::from(2);
            };
            let jobs = load(&PathBuf::from(dir));
            let mut n = 0;
            for _ in 0..k {
                n += graph::check(&jobs, &GraphOptions::default()).len();
            }
            eprintln!("{n} findings");
            ExitCode::SUCCESS
        }
        Some("--tree") => {
            for dir in args.iter().skip(1) {
                let t = Instant::now();
                let jobs = load(&PathBuf::from(dir));
                eprintln!(
                    "loaded {dir} ({} jobs) in {:.2?} (not counted)",
                    jobs.len(),
                    t.elapsed()
                );
                measure(dir, &jobs);
            }
            ExitCode::SUCCESS
        }
        other => {
            let sizes: Vec<usize> = match (other, args.get(1)) {
                (Some("--sizes"), Some(list)) => list
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect(),
                _ => vec![1_000, 10_000, 100_000],
            };
            for n in sizes {
                let jobs = generate(n);
                measure(&format!("generated {n}"), &jobs);
            }
            ExitCode::SUCCESS
        }
    }
}
