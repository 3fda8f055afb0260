//! AWS Signature Version 4, header form, computed the way an S3 client computes it: the
//! canonical request, the string to sign, the derived signing key and the `Authorization`
//! header. It owns the credentials type (the secret is zeroised on drop and never printed)
//! and nothing about HTTP transport.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;
use zeroize::Zeroizing;

/// Hex SHA-256 of the empty string: the payload hash of a request without a body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Access key, secret key and optional session token of one identity.
pub struct Credentials {
    access_key: String,
    secret_key: Zeroizing<String>,
    session_token: Option<Zeroizing<String>>,
}

impl Credentials {
    pub fn new(access_key: String, secret_key: String, session_token: Option<String>) -> Self {
        Self {
            access_key,
            secret_key: Zeroizing::new(secret_key),
            session_token: session_token.map(Zeroizing::new),
        }
    }

    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref().map(String::as_str)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The parts of a request that SigV4 covers. `path` is the request path as sent on the wire
/// (already URI-encoded, see [`uri_encode`]); `headers` are every header to sign, names in
/// any case; the query is given as decoded pairs.
pub struct RequestParts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(&'a str, &'a str)],
    pub headers: &'a [(&'a str, &'a str)],
    pub payload_sha256: &'a str,
}

/// Region and service a signature is scoped to.
#[derive(Clone, Debug)]
pub struct Scope {
    pub region: String,
    pub service: String,
}

impl Scope {
    pub fn s3(region: &str) -> Self {
        Self {
            region: region.to_owned(),
            service: "s3".to_owned(),
        }
    }

    fn credential_scope(&self, date: &str) -> String {
        format!("{date}/{}/{}/aws4_request", self.region, self.service)
    }
}

/// `YYYYMMDDTHHMMSSZ`, the value of `x-amz-date`.
pub fn amz_date(now: OffsetDateTime) -> String {
    let fmt = format_description!("[year][month][day]T[hour][minute][second]Z");
    now.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| "19700101T000000Z".to_owned())
}

pub fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// RFC 3986 encoding as SigV4 wants it: unreserved characters stay, everything else becomes
/// `%XX` (upper case); `/` stays when `keep_slash` (object key paths).
pub fn uri_encode(input: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(input.len());
    for &b in input.as_bytes() {
        let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
        if unreserved || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical request and the `SignedHeaders` list.
pub fn canonical_request(req: &RequestParts<'_>) -> (String, String) {
    let mut query: Vec<(String, String)> = req
        .query
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    query.sort();
    let query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");

    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), canonical_header_value(value)))
        .collect();
    headers.sort();
    let mut canonical_headers = String::new();
    for (name, value) in &headers {
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(value);
        canonical_headers.push('\n');
    }
    let signed_headers = headers
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");

    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method, req.path, query, canonical_headers, signed_headers, req.payload_sha256
    );
    (canonical, signed_headers)
}

/// Trim and collapse runs of spaces, as the canonical form requires.
fn canonical_header_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn string_to_sign(amz_date: &str, scope: &Scope, canonical_request: &str) -> String {
    let date = amz_date.get(..8).unwrap_or(amz_date);
    format!(
        "{ALGORITHM}\n{amz_date}\n{}\n{}",
        scope.credential_scope(date),
        hex_sha256(canonical_request.as_bytes())
    )
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret_key: &str, date: &str, scope: &Scope) -> Zeroizing<[u8; 32]> {
    let seed = Zeroizing::new(format!("AWS4{secret_key}"));
    let k_date = Zeroizing::new(hmac_sha256(seed.as_bytes(), date.as_bytes()));
    let k_region = Zeroizing::new(hmac_sha256(&*k_date, scope.region.as_bytes()));
    let k_service = Zeroizing::new(hmac_sha256(&*k_region, scope.service.as_bytes()));
    Zeroizing::new(hmac_sha256(&*k_service, b"aws4_request"))
}

/// The hex signature of `req` at `amz_date`.
pub fn signature(
    creds: &Credentials,
    scope: &Scope,
    amz_date: &str,
    req: &RequestParts<'_>,
) -> String {
    let (canonical, _) = canonical_request(req);
    let sts = string_to_sign(amz_date, scope, &canonical);
    let date = amz_date.get(..8).unwrap_or(amz_date);
    let key = signing_key(&creds.secret_key, date, scope);
    hex::encode(hmac_sha256(&*key, sts.as_bytes()))
}

/// The `Authorization` header value for `req` signed at `amz_date`. The caller must send
/// exactly the headers listed in `req.headers` (including `x-amz-date`, `host`, and
/// `x-amz-security-token` when the credentials carry one).
pub fn authorization(
    creds: &Credentials,
    scope: &Scope,
    amz_date: &str,
    req: &RequestParts<'_>,
) -> String {
    let (_, signed_headers) = canonical_request(req);
    let date = amz_date.get(..8).unwrap_or(amz_date);
    format!(
        "{ALGORITHM} Credential={}/{},SignedHeaders={signed_headers},Signature={}",
        creds.access_key,
        scope.credential_scope(date),
        signature(creds, scope, amz_date, req)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // The examples of "Signature Calculations for the Authorization Header: Transferring
    // Payload in a Single Chunk (AWS Signature Version 4)", Amazon S3 API reference.
    const ACCESS: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const DATE: &str = "20130524T000000Z";
    const HOST: &str = "examplebucket.s3.amazonaws.com";

    fn creds() -> Credentials {
        Credentials::new(ACCESS.to_owned(), SECRET.to_owned(), None)
    }

    fn get_object_example() -> RequestParts<'static> {
        RequestParts {
            method: "GET",
            path: "/test.txt",
            query: &[],
            headers: &[
                ("Host", HOST),
                ("Range", "bytes=0-9"),
                ("x-amz-content-sha256", EMPTY_SHA256),
                ("x-amz-date", DATE),
            ],
            payload_sha256: EMPTY_SHA256,
        }
    }

    #[test]
    fn get_object_canonical_request_matches_the_documented_one() {
        let (canonical, signed) = canonical_request(&get_object_example());
        assert_eq!(
            canonical,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n\
             x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(signed, "host;range;x-amz-content-sha256;x-amz-date");
    }

    #[test]
    fn get_object_string_to_sign_matches_the_documented_one() {
        let (canonical, _) = canonical_request(&get_object_example());
        assert_eq!(
            string_to_sign(DATE, &Scope::s3("us-east-1"), &canonical),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\
             7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        );
    }

    #[test]
    fn get_object_signature_matches_the_documented_one() {
        let auth = authorization(
            &creds(),
            &Scope::s3("us-east-1"),
            DATE,
            &get_object_example(),
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn put_object_signature_signs_the_payload_hash() {
        let body = b"Welcome to Amazon S3.";
        let payload = hex_sha256(body);
        assert_eq!(
            payload,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        );
        let path = format!("/{}", uri_encode("test$file.text", true));
        assert_eq!(path, "/test%24file.text");
        let req = RequestParts {
            method: "PUT",
            path: &path,
            query: &[],
            headers: &[
                ("Host", HOST),
                ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-date", DATE),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("x-amz-content-sha256", &payload),
            ],
            payload_sha256: &payload,
        };
        assert_eq!(
            signature(&creds(), &Scope::s3("us-east-1"), DATE, &req),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        );
    }

    #[test]
    fn list_objects_signature_sorts_and_encodes_the_query() {
        let req = RequestParts {
            method: "GET",
            path: "/",
            query: &[("prefix", "J"), ("max-keys", "2")],
            headers: &[
                ("Host", HOST),
                ("x-amz-date", DATE),
                ("x-amz-content-sha256", EMPTY_SHA256),
            ],
            payload_sha256: EMPTY_SHA256,
        };
        assert_eq!(
            signature(&creds(), &Scope::s3("us-east-1"), DATE, &req),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        );
    }

    #[test]
    fn session_token_is_a_signed_header() {
        let req = RequestParts {
            method: "GET",
            path: "/test.txt",
            query: &[],
            headers: &[
                ("Host", HOST),
                ("x-amz-content-sha256", EMPTY_SHA256),
                ("x-amz-date", DATE),
                ("X-Amz-Security-Token", "token-value"),
            ],
            payload_sha256: EMPTY_SHA256,
        };
        let (canonical, signed) = canonical_request(&req);
        assert_eq!(
            signed,
            "host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
        );
        assert!(canonical.contains("\nx-amz-security-token:token-value\n"));
    }

    #[test]
    fn header_values_are_trimmed_and_spaces_collapsed() {
        assert_eq!(canonical_header_value("  a   b c  "), "a b c");
    }

    #[test]
    fn uri_encode_keeps_unreserved_and_optionally_slash() {
        assert_eq!(uri_encode("a b/c~d", true), "a%20b/c~d");
        assert_eq!(uri_encode("a b/c~d", false), "a%20b%2Fc~d");
    }

    #[test]
    fn amz_date_is_basic_iso8601() {
        let t = OffsetDateTime::from_unix_timestamp(1_369_353_600)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(amz_date(t), "20130524T000000Z");
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let c = Credentials::new(ACCESS.to_owned(), SECRET.to_owned(), Some("tok".to_owned()));
        let shown = format!("{c:?}");
        assert!(!shown.contains(SECRET));
        assert!(!shown.contains("tok\""));
    }
}
