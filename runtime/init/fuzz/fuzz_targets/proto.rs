//! Fuzz target: the control protocol's decoders (request, reply, greeting)
//! and its line framing must return on any bytes, never panic; whatever
//! decodes must encode to one line that decodes to the same value, and
//! every decode error must make a reply that round-trips (see
//! src/check.rs).

#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| upinit_fuzz::proto(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    upinit_fuzz::replay(upinit_fuzz::proto)
}
