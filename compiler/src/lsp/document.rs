//! Open documents: their text, and positions in the client's encoding.
//!
//! LSP positions are (line, character) where a character is counted in
//! the negotiated encoding: UTF-16 code units unless the client offers
//! UTF-8. Every conversion clamps: a line past the end means the end of
//! the text, a character past the end of its line means the end of that
//! line, and a position inside a character (half a surrogate pair, or in
//! the middle of a UTF-8 sequence) means the start of that character. So
//! no edit or request, however wrong its positions, can make the server
//! index outside the text.

use lsp_types::{Position, Range};

use crate::source::Span;

/// How the client counts characters in a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// Where the lines of a text start.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The byte offset of a position, clamped into the text.
    pub fn offset(&self, text: &str, position: Position, encoding: Encoding) -> usize {
        let line = position.line as usize;
        let Some(&start) = self.starts.get(line) else {
            return text.len();
        };
        let end = self
            .starts
            .get(line + 1)
            .map_or(text.len(), |&next| next.saturating_sub(1));
        let line_text = text.get(start..end.max(start)).unwrap_or("");
        let wanted = position.character as usize;
        let mut units = 0usize;
        for (i, c) in line_text.char_indices() {
            if units >= wanted {
                return start + i;
            }
            units += match encoding {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
            if units > wanted {
                // Inside this character: its start.
                return start + i;
            }
        }
        start + line_text.len()
    }

    /// The position of a byte offset (clamped; an offset inside a
    /// character counts as that character's start).
    pub fn position(&self, text: &str, offset: usize, encoding: Encoding) -> Position {
        let mut offset = offset.min(text.len());
        while offset > 0 && !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0).min(offset);
        let prefix = text.get(start..offset).unwrap_or("");
        let character = match encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.chars().map(char::len_utf16).sum(),
        };
        Position::new(
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(character).unwrap_or(u32::MAX),
        )
    }

    pub fn range(&self, text: &str, span: Span, encoding: Encoding) -> Range {
        Range::new(
            self.position(text, span.start as usize, encoding),
            self.position(text, span.end as usize, encoding),
        )
    }

    /// The byte span of a range (start and end clamped, end never before
    /// start).
    pub fn span(&self, text: &str, range: Range, encoding: Encoding) -> (usize, usize) {
        let start = self.offset(text, range.start, encoding);
        let end = self.offset(text, range.end, encoding);
        (start.min(end), end.max(start))
    }
}

/// An open document.
#[derive(Debug, Clone)]
pub struct Document {
    pub text: String,
    pub version: i32,
    pub lines: LineIndex,
}

/// What one edit did, in bytes: `old` was replaced by `new_len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub old_end: usize,
    pub new_len: usize,
}

impl Edit {
    /// Where a span of the text before the edit is after it; `None` when
    /// the edit touched it.
    pub fn shift(&self, span: Span) -> Option<Span> {
        let (start, end) = (span.start as usize, span.end as usize);
        if end <= self.start {
            return Some(span);
        }
        if start >= self.old_end {
            let moved = |at: usize| at - self.old_end + self.start + self.new_len;
            return Some(Span::new(moved(start), moved(end)));
        }
        None
    }
}

impl Document {
    pub fn new(text: String, version: i32) -> Document {
        let lines = LineIndex::new(&text);
        Document {
            text,
            version,
            lines,
        }
    }

    /// Applies one change: a range replaced, or (no range) the whole text.
    pub fn apply(&mut self, range: Option<Range>, new_text: &str, encoding: Encoding) -> Edit {
        let (start, end) = match range {
            Some(range) => self.lines.span(&self.text, range, encoding),
            None => (0, self.text.len()),
        };
        self.text.replace_range(start..end, new_text);
        self.lines = LineIndex::new(&self.text);
        Edit {
            start,
            old_end: end,
            new_len: new_text.len(),
        }
    }

    pub fn offset(&self, position: Position, encoding: Encoding) -> usize {
        self.lines.offset(&self.text, position, encoding)
    }

    pub fn range(&self, span: Span, encoding: Encoding) -> Range {
        self.lines.range(&self.text, span, encoding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    #[test]
    fn utf16_counts_surrogate_pairs_as_two_and_utf8_counts_bytes() {
        let text = "a\u{1F600}b\né\n";
        let lines = LineIndex::new(text);
        assert_eq!(lines.offset(text, pos(0, 3), Encoding::Utf16), 5);
        assert_eq!(lines.offset(text, pos(0, 5), Encoding::Utf8), 5);
        assert_eq!(lines.position(text, 5, Encoding::Utf16), pos(0, 3));
        assert_eq!(lines.position(text, 9, Encoding::Utf16), pos(1, 1));
        assert_eq!(lines.position(text, 9, Encoding::Utf8), pos(1, 2));
    }

    #[test]
    fn positions_inside_a_character_or_past_the_end_are_clamped() {
        let text = "a\u{1F600}b\nxy";
        let lines = LineIndex::new(text);
        // Between the two halves of the surrogate pair: the emoji's start.
        assert_eq!(lines.offset(text, pos(0, 2), Encoding::Utf16), 1);
        // Inside the UTF-8 sequence.
        assert_eq!(lines.offset(text, pos(0, 3), Encoding::Utf8), 1);
        assert_eq!(lines.offset(text, pos(0, 99), Encoding::Utf16), 6);
        assert_eq!(lines.offset(text, pos(9, 0), Encoding::Utf16), text.len());
        assert_eq!(lines.position(text, 99, Encoding::Utf16), pos(1, 2));
        assert_eq!(lines.position(text, 3, Encoding::Utf16), pos(0, 1));
    }

    #[test]
    fn incremental_changes_replace_their_range() {
        let mut doc = Document::new("start on a\ntask\n".to_owned(), 1);
        let edit = doc.apply(
            Some(Range::new(pos(0, 9), pos(0, 10))),
            "startup",
            Encoding::Utf16,
        );
        assert_eq!(doc.text, "start on startup\ntask\n");
        assert_eq!(
            edit,
            Edit {
                start: 9,
                old_end: 10,
                new_len: 7
            }
        );
        doc.apply(Some(Range::new(pos(1, 0), pos(9, 9))), "", Encoding::Utf16);
        assert_eq!(doc.text, "start on startup\n");
        // A reversed range is read as the range between its ends.
        doc.apply(Some(Range::new(pos(0, 8), pos(0, 5))), "", Encoding::Utf16);
        assert_eq!(doc.text, "start startup\n");
        doc.apply(None, "task\n", Encoding::Utf16);
        assert_eq!(doc.text, "task\n");
    }

    #[test]
    fn spans_after_an_edit_move_and_spans_it_touches_are_dropped() {
        let edit = Edit {
            start: 10,
            old_end: 12,
            new_len: 5,
        };
        assert_eq!(edit.shift(Span::new(0, 10)), Some(Span::new(0, 10)));
        assert_eq!(edit.shift(Span::new(12, 14)), Some(Span::new(15, 17)));
        assert_eq!(edit.shift(Span::new(9, 11)), None);
        assert_eq!(edit.shift(Span::new(11, 11)), None);
    }
}
