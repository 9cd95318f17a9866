//! Fuzz target: reader plus bytecode evaluation. The input is a bundle
//! (resealed) followed by an event script; every job's `start on` and
//! `stop on` programs handle every event. Checks the evaluator's promises:
//! only false matches become true, `satisfied` agrees with a plain postfix
//! evaluation, a satisfied condition has contributing matches, reset clears.
//!
//! Layout: `u32 LE n`, then `n` bundle bytes, then events: each is a byte
//! choosing an indexed event name (or, if past the index, a literal name
//! taken from the next byte run), a byte count of env entries, and entries
//! separated by 0 bytes.

#![cfg_attr(fuzzing, no_main)]

fn eval(data: &[u8]) {
    upc_bundle_fuzz::replay_eval(data);
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| eval(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    upc_bundle_fuzz::replay(eval)
}
