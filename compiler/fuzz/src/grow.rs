//! Growing moves for the parse and check targets' custom mutator.
//!
//! libFuzzer's own mutations change a few bytes at a time, so a corpus of
//! short job files never reaches a 400 KB line or 200,000 nested `${` (the
//! input that once overflowed `upc check`'s stack). These moves make inputs
//! long and deep in one step: repeat a slice of the input many times, open
//! (and maybe close) a nesting construct many times, or insert a long run of
//! one byte. The count is drawn on a logarithmic scale up to the room left
//! under `max_size`, so short and huge repetitions are equally likely.
//!
//! Plain `std`, deterministic in the seed (libFuzzer requires it), and
//! shared as a file with compiler/tests/lang/fuzz_regressions.rs, which replays
//! grown inputs on every `cargo test`.

/// Constructs whose repetition nests: what opens, what closes it (empty
/// when nothing does, or when the open is meant to stay open).
const NESTING: &[(&[u8], &[u8])] = &[
    (b"${", b"}"),
    (b"${A:-", b"}"),
    (b"${", b""),
    (b"(", b")"),
    (b"(a or ", b")"),
    (b"a and ", b""),
    (b"\"", b""),
    (b"'", b"'"),
    (b"[", b"]"),
    (b"[[:", b":]]"),
    (b"\\\n", b""),
    (b"\\", b""),
    (b"$", b""),
    (b"#", b""),
    (b"KEY=", b""),
    (b"\n", b""),
];

/// Bytes a long run is made of: ordinary text, blanks, and the characters
/// the tokenizer and the expansion treat specially.
const RUN_BYTES: &[u8] = b"a \t\r$\\#\"'(){}=*?[]\0\n";

/// A xorshift64 generator: enough for choosing moves.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // Never zero (xorshift's fixed point).
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// A count in `1..=max`, logarithmically distributed.
    fn count(&mut self, max: usize) -> usize {
        if max == 0 {
            return 0;
        }
        let bits = usize::BITS - max.leading_zeros();
        let top = 1usize << self.below(bits as usize);
        (top + self.below(top)).clamp(1, max)
    }
}

/// Grows `data` by one move chosen by `seed`, never past `max_size` bytes.
pub fn grow(data: &mut Vec<u8>, max_size: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    let room = max_size.saturating_sub(data.len());
    let at = rng.below(data.len() + 1);
    match rng.below(3) {
        0 if !data.is_empty() => {
            // Repeat a short slice of the input right after itself.
            let start = rng.below(data.len());
            let len = 1 + rng.below((data.len() - start).min(16));
            let slice: Vec<u8> = data.get(start..start + len).unwrap_or_default().to_vec();
            let times = rng.count(room / len);
            let grown: Vec<u8> = slice.iter().copied().cycle().take(len * times).collect();
            data.splice(start + len..start + len, grown);
        }
        1 | 0 => {
            // Open a construct many times, and close it as often (or not).
            let (open, close) = NESTING[rng.below(NESTING.len())];
            let close_too = !close.is_empty() && rng.below(2) == 0;
            let unit = open.len() + if close_too { close.len() } else { 0 };
            let times = rng.count(room / unit);
            let mut inserted = open.repeat(times);
            if close_too {
                inserted.extend_from_slice(&close.repeat(times));
            }
            data.splice(at..at, inserted);
        }
        _ => {
            // A long run of one byte: a long line, or many blanks.
            let byte = RUN_BYTES[rng.below(RUN_BYTES.len())];
            let times = rng.count(room);
            data.splice(at..at, std::iter::repeat_n(byte, times));
        }
    }
    data.truncate(max_size);
}

/// Seeds to grow from: the start of each kind of line whose rest is read
/// differently (expression, argument, command, script body).
pub const SEEDS: &[&[u8]] = &[
    b"start on e X=",
    b"start on (",
    b"stop on a and ",
    b"description \"",
    b"env A=",
    b"instance $",
    b"exec /bin/x ",
    b"script\n",
    b"emits ",
    b"",
];

/// The growth a test replays: `rounds` moves from every seed, each input
/// kept under `max_size`.
pub fn grown_inputs(rounds: usize, max_size: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (i, seed) in SEEDS.iter().enumerate() {
        let mut data = seed.to_vec();
        for round in 0..rounds {
            grow(&mut data, max_size, (i * 1_000 + round) as u64);
            out.push(data.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_stays_under_the_limit_and_is_repeatable() {
        for seed in 0..2_000u64 {
            let mut a = b"start on e X=${".to_vec();
            let mut b = a.clone();
            grow(&mut a, 4_096, seed);
            grow(&mut b, 4_096, seed);
            assert_eq!(a, b);
            assert!(a.len() <= 4_096);
        }
    }

    #[test]
    fn growth_reaches_long_lines_and_deep_nesting() {
        let inputs = grown_inputs(8, 1 << 20);
        let longest = inputs.iter().map(Vec::len).max().unwrap_or(0);
        assert!(longest > 100_000, "longest input {longest} bytes");
        let deepest = inputs
            .iter()
            .map(|i| i.windows(2).filter(|w| w == b"${").count())
            .max()
            .unwrap_or(0);
        assert!(deepest > 10_000, "at most {deepest} `${{`");
    }
}
