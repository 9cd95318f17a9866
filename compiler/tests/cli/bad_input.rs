//! Bad input never panics and always gets a located message (issue: "Bad
//! input never panics..."): empty and binary files, invalid UTF-8, a 10 MB
//! file, 100,000 stanzas, an unterminated script, huge expressions.

use std::path::Path;

use upc::check::{check_bytes, Report};
use upc::diag::Code;

fn check(bytes: Vec<u8>) -> Report {
    check_bytes(Path::new("input.conf"), bytes)
}

/// Every diagnostic points inside its file, on character boundaries.
fn assert_located(report: &Report) {
    for d in &report.diagnostics {
        let text = report
            .sources
            .get(d.primary.file)
            .map(|f| f.text.as_str())
            .unwrap_or("");
        let (s, e) = (d.primary.span.start as usize, d.primary.span.end as usize);
        assert!(
            s <= e && e <= text.len(),
            "{}: {s}..{e} of {}",
            d.code.as_str(),
            text.len()
        );
        assert!(
            text.is_char_boundary(s) && text.is_char_boundary(e),
            "{}",
            d.code.as_str()
        );
    }
}

fn codes(report: &Report) -> Vec<Code> {
    report.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn an_empty_file_is_a_valid_job() {
    let report = check(Vec::new());
    assert!(report.diagnostics.is_empty(), "{:?}", codes(&report));
    assert_eq!(report.jobs.len(), 1);
}

#[test]
fn a_binary_file_gets_located_errors_not_a_panic() {
    let bytes: Vec<u8> = (0..65_536u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let report = check(bytes);
    assert!(report.errors() > 0);
    assert!(codes(&report).contains(&Code::InvalidUtf8));
    assert_located(&report);
}

#[test]
fn invalid_utf8_reports_the_byte_offset() {
    let report = check(b"description \"caf\xe9\"\nexec /bin/true\n".to_vec());
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.code == Code::InvalidUtf8);
    assert!(
        d.is_some_and(|d| d.message.contains("16")),
        "{:?}",
        report.diagnostics
    );
    assert_eq!(report.errors(), 0);
}

#[test]
fn a_ten_megabyte_file_is_checked() {
    let stanza = "script\n    echo a line of a long script that goes on\n    test -x /bin/true\nend script\n";
    let text = stanza.repeat(10 * 1024 * 1024 / stanza.len() + 1);
    assert!(text.len() >= 10 * 1024 * 1024);
    let report = check(text.into_bytes());
    assert_eq!(report.errors(), 0);
    // Each script replaces the previous one: W0019 for all but the last.
    assert!(report.warnings() > 0);
    assert_located(&report);
}

#[test]
fn a_hundred_thousand_stanzas_are_checked() {
    let mut text: String = (0..100_000)
        .map(|i| format!("env VAR_{i}=\"value {i}\"\n"))
        .collect();
    text.push_str("exec /bin/true\n");
    let report = check(text.into_bytes());
    assert!(
        report.diagnostics.is_empty(),
        "{:?}",
        &codes(&report)[..3.min(report.diagnostics.len())]
    );
    assert_eq!(report.jobs.first().map(|j| j.env.len()), Some(100_000));
}

#[test]
fn an_unterminated_script_is_reported_at_the_end_of_the_file() {
    let text = b"exec /bin/a\npre-start script\n    echo never ends\n";
    let report = check(text.to_vec());
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.code == Code::UnterminatedBlock);
    assert!(
        d.is_some_and(|d| d.primary.span.start as usize == text.len()),
        "{:?}",
        report.diagnostics
    );
    assert!(
        d.is_some_and(|d| !d.secondary.is_empty()),
        "the block's start is labelled"
    );
}

#[test]
fn deeply_nested_and_very_long_expressions_do_not_overflow() {
    let deep = format!(
        "start on {}a{}\nexec /bin/a\n",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    assert_eq!(check(deep.into_bytes()).errors(), 0);
    let long: Vec<String> = (0..50_000).map(|i| format!("e{i}")).collect();
    let long = format!(
        "start on {}\nstop on {}\n",
        long.join(" or "),
        long.join(" and ")
    );
    let report = check(long.into_bytes());
    assert_eq!(report.errors(), 0);
    assert_located(&report);
}
