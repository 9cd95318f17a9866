//! Users and groups from the files `/etc/passwd` and `/etc/group`, for the
//! static PID-1 build (`-C target-feature=+crt-static`).
//!
//! A statically linked glibc resolves names through NSS by dlopen()ing the
//! `libnss_*` modules of the very glibc version it was linked with, which a
//! static `/sbin/init` cannot count on; and NSS (with its DNS backend,
//! gconv and the dynamic loader) is a tenth of the static binary. So the
//! static build reads the two files itself, as glibc's `files` backend
//! does: the first entry of the name wins; `+`/`-` compat lines, comments
//! and malformed lines are skipped. The dynamic build keeps getpwnam(3),
//! getgrnam(3) and initgroups(3).

/// A user's uid and primary gid: the first `/etc/passwd` line
/// `name:password:uid:gid:...` of this name.
pub fn user(passwd: &[u8], name: &str) -> Option<(u32, u32)> {
    entries(passwd).find_map(|f| {
        let (n, _, uid, gid) = (f.first()?, f.get(1)?, f.get(2)?, f.get(3)?);
        (*n == name.as_bytes()).then_some((number(uid)?, number(gid)?))
    })
}

/// A group's gid: the first `/etc/group` line `name:password:gid:members`
/// of this name.
pub fn group(group: &[u8], name: &str) -> Option<u32> {
    entries(group).find_map(|f| {
        let (n, gid) = (f.first()?, f.get(2)?);
        (*n == name.as_bytes()).then_some(number(gid)?)
    })
}

/// What initgroups(3) gives `user`: `gid` first, then every group that
/// lists the user as a member, each gid once.
pub fn groups_of(group: &[u8], user: &str, gid: u32) -> Vec<u32> {
    let mut out = vec![gid];
    for f in entries(group) {
        let (Some(g), Some(members)) = (f.get(2).and_then(|g| number(g)), f.get(3)) else {
            continue;
        };
        if members.split(|&b| b == b',').any(|m| m == user.as_bytes()) && !out.contains(&g) {
            out.push(g);
        }
    }
    out
}

/// The well-formed lines' fields.
fn entries(text: &[u8]) -> impl Iterator<Item = Vec<&[u8]>> {
    text.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && !matches!(l.first(), Some(b'#' | b'+' | b'-')))
        .map(|l| {
            l.strip_suffix(b"\r")
                .unwrap_or(l)
                .split(|&b| b == b':')
                .collect()
        })
}

fn number(field: &[u8]) -> Option<u32> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &[u8] = b"root:x:0:0:root:/root:/bin/sh\n# comment\n+nis\n\
        bad:x:zz:1::/:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\nwww:x:99:99::/:\n";
    const GROUP: &[u8] = b"root:x:0:\nadm:x:4:syslog,www\nwww:x:33:\n\
        audio:x:29:pulse,www\nshort:x:5\nadm2:x:4:www\n";

    #[test]
    fn users_first_entry_wins() {
        assert_eq!(user(PASSWD, "root"), Some((0, 0)));
        assert_eq!(user(PASSWD, "www"), Some((33, 33)));
        assert_eq!(user(PASSWD, "bad"), None);
        assert_eq!(user(PASSWD, "nis"), None);
        assert_eq!(user(PASSWD, "nobody"), None);
        assert_eq!(user(b"", "root"), None);
    }

    #[test]
    fn groups_and_memberships() {
        assert_eq!(group(GROUP, "audio"), Some(29));
        assert_eq!(group(GROUP, "short"), Some(5));
        assert_eq!(group(GROUP, "nope"), None);
        assert_eq!(groups_of(GROUP, "www", 33), vec![33, 4, 29]);
        assert_eq!(groups_of(GROUP, "root", 0), vec![0]);
        assert_eq!(groups_of(GROUP, "sys", 3), vec![3]);
    }
}
