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
use crate::cursor::{check_zero, err, proven, rd32, rd64, rd8, Sec};
use crate::error::{BundleError, BundleErrorKind};
use crate::layout::*;
use crate::limits;
use crate::lz4;
use crate::validated::{Strings, ValidatedBundle};
use crate::{FORMAT_VERSION, MAGIC};

fn need(bytes: &[u8], end: usize) -> Result<(), BundleError> {
    if bytes.len() < end {
        Err(err(
            bytes.len(),
            BundleErrorKind::Truncated {
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
                BundleErrorKind::LimitExceeded {
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
        strings: Strings::InBytes(""),
        secs,
        max_stack_depth: 0,
    };
    v.strings = check_strings(bytes, &secs)?;
    let text = match &v.strings {
        Strings::InBytes(s) => s,
        Strings::Decoded(s) => &**s,
        Strings::InOwnedBytes { .. } => "",
    };
    let c = crate::tables::Checker::new(bytes, secs, text);
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
/// several generations across a configuration reload). Raw strings are
/// read in place from `bytes`, never copied; compressed ones are
/// decompressed once.
pub fn validate_owned(bytes: Vec<u8>) -> Result<ValidatedBundle<'static>, BundleError> {
    let (strings, secs, max_stack_depth) = {
        let v = validate(&bytes)?;
        (owned_strings(v.strings, &v.secs), v.secs, v.max_stack_depth)
    };
    Ok(ValidatedBundle {
        bytes: Cow::Owned(bytes),
        strings,
        secs,
        max_stack_depth,
    })
}

/// The strings of a bundle whose bytes are about to be owned: raw strings
/// become a place in those bytes; decoded ones are moved, not copied.
fn owned_strings(strings: Strings<'_>, secs: &[Sec; SECTION_COUNT]) -> Strings<'static> {
    match strings {
        Strings::InBytes(s) => Strings::InOwnedBytes {
            off: sec(secs, Section::StringData).off,
            len: s.len(),
        },
        Strings::InOwnedBytes { off, len } => Strings::InOwnedBytes { off, len },
        Strings::Decoded(s) => Strings::Decoded(Cow::Owned(s.into_owned())),
    }
}

impl ValidatedBundle<'_> {
    /// A copy that borrows nothing.
    pub fn into_owned(self) -> ValidatedBundle<'static> {
        ValidatedBundle {
            strings: owned_strings(self.strings, &self.secs),
            bytes: Cow::Owned(self.bytes.into_owned()),
            secs: self.secs,
            max_stack_depth: self.max_stack_depth,
        }
    }
}

fn check_header(bytes: &[u8]) -> Result<[Sec; SECTION_COUNT], BundleError> {
    need(bytes, H_VERSION)?;
    let magic = [rd8(bytes, 0), rd8(bytes, 1), rd8(bytes, 2), rd8(bytes, 3)];
    if magic != MAGIC {
        return Err(err(H_MAGIC, BundleErrorKind::BadMagic { found: magic }));
    }
    need(bytes, H_VERSION + 4)?;
    let version = rd32(bytes, H_VERSION);
    if version != FORMAT_VERSION {
        return Err(err(
            H_VERSION,
            BundleErrorKind::UnsupportedVersion { found: version },
        ));
    }
    need(bytes, H_DIRECTORY)?;
    if bytes.len() > limits::MAX_BUNDLE_SIZE {
        return Err(err(
            0,
            BundleErrorKind::LimitExceeded {
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
            BundleErrorKind::LengthMismatch {
                header: u64::from(total),
                actual: bytes.len() as u64,
            },
        ));
    }
    let expected = rd64(bytes, H_CHECKSUM);
    let found = xxh64(proven(bytes.get(CHECKSUM_START..)).unwrap_or_default());
    if expected != found {
        return Err(err(
            H_CHECKSUM,
            BundleErrorKind::BadChecksum { expected, found },
        ));
    }
    let flags = rd32(bytes, H_FLAGS);
    if flags & !KNOWN_FLAGS != 0 {
        return Err(err(H_FLAGS, BundleErrorKind::UnknownFlags { found: flags }));
    }
    let count = rd32(bytes, H_SECTION_COUNT);
    if count as usize != SECTION_COUNT {
        return Err(err(
            H_SECTION_COUNT,
            BundleErrorKind::BadSectionCount {
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
                BundleErrorKind::SectionMisplaced {
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
                BundleErrorKind::SectionLength {
                    section: section.name(),
                    length: len as u64,
                    record: rec as u64,
                },
            ));
        }
        if off + len > bytes.len() {
            return Err(err(
                entry + 4,
                BundleErrorKind::SectionOutOfRange {
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
            BundleErrorKind::LengthMismatch {
                header: end as u64,
                actual: bytes.len() as u64,
            },
        ));
    }
    Ok(secs)
}

fn sec(secs: &[Sec; SECTION_COUNT], s: Section) -> Sec {
    proven(secs.get(s.index()).copied()).unwrap_or_default()
}

fn check_strings<'a>(
    bytes: &'a [u8],
    secs: &[Sec; SECTION_COUNT],
) -> Result<Strings<'a>, BundleError> {
    let ends = sec(secs, Section::StringEnds);
    let data = sec(secs, Section::StringData);
    let n = ends.count();
    if n > limits::MAX_STRINGS {
        return Err(err(
            H_DIRECTORY + Section::StringEnds.index() * DIRECTORY_ENTRY + 4,
            BundleErrorKind::LimitExceeded {
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
    let raw = proven(bytes.get(data.off..data.off + data.len)).unwrap_or_default();
    let text: Cow<'a, [u8]> = if rd32(bytes, H_FLAGS) & FLAG_STRINGS_LZ4 != 0 {
        let bound = data
            .len
            .saturating_mul(limits::MAX_LZ4_RATIO)
            .saturating_add(16)
            .min(limits::MAX_STRING_DATA);
        if size > bound {
            return Err(err(
                ends.at(n.saturating_sub(1), 0),
                BundleErrorKind::LimitExceeded {
                    what: "the uncompressed string data",
                    limit: bound as u64,
                    found: size as u64,
                },
            ));
        }
        let out = lz4::decompress(raw, size)
            .map_err(|reason| err(data.off, BundleErrorKind::BadCompression { reason }))?;
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    };
    let strings = match text {
        Cow::Borrowed(b) => {
            Strings::InBytes(std::str::from_utf8(b).map_err(|e| utf8_err(&data, e))?)
        }
        Cow::Owned(v) => Strings::Decoded(Cow::Owned(
            String::from_utf8(v).map_err(|e| utf8_err(&data, e.utf8_error()))?,
        )),
    };
    let text = match &strings {
        Strings::InBytes(s) => *s,
        Strings::Decoded(s) => s,
        Strings::InOwnedBytes { .. } => "",
    };
    let mut prev = 0usize;
    for i in 0..n {
        let at = ends.at(i, 0);
        let end = rd32(bytes, at) as usize;
        if end < prev {
            return Err(err(
                at,
                BundleErrorKind::RangeNotTiling {
                    what: "string end",
                    expected: prev as u64,
                    found: end as u64,
                },
            ));
        }
        if end > text.len() {
            return Err(err(
                at,
                BundleErrorKind::OffsetOutOfRange {
                    what: "string end",
                    offset: end as u64,
                    len: text.len() as u64,
                },
            ));
        }
        if !text.is_char_boundary(end) {
            return Err(err(at, BundleErrorKind::NotCharBoundary { at: end as u64 }));
        }
        prev = end;
    }
    if prev != text.len() {
        return Err(err(
            data.off,
            BundleErrorKind::OffsetOutOfRange {
                what: "string data length",
                offset: text.len() as u64,
                len: prev as u64,
            },
        ));
    }
    Ok(strings)
}

fn utf8_err(data: &Sec, e: std::str::Utf8Error) -> BundleError {
    err(
        data.off,
        BundleErrorKind::InvalidUtf8 {
            valid_up_to: e.valid_up_to() as u64,
        },
    )
}
