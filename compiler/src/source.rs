//! Source files and byte spans.
//!
//! Every diagnostic points into a [`SourceMap`] by [`FileId`] and [`Span`].
//! Files are kept as UTF-8 text: bytes that are not valid UTF-8 are replaced
//! (each invalid sequence by U+FFFD) when the file is added, and the offset of
//! the first such byte is remembered so `upc check` can report it.

use std::path::{Path, PathBuf};

/// A byte range `start..end` in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    /// An empty span at `at` (used for "expected ... here" at end of line).
    pub fn point(at: usize) -> Span {
        Span::new(at, at)
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span that covers both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// One source file: its name as the user gave it, its text, and where its
/// lines start.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<u32>,
    /// Byte offset (in the original bytes) of the first invalid UTF-8 sequence.
    pub invalid_utf8_at: Option<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, bytes: Vec<u8>) -> SourceFile {
        let (text, invalid_utf8_at) = match String::from_utf8(bytes) {
            Ok(text) => (text, None),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(at))
            }
        };
        // `match_indices` of a char finds each LF with memchr, not byte by
        // byte; job files average a line per 30 bytes or so.
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 2);
        line_starts.push(0u32);
        line_starts.extend(text.match_indices('\n').map(|(i, _)| clamp(i + 1)));
        SourceFile {
            path: path.into(),
            text,
            line_starts,
            invalid_utf8_at,
        }
    }

    /// 0-based line index of a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = clamp(offset);
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Byte offset at which 0-based line `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .map_or(self.text.len(), |&s| s as usize)
    }

    pub fn line_starts(&self) -> &[u32] {
        &self.line_starts
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_start(line).min(offset);
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

/// Every file of one run.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(clamp(self.files.len() - 1))
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn path(&self, id: FileId) -> &Path {
        self.get(id)
            .map_or(Path::new("<unknown>"), |f| f.path.as_path())
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(clamp(i)), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_and_counts_characters() {
        let f = SourceFile::new("x", b"ab\nc\xc3\xa9d\n".to_vec());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(6), (2, 3));
        assert_eq!(f.line_col(8), (3, 1));
    }

    #[test]
    fn invalid_utf8_offset_is_remembered() {
        let f = SourceFile::new("x", b"exec a\xffb\n".to_vec());
        assert_eq!(f.invalid_utf8_at, Some(6));
        assert!(f.text.contains('\u{fffd}'));
    }
}
