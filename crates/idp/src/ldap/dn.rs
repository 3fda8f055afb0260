//! Distinguished names in one canonical form (RFC 4514), so that a DN typed by an operator, one
//! returned by the directory and one stored in a mapping compare equal when they name the same
//! entry: attribute types lower-cased, spaces around separators dropped, escapes decoded and
//! re-encoded one way (the characters RFC 4514 requires escaping as `\XX` hex pairs, as OpenLDAP
//! returns them), the values of a multi-valued RDN sorted. Values keep their case: whether
//! `uid=Alice` and `uid=alice` are one entry is the directory's business, and the DNs compared
//! here come from the directory.

use super::LdapError;

/// The canonical form of `dn`, or why it is not a DN.
pub fn normalize_dn(dn: &str) -> Result<String, LdapError> {
    let invalid = |why: &str| LdapError::InvalidDn {
        dn: clip(dn),
        why: why.to_owned(),
    };
    if dn.trim().is_empty() {
        return Err(invalid("it is empty"));
    }
    let mut rdns: Vec<Vec<(String, String)>> = Vec::new();
    let mut rdn: Vec<(String, String)> = Vec::new();
    let mut chars = dn.chars().peekable();
    loop {
        // attribute type
        let mut attr = String::new();
        for c in chars.by_ref() {
            if c == '=' {
                break;
            }
            attr.push(c);
        }
        let attr = attr.trim().to_ascii_lowercase();
        if attr.is_empty()
            || !attr
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(invalid(
                "an attribute type is missing or holds characters other than letters, digits, `-` and `.`",
            ));
        }
        // attribute value
        while chars.next_if(|c| *c == ' ').is_some() {}
        let mut bytes: Vec<u8> = Vec::new();
        // Bytes up to here are escaped (or quoted) and so kept even if they are spaces.
        let mut kept_len = 0;
        let mut end = None;
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => push_escape(&mut chars, &mut bytes).map_err(&invalid)?,
                    c => push_char(&mut bytes, c),
                }
            }
            if !closed {
                return Err(invalid("a quoted value is not closed"));
            }
            kept_len = bytes.len();
        }
        while let Some(c) = chars.next() {
            match c {
                ',' | ';' | '+' => {
                    end = Some(c);
                    break;
                }
                '\\' => {
                    push_escape(&mut chars, &mut bytes).map_err(&invalid)?;
                    kept_len = bytes.len();
                }
                '=' | '"' | '<' | '>' => {
                    return Err(invalid(
                        "a value holds an unescaped `=`, `\"`, `<` or `>` (escape it with `\\`)",
                    ));
                }
                c => push_char(&mut bytes, c),
            }
        }
        while bytes.len() > kept_len && bytes.last() == Some(&b' ') {
            bytes.pop();
        }
        let value =
            String::from_utf8(bytes).map_err(|_| invalid("an escaped value is not UTF-8"))?;
        if value.is_empty() {
            return Err(invalid("an attribute value is empty"));
        }
        rdn.push((attr, value));
        match end {
            Some('+') => continue,
            Some(_) => rdns.push(std::mem::take(&mut rdn)),
            None => {
                rdns.push(std::mem::take(&mut rdn));
                break;
            }
        }
    }
    let mut out = String::with_capacity(dn.len());
    for (i, mut rdn) in rdns.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        rdn.sort();
        for (j, (attr, value)) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            out.push_str(attr);
            out.push('=');
            escape_value(value, &mut out);
        }
    }
    Ok(out)
}

/// Whether `dn` (canonical) is `base` (canonical) or below it.
#[must_use]
pub fn is_within(dn: &str, base: &str) -> bool {
    dn == base
        || dn
            .strip_suffix(base)
            .is_some_and(|head| head.ends_with(','))
}

fn push_char(bytes: &mut Vec<u8>, c: char) {
    let mut buf = [0; 4];
    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// After a `\`: a special character stands for itself, two hex digits for one byte.
fn push_escape(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    bytes: &mut Vec<u8>,
) -> Result<(), &'static str> {
    match chars.next() {
        Some(c @ (' ' | '"' | '#' | '+' | ',' | ';' | '<' | '=' | '>' | '\\')) => {
            bytes.push(c as u8);
            Ok(())
        }
        Some(hi) if hi.is_ascii_hexdigit() => match chars.next() {
            Some(lo) if lo.is_ascii_hexdigit() => {
                let digit = |c: char| c.to_digit(16).unwrap_or_default() as u8;
                bytes.push(digit(hi) << 4 | digit(lo));
                Ok(())
            }
            _ => Err("a `\\` escape is followed by one hex digit instead of two"),
        },
        _ => Err("a `\\` is followed by neither a special character nor two hex digits"),
    }
}

fn escape_value(value: &str, out: &mut String) {
    let last = value.len().saturating_sub(1);
    for (i, c) in value.char_indices() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\' | '=' | '\0')
            || (i == 0 && matches!(c, ' ' | '#'))
            || (i == last && c == ' ');
        if special {
            out.push_str(&format!("\\{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
}

/// A DN cut for an error message.
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(dn: &str) -> String {
        normalize_dn(dn).unwrap_or_else(|e| panic!("{dn}: {e}"))
    }

    #[test]
    fn escapes_spaces_and_case_of_types_are_canonical() {
        let canonical = "uid=frank\\2Cjr,ou=people,dc=tessera,dc=test";
        assert_eq!(n("uid=frank\\,jr,ou=people,dc=tessera,dc=test"), canonical);
        assert_eq!(n("uid=frank\\2cjr,ou=people,dc=tessera,dc=test"), canonical);
        assert_eq!(
            n("UID=frank\\2Cjr , OU = people,DC=tessera,dc=test"),
            canonical
        );
        assert_eq!(
            n("uid=\"frank,jr\",ou=people,dc=tessera,dc=test"),
            canonical
        );
        assert_eq!(n("uid=Alice,ou=People;dc=x"), "uid=Alice,ou=People,dc=x");
    }

    #[test]
    fn special_characters_round_trip() {
        assert_eq!(n("cn=a\\+b\\\\c\\3Dd"), "cn=a\\2Bb\\5Cc\\3Dd");
        assert_eq!(n("cn=\\ lead\\ "), "cn=\\20lead\\20");
        assert_eq!(n("cn=\\#hash"), "cn=\\23hash");
        assert_eq!(n("cn=eve*(x)"), "cn=eve*(x)");
        assert_eq!(n("cn=J\\C3\\A9r\\C3\\B4me"), "cn=Jérôme");
        assert_eq!(n("cn=b+uid=a,dc=x"), "cn=b+uid=a,dc=x");
        assert_eq!(n("uid=a+cn=b,dc=x"), "cn=b+uid=a,dc=x");
    }

    #[test]
    fn malformed_dns_are_refused_with_a_reason() {
        for bad in [
            "",
            "   ",
            "uid",
            "=x",
            "uid=",
            "uid=a,",
            "uid=a,,dc=x",
            "uid=a=b",
            "uid=a\\",
            "uid=a\\2",
            "uid=a\\zz",
            "uid=\"open",
            "u id=a",
            "uid=\\FF",
        ] {
            assert!(normalize_dn(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn within_a_base() {
        let base = "ou=people,dc=tessera,dc=test";
        assert!(is_within("uid=a,ou=people,dc=tessera,dc=test", base));
        assert!(is_within(base, base));
        assert!(!is_within("uid=a,ou=groups,dc=tessera,dc=test", base));
        assert!(!is_within("uid=a,xou=people,dc=tessera,dc=test", base));
    }
}
