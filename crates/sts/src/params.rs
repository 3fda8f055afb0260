//! The parameters of an STS request: the query string and the form body, both
//! `application/x-www-form-urlencoded`, merged as Go's `ParseForm` merges them (a body value
//! wins over a query value of the same name; within one source the first occurrence counts).

use std::borrow::Cow;

use crate::error::StsError;

/// Most parameters one request may carry (both sources together).
pub const MAX_PARAMETERS: usize = 256;

/// The decoded parameters of one request.
#[derive(Debug, Default)]
pub struct Params {
    /// Body pairs first, then query pairs.
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes and merges the two sources.
    pub fn parse(query: Option<&str>, body: &[u8]) -> Result<Params, StsError> {
        let body = std::str::from_utf8(body).map_err(|_| {
            StsError::invalid(
                "the request body is not UTF-8: send the parameters form-encoded (application/x-www-form-urlencoded)",
            )
        })?;
        let mut pairs = Vec::new();
        for source in [body, query.unwrap_or_default()] {
            // memchr rather than `str::split`: a value can be a kilobyte of ID token.
            let mut start = 0;
            for end in memchr::memchr_iter(b'&', source.as_bytes()).chain([source.len()]) {
                let piece = &source[start..end];
                start = end + 1;
                if piece.is_empty() {
                    continue;
                }
                if pairs.len() == MAX_PARAMETERS {
                    return Err(StsError::invalid(format!(
                        "the request carries more than {MAX_PARAMETERS} parameters"
                    )));
                }
                let (k, v) = match memchr::memchr(b'=', piece.as_bytes()) {
                    Some(i) => (&piece[..i], &piece[i + 1..]),
                    None => (piece, ""),
                };
                pairs.push((decode(k)?, decode(v)?));
            }
        }
        Ok(Params { pairs })
    }

    /// The value of `name`, if given.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, treating an empty value as absent.
    #[must_use]
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }
}

fn decode(s: &str) -> Result<String, StsError> {
    // Most values (a token, an ARN, a number) have nothing to decode.
    if memchr::memchr2(b'%', b'+', s.as_bytes()).is_none() {
        return Ok(s.to_owned());
    }
    let plus: Cow<'_, str> = if s.contains('+') {
        Cow::Owned(s.replace('+', " "))
    } else {
        Cow::Borrowed(s)
    };
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| StsError::invalid("a parameter is not valid UTF-8 once percent-decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_wins_over_query_and_values_are_decoded() {
        let p = Params::parse(
            Some("Action=AssumeRole&DurationSeconds=900&Policy=q"),
            b"DurationSeconds=1200&Policy=%7B%22a%22%3A+1%7D",
        )
        .unwrap();
        assert_eq!(p.get("Action"), Some("AssumeRole"));
        assert_eq!(p.get("DurationSeconds"), Some("1200"));
        assert_eq!(p.get("Policy"), Some("{\"a\": 1}"));
        assert_eq!(p.get("Missing"), None);
        let p = Params::parse(Some("&&Action&=x&Version=1&"), b"a=b=c&&").unwrap();
        assert_eq!(p.get("Action"), Some(""));
        assert_eq!(p.get(""), Some("x"));
        assert_eq!(p.get("Version"), Some("1"));
        assert_eq!(p.get("a"), Some("b=c"));
    }

    #[test]
    fn too_many_parameters_or_bad_bytes_are_refused() {
        let many = "a=1&".repeat(MAX_PARAMETERS + 1);
        assert!(Params::parse(None, many.as_bytes()).is_err());
        assert!(Params::parse(Some(&many), b"").is_err());
        assert!(Params::parse(None, &[0xff, 0xfe]).is_err());
        assert!(Params::parse(Some("a=%ff"), b"").is_err());
        assert!(Params::parse(Some(&"a=1&".repeat(MAX_PARAMETERS)), b"").is_ok());
    }
}
