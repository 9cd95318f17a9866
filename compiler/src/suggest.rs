//! "Did you mean" for closed sets of words: stanza keywords, console and
//! expect modes, resource names, signal names, event and job names.

/// The candidate closest to `word`, if one is close enough to be a likely
/// typo: a small edit distance, or a high Jaro-Winkler similarity (which
/// favours a shared start, as in `deamon` for `daemon`). Case is ignored for
/// the comparison, since a wrongly-cased value is the commonest mistake.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Nothing is a typo of a word this long, and comparing one costs its
    // length times the candidate's, for every candidate.
    if word.len() > MAX_WORD {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    let max_edits = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| {
            let c_lower = c.to_ascii_lowercase();
            let edits = strsim::levenshtein(&lower, &c_lower);
            let similarity = strsim::jaro_winkler(&lower, &c_lower);
            (c, edits, similarity)
        })
        .filter(|&(_, edits, similarity)| edits <= max_edits || similarity >= 0.85)
        .min_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)))
        .map(|(c, _, _)| c)
}

/// The longest word (in bytes) that gets a suggestion.
const MAX_WORD: usize = 256;

/// `` `a`, `b` or `c` `` for a help line.
pub fn one_of(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A help text: the likely intended value if there is one, then the list.
pub fn help(word: &str, values: &[&str]) -> String {
    match closest(word, values.iter().copied()) {
        Some(c) => format!("did you mean `{c}`? expected {}", one_of(values)),
        None => format!("expected {}", one_of(values)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONSOLE: [&str; 4] = ["none", "output", "owner", "log"];

    #[test]
    fn close_typos_are_suggested() {
        assert_eq!(closest("ouput", CONSOLE), Some("output"));
        assert_eq!(closest("Log", CONSOLE), Some("log"));
        assert_eq!(
            closest("deamon", ["stop", "daemon", "fork", "none"]),
            Some("daemon")
        );
        assert_eq!(closest("nofiles", ["nofile", "nproc"]), Some("nofile"));
    }

    #[test]
    fn unrelated_words_get_no_suggestion() {
        assert_eq!(closest("wibble", CONSOLE), None);
        assert_eq!(closest("locks", ["as", "core", "cpu"]), None);
    }

    #[test]
    fn a_huge_word_gets_no_suggestion() {
        let word = format!("descriptio{}", "n".repeat(MAX_WORD));
        assert_eq!(closest(&word, ["description"]), None);
    }

    #[test]
    fn help_lists_the_valid_values() {
        assert_eq!(one_of(&CONSOLE), "`none`, `output`, `owner` or `log`");
        assert_eq!(
            help("wibble", &CONSOLE),
            "expected `none`, `output`, `owner` or `log`"
        );
        assert!(help("ouptut", &CONSOLE).starts_with("did you mean `output`?"));
    }
}
