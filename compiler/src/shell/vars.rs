//! The variables a script or `exec` line takes from its environment:
//! `$NAME` and `${NAME}` (and `${NAME%...}` and the like) outside single
//! quotes, comments and quoted here-documents, minus every name the text
//! sets itself (`NAME=`, `read NAME`, `for NAME`, `local`/`export`/
//! `declare`/`readonly`/`getopts NAME`, `${NAME:=x}`) or treats as optional
//! (`${NAME:-x}` and friends, any use inside `[ ]`, `[[ ]]`, `test` or
//! `case`). A text that sources another file or uses `eval` can set
//! anything, so it is [`Scan::opaque`].
//!
//! Deliberately conservative: the goal is to never claim a variable is
//! missing when the script might well set it.

use std::collections::HashSet;

use super::{assignment, tokens, Op, RefOp, Token, Word, KEYWORDS};

/// What a shell text uses and sets.
#[derive(Debug, Default)]
pub struct Scan {
    /// Plain uses, in order: name, byte offset of the `$`.
    pub uses: Vec<(String, usize)>,
    /// Names set (or declared) somewhere in the text.
    pub assigned: HashSet<String>,
    /// Names the text treats as possibly unset.
    pub optional: HashSet<String>,
    /// Sources a file or uses `eval`: anything may be set.
    pub opaque: bool,
}

/// Builtins whose arguments name variables they set.
const DECLARERS: &[&str] = &[
    "read", "local", "export", "declare", "typeset", "readonly", "getopts", "for", "select",
    "unset",
];

/// Where in a simple command the reading is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before the command word (keywords and assignments may come first).
    Head,
    /// After an ordinary command word.
    Args,
    /// After a declaring builtin: its name arguments are set.
    Declaring,
    /// After `[`, `[[`, `test` or `case`: variables are examined.
    Testing,
}

pub fn scan(text: &str) -> Scan {
    let mut out = Scan::default();
    // One place per level of substitution.
    let mut places = vec![Place::Head];
    for token in tokens(text) {
        match token {
            Token::Open(..) => places.push(Place::Head),
            Token::Close(_) => {
                if places.len() > 1 {
                    places.pop();
                }
            }
            Token::Op(op, _) => {
                if let Some(p) = places.last_mut() {
                    // A parenthesis inside a test (`[[ ( -n $A ) ]]`) is
                    // still the test; any other operator starts a command.
                    if is_list(op) || *p != Place::Testing {
                        *p = Place::Head;
                    }
                }
            }
            Token::HereDoc { refs, .. } => {
                out.uses.extend(refs.into_iter().map(|r| (r.name, r.at)));
            }
            Token::Word(w) => {
                let place = places.last().copied().unwrap_or(Place::Head);
                let next = word(text, &w, place, &mut out);
                if let Some(p) = places.last_mut() {
                    *p = next;
                }
            }
        }
    }
    out
}

/// An operator that ends a command.
fn is_list(op: Op) -> bool {
    !matches!(op, Op::LParen | Op::RParen)
}

/// Reads one word at `place`; the place after it.
fn word(text: &str, w: &Word, place: Place, out: &mut Scan) -> Place {
    let raw = text.get(w.start..w.end).unwrap_or("");
    if let Some(name) = assignment(raw) {
        out.assigned.insert(name.to_owned());
    }
    let testing = place == Place::Testing;
    for r in w.refs() {
        match &r.op {
            RefOp::Value => {
                if testing {
                    out.optional.insert(r.name.clone());
                }
                out.uses.push((r.name.clone(), r.at));
            }
            RefOp::Transform => out.uses.push((r.name.clone(), r.at)),
            RefOp::Default { .. } | RefOp::Test => {
                out.optional.insert(r.name.clone());
            }
            RefOp::Assign { .. } => {
                out.assigned.insert(r.name.clone());
            }
            RefOp::Other => {}
        }
    }
    match place {
        Place::Head => {
            if KEYWORDS.iter().any(|k| w.is(k)) || assignment(raw).is_some() {
                return Place::Head;
            }
            let Some(command) = w.literal() else {
                return Place::Args;
            };
            match command.as_str() {
                "eval" | "source" | "." => {
                    out.opaque = true;
                    Place::Args
                }
                "[" | "[[" | "test" | "case" => Place::Testing,
                c if DECLARERS.contains(&c) => Place::Declaring,
                _ => Place::Args,
            }
        }
        Place::Declaring => {
            if w.is("in") || w.is("do") {
                return Place::Args;
            }
            if let Some(name) = w.literal() {
                if upc_bundle::expand::is_variable_name(&name) {
                    out.assigned.insert(name);
                }
            }
            Place::Declaring
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(text: &str) -> Vec<String> {
        let s = scan(text);
        s.uses
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| !s.assigned.contains(n) && !s.optional.contains(n))
            .collect()
    }

    #[test]
    fn finds_plain_references() {
        assert_eq!(uses("exec /usr/bin/foo $OPTS ${MORE}"), ["OPTS", "MORE"]);
        assert_eq!(uses("echo \"$A and ${B%.*}\""), ["A", "B"]);
        assert_eq!(uses("X=$(cat $F)"), ["F"]);
    }

    #[test]
    fn skips_quotes_comments_and_quoted_heredocs() {
        assert!(uses("echo '$A'\n# $B\ncat <<'EOF'\n$C\nEOF\n").is_empty());
        assert_eq!(uses("cat <<EOF\n$C\nEOF\necho $D\n"), ["C", "D"]);
        assert!(uses("awk '{print $1}' \\$X").is_empty());
    }

    #[test]
    fn skips_what_the_script_sets_or_tests() {
        assert!(uses("A=1\necho $A").is_empty());
        assert!(uses("read -r X Y < f\necho $X $Y").is_empty());
        assert!(uses("for F in a b; do echo $F; done").is_empty());
        assert!(uses("export P=1; local Q; echo $P $Q").is_empty());
        assert!(uses("[ -z \"$W\" ] && exit 1\necho $W").is_empty());
        assert!(uses("echo ${V:-default} $V").is_empty());
        assert!(uses(": ${V:=x}\necho $V").is_empty());
        assert!(uses("case \"$T\" in a) ;; esac").is_empty());
        assert!(uses("if [ -n \"$U\" ]; then echo $U; fi").is_empty());
    }

    #[test]
    fn sourcing_makes_the_text_opaque() {
        assert!(scan(". /etc/default/foo\nexec foo $OPTS").opaque);
        assert!(scan("source /etc/x").opaque);
        assert!(scan("eval $(cat f)").opaque);
        assert!(!scan("exec foo . bar").opaque);
        assert!(scan("if true; then . /etc/x; fi").opaque);
    }
}
