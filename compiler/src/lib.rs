//! `upc`: the Upstart job-language compiler.
//!
//! Pipeline: [`syntax`] (text -> spanned tree) -> [`sema`] (tree -> typed
//! [`sema::JobClass`]) -> graph checks and bundle emission (later). [`diag`]
//! carries every finding to every output format; [`check`] drives the whole
//! thing over files and directories.

pub mod build;
pub mod check;
pub mod cond;
pub mod diag;
pub mod dump;
pub mod fmt;
pub mod graph;
#[cfg(test)]
mod layers;
pub mod lsp;
pub mod run;
pub mod sema;
pub mod shell;
pub mod simulate;
pub mod source;
pub mod suggest;
pub mod syntax;
