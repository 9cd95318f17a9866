//! The figures for BENCHMARKS.md: for each directory, the total size of the
//! job files built, the bundle size (strings LZ4-compressed, and raw), the
//! ratio, and the time to check and build. Ignored by default; run:
//!
//! ```text
//! UPC_FIGURES_DIRS=DIR[:DIR...] UPC_FIGURES_OUT=OUTDIR \
//!   cargo test --release -p upc --test bundle -- figures --ignored --nocapture
//! ```
//!
//! Without `UPC_FIGURES_DIRS` it measures the real-world corpus. Jobs with
//! errors (the corpus keeps a few files Upstart rejects) are left out of
//! both the bundle and the source total. With `UPC_FIGURES_OUT` the bundles
//! are written there (`NAME.bundle`) for `validate_bench`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use upc::build::{self, BuildOptions};
use upc::check::check_paths;
use upc::diag::Severity;

#[test]
#[ignore]
fn figures() {
    let dirs: Vec<PathBuf> = match std::env::var("UPC_FIGURES_DIRS") {
        Ok(v) => v.split(':').map(PathBuf::from).collect(),
        Err(_) => {
            vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/upstart-real")]
        }
    };
    let out = std::env::var_os("UPC_FIGURES_OUT").map(PathBuf::from);
    for dir in dirs {
        let t = Instant::now();
        let report = check_paths(std::slice::from_ref(&dir));
        let t_check = t.elapsed();
        let bad: HashSet<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .map(|d| d.primary.file)
            .collect();
        let jobs: Vec<_> = report
            .jobs
            .iter()
            .filter(|j| !bad.contains(&j.file) && j.override_file.is_none_or(|o| !bad.contains(&o)))
            .cloned()
            .collect();
        let source_bytes: usize = jobs
            .iter()
            .flat_map(|j| std::iter::once(j.file).chain(j.override_file))
            .map(|id| report.sources.get(id).map_or(0, |f| f.text.len()))
            .sum();
        let t = Instant::now();
        let bundle = build::build(&jobs, &report.sources).unwrap();
        let t_build = t.elapsed();
        let raw = build::build_with(
            &jobs,
            &report.sources,
            BuildOptions {
                uncompressed_strings: true,
            },
        )
        .unwrap();
        let v = upc_bundle::validate(&bundle).unwrap();
        println!("{}", dir.display());
        println!(
            "  jobs {} (of {}), source files {} bytes",
            jobs.len(),
            report.jobs.len(),
            source_bytes
        );
        println!(
            "  bundle {} bytes (ratio {:.3}); raw strings {} bytes (ratio {:.3})",
            bundle.len(),
            bundle.len() as f64 / source_bytes as f64,
            raw.len(),
            raw.len() as f64 / source_bytes as f64
        );
        let (n, sb) = v.string_stats();
        println!(
            "  {} settings, {} programs, {} events, {n} strings ({sb} bytes)",
            v.settings_count(),
            v.program_count(),
            v.event_count()
        );
        for (name, _, len) in v.sections() {
            if len > 0 {
                println!("    {name:<16} {len:>9}");
            }
        }
        println!("  check {t_check:?}, build (to bytes, validated) {t_build:?}");
        if let Some(out) = &out {
            let name = dir
                .file_name()
                .map_or("bundle".into(), |n| n.to_string_lossy().into_owned());
            std::fs::create_dir_all(out).unwrap();
            build::write_atomically(&out.join(format!("{name}.bundle")), &bundle).unwrap();
            build::write_atomically(&out.join(format!("{name}-raw.bundle")), &raw).unwrap();
        }
    }
}
