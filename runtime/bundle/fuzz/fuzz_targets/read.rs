//! Fuzz target: the validating reader. `validate` must return (never panic,
//! never hang) on any bytes, as given and resealed (length and checksum
//! fixed up so mutations reach the structural checks); whatever it accepts
//! must survive every accessor and a decode/re-encode round trip.

#![cfg_attr(fuzzing, no_main)]

fn read(data: &[u8]) {
    upc_bundle_fuzz::replay_read(data);
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| read(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    upc_bundle_fuzz::replay(read)
}
