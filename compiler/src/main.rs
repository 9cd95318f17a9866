//! The `upc` command line. Arguments in, library calls, output out.

fn main() {
    println!("upc {}", env!("CARGO_PKG_VERSION"));
}
