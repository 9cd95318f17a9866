//! [`ValidatedBundle`]: the bytes of a bundle that passed every check, and
//! the raw record reads the table checks (`tables`), the evaluator
//! (`program`) and the typed views (`view`) share: a field of a record,
//! the children of a record (a CSR column), a string by number.
//!
//! Below the checks and the views, above `cursor` only: nothing here
//! validates, and nothing here knows what a job is.

use std::borrow::Cow;

use crate::cursor::{proven, rd32, rd8, Sec};
use crate::layout::{Section, NONE, SECTION_COUNT};

/// A bundle that passed every check. Cheap to keep; every accessor reads
/// the original bytes (the strings from the decompressed copy when the
/// bundle stores them compressed) and none can fail.
#[derive(Debug, Clone)]
pub struct ValidatedBundle<'a> {
    pub(crate) bytes: Cow<'a, [u8]>,
    pub(crate) strings: Strings<'a>,
    pub(crate) secs: [Sec; SECTION_COUNT],
    pub(crate) max_stack_depth: usize,
}

/// Where the string data is: the bundle's own bytes (stored raw), or the
/// decompressed copy (stored LZ4-compressed).
#[derive(Debug, Clone)]
pub(crate) enum Strings<'a> {
    /// Raw strings, checked to be UTF-8 at this place in `bytes`.
    InBytes(&'a str),
    /// Raw strings of an owned bundle: the range of `bytes` they occupy,
    /// checked to be UTF-8 once; each string is checked again when read
    /// (it is a few bytes, and no copy of the data is kept).
    InOwnedBytes { off: usize, len: usize },
    /// The decompressed string data.
    Decoded(Cow<'a, str>),
}

impl<'a> ValidatedBundle<'a> {
    pub(crate) fn sec(&self, s: Section) -> Sec {
        proven(self.secs.get(s.index()).copied()).unwrap_or_default()
    }

    /// Field `f` (a u32) of record `i` of section `s`.
    #[track_caller]
    pub(crate) fn field(&self, s: Section, i: usize, f: usize) -> u32 {
        rd32(&self.bytes, self.sec(s).at(i, f))
    }

    /// Byte `f` of record `i` of section `s`.
    #[track_caller]
    pub(crate) fn byte(&self, s: Section, i: usize, f: usize) -> u8 {
        rd8(&self.bytes, self.sec(s).at(i, f))
    }

    /// The children of record `i` of `parent` in `child` (CSR column `f`).
    #[track_caller]
    pub(crate) fn children(
        &self,
        parent: Section,
        i: usize,
        f: usize,
        child: Section,
    ) -> (usize, usize) {
        let first = self.field(parent, i, f) as usize;
        let end = if i + 1 < self.sec(parent).count() {
            self.field(parent, i + 1, f) as usize
        } else {
            self.sec(child).count()
        };
        (first, end.max(first))
    }

    #[track_caller]
    pub(crate) fn range(
        &self,
        parent: Section,
        i: usize,
        f: usize,
        child: Section,
    ) -> std::ops::Range<usize> {
        let (a, b) = self.children(parent, i, f, child);
        a..b
    }

    /// The size of the string data, uncompressed.
    pub(crate) fn string_data_len(&self) -> usize {
        match &self.strings {
            Strings::InBytes(s) => s.len(),
            Strings::Decoded(s) => s.len(),
            Strings::InOwnedBytes { len, .. } => *len,
        }
    }

    /// String number `i` (`""` for an index out of range, never the case
    /// for an index read from a validated bundle).
    #[track_caller]
    pub(crate) fn string(&self, i: u32) -> &str {
        let ends = self.sec(Section::StringEnds);
        let i = i as usize;
        let present = proven((i < ends.count()).then_some(()));
        if present.is_none() {
            return "";
        }
        let end = rd32(&self.bytes, ends.at(i, 0)) as usize;
        let start = match i {
            0 => 0,
            _ => rd32(&self.bytes, ends.at(i - 1, 0)) as usize,
        };
        match &self.strings {
            Strings::InBytes(s) => proven(s.get(start..end)).unwrap_or(""),
            Strings::Decoded(s) => proven(s.get(start..end)).unwrap_or(""),
            Strings::InOwnedBytes { off, .. } => {
                let raw = proven(self.bytes.get(off + start..off + end)).unwrap_or_default();
                // Checked as a whole at validation, and every string ends
                // on a character boundary: this cannot fail.
                proven(std::str::from_utf8(raw).ok()).unwrap_or("")
            }
        }
    }

    #[track_caller]
    pub(crate) fn opt_string(&self, i: u32) -> Option<&str> {
        (i != NONE).then(|| self.string(i))
    }
}
