//! Every hard limit of the format, in one place.
//!
//! The reader refuses a bundle that exceeds any of them before it allocates
//! anything sized by the bundle, so a hostile file can make the loader
//! allocate at most a small multiple of its own size. The writer refuses to
//! produce a bundle the reader would refuse.

/// Largest bundle file, in bytes.
pub const MAX_BUNDLE_SIZE: usize = 64 << 20;

/// Largest uncompressed string data, in bytes.
pub const MAX_STRING_DATA: usize = 64 << 20;

/// LZ4 cannot expand its input by more than this factor (a run of 255-byte
/// length extensions); a declared size beyond `MAX_LZ4_RATIO * input + 16`
/// is refused before anything is allocated.
pub const MAX_LZ4_RATIO: usize = 255;

/// Most distinct strings.
pub const MAX_STRINGS: usize = 1 << 24;

/// Most job classes.
pub const MAX_JOBS: usize = 1 << 18;

/// Most distinct event names in the event index.
pub const MAX_EVENTS: usize = 1 << 20;

/// Most instructions in one `start on`/`stop on` program. A 50,000-operand
/// `a or b or ...` chain needs 99,999.
pub const MAX_PROGRAM_LEN: usize = 1 << 20;

/// Deepest nesting of `${...}` references the evaluator expands; deeper
/// patterns fail to expand (and so do not match), as an expansion error does.
pub const MAX_EXPANSION_DEPTH: usize = 64;
