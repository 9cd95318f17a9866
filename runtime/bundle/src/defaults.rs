//! Upstart 1.13's defaults for what a job file does not say
//! (job-language.md §4), written once, and [`JobSpec::new`], the job that
//! has them all. The compiler's IR (`JobClass::new`) takes them from here
//! too, so the job a compiler lowers and the job a test builds by hand
//! start from the same values.
//!
//! What has no default value (no process, no condition, no `nice`, no
//! limit, ...) is `None` or empty in both and is not listed.

use crate::model::{Console, Expect, JobSpec};

/// `kill timeout`: seconds between the kill signal and SIGKILL.
pub const KILL_TIMEOUT_SECS: u64 = 5;
/// `kill signal`: SIGTERM.
pub const KILL_SIGNAL: i32 = crate::signals::SIGTERM;
/// `reload signal`: SIGHUP.
pub const RELOAD_SIGNAL: i32 = crate::signals::SIGHUP;
/// `respawn limit COUNT INTERVAL`: at most 10 respawns ...
pub const RESPAWN_LIMIT_COUNT: u32 = 10;
/// ... within 5 seconds.
pub const RESPAWN_LIMIT_INTERVAL_SECS: u32 = 5;
/// `umask` of a system job (a session init's jobs take init's own).
pub const UMASK: u16 = 0o022;
/// `expect`: the main process is the one spawned.
pub const EXPECT: Expect = Expect::None;
/// The console of a job that names none: `log`, unless init was started
/// with `--default-console` (a job with no `console` stanza stores `None`,
/// "init's default", and the runtime applies this or its own setting).
pub const CONSOLE: Console = Console::Log;

impl JobSpec {
    /// A job with Upstart's defaults (this module's, job-language.md §4).
    pub fn new(name: impl Into<String>, file: impl Into<String>) -> JobSpec {
        JobSpec {
            name: name.into(),
            file: file.into(),
            override_file: None,
            description: None,
            author: None,
            version: None,
            usage: None,
            processes: Vec::new(),
            start_on: None,
            stop_on: None,
            emits: Vec::new(),
            task: false,
            respawn: false,
            respawn_count: Some(RESPAWN_LIMIT_COUNT),
            respawn_interval: Some(RESPAWN_LIMIT_INTERVAL_SECS),
            normal_exit: Vec::new(),
            instance: String::new(),
            expect: EXPECT,
            ready_fd: None,
            kill_timeout: KILL_TIMEOUT_SECS,
            kill_signal: KILL_SIGNAL,
            reload_signal: RELOAD_SIGNAL,
            console: None,
            umask: UMASK,
            nice: None,
            oom_score: None,
            limits: Vec::new(),
            chroot: None,
            chdir: None,
            setuid: None,
            setgid: None,
            apparmor_switch: None,
            env: Vec::new(),
            export: Vec::new(),
            cgroups: Vec::new(),
            debug: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::signal_number;

    #[test]
    fn the_default_signals_are_term_and_hup() {
        assert_eq!(signal_number("TERM"), Some(KILL_SIGNAL));
        assert_eq!(signal_number("HUP"), Some(RELOAD_SIGNAL));
    }
}
