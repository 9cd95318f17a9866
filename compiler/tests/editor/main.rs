//! Editor integration, end to end: the real `upc lsp` binary spoken to
//! over its stdin/stdout (`lsp`, `malformed`), `upc fmt` on the real-world
//! corpus and from the command line (`fmt`), the saved fuzz inputs of the
//! language server (`fuzz`), and the editor set-ups in `editors/`: the Vim
//! syntax checked headless (`vim`), the Helix entry (`helix`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client;
mod fmt;
mod fuzz;
mod helix;
mod lsp;
mod malformed;
mod vim;
