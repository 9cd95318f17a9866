//! The reader's primitives: little-endian reads at a byte offset, a
//! section's place in the file, the error constructor every check uses,
//! and [`proven`], the lookup that validation has made infallible.
//!
//! The leaf every reading module stands on (`validated`, `tables`, `read`,
//! `program`, `view`); it knows no table and makes no check of its own.
//!
//! **A miss is loud where tests run.** Once a bundle is validated, every
//! offset and index its accessors compute is in bounds, so the fallbacks of
//! the reads below (0, an empty slice, `""`) are never taken. An offset bug
//! would make them read plausible zeros, which no test would notice: so in
//! debug builds, in every build with the `testing` feature (which every
//! test and fuzz build of the workspace enables, release or not) and under
//! `cargo fuzz` (`--cfg fuzzing`), a read past the end panics. A runtime
//! build (`upinit`) keeps the fallback: a wrong zero is better than a dead
//! init. The validation itself reads only what it has bounds-checked
//! first (`need` in `read.rs`, section bounds before records), so it never
//! takes a fallback either.

use crate::error::{BundleError, BundleErrorKind};

/// Whether a missed read panics (debug, test and fuzz builds).
pub(crate) const LOUD: bool = cfg!(any(debug_assertions, test, fuzzing, feature = "testing"));

/// `found`, which validation proved present: in debug, test and fuzz
/// builds a `None` panics (an offset bug); in release it is passed on for
/// the caller's fallback.
#[track_caller]
#[inline(always)]
pub(crate) fn proven<T>(found: Option<T>) -> Option<T> {
    if LOUD && found.is_none() {
        missed();
    }
    found
}

#[cold]
#[inline(never)]
#[track_caller]
fn missed() {
    // Only ever reached in debug, test and fuzz builds (see `LOUD`).
    #[allow(clippy::panic)]
    {
        panic!("upc-bundle: a read that validation proved in bounds missed (an offset bug)");
    }
}

/// Reads a little-endian u32 at `at` (0 past the end, which validation
/// rules out: see the module documentation).
#[track_caller]
#[inline]
pub(crate) fn rd32(b: &[u8], at: usize) -> u32 {
    match proven(b.get(at..at.saturating_add(4))) {
        Some(&[x0, x1, x2, x3]) => u32::from_le_bytes([x0, x1, x2, x3]),
        _ => 0,
    }
}

/// Reads a little-endian u64 at `at` (0 past the end).
#[track_caller]
#[inline]
pub(crate) fn rd64(b: &[u8], at: usize) -> u64 {
    match proven(b.get(at..at.saturating_add(8))) {
        Some(&[x0, x1, x2, x3, x4, x5, x6, x7]) => {
            u64::from_le_bytes([x0, x1, x2, x3, x4, x5, x6, x7])
        }
        _ => 0,
    }
}

/// Reads the byte at `at` (0 past the end).
#[track_caller]
#[inline]
pub(crate) fn rd8(b: &[u8], at: usize) -> u8 {
    proven(b.get(at).copied()).unwrap_or(0)
}

/// A section's place in the file.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sec {
    pub off: usize,
    pub len: usize,
    pub rec: usize,
    /// `len / rec`, kept rather than divided on every access.
    pub count: usize,
}

impl Sec {
    pub fn count(&self) -> usize {
        self.count
    }

    /// Absolute offset of field `f` of record `i`.
    pub fn at(&self, i: usize, f: usize) -> usize {
        self.off + i * self.rec + f
    }
}

/// The error of a check that failed at byte `offset`.
pub(crate) fn err(offset: usize, kind: BundleErrorKind) -> BundleError {
    BundleError::new(offset, kind)
}

/// `bytes[from..to]` must be zero (padding, reserved fields); the caller
/// has checked that the range is inside the bundle.
pub(crate) fn check_zero(bytes: &[u8], from: usize, to: usize) -> Result<(), BundleError> {
    let pad = proven(bytes.get(from..to)).unwrap_or_default();
    match pad.iter().position(|&b| b != 0) {
        Some(i) => Err(err(from + i, BundleErrorKind::NonZeroPadding)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_little_endian() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(rd8(&b, 1), 2);
        assert_eq!(rd32(&b, 0), 0x0403_0201);
        assert_eq!(rd64(&b, 0), 0x0807_0605_0403_0201);
    }

    #[test]
    #[should_panic(expected = "offset bug")]
    fn a_read_past_the_end_panics_in_test_builds() {
        rd32(&[1, 2, 3], 0);
    }

    #[test]
    #[should_panic(expected = "offset bug")]
    fn a_missed_lookup_panics_in_test_builds() {
        proven([0u8; 4].get(4..8));
    }
}
