//! Small text helpers shared by the checks and the graph outputs.

use crate::cond::{ArgKind, EventMatch};

/// An event match as written, normalised: `started foo INSTANCE=x`.
pub fn leaf_text(m: &EventMatch) -> String {
    let mut s = m.event.value.clone();
    for a in &m.args {
        s.push(' ');
        s.push_str(&arg_text(&a.kind, &a.value));
    }
    s
}

/// One argument as written: `x`, `KEY=x` or `KEY!=x`.
pub fn arg_text(kind: &ArgKind, value: &str) -> String {
    match kind {
        ArgKind::Positional => value.to_owned(),
        ArgKind::Equals(k) => format!("{k}={value}"),
        ArgKind::NotEquals(k) => format!("{k}!={value}"),
    }
}

/// `` `a`, `b` and `c` ``.
pub fn quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        None => "something".to_owned(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The candidate closest to `word` if it is close enough to be a typo.
/// Candidates whose length differs by more than a third are skipped before
/// any distance is computed (they cannot be close), which keeps a did-you-mean
/// over a hundred thousand job names cheap.
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let lower = word.to_ascii_lowercase();
    let max_edits = (word.chars().count() / 3).max(1);
    let len = word.len();
    candidates
        .into_iter()
        .filter(|c| *c != word && c.len().abs_diff(len) <= max_edits.max(len / 3))
        .map(|c| {
            let cl = c.to_ascii_lowercase();
            (
                c,
                strsim::levenshtein(&lower, &cl),
                strsim::jaro_winkler(&lower, &cl),
            )
        })
        .filter(|&(_, edits, sim)| edits <= max_edits || sim >= 0.9)
        .min_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)).then(a.0.cmp(b.0)))
        .map(|(c, _, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos() {
        assert_eq!(closest("dbsu", ["dbus", "udev"]), Some("dbus"));
        assert_eq!(
            closest("filesystems", ["filesystem", "startup"]),
            Some("filesystem")
        );
        assert_eq!(closest("zzz", ["dbus"]), None);
    }
}
