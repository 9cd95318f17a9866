//! What the bundle fuzz targets share: resealing an input so the fuzzer gets
//! past the checksum and the checks every validated bundle must pass (both
//! from `upc_bundle::testing`, so `cargo test` replays the regressions with
//! the same checks), and the stable-toolchain replay that turns each target
//! into a plain binary.
//!
//! Built with `--cfg fuzzing` (by `cargo fuzz`), a target hands its function
//! to libFuzzer. Built without it, the same function runs over files:
//! `read FILE|DIR...` replays every file (recursively). A panic is the
//! failure either way.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use upc_bundle::testing::{exercise, replay_eval, replay_read, reseal};

/// The plain-binary `main`: runs `target` on every file under the given
/// paths, prints how many inputs ran.
pub fn replay(target: fn(&[u8])) -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let mut files = Vec::new();
    for a in &args {
        collect(a, &mut files);
    }
    for f in &files {
        match fs::read(f) {
            Ok(data) => target(&data),
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                return ExitCode::from(2);
            }
        }
    }
    println!("replayed {} inputs", files.len());
    ExitCode::SUCCESS
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        entries.sort();
        for e in entries {
            collect(&e, out);
        }
    } else {
        out.push(path.to_path_buf());
    }
}
