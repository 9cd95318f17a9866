//! Where events come from: init itself, the well-known outside sources of a
//! standard Upstart system (spec/standard-jobs.md section 4), `emits`
//! declarations of the job set, and `--assume-event`.
//!
//! The well-known table is what `upc check --explain-events` prints. Names
//! may be globs (`*-device-added` is a family, as `emits` may declare one);
//! an event waited on matches an entry when the entry's pattern matches the
//! event's name.

use super::pattern::fnmatch;

/// What is known about the environment an event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carries {
    /// Exactly these variables, in this order (positional matching uses it).
    Exactly(&'static [&'static str]),
    /// These first, in this order, then anything.
    Starts(&'static [&'static str]),
    /// Nothing is known.
    Unknown,
}

/// One well-known event (or family of events).
#[derive(Debug, Clone, Copy)]
pub struct WellKnown {
    pub name: &'static str,
    pub emitter: &'static str,
    /// What it carries.
    pub carries: Carries,
    /// Whether a normal boot emits it (used by the boot order preview only).
    pub at_boot: bool,
}

const NONE: Carries = Carries::Exactly(&[]);

macro_rules! well_known {
    ($(($name:literal, $emitter:literal, $carries:expr, $boot:literal),)*) => {
        static WELL_KNOWN: &[WellKnown] = &[$(WellKnown {
            name: $name,
            emitter: $emitter,
            carries: $carries,
            at_boot: $boot,
        },)*];
        static PAIRS: &[(&str, &str)] = &[$(($name, $emitter),)*];
    };
}

well_known! {
    // Init itself (runtime-semantics.md 16.1, 16.2, 18).
    ("startup", "init, once at boot", NONE, true),
    ("control-alt-delete", "init, on SIGINT (Ctrl-Alt-Del)", NONE, false),
    ("keyboard-request", "init, on SIGWINCH (Alt-Up-Arrow)", NONE, false),
    ("power-status-changed", "init, on SIGPWR", NONE, false),
    ("session-end", "the session init, when it shuts down", Carries::Exactly(&["TYPE"]), false),
    ("child-subreaper-failed", "a session init that could not become subreaper", NONE, false),
    // telinit and shutdown.
    ("runlevel", "telinit, shutdown (rc-sysinit at boot)", Carries::Starts(&["RUNLEVEL", "PREVLEVEL"]), true),
    // mountall.
    ("mounting", "mountall, before each mount", Carries::Unknown, true),
    ("mounted", "mountall, after each mount", Carries::Unknown, true),
    ("virtual-filesystems", "mountall", Carries::Unknown, true),
    ("local-filesystems", "mountall", Carries::Unknown, true),
    ("remote-filesystems", "mountall", Carries::Unknown, true),
    ("all-swaps", "mountall", Carries::Unknown, true),
    ("filesystem", "mountall, after the last mount", Carries::Unknown, true),
    ("device-not-ready", "mountall, on a device time-out", Carries::Unknown, false),
    // udev through upstart-udev-bridge: SUBSYSTEM-device-ACTION.
    ("*-device-added", "upstart-udev-bridge", Carries::Unknown, true),
    ("*-device-removed", "upstart-udev-bridge", Carries::Unknown, false),
    ("*-device-changed", "upstart-udev-bridge", Carries::Unknown, false),
    ("*-device-online", "upstart-udev-bridge", Carries::Unknown, false),
    ("*-device-offline", "upstart-udev-bridge", Carries::Unknown, false),
    // Networking.
    ("net-device-up", "ifup, the network-interface job", Carries::Unknown, true),
    ("net-device-down", "ifdown, the network-interface job", Carries::Unknown, false),
    ("static-network-up", "the network-interface job, last static interface up", Carries::Unknown, true),
    ("deconfiguring-networking", "the SysV networking script", Carries::Unknown, false),
    ("unmounted-remote-filesystems", "the SysV umountnfs.sh script", Carries::Unknown, false),
    // Standard jobs.
    ("container", "container-detect, inside a container", Carries::Unknown, true),
    ("not-container", "container-detect, on real hardware", Carries::Unknown, true),
    ("failsafe-boot", "failsafe, when boot stalls for 120 s", Carries::Unknown, false),
    ("recovery", "the initramfs or boot loader, in recovery mode", Carries::Unknown, false),
    // Bridges and desktop.
    ("socket", "upstart-socket-bridge", Carries::Unknown, false),
    ("file", "upstart-file-bridge", Carries::Unknown, false),
    ("dbus", "upstart-dbus-bridge", Carries::Unknown, false),
    ("dbus-activation", "dbus-daemon --activation=upstart", Carries::Unknown, false),
    ("dconf", "upstart-dconf-bridge", Carries::Unknown, false),
    ("rotate-logs", "/etc/cron.daily/upstart", Carries::Unknown, false),
    ("desktop-session-start", "the display manager", Carries::Unknown, false),
    ("desktop-shutdown", "the display manager", Carries::Unknown, false),
    ("login-session-start", "the display manager", Carries::Unknown, false),
    ("desktop-start", "the desktop session", Carries::Unknown, false),
    ("desktop-end", "the desktop session", Carries::Unknown, false),
    ("xsession", "xsession-init (session init)", Carries::Unknown, false),
    (":sys:*", "upstart-event-bridge (system events forwarded to a session)", Carries::Unknown, false),
}

/// Jobs of a standard Upstart system that other packages install
/// (spec/standard-jobs.md sections 1 and 2): name, what it is, whether a
/// normal boot starts it, whether it is a task (so its `stopped` comes at
/// boot). A job set that waits on their events without containing them is
/// not reported; a job of the set with the same name takes precedence.
static WELL_KNOWN_JOBS: &[(&str, &str, bool, bool)] = &[
    ("rc", "the System V runlevel scripts (upstart)", true, true),
    ("rcS", "single-user mode (upstart)", false, false),
    (
        "rc-sysinit",
        "System V initialisation (upstart)",
        true,
        true,
    ),
    (
        "control-alt-delete",
        "Ctrl-Alt-Del handler (upstart)",
        false,
        true,
    ),
    ("shutdown", "SIGPWR handler (upstart)", false, true),
    ("tty1", "getty on tty1 (upstart)", true, false),
    ("tty2", "getty on tty2 (upstart)", true, false),
    ("tty3", "getty on tty3 (upstart)", true, false),
    ("tty4", "getty on tty4 (upstart)", true, false),
    ("tty5", "getty on tty5 (upstart)", true, false),
    ("tty6", "getty on tty6 (upstart)", true, false),
    (
        "console",
        "getty on the console in a container (upstart)",
        false,
        false,
    ),
    (
        "container-detect",
        "container detection (upstart)",
        true,
        false,
    ),
    ("failsafe", "boot time-out (upstart)", true, false),
    (
        "flush-early-job-log",
        "early job logs to disk (upstart)",
        true,
        true,
    ),
    (
        "wait-for-state",
        "helper waiting for a job state (upstart)",
        false,
        true,
    ),
    (
        "upstart-udev-bridge",
        "udev events bridge (upstart)",
        true,
        false,
    ),
    (
        "upstart-socket-bridge",
        "socket events bridge (upstart)",
        true,
        false,
    ),
    (
        "upstart-file-bridge",
        "file events bridge (upstart)",
        true,
        false,
    ),
    (
        "upstart-dbus-bridge",
        "D-Bus events bridge (upstart)",
        true,
        false,
    ),
    (
        "upstart-event-bridge",
        "system events into sessions (upstart)",
        true,
        false,
    ),
    (
        "mountall",
        "mounts the file systems (mountall)",
        true,
        false,
    ),
    ("udev", "the device manager (udev)", true, false),
    ("dbus", "the D-Bus system bus (dbus)", true, false),
    (
        "network-interface",
        "brings up one interface (ifupdown)",
        true,
        false,
    ),
    (
        "networking",
        "brings up the static network (ifupdown)",
        true,
        true,
    ),
    ("plymouth", "the boot splash (plymouth)", true, false),
];

/// A job of a standard system that the job set need not contain:
/// (what it is, started at boot, is a task).
pub fn well_known_job(name: &str) -> Option<(&'static str, bool, bool)> {
    WELL_KNOWN_JOBS
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|&(_, what, boot, task)| (what, boot, task))
}

/// The well-known jobs and what they are, as `upc check --explain-events`
/// prints them.
pub fn well_known_jobs() -> impl Iterator<Item = (&'static str, &'static str)> {
    WELL_KNOWN_JOBS.iter().map(|&(n, what, ..)| (n, what))
}

/// The well-known events with who emits them, as `upc check
/// --explain-events` prints them. Besides these, init emits the job events
/// (`starting`, `started`, `stopping`, `stopped`) of every job and
/// `NAME/failed` for every event whose jobs failed.
pub fn well_known_events() -> &'static [(&'static str, &'static str)] {
    PAIRS
}

/// The entry whose name or pattern matches `event`.
pub fn well_known(event: &str) -> Option<&'static WellKnown> {
    static EXACT: std::sync::OnceLock<std::collections::HashMap<&'static str, &'static WellKnown>> =
        std::sync::OnceLock::new();
    let exact = EXACT.get_or_init(|| {
        WELL_KNOWN
            .iter()
            .filter(|w| !w.name.contains(['*', '?', '[']))
            .map(|w| (w.name, w))
            .collect()
    });
    if let Some(w) = exact.get(event) {
        return Some(w);
    }
    WELL_KNOWN
        .iter()
        .filter(|w| w.name.contains(['*', '?', '[']))
        .find(|w| fnmatch(w.name, event))
}

/// The names of the well-known table that are plain names (for did-you-mean).
pub fn well_known_names() -> impl Iterator<Item = &'static str> {
    WELL_KNOWN
        .iter()
        .map(|w| w.name)
        .filter(|n| !n.contains(['*', '?', '[']))
}

/// The four events init emits for every job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobEvent {
    Starting,
    Started,
    Stopping,
    Stopped,
}

impl JobEvent {
    pub const ALL: [JobEvent; 4] = [
        JobEvent::Starting,
        JobEvent::Started,
        JobEvent::Stopping,
        JobEvent::Stopped,
    ];

    pub fn from_name(name: &str) -> Option<JobEvent> {
        Some(match name {
            "starting" => JobEvent::Starting,
            "started" => JobEvent::Started,
            "stopping" => JobEvent::Stopping,
            "stopped" => JobEvent::Stopped,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            JobEvent::Starting => "starting",
            JobEvent::Started => "started",
            JobEvent::Stopping => "stopping",
            JobEvent::Stopped => "stopped",
        }
    }

    /// `starting` and `stopping` hold the job until what they start or stop
    /// has finished (runtime-semantics.md 5).
    pub fn blocks(self) -> bool {
        matches!(self, JobEvent::Starting | JobEvent::Stopping)
    }

    /// `stopping` and `stopped` carry RESULT (and PROCESS, EXIT_*).
    pub fn is_stop(self) -> bool {
        matches!(self, JobEvent::Stopping | JobEvent::Stopped)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A set of event-name patterns (`emits` or `--assume-event`): exact names
/// hashed, globs scanned.
#[derive(Debug, Default)]
pub struct PatternSet {
    exact: std::collections::HashMap<String, Vec<usize>>,
    globs: Vec<(String, usize)>,
}

impl PatternSet {
    pub fn insert(&mut self, pattern: &str, owner: usize) {
        if pattern.contains(['*', '?', '[']) {
            self.globs.push((pattern.to_owned(), owner));
        } else {
            self.exact
                .entry(pattern.to_owned())
                .or_default()
                .push(owner);
        }
    }

    /// The owners of every pattern matching `event`, in insertion order per kind.
    pub fn owners(&self, event: &str) -> Vec<usize> {
        let mut out: Vec<usize> = self.exact.get(event).cloned().unwrap_or_default();
        out.extend(
            self.globs
                .iter()
                .filter(|(p, _)| fnmatch(p, event))
                .map(|(_, o)| *o),
        );
        out.sort_unstable();
        out.dedup();
        out
    }

    pub fn matches(&self, event: &str) -> bool {
        self.exact.contains_key(event) || self.globs.iter().any(|(p, _)| fnmatch(p, event))
    }

    /// The exact names, for did-you-mean.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.exact.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_match_by_glob() {
        assert_eq!(
            well_known("net-device-added").map(|w| w.name),
            Some("*-device-added")
        );
        assert_eq!(well_known(":sys:restarted").map(|w| w.name), Some(":sys:*"));
        assert!(well_known("filesystems").is_none());
        assert!(well_known_events().iter().any(|(n, _)| *n == "startup"));
    }

    #[test]
    fn pattern_set_owners() {
        let mut s = PatternSet::default();
        s.insert("foo", 1);
        s.insert("*-up", 2);
        s.insert("foo", 3);
        assert_eq!(s.owners("foo"), vec![1, 3]);
        assert_eq!(s.owners("net-up"), vec![2]);
        assert!(!s.matches("bar"));
    }
}
