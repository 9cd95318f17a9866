//! `upc_bundle::glob::fnmatch` answers as the C library's `fnmatch(3)`
//! (flags 0, C locale: what Upstart's PID 1 calls) on random patterns built
//! from the characters that make bracket expressions interesting, and on
//! random bracket expressions. The C side is a small program compiled with
//! the system's `cc`; it needs gcc (or any `cc`) and glibc, and fails saying
//! so when they are missing. The corners it once found are kept as unit
//! tests in src/glob.rs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use upc_bundle::glob::fnmatch;

/// Reads `HEXPATTERN<TAB>HEXTEXT` lines and prints 1 (match) or 0 for each.
const PROGRAM: &str = r#"
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static void unhex(const char *h, char *out) {
  size_t n = strlen(h) / 2;
  for (size_t i = 0; i < n; i++) {
    char b[3] = {h[2 * i], h[2 * i + 1], 0};
    out[i] = (char)strtol(b, 0, 16);
  }
  out[n] = 0;
}
int main(void) {
  static char p[1 << 16], t[1 << 16];
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    if (line[n - 1] == '\n') line[n - 1] = 0;
    char *tab = strchr(line, '\t');
    if (!tab) return 2;
    *tab = 0;
    unhex(line, p);
    unhex(tab + 1, t);
    putchar(fnmatch(p, t, 0) == 0 ? '1' : '0');
  }
  return 0;
}
"#;

fn c_matcher() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("upc-glibc-fnmatch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("fnm.c");
    std::fs::write(&source, PROGRAM).unwrap();
    let binary = dir.join("fnm");
    let status = Command::new("cc")
        .arg("-O2")
        .arg("-o")
        .arg(&binary)
        .arg(&source)
        .status()
        .unwrap_or_else(|e| panic!("running cc: {e}; install gcc (apt-get install gcc)"));
    assert!(status.success(), "cc failed to build the fnmatch program");
    binary
}

/// xorshift64: the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a [u8]]) -> &'a [u8] {
        from[self.below(from.len())]
    }
}

const PATTERN_PARTS: &[&[u8]] = &[
    b"[",
    b"]",
    b"!",
    b"^",
    b":",
    b"-",
    b"\\",
    b"*",
    b"?",
    b"a",
    b"b",
    b"y",
    b"z",
    b"A",
    b"1",
    b"/",
    b".",
    b" ",
    b"=",
    b"[:alpha:]",
    b"[:foo:]",
    b"[:y:]",
    b"[:upper:]",
    b"[:space:]",
    b"[:",
    b":]",
    b"alpha",
    b"[.",
    b".]",
    b"[=",
    b"=]",
    b"[.a.]",
    b"[=a=]",
    b"[...]",
    b"[..]",
    b"\xc3",
    b"\xa9",
    b"\xff",
    b"\x01",
    b"\x7f",
];

const TEXT_PARTS: &[&[u8]] = &[
    b"[", b"]", b"!", b"^", b":", b"-", b"\\", b"*", b"?", b"a", b"b", b"y", b"z", b"A", b"1",
    b"/", b".", b" ", b"=", b"\xc3", b"\xa9", b"\xff", b"\x01", b"\x7f",
];

fn cases(rng: &mut Rng, n: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let mut pattern = Vec::new();
        if k % 2 == 0 {
            // Anything.
            for _ in 0..rng.below(12) {
                pattern.extend_from_slice(rng.pick(PATTERN_PARTS));
            }
        } else {
            // A bracket expression, maybe closed, maybe after a star.
            pattern.extend_from_slice(if rng.below(4) == 0 { b"*[" } else { b"[" });
            for _ in 0..rng.below(9) {
                pattern.extend_from_slice(rng.pick(PATTERN_PARTS));
            }
            if rng.below(2) == 0 {
                pattern.push(b']');
            }
        }
        let mut text = Vec::new();
        for _ in 0..rng.below(5) {
            text.extend_from_slice(rng.pick(TEXT_PARTS));
        }
        out.push((pattern, text));
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[test]
fn fnmatch_answers_as_the_c_library_does() {
    let binary = c_matcher();
    let cases = cases(&mut Rng(0x9e37_79b9_7f4a_7c15), 200_000);
    let mut input = String::new();
    for (p, t) in &cases {
        let _ = writeln!(input, "{}\t{}", hex(p), hex(t));
    }
    let mut child = Command::new(&binary)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let _ = std::fs::remove_dir_all(binary.parent().unwrap());
    assert!(output.status.success(), "the fnmatch program failed");
    assert_eq!(output.stdout.len(), cases.len(), "one answer per case");
    let differ: Vec<String> = cases
        .iter()
        .zip(&output.stdout)
        .filter(|((p, t), &c)| fnmatch(p, t) != (c == b'1'))
        .take(20)
        .map(|((p, t), &c)| {
            format!(
                "{:?} against {:?}: libc says {}",
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(t),
                c == b'1'
            )
        })
        .collect();
    assert!(
        differ.is_empty(),
        "differs from libc:\n{}",
        differ.join("\n")
    );
}
