//! `upc-bundle`: the on-disk format of a compiled job set.
//!
//! The writer is used by the compiler, the validating reader by the runtime.
//! This crate is filled by the bundle issue; until then it only names the
//! format's identity so that the other crates can depend on it. It must never
//! panic on any byte string it is given.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

/// The four bytes every bundle starts with.
pub const MAGIC: [u8; 4] = *b"UPCB";

/// The bundle format version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_is_ascii() {
        assert!(MAGIC.is_ascii());
    }
}
