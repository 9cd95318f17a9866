//! Section 3.8 of test-inventory.md (`EO-SER-01..07`): each expression is
//! parsed as a `start on` condition, rendered canonically
//! (`ast::Expr::canonical`), re-parsed, and both trees must render the same
//! (in the inventory's notation and canonically). Also the canonical and
//! tree renderings of the worked examples of job-language.md §7.5 and §7.7.
//!
//! The other `EO-*` cases (§3.1-3.7: construction, copy, destruction, event
//! matching, environment collection) test the runtime's event-operator
//! objects, not the job language; they belong to the runtime's tests.

use std::fmt::Write as _;

use upc::source::FileId;
use upc::syntax::{self, ast};

use super::harness::{c, tree};

/// Parses `text` (a whole job file, real text) and returns the last
/// `start on` expression, or a description of what went wrong.
fn start_on(text: &str) -> Result<ast::Expr, String> {
    let parsed = std::panic::catch_unwind(|| syntax::parse(FileId(0), text))
        .map_err(|_| format!("parse panicked on {text:?}"))?;
    if let Some(d) = parsed.diagnostics.iter().find(|d| d.is_error()) {
        return Err(format!(
            "{text:?}: error {} at offset {}: {}",
            d.code.as_str(),
            d.primary.span.start,
            d.message
        ));
    }
    parsed
        .ast
        .stanzas
        .iter()
        .rev()
        .find_map(|s| match &s.kind {
            ast::StanzaKind::StartOn(e) => Some(e.clone()),
            _ => None,
        })
        .ok_or_else(|| format!("{text:?}: no `start on` stanza in the tree"))
}

/// One round trip; returns the problems found.
fn round_trip(id: &str, expr: &str, want_canonical: &str, want_tree: &str) -> Vec<String> {
    let text = format!("start on {}\n", c(expr));
    let first = match start_on(&text) {
        Ok(e) => e,
        Err(e) => return vec![format!("{id}: {e}")],
    };
    let mut problems = Vec::new();
    let canonical = first.canonical();
    if canonical != want_canonical {
        problems.push(format!(
            "{id}: canonical: expected {want_canonical:?}, got {canonical:?}"
        ));
    }
    if tree(&first) != want_tree {
        problems.push(format!(
            "{id}: tree: expected {want_tree:?}, got {:?}",
            tree(&first)
        ));
    }
    match start_on(&format!("start on {canonical}\n")) {
        Err(e) => problems.push(format!("{id}: re-parsing the canonical form: {e}")),
        Ok(second) => {
            if tree(&second) != tree(&first) {
                problems.push(format!(
                    "{id}: round trip changed the tree: {:?} -> {:?}",
                    tree(&first),
                    tree(&second)
                ));
            }
            if second.canonical() != canonical {
                problems.push(format!(
                    "{id}: round trip changed the canonical form: {canonical:?} -> {:?}",
                    second.canonical()
                ));
            }
        }
    }
    problems
}

fn report(name: &str, problems: &[String]) {
    let mut msg = String::new();
    for p in problems {
        let _ = writeln!(msg, "{p}");
    }
    assert!(
        problems.is_empty(),
        "{name}: {} problems:\n{msg}",
        problems.len()
    );
}

#[test]
fn eo_ser_round_trip() {
    // (id, expression in inventory notation, canonical form, tree). The
    // canonical forms and trees follow job-language.md §7.2 (equal
    // precedence, left-associative) and §7.5 (fully bracketed).
    let rows: &[(&str, &str, &str, &str)] = &[
        ("EO-SER-01", r"started JOB=second_test\n", "started JOB=second_test", "started[JOB=second_test]"),
        (
            "EO-SER-02",
            r"runlevel [23] or not-container",
            "(runlevel [23] or not-container)",
            "OR(runlevel[[23]], not-container)",
        ),
        (
            "EO-SER-03",
            r"(local-filesystems and net-device-up)",
            "(local-filesystems and net-device-up)",
            "AND(local-filesystems, net-device-up)",
        ),
        (
            "EO-SER-04",
            r"runlevel [23] and (\nnot-container or\ncontainer CONTAINER=lxc or\ncontainer CONTAINER=lxc-libvirt)",
            "(runlevel [23] and ((not-container or container CONTAINER=lxc) or container CONTAINER=lxc-libvirt))",
            "AND(runlevel[[23]], OR(OR(not-container, container[CONTAINER=lxc]), container[CONTAINER=lxc-libvirt]))",
        ),
        (
            "EO-SER-05",
            r"((filesystem and runlevel [!06] and started dbus and (drm-device-added card0 PRIMARY_DEVICE_FOR_DISPLAY=1 or stopped udev-fallback-graphics)) or runlevel PREVLEVEL=S)",
            "((((filesystem and runlevel [!06]) and started dbus) and (drm-device-added card0 PRIMARY_DEVICE_FOR_DISPLAY=1 or stopped udev-fallback-graphics)) or runlevel PREVLEVEL=S)",
            "OR(AND(AND(AND(filesystem, runlevel[[!06]]), started[dbus]), OR(drm-device-added[card0, PRIMARY_DEVICE_FOR_DISPLAY=1], stopped[udev-fallback-graphics])), runlevel[PREVLEVEL=S])",
        ),
        (
            "EO-SER-06",
            r"(started plymouth\nand (graphics-device-added PRIMARY_DEVICE_FOR_DISPLAY=1\nor drm-device-added PRIMARY_DEVICE_FOR_DISPLAY=1\nor stopped udev-fallback-graphics))",
            "(started plymouth and ((graphics-device-added PRIMARY_DEVICE_FOR_DISPLAY=1 or drm-device-added PRIMARY_DEVICE_FOR_DISPLAY=1) or stopped udev-fallback-graphics))",
            "AND(started[plymouth], OR(OR(graphics-device-added[PRIMARY_DEVICE_FOR_DISPLAY=1], drm-device-added[PRIMARY_DEVICE_FOR_DISPLAY=1]), stopped[udev-fallback-graphics]))",
        ),
        (
            "EO-SER-07",
            r"(startup and\n(graphics-device-added PRIMARY_DEVICE_FOR_DISPLAY=1\nor drm-device-added PRIMARY_DEVICE_FOR_DISPLAY=1\nor stopped udevtrigger or container))",
            "(startup and (((graphics-device-added PRIMARY_DEVICE_FOR_DISPLAY=1 or drm-device-added PRIMARY_DEVICE_FOR_DISPLAY=1) or stopped udevtrigger) or container))",
            "AND(startup, OR(OR(OR(graphics-device-added[PRIMARY_DEVICE_FOR_DISPLAY=1], drm-device-added[PRIMARY_DEVICE_FOR_DISPLAY=1]), stopped[udevtrigger]), container))",
        ),
    ];
    assert_eq!(rows.len(), 7, "the inventory lists 7 EO-SER cases");
    let problems: Vec<String> = rows
        .iter()
        .flat_map(|(id, expr, canon, t)| round_trip(id, expr, canon, t))
        .collect();
    report("EO-SER", &problems);
}

/// job-language.md §7.5 (canonical rendering) and §7.7 (trees), plus the
/// precedence examples of §7.2.
#[test]
fn canonical_rendering_worked_examples() {
    let rows: &[(&str, &str, &str, &str)] = &[
        ("JL-7.5 a", "A and B", "(A and B)", "AND(A, B)"),
        (
            "JL-7.5 b",
            "A and (B FOO=BAR or starting C x=y)",
            "(A and (B FOO=BAR or starting C x=y))",
            "AND(A, OR(B[FOO=BAR], starting[C, x=y]))",
        ),
        (
            "JL-7.5 c",
            "starting mountall or (runlevel [016] and (stopped gdm or stopped kdm or stopped xdm A=B or stopping lxdm))",
            "(starting mountall or (runlevel [016] and (((stopped gdm or stopped kdm) or stopped xdm A=B) or stopping lxdm)))",
            "OR(starting[mountall], AND(runlevel[[016]], OR(OR(OR(stopped[gdm], stopped[kdm]), stopped[xdm, A=B]), stopping[lxdm])))",
        ),
        ("JL-7.2 a or b and c", "a or b and c", "((a or b) and c)", "AND(OR(a, b), c)"),
        ("JL-7.2 a and b or c", "a and b or c", "((a and b) or c)", "OR(AND(a, b), c)"),
        ("JL-7.7 INTERFACE!=lo", "net-device-added INTERFACE!=lo", "net-device-added INTERFACE!=lo", "net-device-added[INTERFACE!=lo]"),
        ("JL-7.7 [!$RUNLEVEL]", "runlevel [!$RUNLEVEL]", "runlevel [!$RUNLEVEL]", "runlevel[[!$RUNLEVEL]]"),
        ("JL-7.7 multi-line", r"(wibble\n          or (wobble or wiggle))", "(wibble or (wobble or wiggle))", "OR(wibble, OR(wobble, wiggle))"),
    ];
    let problems: Vec<String> = rows
        .iter()
        .flat_map(|(id, expr, canon, t)| round_trip(id, expr, canon, t))
        .collect();
    report("canonical rendering", &problems);
}
