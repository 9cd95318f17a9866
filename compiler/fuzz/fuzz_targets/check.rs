//! Fuzz target: the whole compiler on one file, as `upc check FILE` runs it:
//! parse, lower, and render the diagnostics in every output format. None of
//! it may panic, and every span must point inside the checked text.

#![cfg_attr(fuzzing, no_main)]

use std::path::Path;

use codespan_reporting::term::termcolor::NoColor;
use upc::diag::render::{self, Format, Options};

fn check(data: &[u8]) {
    let report = upc::check::check_bytes(Path::new("fuzz.conf"), data.to_vec());
    upc_fuzz::assert_spans_in_bounds(&report.sources, &report.diagnostics);
    let options = Options {
        summary: true,
        deny_warnings: false,
    };
    for format in Format::ALL {
        let mut out = NoColor::new(Vec::new());
        let rendered = render::render(
            format,
            &report.sources,
            &report.diagnostics,
            report.summary(),
            options,
            &mut out,
        );
        assert!(rendered.is_ok(), "{format}: rendering into memory failed");
    }
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    upc_fuzz::mutate(data, size, max_size, seed)
});

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    upc_fuzz::replay(check)
}
