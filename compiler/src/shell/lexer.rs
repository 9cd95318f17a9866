//! The lexer behind [`super::tokens`]: one pass over the bytes with an
//! explicit stack of substitutions (each with its own reading state) and of
//! `case`s, so nesting costs memory, never recursion.

use super::param::{default_parts, reference};
use super::{Nest, Op, Part, Token, Word, KEYWORDS};

pub(super) fn tokens(text: &str) -> Vec<Token> {
    let mut lx = Lexer {
        text,
        s: text.as_bytes(),
        i: 0,
        out: Vec::new(),
        cur: Cursor::default(),
        frames: Vec::new(),
        heredocs: Vec::new(),
    };
    lx.run();
    lx.out
}

/// A word being read.
#[derive(Debug, Default)]
struct Builder {
    start: usize,
    parts: Vec<Part>,
}

impl Builder {
    fn text(&mut self, t: &str) {
        if let Some(Part::Text(last)) = self.parts.last_mut() {
            last.push_str(t);
        } else {
            self.parts.push(Part::Text(t.to_owned()));
        }
    }
}

/// Where a `case` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// After `case`: the subject word.
    Subject,
    /// After the subject: `in`.
    In,
    /// Reading patterns (up to their `)`), or `esac`.
    Patterns,
    /// The commands of an item, up to `;;` or `esac`.
    Body,
}

/// The reading state of one level (the text, or one substitution).
#[derive(Debug, Default)]
struct Cursor {
    word: Option<Builder>,
    double: bool,
    command_start: bool,
    parens: usize,
    cases: Vec<Case>,
}

struct Frame {
    nest: Nest,
    /// Opened by a backquote (closed by the next one).
    backquote: bool,
    /// Where it opened, for the word that contains it.
    at: usize,
    outer: Cursor,
}

/// A here-document announced on the current line.
struct HereDocSpec {
    delimiter: String,
    expands: bool,
    strip_tabs: bool,
}

struct Lexer<'s> {
    /// The text, and the same as bytes.
    text: &'s str,
    s: &'s [u8],
    i: usize,
    out: Vec<Token>,
    cur: Cursor,
    frames: Vec<Frame>,
    heredocs: Vec<HereDocSpec>,
}

/// The text from `from` to `to`: borrowed when both are on character
/// boundaries (always, for pieces that end at ASCII bytes), else with
/// U+FFFD for the cut sequences, as `from_utf8_lossy` of the bytes gives.
fn piece(text: &str, from: usize, to: usize) -> std::borrow::Cow<'_, str> {
    match text.get(from..to) {
        Some(piece) => std::borrow::Cow::Borrowed(piece),
        None => String::from_utf8_lossy(text.as_bytes().get(from..to).unwrap_or_default()),
    }
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

impl Lexer<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    fn slice(&self, from: usize, to: usize) -> String {
        piece(self.text, from, to).into_owned()
    }

    fn word(&mut self) -> &mut Builder {
        let start = self.i;
        self.cur.word.get_or_insert_with(|| Builder {
            start,
            parts: Vec::new(),
        })
    }

    fn run(&mut self) {
        self.cur.command_start = true;
        while self.i < self.s.len() {
            if self.cur.word.is_none()
                && !self.cur.double
                && self.cur.cases.last() == Some(&Case::Patterns)
                && self.pattern()
            {
                continue;
            }
            self.step();
        }
        self.end_word();
        while let Some(frame) = self.frames.pop() {
            self.close(frame);
        }
        self.end_word();
    }

    /// Reads from the byte at `i`.
    fn step(&mut self) {
        let Some(c) = self.at(self.i) else { return };
        if self.cur.double {
            return self.in_double(c);
        }
        match c {
            b' ' | b'\t' | b'\r' => {
                self.end_word();
                self.i += 1;
            }
            b'\n' => {
                self.end_word();
                self.op(Op::Newline, 1);
                self.heredoc_bodies();
            }
            b'#' if self.cur.word.is_none() => {
                while self.at(self.i).is_some_and(|b| b != b'\n') {
                    self.i += 1;
                }
            }
            b'\\' => match self.at(self.i + 1) {
                Some(b'\n') => self.i += 2,
                Some(_) => {
                    let ch = self.char_at(self.i + 1);
                    self.word().text(&ch);
                    self.i += 1 + ch.len();
                }
                None => {
                    self.word().text("\\");
                    self.i += 1;
                }
            },
            b'\'' => {
                self.word();
                let from = self.i + 1;
                let end = self
                    .s
                    .get(from..)
                    .and_then(|r| r.iter().position(|&b| b == b'\''))
                    .map_or(self.s.len(), |p| from + p);
                let t = self.slice(from, end);
                self.word().text(&t);
                self.i = end + 1;
            }
            b'"' => {
                self.word();
                self.cur.double = true;
                self.i += 1;
            }
            b'$' => self.dollar(),
            b'`' => self.backquote(),
            b';' => {
                self.end_word();
                match (self.at(self.i + 1), self.at(self.i + 2)) {
                    (Some(b';'), Some(b'&')) => self.op(Op::CaseBreak, 3),
                    (Some(b';' | b'&'), _) => self.op(Op::CaseBreak, 2),
                    _ => self.op(Op::Semi, 1),
                }
            }
            b'&' if self.redirection() => {
                self.word().text("&");
                self.i += 1;
            }
            b'&' => {
                self.end_word();
                if self.at(self.i + 1) == Some(b'&') {
                    self.op(Op::AndIf, 2);
                } else {
                    self.op(Op::Amp, 1);
                }
            }
            b'|' if self.redirection() => {
                self.word().text("|");
                self.i += 1;
            }
            b'|' => {
                self.end_word();
                if self.at(self.i + 1) == Some(b'|') {
                    self.op(Op::OrIf, 2);
                } else {
                    self.op(Op::Pipe, 1);
                }
            }
            b'(' => {
                self.end_word();
                self.cur.parens += 1;
                self.op(Op::LParen, 1);
            }
            b')' => self.rparen(),
            b'<' if self.at(self.i + 1) == Some(b'<') && self.at(self.i + 2) != Some(b'<') => {
                self.end_word();
                self.heredoc_operator();
            }
            _ => self.run_of(|b| {
                !matches!(
                    b,
                    b' ' | b'\t'
                        | b'\r'
                        | b'\n'
                        | b'\\'
                        | b'\''
                        | b'"'
                        | b'$'
                        | b'`'
                        | b';'
                        | b'&'
                        | b'|'
                        | b'('
                        | b')'
                        | b'<'
                )
            }),
        }
    }

    /// Ordinary text from `i` while `plain` holds (at least one byte), as
    /// one piece of the word. Runs end at ASCII bytes, so on characters.
    fn run_of(&mut self, plain: impl Fn(u8) -> bool) {
        let from = self.i;
        let mut end = from + 1;
        while self.at(end).is_some_and(&plain) {
            end += 1;
        }
        let end = end.min(self.s.len());
        let text = piece(self.text, from, end);
        self.word().text(&text);
        self.i = end;
    }

    /// The character at `i` (a whole UTF-8 sequence, or one byte).
    fn char_at(&self, i: usize) -> String {
        let len = match self.at(i) {
            Some(b) if b >= 0xf0 => 4,
            Some(b) if b >= 0xe0 => 3,
            Some(b) if b >= 0xc0 => 2,
            _ => 1,
        };
        let end = (i + len).min(self.s.len());
        self.slice(i, end)
    }

    /// Whether the `&` or `|` at `i` belongs to a redirection (`>&2`,
    /// `2<&0`, `>|`): the word so far ends in `>` or `<`.
    fn redirection(&self) -> bool {
        matches!(
            self.cur.word.as_ref().and_then(|w| w.parts.last()),
            Some(Part::Text(t)) if t.ends_with(['>', '<'])
        )
    }

    fn in_double(&mut self, c: u8) {
        match c {
            b'"' => {
                self.cur.double = false;
                self.i += 1;
            }
            b'\\' => match self.at(self.i + 1) {
                Some(b'\n') => self.i += 2,
                Some(e @ (b'$' | b'`' | b'"' | b'\\')) => {
                    self.word().text(&char::from(e).to_string());
                    self.i += 2;
                }
                _ => {
                    self.word().text("\\");
                    self.i += 1;
                }
            },
            b'$' => self.dollar(),
            b'`' => self.backquote(),
            _ => self.run_of(|b| !matches!(b, b'"' | b'\\' | b'$' | b'`')),
        }
    }

    fn op(&mut self, op: Op, len: usize) {
        self.out.push(Token::Op(op, self.i));
        self.i += len;
        self.cur.command_start = true;
        if op == Op::CaseBreak {
            if let Some(c) = self.cur.cases.last_mut() {
                *c = Case::Patterns;
            }
        }
    }

    fn end_word(&mut self) {
        let Some(b) = self.cur.word.take() else {
            return;
        };
        let word = Word {
            start: b.start,
            end: self.i,
            parts: b.parts,
        };
        self.note_case(&word);
        self.cur.command_start = match word.parts.as_slice() {
            [Part::Text(t)] => KEYWORDS.contains(&t.as_str()),
            _ => false,
        };
        self.out.push(Token::Word(word));
    }

    /// Follows `case WORD in` and `esac`.
    fn note_case(&mut self, word: &Word) {
        match self.cur.cases.last().copied() {
            Some(Case::Subject) => {
                if let Some(c) = self.cur.cases.last_mut() {
                    *c = Case::In;
                }
                return;
            }
            Some(Case::In) => {
                if let Some(c) = self.cur.cases.last_mut() {
                    *c = if word.is("in") {
                        Case::Patterns
                    } else {
                        Case::Body
                    };
                }
                return;
            }
            _ => {}
        }
        if self.cur.command_start {
            if word.is("case") {
                self.cur.cases.push(Case::Subject);
            } else if word.is("esac") {
                self.cur.cases.pop();
            }
        }
    }

    /// At a pattern of a `case` item: reads it whole (`start|restart`) up
    /// to its `)`. Returns whether it consumed anything.
    fn pattern(&mut self) -> bool {
        let start = self.i;
        while self.at(self.i).is_some_and(|b| is_blank(b) || b == b'\n') {
            self.i += 1;
        }
        match self.at(self.i) {
            None => return self.i != start,
            Some(b'#') => {
                while self.at(self.i).is_some_and(|b| b != b'\n') {
                    self.i += 1;
                }
                return true;
            }
            _ => {}
        }
        let rest = self.s.get(self.i..).unwrap_or_default();
        let esac = rest.starts_with(b"esac")
            && rest
                .get(4)
                .is_none_or(|&b| is_blank(b) || matches!(b, b'\n' | b';' | b')'));
        if esac {
            // Read as an ordinary word, which ends the `case`.
            self.cur.command_start = true;
            return self.i != start;
        }
        if self.at(self.i) == Some(b'(') {
            self.i += 1;
        }
        let from = self.i;
        let mut quote: Option<u8> = None;
        while let Some(b) = self.at(self.i) {
            match (quote, b) {
                (Some(q), _) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'\'' | b'"') => quote = Some(b),
                (None, b'\\') => self.i += 1,
                (None, b')' | b'\n') => break,
                _ => {}
            }
            self.i += 1;
        }
        let text = self.slice(from, self.i.min(self.s.len()));
        self.out.push(Token::Word(Word {
            start: from,
            end: self.i.min(self.s.len()),
            parts: vec![Part::Text(text)],
        }));
        if self.at(self.i) == Some(b')') {
            self.op(Op::PatternEnd, 1);
        }
        if let Some(c) = self.cur.cases.last_mut() {
            *c = Case::Body;
        }
        true
    }

    fn rparen(&mut self) {
        let closes = self.cur.parens == 0
            && self
                .frames
                .last()
                .is_some_and(|f| f.nest == Nest::Command && !f.backquote);
        if closes {
            self.end_word();
            self.i += 1;
            if let Some(frame) = self.frames.pop() {
                self.close(frame);
            }
            return;
        }
        let arithmetic_end = self.cur.parens == 0
            && self.at(self.i + 1) == Some(b')')
            && self
                .frames
                .last()
                .is_some_and(|f| f.nest == Nest::Arithmetic);
        if arithmetic_end {
            self.end_word();
            self.i += 2;
            if let Some(frame) = self.frames.pop() {
                self.close(frame);
            }
            return;
        }
        self.end_word();
        self.cur.parens = self.cur.parens.saturating_sub(1);
        self.op(Op::RParen, 1);
    }

    fn open(&mut self, nest: Nest, backquote: bool, len: usize) {
        let at = self.i;
        // The word that contains it goes on after it closes.
        self.word();
        let outer = std::mem::replace(
            &mut self.cur,
            Cursor {
                command_start: true,
                ..Cursor::default()
            },
        );
        self.frames.push(Frame {
            nest,
            backquote,
            at,
            outer,
        });
        self.out.push(Token::Open(nest, at));
        self.i += len;
    }

    fn close(&mut self, frame: Frame) {
        self.end_word();
        self.out.push(Token::Close(frame.nest));
        self.cur = frame.outer;
        let at = frame.at;
        self.cur
            .word
            .get_or_insert_with(|| Builder {
                start: at,
                parts: Vec::new(),
            })
            .parts
            .push(Part::Nested(frame.nest));
    }

    fn backquote(&mut self) {
        if self.frames.last().is_some_and(|f| f.backquote) {
            self.end_word();
            self.i += 1;
            if let Some(frame) = self.frames.pop() {
                self.close(frame);
            }
        } else {
            self.open(Nest::Command, true, 1);
        }
    }

    /// A `$` at `i`.
    fn dollar(&mut self) {
        match (self.at(self.i + 1), self.at(self.i + 2)) {
            (Some(b'('), Some(b'(')) => self.open(Nest::Arithmetic, false, 3),
            (Some(b'('), _) => self.open(Nest::Command, false, 2),
            (Some(b'\''), _) if !self.cur.double => {
                // `$'...'`: an ANSI-C string, read like single quotes.
                let mut j = self.i + 2;
                while let Some(b) = self.at(j) {
                    match b {
                        b'\\' => j += 2,
                        b'\'' => break,
                        _ => j += 1,
                    }
                }
                let t = self.slice(self.i + 2, j.min(self.s.len()));
                self.word().text(&t);
                self.i = j + 1;
            }
            _ => {
                let (mut part, next) = reference(self.s, self.i);
                if let Some(Part::Ref(r)) = &mut part {
                    r.inside = default_parts(self.s, r, next);
                }
                let w = self.word();
                match part {
                    Some(p) => w.parts.push(p),
                    None => w.text("$"),
                }
                self.i = next;
            }
        }
    }

    /// `<<` or `<<-` and its delimiter word.
    fn heredoc_operator(&mut self) {
        self.i += 2;
        let strip_tabs = self.at(self.i) == Some(b'-');
        if strip_tabs {
            self.i += 1;
        }
        while self.at(self.i).is_some_and(is_blank) {
            self.i += 1;
        }
        let mut delimiter = Vec::new();
        let mut quoted = false;
        while let Some(b) = self.at(self.i) {
            match b {
                b'\'' | b'"' | b'\\' => quoted = true,
                _ if b.is_ascii_whitespace()
                    || matches!(b, b';' | b'|' | b'&' | b'<' | b'>' | b')') =>
                {
                    break
                }
                _ => delimiter.push(b),
            }
            self.i += 1;
        }
        if !delimiter.is_empty() {
            self.heredocs.push(HereDocSpec {
                delimiter: String::from_utf8_lossy(&delimiter).into_owned(),
                expands: !quoted,
                strip_tabs,
            });
        }
    }

    /// The bodies of the here-documents announced on the line just ended.
    fn heredoc_bodies(&mut self) {
        for doc in std::mem::take(&mut self.heredocs) {
            let mut refs = Vec::new();
            let mut substitution = false;
            let body_start = self.i;
            let mut body_end = self.s.len();
            while self.i < self.s.len() {
                let end = self
                    .s
                    .get(self.i..)
                    .and_then(|r| r.iter().position(|&b| b == b'\n'))
                    .map_or(self.s.len(), |p| self.i + p);
                let line = self.s.get(self.i..end).unwrap_or_default();
                let bare = if doc.strip_tabs {
                    let k = line.iter().position(|&b| b != b'\t').unwrap_or(line.len());
                    line.get(k..).unwrap_or_default()
                } else {
                    line
                };
                if bare == doc.delimiter.as_bytes() {
                    body_end = self.i;
                    self.i = end + 1;
                    break;
                }
                if doc.expands {
                    let mut k = self.i;
                    while k < end {
                        match self.at(k) {
                            Some(b'\\') => k += 2,
                            Some(b'$') if self.at(k + 1) == Some(b'(') => {
                                substitution |= self.at(k + 2) != Some(b'(');
                                k += 2;
                            }
                            Some(b'`') => {
                                substitution = true;
                                k += 1;
                            }
                            Some(b'$') => {
                                let (part, next) = reference(self.s, k);
                                if let Some(Part::Ref(r)) = part {
                                    refs.push(r);
                                }
                                k = next.max(k + 1);
                            }
                            _ => k += 1,
                        }
                    }
                }
                self.i = end + 1;
            }
            self.i = self.i.min(self.s.len());
            self.out.push(Token::HereDoc {
                body: (body_start, body_end.max(body_start)),
                refs,
                substitution,
            });
        }
    }
}
