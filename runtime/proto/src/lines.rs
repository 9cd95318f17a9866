//! Framing: a byte stream cut into bounded lines.

/// A line longer than the limit arrived (or is arriving).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong;

/// Splits a byte stream into lines of at most `limit` bytes (newline not
/// counted), for both ends. Bytes go in with [`LineBuffer::extend`] as
/// they are read; complete lines come out of [`LineBuffer::next_line`]
/// without their newline. Memory stays under `limit` plus one read: once
/// an unfinished line passes the limit, `next_line` says [`TooLong`] and
/// the stream cannot be trusted any more (the reader closes it).
#[derive(Debug, Clone)]
pub struct LineBuffer {
    buf: Vec<u8>,
    /// Bytes of `buf` already searched for a newline.
    scanned: usize,
    limit: usize,
}

impl LineBuffer {
    pub fn new(limit: usize) -> LineBuffer {
        LineBuffer {
            buf: Vec::new(),
            scanned: 0,
            limit,
        }
    }

    pub fn extend(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes of an unfinished line waiting for the rest.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next complete line, `None` when the rest has not arrived.
    pub fn next_line(&mut self) -> Option<Result<Vec<u8>, TooLong>> {
        let unscanned = self.buf.get(self.scanned..).unwrap_or_default();
        match unscanned.iter().position(|&b| b == b'\n') {
            Some(n) => {
                let end = self.scanned + n;
                self.scanned = 0;
                if end > self.limit {
                    return Some(Err(TooLong));
                }
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                Some(Ok(line))
            }
            None => {
                self.scanned = self.buf.len();
                if self.buf.len() > self.limit {
                    Some(Err(TooLong))
                } else {
                    None
                }
            }
        }
    }
}
