//! Fuzz target: the parser alone. `upc::syntax::parse` must return (never
//! panic) on any text, and every diagnostic it gives must point inside that
//! text.

#![cfg_attr(fuzzing, no_main)]

use upc::source::{FileId, SourceFile, SourceMap};

fn parse(data: &[u8]) {
    // The parser takes text; `SourceFile` is how upc turns bytes into text.
    let file = SourceFile::new("fuzz.conf", data.to_vec());
    let parsed = upc::syntax::parse(FileId(0), &file.text);
    let mut sources = SourceMap::new();
    sources.add(file);
    upc_fuzz::assert_spans_in_bounds(&sources, &parsed.diagnostics);
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    upc_fuzz::mutate(data, size, max_size, seed)
});

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| parse(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    upc_fuzz::replay(parse)
}
