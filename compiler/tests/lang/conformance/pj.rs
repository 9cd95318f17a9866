//! Section 2 of test-inventory.md: every `PJ-*` case (306), one table-driven
//! test per feature. Inputs are copied verbatim from the inventory (see
//! `harness::c` for the notation); for the four upstream tests with the
//! buffer bug the intended input is used.

use upc::diag::Code;

use super::harness::*;

/// §2.1 General / override mode (parse_job)
#[test]
fn pj_general() {
    let mut s = Suite::new("PJ §2.1 General / override mode (parse_job)", Some(4)); // PJ-GEN-03 is two rows
                                                                                    // Upstream also asserts the parse ends on line 5 (not observable on a JobClass).
    s.accepts(
        "PJ-GEN-01",
        r#"exec /sbin/daemon -d\npre-start script\n    rm /var/lock/daemon\nend script\n"#,
        &[
            ("main", exec(r#"/sbin/daemon -d"#)),
            ("pre-start", script(r#"rm /var/lock/daemon\n"#)),
        ],
    );
    // No process at all is valid; `description` is listed because every
    // property not listed must be at its default.
    s.accepts(
        "PJ-GEN-02",
        r#"description state\n"#,
        &[("main", none()), ("description", val("state"))],
    );
    // Override mode: upstream parses the first text, then the same buffer with
    // three more lines into the same class. For `upc` that is a `.conf`
    // (the first text) plus an `.override` (the second buffer), lowered
    // together; the first pass is checked on its own as 03a.
    let first = r#"start on starting\nauthor "me"\n"#;
    let second =
        r#"start on starting\nauthor "me"\nauthor "you"\nmanual\ndescription "my description"\n"#;
    s.accepts_files(
        "PJ-GEN-03a",
        &[("test.conf", first)],
        &[],
        &[("author", val("me")), ("start on", val("starting"))],
    );
    s.accepts_files(
        "PJ-GEN-03b",
        &[("test.conf", first), ("test.override", second)],
        &[],
        &[
            ("author", val("you")),
            ("start on", none()),
            ("description", val("my description")),
        ],
    );
    s.finish();
}

/// §2.2 `exec`
#[test]
fn pj_exec() {
    let mut s = Suite::new("PJ §2.2 exec", Some(4));
    s.accepts(
        "PJ-EXEC-01",
        r#"exec /sbin/daemon -d "foo"\n"#,
        &[("main", exec(r#"/sbin/daemon -d "foo""#))],
    );
    // Upstream also asserts the parse ends on line 3 (not observable on a JobClass).
    s.accepts(
        "PJ-EXEC-02",
        r#"exec /sbin/daemon -d\nexec /sbin/daemon -d "foo"\n"#,
        &[("main", exec(r#"/sbin/daemon -d "foo""#))],
    );
    // Upstream also asserts the parse ends on line 5 (not observable on a JobClass).
    s.accepts(
        "PJ-EXEC-03",
        r#"script\n    echo\nend script\nexec /sbin/daemon -d "foo"\n"#,
        &[("main", exec(r#"/sbin/daemon -d "foo""#))],
    );
    s.rejects("PJ-EXEC-04", r#"exec\n"#, Code::ExpectedToken, 1, 4);
    s.finish();
}

/// §2.3 `script`
#[test]
fn pj_script() {
    let mut s = Suite::new("PJ §2.3 script", Some(4));
    s.accepts(
        "PJ-SCRIPT-01",
        r#"script\n    echo\nend script\n"#,
        &[("main", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-SCRIPT-02",
        r#"script\n    ls\nend script\nscript\n    echo\nend script\n"#,
        &[("main", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-SCRIPT-03",
        r#"exec /sbin/daemon -d "foo"\nscript\n    echo\nend script\n"#,
        &[("main", script(r#"echo\n"#))],
    );
    s.rejects(
        "PJ-SCRIPT-04",
        r#"script foo\n"#,
        Code::UnexpectedToken,
        1,
        7,
    );
    s.finish();
}

/// §2.4 `apparmor`
#[test]
fn pj_apparmor() {
    let mut s = Suite::new("PJ §2.4 apparmor", Some(10));
    s.accepts(
        "PJ-AA-01",
        r#"apparmor load /etc/apparmor.d/usr.sbin.cupsd\n"#,
        &[(
            "security",
            exec(r#"/sbin/apparmor_parser -r -W /etc/apparmor.d/usr.sbin.cupsd"#),
        )],
    );
    s.accepts("PJ-AA-02", r#"apparmor load /etc/apparmor.d/usr.sbin.rsyslogd\napparmor load /etc/apparmor.d/usr.sbin.cupsd\n"#, &[("security", exec(r#"/sbin/apparmor_parser -r -W /etc/apparmor.d/usr.sbin.cupsd"#))]);
    s.rejects("PJ-AA-03", r#"apparmor load\n"#, Code::ExpectedToken, 1, 13);
    s.rejects(
        "PJ-AA-04",
        r#"apparmor load /etc/apparmor.d/usr.sbin.cupsd extra\n"#,
        Code::UnexpectedToken,
        1,
        45,
    );
    s.rejects("PJ-AA-05", r#"apparmor foo\n"#, Code::UnknownStanza, 1, 9);
    s.rejects("PJ-AA-06", r#"apparmor\n"#, Code::ExpectedToken, 1, 8);
    s.accepts(
        "PJ-AA-07",
        r#"apparmor switch /usr/sbin/cupsd\n"#,
        &[("apparmor_switch", val(r#"/usr/sbin/cupsd"#))],
    );
    s.accepts(
        "PJ-AA-08",
        r#"apparmor switch /usr/sbin/rsyslogd\napparmor switch /usr/sbin/cupsd\n"#,
        &[("apparmor_switch", val(r#"/usr/sbin/cupsd"#))],
    );
    s.rejects(
        "PJ-AA-09",
        r#"apparmor switch\n"#,
        Code::ExpectedToken,
        1,
        15,
    );
    s.rejects(
        "PJ-AA-10",
        r#"apparmor switch /usr/sbin/cupsd extra\n"#,
        Code::UnexpectedToken,
        1,
        32,
    );
    s.finish();
}

/// §2.5 `pre-start`
#[test]
fn pj_pre_start() {
    let mut s = Suite::new("PJ §2.5 pre-start", Some(10));
    s.accepts(
        "PJ-PRESTART-01",
        r#"pre-start exec /bin/tool -d "foo"\n"#,
        &[("pre-start", exec(r#"/bin/tool -d "foo""#))],
    );
    s.accepts(
        "PJ-PRESTART-02",
        r#"pre-start exec /bin/tool -d\npre-start exec /bin/tool -d "foo"\n"#,
        &[("pre-start", exec(r#"/bin/tool -d "foo""#))],
    );
    s.accepts(
        "PJ-PRESTART-03",
        r#"pre-start script\n    echo\nend script\n"#,
        &[("pre-start", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-PRESTART-04",
        r#"pre-start script\n    ls\nend script\npre-start script\n    echo\nend script\n"#,
        &[("pre-start", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-PRESTART-05",
        r#"pre-start exec /bin/tool -d "foo"\npre-start script\n    echo\nend script\n"#,
        &[("pre-start", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-PRESTART-06",
        r#"pre-start script\n    echo\nend script\npre-start exec /bin/tool -d "foo"\n"#,
        &[("pre-start", exec(r#"/bin/tool -d "foo""#))],
    );
    s.rejects(
        "PJ-PRESTART-07",
        r#"pre-start exec\n"#,
        Code::ExpectedToken,
        1,
        14,
    );
    s.rejects(
        "PJ-PRESTART-08",
        r#"pre-start script foo\n"#,
        Code::UnexpectedToken,
        1,
        17,
    );
    s.rejects(
        "PJ-PRESTART-09",
        r#"pre-start foo\n"#,
        Code::UnknownStanza,
        1,
        10,
    );
    s.rejects(
        "PJ-PRESTART-10",
        r#"pre-start\n"#,
        Code::ExpectedToken,
        1,
        9,
    );
    s.finish();
}

/// §2.6 `post-start`
#[test]
fn pj_post_start() {
    let mut s = Suite::new("PJ §2.6 post-start", Some(10));
    s.accepts(
        "PJ-POSTSTART-01",
        r#"post-start exec /bin/tool -d "foo"\n"#,
        &[("post-start", exec(r#"/bin/tool -d "foo""#))],
    );
    s.accepts(
        "PJ-POSTSTART-02",
        r#"post-start exec /bin/tool -d\npost-start exec /bin/tool -d "foo"\n"#,
        &[("post-start", exec(r#"/bin/tool -d "foo""#))],
    );
    s.accepts(
        "PJ-POSTSTART-03",
        r#"post-start script\n    echo\nend script\n"#,
        &[("post-start", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-POSTSTART-04",
        r#"post-start script\n    ls\nend script\npost-start script\n    echo\nend script\n"#,
        &[("post-start", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-POSTSTART-05",
        r#"post-start exec /bin/tool -d "foo"\npost-start script\n    echo\nend script\n"#,
        &[("post-start", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-POSTSTART-06",
        r#"post-start script\n    echo\nend script\npost-start exec /bin/tool -d "foo"\n"#,
        &[("post-start", exec(r#"/bin/tool -d "foo""#))],
    );
    s.rejects(
        "PJ-POSTSTART-07",
        r#"post-start exec\n"#,
        Code::ExpectedToken,
        1,
        15,
    );
    s.rejects(
        "PJ-POSTSTART-08",
        r#"post-start script foo\n"#,
        Code::UnexpectedToken,
        1,
        18,
    );
    s.rejects(
        "PJ-POSTSTART-09",
        r#"post-start foo\n"#,
        Code::UnknownStanza,
        1,
        11,
    );
    s.rejects(
        "PJ-POSTSTART-10",
        r#"post-start\n"#,
        Code::ExpectedToken,
        1,
        10,
    );
    s.finish();
}

/// §2.7 `pre-stop`
#[test]
fn pj_pre_stop() {
    let mut s = Suite::new("PJ §2.7 pre-stop", Some(10));
    s.accepts(
        "PJ-PRESTOP-01",
        r#"pre-stop exec /bin/tool -d "foo"\n"#,
        &[("pre-stop", exec(r#"/bin/tool -d "foo""#))],
    );
    s.accepts(
        "PJ-PRESTOP-02",
        r#"pre-stop exec /bin/tool -d\npre-stop exec /bin/tool -d "foo"\n"#,
        &[("pre-stop", exec(r#"/bin/tool -d "foo""#))],
    );
    s.accepts(
        "PJ-PRESTOP-03",
        r#"pre-stop script\n    echo\nend script\n"#,
        &[("pre-stop", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-PRESTOP-04",
        r#"pre-stop script\n    ls\nend script\npre-stop script\n    echo\nend script\n"#,
        &[("pre-stop", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-PRESTOP-05",
        r#"pre-stop exec /bin/tool -d "foo"\npre-stop script\n    echo\nend script\n"#,
        &[("pre-stop", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-PRESTOP-06",
        r#"pre-stop script\n    echo\nend script\npre-stop exec /bin/tool -d "foo"\n"#,
        &[("pre-stop", exec(r#"/bin/tool -d "foo""#))],
    );
    s.rejects(
        "PJ-PRESTOP-07",
        r#"pre-stop exec\n"#,
        Code::ExpectedToken,
        1,
        13,
    );
    s.rejects(
        "PJ-PRESTOP-08",
        r#"pre-stop script foo\n"#,
        Code::UnexpectedToken,
        1,
        16,
    );
    s.rejects(
        "PJ-PRESTOP-09",
        r#"pre-stop foo\n"#,
        Code::UnknownStanza,
        1,
        9,
    );
    s.rejects("PJ-PRESTOP-10", r#"pre-stop\n"#, Code::ExpectedToken, 1, 8);
    s.finish();
}

/// §2.8 `post-stop`
#[test]
fn pj_post_stop() {
    let mut s = Suite::new("PJ §2.8 post-stop", Some(10));
    s.accepts(
        "PJ-POSTSTOP-01",
        r#"post-stop exec /bin/tool -d "foo"\n"#,
        &[("post-stop", exec(r#"/bin/tool -d "foo""#))],
    );
    s.accepts(
        "PJ-POSTSTOP-02",
        r#"post-stop exec /bin/tool -d\npost-stop exec /bin/tool -d "foo"\n"#,
        &[("post-stop", exec(r#"/bin/tool -d "foo""#))],
    );
    s.accepts(
        "PJ-POSTSTOP-03",
        r#"post-stop script\n    echo\nend script\n"#,
        &[("post-stop", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-POSTSTOP-04",
        r#"post-stop script\n    ls\nend script\npost-stop script\n    echo\nend script\n"#,
        &[("post-stop", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-POSTSTOP-05",
        r#"post-stop exec /bin/tool -d "foo"\npost-stop script\n    echo\nend script\n"#,
        &[("post-stop", script(r#"echo\n"#))],
    );
    s.accepts(
        "PJ-POSTSTOP-06",
        r#"post-stop script\n    echo\nend script\npost-stop exec /bin/tool -d "foo"\n"#,
        &[("post-stop", exec(r#"/bin/tool -d "foo""#))],
    );
    s.rejects(
        "PJ-POSTSTOP-07",
        r#"post-stop exec\n"#,
        Code::ExpectedToken,
        1,
        14,
    );
    s.rejects(
        "PJ-POSTSTOP-08",
        r#"post-stop script foo\n"#,
        Code::UnexpectedToken,
        1,
        17,
    );
    s.rejects(
        "PJ-POSTSTOP-09",
        r#"post-stop foo\n"#,
        Code::UnknownStanza,
        1,
        10,
    );
    s.rejects(
        "PJ-POSTSTOP-10",
        r#"post-stop\n"#,
        Code::ExpectedToken,
        1,
        9,
    );
    s.finish();
}

/// §2.9 `start on`
#[test]
fn pj_start_on() {
    let mut s = Suite::new("PJ §2.9 start on", Some(22));
    s.accepts(
        "PJ-START-01",
        r#"start on wibble\n"#,
        &[("start on", val("wibble"))],
    );
    s.accepts(
        "PJ-START-02",
        r#"start on wibble foo bar b?z*\n"#,
        &[("start on", val("wibble[foo, bar, b?z*]"))],
    );
    s.accepts(
        "PJ-START-03",
        r#"start on wibble foo bar KEY=b?z* "FRODO=foo bar" BILBO="foo bar"\n"#,
        &[(
            "start on",
            val("wibble[foo, bar, KEY=b?z*, FRODO=foo bar, BILBO=foo bar]"),
        )],
    );
    s.accepts(
        "PJ-START-04",
        r#"start on wibble or wobble\n"#,
        &[("start on", val("OR(wibble, wobble)"))],
    );
    s.accepts(
        "PJ-START-05",
        r#"start on wibble foo bar and wobble frodo bilbo\n"#,
        &[(
            "start on",
            val("AND(wibble[foo, bar], wobble[frodo, bilbo])"),
        )],
    );
    s.accepts(
        "PJ-START-06",
        r#"start on wibble or wobble or wiggle\n"#,
        &[("start on", val("OR(OR(wibble, wobble), wiggle)"))],
    );
    s.accepts(
        "PJ-START-07",
        r#"start on wibble or (wobble or wiggle)\n"#,
        &[("start on", val("OR(wibble, OR(wobble, wiggle))"))],
    );
    // Upstream also asserts the parse ends on line 3 (not observable on a JobClass).
    s.accepts(
        "PJ-START-08",
        r#"start on (wibble\n          or (wobble or wiggle))\n"#,
        &[("start on", val("OR(wibble, OR(wobble, wiggle))"))],
    );
    s.accepts(
        "PJ-START-09",
        r#"start on wibble or wiggle\nstart on wobble and wave\nstart on waggle\n"#,
        &[("start on", val("waggle"))],
    );
    s.rejects("PJ-START-10", r#"start\n"#, Code::ExpectedToken, 1, 5);
    s.rejects("PJ-START-11", r#"start foo\n"#, Code::UnknownStanza, 1, 6);
    s.rejects("PJ-START-12", r#"start on\n"#, Code::ExpectedToken, 1, 8);
    s.rejects(
        "PJ-START-13",
        r#"start on or foo\n"#,
        Code::ExpectedEvent,
        1,
        9,
    );
    s.rejects(
        "PJ-START-14",
        r#"start on foo or\n"#,
        Code::ExpectedEvent,
        1,
        13,
    );
    s.rejects(
        "PJ-START-15",
        r#"start on foo or and bar\n"#,
        Code::ExpectedEvent,
        1,
        16,
    );
    s.rejects(
        "PJ-START-16",
        r#"start on foo or (or foo)\n"#,
        Code::ExpectedEvent,
        1,
        17,
    );
    s.rejects(
        "PJ-START-17",
        r#"start on foo or (bar or)\n"#,
        Code::ExpectedEvent,
        1,
        23,
    );
    s.rejects(
        "PJ-START-18",
        r#"start on foo or bar or foo)\n"#,
        Code::MismatchedParens,
        1,
        26,
    );
    s.rejects(
        "PJ-START-19",
        r#"start on foo or (bar or foo\n"#,
        Code::MismatchedParens,
        2,
        28,
    );
    s.rejects(
        "PJ-START-20",
        r#"start on frodo (foo or bar)\n"#,
        Code::ExpectedOperator,
        1,
        15,
    );
    s.rejects(
        "PJ-START-21",
        r#"start on (foo or bar) frodo\n"#,
        Code::ExpectedOperator,
        1,
        22,
    );
    s.rejects(
        "PJ-START-22",
        r#"start on wibble foo KEY=bar baz\n"#,
        Code::ExpectedVariable,
        1,
        31,
    );
    s.finish();
}

/// §2.10 `manual`
#[test]
fn pj_manual() {
    let mut s = Suite::new("PJ §2.10 manual", Some(2));
    // Upstream also asserts the parse ends on line 3 (not observable on a JobClass).
    s.accepts(
        "PJ-MANUAL-01",
        r#"manual\nstart on wibble\n"#,
        &[("start on", val("wibble"))],
    );
    s.accepts(
        "PJ-MANUAL-02",
        r#"start on wibble\nmanual\n"#,
        &[("start on", none())],
    );
    s.finish();
}

/// §2.11 `stop on`
#[test]
fn pj_stop_on() {
    let mut s = Suite::new("PJ §2.11 stop on", Some(22));
    s.accepts(
        "PJ-STOP-01",
        r#"stop on wibble\n"#,
        &[("stop on", val("wibble"))],
    );
    s.accepts(
        "PJ-STOP-02",
        r#"stop on wibble foo bar b?z*\n"#,
        &[("stop on", val("wibble[foo, bar, b?z*]"))],
    );
    s.accepts(
        "PJ-STOP-03",
        r#"stop on wibble foo bar KEY=b?z* "FRODO=foo bar" BILBO="foo bar"\n"#,
        &[(
            "stop on",
            val("wibble[foo, bar, KEY=b?z*, FRODO=foo bar, BILBO=foo bar]"),
        )],
    );
    s.accepts(
        "PJ-STOP-04",
        r#"stop on wibble or wobble\n"#,
        &[("stop on", val("OR(wibble, wobble)"))],
    );
    s.accepts(
        "PJ-STOP-05",
        r#"stop on wibble foo bar and wobble frodo bilbo\n"#,
        &[(
            "stop on",
            val("AND(wibble[foo, bar], wobble[frodo, bilbo])"),
        )],
    );
    s.accepts(
        "PJ-STOP-06",
        r#"stop on wibble or wobble or wiggle\n"#,
        &[("stop on", val("OR(OR(wibble, wobble), wiggle)"))],
    );
    s.accepts(
        "PJ-STOP-07",
        r#"stop on wibble or (wobble or wiggle)\n"#,
        &[("stop on", val("OR(wibble, OR(wobble, wiggle))"))],
    );
    // Upstream also asserts the parse ends on line 3 (not observable on a JobClass).
    s.accepts(
        "PJ-STOP-08",
        r#"stop on (wibble\n          or (wobble or wiggle))\n"#,
        &[("stop on", val("OR(wibble, OR(wobble, wiggle))"))],
    );
    s.accepts(
        "PJ-STOP-09",
        r#"stop on wibble or wiggle\nstop on wobble and wave\nstop on waggle\n"#,
        &[("stop on", val("waggle"))],
    );
    s.rejects("PJ-STOP-10", r#"stop\n"#, Code::ExpectedToken, 1, 4);
    s.rejects("PJ-STOP-11", r#"stop foo\n"#, Code::UnknownStanza, 1, 5);
    s.rejects("PJ-STOP-12", r#"stop on\n"#, Code::ExpectedToken, 1, 7);
    s.rejects(
        "PJ-STOP-13",
        r#"stop on or foo\n"#,
        Code::ExpectedEvent,
        1,
        8,
    );
    s.rejects(
        "PJ-STOP-14",
        r#"stop on foo or\n"#,
        Code::ExpectedEvent,
        1,
        12,
    );
    s.rejects(
        "PJ-STOP-15",
        r#"stop on foo or and bar\n"#,
        Code::ExpectedEvent,
        1,
        15,
    );
    s.rejects(
        "PJ-STOP-16",
        r#"stop on foo or (or foo)\n"#,
        Code::ExpectedEvent,
        1,
        16,
    );
    s.rejects(
        "PJ-STOP-17",
        r#"stop on foo or (bar or)\n"#,
        Code::ExpectedEvent,
        1,
        22,
    );
    s.rejects(
        "PJ-STOP-18",
        r#"stop on foo or bar or foo)\n"#,
        Code::MismatchedParens,
        1,
        25,
    );
    s.rejects(
        "PJ-STOP-19",
        r#"stop on foo or (bar or foo\n"#,
        Code::MismatchedParens,
        2,
        27,
    );
    s.rejects(
        "PJ-STOP-20",
        r#"stop on frodo (foo or bar)\n"#,
        Code::ExpectedOperator,
        1,
        14,
    );
    s.rejects(
        "PJ-STOP-21",
        r#"stop on (foo or bar) frodo\n"#,
        Code::ExpectedOperator,
        1,
        21,
    );
    s.rejects(
        "PJ-STOP-22",
        r#"stop on wibble foo KEY=bar baz\n"#,
        Code::ExpectedVariable,
        1,
        30,
    );
    s.finish();
}

/// §2.12 `description`
#[test]
fn pj_description() {
    let mut s = Suite::new("PJ §2.12 description", Some(4));
    s.accepts(
        "PJ-DESC-01",
        r#"description "a test job"\n"#,
        &[("description", val(r#"a test job"#))],
    );
    s.accepts(
        "PJ-DESC-02",
        r#"description "an example job"\ndescription "a test job"\n"#,
        &[("description", val(r#"a test job"#))],
    );
    s.rejects("PJ-DESC-03", r#"description\n"#, Code::ExpectedToken, 1, 11);
    s.rejects(
        "PJ-DESC-04",
        r#"description "a test job" "ya ya"\n"#,
        Code::UnexpectedToken,
        1,
        25,
    );
    s.finish();
}

/// §2.13 `author`
#[test]
fn pj_author() {
    let mut s = Suite::new("PJ §2.13 author", Some(4));
    s.accepts(
        "PJ-AUTHOR-01",
        r#"author "joe bloggs"\n"#,
        &[("author", val(r#"joe bloggs"#))],
    );
    s.accepts(
        "PJ-AUTHOR-02",
        r#"author "john doe"\nauthor "joe bloggs"\n"#,
        &[("author", val(r#"joe bloggs"#))],
    );
    s.rejects("PJ-AUTHOR-03", r#"author\n"#, Code::ExpectedToken, 1, 6);
    s.rejects(
        "PJ-AUTHOR-04",
        r#"author "joe bloggs" "john doe"\n"#,
        Code::UnexpectedToken,
        1,
        20,
    );
    s.finish();
}

/// §2.14 `version`
#[test]
fn pj_version() {
    let mut s = Suite::new("PJ §2.14 version", Some(4));
    s.accepts(
        "PJ-VERSION-01",
        r#"version "1.0"\n"#,
        &[("version", val(r#"1.0"#))],
    );
    s.accepts(
        "PJ-VERSION-02",
        r#"version "0.8"\nversion "1.0"\n"#,
        &[("version", val(r#"1.0"#))],
    );
    s.rejects("PJ-VERSION-03", r#"version\n"#, Code::ExpectedToken, 1, 7);
    s.rejects(
        "PJ-VERSION-04",
        r#"version "1.0" "0.8"\n"#,
        Code::UnexpectedToken,
        1,
        14,
    );
    s.finish();
}

/// §2.15 `emits`
#[test]
fn pj_emits() {
    let mut s = Suite::new("PJ §2.15 emits", Some(4));
    s.accepts(
        "PJ-EMITS-01",
        r#"emits wibble\n"#,
        &[("emits", list(&[r#"wibble"#]))],
    );
    s.accepts(
        "PJ-EMITS-02",
        r#"emits wibble wobble waggle\n"#,
        &[("emits", list(&[r#"wibble"#, r#"wobble"#, r#"waggle"#]))],
    );
    s.accepts(
        "PJ-EMITS-03",
        r#"emits wibble\nemits wobble waggle\nemits wuggle\n"#,
        &[(
            "emits",
            list(&[r#"wibble"#, r#"wobble"#, r#"waggle"#, r#"wuggle"#]),
        )],
    );
    s.rejects("PJ-EMITS-04", r#"emits\n"#, Code::ExpectedToken, 1, 5);
    s.finish();
}

/// §2.16 `expect`
#[test]
fn pj_expect() {
    let mut s = Suite::new("PJ §2.16 expect", Some(8));
    s.accepts(
        "PJ-EXPECT-01",
        r#"expect stop\n"#,
        &[("expect", val("Stop"))],
    );
    s.accepts(
        "PJ-EXPECT-02",
        r#"expect daemon\n"#,
        &[("expect", val("Daemon"))],
    );
    s.accepts(
        "PJ-EXPECT-03",
        r#"expect fork\n"#,
        &[("expect", val("Fork"))],
    );
    s.accepts(
        "PJ-EXPECT-04",
        r#"expect none\n"#,
        &[("expect", val("None"))],
    );
    s.accepts(
        "PJ-EXPECT-05",
        r#"expect stop\nexpect none\n"#,
        &[("expect", val("None"))],
    );
    s.rejects("PJ-EXPECT-06", r#"expect\n"#, Code::ExpectedToken, 1, 6);
    s.rejects("PJ-EXPECT-07", r#"expect foo\n"#, Code::UnknownStanza, 1, 7);
    s.rejects(
        "PJ-EXPECT-08",
        r#"expect daemon foo\n"#,
        Code::UnexpectedToken,
        1,
        14,
    );
    s.finish();
}

/// §2.17 `respawn` / `respawn limit`
#[test]
fn pj_respawn() {
    let mut s = Suite::new("PJ §2.17 respawn / respawn limit", Some(17));
    s.accepts("PJ-RESPAWN-01", r#"respawn\n"#, &[("respawn", val("true"))]);
    s.accepts(
        "PJ-RESPAWN-02",
        r#"respawn\nrespawn\n"#,
        &[("respawn", val("true"))],
    );
    s.accepts(
        "PJ-RESPAWN-03",
        r#"respawn limit 10 120\n"#,
        &[("respawn_limit", num(10)), ("respawn_interval", num(120))],
    );
    s.accepts(
        "PJ-RESPAWN-04",
        r#"respawn limit unlimited\n"#,
        &[("respawn_limit", num(0)), ("respawn_interval", num(0))],
    );
    s.accepts(
        "PJ-RESPAWN-05",
        r#"respawn limit 5 60\nrespawn limit 10 120\n"#,
        &[("respawn_limit", num(10)), ("respawn_interval", num(120))],
    );
    s.rejects(
        "PJ-RESPAWN-06",
        r#"respawn limit 10\n"#,
        Code::ExpectedToken,
        1,
        16,
    );
    s.rejects(
        "PJ-RESPAWN-07",
        r#"respawn limit\n"#,
        Code::ExpectedToken,
        1,
        13,
    );
    s.rejects(
        "PJ-RESPAWN-08",
        r#"respawn limit 10 foo\n"#,
        Code::IllegalInterval,
        1,
        17,
    );
    s.rejects(
        "PJ-RESPAWN-09",
        r#"respawn limit 10 10000000000000000000\n"#,
        Code::IllegalInterval,
        1,
        17,
    );
    s.rejects(
        "PJ-RESPAWN-10",
        r#"respawn limit foo 120\n"#,
        Code::IllegalLimit,
        1,
        14,
    );
    s.rejects(
        "PJ-RESPAWN-11",
        r#"respawn limit 10000000000000000000 120\n"#,
        Code::IllegalLimit,
        1,
        14,
    );
    s.rejects(
        "PJ-RESPAWN-12",
        r#"respawn limit 10 99foo\n"#,
        Code::IllegalInterval,
        1,
        17,
    );
    s.rejects(
        "PJ-RESPAWN-13",
        r#"respawn limit 99foo 120\n"#,
        Code::IllegalLimit,
        1,
        14,
    );
    s.rejects(
        "PJ-RESPAWN-14",
        r#"respawn limit 10 -1\n"#,
        Code::IllegalInterval,
        1,
        17,
    );
    s.rejects(
        "PJ-RESPAWN-15",
        r#"respawn limit -1 120\n"#,
        Code::IllegalLimit,
        1,
        14,
    );
    s.rejects(
        "PJ-RESPAWN-16",
        r#"respawn limit 0 1 foo\n"#,
        Code::UnexpectedToken,
        1,
        18,
    );
    s.rejects(
        "PJ-RESPAWN-17",
        r#"respawn foo\n"#,
        Code::UnknownStanza,
        1,
        8,
    );
    s.finish();
}

/// §2.18 `task`
#[test]
fn pj_task() {
    let mut s = Suite::new("PJ §2.18 task", Some(3));
    s.accepts("PJ-TASK-01", r#"task\n"#, &[("task", val("true"))]);
    s.accepts("PJ-TASK-02", r#"task\ntask\n"#, &[("task", val("true"))]);
    s.rejects("PJ-TASK-03", r#"task foo\n"#, Code::UnexpectedToken, 1, 5);
    s.finish();
}

/// §2.19 `instance`
#[test]
fn pj_instance() {
    let mut s = Suite::new("PJ §2.19 instance", Some(4));
    s.accepts(
        "PJ-INSTANCE-01",
        r#"instance $FOO\n"#,
        &[("instance", val(r#"$FOO"#))],
    );
    s.accepts(
        "PJ-INSTANCE-02",
        r#"instance $FOO\ninstance $BAR\n"#,
        &[("instance", val(r#"$BAR"#))],
    );
    s.rejects(
        "PJ-INSTANCE-03",
        r#"instance $FOO foo\n"#,
        Code::UnexpectedToken,
        1,
        14,
    );
    s.rejects("PJ-INSTANCE-04", r#"instance\n"#, Code::ExpectedToken, 1, 8);
    s.finish();
}

/// §2.20 `kill timeout` / `kill signal`
#[test]
fn pj_kill() {
    let mut s = Suite::new("PJ §2.20 kill timeout / kill signal", Some(16));
    s.accepts(
        "PJ-KILL-01",
        r#"kill timeout 10\n"#,
        &[("kill_timeout", num(10))],
    );
    s.accepts(
        "PJ-KILL-02",
        r#"kill signal INT\n"#,
        &[("kill_signal", num(2))],
    );
    s.accepts(
        "PJ-KILL-03",
        r#"kill signal 30\n"#,
        &[("kill_signal", num(30))],
    );
    s.accepts(
        "PJ-KILL-04",
        r#"kill timeout 5\nkill timeout 10\n"#,
        &[("kill_timeout", num(10))],
    );
    s.accepts(
        "PJ-KILL-05",
        r#"kill signal INT\nkill signal TERM\n"#,
        &[("kill_signal", num(15))],
    );
    s.rejects("PJ-KILL-06", r#"kill\n"#, Code::ExpectedToken, 1, 4);
    s.rejects("PJ-KILL-07", r#"kill foo\n"#, Code::UnknownStanza, 1, 5);
    s.rejects(
        "PJ-KILL-08",
        r#"kill timeout\n"#,
        Code::ExpectedToken,
        1,
        12,
    );
    s.rejects("PJ-KILL-09", r#"kill signal\n"#, Code::ExpectedToken, 1, 11);
    s.rejects(
        "PJ-KILL-10",
        r#"kill timeout foo\n"#,
        Code::IllegalInterval,
        1,
        13,
    );
    s.rejects(
        "PJ-KILL-11",
        r#"kill timeout 10000000000000000000\n"#,
        Code::IllegalInterval,
        1,
        13,
    );
    s.rejects(
        "PJ-KILL-12",
        r#"kill timeout 99foo\n"#,
        Code::IllegalInterval,
        1,
        13,
    );
    s.rejects(
        "PJ-KILL-13",
        r#"kill timeout -1\n"#,
        Code::IllegalInterval,
        1,
        13,
    );
    s.rejects(
        "PJ-KILL-14",
        r#"kill signal foo\n"#,
        Code::IllegalSignal,
        1,
        12,
    );
    s.rejects(
        "PJ-KILL-15",
        r#"kill timeout 99 foo\n"#,
        Code::UnexpectedToken,
        1,
        16,
    );
    s.rejects(
        "PJ-KILL-16",
        r#"kill signal INT foo\n"#,
        Code::UnexpectedToken,
        1,
        16,
    );
    s.finish();
}

/// §2.21 `reload signal`
#[test]
fn pj_reload() {
    let mut s = Suite::new("PJ §2.21 reload signal", Some(8));
    s.accepts(
        "PJ-RELOAD-01",
        r#"reload signal USR2\n"#,
        &[("reload_signal", num(12))],
    );
    s.accepts(
        "PJ-RELOAD-02",
        r#"reload signal 31\n"#,
        &[("reload_signal", num(31))],
    );
    s.accepts(
        "PJ-RELOAD-03",
        r#"reload signal USR2\nreload signal HUP\n"#,
        &[("reload_signal", num(1))],
    );
    s.rejects("PJ-RELOAD-04", r#"reload\n"#, Code::ExpectedToken, 1, 6);
    s.rejects("PJ-RELOAD-05", r#"reload foo\n"#, Code::UnknownStanza, 1, 7);
    s.rejects(
        "PJ-RELOAD-06",
        r#"reload signal\n"#,
        Code::ExpectedToken,
        1,
        13,
    );
    s.rejects(
        "PJ-RELOAD-07",
        r#"reload signal foo\n"#,
        Code::IllegalSignal,
        1,
        14,
    );
    s.rejects(
        "PJ-RELOAD-08",
        r#"reload signal INT foo\n"#,
        Code::UnexpectedToken,
        1,
        18,
    );
    s.finish();
}

/// §2.22 `normal exit`
#[test]
fn pj_normal_exit() {
    let mut s = Suite::new("PJ §2.22 normal exit", Some(10));
    s.accepts(
        "PJ-NORMAL-01",
        r#"normal exit 99\n"#,
        &[("normalexit", val("[99]"))],
    );
    s.accepts(
        "PJ-NORMAL-02",
        r#"normal exit INT\n"#,
        &[("normalexit", val("[512]"))],
    );
    s.accepts(
        "PJ-NORMAL-03",
        r#"normal exit 99 100 101 SIGTERM\n"#,
        &[("normalexit", val("[99, 100, 101, 3840]"))],
    );
    s.accepts(
        "PJ-NORMAL-04",
        r#"normal exit 99\nnormal exit 100 101\nnormal exit QUIT\nnormal exit 900\n"#,
        &[("normalexit", val("[99, 100, 101, 768, 900]"))],
    );
    s.rejects(
        "PJ-NORMAL-05",
        r#"normal exit\n"#,
        Code::ExpectedToken,
        1,
        11,
    );
    s.rejects(
        "PJ-NORMAL-06",
        r#"normal exit foo\n"#,
        Code::IllegalExit,
        1,
        12,
    );
    s.rejects(
        "PJ-NORMAL-07",
        r#"normal exit 99foo\n"#,
        Code::IllegalExit,
        1,
        12,
    );
    s.rejects(
        "PJ-NORMAL-08",
        r#"normal exit -1\n"#,
        Code::IllegalExit,
        1,
        12,
    );
    s.rejects(
        "PJ-NORMAL-09",
        r#"normal wibble\n"#,
        Code::UnknownStanza,
        1,
        7,
    );
    s.rejects("PJ-NORMAL-10", r#"normal\n"#, Code::ExpectedToken, 1, 6);
    s.finish();
}

/// §2.23 `console`
#[test]
fn pj_console() {
    let mut s = Suite::new("PJ §2.23 console", Some(8));
    s.accepts(
        "PJ-CONSOLE-01",
        r#"console none\n"#,
        &[("console", val("None"))],
    );
    s.accepts(
        "PJ-CONSOLE-02",
        r#"console output\n"#,
        &[("console", val("Output"))],
    );
    s.accepts(
        "PJ-CONSOLE-03",
        r#"console owner\n"#,
        &[("console", val("Owner"))],
    );
    s.accepts(
        "PJ-CONSOLE-04",
        r#"console log\n"#,
        &[("console", val("Log"))],
    );
    s.accepts(
        "PJ-CONSOLE-05",
        r#"console output\nconsole owner\n"#,
        &[("console", val("Owner"))],
    );
    s.rejects(
        "PJ-CONSOLE-06",
        r#"console wibble\n"#,
        Code::UnknownStanza,
        1,
        8,
    );
    s.rejects(
        "PJ-CONSOLE-07",
        r#"console owner foo\n"#,
        Code::UnexpectedToken,
        1,
        14,
    );
    s.rejects("PJ-CONSOLE-08", r#"console\n"#, Code::ExpectedToken, 1, 7);
    s.finish();
}

/// §2.24 `env`
#[test]
fn pj_env() {
    let mut s = Suite::new("PJ §2.24 env", Some(4));
    s.accepts(
        "PJ-ENV-01",
        r#"env FOO=BAR\n"#,
        &[("env", list(&[r#"FOO=BAR"#]))],
    );
    s.accepts(
        "PJ-ENV-02",
        r#"env FOO=BAR\nenv BAZ=QUUX\nenv FRODO=BILBO\n"#,
        &[(
            "env",
            list(&[r#"FOO=BAR"#, r#"BAZ=QUUX"#, r#"FRODO=BILBO"#]),
        )],
    );
    s.rejects("PJ-ENV-03", r#"env\n"#, Code::ExpectedToken, 1, 3);
    s.rejects(
        "PJ-ENV-04",
        r#"env FOO=BAR oops\n"#,
        Code::UnexpectedToken,
        1,
        12,
    );
    s.finish();
}

/// §2.25 `export`
#[test]
fn pj_export() {
    let mut s = Suite::new("PJ §2.25 export", Some(4));
    s.accepts(
        "PJ-EXPORT-01",
        r#"export FOO\n"#,
        &[("export", list(&[r#"FOO"#]))],
    );
    s.accepts(
        "PJ-EXPORT-02",
        r#"export FOO BAR BAZ\n"#,
        &[("export", list(&[r#"FOO"#, r#"BAR"#, r#"BAZ"#]))],
    );
    s.accepts(
        "PJ-EXPORT-03",
        r#"export FOO\nexport BAR BAZ\nexport QUUX\n"#,
        &[("export", list(&[r#"FOO"#, r#"BAR"#, r#"BAZ"#, r#"QUUX"#]))],
    );
    s.rejects("PJ-EXPORT-04", r#"export\n"#, Code::ExpectedToken, 1, 6);
    s.finish();
}

/// §2.26 `umask`
#[test]
fn pj_umask() {
    let mut s = Suite::new("PJ §2.26 umask", Some(8));
    s.accepts("PJ-UMASK-01", r#"umask 0755\n"#, &[("umask", val("0755"))]);
    s.accepts(
        "PJ-UMASK-02",
        r#"umask 0644\numask 0755\n"#,
        &[("umask", val("0755"))],
    );
    s.rejects("PJ-UMASK-03", r#"umask\n"#, Code::ExpectedToken, 1, 5);
    s.rejects("PJ-UMASK-04", r#"umask 999\n"#, Code::IllegalUmask, 1, 6);
    s.rejects("PJ-UMASK-05", r#"umask foo\n"#, Code::IllegalUmask, 1, 6);
    s.rejects("PJ-UMASK-06", r#"umask 99foo\n"#, Code::IllegalUmask, 1, 6);
    s.rejects("PJ-UMASK-07", r#"umask -1\n"#, Code::IllegalUmask, 1, 6);
    s.rejects(
        "PJ-UMASK-08",
        r#"umask 0755 foo\n"#,
        Code::UnexpectedToken,
        1,
        11,
    );
    s.finish();
}

/// §2.27 `nice`
#[test]
fn pj_nice() {
    let mut s = Suite::new("PJ §2.27 nice", Some(9));
    s.accepts("PJ-NICE-01", r#"nice 10\n"#, &[("nice", num(10))]);
    s.accepts("PJ-NICE-02", r#"nice -10\n"#, &[("nice", num(-10))]);
    s.accepts("PJ-NICE-03", r#"nice -10\nnice 10\n"#, &[("nice", num(10))]);
    s.rejects("PJ-NICE-04", r#"nice\n"#, Code::ExpectedToken, 1, 4);
    s.rejects("PJ-NICE-05", r#"nice 20\n"#, Code::IllegalNice, 1, 5);
    s.rejects("PJ-NICE-06", r#"nice -21\n"#, Code::IllegalNice, 1, 5);
    s.rejects("PJ-NICE-07", r#"nice foo\n"#, Code::IllegalNice, 1, 5);
    s.rejects("PJ-NICE-08", r#"nice 12foo\n"#, Code::IllegalNice, 1, 5);
    s.rejects(
        "PJ-NICE-09",
        r#"nice 10 foo\n"#,
        Code::UnexpectedToken,
        1,
        8,
    );
    s.finish();
}

/// §2.28 `oom` / `oom score`
#[test]
fn pj_oom() {
    let mut s = Suite::new("PJ §2.28 oom / oom score", Some(22));
    s.accepts("PJ-OOM-01", r#"oom 10\n"#, &[("oom_score_adj", num(666))]);
    s.accepts(
        "PJ-OOM-02",
        r#"oom score 100\n"#,
        &[("oom_score_adj", num(100))],
    );
    s.accepts("PJ-OOM-03", r#"oom -10\n"#, &[("oom_score_adj", num(-588))]);
    s.accepts(
        "PJ-OOM-04",
        r#"oom score -100\n"#,
        &[("oom_score_adj", num(-100))],
    );
    s.accepts(
        "PJ-OOM-05",
        r#"oom never\n"#,
        &[("oom_score_adj", num(-1000))],
    );
    s.accepts(
        "PJ-OOM-06",
        r#"oom score never\n"#,
        &[("oom_score_adj", num(-1000))],
    );
    s.accepts(
        "PJ-OOM-07",
        r#"oom -10\noom 10\n"#,
        &[("oom_score_adj", num(666))],
    );
    s.accepts(
        "PJ-OOM-08",
        r#"oom score -500\noom score 500\n"#,
        &[("oom_score_adj", num(500))],
    );
    s.accepts(
        "PJ-OOM-09",
        r#"oom score -10\noom 10\n"#,
        &[("oom_score_adj", num(666))],
    );
    s.accepts(
        "PJ-OOM-10",
        r#"oom -10\noom score 10\n"#,
        &[("oom_score_adj", num(10))],
    );
    s.rejects("PJ-OOM-11", r#"oom\n"#, Code::ExpectedToken, 1, 3);
    s.rejects("PJ-OOM-12", r#"oom score\n"#, Code::ExpectedToken, 1, 9);
    s.rejects("PJ-OOM-13", r#"oom 20\n"#, Code::IllegalOom, 1, 4);
    s.rejects("PJ-OOM-14", r#"oom score 1200\n"#, Code::IllegalOom, 1, 10);
    s.rejects("PJ-OOM-15", r#"oom -21\n"#, Code::IllegalOom, 1, 4);
    s.rejects("PJ-OOM-16", r#"oom score -1200\n"#, Code::IllegalOom, 1, 10);
    s.rejects("PJ-OOM-17", r#"oom foo\n"#, Code::IllegalOom, 1, 4);
    s.rejects("PJ-OOM-18", r#"oom score foo\n"#, Code::IllegalOom, 1, 10);
    s.rejects("PJ-OOM-19", r#"oom 12foo\n"#, Code::IllegalOom, 1, 4);
    s.rejects("PJ-OOM-20", r#"oom score 12foo\n"#, Code::IllegalOom, 1, 10);
    s.rejects("PJ-OOM-21", r#"oom 10 foo\n"#, Code::UnexpectedToken, 1, 7);
    s.rejects(
        "PJ-OOM-22",
        r#"oom score 500 foo\n"#,
        Code::UnexpectedToken,
        1,
        14,
    );
    s.finish();
}

/// §2.29 `limit`
#[test]
fn pj_limit() {
    let mut s = Suite::new("PJ §2.29 limit", Some(29));
    s.accepts(
        "PJ-LIMIT-01",
        r#"limit as 10 20\n"#,
        &[("limit as", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-02",
        r#"limit core 10 20\n"#,
        &[("limit core", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-03",
        r#"limit cpu 10 20\n"#,
        &[("limit cpu", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-04",
        r#"limit data 10 20\n"#,
        &[("limit data", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-05",
        r#"limit fsize 10 20\n"#,
        &[("limit fsize", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-06",
        r#"limit memlock 10 20\n"#,
        &[("limit memlock", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-07",
        r#"limit msgqueue 10 20\n"#,
        &[("limit msgqueue", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-08",
        r#"limit nice 10 20\n"#,
        &[("limit nice", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-09",
        r#"limit nofile 10 20\n"#,
        &[("limit nofile", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-10",
        r#"limit nproc 10 20\n"#,
        &[("limit nproc", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-11",
        r#"limit rss 10 20\n"#,
        &[("limit rss", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-12",
        r#"limit rtprio 10 20\n"#,
        &[("limit rtprio", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-13",
        r#"limit sigpending 10 20\n"#,
        &[("limit sigpending", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-14",
        r#"limit stack 10 20\n"#,
        &[("limit stack", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-15",
        r#"limit core 10 20\nlimit cpu 15 30\n"#,
        &[
            ("limit core", val("(10, 20)")),
            ("limit cpu", val("(15, 30)")),
        ],
    );
    s.accepts(
        "PJ-LIMIT-16",
        r#"limit core 5 10\nlimit core 10 20\n"#,
        &[("limit core", val("(10, 20)"))],
    );
    s.accepts(
        "PJ-LIMIT-17",
        r#"limit core 10 unlimited\n"#,
        &[("limit core", val("(10, unlimited)"))],
    );
    s.accepts(
        "PJ-LIMIT-18",
        r#"limit core unlimited 20\n"#,
        &[("limit core", val("(unlimited, 20)"))],
    );
    s.rejects(
        "PJ-LIMIT-19",
        r#"limit core 10\n"#,
        Code::ExpectedToken,
        1,
        13,
    );
    s.rejects("PJ-LIMIT-20", r#"limit core\n"#, Code::ExpectedToken, 1, 10);
    s.rejects("PJ-LIMIT-21", r#"limit foo\n"#, Code::UnknownStanza, 1, 6);
    s.rejects("PJ-LIMIT-22", r#"limit\n"#, Code::ExpectedToken, 1, 5);
    s.rejects(
        "PJ-LIMIT-23",
        r#"limit core 10 foo\n"#,
        Code::IllegalLimit,
        1,
        14,
    );
    s.rejects(
        "PJ-LIMIT-24",
        r#"limit core foo 20\n"#,
        Code::IllegalLimit,
        1,
        11,
    );
    s.rejects(
        "PJ-LIMIT-25",
        r#"limit core 10 20000000000000000000\n"#,
        Code::IllegalLimit,
        1,
        14,
    );
    s.rejects(
        "PJ-LIMIT-26",
        r#"limit core 20000000000000000000 20\n"#,
        Code::IllegalLimit,
        1,
        11,
    );
    s.rejects(
        "PJ-LIMIT-27",
        r#"limit core 10 99foo\n"#,
        Code::IllegalLimit,
        1,
        14,
    );
    s.rejects(
        "PJ-LIMIT-28",
        r#"limit core 99foo 20\n"#,
        Code::IllegalLimit,
        1,
        11,
    );
    s.rejects(
        "PJ-LIMIT-29",
        r#"limit core 10 20 foo\n"#,
        Code::UnexpectedToken,
        1,
        17,
    );
    s.finish();
}

/// §2.30 `chroot`
#[test]
fn pj_chroot() {
    let mut s = Suite::new("PJ §2.30 chroot", Some(4));
    s.accepts(
        "PJ-CHROOT-01",
        r#"chroot /chroot/daemon\n"#,
        &[("chroot", val(r#"/chroot/daemon"#))],
    );
    s.accepts(
        "PJ-CHROOT-02",
        r#"chroot /var/daemon\nchroot /chroot/daemon\n"#,
        &[("chroot", val(r#"/chroot/daemon"#))],
    );
    s.rejects("PJ-CHROOT-03", r#"chroot\n"#, Code::ExpectedToken, 1, 6);
    s.rejects(
        "PJ-CHROOT-04",
        r#"chroot /chroot/daemon foo\n"#,
        Code::UnexpectedToken,
        1,
        22,
    );
    s.finish();
}

/// §2.31 `chdir`
#[test]
fn pj_chdir() {
    let mut s = Suite::new("PJ §2.31 chdir", Some(4));
    s.accepts(
        "PJ-CHDIR-01",
        r#"chdir /var/lib/daemon\n"#,
        &[("chdir", val(r#"/var/lib/daemon"#))],
    );
    s.accepts(
        "PJ-CHDIR-02",
        r#"chdir /var/daemon\nchdir /var/lib/daemon\n"#,
        &[("chdir", val(r#"/var/lib/daemon"#))],
    );
    s.rejects("PJ-CHDIR-03", r#"chdir\n"#, Code::ExpectedToken, 1, 5);
    s.rejects(
        "PJ-CHDIR-04",
        r#"chdir /var/lib/daemon foo\n"#,
        Code::UnexpectedToken,
        1,
        22,
    );
    s.finish();
}

/// §2.32 `setuid`
#[test]
fn pj_setuid() {
    let mut s = Suite::new("PJ §2.32 setuid", Some(4));
    s.accepts(
        "PJ-SETUID-01",
        r#"setuid www-data\n"#,
        &[("setuid", val(r#"www-data"#))],
    );
    s.accepts(
        "PJ-SETUID-02",
        r#"setuid www-data\nsetuid pulse\n"#,
        &[("setuid", val(r#"pulse"#))],
    );
    s.rejects("PJ-SETUID-03", r#"setuid\n"#, Code::ExpectedToken, 1, 6);
    s.rejects(
        "PJ-SETUID-04",
        r#"setuid www-data foo\n"#,
        Code::UnexpectedToken,
        1,
        16,
    );
    s.finish();
}

/// §2.33 `setgid`
#[test]
fn pj_setgid() {
    let mut s = Suite::new("PJ §2.33 setgid", Some(4));
    s.accepts(
        "PJ-SETGID-01",
        r#"setgid kvm\n"#,
        &[("setgid", val(r#"kvm"#))],
    );
    s.accepts(
        "PJ-SETGID-02",
        r#"setgid kvm\nsetgid fuse\n"#,
        &[("setgid", val(r#"fuse"#))],
    );
    s.rejects("PJ-SETGID-03", r#"setgid\n"#, Code::ExpectedToken, 1, 6);
    s.rejects(
        "PJ-SETGID-04",
        r#"setgid kvm foo\n"#,
        Code::UnexpectedToken,
        1,
        11,
    );
    s.finish();
}

/// §2.34 `usage`
#[test]
fn pj_usage() {
    let mut s = Suite::new("PJ §2.34 usage", Some(4));
    s.accepts(
        "PJ-USAGE-01",
        r#"usage "stanza usage test message"\n"#,
        &[("usage", val(r#"stanza usage test message"#))],
    );
    s.accepts(
        "PJ-USAGE-02",
        r#"usage "stanza usage original"\nusage "stanza usage test message"\n"#,
        &[("usage", val(r#"stanza usage test message"#))],
    );
    s.rejects("PJ-USAGE-03", r#"usage\n"#, Code::ExpectedToken, 1, 5);
    s.rejects(
        "PJ-USAGE-04",
        r#"usage stanza usage test message\n"#,
        Code::UnexpectedToken,
        1,
        13,
    );
    s.finish();
}

/// §2.35 `cgroup`
#[test]
fn pj_cgroup() {
    let mut s = Suite::new("PJ §2.35 cgroup", Some(13));
    s.rejects("PJ-CGROUP-01", r#"cgroup\n"#, Code::ExpectedToken, 1, 6);
    s.accepts(
        "PJ-CGROUP-02",
        r#"cgroup perf_event\n"#,
        &[("cgroup", val(r#"perf_event[$UPSTART_CGROUP{}]"#))],
    );
    s.accepts(
        "PJ-CGROUP-03",
        r#"cgroup perf_event foo\n"#,
        &[("cgroup", val(r#"perf_event[foo{}]"#))],
    );
    s.accepts(
        "PJ-CGROUP-04",
        r#"cgroup perf_event "foo bar"\n"#,
        &[("cgroup", val(r#"perf_event[foo bar{}]"#))],
    );
    s.accepts(
        "PJ-CGROUP-05",
        r#"cgroup perf_event key1 value1\n"#,
        &[("cgroup", val(r#"perf_event[$UPSTART_CGROUP{key1=value1}]"#))],
    );
    s.accepts(
        "PJ-CGROUP-06",
        r#"cgroup perf_event foo key1 value1\n"#,
        &[("cgroup", val(r#"perf_event[foo{key1=value1}]"#))],
    );
    s.accepts(
        "PJ-CGROUP-07",
        r#"cgroup perf_event "a silly name" key1 "hello world"\n"#,
        &[(
            "cgroup",
            val(r#"perf_event[a silly name{key1=hello world}]"#),
        )],
    );
    s.accepts(
        "PJ-CGROUP-08",
        r#"cgroup perf_event "$VARIABLE" key value\n"#,
        &[("cgroup", val(r#"perf_event[$VARIABLE{key=value}]"#))],
    );
    s.accepts(
        "PJ-CGROUP-09",
        r#"cgroup perf_event foo key1 value1\ncgroup perf_event foo key1 value1\n"#,
        &[("cgroup", val(r#"perf_event[foo{key1=value1}]"#))],
    );
    s.accepts(
        "PJ-CGROUP-10",
        r#"cgroup perf_event foo "key1" value1\ncgroup perf_event foo key1 "value1"\n"#,
        &[("cgroup", val(r#"perf_event[foo{key1=value1}]"#))],
    );
    s.accepts(
        "PJ-CGROUP-11",
        r#"cgroup perf_event foo key1 value1\ncgroup perf_event bar key2 value2\n"#,
        &[(
            "cgroup",
            val(r#"perf_event[foo{key1=value1}, bar{key2=value2}]"#),
        )],
    );
    s.accepts(
        "PJ-CGROUP-12",
        r#"cgroup perf_event foo key1 value1\ncgroup perf_event foo key2 "value2"\n"#,
        &[(
            "cgroup",
            val(r#"perf_event[foo{key1=value1, key2=value2}]"#),
        )],
    );
    s.accepts(
        "PJ-CGROUP-13",
        r#"cgroup perf_event foo key1 bar\ncgroup perf_event foo key1 "hello world"\n"#,
        &[("cgroup", val(r#"perf_event[foo{key1=hello world}]"#))],
    );
    s.finish();
}
/// "ends on line N" in the inventory: not a property of the class, but
/// observable as the line of an error in a stanza appended after the input.
#[test]
fn pj_line_counts() {
    let mut s = Suite::new("PJ line counts", None);
    s.rejects_line(
        "PJ-GEN-01 (ends on line 5)",
        r#"exec /sbin/daemon -d\npre-start script\n    rm /var/lock/daemon\nend script\nwibble\n"#,
        Code::UnknownStanza,
        5,
    );
    s.rejects_line(
        "PJ-EXEC-02 (ends on line 3)",
        r#"exec /sbin/daemon -d\nexec /sbin/daemon -d "foo"\nwibble\n"#,
        Code::UnknownStanza,
        3,
    );
    s.rejects_line(
        "PJ-EXEC-03 (ends on line 5)",
        r#"script\n    echo\nend script\nexec /sbin/daemon -d "foo"\nwibble\n"#,
        Code::UnknownStanza,
        5,
    );
    s.rejects_line(
        "PJ-START-08 (ends on line 3)",
        r#"start on (wibble\n          or (wobble or wiggle))\nwibble\n"#,
        Code::UnknownStanza,
        3,
    );
    s.rejects_line(
        "PJ-STOP-08 (ends on line 3)",
        r#"stop on (wibble\n          or (wobble or wiggle))\nwibble\n"#,
        Code::UnknownStanza,
        3,
    );
    s.rejects_line(
        "PJ-MANUAL-01 (ends on line 3)",
        r#"manual\nstart on wibble\nwibble\n"#,
        Code::UnknownStanza,
        3,
    );
    s.finish();
}
