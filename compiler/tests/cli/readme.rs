//! The README tells the truth: its set-up commands exist and run as
//! written, and every example that shows a command and its output is run
//! (by trycmd, from the repository root) and compared with what the binary
//! prints now. A README that is emptied, loses its two commands, or shows
//! output the binaries no longer produce fails the suite.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The heading of the section a newcomer reads first.
const SETUP_HEADING: &str = "## Two commands on a fresh machine";

fn repo_root() -> PathBuf {
    let compiler = Path::new(env!("CARGO_MANIFEST_DIR"));
    compiler
        .parent()
        .unwrap_or_else(|| panic!("{} has no parent", compiler.display()))
        .to_path_buf()
}

fn readme() -> String {
    let path = repo_root().join("README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The commands of the first `sh` block after the set-up heading: every
/// line that is not blank and not a comment.
fn setup_commands(readme: &str) -> Vec<String> {
    let section = readme
        .split_once(SETUP_HEADING)
        .unwrap_or_else(|| panic!("README.md has no `{SETUP_HEADING}` section"))
        .1;
    let block = section
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .unwrap_or_else(|| panic!("`{SETUP_HEADING}` has no ```sh block"))
        .0;
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// `name` as the shell would find it on PATH.
fn on_path(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("`{name}` is not on PATH"))
}

#[test]
fn readme_names_exactly_two_setup_commands_the_second_being_tests_run() {
    let commands = setup_commands(&readme());
    assert_eq!(
        commands.len(),
        2,
        "the set-up block must hold the main-job command and the test command: {commands:?}"
    );
    assert_eq!(
        commands[1], "tests/run",
        "the test command must be `tests/run`"
    );
    assert!(
        commands[0].contains("stdlib-jobs"),
        "the main-job command must run on stdlib-jobs: {}",
        commands[0]
    );
    assert!(
        repo_root().join("tests/run").is_file(),
        "the README names tests/run, which does not exist"
    );
}

#[test]
fn readme_main_job_command_runs_as_written_and_exits_zero() {
    let commands = setup_commands(&readme());
    let main_job = &commands[0];
    let out = Command::new("sh")
        .arg("-c")
        .arg(main_job)
        .current_dir(repo_root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run sh: {e}"));
    assert!(
        out.status.success(),
        "the README's main-job command failed ({}):\n{main_job}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The examples a newcomer is promised: one per command, each a `$` line
/// inside a ```console block (which trycmd runs).
const REQUIRED_EXAMPLES: [&str; 8] = [
    "$ upc check docs/examples/web.conf",
    "$ upc check --format short ",
    "$ upc explain ",
    "$ upc graph --order ",
    "$ upc build ",
    "$ upc dump ",
    "$ upc simulate ",
    "$ upc run ",
];

#[test]
fn readme_shows_a_run_example_of_every_command() {
    let readme = readme();
    let console: Vec<&str> = readme
        .split("```console\n")
        .skip(1)
        .filter_map(|block| block.split_once("```").map(|(body, _)| body))
        .flat_map(str::lines)
        .filter(|l| l.starts_with("$ "))
        .collect();
    for example in REQUIRED_EXAMPLES {
        assert!(
            console.iter().any(|l| l.starts_with(example)),
            "README.md has no ```console example starting `{example}`; examples: {console:?}"
        );
    }
}

#[test]
fn readme_examples_print_what_the_binaries_print() {
    let root = repo_root();
    // The examples name paths relative to the repository root, as a
    // newcomer types them there.
    std::env::set_current_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    trycmd::TestCases::new()
        .register_bin("upc", trycmd::cargo::cargo_bin("upc"))
        .register_bin("cat", on_path("cat"))
        .case(root.join("README.md"));
}
