//! Parameter references: `$NAME`, `${NAME...}` with its operator, and
//! what the argument of a `${NAME:-...}` refers to.

use upc_bundle::expand::name_len;

use super::{Nest, Part, Ref, RefOp};

/// A parameter reference at the `$` at `i` (not `$(`): the part, and the
/// index after it; `None` for a `$` that stays literal.
pub(super) fn reference(s: &[u8], i: usize) -> (Option<Part>, usize) {
    let at = |k: usize| s.get(k).copied();
    let name_at = |k: usize| {
        let n = name_len(s.get(k..).unwrap_or_default());
        (n > 0).then(|| String::from_utf8_lossy(s.get(k..k + n).unwrap_or_default()).into_owned())
    };
    match at(i + 1) {
        Some(b'{') => {
            // The closing `}`, and the index after it.
            let (close, next) = match braced_end(s, i + 2) {
                Some(k) => (k, k + 1),
                None => (s.len(), s.len()),
            };
            let Some(name) = name_at(i + 2) else {
                // `${#X}`, `${!X}`, `${1}`, `${@}`: only the shell knows.
                return (Some(Part::Param), next);
            };
            let op = operator(s, i + 2 + name.len(), |from| {
                String::from_utf8_lossy(s.get(from..close.max(from)).unwrap_or_default())
                    .into_owned()
            });
            (
                Some(Part::Ref(Ref {
                    name,
                    at: i,
                    op,
                    inside: Vec::new(),
                })),
                next,
            )
        }
        Some(b) if b.is_ascii_digit() || b"@*#?$!-".contains(&b) => (Some(Part::Param), i + 2),
        _ => match name_at(i + 1) {
            Some(name) => {
                let next = i + 1 + name.len();
                (
                    Some(Part::Ref(Ref {
                        name,
                        at: i,
                        op: RefOp::Value,
                        inside: Vec::new(),
                    })),
                    next,
                )
            }
            None => (None, i + 1),
        },
    }
}

/// What the argument of `${NAME:-arg}` and its kin (the reference `r`,
/// ending at `end`) holds: its references (`$X`, `${X...}` with the
/// operator read from the bytes right after the name) and a substitution
/// (`$(...)`, a backquote). One flat pass over the argument, however
/// deeply references nest in it.
pub(super) fn default_parts(s: &[u8], r: &Ref, end: usize) -> Vec<Part> {
    if matches!(r.op, RefOp::Value | RefOp::Transform | RefOp::Other) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut substitution = false;
    let mut k = r.at + 2;
    while k < end {
        match (s.get(k), s.get(k + 1), s.get(k + 2)) {
            (Some(b'$'), Some(b'('), Some(b'(')) => {}
            (Some(b'`'), _, _) | (Some(b'$'), Some(b'('), _) => substitution = true,
            (Some(b'$'), _, _) => {
                k = inner_ref(s, k, end, &mut out);
                continue;
            }
            _ => {}
        }
        k += 1;
    }
    if substitution {
        out.push(Part::Nested(Nest::Command));
    }
    out
}

/// A `$X` or `${X...}` at `k` inside a default argument ending at `end`:
/// pushed with the operator its next bytes name; the index to go on from.
fn inner_ref(s: &[u8], k: usize, end: usize, out: &mut Vec<Part>) -> usize {
    let braced = s.get(k + 1) == Some(&b'{');
    let from = k + 1 + usize::from(braced);
    let n = name_len(s.get(from..end).unwrap_or_default());
    if n > 0 {
        let name = String::from_utf8_lossy(s.get(from..from + n).unwrap_or_default()).into_owned();
        let op = if braced {
            operator(s, from + n, |_| String::new())
        } else {
            RefOp::Value
        };
        out.push(Part::Ref(Ref {
            name,
            at: k,
            op,
            inside: Vec::new(),
        }));
    }
    from + n.max(1)
}

/// The operator after the name of a `${NAME...}`, which ends at `after`;
/// `arg(from)` is the argument's text from `from` on.
fn operator(s: &[u8], after: usize, arg: impl Fn(usize) -> String) -> RefOp {
    let (c, d) = (s.get(after).copied(), s.get(after + 1).copied());
    let colon = c == Some(b':');
    let from = after + 1 + usize::from(colon);
    match (c, d) {
        (Some(b'}'), _) => RefOp::Value,
        (Some(b':'), Some(b'-')) | (Some(b'-'), _) => RefOp::Default {
            colon,
            arg: arg(from),
        },
        (Some(b':'), Some(b'=')) | (Some(b'='), _) => RefOp::Assign {
            colon,
            arg: arg(from),
        },
        (Some(b':'), Some(b'+' | b'?')) | (Some(b'+' | b'?'), _) => RefOp::Test,
        (Some(b'%' | b'#' | b'/' | b'^' | b',' | b':'), _) => RefOp::Transform,
        _ => RefOp::Other,
    }
}

/// The index of the `}` closing a `${` whose contents start at `from`
/// (nested braces and quotes counted); `None` when it is never closed.
fn braced_end(s: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut k = from;
    while let Some(&b) = s.get(k) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(b),
            (None, b'\\') => k += 1,
            (None, b'{') => depth += 1,
            (None, b'}') if depth == 0 => return Some(k),
            (None, b'}') => depth -= 1,
            _ => {}
        }
        k += 1;
    }
    None
}
