//! The registry of diagnostic codes.
//!
//! Codes are stable: once released, a code keeps its number and meaning
//! (packagers grep for them and suppress them by number). New codes are
//! appended; retired ones are never reused. Errors (`E`) are exactly the
//! files Upstart 1.13 refuses to load; warnings (`W`) are files Upstart loads
//! but that almost certainly do not do what their author meant.

use super::Severity;

/// What the registry knows about one code.
#[derive(Debug)]
pub struct CodeInfo {
    pub code: Code,
    /// `E0001`, `W0003`, ...
    pub id: &'static str,
    /// A kebab-case name, for humans and for SARIF rule names.
    pub name: &'static str,
    pub severity: Severity,
    /// One line, as in the list `upc explain` prints.
    pub summary: &'static str,
    /// The long text `upc explain CODE` prints: what, why, a wrong and a
    /// right example.
    pub explanation: &'static str,
}

macro_rules! codes {
    ($($variant:ident = $id:literal, $name:literal, $sev:ident, $summary:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant,)* }

        static INFOS: &[CodeInfo] = &[$(CodeInfo {
            code: Code::$variant,
            id: $id,
            name: $name,
            severity: Severity::$sev,
            summary: $summary,
            explanation: include_str!(concat!("explain/", $id, ".md")),
        },)*];

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
        }
    };
}

codes! {
    // Errors: the loader's own error list (job-language.md 2.9), one code each.
    ExpectedToken = "E0001", "expected-token", Error, "a stanza is missing an argument or keyword";
    UnexpectedToken = "E0002", "unexpected-token", Error, "extra text after a complete stanza";
    TrailingSlash = "E0003", "trailing-slash", Error, "the file ends with a backslash";
    UnterminatedQuote = "E0004", "unterminated-quote", Error, "a quote is never closed";
    UnterminatedBlock = "E0005", "unterminated-block", Error, "a script block has no `end script`";
    UnknownStanza = "E0006", "unknown-stanza", Error, "unknown stanza, keyword or value";
    IllegalInterval = "E0007", "illegal-interval", Error, "a time interval is not a number of seconds";
    IllegalExit = "E0008", "illegal-exit", Error, "a `normal exit` value is not an exit status or signal";
    IllegalSignal = "E0009", "illegal-signal", Error, "not a signal name or number";
    IllegalUmask = "E0010", "illegal-umask", Error, "`umask` is not an octal mask";
    IllegalNice = "E0011", "illegal-nice", Error, "`nice` is outside -20..19";
    IllegalOom = "E0012", "illegal-oom", Error, "`oom` value out of range";
    IllegalLimit = "E0013", "illegal-limit", Error, "a limit is neither a number nor `unlimited`";
    ExpectedEvent = "E0014", "expected-event", Error, "an operator without an event on one side";
    ExpectedOperator = "E0015", "expected-operator", Error, "two events without `and`/`or` between them";
    ExpectedVariable = "E0016", "expected-variable", Error, "a positional argument after a KEY=VALUE one";
    MismatchedParens = "E0017", "mismatched-parens", Error, "unbalanced parentheses in an event expression";
    Unreadable = "E0018", "unreadable", Error, "a file or directory could not be read";

    // Warnings: accepted by Upstart, almost certainly a mistake.
    TextAfterFlag = "W0001", "text-after-flag", Warning, "text after `manual` or `debug` is read as another stanza";
    EscapeAfterSpace = "W0002", "escape-after-space", Warning, "whitespace before `\\X` is mangled by the tokenizer";
    ScriptNotDedented = "W0003", "script-not-dedented", Warning, "an empty line in an indented script turns de-indentation off";
    ExitNeverMatches = "W0004", "exit-never-matches", Warning, "a `normal exit` value that no process can exit with";
    RespawnLimitWithoutRespawn = "W0005", "respawn-limit-without-respawn", Warning, "`respawn limit` without `respawn` does nothing";
    TaskWithoutMain = "W0006", "task-without-main", Warning, "a task with no main process";
    VariableInStartOn = "W0007", "variable-in-start-on", Warning, "a `$VAR` in `start on` never matches";
    AmbiguousPrecedence = "W0008", "ambiguous-precedence", Warning, "`and`/`or` mixed without parentheses";
    KillSignalOutOfRange = "W0009", "signal-out-of-range", Warning, "a signal number that is not a real signal";
    LimitSoftAboveHard = "W0010", "limit-soft-above-hard", Warning, "a soft limit above its hard limit";
    TaskWithExpect = "W0011", "task-with-expect", Warning, "`expect` on a task";
    InvalidUtf8 = "W0012", "invalid-utf8", Warning, "the file is not valid UTF-8";
    OverriddenStanza = "W0013", "overridden-stanza", Warning, "a stanza set twice in one file; the first is ignored";
    ExpectWithScript = "W0014", "expect-with-script", Warning, "`expect fork`/`daemon` with a shell as main process";
    InvalidVariableName = "W0015", "invalid-variable-name", Warning, "an `env`/`export` name that is not a variable name";
    LoneOverride = "W0016", "lone-override", Warning, "an `.override` file with no job file";
    CgroupUnsupported = "W0017", "cgroup-unsupported", Warning, "`cgroup` needs a cgroup manager that upinit does not provide";
    LegacyOom = "W0018", "legacy-oom", Warning, "the deprecated `oom N` form";
    ScriptDefinedTwice = "W0019", "process-defined-twice", Warning, "a process defined twice; the first is ignored";
    EmptyJob = "W0020", "empty-job", Warning, "a job with no process and no `start on`/`stop on` does nothing";

    // Whole-job-set (graph) checks.
    BlockingCycle = "E0019", "blocking-cycle", Error, "jobs that wait on each other's `starting`/`stopping` deadlock";
    NeverStarts = "W0021", "never-starts", Warning, "a job whose `start on` can never be satisfied";
    UnknownEvent = "W0022", "unknown-event", Warning, "an event that no job, init or declared source emits";
    NeverStops = "W0023", "never-stops", Warning, "a `stop on` that can never fire";
    StartStopSameEvent = "W0024", "start-stop-same-event", Warning, "`start on` and `stop on` fire on the same event";
    MissingVariable = "W0025", "missing-variable", Warning, "a variable that no event starting the job carries";
    ExportNeverSet = "W0026", "export-never-set", Warning, "`export` of a variable the job never has";

    // upc's readiness extensions (`expect notify`, `ready fd N`) and the
    // `expect` mistakes upc can see.
    IllegalReadyFd = "E0020", "illegal-ready-fd", Error, "`ready fd` is not a descriptor from 3 to 255 the job can use";
    ExpectForegroundCommand = "W0027", "expect-foreground-command", Warning, "`expect fork`/`daemon` with a script that runs the daemon without `exec`";
    UpstartExtension = "W0028", "upstart-extension", Warning, "a upc extension Upstart 1.13 refuses (only with --strict-upstart)";
}

impl Code {
    pub fn info(self) -> &'static CodeInfo {
        // INFOS is generated in the same order as the enum.
        match INFOS.get(self as usize) {
            Some(info) => info,
            None => unreachable_code(),
        }
    }

    pub fn as_str(self) -> &'static str {
        self.info().id
    }

    /// Whether the code comes from the whole-job-set (graph) checks, which
    /// look at every job at once, rather than from one job's own files.
    pub fn is_whole_set(self) -> bool {
        matches!(
            self,
            Code::BlockingCycle
                | Code::NeverStarts
                | Code::UnknownEvent
                | Code::NeverStops
                | Code::StartStopSameEvent
                | Code::MissingVariable
                | Code::ExportNeverSet
        )
    }

    /// Looks a code up by its id (`E0001`, case-insensitive) or its name.
    pub fn parse(s: &str) -> Option<Code> {
        INFOS
            .iter()
            .find(|i| i.id.eq_ignore_ascii_case(s) || i.name == s)
            .map(|i| i.code)
    }
}

#[cold]
fn unreachable_code() -> ! {
    // The macro builds INFOS from the same list as the enum, so every
    // discriminant has an entry; this is a compile-time fact, not input.
    unreachable!("code registry out of step with the Code enum")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_entry_in_order() {
        for (i, code) in Code::ALL.iter().enumerate() {
            assert_eq!(*code as usize, i);
            assert_eq!(code.info().code, *code);
        }
    }

    #[test]
    fn ids_are_unique_and_severity_matches_prefix() {
        let mut ids: Vec<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Code::ALL.len());
        for c in Code::ALL {
            let info = c.info();
            let want = match info.id.get(..1) {
                Some("E") => Severity::Error,
                Some("W") => Severity::Warning,
                _ => Severity::Note,
            };
            assert_eq!(info.severity, want, "{}", info.id);
        }
    }

    #[test]
    fn every_explanation_has_a_wrong_and_a_right_example() {
        for c in Code::ALL {
            let text = c.info().explanation;
            assert!(text.contains("```"), "{} has no example", c.as_str());
            assert!(
                text.matches("```").count() >= 4,
                "{} needs a wrong and a right example",
                c.as_str()
            );
        }
    }

    #[test]
    fn parse_accepts_id_and_name() {
        assert_eq!(Code::parse("e0006"), Some(Code::UnknownStanza));
        assert_eq!(Code::parse("unknown-stanza"), Some(Code::UnknownStanza));
        assert_eq!(Code::parse("X9999"), None);
    }
}
