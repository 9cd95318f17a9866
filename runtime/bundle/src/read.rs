//! The validating reader: `validate(bytes)` checks everything once, then
//! [`ValidatedBundle`]'s accessors read the bytes in place and cannot fail.
//!
//! Validation order (each step may rely on the earlier ones): magic,
//! version, header size, total length, checksum, flags, section directory,
//! strings, then every table from the leaves up (args before matches before
//! programs before jobs), then the event index against the programs. Every
//! read goes through a bounds check; every allocation is sized by a count
//! that has been checked against the section it comes from (so against the
//! file size) and against `limits.rs`. Nothing recurses, every loop is over
//! a validated count.

use std::borrow::Cow;

use crate::checksum::xxh64;
use crate::error::{BundleError, ErrorKind};
use crate::layout::*;
use crate::limits;
use crate::lz4;
use crate::{FORMAT_VERSION, MAGIC};

/// Reads a little-endian u32 at `at`; 0 past the end (never, once validated).
pub(crate) fn rd32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at.saturating_add(4)) {
        Some(&[x0, x1, x2, x3]) => u32::from_le_bytes([x0, x1, x2, x3]),
        _ => 0,
    }
}

/// Reads a little-endian u64 at `at`; 0 past the end.
pub(crate) fn rd64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    if let Some(s) = b.get(at..at.saturating_add(8)) {
        a.copy_from_slice(s);
    }
    u64::from_le_bytes(a)
}

pub(crate) fn rd8(b: &[u8], at: usize) -> u8 {
    b.get(at).copied().unwrap_or(0)
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

/// A bundle that passed every check. Cheap to keep; every accessor reads
/// the original bytes (the strings from the decompressed copy when the
/// bundle stores them compressed) and none can fail.
#[derive(Debug, Clone)]
pub struct ValidatedBundle<'a> {
    pub(crate) bytes: Cow<'a, [u8]>,
    pub(crate) strings: Cow<'a, str>,
    pub(crate) secs: [Sec; SECTION_COUNT],
    pub(crate) max_stack_depth: usize,
}

pub(crate) fn err(offset: usize, kind: ErrorKind) -> BundleError {
    BundleError::new(offset, kind)
}

fn need(bytes: &[u8], end: usize) -> Result<(), BundleError> {
    if bytes.len() < end {
        Err(err(
            bytes.len(),
            ErrorKind::Truncated {
                needed: end,
                len: bytes.len(),
            },
        ))
    } else {
        Ok(())
    }
}

/// Reads a bundle file into memory, refusing (before reading it) a file
/// larger than [`MAX_BUNDLE_SIZE`](limits::MAX_BUNDLE_SIZE): the one
/// allocation a loader makes before validation is bounded too.
pub fn load(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let too_large = |found: u64| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            err(
                0,
                ErrorKind::LimitExceeded {
                    what: "the bundle size",
                    limit: limits::MAX_BUNDLE_SIZE as u64,
                    found,
                },
            ),
        )
    };
    let len = file.metadata()?.len();
    if len > limits::MAX_BUNDLE_SIZE as u64 {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // The file may grow while it is read: never take more than the limit.
    file.take(limits::MAX_BUNDLE_SIZE as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > limits::MAX_BUNDLE_SIZE {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Validates a bundle.
pub fn validate(bytes: &[u8]) -> Result<ValidatedBundle<'_>, BundleError> {
    let secs = check_header(bytes)?;
    let mut v = ValidatedBundle {
        bytes: Cow::Borrowed(bytes),
        strings: Cow::Borrowed(""),
        secs,
        max_stack_depth: 0,
    };
    v.strings = check_strings(bytes, &secs)?;
    let c = crate::tables::Checker { v: &v };
    c.string_ref(
        H_COMPILER_VERSION,
        rd32(bytes, H_COMPILER_VERSION),
        false,
        "compiler version",
    )?;
    c.args()?;
    c.matches()?;
    let max_depth = c.programs()?;
    c.cgroups()?;
    c.limits()?;
    c.settings()?;
    c.processes()?;
    c.string_lists()?;
    c.jobs()?;
    c.events()?;
    c.event_index()?;
    v.max_stack_depth = max_depth;
    Ok(v)
}

/// Validates a bundle the caller hands over, and keeps it: the result
/// borrows nothing, so a runtime can hold it as long as it likes (and hold
/// several generations across a configuration reload).
pub fn validate_owned(bytes: Vec<u8>) -> Result<ValidatedBundle<'static>, BundleError> {
    let (strings, secs, max_stack_depth) = {
        let v = validate(&bytes)?;
        (v.strings.into_owned(), v.secs, v.max_stack_depth)
    };
    Ok(ValidatedBundle {
        bytes: Cow::Owned(bytes),
        strings: Cow::Owned(strings),
        secs,
        max_stack_depth,
    })
}

impl ValidatedBundle<'_> {
    /// A copy that borrows nothing.
    pub fn into_owned(self) -> ValidatedBundle<'static> {
        ValidatedBundle {
            bytes: Cow::Owned(self.bytes.into_owned()),
            strings: Cow::Owned(self.strings.into_owned()),
            secs: self.secs,
            max_stack_depth: self.max_stack_depth,
        }
    }
}

fn check_header(bytes: &[u8]) -> Result<[Sec; SECTION_COUNT], BundleError> {
    need(bytes, H_VERSION)?;
    let magic = [rd8(bytes, 0), rd8(bytes, 1), rd8(bytes, 2), rd8(bytes, 3)];
    if magic != MAGIC {
        return Err(err(H_MAGIC, ErrorKind::BadMagic { found: magic }));
    }
    need(bytes, H_VERSION + 4)?;
    let version = rd32(bytes, H_VERSION);
    if version != FORMAT_VERSION {
        return Err(err(
            H_VERSION,
            ErrorKind::UnsupportedVersion { found: version },
        ));
    }
    need(bytes, H_DIRECTORY)?;
    if bytes.len() > limits::MAX_BUNDLE_SIZE {
        return Err(err(
            0,
            ErrorKind::LimitExceeded {
                what: "the bundle size",
                limit: limits::MAX_BUNDLE_SIZE as u64,
                found: bytes.len() as u64,
            },
        ));
    }
    let total = rd32(bytes, H_TOTAL_LEN);
    if total as usize != bytes.len() {
        return Err(err(
            H_TOTAL_LEN,
            ErrorKind::LengthMismatch {
                header: u64::from(total),
                actual: bytes.len() as u64,
            },
        ));
    }
    let expected = rd64(bytes, H_CHECKSUM);
    let found = xxh64(bytes.get(CHECKSUM_START..).unwrap_or_default());
    if expected != found {
        return Err(err(H_CHECKSUM, ErrorKind::BadChecksum { expected, found }));
    }
    let flags = rd32(bytes, H_FLAGS);
    if flags & !KNOWN_FLAGS != 0 {
        return Err(err(H_FLAGS, ErrorKind::UnknownFlags { found: flags }));
    }
    let count = rd32(bytes, H_SECTION_COUNT);
    if count as usize != SECTION_COUNT {
        return Err(err(
            H_SECTION_COUNT,
            ErrorKind::BadSectionCount {
                expected: SECTION_COUNT as u32,
                found: count,
            },
        ));
    }
    need(bytes, HEADER_SIZE)?;
    let mut secs = [Sec::default(); SECTION_COUNT];
    let mut end = HEADER_SIZE;
    for (section, slot) in Section::ALL.iter().zip(secs.iter_mut()) {
        let entry = H_DIRECTORY + section.index() * DIRECTORY_ENTRY;
        let off = rd32(bytes, entry) as usize;
        let len = rd32(bytes, entry + 4) as usize;
        let expected = end.next_multiple_of(SECTION_ALIGN);
        if off != expected {
            return Err(err(
                entry,
                ErrorKind::SectionMisplaced {
                    section: section.name(),
                    expected: expected as u64,
                    found: off as u64,
                },
            ));
        }
        let rec = section.record_size();
        if !len.is_multiple_of(rec) {
            return Err(err(
                entry + 4,
                ErrorKind::SectionLength {
                    section: section.name(),
                    length: len as u64,
                    record: rec as u64,
                },
            ));
        }
        if off + len > bytes.len() {
            return Err(err(
                entry + 4,
                ErrorKind::SectionOutOfRange {
                    section: section.name(),
                    end: (off + len) as u64,
                    len: bytes.len() as u64,
                },
            ));
        }
        check_zero(bytes, end, off)?;
        *slot = Sec {
            off,
            len,
            rec,
            count: len / rec,
        };
        end = off + len;
    }
    if end != bytes.len() {
        return Err(err(
            end,
            ErrorKind::LengthMismatch {
                header: end as u64,
                actual: bytes.len() as u64,
            },
        ));
    }
    Ok(secs)
}

pub(crate) fn check_zero(bytes: &[u8], from: usize, to: usize) -> Result<(), BundleError> {
    let pad = bytes.get(from..to).unwrap_or_default();
    match pad.iter().position(|&b| b != 0) {
        Some(i) => Err(err(from + i, ErrorKind::NonZeroPadding)),
        None => Ok(()),
    }
}

fn sec(secs: &[Sec; SECTION_COUNT], s: Section) -> Sec {
    secs.get(s.index()).copied().unwrap_or_default()
}

fn check_strings<'a>(
    bytes: &'a [u8],
    secs: &[Sec; SECTION_COUNT],
) -> Result<Cow<'a, str>, BundleError> {
    let ends = sec(secs, Section::StringEnds);
    let data = sec(secs, Section::StringData);
    let n = ends.count();
    if n > limits::MAX_STRINGS {
        return Err(err(
            H_DIRECTORY + Section::StringEnds.index() * DIRECTORY_ENTRY + 4,
            ErrorKind::LimitExceeded {
                what: "the number of strings",
                limit: limits::MAX_STRINGS as u64,
                found: n as u64,
            },
        ));
    }
    let size = match n {
        0 => 0,
        n => rd32(bytes, ends.at(n - 1, 0)) as usize,
    };
    let raw = bytes.get(data.off..data.off + data.len).unwrap_or_default();
    let text: Cow<'a, [u8]> = if rd32(bytes, H_FLAGS) & FLAG_STRINGS_LZ4 != 0 {
        let bound = data
            .len
            .saturating_mul(limits::MAX_LZ4_RATIO)
            .saturating_add(16)
            .min(limits::MAX_STRING_DATA);
        if size > bound {
            return Err(err(
                ends.at(n.saturating_sub(1), 0),
                ErrorKind::LimitExceeded {
                    what: "the uncompressed string data",
                    limit: bound as u64,
                    found: size as u64,
                },
            ));
        }
        let out = lz4::decompress(raw, size)
            .map_err(|reason| err(data.off, ErrorKind::BadCompression { reason }))?;
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    };
    let text: Cow<'a, str> = match text {
        Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(b).map_err(|e| utf8_err(&data, e))?),
        Cow::Owned(v) => {
            Cow::Owned(String::from_utf8(v).map_err(|e| utf8_err(&data, e.utf8_error()))?)
        }
    };
    let mut prev = 0usize;
    for i in 0..n {
        let at = ends.at(i, 0);
        let end = rd32(bytes, at) as usize;
        if end < prev {
            return Err(err(
                at,
                ErrorKind::RangeNotTiling {
                    what: "string end",
                    expected: prev as u64,
                    found: end as u64,
                },
            ));
        }
        if end > text.len() {
            return Err(err(
                at,
                ErrorKind::OffsetOutOfRange {
                    what: "string end",
                    offset: end as u64,
                    len: text.len() as u64,
                },
            ));
        }
        if !text.is_char_boundary(end) {
            return Err(err(at, ErrorKind::NotCharBoundary { at: end as u64 }));
        }
        prev = end;
    }
    if prev != text.len() {
        return Err(err(
            data.off,
            ErrorKind::OffsetOutOfRange {
                what: "string data length",
                offset: text.len() as u64,
                len: prev as u64,
            },
        ));
    }
    Ok(text)
}

fn utf8_err(data: &Sec, e: std::str::Utf8Error) -> BundleError {
    err(
        data.off,
        ErrorKind::InvalidUtf8 {
            valid_up_to: e.valid_up_to() as u64,
        },
    )
}
