//! One deterministic test per validation check: a good bundle, one field
//! broken, the error names the check and the byte offset of the field.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use upc_bundle::testing::layout::*;
use upc_bundle::testing::sample_spec;
use upc_bundle::{
    validate, write_with, BundleError, BundleErrorKind, Expect, ProgramError, WriteOptions,
};

fn good(compress_strings: bool) -> Vec<u8> {
    write_with(&sample_spec(), WriteOptions { compress_strings }).unwrap()
}

/// Fixes the total length and checksum after an edit, so the edit reaches
/// the check behind them.
fn reseal(b: Vec<u8>) -> Vec<u8> {
    upc_bundle::testing::reseal(&b)
}

fn sec(b: &[u8], s: Section) -> (usize, usize) {
    let e = H_DIRECTORY + s.index() * DIRECTORY_ENTRY;
    let off = u32::from_le_bytes(b[e..e + 4].try_into().unwrap()) as usize;
    let len = u32::from_le_bytes(b[e + 4..e + 8].try_into().unwrap()) as usize;
    (off, len)
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn refused(b: &[u8]) -> BundleError {
    match validate(b) {
        Ok(_) => panic!("accepted a broken bundle"),
        Err(e) => e,
    }
}

fn expect(b: &[u8], check: &str, offset: usize) -> BundleError {
    let e = refused(b);
    assert_eq!((e.check(), e.offset), (check, offset), "{e}");
    assert!(e
        .to_string()
        .starts_with(&format!("bundle: {check} at byte {offset}: ")));
    e
}

#[test]
fn good_bundles_validate() {
    validate(&good(true)).unwrap();
    validate(&good(false)).unwrap();
}

#[test]
fn truncated_file() {
    let b = good(true);
    let e = expect(&b[..b.len() - 10], "length mismatch", H_TOTAL_LEN);
    assert!(e.to_string().contains("(truncated?)"), "{e}");
    let e = expect(&b[..40], "truncated", 40);
    assert_eq!(
        e.to_string(),
        "bundle: truncated at byte 40: the bundle is 40 bytes long, this field needs 64"
    );
    expect(&b[..2], "truncated", 2);
    expect(&[], "truncated", 0);
}

#[test]
fn trailing_bytes() {
    let mut b = good(true);
    b.extend_from_slice(&[0; 8]);
    let e = expect(&b, "length mismatch", H_TOTAL_LEN);
    assert!(e.to_string().contains("(trailing bytes?)"), "{e}");
    // Even with the header agreeing, the sections must end the file.
    let len = b.len() - 8;
    expect(&reseal(b), "length mismatch", len);
}

#[test]
fn bad_magic() {
    let mut b = good(true);
    b[..4].copy_from_slice(b"\x7fELF");
    let e = expect(&b, "bad magic", 0);
    assert!(e.to_string().contains("not a upc bundle"), "{e}");
}

#[test]
fn future_version() {
    let mut b = good(true);
    put32(&mut b, H_VERSION, upc_bundle::FORMAT_VERSION + 1);
    let e = expect(&b, "unsupported format version", H_VERSION);
    assert_eq!(
        e.kind,
        BundleErrorKind::UnsupportedVersion {
            found: upc_bundle::FORMAT_VERSION + 1
        }
    );
    assert!(e.to_string().contains("built by a newer upc"), "{e}");
    put32(&mut b, H_VERSION, 0);
    let e = expect(&b, "unsupported format version", H_VERSION);
    assert!(e.to_string().contains("rebuild the bundle"), "{e}");
}

#[test]
fn a_version_1_bundle_is_refused_with_rebuild_advice() {
    // Version 2 gave the settings record's byte 90 a meaning (`ready
    // fd`) and `expect` two more values; a version 1 bundle is refused
    // before anything else is read.
    let mut b = good(true);
    put32(&mut b, H_VERSION, 1);
    let e = expect(&b, "unsupported format version", H_VERSION);
    assert_eq!(
        e.to_string(),
        "bundle: unsupported format version at byte 4: this reader knows format version 2, \
         the bundle is version 1; rebuild the bundle with this upc"
    );
}

#[test]
fn bad_checksum() {
    let mut b = good(true);
    let last = b.len() - 1;
    b[last] ^= 1;
    let e = expect(&b, "bad checksum", H_CHECKSUM);
    assert!(matches!(e.kind, BundleErrorKind::BadChecksum { .. }));
    // The digest and the compiler version are covered too.
    let mut b = good(true);
    b[H_SOURCE_DIGEST] ^= 0xff;
    expect(&b, "bad checksum", H_CHECKSUM);
}

#[test]
fn unknown_flags() {
    let mut b = good(true);
    put32(&mut b, H_FLAGS, 0x80);
    expect(&reseal(b), "unknown flags", H_FLAGS);
}

#[test]
fn bad_section_count() {
    let mut b = good(true);
    put32(&mut b, H_SECTION_COUNT, 20);
    expect(&reseal(b), "bad section count", H_SECTION_COUNT);
}

#[test]
fn out_of_range_offsets() {
    // A section that does not start where the layout puts it.
    let mut b = good(true);
    let entry = H_DIRECTORY + Section::Jobs.index() * DIRECTORY_ENTRY;
    let (off, _) = sec(&b, Section::Jobs);
    put32(&mut b, entry, off as u32 + 8);
    expect(&reseal(b), "misplaced section", entry);

    // A section running past the end of the file.
    let mut b = good(true);
    let entry = H_DIRECTORY + Section::EventRefs.index() * DIRECTORY_ENTRY;
    put32(&mut b, entry + 4, 1 << 20);
    expect(&reseal(b), "section out of range", entry + 4);

    // A section length that is not whole records.
    let mut b = good(true);
    let entry = H_DIRECTORY + Section::Jobs.index() * DIRECTORY_ENTRY;
    let (_, len) = sec(&b, Section::Jobs);
    put32(&mut b, entry + 4, len as u32 - 1);
    expect(&reseal(b), "bad section length", entry + 4);

    // A child range past the end of its table (a job's first process).
    let mut b = good(true);
    let (jobs, _) = sec(&b, Section::Jobs);
    let at = jobs + 2 * JOB_SIZE + J_PROCESSES;
    put32(&mut b, at, 1000);
    expect(&reseal(b), "offset out of range", at);

    // A string end past the string data.
    let mut b = good(false);
    let (ends, len) = sec(&b, Section::StringEnds);
    let at = ends + len - 4;
    put32(&mut b, at, 1 << 20);
    expect(&reseal(b), "offset out of range", at);
}

#[test]
fn overlapping_ranges() {
    // Job 1's processes start after job 2's: ranges must tile.
    let mut b = good(true);
    let (jobs, _) = sec(&b, Section::Jobs);
    put32(&mut b, jobs + JOB_SIZE + J_PROCESSES, 2);
    let at = jobs + 2 * JOB_SIZE + J_PROCESSES;
    let e = expect(&reseal(b), "overlapping or gapped range", at);
    assert!(matches!(e.kind, BundleErrorKind::RangeNotTiling { .. }));
}

#[test]
fn bad_indices() {
    let mut b = good(true);
    let (jobs, _) = sec(&b, Section::Jobs);
    let at = jobs + J_NAME;
    put32(&mut b, at, 999_999);
    let e = expect(&reseal(b), "index out of range", at);
    assert!(
        e.to_string().contains("job name 999999 is out of range"),
        "{e}"
    );

    let mut b = good(true);
    let at = jobs + JOB_SIZE + J_SETTINGS;
    put32(&mut b, at, 7);
    expect(&reseal(b), "index out of range", at);

    let mut b = good(true);
    let at = jobs + 2 * JOB_SIZE + J_START_ON;
    put32(&mut b, at, 9);
    expect(&reseal(b), "index out of range", at);

    let mut b = good(true);
    let (matches, _) = sec(&b, Section::Matches);
    put32(&mut b, matches, 99);
    expect(&reseal(b), "index out of range", matches);

    // A required string missing.
    let mut b = good(true);
    let at = jobs + J_FILE;
    put32(&mut b, at, NONE);
    expect(&reseal(b), "missing reference", at);
}

#[test]
fn malformed_bytecode() {
    let b0 = good(true);
    let (code, len) = sec(&b0, Section::Code);
    assert!(len >= 6);
    let (programs, _) = sec(&b0, Section::Programs);

    let mut b = b0.clone();
    b[code] = 9;
    let e = expect(&reseal(b), "malformed bytecode", code);
    assert_eq!(
        e.kind,
        BundleErrorKind::BadProgram {
            program: 0,
            reason: ProgramError::BadOpcode { at: 0, opcode: 9 }
        }
    );

    // AND first: nothing on the stack.
    let mut b = b0.clone();
    b[code] = OP_AND;
    let e = expect(&reseal(b), "malformed bytecode", code);
    assert!(e.to_string().contains("needs two operands"), "{e}");

    // Programs: 0 = `filesystem` (M), 1 = apache's start on (M M M OR
    // AND), 2 = its stop on. The last AND of program 1 turned into a MATCH
    // leaves three values.
    let p2_code = u32::from_le_bytes(b0[programs + 16..programs + 20].try_into().unwrap()) as usize;
    let mut b = b0.clone();
    assert_eq!(b[code + p2_code - 1], OP_AND);
    b[code + p2_code - 1] = OP_MATCH;
    let e = expect(&reseal(b), "malformed bytecode", programs + 8);
    assert!(matches!(
        e.kind,
        BundleErrorKind::BadProgram {
            program: 1,
            reason: ProgramError::FinalDepth { depth: 3 },
        }
    ));

    // MATCH count disagreeing with the matches: program 0 (one MATCH)
    // given two matches.
    let mut b = b0.clone();
    put32(&mut b, programs + 8 + 4, 2);
    let e = expect(&reseal(b), "malformed bytecode", programs);
    assert!(matches!(
        e.kind,
        BundleErrorKind::BadProgram {
            reason: ProgramError::MatchCount { .. },
            ..
        }
    ));
}

#[test]
fn invalid_utf8() {
    let mut b = good(false);
    let (data, _) = sec(&b, Section::StringData);
    b[data + 2] = 0xff;
    let e = expect(&reseal(b), "invalid UTF-8", data);
    assert_eq!(e.kind, BundleErrorKind::InvalidUtf8 { valid_up_to: 2 });

    // A string boundary inside the `é` of the sample's pre-start script.
    let b0 = good(false);
    let (data, len) = sec(&b0, Section::StringData);
    let text = std::str::from_utf8(&b0[data..data + len]).unwrap();
    let e_acute = text.find('é').unwrap();
    let (ends, n) = sec(&b0, Section::StringEnds);
    let mut b = b0.clone();
    let at = (0..n / 4)
        .map(|i| ends + 4 * i)
        .find(|&at| u32::from_le_bytes(b0[at..at + 4].try_into().unwrap()) as usize > e_acute)
        .unwrap();
    put32(&mut b, at, e_acute as u32 + 1);
    expect(&reseal(b), "string boundary inside a character", at);
}

#[test]
fn bad_compressed_strings() {
    let mut b = good(true);
    let (data, _) = sec(&b, Section::StringData);
    b[data] = 0xff; // 15+ literals with a length running off the block
    let e = expect(&reseal(b), "bad compressed strings", data);
    assert!(matches!(e.kind, BundleErrorKind::BadCompression { .. }));
}

#[test]
fn decompression_bomb_is_refused_before_allocating() {
    // Claim 64 MiB of strings from a tiny block.
    let mut b = good(true);
    let (ends, len) = sec(&b, Section::StringEnds);
    let at = ends + len - 4;
    put32(&mut b, at, 60 << 20);
    expect(&reseal(b), "limit exceeded", at);
}

#[test]
fn non_zero_padding() {
    let mut b = good(true);
    let (args, _) = sec(&b, Section::Args);
    b[args + A_PAD] = 1;
    expect(&reseal(b), "non-zero padding", args + A_PAD);
}

#[test]
fn bad_enums() {
    let mut b = good(true);
    let (procs, _) = sec(&b, Section::Processes);
    b[procs + P_KIND] = 6;
    expect(&reseal(b), "bad enum value", procs + P_KIND);

    let mut b = good(true);
    let (settings, _) = sec(&b, Section::Settings);
    b[settings + S_CONSOLE] = 5;
    expect(&reseal(b), "bad enum value", settings + S_CONSOLE);

    let mut b = good(true);
    let (settings, _) = sec(&b, Section::Settings);
    b[settings + S_EXPECT] = 6;
    expect(&reseal(b), "bad enum value", settings + S_EXPECT);
}

#[test]
fn a_ready_fd_without_expect_fd_or_below_3_is_refused() {
    // The sample's first settings record is apache's (`expect daemon`).
    let mut b = good(true);
    let (settings, _) = sec(&b, Section::Settings);
    b[settings + S_READY_FD] = 4;
    let e = expect(&reseal(b), "value out of range", settings + S_READY_FD);
    assert!(e.to_string().contains("only with expect fd"), "{e}");
    let mut b = good(true);
    let (settings, _) = sec(&b, Section::Settings);
    b[settings + S_EXPECT] = Expect::Fd.code();
    let e = expect(&reseal(b), "value out of range", settings + S_READY_FD);
    assert!(e.to_string().contains("needs 3..=255"), "{e}");
}

#[test]
fn values_out_of_range() {
    let mut b = good(true);
    let (settings, _) = sec(&b, Section::Settings);
    // The sample's first settings record has `nice -5`.
    put32(&mut b, settings + S_NICE, 20);
    expect(&reseal(b), "value out of range", settings + S_NICE);
}

#[test]
fn unsorted_jobs() {
    let mut b = good(true);
    let (jobs, _) = sec(&b, Section::Jobs);
    let a = u32::from_le_bytes(b[jobs..jobs + 4].try_into().unwrap());
    let c = u32::from_le_bytes(b[jobs + JOB_SIZE..jobs + JOB_SIZE + 4].try_into().unwrap());
    put32(&mut b, jobs, c);
    put32(&mut b, jobs + JOB_SIZE, a);
    expect(&reseal(b), "not sorted", jobs + JOB_SIZE);
}

#[test]
fn event_index_disagreeing_with_programs() {
    // Point the first event reference at another job.
    let mut b = good(true);
    let (refs, _) = sec(&b, Section::EventRefs);
    let r = u32::from_le_bytes(b[refs..refs + 4].try_into().unwrap());
    put32(&mut b, refs, r ^ 1);
    let e = expect(&reseal(b), "event index mismatch", refs);
    assert!(e.to_string().contains("expected job"), "{e}");
}

#[test]
fn every_truncation_and_byte_flip_is_refused_or_valid_without_panic() {
    for compress_strings in [true, false] {
        let b = good(compress_strings);
        for n in 0..b.len() {
            assert!(validate(&b[..n]).is_err());
        }
        for i in 0..b.len() {
            for bit in [0x01u8, 0x80] {
                let mut m = b.clone();
                m[i] ^= bit;
                assert!(validate(&m).is_err(), "flip at {i} went unnoticed");
                // Behind the checksum: must not panic, may be valid.
                let _ = validate(&reseal(m));
            }
        }
    }
}
