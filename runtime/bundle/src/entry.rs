//! `KEY=VALUE` environment entries, as events carry them and `$VAR`
//! expansion reads them. A leaf: both the matcher (`program`) and the
//! expansion (`expand`) use it, and neither depends on the other for it.

/// `KEY=VALUE` -> (`KEY`, `VALUE`); an entry without `=` is a key with an
/// empty value.
pub(crate) fn split_entry(entry: &str) -> (&str, &str) {
    entry.split_once('=').unwrap_or((entry, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_splits_at_its_first_equals_sign() {
        assert_eq!(split_entry("A=b=c"), ("A", "b=c"));
        assert_eq!(split_entry("A="), ("A", ""));
        assert_eq!(split_entry("A"), ("A", ""));
    }
}
