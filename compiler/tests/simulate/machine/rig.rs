//! Job files in, the machine's own test driver out: the compiler's
//! tests of `upc-machine` write their jobs as job files, compile them
//! exactly as `upc build` does, and then drive the machine through
//! `upc_machine::testing::Driver` (a fake process table on a virtual
//! clock, the trace checked after every step and rendered as short lines,
//! so tests read like the worked timelines of runtime-semantics.md §20).

use std::path::Path;

pub use upc_machine::testing::{in_order, start_walk, Driver};
use upc_machine::*;

/// Compiles `jobs` (name, text) into a bundle.
pub fn bundle(jobs: &[(&str, &str)]) -> ValidatedBundle<'static> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in jobs {
        let path = dir.path().join(format!("{name}.conf"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    bundle_of(dir.path())
}

pub fn bundle_of(dir: &Path) -> ValidatedBundle<'static> {
    let report = upc::check::check_paths_with(
        &[dir.to_path_buf()],
        &upc::check::CheckOptions {
            graph: false,
            ..Default::default()
        },
    );
    assert_eq!(report.errors(), 0, "{:?}", report.diagnostics);
    let bytes = upc::build::build(&report.jobs, &report.sources).unwrap();
    upc_bundle::validate_owned(bytes).unwrap()
}

/// The driver of a machine with `jobs` (name, text) loaded, tracing on,
/// and a global environment of `PATH=/bin` and `TERM=linux`.
pub fn rig(jobs: &[(&str, &str)]) -> Driver {
    rig_with(jobs, Config::default())
}

/// [`rig`] with a configuration of its own (tracing is turned on).
pub fn rig_with(jobs: &[(&str, &str)], config: Config) -> Driver {
    let config = Config {
        trace: true,
        global_env: vec!["PATH=/bin".into(), "TERM=linux".into()],
        ..config
    };
    Driver::from_bundle(bundle(jobs), config)
}
