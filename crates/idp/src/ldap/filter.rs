//! Search filters from the configured templates: `%s` becomes the login name and `%d` the
//! user's DN, each escaped as RFC 4515 requires (`\`, `*`, `(`, `)` and NUL as `\xx`), so that
//! nothing a user types can widen a search. Any other `%` is kept as it is.

/// `template` with `%s` and `%d` replaced by the escaped `login` and `dn`.
#[must_use]
pub fn fill(template: &str, login: &str, dn: &str) -> String {
    let mut out = String::with_capacity(template.len() + login.len() + dn.len());
    let mut rest = template;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match after.as_bytes().first() {
            Some(b's') => out.push_str(&ldap3::ldap_escape(login)),
            Some(b'd') => out.push_str(&ldap3::ldap_escape(dn)),
            _ => {
                out.push('%');
                rest = after;
                continue;
            }
        }
        rest = &after[1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_escaped() {
        assert_eq!(fill("(uid=%s)", "alice", ""), "(uid=alice)");
        assert_eq!(fill("(uid=%s)", "eve*(x)", ""), "(uid=eve\\2a\\28x\\29)");
        assert_eq!(fill("(uid=%s)", ")(uid=*", ""), "(uid=\\29\\28uid=\\2a)");
        assert_eq!(fill("(uid=%s)", "a\\b\0", ""), "(uid=a\\5cb\\00)");
        assert_eq!(
            fill(
                "(&(member=%d)(x=%s)(y=100%))",
                "bob",
                "uid=frank\\2Cjr,dc=x"
            ),
            "(&(member=uid=frank\\5c2Cjr,dc=x)(x=bob)(y=100%))"
        );
        assert_eq!(fill("%", "a", "b"), "%");
        assert_eq!(fill("%%s", "a", "b"), "%a");
    }
}
