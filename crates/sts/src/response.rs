//! The XML STS answers (reference §1.3 and §1.4): the success envelope with its fixed element
//! order, including MinIO's empty `AssumedRoleUser` with `AssumeRoleId`, and the error envelope
//! with its empty `Type`.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::STS_NAMESPACE;
use crate::error::StsError;

/// What goes back to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsResponse {
    pub status: u16,
    /// An XML document.
    pub body: String,
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Text escaped for an XML element. Session tokens and keys never hold a character that needs
/// escaping, so the common case borrows the text instead of copying it character by character.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let first = match (
        memchr::memchr3(b'&', b'<', b'>', bytes),
        memchr::memchr2(b'"', b'\'', bytes),
    ) {
        (None, None) => return Cow::Borrowed(text),
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A success answer: `<{action}Response><{action}Result>{result}</…Result><ResponseMetadata>…`.
pub(crate) fn success(action: &str, result: &str, request_id: &str) -> StsResponse {
    let mut body = String::with_capacity(XML_DECLARATION.len() + result.len() + 256);
    body.push_str(XML_DECLARATION);
    let _ = write!(
        body,
        "<{action}Response xmlns=\"{STS_NAMESPACE}\"><{action}Result>{result}</{action}Result>"
    );
    if !request_id.is_empty() {
        let _ = write!(
            body,
            "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata>",
            escape(request_id)
        );
    }
    let _ = write!(body, "</{action}Response>");
    StsResponse { status: 200, body }
}

/// The error envelope for `error`.
#[must_use]
pub fn error_response(error: &StsError, request_id: &str) -> StsResponse {
    let body = format!(
        "{XML_DECLARATION}<ErrorResponse xmlns=\"{STS_NAMESPACE}\"><Error><Type></Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        error.code.as_str(),
        escape(&error.message),
        escape(request_id)
    );
    StsResponse {
        status: error.code.status(),
        body,
    }
}

/// RFC 3339 in whole seconds, UTC, with `Z` (the one form every client parses).
pub(crate) fn expiration(unix_secs: i64) -> String {
    let mut out = String::with_capacity(20);
    push_expiration(&mut out, unix_secs);
    out
}

/// Appends [`expiration`]'s text to `out`.
pub(crate) fn push_expiration(out: &mut String, unix_secs: i64) {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_secs)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    match u16::try_from(t.year()) {
        Ok(year) if year <= 9999 => {
            push_two_digits(out, (year / 100) as u8);
            push_two_digits(out, (year % 100) as u8);
        }
        _ => {
            let _ = write!(out, "{:04}", t.year());
        }
    }
    for (separator, value) in [
        ('-', u8::from(t.month())),
        ('-', t.day()),
        ('T', t.hour()),
        (':', t.minute()),
        (':', t.second()),
    ] {
        out.push(separator);
        push_two_digits(out, value);
    }
    out.push('Z');
}

/// `value` (below 100) as two digits.
fn push_two_digits(out: &mut String, value: u8) {
    out.push(char::from(b'0' + value / 10));
    out.push(char::from(b'0' + value % 10));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::StsErrorCode;

    #[test]
    fn escape_borrows_plain_text_and_escapes_the_five_xml_characters() {
        assert!(matches!(escape("ASIA0123/abc+=="), Cow::Borrowed(_)));
        assert_eq!(
            escape("a&b<c>d\"e'f é"),
            "a&amp;b&lt;c&gt;d&quot;e&apos;f é"
        );
        assert_eq!(
            escape("it's \"x\" & <y>"),
            "it&apos;s &quot;x&quot; &amp; &lt;y&gt;"
        );
        assert_eq!(escape("a > b"), "a &gt; b");
    }

    #[test]
    fn error_envelope_is_minio_shaped() {
        let r = error_response(
            &StsError::new(StsErrorCode::MissingParameter, "send <Version>"),
            "ABC",
        );
        assert_eq!(r.status, 400);
        assert_eq!(
            r.body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type></Type><Code>MissingParameter</Code><Message>send &lt;Version&gt;</Message></Error><RequestId>ABC</RequestId></ErrorResponse>"
        );
    }

    #[test]
    fn expiration_is_whole_seconds_with_z() {
        assert_eq!(expiration(1_796_000_000), "2026-11-30T00:53:20Z");
        assert_eq!(expiration(0), "1970-01-01T00:00:00Z");
        assert_eq!(expiration(-62_135_596_800), "0001-01-01T00:00:00Z");
        assert_eq!(expiration(253_402_300_799), "9999-12-31T23:59:59Z");
    }
}
