//! `upctl`: the initctl-compatible control client.
//!
//! Not built yet: the protocol it speaks is in PROTOCOL.md and
//! `upinit::proto`. Until the client lands it refuses to run rather than
//! pretend: it prints what it is and exits 2.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

fn main() {
    eprintln!(
        "upctl {}: the client is not implemented yet (control protocol {}.{})",
        env!("CARGO_PKG_VERSION"),
        upinit::proto::MAJOR,
        upinit::proto::MINOR
    );
    std::process::exit(2);
}
