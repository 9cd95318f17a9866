//! What the fuzz targets share: the invariants every run must keep, and the
//! stable-toolchain replay that turns each target into a plain binary.
//!
//! Built with `--cfg fuzzing` (by `cargo fuzz`), a target hands its function
//! to libFuzzer. Built without it, the same function runs over files:
//! `parse FILE|DIR...` replays every file (recursively), or standard input
//! when no path is given. A panic is the failure either way.
//!
//! Both targets also install [`mutate`] as libFuzzer's custom mutator: most
//! of the time libFuzzer's own mutations, now and then one of [`grow`]'s
//! moves, which make inputs long and deeply nested at once (run with a large
//! `-max_len`, see Cargo.toml).

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use upc::diag::Diagnostic;
use upc::source::SourceMap;

pub mod grow;

/// One in this many mutations is a growing move.
pub const GROW_ONE_IN: u32 = 8;

/// The custom mutator both targets hand to libFuzzer.
#[cfg(fuzzing)]
pub fn mutate(data: &mut [u8], size: usize, max_size: usize, seed: u32) -> usize {
    if seed % GROW_ONE_IN != 0 {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    }
    let limit = max_size.min(data.len());
    let mut grown = data.get(..size.min(limit)).unwrap_or_default().to_vec();
    grow::grow(&mut grown, limit, u64::from(seed));
    let n = grown.len().min(limit);
    if let (Some(out), Some(from)) = (data.get_mut(..n), grown.get(..n)) {
        out.copy_from_slice(from);
    }
    n
}

/// Every label of every diagnostic points inside a file of `sources`, on
/// character boundaries: the renderers and the language server index text
/// with these spans.
pub fn assert_spans_in_bounds(sources: &SourceMap, diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        for label in std::iter::once(&d.primary).chain(&d.secondary) {
            let file = sources.get(label.file);
            let text = match file {
                Some(f) => f.text.as_str(),
                None => panic!(
                    "{}: label in unknown file {:?}",
                    d.code.as_str(),
                    label.file
                ),
            };
            assert_span_in(text, d, label.span.start as usize, label.span.end as usize);
        }
    }
}

/// One span inside `text`, on character boundaries.
pub fn assert_span_in(text: &str, d: &Diagnostic, start: usize, end: usize) {
    assert!(
        start <= end,
        "{}: span {start}..{end} is reversed",
        d.code.as_str()
    );
    assert!(
        end <= text.len(),
        "{}: span {start}..{end} past the end ({} bytes)",
        d.code.as_str(),
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{}: span {start}..{end} splits a character",
        d.code.as_str()
    );
}

/// The plain-binary `main`: runs `target` on every file under the given
/// paths (or on standard input), prints how many inputs ran.
pub fn replay(target: fn(&[u8])) -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if args.is_empty() {
        let mut data = Vec::new();
        if let Err(e) = io::stdin().read_to_end(&mut data) {
            eprintln!("stdin: {e}");
            return ExitCode::from(2);
        }
        target(&data);
        println!("replayed 1 input");
        return ExitCode::SUCCESS;
    }
    let mut files = Vec::new();
    for arg in &args {
        if let Err(e) = collect(arg, &mut files) {
            eprintln!("{}: {e}", arg.display());
            return ExitCode::from(2);
        }
    }
    files.sort();
    for file in &files {
        match fs::read(file) {
            Ok(data) => {
                // Name the input before running it, so a panic says which.
                if std::env::var_os("UPC_FUZZ_VERBOSE").is_some() {
                    eprintln!("{}", file.display());
                }
                target(&data);
            }
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                return ExitCode::from(2);
            }
        }
    }
    println!("replayed {} inputs", files.len());
    ExitCode::SUCCESS
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    if path.is_dir() {
        for entry in fs::read_dir(path)? {
            collect(&entry?.path(), out)?;
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}
