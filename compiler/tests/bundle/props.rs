//! Property tests of the bundle: generated job texts go through the real
//! front end (`check_bytes`: parse + sema) and `build`; the reader must give
//! back every runtime-relevant field of the IR, and the bytecode evaluator
//! must agree with a direct evaluation of the IR's operator tree (written
//! here independently, glob matcher included) on random event sequences.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;

use proptest::prelude::*;
use upc::build;
use upc::check::check_bytes;
use upc::sema::ir::{JobClass, LimitValue, ProcessBody};
use upc::syntax::ast::{ArgKind, Expr, Operator};
use upc_bundle::{EventRef, Job, ValidatedBundle};

// ---- generated job texts ---------------------------------------------------

const EVENTS: [&str; 5] = ["alpha", "beta", "started", "runlevel", "net-device-up"];
const VALUES: [&str; 4] = ["a", "b", "ab", "x/y"];
const PATTERNS: [&str; 8] = ["a", "b", "*", "a*", "?", "[ab]", "[!a]*", "x/*"];
const KEYS: [&str; 3] = ["K", "JOB", "RUNLEVEL"];

#[derive(Debug, Clone)]
enum Tree {
    Leaf(usize, Vec<(u8, usize, usize)>),
    Node(bool, Box<Tree>, Box<Tree>),
}

fn tree() -> impl Strategy<Value = Tree> {
    // (kind: 0 positional / 1 KEY= / 2 KEY!=, key, pattern); positional first.
    let leaf = (
        0..EVENTS.len(),
        prop::collection::vec((0u8..3, 0..KEYS.len(), 0..PATTERNS.len()), 0..3),
    )
        .prop_map(|(e, mut args)| {
            args.sort_by_key(|a| a.0 != 0);
            Tree::Leaf(e, args)
        });
    leaf.prop_recursive(4, 12, 2, |inner| {
        (any::<bool>(), inner.clone(), inner)
            .prop_map(|(and, l, r)| Tree::Node(and, Box::new(l), Box::new(r)))
    })
}

fn render(t: &Tree, stop_on: bool, out: &mut String) {
    match t {
        Tree::Leaf(e, args) => {
            out.push_str(EVENTS[*e]);
            for (i, &(kind, key, pat)) in args.iter().enumerate() {
                // `stop on` patterns may use the instance's $X.
                let pattern = if stop_on && i == 0 {
                    "$X"
                } else {
                    PATTERNS[pat]
                };
                match kind {
                    0 => write!(out, " {pattern}"),
                    1 => write!(out, " {}={pattern}", KEYS[key]),
                    _ => write!(out, " {}!={pattern}", KEYS[key]),
                }
                .unwrap();
            }
        }
        Tree::Node(and, l, r) => {
            out.push('(');
            render(l, stop_on, out);
            out.push_str(if *and { " and " } else { " or " });
            render(r, stop_on, out);
            out.push(')');
        }
    }
}

#[derive(Debug, Clone)]
struct Gen {
    start: Option<Tree>,
    stop: Option<Tree>,
    stanzas: Vec<String>,
}

fn stanza() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{1,12}".prop_map(|s| format!("description \"{s}\"")),
        "[a-z]{1,8}".prop_map(|s| format!("author \"{s}\"")),
        "[0-9.]{1,5}".prop_map(|s| format!("version {s}")),
        "[a-z]{1,8}".prop_map(|s| format!("usage \"{s}\"")),
        Just("task".to_owned()),
        Just("respawn".to_owned()),
        (0u32..20, 0u32..60).prop_map(|(c, i)| format!("respawn limit {c} {i}")),
        Just("respawn limit unlimited".to_owned()),
        prop::collection::vec(0u32..256, 1..3).prop_map(|v| format!(
            "normal exit {} TERM",
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        )),
        Just("instance $X".to_owned()),
        prop::sample::select(vec!["none", "stop", "daemon", "fork"])
            .prop_map(|e| format!("expect {e}")),
        (0u64..100).prop_map(|n| format!("kill timeout {n}")),
        prop::sample::select(vec!["INT", "KILL", "SIGUSR1", "9"])
            .prop_map(|s| format!("kill signal {s}")),
        prop::sample::select(vec!["USR2", "HUP"]).prop_map(|s| format!("reload signal {s}")),
        prop::sample::select(vec!["none", "output", "owner", "log"])
            .prop_map(|c| format!("console {c}")),
        (0u32..0o777).prop_map(|m| format!("umask {m:03o}")),
        (-20i32..20).prop_map(|n| format!("nice {n}")),
        (-1000i32..1000).prop_map(|n| format!("oom score {n}")),
        (
            prop::sample::select(vec!["nofile", "core", "cpu", "stack"]),
            0u64..9999,
            0u64..9999
        )
            .prop_map(|(r, s, h)| format!("limit {r} {} unlimited", s.min(h))),
        "/[a-z]{1,6}".prop_map(|s| format!("chroot {s}")),
        "/[a-z]{1,6}".prop_map(|s| format!("chdir {s}")),
        "[a-z]{1,6}".prop_map(|s| format!("setuid {s}")),
        "[a-z]{1,6}".prop_map(|s| format!("setgid {s}")),
        "[A-Z]{1,4}=[a-z]{0,4}".prop_map(|s| format!("env {s}")),
        "[A-Z]{1,4}".prop_map(|s| format!("export {s}")),
        "[a-z-]{1,8}".prop_map(|s| format!("emits {s}")),
        "[a-z /-]{1,20}".prop_map(|s| format!("exec /bin/{s}")),
        "[a-z ]{1,12}".prop_map(|s| format!("pre-start script\n  echo {s}\n  true\nend script")),
        "[a-z ]{1,12}".prop_map(|s| format!("post-stop exec /bin/echo {s}")),
        Just("debug".to_owned()),
        Just("apparmor load /etc/apparmor.d/usr.sbin.x".to_owned()),
        "[a-z]{1,6}".prop_map(|s| format!("apparmor switch {s}")),
        Just("cgroup memory".to_owned()),
        (
            prop::sample::select(vec!["cpu", "memory"]),
            "[a-z]{1,4}",
            1u32..2048
        )
            .prop_map(|(c, n, v)| format!("cgroup {c} {n} {c}.shares {v}")),
    ]
}

fn job() -> impl Strategy<Value = Gen> {
    (
        prop::option::of(tree()),
        prop::option::of(tree()),
        prop::collection::vec(stanza(), 0..10),
    )
        .prop_map(|(start, stop, stanzas)| Gen {
            start,
            stop,
            stanzas,
        })
}

fn text(g: &Gen) -> String {
    let mut out = String::from("# generated\n");
    for s in &g.stanzas {
        out.push_str(s);
        out.push('\n');
    }
    for (kw, t, stop) in [("start on", &g.start, false), ("stop on", &g.stop, true)] {
        if let Some(t) = t {
            out.push_str(kw);
            out.push(' ');
            render(t, stop, &mut out);
            out.push('\n');
        }
    }
    out
}

// ---- the field comparison ----------------------------------------------------

/// Every runtime-relevant field of the IR, read back from the bundle.
fn assert_same(ir: &JobClass, view: &Job<'_>, sources: &upc::source::SourceMap) {
    assert_eq!(view.name(), ir.name);
    assert_eq!(view.description(), ir.description.as_deref());
    assert_eq!(view.author(), ir.author.as_deref());
    assert_eq!(view.version(), ir.version.as_deref());
    assert_eq!(view.usage(), ir.usage.as_deref());
    assert_eq!(view.task(), ir.task);
    assert_eq!(view.respawn(), ir.respawn);
    assert_eq!(view.respawn_count(), ir.respawn_limit.count);
    assert_eq!(view.respawn_interval(), ir.respawn_limit.interval_secs);
    assert_eq!(view.normal_exit().collect::<Vec<_>>(), ir.normal_exit);
    assert_eq!(view.instance(), ir.instance);
    assert_eq!(format!("{:?}", view.expect()), format!("{:?}", ir.expect));
    assert_eq!(view.kill_timeout(), ir.kill_timeout_secs);
    assert_eq!(view.kill_signal(), ir.kill_signal);
    assert_eq!(view.reload_signal(), ir.reload_signal);
    assert_eq!(
        view.console().map(|c| format!("{c:?}")),
        ir.console.map(|c| format!("{c:?}"))
    );
    assert_eq!(u32::from(view.umask()), ir.umask);
    assert_eq!(view.nice().map(i32::from), ir.nice);
    assert_eq!(view.oom_score().map(i32::from), ir.oom_score);
    let limits: Vec<(String, Option<u64>, Option<u64>)> = ir
        .limits
        .iter()
        .map(|(r, (s, h))| {
            let v = |l: &LimitValue| match l {
                LimitValue::Unlimited => None,
                LimitValue::Value(n) => Some(*n),
            };
            (r.name().to_owned(), v(s), v(h))
        })
        .collect();
    let got: Vec<(String, Option<u64>, Option<u64>)> = view
        .limits()
        .map(|l| (l.resource.name().to_owned(), l.soft, l.hard))
        .collect();
    assert_eq!(got, limits);
    assert_eq!(view.chroot(), ir.chroot.as_deref());
    assert_eq!(view.chdir(), ir.chdir.as_deref());
    assert_eq!(view.setuid(), ir.setuid.as_deref());
    assert_eq!(view.setgid(), ir.setgid.as_deref());
    assert_eq!(view.apparmor_switch(), ir.apparmor_switch.as_deref());
    let strs = |v: &[upc::sema::ir::Spanned<String>]| {
        v.iter().map(|s| s.value.clone()).collect::<Vec<_>>()
    };
    assert_eq!(view.env().collect::<Vec<_>>(), strs(&ir.env));
    assert_eq!(view.export().collect::<Vec<_>>(), strs(&ir.export));
    assert_eq!(view.emits().collect::<Vec<_>>(), strs(&ir.emits));
    assert_eq!(view.debug(), ir.debug);
    let cgroups: Vec<_> = ir
        .cgroups
        .iter()
        .map(|c| (c.controller.clone(), c.names.clone()))
        .collect();
    let got: Vec<_> = view
        .cgroups()
        .into_iter()
        .map(|c| (c.controller, c.names))
        .collect();
    assert_eq!(got, cgroups);
    // Processes: kind, body, text, file and line.
    let mut want = Vec::new();
    for (kind, p) in [
        ("main", &ir.processes.main),
        ("pre-start", &ir.processes.pre_start),
        ("post-start", &ir.processes.post_start),
        ("pre-stop", &ir.processes.pre_stop),
        ("post-stop", &ir.processes.post_stop),
        ("security", &ir.processes.security),
    ] {
        if let Some(p) = p {
            let (script, text) = match &p.body {
                ProcessBody::Exec(t) => (false, t.clone()),
                ProcessBody::Script(t) => (true, t.clone()),
            };
            let file = sources.get(p.origin.file).unwrap();
            let line = file.line_col(p.origin.span.start as usize).0 as u32;
            want.push((kind.to_owned(), script, text, line));
        }
    }
    let got: Vec<_> = view
        .processes()
        .map(|p| {
            (
                p.kind().name().to_owned(),
                p.body() == upc_bundle::BodyKind::Script,
                p.text().to_owned(),
                p.location().line,
            )
        })
        .collect();
    assert_eq!(got, want);
    // Conditions: the same tree (rendered) and matches, and the line.
    for (ir_cond, got) in [
        (&ir.start_on, view.start_on()),
        (&ir.stop_on, view.stop_on()),
    ] {
        assert_eq!(ir_cond.is_some(), got.is_some());
        if let (Some(c), Some(g)) = (ir_cond, got) {
            assert_eq!(g.program.canonical(), c.expr.canonical());
            let file = sources.get(c.origin.file).unwrap();
            assert_eq!(
                g.location.line as usize,
                file.line_col(c.origin.span.start as usize).0
            );
            let leaves = c.expr.matches();
            assert_eq!(g.program.match_count(), leaves.len());
            for (m, leaf) in g.program.matches().zip(leaves) {
                assert_eq!(m.event(), leaf.event.value);
                let args: Vec<_> = m.args().map(|a| (a.key, a.negated, a.pattern)).collect();
                let want: Vec<_> = leaf
                    .args
                    .iter()
                    .map(|a| match &a.kind {
                        ArgKind::Positional => (None, false, a.value.as_str()),
                        ArgKind::Equals(k) => (Some(k.as_str()), false, a.value.as_str()),
                        ArgKind::NotEquals(k) => (Some(k.as_str()), true, a.value.as_str()),
                    })
                    .collect();
                assert_eq!(args, want);
            }
        }
    }
}

// ---- the independent oracle ----------------------------------------------------

/// fnmatch for the generated patterns (`*`, `?`, `[..]`, `[!..]`, literals).
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|i| glob(&p[1..], &s[i..])),
        Some(b'?') => !s.is_empty() && glob(&p[1..], &s[1..]),
        Some(b'[') => {
            let close = p.iter().skip(2).position(|&c| c == b']').unwrap() + 2;
            let (neg, set) = match p[1] {
                b'!' => (true, &p[2..close]),
                _ => (false, &p[1..close]),
            };
            !s.is_empty() && (set.contains(&s[0]) != neg) && glob(&p[close + 1..], &s[1..])
        }
        Some(&c) => s.first() == Some(&c) && glob(&p[1..], &s[1..]),
    }
}

fn leaf_matches(
    m: &upc::syntax::ast::EventMatch,
    name: &str,
    env: &[String],
    x: Option<&str>,
) -> bool {
    if m.event.value != name {
        return false;
    }
    for (i, a) in m.args.iter().enumerate() {
        let pattern = match (a.value.as_str(), x) {
            ("$X", Some(x)) => x.to_owned(),
            ("$X", None) => return false,
            (p, _) => p.to_owned(),
        };
        let value = match &a.kind {
            ArgKind::Positional => env.get(i).map(|e| e.split_once('=').map_or("", |kv| kv.1)),
            ArgKind::Equals(k) | ArgKind::NotEquals(k) => env
                .iter()
                .filter_map(|e| e.split_once('='))
                .find(|(ek, _)| ek == k)
                .map(|(_, v)| v),
        };
        let Some(value) = value else { return false };
        let hit = glob(pattern.as_bytes(), value.as_bytes());
        if hit == matches!(a.kind, ArgKind::NotEquals(_)) {
            return false;
        }
    }
    true
}

/// Post-order values of the tree given leaf values (explicit stack).
fn tree_value(e: &Expr, leaves: &[bool]) -> bool {
    enum Step<'a> {
        Visit(&'a Expr),
        Op(Operator),
    }
    let mut stack = vec![Step::Visit(e)];
    let mut vals = Vec::new();
    let mut k = 0;
    while let Some(s) = stack.pop() {
        match s {
            Step::Visit(Expr::Match(_)) => {
                vals.push(leaves[k]);
                k += 1;
            }
            Step::Visit(Expr::Binary(b)) => {
                stack.push(Step::Op(b.op));
                stack.push(Step::Visit(&b.right));
                stack.push(Step::Visit(&b.left));
            }
            Step::Op(op) => {
                let r = vals.pop().unwrap();
                let l = vals.pop().unwrap();
                vals.push(if op == Operator::And { l && r } else { l || r });
            }
        }
    }
    vals.pop().unwrap()
}

/// 6.5: true leaves under true ancestors, left to right.
fn contributing(e: &Expr, leaves: &[bool]) -> Vec<usize> {
    // Number the leaves first (left to right), then walk with "ok" flags.
    let mut out = Vec::new();
    let mut stack = vec![(e, true)];
    let mut k = 0;
    while let Some((node, ok)) = stack.pop() {
        match node {
            Expr::Match(_) => {
                if ok && leaves[k] {
                    out.push(k);
                }
                k += 1;
            }
            Expr::Binary(b) => {
                let here = ok && subtree_value(node, e, leaves);
                stack.push((&b.right, here));
                stack.push((&b.left, here));
            }
        }
    }
    out
}

/// The value of `node`, a subtree of `root`, given the root's leaf values.
fn subtree_value(node: &Expr, root: &Expr, leaves: &[bool]) -> bool {
    let first = root
        .matches()
        .iter()
        .position(|m| std::ptr::eq(*m, node.matches()[0]))
        .unwrap();
    tree_value(node, &leaves[first..])
}

fn check_evaluator(b: &ValidatedBundle<'_>, ir: &JobClass, events: &[(usize, Vec<String>)]) {
    let view = b.find_job(&ir.name).unwrap();
    let instance = ["X=a".to_owned()];
    for (c, got, x) in [
        (&ir.start_on, view.start_on(), None),
        (&ir.stop_on, view.stop_on(), Some("a")),
    ] {
        let (Some(c), Some(got)) = (c, got) else {
            continue;
        };
        let p = got.program;
        let leaves_ir = c.expr.matches();
        let mut oracle = vec![false; leaves_ir.len()];
        let mut state = p.new_state();
        for (e, env) in events {
            let name = EVENTS[*e];
            let mut newly = Vec::new();
            for (k, leaf) in leaves_ir.iter().enumerate() {
                if !oracle[k] && leaf_matches(leaf, name, env, x) {
                    oracle[k] = true;
                    newly.push(k);
                }
            }
            let expand_env: &[String] = if x.is_some() { &instance } else { &[] };
            let h = p.handle(&mut state, EventRef { name, env }, expand_env);
            assert_eq!(
                h.newly_true,
                newly,
                "{} after {name} {env:?}",
                c.expr.canonical()
            );
            assert_eq!(state.values(), oracle.as_slice());
            let sat = tree_value(&c.expr, &oracle);
            assert_eq!(h.satisfied, sat, "{}", c.expr.canonical());
            assert_eq!(p.contributing(&state), contributing(&c.expr, &oracle));
            if sat {
                p.reset(&mut state);
                oracle.iter_mut().for_each(|v| *v = false);
            }
        }
    }
}

fn event() -> impl Strategy<Value = (usize, Vec<String>)> {
    (
        0..EVENTS.len(),
        prop::collection::vec((prop::sample::select(KEYS.to_vec()), 0..VALUES.len()), 0..4),
    )
        .prop_map(|(e, env)| {
            (
                e,
                env.into_iter()
                    .map(|(k, v)| format!("{k}={}", VALUES[v]))
                    .collect(),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn ir_round_trips_through_the_bundle(
        gens in prop::collection::vec(job(), 1..6),
        events in prop::collection::vec(event(), 0..24),
    ) {
        let mut jobs = Vec::new();
        let mut sources = upc::source::SourceMap::new();
        for (i, g) in gens.iter().enumerate() {
            let report = check_bytes(Path::new(&format!("job{i}.conf")), text(g).into_bytes());
            prop_assume!(report.errors() == 0);
            // Re-home the single file into one shared source map.
            for mut job in report.jobs {
                let file = report.sources.get(job.file).unwrap().clone();
                let id = sources.add(file);
                retarget(&mut job, id);
                jobs.push(job);
            }
        }
        let bytes = build::build(&jobs, &sources).unwrap();
        let bundle = upc_bundle::validate(&bytes).unwrap();
        prop_assert_eq!(bundle.job_count(), jobs.len());
        for ir in &jobs {
            let view = bundle.find_job(&ir.name).unwrap();
            assert_same(ir, &view, &sources);
            check_evaluator(&bundle, ir, &events);
        }
        // Uncompressed strings: the same job set.
        let raw = build::build_with(&jobs, &sources, build::BuildOptions { uncompressed_strings: true }).unwrap();
        let raw = upc_bundle::validate(&raw).unwrap();
        prop_assert_eq!(raw.to_spec(), bundle.to_spec());
    }
}

/// Points every origin of a job at file `id` (its only file).
fn retarget(job: &mut JobClass, id: upc::source::FileId) {
    job.file = id;
    for p in [
        &mut job.processes.main,
        &mut job.processes.pre_start,
        &mut job.processes.post_start,
        &mut job.processes.pre_stop,
        &mut job.processes.post_stop,
        &mut job.processes.security,
    ]
    .into_iter()
    .flatten()
    {
        p.origin.file = id;
    }
    for c in [&mut job.start_on, &mut job.stop_on].into_iter().flatten() {
        c.origin.file = id;
    }
}
