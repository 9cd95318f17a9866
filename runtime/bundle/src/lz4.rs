//! The LZ4 block format (lz4's `doc/lz4_Block_format.md`), used for the
//! string data: a deterministic compressor for the writer and a strict,
//! bounds-checked decompressor for the reader.
//!
//! The compressor keeps the format's end-of-block rules (the last 5 bytes
//! are literals, the last match starts at least 12 bytes before the end),
//! so any LZ4 block decoder can read its output. The decompressor accepts
//! any well-formed block whose output is exactly the declared size.

const MIN_MATCH: usize = 4;
const LAST_LITERALS: usize = 5;
const MF_LIMIT: usize = 12;
const MAX_OFFSET: usize = 65_535;
const HASH_BITS: u32 = 16;
/// How many earlier positions with the same hash the compressor tries.
const CHAIN_DEPTH: usize = 48;

/// Why a block does not decompress.
pub type Lz4Error = &'static str;

fn read4(data: &[u8], at: usize) -> u32 {
    match data.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => 0,
    }
}

fn hash(v: u32) -> usize {
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_BITS)) as usize
}

fn push_length(out: &mut Vec<u8>, mut rest: usize) {
    while rest >= 255 {
        out.push(255);
        rest -= 255;
    }
    out.push(rest as u8);
}

fn push_sequence(out: &mut Vec<u8>, literals: &[u8], m: Option<(usize, usize)>) {
    let lit = literals.len();
    let lit_nib = lit.min(15) as u8;
    let match_nib = m.map_or(0, |(_, len)| (len - MIN_MATCH).min(15) as u8);
    out.push(lit_nib << 4 | match_nib);
    if lit >= 15 {
        push_length(out, lit - 15);
    }
    out.extend_from_slice(literals);
    if let Some((offset, len)) = m {
        out.extend_from_slice(&(offset as u16).to_le_bytes());
        if len - MIN_MATCH >= 15 {
            push_length(out, len - MIN_MATCH - 15);
        }
    }
}

/// The hash-chain match finder of the compressor.
struct Finder<'a> {
    input: &'a [u8],
    head: Vec<u32>,
    prev: Vec<u32>,
    /// Matches may not extend past this (the last 5 bytes are literals).
    match_end: usize,
}

impl Finder<'_> {
    fn insert(&mut self, p: usize) {
        let h = hash(read4(self.input, p));
        if let (Some(slot), Some(link)) = (self.head.get_mut(h), self.prev.get_mut(p)) {
            *link = *slot;
            *slot = p as u32;
        }
    }

    /// The longest earlier match at `pos` within the window: (offset, len).
    fn longest(&self, pos: usize) -> (usize, usize) {
        let input = self.input;
        let here = read4(input, pos);
        let mut best = (0usize, 0usize);
        let mut cand = self.head.get(hash(here)).copied().unwrap_or(u32::MAX);
        let mut depth = 0;
        while cand != u32::MAX && depth < CHAIN_DEPTH {
            let c = cand as usize;
            if c >= pos || pos - c > MAX_OFFSET {
                break;
            }
            if read4(input, c) == here {
                let mut len = MIN_MATCH;
                while pos + len < self.match_end && input.get(c + len) == input.get(pos + len) {
                    len += 1;
                }
                if len > best.1 {
                    best = (pos - c, len);
                }
            }
            cand = self.prev.get(c).copied().unwrap_or(u32::MAX);
            depth += 1;
        }
        if pos + best.1 > self.match_end {
            best.1 = 0;
        }
        best
    }
}

/// Compresses `input` into one LZ4 block. Deterministic: same input, same
/// bytes. Hash chains over a 64 KiB window, with one step of lazy
/// matching (a match is deferred when the next position has a longer one:
/// fewer, longer sequences, which also decode faster).
pub fn compress(input: &[u8]) -> Vec<u8> {
    let n = input.len();
    let mut out = Vec::with_capacity(n / 2 + 16);
    let mut f = Finder {
        input,
        head: vec![u32::MAX; 1 << HASH_BITS],
        prev: vec![u32::MAX; n],
        match_end: n.saturating_sub(LAST_LITERALS),
    };
    let mut anchor = 0;
    let mut pos = 0;
    // Matches may not start after this point.
    let match_start_limit = n.saturating_sub(MF_LIMIT);
    while n > MF_LIMIT && pos < match_start_limit {
        let best = f.longest(pos);
        if best.1 < MIN_MATCH {
            f.insert(pos);
            pos += 1;
            continue;
        }
        f.insert(pos);
        if pos + 1 < match_start_limit && f.longest(pos + 1).1 > best.1 + 1 {
            pos += 1;
            continue;
        }
        push_sequence(
            &mut out,
            input.get(anchor..pos).unwrap_or_default(),
            Some(best),
        );
        for p in pos + 1..pos + best.1 {
            if p < match_start_limit {
                f.insert(p);
            }
        }
        pos += best.1;
        anchor = pos;
    }
    push_sequence(&mut out, input.get(anchor..).unwrap_or_default(), None);
    out
}

fn read_length(input: &[u8], pos: &mut usize, mut len: usize) -> Result<usize, Lz4Error> {
    loop {
        let b = *input
            .get(*pos)
            .ok_or("a length runs past the end of the block")?;
        *pos += 1;
        len = len
            .checked_add(usize::from(b))
            .ok_or("a length overflows")?;
        if b != 255 {
            return Ok(len);
        }
    }
}

/// Copies 16 bytes from `src[from..]` to `dst[to..]` if both have them.
fn copy16(dst: &mut [u8], to: usize, src: &[u8], from: usize) -> bool {
    let d = dst
        .get_mut(to..to.wrapping_add(16))
        .and_then(|d| <&mut [u8; 16]>::try_from(d).ok());
    let s = src
        .get(from..from.wrapping_add(16))
        .and_then(|s| <&[u8; 16]>::try_from(s).ok());
    match (d, s) {
        (Some(d), Some(s)) => {
            *d = *s;
            true
        }
        _ => false,
    }
}

/// Copies 16 bytes from `buf[from..]` to `buf[to..]`, where `from + 16 <=
/// to` (the source lies wholly before the destination), if `buf` has them.
fn copy16_within(buf: &mut [u8], from: usize, to: usize) -> bool {
    let Some((head, tail)) = buf.split_at_mut_checked(to) else {
        return false;
    };
    let s = head
        .get(from..from.wrapping_add(16))
        .and_then(|s| <&[u8; 16]>::try_from(s).ok());
    let d = tail
        .get_mut(..16)
        .and_then(|d| <&mut [u8; 16]>::try_from(d).ok());
    match (d, s) {
        (Some(d), Some(s)) => {
            *d = *s;
            true
        }
        _ => false,
    }
}

/// Decodes one sequence with fewer than 15 literals and a match at an
/// offset of 16 or more with fixed 16-byte copies, when the input has 32
/// bytes left and the output room for the match plus 16: the common case
/// of text blocks, with one bounds test per copy and no exact tail copy.
/// Returns the new positions, or `None` to let the general decoder take
/// the sequence (also every malformed one, which it then reports).
fn fast_sequence(input: &[u8], out: &mut [u8], ip: usize, op: usize) -> Option<(usize, usize)> {
    if ip + 32 > input.len() || op + 32 > out.len() {
        return None;
    }
    let token = *input.get(ip)?;
    let lit = usize::from(token >> 4);
    if lit == 15 {
        return None;
    }
    let lit_at = ip + 1;
    let mut ip = lit_at + lit;
    let offset = match input.get(ip..ip + 2)? {
        &[a, b] => usize::from(u16::from_le_bytes([a, b])),
        _ => return None,
    };
    ip += 2;
    let op_match = op + lit;
    if offset < 16 || offset > op_match {
        return None;
    }
    let mut len = usize::from(token & 15);
    if len == 15 {
        len = read_length(input, &mut ip, len).ok()?;
    }
    len += MIN_MATCH;
    let end = op_match.checked_add(len)?;
    if end.checked_add(16)? > out.len() {
        return None;
    }
    // Literals, 16 bytes whatever their number: what lies past them is
    // overwritten by the match that follows.
    if lit != 0 && !copy16(out, op, input, lit_at) {
        return None;
    }
    let from = op_match - offset;
    if len > 32 && offset >= len {
        // A long match that does not overlap itself: one copy.
        let (head, tail) = out.split_at_mut_checked(op_match)?;
        tail.get_mut(..len)?
            .copy_from_slice(head.get(from..from + len)?);
    } else {
        let mut done = 0;
        while done < len {
            if !copy16_within(out, from + done, op_match + done) {
                return None;
            }
            done += 16;
        }
    }
    Some((ip, end))
}

/// Decompresses one block that must produce exactly `size` bytes. Never
/// allocates more than `size` (which the caller has bounded).
///
/// Short copies go 16 bytes at a time, as LZ4's own decoder does: the
/// bytes written past the end of a literal run or match are garbage that
/// the following sequences overwrite (output is produced in order), and a
/// copy that would run past the buffer falls back to an exact one.
pub fn decompress(input: &[u8], size: usize) -> Result<Vec<u8>, Lz4Error> {
    let mut out = vec![0u8; size];
    let (mut ip, mut op) = (0usize, 0usize);
    if input.is_empty() {
        return if size == 0 {
            Ok(out)
        } else {
            Err("the block is empty")
        };
    }
    loop {
        if let Some((i, o)) = fast_sequence(input, &mut out, ip, op) {
            (ip, op) = (i, o);
            continue;
        }
        let token = *input.get(ip).ok_or("the block ends before a sequence")?;
        ip += 1;
        let mut lit = usize::from(token >> 4);
        if lit == 15 {
            lit = read_length(input, &mut ip, lit)?;
        }
        let lit_end = ip.checked_add(lit).ok_or("a length overflows")?;
        if lit_end > input.len() {
            return Err("literals run past the end of the block");
        }
        if op + lit > size {
            return Err("the block decompresses to more than the declared size");
        }
        if lit != 0 && !(lit <= 16 && copy16(&mut out, op, input, ip)) {
            let (Some(d), Some(s)) = (out.get_mut(op..op + lit), input.get(ip..lit_end)) else {
                return Err("literals run past the end of the block");
            };
            d.copy_from_slice(s);
        }
        op += lit;
        ip = lit_end;
        if ip == input.len() {
            break;
        }
        let offset = match input.get(ip..ip + 2) {
            Some(&[a, b]) => usize::from(u16::from_le_bytes([a, b])),
            _ => return Err("a match offset runs past the end of the block"),
        };
        ip += 2;
        if offset == 0 || offset > op {
            return Err("a match offset points before the start of the output");
        }
        let mut len = usize::from(token & 15);
        if len == 15 {
            len = read_length(input, &mut ip, len)?;
        }
        len += MIN_MATCH;
        if op + len > size {
            return Err("the block decompresses to more than the declared size");
        }
        let from = op - offset;
        if offset >= len && len > 32 {
            // A long match that does not overlap itself: one copy.
            let (head, tail) = out.split_at_mut(op);
            let (Some(d), Some(s)) = (tail.get_mut(..len), head.get(from..from + len)) else {
                return Err("the block decompresses to more than the declared size");
            };
            d.copy_from_slice(s);
        } else if offset >= 16 {
            // Non-overlapping 16-byte chunks: each source chunk lies wholly
            // before the position it is copied to.
            let mut done = 0;
            while done < len {
                let (src, dst) = (from + done, op + done);
                if dst + 16 <= size {
                    // `src + 16 <= dst` as `offset >= 16`: one 16-byte move.
                    out.copy_within(src..src + 16, dst);
                } else {
                    out.copy_within(src..src + (len - done), dst);
                    break;
                }
                done += 16;
            }
        } else {
            // Overlapping: the source is the bytes being written, a
            // pattern of period `offset`. Copy whole periods, doubling: the
            // source run always ends where the copy starts.
            let mut done = 0;
            while done < len {
                let chunk = (len - done).min(offset + done);
                out.copy_within(from..from + chunk, op + done);
                done += chunk;
            }
        }
        op += len;
    }
    if op != size {
        return Err("the block decompresses to less than the declared size");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) {
        let c = compress(data);
        assert_eq!(decompress(&c, data.len()).as_deref(), Ok(data));
    }

    #[test]
    fn round_trips() {
        round_trip(b"");
        round_trip(b"a");
        round_trip(b"hello world hello world hello world!!!!!!!!!");
        round_trip(&[7u8; 100_000]);
        let text: Vec<u8> = (0..50_000u32)
            .flat_map(|i| format!("job-{} start on runlevel [2345]\n", i % 977).into_bytes())
            .collect();
        round_trip(&text);
        let c = compress(&text);
        assert!(c.len() * 5 < text.len(), "{} vs {}", c.len(), text.len());
    }

    /// Text that repeats earlier text at every distance and length (short
    /// and long matches, overlapping or not, literals of every length), so
    /// both the fast and the general decoding paths run, and meet.
    #[test]
    fn round_trips_matches_of_every_shape() {
        let mut state = 0x2545_f491_u32;
        let mut next = |n: u32| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) % n
        };
        let mut text: Vec<u8> = b"start on runlevel [2345]\n".to_vec();
        while text.len() < 300_000 {
            match next(4) {
                0 => {
                    let n = next(40) as usize;
                    text.extend((0..n).map(|_| b'a' + next(26) as u8));
                }
                1 => {
                    let run = next(300) as usize + 1;
                    text.extend(std::iter::repeat_n(b' ', run));
                }
                _ => {
                    let back = (next(20_000) as usize + 1).min(text.len());
                    let len = next(200) as usize + 4;
                    let from = text.len() - back;
                    for k in 0..len {
                        let b = text.get(from + k).copied().unwrap_or(0);
                        text.push(b);
                    }
                }
            }
        }
        round_trip(&text);
    }

    #[test]
    fn refuses_malformed_blocks() {
        assert!(decompress(&[], 1).is_err());
        assert!(decompress(&[0x10], 1).is_err());
        assert!(decompress(&[0x10, b'a', 0, 0], 10).is_err());
        assert!(decompress(&[0x10, b'a', 2, 0], 10).is_err());
        assert!(decompress(&[0x10, b'a'], 2).is_err());
        assert!(decompress(&[0x20, b'a', b'b'], 1).is_err());
        assert!(decompress(&[0x1f, b'a', 1, 0, 0], 20).is_err());
        assert_eq!(
            decompress(&[0x1f, b'a', 1, 0, 0, 0], 20).map(|v| v.len()),
            Ok(20)
        );
    }
}
