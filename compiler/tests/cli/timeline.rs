//! `upc timeline` through the real binary: a recorded trace read back is
//! drawn by the simulator's own code. The proof: the JSON Lines `upc
//! simulate --format json` prints, read back, give the same picture (byte
//! for byte) and the same critical chain as the simulation itself, for
//! every standard job set; a trace of a real boot (upinit --trace, the
//! one docs/ keeps) reads and draws; bad traces are errors that name the
//! line.

use std::path::Path;
use std::process::{Command, Output};

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `upc` at the repository root.
fn upc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_upc"))
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .output()
        .expect("run upc")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

fn utf8(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn a_simulated_trace_read_back_draws_the_same_picture_and_chain() {
    // (job set, further options)
    let cases: &[(&[&str], &[&str])] = &[
        (&["stdlib-jobs/system"], &[]),
        (
            &["stdlib-jobs/system"],
            &["--emit", "control-alt-delete@1000"],
        ),
        (&["stdlib-jobs/container"], &[]),
        (
            &["stdlib-jobs/session"],
            &["--emit", "session-end TYPE=logout@1000"],
        ),
        (&["stdlib-jobs/system", "tests/boot/jobs"], &[]),
    ];
    let tmp = tempfile::tempdir().expect("tempdir");
    for (paths, options) in cases {
        let args: Vec<&str> = paths.iter().chain(options.iter()).copied().collect();
        let simulated = tmp.path().join("simulated.svg");
        let replayed = tmp.path().join("replayed.svg");
        let trace = tmp.path().join("trace.jsonl");

        let mut sim = vec!["simulate", "--format", "json"];
        sim.extend_from_slice(&args);
        sim.extend_from_slice(&["--svg", utf8(&simulated)]);
        let out = upc(&sim);
        assert!(out.status.code().is_some(), "{}", stderr(&out));
        std::fs::write(&trace, &out.stdout).expect("write the trace");

        let mut quiet = vec!["simulate", "-q"];
        quiet.extend_from_slice(&args);
        let chain_of_simulation = stdout(&upc(&quiet));

        // The simulator's title: upc simulate and the paths.
        let title = format!("upc simulate {}", paths.join(" "));
        let out = upc(&[
            "timeline",
            utf8(&trace),
            "--svg",
            utf8(&replayed),
            "--title",
            &title,
        ]);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let chain = stdout(&out);
        assert!(chain.contains('└'), "{args:?}: no chain in\n{chain}");
        assert!(
            chain_of_simulation.contains(&chain),
            "{args:?}: the replayed chain\n{chain}\nis not the simulation's\n{chain_of_simulation}"
        );
        let expected = std::fs::read_to_string(&simulated).expect("simulated picture");
        let got = std::fs::read_to_string(&replayed).expect("replayed picture");
        assert!(expected == got, "{args:?}: the pictures differ");
    }
}

/// The real boot's picture in docs/ is what `upc timeline` draws from the
/// trace kept beside it (regenerate it with the command in
/// stdlib-jobs/system/README.md).
#[test]
fn the_real_boot_timeline_is_up_to_date() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let fresh = tmp.path().join("fresh.svg");
    let out = upc(&[
        "timeline",
        "docs/boot-upinit-trace.jsonl",
        "--svg",
        utf8(&fresh),
        "--title",
        "upinit booting stdlib-jobs/system under QEMU (TCG)",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("boot-report @"), "{}", stdout(&out));
    let now = std::fs::read_to_string(&fresh).expect("the picture");
    let committed = std::fs::read_to_string(root().join("docs/timeline-boot-upinit.svg"))
        .expect("docs/timeline-boot-upinit.svg");
    assert!(
        now == committed,
        "docs/timeline-boot-upinit.svg is stale: regenerate it with `upc timeline \
         docs/boot-upinit-trace.jsonl --svg docs/timeline-boot-upinit.svg --title \
         'upinit booting stdlib-jobs/system under QEMU (TCG)'`"
    );
    for row in ["mountall", "tty (ttyS0)", "boot-report", "crasher"] {
        assert!(now.contains(&format!(">{row}<")), "no row {row}");
    }
}

#[test]
fn bad_traces_are_errors_naming_the_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let trace = tmp.path().join("bad.jsonl");
    std::fs::write(
        &trace,
        "{\"t_ms\":0,\"kind\":\"event\",\"event\":\"startup\",\"env\":{}}\n\
         {\"t_ms\":1,\"kind\":\"exit\",\"job\":\"a\",\"instance\":\"\",\"process\":\"main\",\"pid\":3}\n",
    )
    .unwrap();
    let out = upc(&["timeline", utf8(&trace)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("line 2: an `exit` record without `status` or `signal`"),
        "{}",
        stderr(&out)
    );

    let out = upc(&["timeline", "no/such/trace.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read no/such/trace.jsonl"),
        "{}",
        stderr(&out)
    );
}
