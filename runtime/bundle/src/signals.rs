//! The signal name table Upstart uses (libnih `nih_signal_from_name`), shared
//! by the compiler's checks and the runtime's `EXIT_SIGNAL=` and log lines.
//!
//! Names are matched exactly (case-sensitive), with or without a `SIG`
//! prefix, and map to Linux signal numbers. The table is the whole truth for
//! `kill signal`, `reload signal` and `normal exit`; numbers are handled by
//! the callers in `values`.

/// The signals the runtime and the compiler name in code (Linux numbers).
pub const SIGHUP: i32 = 1;
pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;
pub const SIGCONT: i32 = 18;

/// `(name without SIG, Linux number)`, in libnih's order. Where two names
/// share a number (IOT/ABRT, CLD/CHLD, POLL/IO) the first one is canonical.
const SIGNALS: [(&str, i32); 34] = [
    ("HUP", SIGHUP),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("IOT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", SIGKILL),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", SIGTERM),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CLD", 17),
    ("CONT", SIGCONT),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("POLL", 29),
    ("PWR", 30),
    ("SYS", 31),
];

/// The highest signal number Linux can deliver (`SIGRTMAX`).
pub const SIGNAL_MAX: i32 = 64;

/// The number of a signal name (`TERM` or `SIGTERM`), as Upstart reads it:
/// exact and case-sensitive, so `term` and `SIGSIGTERM` are not names.
pub fn signal_number(name: &str) -> Option<i32> {
    let bare = name.strip_prefix("SIG").unwrap_or(name);
    SIGNALS
        .iter()
        .find(|(n, _)| *n == bare)
        .map(|&(_, num)| num)
}

/// The canonical name of a signal number, without the `SIG` prefix (`TERM`),
/// as Upstart prints it in "killed by TERM signal".
pub fn signal_name(number: i32) -> Option<&'static str> {
    SIGNALS
        .iter()
        .find(|&&(_, num)| num == number)
        .map(|&(n, _)| n)
}

/// Every name of the table (for "did you mean" suggestions).
pub fn signal_names() -> impl Iterator<Item = &'static str> {
    SIGNALS.iter().map(|&(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_with_and_without_sig_prefix() {
        assert_eq!(signal_number("TERM"), Some(15));
        assert_eq!(signal_number("SIGTERM"), Some(15));
        assert_eq!(signal_number("SIGRTMIN"), None);
        assert_eq!(signal_number("USR2"), Some(12));
    }

    #[test]
    fn names_are_case_sensitive_and_the_prefix_is_stripped_once() {
        assert_eq!(signal_number("term"), None);
        assert_eq!(signal_number("SigTERM"), None);
        assert_eq!(signal_number("SIGSIGTERM"), None);
        assert_eq!(signal_number("SIG"), None);
        assert_eq!(signal_number(""), None);
    }

    #[test]
    fn aliases_share_a_number_and_the_first_name_is_canonical() {
        assert_eq!(signal_number("IOT"), Some(6));
        assert_eq!(signal_number("CLD"), Some(17));
        assert_eq!(signal_number("POLL"), Some(29));
        assert_eq!(signal_name(6), Some("ABRT"));
        assert_eq!(signal_name(17), Some("CHLD"));
        assert_eq!(signal_name(29), Some("IO"));
    }

    #[test]
    fn every_name_round_trips_through_its_number() {
        for name in signal_names() {
            let n = signal_number(name);
            assert!(n.is_some_and(|n| (1..=31).contains(&n)), "{name}");
            let canonical = n.and_then(signal_name);
            assert_eq!(canonical.and_then(signal_number), n, "{name}");
        }
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(32), None);
    }
}
