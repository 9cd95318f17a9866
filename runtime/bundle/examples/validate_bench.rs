//! Load-time benchmark: how long `validate` takes on a bundle file, and
//! validation plus what the runtime needs before its first event (operator
//! state for every job's `start on`: one flat table of match values).
//! Prints the median and the fastest of N runs, for the file as stored and
//! for the same job set re-encoded with the other string encoding (LZ4 or
//! raw), in the same run.
//!
//! ```text
//! cargo run --release -p upc-bundle --example validate_bench -- FILE [N] [--stored-only]
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use upc_bundle::WriteOptions;

fn median(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let mid = v.get(v.len() / 2).copied().unwrap_or_default();
    (mid, v.first().copied().unwrap_or_default())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: validate_bench FILE [N] [--stored-only]");
        return ExitCode::from(2);
    };
    let runs: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(200);
    // `--stored-only`: the file as stored, not re-encoded too (for counting
    // instructions with callgrind).
    let stored_only = args.iter().any(|a| a == "--stored-only");
    let stored = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(1);
        }
    };
    // The same job set in the other string encoding, re-encoded here, so
    // both rows come from the same run.
    let other = match upc_bundle::validate(&stored) {
        Ok(b) => {
            let options = WriteOptions {
                compress_strings: !b.strings_compressed(),
            };
            match upc_bundle::write_with(&b.to_spec(), options) {
                Ok(bytes) => bytes,
                Err(e) => {
                    eprintln!("{path}: re-encoding: {e}");
                    return ExitCode::from(1);
                }
            }
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(1);
        }
    };
    println!("{path}, median (min) of {runs} runs:");
    println!();
    println!("| strings | bytes | validate | validate + job states | of which LZ4 decode |");
    println!("|---|---|---|---|---|");
    let variants: &[&Vec<u8>] = if stored_only {
        &[&stored]
    } else {
        &[&stored, &other]
    };
    for bytes in variants {
        if let Err(e) = bench(bytes, runs) {
            eprintln!("{path}: {e}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

fn show((median, min): (Duration, Duration)) -> String {
    format!(
        "{:.3} ms ({:.3})",
        median.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3
    )
}

/// One table row: `validate`, and `validate` plus one flat table of match
/// values with each job's offset in it (what the runtime needs before its
/// first event), and the LZ4 decode alone.
fn bench(bytes: &[u8], runs: usize) -> Result<(), String> {
    let bundle = upc_bundle::validate(bytes).map_err(|e| e.to_string())?;
    let compressed = bundle.strings_compressed();
    let (n_strings, string_bytes) = bundle.string_stats();
    let jobs = bundle.job_count();
    drop(bundle);
    let mut validate = Vec::with_capacity(runs);
    let mut ready = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let b = upc_bundle::validate(bytes);
        validate.push(t.elapsed());
        drop(b);
        let t = Instant::now();
        if let Ok(b) = upc_bundle::validate(bytes) {
            let mut offsets = Vec::with_capacity(b.job_count() + 1);
            let mut total = 0usize;
            for j in b.jobs() {
                offsets.push(total);
                total += j.start_on().map_or(0, |c| c.program.match_count());
            }
            offsets.push(total);
            let values = vec![false; total];
            std::hint::black_box((&offsets, &values));
        }
        ready.push(t.elapsed());
    }
    let mut lz4 = Vec::new();
    if compressed {
        let b = upc_bundle::validate(bytes).map_err(|e| e.to_string())?;
        let data = b.sections().nth(1).map(|(_, off, len)| (off, len));
        drop(b);
        if let Some((off, len)) = data {
            let block = bytes.get(off..off + len).unwrap_or_default();
            for _ in 0..runs {
                let t = Instant::now();
                let out = upc_bundle::testing::lz4_decompress(block, string_bytes);
                lz4.push(t.elapsed());
                std::hint::black_box(out.ok());
            }
        }
    }
    println!(
        "| {} ({jobs} jobs, {n_strings} strings, {string_bytes} bytes) | {} | {} | {} | {} |",
        if compressed { "LZ4" } else { "raw" },
        bytes.len(),
        show(median(validate)),
        show(median(ready)),
        if lz4.is_empty() {
            "-".to_owned()
        } else {
            show(median(lz4))
        }
    );
    Ok(())
}
