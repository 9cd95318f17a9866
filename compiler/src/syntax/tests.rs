//! Parser tests: each renders the tree and the diagnostics of one input in
//! a compact form and compares it with an inline expectation.

use super::ast::{ProcessKind, StanzaKind};
use super::parse;
use crate::source::{FileId, SourceFile};

/// `stanza-name[values]` per stanza, then `CODE@LINE` per diagnostic.
fn render(input: &str) -> String {
    let parsed = parse(FileId(0), input);
    let file = SourceFile::new("t", input.as_bytes().to_vec());
    let mut out = Vec::new();
    for s in &parsed.ast.stanzas {
        let detail = match &s.kind {
            StanzaKind::Exec { command, .. } => format!("{:?}", command.value),
            StanzaKind::Script { body, .. } => format!("{:?}", body.text),
            StanzaKind::StartOn(e) | StanzaKind::StopOn(e) => e.canonical(),
            StanzaKind::Emits(w)
            | StanzaKind::Export(w)
            | StanzaKind::NormalExit(w)
            | StanzaKind::Cgroup(w) => w
                .iter()
                .map(|w| format!("{:?}", w.value))
                .collect::<Vec<_>>()
                .join(","),
            StanzaKind::RespawnLimit { count, interval } => {
                format!("{} {}", count.value, interval.value)
            }
            StanzaKind::Limit {
                resource,
                soft,
                hard,
            } => format!("{} {} {}", resource.value, soft.value, hard.value),
            StanzaKind::RespawnUnlimited(w)
            | StanzaKind::Instance(w)
            | StanzaKind::Expect(w)
            | StanzaKind::ReadyFd(w)
            | StanzaKind::KillTimeout(w)
            | StanzaKind::KillSignal(w)
            | StanzaKind::ReloadSignal(w)
            | StanzaKind::Env(w)
            | StanzaKind::Console(w)
            | StanzaKind::Umask(w)
            | StanzaKind::Nice(w)
            | StanzaKind::Oom(w)
            | StanzaKind::OomScore(w)
            | StanzaKind::Chroot(w)
            | StanzaKind::Chdir(w)
            | StanzaKind::Setuid(w)
            | StanzaKind::Setgid(w)
            | StanzaKind::ApparmorLoad(w)
            | StanzaKind::ApparmorSwitch(w)
            | StanzaKind::Description(w)
            | StanzaKind::Author(w)
            | StanzaKind::Version(w)
            | StanzaKind::Usage(w) => format!("{:?}", w.value),
            StanzaKind::Manual
            | StanzaKind::Debug
            | StanzaKind::Task
            | StanzaKind::Respawn
            | StanzaKind::Error => String::new(),
        };
        out.push(format!("{}[{}]", s.kind.name(), detail));
    }
    for d in &parsed.diagnostics {
        let (line, _) = file.line_col(d.primary.span.start as usize);
        out.push(format!("{}@{}", d.code.as_str(), line));
    }
    out.join(" ")
}

#[track_caller]
fn check(input: &str, expect: &str) {
    assert_eq!(render(input), expect, "input: {input:?}");
}

#[test]
fn exec_and_hooks() {
    check(
        "exec /sbin/daemon -d \"foo\"\n",
        r#"exec["/sbin/daemon -d \"foo\""]"#,
    );
    check("exec\n", "<error>[] E0001@1");
    check("pre-start exec\n", "<error>[] E0001@1");
    check("pre-start foo\n", "<error>[] E0006@1");
    check("pre-start\n", "<error>[] E0001@1");
    check(
        "pre-start script foo\n    x\nend script\nexec a\n",
        r#"<error>[] exec["a"] E0002@1"#,
    );
    check(
        "post-stop script\n    echo\nend script\n",
        r#"post-stop script["echo\n"]"#,
    );
    check("exec foo#bar\n", r#"exec["foo"]"#);
    check("exec foo\\\nbar\n", r#"exec["foo bar"]"#);
}

#[test]
fn script_blocks() {
    check("script\n    echo\nend script\n", r#"script["echo\n"]"#);
    check("script foo\n", "<error>[] <error>[] E0002@1 E0005@2");
    check("script\necho\n", "<error>[] E0005@3");
    check("script\nend script", r#"script[""]"#);
    assert_eq!(ProcessKind::Main.name(), "main");
}

#[test]
fn start_on_expressions() {
    check(
        "start on wibble foo bar b?z*\n",
        "start on[wibble foo bar b?z*]",
    );
    check(
        "start on wibble foo bar KEY=b?z* \"FRODO=foo bar\" BILBO=\"foo bar\"\n",
        "start on[wibble foo bar KEY=b?z* FRODO=foo bar BILBO=foo bar]",
    );
    check(
        "start on wibble or wobble or wiggle\n",
        "start on[((wibble or wobble) or wiggle)]",
    );
    check(
        "start on wibble or (wobble or wiggle)\n",
        "start on[(wibble or (wobble or wiggle))]",
    );
    check(
        "start on (wibble\n          or (wobble or wiggle))\n",
        "start on[(wibble or (wobble or wiggle))]",
    );
    check(
        "start on net-device-added INTERFACE!=lo\n",
        "start on[net-device-added INTERFACE!=lo]",
    );
    check("start on a \"and\" b\n", "start on[a and b]");
}

#[test]
fn start_on_errors_match_upstart() {
    check("start\n", "<error>[] E0001@1");
    check("start foo\n", "<error>[] E0006@1");
    check("start on\n", "<error>[] E0001@1");
    check("start on or foo\n", "<error>[] E0014@1");
    check("start on foo or\n", "<error>[] E0014@1");
    check("start on foo or and bar\n", "<error>[] E0014@1");
    check("start on foo or (or foo)\n", "<error>[] E0014@1");
    check("start on foo or (bar or)\n", "<error>[] E0014@1");
    check("start on foo or bar or foo)\n", "<error>[] E0017@1");
    check("start on foo or (bar or foo\n", "<error>[] E0017@2");
    check("start on frodo (foo or bar)\n", "<error>[] E0015@1");
    check("start on (foo or bar) frodo\n", "<error>[] E0015@1");
    check(
        "start on wibble foo KEY=bar baz\n",
        "start on[wibble foo KEY=bar baz] E0016@1",
    );
    check("start on (a or\n\n b)\n", "<error>[] E0001@2");
    check(
        "start on (a or\n b) and\n c\n",
        "<error>[] <error>[] E0014@2 E0006@3",
    );
}

#[test]
fn manual_and_debug_do_not_end_their_line() {
    check("manual task\n", "manual[] task[] W0001@1");
    check("manual foo\n", "manual[] <error>[] W0001@1 E0006@1");
    check("manual # comment\n", "manual[]");
    check("debug\n", "debug[]");
}

#[test]
fn argument_forms() {
    check("respawn limit 10 120\n", "respawn limit[10 120]");
    check("respawn limit unlimited\n", r#"respawn limit["unlimited"]"#);
    check("respawn limit 10\n", "<error>[] E0001@1");
    check("respawn limit\n", "<error>[] E0001@1");
    check("respawn limit 0 1 foo\n", "<error>[] E0002@1");
    check("respawn limit unlimited 1\n", "<error>[] E0002@1");
    check("respawn foo\n", "<error>[] E0006@1");
    check("task foo\n", "<error>[] E0002@1");
    check("oom score 100\n", r#"oom score["100"]"#);
    check("oom score\n", "<error>[] E0001@1");
    check("oom 10 foo\n", "<error>[] E0002@1");
    check("limit core 10 20\n", "limit[core 10 20]");
    check("limit foo\n", "<error>[] E0006@1");
    check("limit core 10\n", "<error>[] E0001@1");
    check("limit\n", "<error>[] E0001@1");
    check("kill foo\n", "<error>[] E0006@1");
    check("kill\n", "<error>[] E0001@1");
    check("normal exit 99 INT\n", r#"normal exit["99","INT"]"#);
    check("normal wibble\n", "<error>[] E0006@1");
    check("cgroup a b c d e\n", "<error>[] E0002@1");
    check("apparmor foo\n", "<error>[] E0006@1");
    check("usage stanza usage test message\n", "<error>[] E0002@1");
    check("emits\n", "<error>[] E0001@1");
    check("env FOO=a#b\n", r#"env["FOO=a"]"#);
    check("description \"a\n     b\"\n", r#"description["a b"]"#);
}

#[test]
fn tokenizer_errors() {
    check("exec wibble\\", "<error>[] E0003@1");
    check("description \"wibble\n", "<error>[] E0004@2");
    check(
        "frodo test\n\"bilbo test\n",
        "<error>[] <error>[] E0006@1 E0004@3",
    );
}

#[test]
fn a_hook_without_script_does_not_cascade() {
    check(
        "pre-start\n  if [ -x /a ]; then\n    b\n  fi\nend script\nexec c\n",
        r#"<error>[] exec["c"] E0001@1"#,
    );
    check("pre-start\nexec c\n", r#"<error>[] exec["c"] E0001@1"#);
}

#[test]
fn an_unclosed_parenthesis_is_one_error_not_one_per_line() {
    check(
        "start on (a\nexec b KEY=c d\nenv X=y z\n",
        "<error>[] E0017@4",
    );
    let parsed = parse(FileId(0), "start on x and (a\nexec b\n");
    let open = parsed.diagnostics.first().and_then(|d| d.secondary.first());
    assert_eq!(open.map(|l| l.span.start), Some(15));
}

#[test]
fn every_error_in_a_file_is_reported() {
    check(
        "nice\nfoo\nexpect\ntask\n",
        "<error>[] <error>[] <error>[] task[] E0001@1 E0006@2 E0001@3",
    );
}

#[test]
fn keywords_cannot_be_quoted() {
    check("\"exec\" foo\n", "<error>[] E0006@1");
    check("start \"on\" x\n", "<error>[] E0006@1");
}

#[test]
fn warnings_from_the_tokenizer() {
    check("exec echo \\$HOME\n", r#"exec["echo\\\\$HOME"] W0002@1"#);
    check(
        "script\n    cat <<EOF\n\n    b\n    EOF\nend script\n",
        r#"script["    cat <<EOF\n\n    b\n    EOF\n"] W0003@3"#,
    );
    check(
        "script\n    a\n\n    b\nend script\n",
        r#"script["    a\n\n    b\n"]"#,
    );
}

#[test]
fn a_blank_before_a_multibyte_escape_gets_a_valid_span() {
    let text = "exec a \\é\n";
    let parsed = parse(FileId(0), text);
    let d = parsed.diagnostics.first().map(|d| d.primary.span);
    assert!(
        d.is_some_and(|s| text.is_char_boundary(s.end as usize)),
        "{d:?}"
    );
}

#[test]
fn crlf_files_parse() {
    check(
        "exec foo\r\nscript\r\n  echo\r\nend script\r\n",
        r#"exec["foo"] script["echo\r\n"]"#,
    );
}

#[test]
fn a_very_long_operator_chain_is_handled_without_recursion() {
    let events: Vec<String> = (0..50_000).map(|i| format!("e{i}")).collect();
    let text = format!("start on {}\n", events.join(" or "));
    let parsed = parse(FileId(0), &text);
    assert!(parsed.diagnostics.is_empty());
    let Some(StanzaKind::StartOn(expr)) = parsed.ast.stanzas.first().map(|s| &s.kind) else {
        panic!("no start on");
    };
    let copy = expr.clone();
    assert!(copy == *expr);
    assert_eq!(expr.matches().len(), 50_000);
    assert!(expr.canonical().starts_with("((((("));
    assert_eq!(expr.span().end as usize, text.len() - 1);
}
