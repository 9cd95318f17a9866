//! Error recovery (`upc` reports every broken stanza, where Upstart stops at
//! the first) and the `manual`/`debug` rest-of-line rule (job-language.md
//! §2.6).

use upc::diag::Code;

use super::harness::*;

#[test]
fn three_broken_stanzas_give_three_errors() {
    let text = c(r"description\ntask\nstart on or foo\nrespawn\nwibble\n");
    let o = compile(&text);
    let got: Vec<(String, usize)> = o
        .errors()
        .iter()
        .map(|d| (d.code.as_str().to_string(), o.line(d)))
        .collect();
    let want: Vec<(String, usize)> = vec![
        (Code::ExpectedToken.as_str().to_string(), 1),
        (Code::ExpectedEvent.as_str().to_string(), 3),
        (Code::UnknownStanza.as_str().to_string(), 5),
    ];
    assert_eq!(
        got,
        want,
        "one error per broken stanza, in file order\n{}",
        o.describe_all()
    );
    // sema::lower documents that the valid stanzas are still applied.
    assert!(
        o.class.task && o.class.respawn,
        "valid stanzas between the errors are applied"
    );
}

#[test]
fn broken_stanzas_of_every_kind_are_all_reported() {
    // A parse error, a value error and an expression error.
    let text = c(r"nice 30\nexec\nconsole wibble\nstart on foo or (bar\n");
    let o = compile(&text);
    let got: Vec<(String, usize)> = o
        .errors()
        .iter()
        .map(|d| (d.code.as_str().to_string(), o.line(d)))
        .collect();
    let want: Vec<(String, usize)> = vec![
        (Code::IllegalNice.as_str().to_string(), 1),
        (Code::ExpectedToken.as_str().to_string(), 2),
        (Code::UnknownStanza.as_str().to_string(), 3),
        (Code::MismatchedParens.as_str().to_string(), 5),
    ];
    assert_eq!(got, want, "{}", o.describe_all());
}

#[test]
fn text_after_manual_is_another_stanza() {
    let mut s = Suite::new("manual/debug rest of line", None);
    s.accepts_warning(
        "manual task",
        r"manual task\n",
        &[Code::TextAfterFlag],
        &[("task", val("true"))],
    );
    s.accepts_warning(
        "manual task clears an earlier start on",
        r"start on foo\nmanual task\n",
        &[Code::TextAfterFlag],
        &[("task", val("true")), ("start on", none())],
    );
    s.accepts_warning(
        "debug respawn",
        r"debug respawn\n",
        &[Code::TextAfterFlag],
        &[("respawn", val("true")), ("debug", val("true"))],
    );
    s.accepts_with(
        "manual # comment",
        &[("test.conf", r"manual # comment\n")],
        |o| {
            if o.count(Code::TextAfterFlag) == 0 {
                vec![]
            } else {
                vec!["W0001 reported for a comment after `manual`".to_string()]
            }
        },
    );
    // `manual foo`: Unknown stanza pointing at `foo` (column 8).
    s.rejects_at("manual foo", r"manual foo\n", Code::UnknownStanza, 1, 8);
    s.rejects_at("debug foo", r"debug foo\n", Code::UnknownStanza, 1, 7);
    s.finish();
}
