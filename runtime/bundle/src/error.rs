//! The reader's typed error: which check failed, at which byte offset.

use std::fmt;

/// A bundle the reader refuses.
///
/// `Display` reads `bundle: CHECK at byte OFFSET: DETAILS`, e.g.
/// `bundle: bad checksum at byte 16: expected 0x..., found 0x...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleError {
    /// Offset in the bundle file of the field that failed the check.
    pub offset: usize,
    pub kind: BundleErrorKind,
}

/// Every check the reader makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleErrorKind {
    /// The file ends before a field that must be there.
    Truncated { needed: usize, len: usize },
    /// Not a bundle at all.
    BadMagic { found: [u8; 4] },
    /// A bundle of a format this reader does not know.
    UnsupportedVersion { found: u32 },
    /// Header flags this reader does not know.
    UnknownFlags { found: u32 },
    /// The header's total length is not the file's length.
    LengthMismatch { header: u64, actual: u64 },
    /// A size or count above a hard limit of `limits.rs`.
    LimitExceeded {
        what: &'static str,
        limit: u64,
        found: u64,
    },
    /// The checksum over the bundle does not match the header's.
    BadChecksum { expected: u64, found: u64 },
    /// The section directory has the wrong number of entries.
    BadSectionCount { expected: u32, found: u32 },
    /// A section does not start where the layout rule puts it.
    SectionMisplaced {
        section: &'static str,
        expected: u64,
        found: u64,
    },
    /// A section's length is not a whole number of records.
    SectionLength {
        section: &'static str,
        length: u64,
        record: u64,
    },
    /// A section ends past the end of the bundle.
    SectionOutOfRange {
        section: &'static str,
        end: u64,
        len: u64,
    },
    /// A byte that must be zero (padding, reserved) is not.
    NonZeroPadding,
    /// The string data is not valid UTF-8 (`valid_up_to` bytes are).
    InvalidUtf8 { valid_up_to: u64 },
    /// A string boundary falls inside a UTF-8 sequence.
    NotCharBoundary { at: u64 },
    /// The LZ4 string data is malformed.
    BadCompression { reason: &'static str },
    /// An offset field lies outside the table it points into.
    OffsetOutOfRange {
        what: &'static str,
        offset: u64,
        len: u64,
    },
    /// A child range starts before the previous one ended (ranges must tile
    /// their table in order: no overlap, no gap).
    RangeNotTiling {
        what: &'static str,
        expected: u64,
        found: u64,
    },
    /// An index field is out of bounds.
    IndexOutOfRange {
        what: &'static str,
        index: u64,
        count: u64,
    },
    /// A field that must hold a reference holds none.
    MissingReference { what: &'static str },
    /// An enum field has an unknown code.
    BadEnum { what: &'static str, value: u64 },
    /// A numeric field is out of its range.
    ValueOutOfRange { what: &'static str, value: i64 },
    /// Records that must be strictly ordered are not.
    NotSorted { what: &'static str },
    /// A bytecode program is malformed.
    BadProgram { program: u64, reason: ProgramError },
    /// The event index disagrees with the jobs' programs.
    EventIndexMismatch {
        event: u64,
        expected: Option<u64>,
        found: Option<u64>,
    },
}

/// What is wrong with a bytecode program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramError {
    Empty,
    /// An opcode byte that is not MATCH, AND or OR.
    BadOpcode {
        at: u64,
        opcode: u8,
    },
    /// AND/OR with fewer than two values on the stack.
    StackUnderflow {
        at: u64,
    },
    /// The program does not leave exactly one value.
    FinalDepth {
        depth: u64,
    },
    /// The number of MATCH instructions is not the number of matches.
    MatchCount {
        instructions: u64,
        matches: u64,
    },
}

impl BundleError {
    pub fn new(offset: usize, kind: BundleErrorKind) -> BundleError {
        BundleError { offset, kind }
    }

    /// The name of the check that failed (stable, for tests and tools).
    pub fn check(&self) -> &'static str {
        match &self.kind {
            BundleErrorKind::Truncated { .. } => "truncated",
            BundleErrorKind::BadMagic { .. } => "bad magic",
            BundleErrorKind::UnsupportedVersion { .. } => "unsupported format version",
            BundleErrorKind::UnknownFlags { .. } => "unknown flags",
            BundleErrorKind::LengthMismatch { .. } => "length mismatch",
            BundleErrorKind::LimitExceeded { .. } => "limit exceeded",
            BundleErrorKind::BadChecksum { .. } => "bad checksum",
            BundleErrorKind::BadSectionCount { .. } => "bad section count",
            BundleErrorKind::SectionMisplaced { .. } => "misplaced section",
            BundleErrorKind::SectionLength { .. } => "bad section length",
            BundleErrorKind::SectionOutOfRange { .. } => "section out of range",
            BundleErrorKind::NonZeroPadding => "non-zero padding",
            BundleErrorKind::InvalidUtf8 { .. } => "invalid UTF-8",
            BundleErrorKind::NotCharBoundary { .. } => "string boundary inside a character",
            BundleErrorKind::BadCompression { .. } => "bad compressed strings",
            BundleErrorKind::OffsetOutOfRange { .. } => "offset out of range",
            BundleErrorKind::RangeNotTiling { .. } => "overlapping or gapped range",
            BundleErrorKind::IndexOutOfRange { .. } => "index out of range",
            BundleErrorKind::MissingReference { .. } => "missing reference",
            BundleErrorKind::BadEnum { .. } => "bad enum value",
            BundleErrorKind::ValueOutOfRange { .. } => "value out of range",
            BundleErrorKind::NotSorted { .. } => "not sorted",
            BundleErrorKind::BadProgram { .. } => "malformed bytecode",
            BundleErrorKind::EventIndexMismatch { .. } => "event index mismatch",
        }
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bundle: {} at byte {}: ", self.check(), self.offset)?;
        match &self.kind {
            BundleErrorKind::Truncated { needed, len } => write!(
                f,
                "the bundle is {len} bytes long, this field needs {needed}"
            ),
            BundleErrorKind::BadMagic { found } => write!(
                f,
                "expected {:?}, found {:?}: not a upc bundle",
                String::from_utf8_lossy(&crate::MAGIC),
                String::from_utf8_lossy(found)
            ),
            BundleErrorKind::UnsupportedVersion { found } => {
                if *found > crate::FORMAT_VERSION {
                    write!(
                        f,
                        "this reader knows format version {}, the bundle is version {found}; \
                         it was built by a newer upc: update the runtime or rebuild the bundle",
                        crate::FORMAT_VERSION
                    )
                } else {
                    write!(
                        f,
                        "this reader knows format version {}, the bundle is version {found}; \
                         rebuild the bundle with this upc",
                        crate::FORMAT_VERSION
                    )
                }
            }
            BundleErrorKind::UnknownFlags { found } => {
                write!(f, "flags {found:#x} include bits this reader does not know")
            }
            BundleErrorKind::LengthMismatch { header, actual } => write!(
                f,
                "the header says {header} bytes, the file has {actual}{}",
                if actual < header {
                    " (truncated?)"
                } else {
                    " (trailing bytes?)"
                }
            ),
            BundleErrorKind::LimitExceeded { what, limit, found } => {
                write!(f, "{what} is {found}, the limit is {limit}")
            }
            BundleErrorKind::BadChecksum { expected, found } => {
                write!(f, "expected {expected:#018x}, found {found:#018x}")
            }
            BundleErrorKind::BadSectionCount { expected, found } => {
                write!(f, "expected {expected} sections, found {found}")
            }
            BundleErrorKind::SectionMisplaced {
                section,
                expected,
                found,
            } => write!(
                f,
                "section {section} must start at byte {expected}, found {found}"
            ),
            BundleErrorKind::SectionLength {
                section,
                length,
                record,
            } => write!(
                f,
                "section {section} is {length} bytes, not a multiple of its {record}-byte records"
            ),
            BundleErrorKind::SectionOutOfRange { section, end, len } => write!(
                f,
                "section {section} ends at byte {end}, past the end of the bundle ({len})"
            ),
            BundleErrorKind::NonZeroPadding => write!(f, "a padding or reserved byte is not zero"),
            BundleErrorKind::InvalidUtf8 { valid_up_to } => write!(
                f,
                "the string data is valid UTF-8 only up to byte {valid_up_to} of it"
            ),
            BundleErrorKind::NotCharBoundary { at } => write!(
                f,
                "a string ends at byte {at} of the string data, inside a character"
            ),
            BundleErrorKind::BadCompression { reason } => write!(f, "{reason}"),
            BundleErrorKind::OffsetOutOfRange { what, offset, len } => {
                write!(f, "{what} {offset} is past the end of its table ({len})")
            }
            BundleErrorKind::RangeNotTiling {
                what,
                expected,
                found,
            } => write!(f, "{what} must start at {expected}, found {found}"),
            BundleErrorKind::IndexOutOfRange { what, index, count } => {
                write!(f, "{what} {index} is out of range (there are {count})")
            }
            BundleErrorKind::MissingReference { what } => write!(f, "{what} is required"),
            BundleErrorKind::BadEnum { what, value } => write!(f, "{what} {value} is not known"),
            BundleErrorKind::ValueOutOfRange { what, value } => {
                write!(f, "{what} {value} is out of range")
            }
            BundleErrorKind::NotSorted { what } => {
                write!(f, "{what} are not in strictly increasing order")
            }
            BundleErrorKind::BadProgram { program, reason } => {
                write!(f, "program {program}: ")?;
                match reason {
                    ProgramError::Empty => write!(f, "no instructions"),
                    ProgramError::BadOpcode { at, opcode } => {
                        write!(f, "unknown opcode {opcode:#04x} at instruction {at}")
                    }
                    ProgramError::StackUnderflow { at } => write!(
                        f,
                        "operator at instruction {at} needs two operands on the stack"
                    ),
                    ProgramError::FinalDepth { depth } => {
                        write!(f, "leaves {depth} values on the stack, expected exactly 1")
                    }
                    ProgramError::MatchCount {
                        instructions,
                        matches,
                    } => write!(
                        f,
                        "{instructions} MATCH instructions for {matches} event matches"
                    ),
                }
            }
            BundleErrorKind::EventIndexMismatch {
                event,
                expected,
                found,
            } => {
                let show = |v: &Option<u64>| match v {
                    Some(r) => format!(
                        "job {} {}",
                        r >> 1,
                        if r & 1 == 1 { "stop on" } else { "start on" }
                    ),
                    None => "nothing".to_owned(),
                };
                write!(
                    f,
                    "event {event}: expected {}, found {}",
                    show(expected),
                    show(found)
                )
            }
        }
    }
}

impl std::error::Error for BundleError {}
