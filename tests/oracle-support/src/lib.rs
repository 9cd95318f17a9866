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

/// How a scenario's trace is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Exact,
    /// Per-instance sequences and the multiset of events (and, where the
    /// runner records it, console output as a multiset).
    Tolerant,
}

/// Where a scenario's replay runs, for [`judge`]'s messages: what ran it
/// (`simulator`, `upinit`), the list of known exceptions and the file that
/// holds that list.
pub struct Runner<'a> {
    pub what: &'a str,
    pub exceptions: &'a [(&'a str, &'a str)],
    pub list: &'a str,
}

/// Passes or fails a scenario's test from its verdict: a difference fails
/// unless the scenario is a listed exception (then it is reported), and a
/// listed exception that now matches fails too, so the list stays true.
pub fn judge(name: &str, mode: Mode, verdict: Result<(), String>, runner: &Runner) {
    let Runner { what, list, .. } = runner;
    let exception = runner.exceptions.iter().find(|(n, _)| *n == name);
    match (verdict, exception) {
        (Ok(()), None) => {}
        (Err(diff), None) => {
            panic!(
                "{name}: the {what} differs from Upstart ({mode:?}; - Upstart, + {what}):\n{diff}"
            )
        }
        (Err(diff), Some((_, why))) => {
            eprintln!("{name}: a listed exception ({why}); still differs:\n{diff}");
        }
        (Ok(()), Some(_)) => {
            panic!("{name} now matches Upstart under the {what}: take it off the list in {list}")
        }
    }
}

/// One test per oracle scenario, calling `$run(name, Mode)`, and a test
/// that every scenario folder on disk has one. The one list of the
/// scenarios and how each is compared, for every runner.
#[macro_export]
macro_rules! scenario_tests {
    ($run:path) => {
        $crate::scenario_tests!(@each $run;
            a_started_chain: "a-started-chain" Exact,
            b_task_scripts: "b-task-scripts" Tolerant,
            c_respawn_limit: "c-respawn-limit" Exact,
            d_instances: "d-instances" Exact,
            e_expect_daemon: "e-expect-daemon" Exact,
            f_and_holds_event: "f-and-holds-event" Exact,
            g_and_holds_starting: "g-and-holds-starting" Exact,
            h_or_and_precedence: "h-or-and-precedence" Exact,
            i_stopping_blocks: "i-stopping-blocks" Exact,
            j_stop_on_starting: "j-stop-on-starting" Exact,
            k_started_arg_matching: "k-started-arg-matching" Exact,
            l_glob_negation_positional: "l-glob-negation-positional" Exact,
            m_instance_stop_on_env: "m-instance-stop-on-env" Exact,
            n_export_events: "n-export-events" Exact,
            o_env_precedence: "o-env-precedence" Exact,
            p_task_vs_service_blocking: "p-task-vs-service-blocking" Exact,
            q_respawn_exit_zero: "q-respawn-exit-zero" Exact,
            r_normal_exit_signal: "r-normal-exit-signal" Exact,
            s_prestart_fails: "s-prestart-fails" Exact,
            t_main_failure_poststop: "t-main-failure-poststop" Exact,
            u_stop_in_prestart: "u-stop-in-prestart" Exact,
            v_kill_timeout: "v-kill-timeout" Exact,
            w_manual_emits: "w-manual-emits" Exact,
            x_task_no_main: "x-task-no-main" Exact,
            y_startup_order: "y-startup-order" Tolerant,
            z_restart: "z-restart" Exact,
        );
    };
    (@each $run:path; $($test:ident: $name:literal $mode:ident,)*) => {
        $(
            #[test]
            fn $test() {
                $run($name, $crate::Mode::$mode);
            }
        )*

        /// Every scenario folder has a test above.
        #[test]
        fn every_scenario_is_tested() {
            let tested = [$($name),*];
            let found = $crate::scenario_names(&$crate::oracle_dir())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(found, tested, "scenarios on disk vs. tests");
        }
    };
}
