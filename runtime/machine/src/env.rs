//! Environment lists: ordered `KEY=VALUE` strings where a later entry with
//! an existing key replaces that entry in place (runtime-semantics.md §9.2:
//! the position of the first occurrence is kept).

/// The key of an entry (all of it when there is no `=`).
pub fn key(entry: &str) -> &str {
    entry.split_once('=').map_or(entry, |(k, _)| k)
}

/// The value of the first entry with `name`.
pub fn get<'e>(env: &'e [String], name: &str) -> Option<&'e str> {
    env.iter().find_map(|e| {
        e.split_once('=')
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v)
    })
}

/// Adds `entry`, replacing the entry with the same key in place.
pub fn set(env: &mut Vec<String>, entry: String) {
    let k = key(&entry);
    match env.iter_mut().find(|e| key(e) == k) {
        Some(slot) => *slot = entry,
        None => env.push(entry),
    }
}

/// Adds `entry` only if its key is not there yet.
pub fn set_if_absent(env: &mut Vec<String>, entry: String) {
    let k = key(&entry);
    if !env.iter().any(|e| key(e) == k) {
        env.push(entry);
    }
}

/// Removes every entry with key `name`; whether one was there.
pub fn unset(env: &mut Vec<String>, name: &str) -> bool {
    let before = env.len();
    env.retain(|e| key(e) != name);
    env.len() != before
}

/// Whether `name` is a shell variable name, as Upstart requires of keys.
pub use upc_bundle::expand::is_variable_name as is_name;

/// Whether every entry is `NAME=VALUE` with a valid name.
pub fn all_valid(env: &[String]) -> bool {
    env.iter()
        .all(|e| e.split_once('=').is_some_and(|(k, _)| is_name(k)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_later_value_replaces_in_place() {
        let mut env = list(&["PATH=/bin", "BILBO=took", "TEA=no"]);
        set(&mut env, "BILBO=baggins".into());
        set(&mut env, "NEW=1".into());
        assert_eq!(
            env,
            list(&["PATH=/bin", "BILBO=baggins", "TEA=no", "NEW=1"])
        );
    }

    #[test]
    fn lookups_take_the_first_exact_key() {
        let env = list(&["FOO=1", "FOOBAR=2", "EMPTY="]);
        assert_eq!(get(&env, "FOO"), Some("1"));
        assert_eq!(get(&env, "FO"), None);
        assert_eq!(get(&env, "EMPTY"), Some(""));
    }

    #[test]
    fn validity_needs_an_equals_sign_and_a_name() {
        assert!(all_valid(&list(&["A=1", "_b2="])));
        assert!(!all_valid(&list(&["A"])));
        assert!(!all_valid(&list(&["1A=x"])));
        assert!(!all_valid(&list(&["=x"])));
        assert!(!all_valid(&list(&["A-B=x"])));
    }
}
