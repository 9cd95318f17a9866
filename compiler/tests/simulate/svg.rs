//! The timeline picture: well-formed, complete, escaped, deterministic,
//! over hand-written traces and real simulated boots.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::support::*;
use proptest::prelude::*;
use upc::simulate::svg;
use upc_machine::*;

/// A small XML well-formedness check: tags balance, attributes are quoted,
/// every `&` starts an entity, no stray `<`. Returns the element names in
/// document order.
fn well_formed(doc: &str) -> Result<Vec<String>, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut roots = 0;
    let mut rest = doc;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open])?;
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<?") {
            rest = &after[after.find("?>").ok_or("unclosed <?")? + 2..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->").ok_or("unclosed comment")? + 3..];
            continue;
        }
        let close = tag_end(rest)?;
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name: String = tag.chars().take_while(|c| !c.is_whitespace()).collect();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || "-_:".contains(c))
        {
            return Err(format!("bad element name in <{tag}>"));
        }
        check_attributes(&tag[name.len()..])?;
        if stack.is_empty() {
            roots += 1;
        }
        names.push(name.clone());
        if !self_closing {
            stack.push(name);
        }
    }
    check_text(rest)?;
    if !stack.is_empty() {
        return Err(format!("unclosed: {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(names)
}

/// Where the tag that starts `s` ends (a `>` outside quotes).
fn tag_end(s: &str) -> Result<usize, String> {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Ok(i),
            (None, '<') => return Err("< inside a tag".into()),
            _ => {}
        }
    }
    Err("unclosed tag".into())
}

fn check_attributes(mut s: &str) -> Result<(), String> {
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Ok(());
        }
        let eq = s
            .find('=')
            .ok_or_else(|| format!("attribute without value: {s}"))?;
        let quote = s[eq + 1..].chars().next().ok_or("missing value")?;
        if quote != '"' && quote != '\'' {
            return Err(format!("unquoted attribute: {s}"));
        }
        let value_start = eq + 2;
        let len = s[value_start..].find(quote).ok_or("unclosed attribute")?;
        let value = &s[value_start..value_start + len];
        if value.contains('<') {
            return Err(format!("< in attribute {value}"));
        }
        check_text(value)?;
        s = &s[value_start + len + 1..];
    }
}

fn check_text(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        rest = &rest[amp + 1..];
        let semi = rest.find(';').ok_or("& without ;")?;
        let entity = &rest[..semi];
        let known = matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos")
            || entity.starts_with('#') && entity.len() > 1;
        if !known {
            return Err(format!("unknown entity &{entity};"));
        }
        rest = &rest[semi + 1..];
    }
    if text.contains('>') {
        return Err(format!("raw > in text: {text}"));
    }
    Ok(())
}

#[test]
fn the_checker_catches_what_it_should() {
    assert!(well_formed("<a><b/></a>").is_ok());
    assert!(well_formed("<a><b></a>").is_err());
    assert!(well_formed("<a>x & y</a>").is_err());
    assert!(well_formed("<a x=1/>").is_err());
    assert!(well_formed("<a/><b/>").is_err());
    assert!(well_formed("<a x=\"<\"/>").is_err());
    assert_eq!(
        well_formed("<?xml version=\"1.0\"?><a t='&amp;'><!-- c --><b/></a>").unwrap(),
        ["a", "b"]
    );
}

/// a `start on startup`, b `start on started a`, c a task `start on
/// started a` that fails.
fn small_boot(name_b: &str) -> Vec<TraceRecord> {
    let mut tr = Tr::new();
    let startup = tr.init_event("startup");
    let sa = tr.start("a", startup);
    let started_a = tr.up("a", sa, 40);
    let sb = tr.start(name_b, started_a);
    let sc = tr.start("c", started_a);
    tr.up(name_b, sb, 90);
    tr.up("c", sc, 60);
    tr.at(160);
    tr.push(TraceKind::Exit {
        job: "c".into(),
        instance: String::new(),
        process: ProcessKind::Main,
        pid: 7,
        status: ExitStatus::Exited(3),
    });
    tr.goal(
        "c",
        Goal::Start,
        Goal::Stop,
        Cause::Process(ProcessKind::Main),
    );
    tr.down("c");
    tr.recs
}

#[test]
fn a_small_boot_draws_rows_spans_and_arrows() {
    let picture = svg::timeline(&small_boot("b"), "boot");
    let names = well_formed(&picture).unwrap();
    assert_eq!(names.first().map(String::as_str), Some("svg"));
    for job in ["a", "b", "c"] {
        assert!(
            picture.contains(&format!(">{job}<title>{job}</title></text>")),
            "{job}"
        );
    }
    // Rows in order of first activity.
    let row = |job: &str| picture.find(&format!(">{job}<title>")).unwrap();
    assert!(row("a") < row("b") && row("b") < row("c"));
    // Arrows from a's row to the two it started; a triangle for startup.
    assert!(picture.contains("<title>started a at 40ms started b</title>"));
    assert!(picture.contains("<title>started a at 40ms started c</title>"));
    assert!(picture.contains("<title>a started by startup at 0ms</title>"));
    // Phases: b ran from 90 ms to the end; c's failure is marked.
    assert!(picture.contains("<title>b: running 90ms–160ms (70ms)</title>"));
    assert!(picture.contains("c main process (7) exited 3 at 160ms"));
    // The legend names every phase.
    for phase in svg::Phase::ALL {
        assert!(picture.contains(&format!(">{}</text>", phase.name())));
    }
}

#[test]
fn names_and_titles_are_escaped() {
    let job = "b<&>\"q'";
    let picture = svg::timeline(&small_boot(job), "a <title> & more");
    well_formed(&picture).unwrap();
    assert!(!picture.contains(job));
    assert!(picture.contains("b&lt;&amp;&gt;&quot;q&apos;"));
    assert!(picture.contains("a &lt;title&gt; &amp; more"));
}

#[test]
fn the_same_trace_gives_the_same_bytes() {
    let trace = small_boot("b");
    assert_eq!(svg::timeline(&trace, "t"), svg::timeline(&trace, "t"));
    let dir = repo_path("stdlib-jobs/system");
    let one = svg::timeline_records(&simulate_records(&dir), "t");
    let two = svg::timeline_records(&simulate_records(&dir), "t");
    assert_eq!(one, two);
}

#[test]
fn an_empty_trace_is_still_a_picture() {
    let picture = svg::timeline(&[], "nothing");
    well_formed(&picture).unwrap();
    assert!(picture.contains("0 job instances"));
}

#[test]
fn a_simulated_boot_has_every_job_and_the_script_arrows() {
    let records = simulate_records(&repo_path("stdlib-jobs/system"));
    let picture = svg::timeline_records(&records, "upc simulate stdlib-jobs/system");
    well_formed(&picture).unwrap();
    let (trace, _) = upc::simulate::chain::split(&records);
    let mut jobs: Vec<&str> = trace
        .iter()
        .filter_map(|r| match &r.kind {
            TraceKind::State { job, .. } => Some(job.as_str()),
            _ => None,
        })
        .collect();
    jobs.sort_unstable();
    jobs.dedup();
    assert!(jobs.len() >= 10, "{jobs:?}");
    for job in jobs {
        assert!(picture.contains(&format!(">{job}<title>")), "{job}");
    }
    // An event rc-sysinit's script emitted (telinit) started rc.
    assert!(
        picture.contains("runlevel RUNLEVEL=2 PREVLEVEL=N at 9ms started rc<"),
        "{picture}"
    );
    assert!(picture.contains("stopped rc at 109ms started start-ttys<"));
    // Without the driver's notes, that start has no row to come from.
    let bare = svg::timeline(&trace, "t");
    assert!(bare.contains("rc started by runlevel RUNLEVEL=2 PREVLEVEL=N at 9ms"));
}

#[test]
fn ten_thousand_rows() {
    let mut tr = Tr::new();
    let startup = tr.init_event("startup");
    for n in 0..10_000u64 {
        let job = format!("j{n}");
        let s = tr.start(&job, startup);
        tr.up(&job, s, n);
    }
    let started = std::time::Instant::now();
    let picture = svg::timeline(&tr.recs, "many");
    assert!(started.elapsed().as_secs() < 20);
    assert!(picture.contains(">j9999<title>"));
    assert!(picture.len() < 10_000 * 1500, "{} bytes", picture.len());
}

fn arb_kind() -> impl Strategy<Value = TraceKind> {
    let job = prop::sample::select(vec!["a", "<b>", "c&d", ""]).prop_map(str::to_owned);
    let inst = prop::sample::select(vec!["", "'1'"]).prop_map(str::to_owned);
    let event = (0u64..6).prop_map(EventId);
    let state = prop::sample::select(State::ALL.to_vec());
    let goal = prop::sample::select(vec![Goal::Stop, Goal::Start]);
    prop_oneof![
        (job.clone(), inst.clone(), goal.clone(), goal, event.clone()).prop_map(
            |(job, instance, from, to, e)| TraceKind::Goal {
                job,
                instance,
                from,
                to,
                cause: Cause::Event(e)
            }
        ),
        (job.clone(), inst.clone(), state.clone(), state).prop_map(|(job, instance, from, to)| {
            TraceKind::State {
                job,
                instance,
                from,
                to,
                blocked_by: None,
            }
        }),
        (event.clone(), prop::option::of((job.clone(), inst.clone()))).prop_map(|(id, emitter)| {
            TraceKind::Event {
                id,
                name: "e<\u{1}>".into(),
                env: vec!["K=&".into()],
                emitter,
            }
        }),
        (job, inst, any::<i32>()).prop_map(|(job, instance, n)| TraceKind::Exit {
            job,
            instance,
            process: ProcessKind::Main,
            pid: 1,
            status: ExitStatus::Exited(n)
        }),
    ]
}

proptest! {
    #[test]
    fn any_trace_is_a_well_formed_picture(
        kinds in prop::collection::vec((0u64..100_000, arb_kind()), 0..40)
    ) {
        let mut trace: Vec<TraceRecord> =
            kinds.into_iter().map(|(t, kind)| TraceRecord { t, kind }).collect();
        trace.sort_by_key(|r| r.t);
        let picture = svg::timeline(&trace, "t");
        prop_assert!(well_formed(&picture).is_ok(), "{:?}", well_formed(&picture));
    }
}

/// Writes the README's pictures, as `upc simulate ... --svg FILE` does:
/// `cargo test -p upc --test simulate -- --ignored docs_pictures`.
#[test]
#[ignore]
fn docs_pictures() {
    let docs = repo_path("docs");
    let stdlib = simulate_records(&repo_path("stdlib-jobs/system"));
    let picture = svg::timeline_records(&stdlib, "upc simulate stdlib-jobs/system");
    std::fs::write(docs.join("timeline-stdlib-system.svg"), picture).unwrap();

    // The stock jobs wait for events from jobs that are not in the set
    // (mountall, networking, dbus): the operator emits them.
    let options = upc::simulate::Options {
        scripts: vec![
            emit_at(5, "mounted", &["MOUNTPOINT=/run"]),
            emit_at(20, "net-device-up", &["IFACE=lo"]),
            emit_at(40, "filesystem", &[]),
            emit_at(60, "static-network-up", &[]),
            emit_at(80, "started", &["JOB=dbus"]),
        ],
        ..upc::simulate::Options::default()
    };
    let ubports = simulate_with(
        &repo_path("../shared/corpus/upstart-real/ubports__upstart"),
        options,
    );
    let picture = svg::timeline_records(
        &ubports,
        "upc simulate ../shared/corpus/upstart-real/ubports__upstart",
    );
    std::fs::write(docs.join("timeline-ubports-upstart.svg"), picture).unwrap();
}
