//! Sema from text: parse with the real parser, lower, look at the class and
//! the diagnostics. The `PJ-*` cases of test-inventory.md section 2 have one
//! home, tests/lang/conformance/pj.rs; here are what its property table
//! cannot see (spans, defaults, messages, suggestions, more inputs of the
//! same rules) and upc's own warnings.

use super::ir::{Console, Expect, LimitValue, ProcessBody, Resource};
use super::*;
use crate::diag::{Code, Severity};
use crate::source::Span;
use crate::syntax::ast::{Stanza, StanzaKind, Word};

const CONF: FileId = FileId(0);
const OVERRIDE: FileId = FileId(1);

struct Lowered {
    class: JobClass,
    /// Parser diagnostics, then sema's.
    diags: Vec<Diagnostic>,
}

impl Lowered {
    fn codes(&self) -> Vec<&'static str> {
        self.diags.iter().map(|d| d.code.as_str()).collect()
    }

    /// Errors of the parser and of sema, in file order.
    fn errors(&self) -> Vec<(&'static str, u32)> {
        let mut errors: Vec<_> = self
            .diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.code.as_str(), d.primary.span.start))
            .collect();
        errors.sort_by_key(|&(_, at)| at);
        errors
    }

    fn warnings(&self) -> Vec<&'static str> {
        self.diags
            .iter()
            .filter(|d| d.severity() == Severity::Warning)
            .map(|d| d.code.as_str())
            .collect()
    }

    fn find(&self, code: Code) -> &Diagnostic {
        match self.diags.iter().find(|d| d.code == code) {
            Some(d) => d,
            None => panic!("no {} in {:#?}", code.as_str(), self.diags),
        }
    }
}

fn lower_parts(texts: &[&str]) -> Lowered {
    let mut parts = texts
        .iter()
        .copied()
        .zip(0u32..)
        .map(|(t, i)| (FileId(i), t));
    let conf = parts.next().unwrap_or((CONF, ""));
    let l = lower_texts("job", conf, parts.next());
    let mut diags = l.parse;
    diags.extend(l.sema);
    Lowered {
        class: l.class,
        diags,
    }
}

fn lower_text(text: &str) -> Lowered {
    lower_parts(&[text])
}

/// A file Upstart accepts: no error, whatever the warnings.
fn accepted(text: &str) -> JobClass {
    let l = lower_text(text);
    assert!(
        l.errors().is_empty(),
        "{text:?} should be accepted: {:#?}",
        l.diags
    );
    l.class
}

/// A file Upstart rejects with exactly this error at this byte offset.
fn rejected(text: &str, code: Code, offset: u32) {
    let l = lower_text(text);
    assert_eq!(
        l.errors(),
        vec![(code.as_str(), offset)],
        "{text:?}: {:#?}",
        l.diags
    );
}

fn main_body(class: &JobClass) -> Option<&ProcessBody> {
    class.processes.main.as_ref().map(|p| &p.body)
}

// ---------------------------------------------------------------- 2.16 expect

#[test]
fn unknown_expect_mode_is_unknown_stanza_on_the_value_with_a_suggestion() {
    rejected("expect foo\n", Code::UnknownStanza, 7);
    let l = lower_text("expect deamon\n");
    let d = l.find(Code::UnknownStanza);
    assert_eq!(d.primary.span, Span::new(7, 13));
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| h.contains("did you mean `daemon`?")),
        "{d:?}"
    );
}

// --------------------------------------------------------------- 2.17 respawn

#[test]
fn respawn_limit_values_are_read_and_last_wins() {
    let c = accepted("respawn\nrespawn\n");
    assert!(c.respawn);
    let c = accepted("respawn limit 10 120\n");
    assert_eq!(
        (c.respawn_limit.count, c.respawn_limit.interval_secs),
        (Some(10), Some(120))
    );
    assert!(!c.respawn, "respawn limit does not enable respawning");
    let c = accepted("respawn limit unlimited\n");
    assert_eq!(
        (c.respawn_limit.count, c.respawn_limit.interval_secs),
        (None, None)
    );
    let c = accepted("respawn limit 5 60\nrespawn limit 10 120\n");
    assert_eq!(
        (c.respawn_limit.count, c.respawn_limit.interval_secs),
        (Some(10), Some(120))
    );
    let c = accepted("respawn\n");
    assert_eq!(
        (c.respawn_limit.count, c.respawn_limit.interval_secs),
        (Some(10), Some(5))
    );
}

#[test]
fn respawn_limit_zero_in_either_place_is_unlimited() {
    let c = accepted("respawn\nrespawn limit 0 5\n");
    assert_eq!(
        (c.respawn_limit.count, c.respawn_limit.interval_secs),
        (None, None)
    );
    let c = accepted("respawn\nrespawn limit 3 0\n");
    assert_eq!(
        (c.respawn_limit.count, c.respawn_limit.interval_secs),
        (None, None)
    );
}

#[test]
fn both_bad_respawn_values_are_reported() {
    let l = lower_text("respawn limit foo bar\n");
    assert_eq!(l.errors(), vec![("E0013", 14), ("E0007", 18)]);
}

// ------------------------------------------------------------ 2.20 / 2.21 kill

#[test]
fn kill_timeout_and_signals_are_read_and_last_wins() {
    assert_eq!(accepted("kill timeout 10\n").kill_timeout_secs, 10);
    assert_eq!(
        accepted("kill timeout 5\nkill timeout 10\n").kill_timeout_secs,
        10
    );
    assert_eq!(accepted("kill signal INT\n").kill_signal, 2);
    assert_eq!(accepted("kill signal 30\n").kill_signal, 30);
    assert_eq!(
        accepted("kill signal INT\nkill signal TERM\n").kill_signal,
        15
    );
    assert_eq!(accepted("kill signal SIGKILL\n").kill_signal, 9);
    assert_eq!(accepted("reload signal USR2\n").reload_signal, 12);
    assert_eq!(accepted("reload signal 31\n").reload_signal, 31);
    assert_eq!(
        accepted("reload signal USR2\nreload signal HUP\n").reload_signal,
        1
    );
    let c = accepted("exec x\n");
    assert_eq!(
        (c.kill_timeout_secs, c.kill_signal, c.reload_signal),
        (5, 15, 1)
    );
}

#[test]
fn bad_kill_values_are_rejected_with_upstarts_codes() {
    rejected("kill timeout foo\n", Code::IllegalInterval, 13);
    rejected(
        "kill timeout 10000000000000000000\n",
        Code::IllegalInterval,
        13,
    );
    rejected("kill timeout 99foo\n", Code::IllegalInterval, 13);
    rejected("kill timeout -1\n", Code::IllegalInterval, 13);
    rejected("kill signal foo\n", Code::IllegalSignal, 12);
    rejected("reload signal foo\n", Code::IllegalSignal, 14);
    rejected("kill signal term\n", Code::IllegalSignal, 12);
    rejected("kill signal -1\n", Code::IllegalSignal, 12);
}

#[test]
fn lower_case_signal_name_gets_a_suggestion() {
    let l = lower_text("kill signal term\n");
    let help = l.find(Code::IllegalSignal).help.clone().unwrap_or_default();
    assert!(help.contains("`TERM`"), "{help}");
}

#[test]
fn signal_numbers_outside_linux_range_warn_but_are_accepted() {
    let l = lower_text("kill signal 0\nreload signal 99\n");
    assert!(l.errors().is_empty());
    assert_eq!(l.warnings(), vec!["W0009", "W0009"]);
    assert_eq!((l.class.kill_signal, l.class.reload_signal), (0, 99));
    assert!(lower_text("kill signal 64\nreload signal 34\n")
        .warnings()
        .is_empty());
    // `reload signal 0` is the "reload does nothing" idiom.
    assert!(lower_text("reload signal 0\n").warnings().is_empty());
}

// -------------------------------------------------------------- 2.22 normal exit

#[test]
fn bad_normal_exit_is_illegal_exit() {
    rejected("normal exit foo\n", Code::IllegalExit, 12);
    rejected("normal exit 99foo\n", Code::IllegalExit, 12);
    rejected("normal exit -1\n", Code::IllegalExit, 12);
    rejected("normal exit 2147483648\n", Code::IllegalExit, 12);
    let l = lower_text("normal exit 1 foo 2 bar\n");
    assert_eq!(l.errors(), vec![("E0008", 14), ("E0008", 20)]);
    assert_eq!(l.class.normal_exit, vec![1, 2]);
}

#[test]
fn exit_status_that_no_process_can_have_warns() {
    let l = lower_text("normal exit 900 512 255\n");
    assert!(l.errors().is_empty());
    assert_eq!(l.warnings(), vec!["W0004"]);
    assert_eq!(
        l.find(Code::ExitNeverMatches).primary.span,
        Span::new(12, 15)
    );
    assert_eq!(
        lower_text("normal exit 256 16384 16640 TERM\n").warnings(),
        vec!["W0004"]
    );
}

// ------------------------------------------------------- 2.18 task, 2.19 instance

#[test]
fn task_and_instance_are_read() {
    let c = accepted("task\ntask\nexec x\n");
    assert!(c.task);
    assert!(!accepted("exec x\n").task);
    assert_eq!(accepted("instance $FOO\n").instance, "$FOO");
    assert_eq!(accepted("exec x\n").instance, "");
}

// ---------------------------------------------------------------- 2.23 console

#[test]
fn console_modes_are_read_and_last_wins() {
    assert_eq!(accepted("console none\n").console, Some(Console::None));
    assert_eq!(accepted("console output\n").console, Some(Console::Output));
    assert_eq!(accepted("console owner\n").console, Some(Console::Owner));
    assert_eq!(accepted("console log\n").console, Some(Console::Log));
    assert_eq!(
        accepted("console output\nconsole owner\n").console,
        Some(Console::Owner)
    );
    assert_eq!(accepted("exec x\n").console, None);
}

#[test]
fn unknown_console_mode_is_unknown_stanza_with_the_valid_values() {
    rejected("console wibble\n", Code::UnknownStanza, 8);
    let l = lower_text("console wibble\n");
    let help = l.find(Code::UnknownStanza).help.clone().unwrap_or_default();
    assert_eq!(help, "expected `none`, `output`, `owner` or `log`");
    let l = lower_text("console logg\n");
    let help = l.find(Code::UnknownStanza).help.clone().unwrap_or_default();
    assert!(help.starts_with("did you mean `log`?"), "{help}");
}

// ------------------------------------------------------------ 2.24 / 2.25 env

#[test]
fn env_and_export_accumulate_in_order() {
    let c = accepted("env FOO=BAR\nenv BAZ=QUUX\nenv FRODO=BILBO\n");
    let env: Vec<_> = c.env.iter().map(|s| s.value.as_str()).collect();
    assert_eq!(env, ["FOO=BAR", "BAZ=QUUX", "FRODO=BILBO"]);
    let c = accepted("export FOO\nexport BAR BAZ\nexport QUUX\n");
    let export: Vec<_> = c.export.iter().map(|s| s.value.as_str()).collect();
    assert_eq!(export, ["FOO", "BAR", "BAZ", "QUUX"]);
    assert_eq!(
        c.export.get(1).map(|s| s.origin.span),
        Some(Span::new(18, 21))
    );
}

#[test]
fn env_value_is_literal_and_duplicates_are_kept() {
    let c = accepted("env P=$PATH:/x\nenv A=1\nenv A=2\nenv TERM\n");
    let env: Vec<_> = c.env.iter().map(|s| s.value.as_str()).collect();
    assert_eq!(env, ["P=$PATH:/x", "A=1", "A=2", "TERM"]);
}

#[test]
fn invalid_variable_names_in_env_and_export_warn() {
    let l = lower_text("env 1A=x\nenv OK=1\nenv A-B\nexport GOOD bad.name\nenv =v\nexec x\n");
    assert!(l.errors().is_empty());
    assert_eq!(l.warnings(), vec!["W0015", "W0015", "W0015", "W0015"]);
    let spans: Vec<_> = l.diags.iter().map(|d| d.primary.span.start).collect();
    assert_eq!(spans, [4, 22, 38, 51]);
}

// ------------------------------------------------------------------ 2.26 umask

#[test]
fn umask_is_octal_and_last_wins() {
    assert_eq!(accepted("umask 0755\n").umask, 0o755);
    assert_eq!(accepted("umask 0644\numask 0755\n").umask, 0o755);
    assert_eq!(accepted("umask 27\n").umask, 0o27);
    assert_eq!(accepted("exec x\n").umask, 0o22);
}

#[test]
fn bad_umask_is_illegal_umask() {
    rejected("umask 999\n", Code::IllegalUmask, 6);
    rejected("umask foo\n", Code::IllegalUmask, 6);
    rejected("umask 99foo\n", Code::IllegalUmask, 6);
    rejected("umask -1\n", Code::IllegalUmask, 6);
    rejected("umask 1000\n", Code::IllegalUmask, 6);
}

// ------------------------------------------------------------------- 2.27 nice

#[test]
fn nice_is_read_and_last_wins() {
    assert_eq!(accepted("nice 10\n").nice, Some(10));
    assert_eq!(accepted("nice -10\n").nice, Some(-10));
    assert_eq!(accepted("nice -10\nnice 10\n").nice, Some(10));
    assert_eq!(accepted("exec x\n").nice, None);
}

// -------------------------------------------------------------------- 2.28 oom

#[test]
fn oom_score_zero_means_not_set() {
    assert_eq!(accepted("oom score 0\n").oom_score, None);
    assert_eq!(accepted("oom score 10\noom 0\n").oom_score, None);
}

#[test]
fn bad_oom_values_are_illegal_oom_with_the_form_in_the_message() {
    rejected("oom 20\n", Code::IllegalOom, 4);
    rejected("oom score 1200\n", Code::IllegalOom, 10);
    rejected("oom -21\n", Code::IllegalOom, 4);
    rejected("oom score -1200\n", Code::IllegalOom, 10);
    rejected("oom foo\n", Code::IllegalOom, 4);
    rejected("oom score foo\n", Code::IllegalOom, 10);
    rejected("oom 12foo\n", Code::IllegalOom, 4);
    rejected("oom score 12foo\n", Code::IllegalOom, 10);
    let legacy = lower_text("oom 20\n")
        .find(Code::IllegalOom)
        .message
        .clone();
    let score = lower_text("oom score 1200\n")
        .find(Code::IllegalOom)
        .message
        .clone();
    assert!(legacy.contains("-17 to 15"), "{legacy}");
    assert!(
        score.contains("score") && score.contains("-1000 to 1000"),
        "{score}"
    );
}

#[test]
fn oom_legacy_value_is_scaled_to_a_score() {
    let l = lower_text("oom -16\n");
    assert_eq!(l.class.oom_score, Some(-941));
    let d = l.find(Code::LegacyOom);
    assert_eq!(d.help.as_deref(), Some("write `oom score -941`"));
    let l = lower_text("oom never\n");
    assert_eq!(
        l.find(Code::LegacyOom).help.as_deref(),
        Some("write `oom score never`")
    );
    assert!(!lower_text("oom score 5\n").codes().contains(&"W0018"));
}

// ------------------------------------------------------------------ 2.29 limit

#[test]
fn every_resource_is_read() {
    for (resource, name) in Resource::ALL.map(|r| (r, r.name())) {
        let c = accepted(&format!("limit {name} 10 20\n"));
        assert_eq!(
            c.limits.get(&resource),
            Some(&(LimitValue::Value(10), LimitValue::Value(20))),
            "{name}"
        );
    }
}

#[test]
fn limits_accumulate_per_resource_and_last_wins() {
    let c = accepted("limit core 10 20\nlimit cpu 15 30\n");
    assert_eq!(
        c.limits.get(&Resource::Core),
        Some(&(LimitValue::Value(10), LimitValue::Value(20)))
    );
    assert_eq!(
        c.limits.get(&Resource::Cpu),
        Some(&(LimitValue::Value(15), LimitValue::Value(30)))
    );
    let c = accepted("limit core 5 10\nlimit core 10 20\n");
    assert_eq!(
        c.limits.get(&Resource::Core),
        Some(&(LimitValue::Value(10), LimitValue::Value(20)))
    );
    let c = accepted("limit core 10 unlimited\n");
    assert_eq!(
        c.limits.get(&Resource::Core),
        Some(&(LimitValue::Value(10), LimitValue::Unlimited))
    );
    let c = accepted("limit nofile -1 -1\n");
    assert_eq!(
        c.limits.get(&Resource::Nofile),
        Some(&(LimitValue::Unlimited, LimitValue::Unlimited))
    );
}

#[test]
fn soft_limit_above_hard_warns() {
    let l = lower_text("limit core unlimited 20\nlimit nofile 4096 1024\nlimit cpu 1 unlimited\n");
    assert!(l.errors().is_empty());
    assert_eq!(l.warnings(), vec!["W0010", "W0010"]);
    assert_eq!(
        l.class.limits.get(&Resource::Core),
        Some(&(LimitValue::Unlimited, LimitValue::Value(20)))
    );
}

#[test]
fn bad_limits_are_rejected() {
    rejected("limit foo 1 2\n", Code::UnknownStanza, 6);
    rejected("limit core 10 foo\n", Code::IllegalLimit, 14);
    rejected("limit core foo 20\n", Code::IllegalLimit, 11);
    rejected(
        "limit core 10 20000000000000000000\n",
        Code::IllegalLimit,
        14,
    );
    rejected(
        "limit core 20000000000000000000 20\n",
        Code::IllegalLimit,
        11,
    );
    rejected("limit core 10 99foo\n", Code::IllegalLimit, 14);
    rejected("limit core 99foo 20\n", Code::IllegalLimit, 11);
}

#[test]
fn unknown_resource_that_reaches_sema_gets_a_suggestion() {
    // The parser reports unknown resources itself (as Upstart does, before
    // the values); sema still checks a tree built by other means.
    let word = |start: usize, value: &str| Word {
        span: Span::new(start, start + value.len()),
        value: value.into(),
    };
    let stanza = Stanza {
        span: Span::new(0, 17),
        keyword: Span::new(0, 5),
        kind: StanzaKind::Limit {
            resource: word(6, "nofiles"),
            soft: word(14, "1"),
            hard: word(16, "2"),
        },
    };
    let ast = JobFile {
        stanzas: vec![stanza],
    };
    let (class, diags) = lower(
        "job",
        &[Part {
            file: CONF,
            text: "limit nofiles 1 2\n",
            ast: &ast,
        }],
    );
    assert!(class.limits.is_empty());
    let codes: Vec<_> = diags.iter().map(|d| (d.code, d.primary.span)).collect();
    assert_eq!(codes, [(Code::UnknownStanza, Span::new(6, 13))]);
    let help = diags
        .first()
        .and_then(|d| d.help.clone())
        .unwrap_or_default();
    assert!(help.starts_with("did you mean `nofile`?"), "{help}");
}

// ------------------------------------------------------- 2.30 - 2.34 strings

#[test]
fn string_settings_are_read_and_last_wins() {
    let c = accepted(
        "chroot /var/daemon\nchroot /chroot/daemon\nchdir /var/daemon\nchdir /var/lib/daemon\n\
         setuid www-data\nsetuid pulse\nsetgid kvm\nsetgid fuse\n\
         usage \"stanza usage original\"\nusage \"stanza usage test message\"\n\
         instance $FOO\ninstance $BAR\ndescription a\nauthor me\nversion 1\n",
    );
    assert_eq!(c.chroot.as_deref(), Some("/chroot/daemon"));
    assert_eq!(c.chdir.as_deref(), Some("/var/lib/daemon"));
    assert_eq!(c.setuid.as_deref(), Some("pulse"));
    assert_eq!(c.setgid.as_deref(), Some("fuse"));
    assert_eq!(c.usage.as_deref(), Some("stanza usage test message"));
    assert_eq!(c.instance, "$BAR");
    assert_eq!(
        (
            c.description.as_deref(),
            c.author.as_deref(),
            c.version.as_deref()
        ),
        (Some("a"), Some("me"), Some("1"))
    );
}

// ---------------------------------------------------------------- 2.35 cgroup

/// Per controller, its names with their settings.
type CgroupTable = Vec<(String, Vec<(String, Vec<(String, String)>)>)>;

fn cgroups(text: &str) -> CgroupTable {
    let l = lower_text(text);
    assert!(l.errors().is_empty(), "{:#?}", l.diags);
    l.class
        .cgroups
        .into_iter()
        .map(|c| (c.controller, c.names))
        .collect()
}

fn settings(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn cgroup_stanzas_merge_per_controller_name_and_key() {
    let one = |name: &str, s: &[(&str, &str)]| {
        vec![(
            "perf_event".to_string(),
            vec![(name.to_string(), settings(s))],
        )]
    };
    assert_eq!(
        cgroups("cgroup perf_event foo key1 value1\ncgroup perf_event foo key1 value1\n"),
        one("foo", &[("key1", "value1")])
    );
    assert_eq!(
        cgroups("cgroup perf_event foo \"key1\" value1\ncgroup perf_event foo key1 \"value1\"\n"),
        one("foo", &[("key1", "value1")])
    );
    assert_eq!(
        cgroups("cgroup perf_event foo key1 value1\ncgroup perf_event bar key2 value2\n"),
        vec![(
            "perf_event".to_string(),
            vec![
                ("foo".to_string(), settings(&[("key1", "value1")])),
                ("bar".to_string(), settings(&[("key2", "value2")]))
            ]
        )]
    );
    assert_eq!(
        cgroups("cgroup perf_event foo key1 value1\ncgroup perf_event foo key2 \"value2\"\n"),
        one("foo", &[("key1", "value1"), ("key2", "value2")])
    );
    assert_eq!(
        cgroups("cgroup perf_event foo key1 bar\ncgroup perf_event foo key1 \"hello world\"\n"),
        one("foo", &[("key1", "hello world")])
    );
    let two = cgroups("cgroup cpu\ncgroup memory x\n");
    assert_eq!(
        two.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["cpu", "memory"]
    );
}

#[test]
fn cgroup_warns_once_per_job() {
    let l = lower_text("cgroup cpu\ncgroup memory\n");
    assert_eq!(l.warnings(), vec!["W0017"]);
}

// ------------------------------------------------------ processes, apparmor

#[test]
fn exec_and_script_replace_each_other_last_wins() {
    let c = accepted("exec /sbin/daemon -d \"foo\"\n");
    assert_eq!(
        main_body(&c),
        Some(&ProcessBody::Exec("/sbin/daemon -d \"foo\"".into()))
    );
    let c = accepted("script\n    echo\nend script\nexec /sbin/daemon -d \"foo\"\n");
    assert_eq!(
        main_body(&c),
        Some(&ProcessBody::Exec("/sbin/daemon -d \"foo\"".into()))
    );
    let c = accepted("exec /sbin/daemon -d \"foo\"\nscript\n    echo\nend script\n");
    assert_eq!(main_body(&c), Some(&ProcessBody::Script("echo\n".into())));
    let c =
        accepted("pre-start exec /bin/tool -d \"foo\"\npre-start script\n    echo\nend script\n");
    assert_eq!(
        c.processes.pre_start.map(|p| p.body),
        Some(ProcessBody::Script("echo\n".into()))
    );
    let c = accepted("post-stop script\n    echo\nend script\npost-stop exec /bin/tool\n");
    assert_eq!(
        c.processes.post_stop.map(|p| p.body),
        Some(ProcessBody::Exec("/bin/tool".into()))
    );
}

#[test]
fn process_defined_twice_in_one_file_warns_on_the_later_with_the_earlier_as_secondary() {
    let text = "exec /bin/a\nscript\n    echo\nend script\n";
    let l = lower_text(text);
    assert_eq!(l.warnings(), vec!["W0019"]);
    let d = l.find(Code::ScriptDefinedTwice);
    assert_eq!(d.primary.span, Span::new(12, 18));
    assert_eq!(d.secondary.first().map(|s| s.span), Some(Span::new(0, 11)));
    assert!(lower_text("exec /bin/a\npre-start exec /bin/b\n")
        .warnings()
        .is_empty());
}

// ------------------------------------------------- start on, stop on, manual

#[test]
fn manual_clears_only_the_start_on_before_it() {
    let c = accepted("manual\nstart on wibble\n");
    assert_eq!(
        c.start_on.map(|s| s.expr.canonical()),
        Some("wibble".into())
    );
    let c = accepted("start on wibble\nstop on wobble\nmanual\n");
    assert!(c.start_on.is_none());
    assert_eq!(c.stop_on.map(|s| s.expr.canonical()), Some("wobble".into()));
}

#[test]
fn start_on_last_wins() {
    let l = lower_text("start on wibble or wiggle\nstart on wobble and wave\nstart on waggle\n");
    assert_eq!(
        l.class.start_on.as_ref().map(|s| s.expr.canonical()),
        Some("waggle".into())
    );
    assert_eq!(l.warnings(), vec!["W0013", "W0013"]);
}

#[test]
fn override_continues_the_class_and_manual_clears_the_conf_start_on() {
    // PJ-GEN-03.
    let conf = "start on starting\nauthor \"me\"\n";
    let over = "start on starting\nauthor \"you\"\nmanual\ndescription \"my description\"\n";
    let l = lower_parts(&[conf, over]);
    assert!(l.diags.is_empty(), "{:#?}", l.diags);
    let c = l.class;
    assert_eq!(c.override_file, Some(OVERRIDE));
    assert_eq!(c.file, CONF);
    assert_eq!(c.author.as_deref(), Some("you"));
    assert!(c.start_on.is_none());
    assert_eq!(c.description.as_deref(), Some("my description"));
}

#[test]
fn override_adds_to_lists_and_replaces_single_values_without_warning() {
    let conf = "exec /bin/a\nenv A=1\nnormal exit 1\nnice 5\nlimit core 1 2\n";
    let over = "exec /bin/b\nenv B=2\nnormal exit 2\nnice 6\nlimit core 3 4\n";
    let l = lower_parts(&[conf, over]);
    assert!(l.diags.is_empty(), "{:#?}", l.diags);
    let c = l.class;
    assert_eq!(main_body(&c), Some(&ProcessBody::Exec("/bin/b".into())));
    assert_eq!(c.processes.main.map(|p| p.origin.file), Some(OVERRIDE));
    assert_eq!(
        c.env.iter().map(|e| e.value.as_str()).collect::<Vec<_>>(),
        ["A=1", "B=2"]
    );
    assert_eq!(c.env.get(1).map(|e| e.origin.file), Some(OVERRIDE));
    assert_eq!(c.normal_exit, vec![1, 2]);
    assert_eq!(c.nice, Some(6));
    assert_eq!(
        c.limits.get(&Resource::Core),
        Some(&(LimitValue::Value(3), LimitValue::Value(4)))
    );
}

#[test]
fn no_override_means_no_override_file() {
    let l = lower_text("exec x\n");
    assert_eq!(l.class.override_file, None);
    assert_eq!(l.class.name, "job");
}

#[test]
fn setting_given_twice_in_one_file_warns_with_the_earlier_as_secondary() {
    let l = lower_text("nice 1\nnice 2\n");
    let d = l.find(Code::OverriddenStanza);
    assert_eq!(d.primary.span, Span::new(7, 13));
    assert_eq!(d.secondary.first().map(|s| s.span), Some(Span::new(0, 6)));
    // The two oom forms are one setting; limits are per resource.
    assert_eq!(
        lower_text("oom 1\noom score 5\n").codes(),
        vec!["W0018", "W0013"]
    );
    assert!(lower_text("limit core 1 2\nlimit cpu 1 2\n")
        .warnings()
        .is_empty());
    assert_eq!(
        lower_text("limit core 1 2\nlimit core 1 3\n").warnings(),
        vec!["W0013"]
    );
    // `manual` in between: the second `start on` is not a repetition.
    assert!(lower_text("start on a\nmanual\nstart on b\n")
        .warnings()
        .is_empty());
}

#[test]
fn variable_without_default_in_start_on_warns() {
    let l = lower_text("start on runlevel [!$RUNLEVEL]\nstop on runlevel [!$RUNLEVEL]\n");
    assert_eq!(l.warnings(), vec!["W0007"]);
    assert_eq!(
        l.find(Code::VariableInStartOn).primary.span,
        Span::new(20, 29)
    );
    let quiet = "start on net-device-up IFACE=${IFACE:-eth0} X=${Y-z} P=${}5 Q=$ R=${A+b}\n";
    assert!(lower_text(quiet).warnings().is_empty());
    assert_eq!(
        lower_text("start on foo A=${B:-$C}\n").warnings(),
        vec!["W0007"]
    );
    assert_eq!(lower_text("start on foo A=${B\n").warnings(), vec!["W0007"]);
}

/// The expansion is upinit's, which refuses `${` nested past 64 levels
/// (Upstart itself has no limit): a default 64 deep expands, 65 deep is a
/// `start on` value that never matches.
#[test]
fn start_on_references_nested_past_the_runtime_limit_warn() {
    let nested = |n: usize| format!("start on foo A={}x{}\n", "${B:-".repeat(n), "}".repeat(n));
    assert!(lower_text(&nested(64)).warnings().is_empty());
    let l = lower_text(&nested(65));
    assert_eq!(l.warnings(), vec!["W0007"]);
    let d = l.find(Code::VariableInStartOn);
    assert!(
        d.primary.message.contains("nested more than 64 deep"),
        "{}",
        d.primary.message
    );
    assert_eq!(d.primary.span.start, 15 + 64 * 5);
}

#[test]
fn mixed_operators_without_parentheses_warn() {
    let l = lower_text("start on a or b and c\n");
    assert_eq!(l.warnings(), vec!["W0008"]);
    let d = l.find(Code::AmbiguousPrecedence);
    assert_eq!(d.primary.span, Span::new(16, 19));
    assert_eq!(d.secondary.first().map(|s| s.span), Some(Span::new(11, 13)));
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| h.contains("`((a or b) and c)`")),
        "{d:?}"
    );
    assert_eq!(
        lower_text("stop on (a or b and c)\n").warnings(),
        vec!["W0008"]
    );
    for quiet in [
        "start on a or b or c\n",
        "start on (a or b) and c\n",
        "start on a or (b and c)\n",
        "start on a and b\n",
    ] {
        assert!(lower_text(quiet).warnings().is_empty(), "{quiet}");
    }
}

// ------------------------------------------------------- class-level warnings

#[test]
fn respawn_limit_without_respawn_warns_unless_respawn_is_anywhere() {
    assert_eq!(
        lower_text("exec x\nrespawn limit 5 10\n").warnings(),
        vec!["W0005"]
    );
    assert!(lower_text("exec x\nrespawn limit 5 10\nrespawn\n")
        .warnings()
        .is_empty());
    assert!(lower_parts(&["exec x\nrespawn limit 5 10\n", "respawn\n"])
        .warnings()
        .is_empty());
}

#[test]
fn task_without_main_process_warns() {
    assert_eq!(
        lower_text("task\npre-start exec /bin/true\n").warnings(),
        vec!["W0006"]
    );
    assert!(lower_text("task\nexec /bin/true\n").warnings().is_empty());
    assert!(lower_parts(&["task\n", "exec /bin/true\n"])
        .warnings()
        .is_empty());
}

#[test]
fn task_with_expect_warns() {
    let l = lower_text("task\nexpect stop\nexec /bin/x\n");
    assert_eq!(l.warnings(), vec!["W0011"]);
    assert!(lower_text("task\nexpect none\nexec /bin/x\n")
        .warnings()
        .is_empty());
}

#[test]
fn expect_fork_with_a_shell_that_forks_warns() {
    let script = "expect fork\nscript\n  mkdir -p /run/x\n  exec x\nend script\n";
    let l = lower_text(script);
    assert_eq!(l.warnings(), vec!["W0014"]);
    let d = l.find(Code::ExpectWithScript);
    assert_eq!(d.primary.span, Span::new(0, 11));
    assert!(
        d.secondary.iter().any(|s| s.message.contains("`mkdir`")),
        "{d:?}"
    );
    // The cookbook pattern: only builtins before `exec DAEMON`.
    let cookbook = "expect fork\nscript\n  . /etc/default/x\n  [ -n \"$X\" ] || exit 0\n  exec x $OPTS\nend script\n";
    assert!(lower_text(cookbook).warnings().is_empty());
    assert_eq!(
        lower_text("expect daemon\nexec foo | logger\n").warnings(),
        vec!["W0014"]
    );
    // `/bin/sh -c "exec CMD"` replaces itself: no extra fork.
    assert!(
        lower_text("expect fork\nexec /usr/sbin/foo --config=/etc/foo.conf 2>&1\n")
            .warnings()
            .is_empty()
    );
    assert!(lower_text("expect stop\nscript\n  exec x\nend script\n")
        .warnings()
        .is_empty());
}

#[test]
fn expect_daemon_with_a_script_that_runs_the_daemon_without_exec_warns_w0027() {
    let l = lower_text("expect daemon\nscript\n  . /etc/default/d\n  /usr/sbin/d -q\nend script\n");
    assert_eq!(l.warnings(), vec!["W0027"]);
    let d = l.find(Code::ExpectForegroundCommand);
    assert_eq!(d.primary.span, Span::new(0, 13));
    assert!(d.message.contains("`/usr/sbin/d`"), "{d:?}");
    assert!(d
        .help
        .as_deref()
        .is_some_and(|h| h.contains("exec /usr/sbin/d")));
    // With `exec`, or with another program before it (W0014's case), or
    // for `expect stop`, W0027 stays quiet.
    assert!(
        lower_text("expect fork\nscript\n  exec /usr/sbin/d\nend script\n")
            .warnings()
            .is_empty()
    );
    assert_eq!(
        lower_text("expect fork\nscript\n  mkdir /run/d\n  /usr/sbin/d\nend script\n").warnings(),
        vec!["W0014"]
    );
    assert!(
        lower_text("expect stop\nscript\n  /usr/sbin/d\nend script\n")
            .warnings()
            .is_empty()
    );
}

#[test]
fn expect_notify_and_ready_fd_lower_to_the_readiness_modes() {
    let l = lower_text("expect notify\nexec /usr/sbin/d\n");
    assert_eq!((l.class.expect, l.class.ready_fd), (Expect::Notify, None));
    let l = lower_text("ready fd 3\nexec /usr/sbin/d\n");
    assert_eq!((l.class.expect, l.class.ready_fd), (Expect::Fd, Some(3)));
    // They share `expect`'s slot: the later one wins, with W0013.
    let l = lower_text("ready fd 4\nexpect daemon\nexec /usr/sbin/d\n");
    assert_eq!((l.class.expect, l.class.ready_fd), (Expect::Daemon, None));
    assert!(l.warnings().contains(&"W0013"), "{:?}", l.warnings());
    let l = lower_text("expect fork\nready fd 255\nexec /usr/sbin/d\n");
    assert_eq!((l.class.expect, l.class.ready_fd), (Expect::Fd, Some(255)));
    // Sema marks both as extensions (W0028); `check` keeps the mark only
    // with --strict-upstart.
    assert!(l.warnings().contains(&"W0028"), "{:?}", l.warnings());
    assert!(!lower_text("expect fork\nexec d\n")
        .warnings()
        .contains(&"W0028"));
}

#[test]
fn a_ready_fd_outside_3_to_255_or_9_of_a_script_is_e0020() {
    for bad in ["0", "2", "256", "-3", "x", "3x"] {
        let l = lower_text(&format!("ready fd {bad}\nexec /usr/sbin/d\n"));
        assert_eq!(l.errors(), vec![("E0020", 9)], "{bad}");
        assert_eq!(l.class.expect, Expect::None, "{bad}");
    }
    let l = lower_text("ready fd 9\nscript\n  exec /usr/sbin/d\nend script\n");
    assert_eq!(l.errors(), vec![("E0020", 0)]);
    assert!(lower_text("ready fd 9\nexec /usr/sbin/d\n")
        .errors()
        .is_empty());
}

#[test]
fn job_with_only_documentation_warns_but_an_empty_file_does_not() {
    assert_eq!(
        lower_text("description \"x\"\nenv A=1\n").warnings(),
        vec!["W0020"]
    );
    assert!(lower_text("").diags.is_empty());
    assert!(lower_text("# nothing\n").diags.is_empty());
    for quiet in [
        "description x\nmanual\n",
        "description x\nstop on y\n",
        "instance $X\n",
        "task\nexec x\n",
    ] {
        assert!(!lower_text(quiet).codes().contains(&"W0020"), "{quiet}");
    }
    assert!(!lower_parts(&["description x\n", "start on y\n"])
        .codes()
        .contains(&"W0020"));
}

#[test]
fn missing_things_are_not_reported_when_a_stanza_failed_to_parse() {
    let l = lower_text("task\nexce /bin/x\nrespawn limit 1 2\n");
    assert_eq!(l.errors().len(), 1, "{:#?}", l.diags);
    assert!(l.warnings().is_empty(), "{:#?}", l.diags);
}

#[test]
fn every_bad_value_in_a_file_is_reported() {
    let l =
        lower_text("nice 99\numask 9\nkill timeout x\nconsole x\nexpect x\noom 99\nlimit x 1 2\n");
    let codes: Vec<_> = l.errors().into_iter().map(|(c, _)| c).collect();
    assert_eq!(
        codes,
        ["E0011", "E0010", "E0007", "E0006", "E0006", "E0012", "E0006"]
    );
}
