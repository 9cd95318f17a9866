//! Fuzz target: the language server through random edit sessions on one
//! document (`upc::lsp::testing::edit_session` decodes the bytes): edits
//! anywhere, requests anywhere, malformed messages. It must not panic, must
//! answer every request, must publish ranges inside the document and must
//! hold the same text as the client. Saved inputs live in
//! `compiler/fuzz/lsp-regressions` and are replayed by `cargo test`.

#![cfg_attr(fuzzing, no_main)]

fn lsp_edits(data: &[u8]) {
    upc::lsp::testing::edit_session(data);
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lsp_edits(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    upc_fuzz::replay(lsp_edits)
}
