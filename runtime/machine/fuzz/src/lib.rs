//! What the machine fuzz target needs beyond `upc_machine::testing::drive`
//! (shared with `cargo test`, which replays fuzz/regressions): the
//! stable-toolchain replay that turns the target into a plain binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use upc_machine::testing::drive;

/// The plain-binary `main`: runs `target` on every file under the given
/// paths.
pub fn replay(target: fn(&[u8])) -> ExitCode {
    let mut files = Vec::new();
    for a in std::env::args_os().skip(1) {
        collect(Path::new(&a), &mut files);
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
