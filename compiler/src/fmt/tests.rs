use super::*;

/// Formats `input`, expects `expected`, and that formatting again changes
/// nothing.
#[track_caller]
fn check(input: &str, expected: &str) {
    let once = format(input).unwrap_or_else(|e| panic!("not formatted: {e:?}"));
    assert_eq!(once, expected, "formatting {input:?}");
    let twice = format(&once).unwrap_or_else(|e| panic!("output not formatted: {e:?}"));
    assert_eq!(twice, once, "formatting is not idempotent on {input:?}");
}

#[test]
fn blanks_between_words_become_one_space_and_indentation_goes() {
    check(
        "  start   on\tstartup\n    respawn   limit 10   5  \n",
        "start on startup\nrespawn limit 10 5\n",
    );
}

#[test]
fn quoted_values_and_command_lines_are_copied_byte_for_byte() {
    check(
        "description   \"a   b\"\nexec  /bin/foo  -x   'y   z'   \n",
        "description \"a   b\"\nexec /bin/foo  -x   'y   z'\n",
    );
}

#[test]
fn script_bodies_are_untouched_and_end_script_is_normalised() {
    check(
        "script\n    echo  a   \n\n\tb=\"c\"  # not a comment to us\n   end   script   # done  \n",
        "script\n    echo  a   \n\n\tb=\"c\"  # not a comment to us\nend script # done\n",
    );
}

#[test]
fn hook_scripts_keep_their_keywords_and_an_empty_block_stays_empty() {
    check(
        "pre-start   script\nend script\npost-stop exec  /bin/true\n",
        "pre-start script\nend script\npost-stop exec /bin/true\n",
    );
}

#[test]
fn comments_are_kept_and_lose_only_their_indentation_and_trailing_blanks() {
    check(
        "# header   \n\n\n   # indented\ntask    # why  \n\n\n\n# tail\n\n",
        "# header\n\n# indented\ntask # why\n\n# tail\n",
    );
}

#[test]
fn blank_lines_at_the_start_and_end_go() {
    check("\n\n\ntask\n\n\n", "task\n");
    check("", "");
    check("\n \n", "");
}

#[test]
fn the_last_line_gets_its_newline() {
    check("task", "task\n");
    check("script\necho\nend script", "script\necho\nend script\n");
}

#[test]
fn parentheses_hug_their_contents() {
    check(
        "start on (  a   and ( b or c ) )\n",
        "start on (a and (b or c))\n",
    );
}

#[test]
fn lines_inside_parentheses_are_aligned_under_the_open_parenthesis() {
    check(
        "start on (local-filesystems\n  and net-device-up IFACE!=lo)\n",
        "start on (local-filesystems\n          and net-device-up IFACE!=lo)\n",
    );
    check(
        "start on (a and   (b\n or c))\n",
        "start on (a and (b\n                 or c))\n",
    );
}

#[test]
fn a_comment_inside_parentheses_stays_on_its_line() {
    check(
        "start on (a   # first\n and b)\n",
        "start on (a # first\n          and b)\n",
    );
}

#[test]
fn continuations_are_kept_with_a_hanging_indent() {
    check(
        "emits a \\\n        b\nstart on a \\\n or b\n",
        "emits a \\\n    b\nstart on a \\\n    or b\n",
    );
}

#[test]
fn manual_and_the_stanza_after_it_on_one_line_stay_together() {
    check("manual    task\n", "manual task\n");
    check("debug # on\nmanual\n", "debug # on\nmanual\n");
}

#[test]
fn crlf_line_ends_become_lf_outside_scripts() {
    check(
        "task\r\nscript\r\necho\r\nend script\r\n",
        "task\nscript\necho\r\nend script\n",
    );
}

#[test]
fn a_file_with_syntax_errors_is_refused() {
    match format("start on (a\n") {
        Err(FmtError::Syntax(d)) => assert!(!d.is_empty()),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(matches!(format("wibble\n"), Err(FmtError::Syntax(_))));
}

#[test]
fn sema_errors_do_not_stop_formatting() {
    check("nice   99\n", "nice 99\n");
}

#[test]
fn a_comment_ending_in_a_backslash_keeps_its_blanks() {
    // Trimming the blank after `\` would make the next line part of the
    // comment.
    check("# a \\ \ntask\n", "# a \\ \ntask\n");
}

#[test]
fn meaning_is_compared_without_positions() {
    let text = "start on a and b\nexec /bin/x\nenv A=1\nemits e\n";
    let moved = "\n\nstart on a   and b\n\n\nexec /bin/x\nenv A=1\nemits e\n";
    let parsed = syntax::parse(FileId(0), text);
    assert!(same_meaning(text, &parsed, moved));
    assert!(!same_meaning(
        text,
        &parsed,
        "start on a or b\nexec /bin/x\n"
    ));
}
