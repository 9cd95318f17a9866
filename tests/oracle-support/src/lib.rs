//! `upc-oracle`: test support for comparing a run with real Upstart 1.13.2.
//!
//! `../shared/oracle` holds scenarios run under a real Upstart (its
//! README.md describes the files). Two tests replay them: the simulator's
//! (compiler/tests/simulate/oracle.rs: `upc simulate`'s driver) and the real
//! runtime's (runtime/init/tests/oracle.rs: `upinit` as PID 1 of a PID
//! namespace, driven through `upctl`). Both read the scenario and compare
//! traces with this crate, so the two comparisons cannot drift apart:
//!
//! - [`replay`]: `replay.txt` (the operator's steps and the processes'
//!   behaviours) and the `status`/`list` queries of `commands` put back
//!   among the steps;
//! - [`trace`]: trace records, from `trace.jsonl`, from `upinit --trace`
//!   or from `upc simulate --format json` (the same schema, pids as
//!   numbers); real pids renamed `P1`, `P2`, ... in
//!   order of appearance, as the oracle's are; Upstart's class order read
//!   off a trace;
//! - [`compare`]: the core records as lines, compared exactly or
//!   tolerantly (per instance, events in any order), the jobs' console
//!   output, the answers to the operator's commands, and a readable diff.
//!
//! Test support only (`publish = false`): a dev-dependency of `upc` and
//! `upinit`, never linked into either.

pub mod compare;
pub mod replay;
pub mod trace;

use std::path::{Path, PathBuf};

/// `../shared/oracle` beside the checkout.
pub fn oracle_dir() -> PathBuf {
    // This crate is tests/oracle-support in the workspace.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/oracle")
}

/// Every scenario folder (those with a `replay.txt`), sorted.
pub fn scenario_names(oracle: &Path) -> Result<Vec<String>, String> {
    let entries = std::fs::read_dir(oracle).map_err(|e| format!("{}: {e}", oracle.display()))?;
    let mut found: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("replay.txt").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    Ok(found)
}

/// A scenario's file as text; the error names the file and says where
/// `../shared` is expected.
pub fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{}: {e} (is ../shared beside the checkout?)",
            path.display()
        )
    })
}
