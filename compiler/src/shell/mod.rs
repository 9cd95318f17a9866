//! Just enough of `/bin/sh` for the checks that read `exec` lines and
//! `script` bodies: one lexer, [`tokens`], and the two readings built on
//! it: [`forks`] (does the shell fork before it runs the daemon? W0014) and
//! [`vars`] (which variables does the text take from its environment?
//! W0025).
//!
//! The lexer knows quotes, backslashes, comments, the control operators,
//! parameter references (`$NAME`, `${NAME...}`, `$1`, ...), command
//! substitutions (`$(...)`, backquotes), arithmetic (`$((...))`),
//! here-documents and `case` patterns. It is a reader for heuristics, not a
//! shell parser: it never fails, reads any text in one linear pass, and
//! never recurses on the input (nested substitutions and `case`s live on
//! explicit stacks).
//!
//! A substitution appears in the token stream as [`Token::Open`], the
//! tokens of the commands inside it, then [`Token::Close`]; the word that
//! contains it comes after, with a [`Part::Nested`] where it was. Of the
//! argument of `${X:-...}` and its kin only what [`Ref::inside`] holds is
//! kept: its references, and a [`Part::Nested`] for a substitution.

pub mod forks;
mod lexer;
mod param;
pub mod vars;

use upc_bundle::expand::name_len;

/// One token of shell text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Word(Word),
    /// A control operator, and where it is.
    Op(Op, usize),
    /// A command substitution or arithmetic expansion starts (at the `$` or
    /// backquote).
    Open(Nest, usize),
    /// ... and ends.
    Close(Nest),
    /// The body of a here-document (its byte range), and if the shell
    /// expands it, the references in it and whether it holds a command
    /// substitution.
    HereDoc {
        body: (usize, usize),
        refs: Vec<Ref>,
        substitution: bool,
    },
}

/// Control operators (redirections such as `>&2` or `>|` stay in words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Newline,
    /// `;`
    Semi,
    /// `;;` (and `;&`, `;;&`), ending a `case` item.
    CaseBreak,
    /// `&`
    Amp,
    /// `&&`
    AndIf,
    /// `|`
    Pipe,
    /// `||`
    OrIf,
    LParen,
    RParen,
    /// The `)` that ends a `case` pattern.
    PatternEnd,
}

/// What opens inside a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nest {
    /// `$(...)` or `` `...` ``: runs commands in a subshell.
    Command,
    /// `$((...))`: arithmetic, no command.
    Arithmetic,
}

/// A word: where it is written, and what it is made of after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text, quotes and escaping backslashes removed.
    Text(String),
    Ref(Ref),
    /// A parameter only the running shell knows: `$1`, `$@`, `$?`, `${#X}`.
    Param,
    /// A substitution (its tokens came before the word).
    Nested(Nest),
}

/// A reference to a variable by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    pub name: String,
    /// Offset of its `$`.
    pub at: usize,
    pub op: RefOp,
    /// What its argument refers to and runs (`${X:-$Y}`, `${X:-$(cmd)}`).
    pub inside: Vec<Part>,
}

/// What a reference does with its variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefOp {
    /// `$NAME`, `${NAME}`: the value.
    Value,
    /// `${NAME-x}`, `${NAME:-x}`: the value, or the (unexpanded) default.
    Default { colon: bool, arg: String },
    /// `${NAME+x}`, `${NAME?x}` and their `:` forms: treats NAME as
    /// possibly unset.
    Test,
    /// `${NAME=x}`, `${NAME:=x}`: sets NAME if unset.
    Assign { colon: bool, arg: String },
    /// `${NAME%x}`, `${NAME#x}`, `${NAME/x/y}`, `${NAME^}`, `${NAME:1}`:
    /// the value, transformed.
    Transform,
    /// Anything else after the name (`${NAME[1]}`).
    Other,
}

impl Word {
    /// The text, if the word is only literal text.
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                _ => return None,
            }
        }
        Some(out)
    }

    /// Whether the word is exactly the literal `text`.
    pub fn is(&self, text: &str) -> bool {
        match self.parts.as_slice() {
            [Part::Text(t)] => t == text,
            [] => text.is_empty(),
            // Text is merged as it is read: several parts are never one
            // literal.
            _ => false,
        }
    }

    /// Every reference in the word, those in the arguments of others
    /// (`${X:-$Y}`) included.
    pub fn refs(&self) -> impl Iterator<Item = &Ref> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Ref(r) => Some(std::iter::once(r).chain(r.inside.iter().filter_map(
                    |q| match q {
                        Part::Ref(inner) => Some(inner),
                        _ => None,
                    },
                ))),
                _ => None,
            })
            .flatten()
    }

    /// Whether the word runs a command substitution.
    pub fn has_substitution(&self) -> bool {
        let nested = |p: &Part| *p == Part::Nested(Nest::Command);
        self.parts.iter().any(|p| match p {
            Part::Ref(r) => r.inside.iter().any(nested),
            p => nested(p),
        })
    }
}

/// Reserved words after which a command (or its first word) follows.
pub const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "esac", "!", "{", "}",
];

/// `NAME=` or `NAME+=` at the start of `raw` (as written, so a quoted
/// name is not an assignment): the name.
pub fn assignment(raw: &str) -> Option<&str> {
    let n = name_len(raw.as_bytes());
    let rest = raw.get(n..)?;
    (n > 0 && (rest.starts_with('=') || rest.starts_with("+="))).then(|| raw.get(..n))?
}

/// The tokens of `text`.
pub fn tokens(text: &str) -> Vec<Token> {
    lexer::tokens(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words as literal text (or `<...>` when not literal), ops by name.
    fn show(text: &str) -> Vec<String> {
        tokens(text)
            .iter()
            .map(|t| match t {
                Token::Word(w) => w.literal().unwrap_or_else(|| {
                    w.parts
                        .iter()
                        .map(|p| match p {
                            Part::Text(t) => t.clone(),
                            Part::Ref(r) => format!("<{}>", r.name),
                            Part::Param => "<param>".to_owned(),
                            Part::Nested(_) => "<nested>".to_owned(),
                        })
                        .collect()
                }),
                Token::Op(op, _) => format!("{op:?}"),
                Token::Open(n, _) => format!("Open{n:?}"),
                Token::Close(n) => format!("Close{n:?}"),
                Token::HereDoc { refs, .. } => {
                    let names: Vec<&str> = refs.iter().map(|r| r.name.as_str()).collect();
                    format!("HereDoc{names:?}")
                }
            })
            .collect()
    }

    #[test]
    fn quotes_escapes_and_comments() {
        assert_eq!(
            show("echo 'a b' \"c $D\" e\\ f # no\n"),
            ["echo", "a b", "c <D>", "e f", "Newline"]
        );
        assert_eq!(show("a\\\nb"), ["ab"]);
        assert_eq!(show("x#y"), ["x#y"]);
    }

    #[test]
    fn operators_and_redirections() {
        assert_eq!(
            show("a | b || c && d & e; f >&2 2>&1 >| g"),
            [
                "a", "Pipe", "b", "OrIf", "c", "AndIf", "d", "Amp", "e", "Semi", "f", ">&2",
                "2>&1", ">|", "g"
            ]
        );
    }

    #[test]
    fn substitutions_nest_on_a_stack() {
        assert_eq!(
            show("P=$(cat $(x) `y`) z"),
            [
                "OpenCommand",
                "cat",
                "OpenCommand",
                "x",
                "CloseCommand",
                "<nested>",
                "OpenCommand",
                "y",
                "CloseCommand",
                "<nested>",
                "CloseCommand",
                "P=<nested>",
                "z"
            ]
        );
        assert_eq!(
            show("echo $((1 + 2))"),
            [
                "echo",
                "OpenArithmetic",
                "1",
                "+",
                "2",
                "CloseArithmetic",
                "<nested>"
            ]
        );
        // Deep nesting is a stack, not recursion.
        let deep = "$(".repeat(100_000);
        assert!(tokens(&deep).len() >= 100_000);
    }

    #[test]
    fn references_and_their_operators() {
        let refs: Vec<(String, RefOp)> =
            tokens("$A ${B} ${C:-x} ${D=y} ${E+z} ${F%.*} ${G[1]} $1 ${#H} ${I:-$J/x}")
                .iter()
                .filter_map(|t| match t {
                    Token::Word(w) => Some(
                        w.refs()
                            .map(|r| (r.name.clone(), r.op.clone()))
                            .collect::<Vec<_>>(),
                    ),
                    _ => None,
                })
                .flatten()
                .collect();
        assert_eq!(
            refs,
            [
                ("A".to_owned(), RefOp::Value),
                ("B".to_owned(), RefOp::Value),
                (
                    "C".to_owned(),
                    RefOp::Default {
                        colon: true,
                        arg: "x".into()
                    }
                ),
                (
                    "D".to_owned(),
                    RefOp::Assign {
                        colon: false,
                        arg: "y".into()
                    }
                ),
                ("E".to_owned(), RefOp::Test),
                ("F".to_owned(), RefOp::Transform),
                ("G".to_owned(), RefOp::Other),
                (
                    "I".to_owned(),
                    RefOp::Default {
                        colon: true,
                        arg: "$J/x".into()
                    }
                ),
                ("J".to_owned(), RefOp::Value),
            ]
        );
    }

    #[test]
    fn here_documents_and_case_patterns() {
        assert_eq!(
            show("cat <<EOF\n$C | x\nEOF\necho\n"),
            ["cat", "Newline", "HereDoc[\"C\"]", "echo", "Newline"]
        );
        assert_eq!(
            show("cat <<'EOF'\n$C\nEOF\n"),
            ["cat", "Newline", "HereDoc[]"]
        );
        assert_eq!(
            show("case $1 in\n  start|restart) exec a ;;\n  *) exit ;;\nesac\n"),
            [
                "case",
                "<param>",
                "in",
                "Newline",
                "start|restart",
                "PatternEnd",
                "exec",
                "a",
                "CaseBreak",
                "*",
                "PatternEnd",
                "exit",
                "CaseBreak",
                "esac",
                "Newline"
            ]
        );
    }
}
