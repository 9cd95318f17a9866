//! Numbers and typed stanza values, read exactly as Upstart reads them.
//!
//! Upstart parses numbers with C `strtol`/`strtoul` and then checks
//! `errno || *endptr || range`. [`strtol`] and [`strtoul`] reproduce that
//! pair: C's syntax (leading C whitespace skipped, an optional sign, at
//! least one digit, nothing after the digits) and C's overflow rule (a value
//! outside `long`/`unsigned long` is `ERANGE`). One deliberate difference:
//! an empty string is rejected, where C would return 0 with `*endptr == 0`;
//! Upstart never sees one because the tokenizer reports an empty argument as
//! "Expected token" first.
//!
//! The per-stanza functions below add Upstart's range checks, including its
//! C integer conversions where they decide what is accepted (`nice`, `oom`
//! and the respawn count are stored in an `int`, the umask in a `mode_t`).
//! They never produce diagnostics themselves: an `Err` carries the reason,
//! and `lower` turns it into the error code Upstart would report.

use super::ir::LimitValue;
use super::signals::{signal_number, SIGNAL_MAX};

/// Why a number did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// Empty, or no digit where the number should start (`foo`, `-`).
    NotANumber,
    /// Digits followed by something else (`99foo`, `5 `).
    TrailingText,
    /// Outside the C type's range (`ERANGE`).
    OutOfRange,
}

/// A C `strtol(text, &end, radix)` whose result Upstart accepts only when
/// `errno == 0` and `*end == '\0'`. `radix` is 2..=36; no `0x` prefix is
/// recognised (Upstart only uses radix 8 and 10).
pub fn strtol(text: &str, radix: u32) -> Result<i64, NumberError> {
    let (negative, magnitude) = scan(text, radix)?;
    match magnitude {
        Some(m) if negative => {
            // -(i64::MAX + 1) is the one magnitude beyond i64::MAX that fits.
            if m <= i64::MIN.unsigned_abs() {
                Ok(0i64.wrapping_sub_unsigned(m))
            } else {
                Err(NumberError::OutOfRange)
            }
        }
        Some(m) => i64::try_from(m).map_err(|_| NumberError::OutOfRange),
        None => Err(NumberError::OutOfRange),
    }
}

/// A C `strtoul(text, &end, radix)` with Upstart's `errno || *end` check.
/// Like C, a leading `-` negates in unsigned arithmetic: `-1` is
/// `u64::MAX`, `-0` is 0.
pub fn strtoul(text: &str, radix: u32) -> Result<u64, NumberError> {
    let (negative, magnitude) = scan(text, radix)?;
    match magnitude {
        Some(m) if negative => Ok(m.wrapping_neg()),
        Some(m) => Ok(m),
        None => Err(NumberError::OutOfRange),
    }
}

/// The common part of strtol/strtoul: sign and magnitude (`None` when the
/// magnitude overflows u64).
fn scan(text: &str, radix: u32) -> Result<(bool, Option<u64>), NumberError> {
    // C isspace: space, \t, \n, \v, \f, \r.
    let rest = text.trim_start_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
    let (negative, digits) = match rest.as_bytes().first() {
        Some(b'-') => (true, rest.get(1..).unwrap_or("")),
        Some(b'+') => (false, rest.get(1..).unwrap_or("")),
        _ => (false, rest),
    };
    let mut magnitude = Some(0u64);
    let mut count = 0usize;
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else { break };
        magnitude = magnitude
            .and_then(|m| m.checked_mul(u64::from(radix)))
            .and_then(|m| m.checked_add(u64::from(d)));
        count += 1;
    }
    if count == 0 {
        return Err(NumberError::NotANumber);
    }
    // Every digit is ASCII, so `count` bytes were consumed.
    if digits.len() > count {
        return Err(NumberError::TrailingText);
    }
    Ok((negative, magnitude))
}

/// A stanza value Upstart rejects, with the reason for the label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub reason: String,
}

impl Invalid {
    fn new(reason: impl Into<String>) -> Invalid {
        Invalid {
            reason: reason.into(),
        }
    }

    fn number(e: NumberError, what: &str) -> Invalid {
        match e {
            NumberError::NotANumber => Invalid::new(format!("is not {what}")),
            NumberError::TrailingText => Invalid::new("has text after its digits"),
            NumberError::OutOfRange => Invalid::new("is out of range"),
        }
    }
}

/// `respawn limit COUNT _`: `long`, then stored in an `int` and checked
/// `>= 0`. So `2147483648` wraps negative and is rejected, `4294967306`
/// wraps to 10 and is accepted, as in Upstart. `Ok(None)` = 0 = unlimited.
pub fn respawn_count(text: &str) -> Result<Option<u32>, Invalid> {
    let long = strtol(text, 10).map_err(|e| Invalid::number(e, "a number"))?;
    // Truncating conversion to C `int`, deliberately (see above).
    let int = long as i32;
    if int < 0 {
        let why = if long < 0 {
            "is negative"
        } else {
            "is too large (Upstart stores it in an `int`)"
        };
        return Err(Invalid::new(why));
    }
    Ok(u32::try_from(int).ok().filter(|&n| n != 0))
}

/// `respawn limit _ INTERVAL` (a `time_t`, checked `>= 0`).
/// `Ok(None)` = 0 = unlimited; values beyond `u32` saturate (136 years).
pub fn respawn_interval(text: &str) -> Result<Option<u32>, Invalid> {
    let secs = seconds(text)?;
    Ok(Some(u32::try_from(secs).unwrap_or(u32::MAX)).filter(|&n| n != 0))
}

/// `kill timeout N`: `long`, `>= 0`.
/// `ready fd N` (upc's extension): a descriptor from 3 (0-2 are the
/// standard ones) to 255.
pub fn ready_fd(text: &str) -> Result<u8, Invalid> {
    let long = strtol(text, 10).map_err(|e| Invalid::number(e, "a descriptor number"))?;
    match u8::try_from(long) {
        Ok(fd) if fd >= upc_bundle::model::READY_FD_MIN => Ok(fd),
        Ok(_) => Err(Invalid::new("is a standard descriptor (0-2)")),
        Err(_) if long < 0 => Err(Invalid::new("is negative")),
        Err(_) => Err(Invalid::new("is above 255")),
    }
}

pub fn kill_timeout(text: &str) -> Result<u64, Invalid> {
    seconds(text)
}

fn seconds(text: &str) -> Result<u64, Invalid> {
    let long = strtol(text, 10).map_err(|e| Invalid::number(e, "a number of seconds"))?;
    u64::try_from(long).map_err(|_| Invalid::new("is negative"))
}

/// One `normal exit` value: a signal name (stored `signo << 8`) or an
/// `unsigned long` up to `INT_MAX` (so `-1`, which wraps, is rejected).
pub fn exit_status(text: &str) -> Result<i64, Invalid> {
    if let Some(signo) = signal_number(text) {
        return Ok(i64::from(signo) << 8);
    }
    let n = strtoul(text, 10).map_err(|e| Invalid::number(e, "an exit status or signal name"))?;
    if n > i32::MAX as u64 {
        let why = if text.trim_start().starts_with('-') {
            "is negative"
        } else {
            "is too large"
        };
        return Err(Invalid::new(why));
    }
    i64::try_from(n).map_err(|_| Invalid::new("is too large"))
}

/// `kill signal` / `reload signal`: a name, or an `unsigned long` up to
/// `INT_MAX` (no check against the real signal range; see
/// [`signal_in_range`]).
pub fn signal(text: &str) -> Result<i32, Invalid> {
    if let Some(signo) = signal_number(text) {
        return Ok(signo);
    }
    let n = strtoul(text, 10).map_err(|e| Invalid::number(e, "a signal name or number"))?;
    i32::try_from(n).map_err(|_| {
        let why = if text.trim_start().starts_with('-') {
            "is negative"
        } else {
            "is too large"
        };
        Invalid::new(why)
    })
}

/// Whether a signal number is one Linux can deliver.
pub fn signal_in_range(signo: i32) -> bool {
    (1..=SIGNAL_MAX).contains(&signo)
}

/// `umask MASK`: `unsigned long` in octal, converted to `mode_t` (32 bits),
/// with no bit outside 0777.
pub fn umask(text: &str) -> Result<u32, Invalid> {
    let n = strtoul(text, 8).map_err(|e| Invalid::number(e, "an octal mask"))?;
    // Truncating conversion to C `mode_t`, deliberately: that is the value
    // Upstart checks.
    let mode = n as u32;
    if mode & !0o777 != 0 {
        return Err(Invalid::new("has bits outside 0777"));
    }
    Ok(mode)
}

/// `nice N`: `long` stored in an `int`, then -20..=19.
pub fn nice(text: &str) -> Result<i32, Invalid> {
    let int = c_int(text)?;
    if !(-20..=19).contains(&int) {
        return Err(Invalid::new("is outside -20..19"));
    }
    Ok(int)
}

/// `oom ADJ|never` (legacy): `long` stored in an `int`, -17..=15, converted
/// to a score with C's truncating division. Returns the score.
pub fn oom_legacy(text: &str) -> Result<i32, Invalid> {
    if text == "never" {
        return Ok(-1000);
    }
    let adj = c_int(text)?;
    if !(-17..=15).contains(&adj) {
        return Err(Invalid::new("is outside -17..15"));
    }
    Ok(legacy_oom_score(adj))
}

/// Upstart's conversion of a legacy `oom` adjustment to a score:
/// `adj * 1000 / 17` when negative, `adj * 1000 / 15` otherwise (Rust's `/`
/// truncates toward zero, as C's does).
pub fn legacy_oom_score(adj: i32) -> i32 {
    let divisor = if adj < 0 { 17 } else { 15 };
    adj.saturating_mul(1000) / divisor
}

/// `oom score S|never`: `long` stored in an `int`, -1000..=1000.
pub fn oom_score(text: &str) -> Result<i32, Invalid> {
    if text == "never" {
        return Ok(-1000);
    }
    let int = c_int(text)?;
    if !(-1000..=1000).contains(&int) {
        return Err(Invalid::new("is outside -1000..1000"));
    }
    Ok(int)
}

/// A `strtol` result assigned to a C `int`, as `(int)strtol(...)` does.
fn c_int(text: &str) -> Result<i32, Invalid> {
    let long = strtol(text, 10).map_err(|e| Invalid::number(e, "a number"))?;
    // Truncating conversion to C `int`, deliberately.
    Ok(long as i32)
}

/// One `limit` value: `unlimited`, or an `unsigned long` with no overflow.
///
/// `strtoul` wraps a leading `-`, so `-1` is accepted and is `u64::MAX`,
/// which is `RLIM_INFINITY` on Linux: the same value the kernel gets for
/// `unlimited`. Any value equal to `RLIM_INFINITY` is therefore returned
/// as [`LimitValue::Unlimited`], so that comparisons (soft above hard) and
/// the bundle see one representation.
pub fn limit_value(text: &str) -> Result<LimitValue, Invalid> {
    if text == "unlimited" {
        return Ok(LimitValue::Unlimited);
    }
    match strtoul(text, 10).map_err(|e| Invalid::number(e, "a number or `unlimited`"))? {
        u64::MAX => Ok(LimitValue::Unlimited),
        n => Ok(LimitValue::Value(n)),
    }
}

/// Whether a soft limit exceeds its hard limit (`unlimited` is the largest
/// value), which makes `setrlimit` fail when the job is spawned.
pub fn soft_above_hard(soft: LimitValue, hard: LimitValue) -> bool {
    match (soft, hard) {
        (LimitValue::Unlimited, LimitValue::Value(_)) => true,
        (LimitValue::Value(s), LimitValue::Value(h)) => s > h,
        (_, LimitValue::Unlimited) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_accepts_c_syntax_and_nothing_after_the_digits() {
        assert_eq!(strtol("10", 10), Ok(10));
        assert_eq!(strtol("+5", 10), Ok(5));
        assert_eq!(strtol("-10", 10), Ok(-10));
        assert_eq!(strtol("007", 10), Ok(7));
        assert_eq!(strtol(" \t12", 10), Ok(12));
        assert_eq!(strtol("12 ", 10), Err(NumberError::TrailingText));
        assert_eq!(strtol("99foo", 10), Err(NumberError::TrailingText));
        assert_eq!(strtol("foo", 10), Err(NumberError::NotANumber));
        assert_eq!(strtol("", 10), Err(NumberError::NotANumber));
        assert_eq!(strtol("-", 10), Err(NumberError::NotANumber));
        assert_eq!(strtol("+-1", 10), Err(NumberError::NotANumber));
        assert_eq!(strtol("0x10", 10), Err(NumberError::TrailingText));
    }

    #[test]
    fn strtol_range_is_that_of_a_64_bit_long() {
        assert_eq!(strtol("9223372036854775807", 10), Ok(i64::MAX));
        assert_eq!(strtol("-9223372036854775808", 10), Ok(i64::MIN));
        assert_eq!(
            strtol("9223372036854775808", 10),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(
            strtol("-9223372036854775809", 10),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(
            strtol("10000000000000000000", 10),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(
            strtol("99999999999999999999999", 10),
            Err(NumberError::OutOfRange)
        );
    }

    #[test]
    fn strtoul_wraps_negative_numbers_like_c() {
        assert_eq!(strtoul("-1", 10), Ok(u64::MAX));
        assert_eq!(strtoul("-0", 10), Ok(0));
        assert_eq!(strtoul("-18446744073709551615", 10), Ok(1));
        assert_eq!(strtoul("18446744073709551615", 10), Ok(u64::MAX));
        assert_eq!(
            strtoul("18446744073709551616", 10),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(
            strtoul("-18446744073709551616", 10),
            Err(NumberError::OutOfRange)
        );
    }

    #[test]
    fn strtoul_in_base_eight_stops_at_eight_and_nine() {
        assert_eq!(strtoul("0755", 8), Ok(0o755));
        assert_eq!(strtoul("755", 8), Ok(0o755));
        assert_eq!(strtoul("999", 8), Err(NumberError::NotANumber));
        assert_eq!(strtoul("78", 8), Err(NumberError::TrailingText));
    }

    #[test]
    fn respawn_count_is_a_non_negative_c_int_and_zero_is_unlimited() {
        assert_eq!(respawn_count("10"), Ok(Some(10)));
        assert_eq!(respawn_count("0"), Ok(None));
        assert!(respawn_count("-1").is_err());
        assert!(respawn_count("foo").is_err());
        assert!(respawn_count("99foo").is_err());
        assert!(respawn_count("10000000000000000000").is_err());
        assert_eq!(respawn_count("2147483647"), Ok(Some(2_147_483_647)));
        // Stored in an `int`: wraps as in Upstart.
        assert!(respawn_count("2147483648").is_err());
        assert_eq!(respawn_count("4294967306"), Ok(Some(10)));
    }

    #[test]
    fn respawn_interval_and_kill_timeout_are_non_negative_longs() {
        assert_eq!(respawn_interval("120"), Ok(Some(120)));
        assert_eq!(respawn_interval("0"), Ok(None));
        assert_eq!(respawn_interval("9223372036854775807"), Ok(Some(u32::MAX)));
        assert!(respawn_interval("-1").is_err());
        assert!(respawn_interval("10000000000000000000").is_err());
        assert_eq!(kill_timeout("0"), Ok(0));
        assert_eq!(
            kill_timeout("9223372036854775807"),
            Ok(9_223_372_036_854_775_807)
        );
        assert!(kill_timeout("-1").is_err());
        assert!(kill_timeout("99foo").is_err());
    }

    #[test]
    fn exit_status_takes_signal_names_and_numbers_up_to_int_max() {
        assert_eq!(exit_status("99"), Ok(99));
        assert_eq!(exit_status("INT"), Ok(2 << 8));
        assert_eq!(exit_status("SIGTERM"), Ok(15 << 8));
        assert_eq!(exit_status("2147483647"), Ok(2_147_483_647));
        assert_eq!(exit_status("-0"), Ok(0));
        assert!(exit_status("2147483648").is_err());
        assert!(exit_status("-1").is_err());
        assert!(exit_status("foo").is_err());
        assert!(exit_status("99foo").is_err());
    }

    #[test]
    fn signal_takes_names_and_any_number_up_to_int_max() {
        assert_eq!(signal("INT"), Ok(2));
        assert_eq!(signal("SIGUSR2"), Ok(12));
        assert_eq!(signal("30"), Ok(30));
        assert_eq!(signal("0"), Ok(0));
        assert_eq!(signal("34"), Ok(34));
        assert!(signal("foo").is_err());
        assert!(signal("int").is_err());
        assert!(signal("-1").is_err());
        assert!(signal("2147483648").is_err());
        assert!(!signal_in_range(0));
        assert!(signal_in_range(64));
        assert!(!signal_in_range(65));
    }

    #[test]
    fn umask_is_octal_within_0777() {
        assert_eq!(umask("0755"), Ok(0o755));
        assert_eq!(umask("022"), Ok(0o22));
        assert_eq!(umask("0"), Ok(0));
        assert!(umask("999").is_err());
        assert!(umask("foo").is_err());
        assert!(umask("99foo").is_err());
        assert!(umask("-1").is_err());
        assert!(umask("1000").is_err());
        // `(mode_t)` keeps the low 32 bits: 2^32 is 0 to Upstart.
        assert_eq!(umask("40000000000"), Ok(0));
    }

    #[test]
    fn nice_is_minus_twenty_to_nineteen() {
        assert_eq!(nice("10"), Ok(10));
        assert_eq!(nice("-10"), Ok(-10));
        assert_eq!(nice("-20"), Ok(-20));
        assert_eq!(nice("19"), Ok(19));
        assert!(nice("20").is_err());
        assert!(nice("-21").is_err());
        assert!(nice("foo").is_err());
        assert!(nice("12foo").is_err());
    }

    #[test]
    fn oom_legacy_value_is_scaled_to_a_score() {
        assert_eq!(oom_legacy("10"), Ok(666));
        assert_eq!(oom_legacy("-10"), Ok(-588));
        assert_eq!(oom_legacy("-17"), Ok(-1000));
        assert_eq!(oom_legacy("15"), Ok(1000));
        assert_eq!(oom_legacy("-16"), Ok(-941));
        assert_eq!(oom_legacy("1"), Ok(66));
        assert_eq!(oom_legacy("never"), Ok(-1000));
        assert!(oom_legacy("20").is_err());
        assert!(oom_legacy("-21").is_err());
        assert!(oom_legacy("-18").is_err());
        assert!(oom_legacy("16").is_err());
        assert!(oom_legacy("foo").is_err());
        assert!(oom_legacy("12foo").is_err());
    }

    #[test]
    fn oom_score_is_minus_thousand_to_thousand() {
        assert_eq!(oom_score("100"), Ok(100));
        assert_eq!(oom_score("-1000"), Ok(-1000));
        assert_eq!(oom_score("1000"), Ok(1000));
        assert_eq!(oom_score("never"), Ok(-1000));
        assert!(oom_score("1200").is_err());
        assert!(oom_score("-1200").is_err());
        assert!(oom_score("foo").is_err());
        assert!(oom_score("12foo").is_err());
        assert!(oom_score("Never").is_err());
    }

    #[test]
    fn limit_value_wraps_minus_one_to_unlimited() {
        assert_eq!(limit_value("10"), Ok(LimitValue::Value(10)));
        assert_eq!(limit_value("unlimited"), Ok(LimitValue::Unlimited));
        assert_eq!(limit_value("-1"), Ok(LimitValue::Unlimited));
        assert_eq!(
            limit_value("18446744073709551615"),
            Ok(LimitValue::Unlimited)
        );
        assert_eq!(limit_value("-2"), Ok(LimitValue::Value(u64::MAX - 1)));
        assert!(limit_value("20000000000000000000").is_err());
        assert!(limit_value("foo").is_err());
        assert!(limit_value("99foo").is_err());
        assert!(limit_value("Unlimited").is_err());
    }

    #[test]
    fn unlimited_is_above_every_number() {
        use LimitValue::{Unlimited, Value};
        assert!(soft_above_hard(Value(20), Value(10)));
        assert!(!soft_above_hard(Value(10), Value(10)));
        assert!(soft_above_hard(Unlimited, Value(10)));
        assert!(!soft_above_hard(Value(10), Unlimited));
        assert!(!soft_above_hard(Unlimited, Unlimited));
    }
}
