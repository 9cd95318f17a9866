//! Fuzz target: a job set and a stimulus script, both read from the input,
//! drive the machine; it must never panic, every state that waits for a
//! process must have one, and once every process has ended the instances
//! whose goal is stop must all be gone (see src/lib.rs).

#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| upc_machine_fuzz::drive(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    upc_machine_fuzz::replay(upc_machine_fuzz::drive)
}
