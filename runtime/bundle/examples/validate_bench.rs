//! Load-time benchmark: how long `validate` takes on a bundle file, and
//! validation plus what the runtime needs before its first event (operator
//! state for every job's `start on`: one flat table of match values).
//! Prints the median and the fastest of N runs.
//!
//! ```text
//! cargo run --release -p upc-bundle --example validate_bench -- FILE [N]
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let mid = v.get(v.len() / 2).copied().unwrap_or_default();
    (mid, v.first().copied().unwrap_or_default())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: validate_bench FILE [N]");
        return ExitCode::from(2);
    };
    let runs: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(200);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(1);
        }
    };
    let bundle = match upc_bundle::validate(&bytes) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(1);
        }
    };
    let jobs = bundle.job_count();
    let (n_strings, string_bytes) = bundle.string_stats();
    drop(bundle);
    let mut validate = Vec::with_capacity(runs);
    let mut ready = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let b = upc_bundle::validate(&bytes);
        validate.push(t.elapsed());
        drop(b);
        let t = Instant::now();
        if let Ok(b) = upc_bundle::validate(&bytes) {
            // One flat table of match values, and each job's offset in it.
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
    // The LZ4 decode alone, when the strings are compressed.
    let mut lz4 = Vec::new();
    if let Ok(b) = upc_bundle::validate(&bytes) {
        let data = b.sections().nth(1).map(|(_, off, len)| (off, len));
        if let (true, Some((off, len))) = (b.strings_compressed(), data) {
            let block = bytes.get(off..off + len).unwrap_or_default();
            for _ in 0..runs {
                let t = Instant::now();
                let out = upc_bundle::testing::lz4_decompress(block, string_bytes);
                lz4.push(t.elapsed());
                std::hint::black_box(out.ok());
            }
        }
    }
    let (v_med, v_min) = median(validate);
    let (r_med, r_min) = median(ready);
    println!(
        "{path}: {} bytes, {jobs} jobs, {n_strings} strings ({string_bytes} bytes uncompressed)",
        bytes.len()
    );
    println!("validate:                 median {v_med:?}, min {v_min:?} over {runs} runs");
    println!("validate + job states:    median {r_med:?}, min {r_min:?} over {runs} runs");
    if !lz4.is_empty() {
        let (l_med, l_min) = median(lz4);
        println!("  of which LZ4 decode:    median {l_med:?}, min {l_min:?}");
    }
    ExitCode::SUCCESS
}
