//! Writes seed inputs: bundles of the sample job set (compressed and not)
//! into corpus/read, and the same followed by a few events into
//! corpus/eval. Run from runtime/bundle/fuzz.

use std::fs;

use upc_bundle::testing::sample_spec;
use upc_bundle::{write_with, WriteOptions};

fn main() -> std::io::Result<()> {
    fs::create_dir_all("corpus/read")?;
    fs::create_dir_all("corpus/eval")?;
    for compress_strings in [true, false] {
        let bytes = match write_with(&sample_spec(), WriteOptions { compress_strings }) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        let tag = if compress_strings { "lz4" } else { "raw" };
        fs::write(format!("corpus/read/sample-{tag}"), &bytes)?;
        let mut eval = (bytes.len() as u32).to_le_bytes().to_vec();
        eval.extend_from_slice(&bytes);
        for event in 0u8..6 {
            eval.extend_from_slice(&[event, 2]);
            eval.extend_from_slice(b"JOB=networking\0RUNLEVEL=2\0");
        }
        fs::write(format!("corpus/eval/sample-{tag}"), &eval)?;
    }
    Ok(())
}
