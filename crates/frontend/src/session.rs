//! Temporary credentials on every path: the session token read from `X-Amz-Security-Token`
//! (header, else query parameter) by the one function the access gate, the admin route and
//! the STS route share, and the caller they stand for, with MinIO's error codes: an expired or
//! revoked session is `InvalidAccessKeyId`, a missing, mismatched or forged token
//! `InvalidTokenId` (both 403).

use std::borrow::Cow;

use http::{HeaderMap, StatusCode};
use s3s::{S3Error, S3ErrorCode, s3_error};
use tessera_iam::{Account, IamSystem, SessionRefusal, is_temporary_key};

/// Header and query parameter that carry the session token.
pub const SESSION_TOKEN: &str = "x-amz-security-token";

/// The session token of a request: the header, else the `X-Amz-Security-Token` query parameter
/// (borrowed from the request when it needs no decoding).
#[must_use]
pub fn session_token<'r>(headers: &'r HeaderMap, query: Option<&'r str>) -> Option<Cow<'r, str>> {
    if let Some(v) = headers.get(SESSION_TOKEN) {
        return Some(String::from_utf8_lossy(v.as_bytes()));
    }
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.eq_ignore_ascii_case("X-Amz-Security-Token")
            .then(|| percent_encoding::percent_decode_str(v).decode_utf8_lossy())
    })
}

/// `InvalidTokenId` (403), MinIO's code for a missing or bad session token.
fn invalid_token(message: String) -> S3Error {
    let mut e = S3Error::with_message(S3ErrorCode::Custom("InvalidTokenId".into()), message);
    e.set_status_code(StatusCode::FORBIDDEN);
    e
}

/// The account of a signed request's access key: temporary keys need their session token,
/// long-term keys must come without one.
pub fn signed_account(
    iam: &IamSystem,
    access_key: &str,
    token: Option<&str>,
) -> Result<Account, S3Error> {
    match (is_temporary_key(access_key), token) {
        (true, None) => Err(invalid_token(
            "this access key is temporary and needs its session token: send it as X-Amz-Security-Token".into(),
        )),
        (false, Some(_)) => Err(invalid_token(
            "a session token (X-Amz-Security-Token) was sent with long-term credentials: send it only with the temporary access key it belongs to".into(),
        )),
        (true, Some(token)) => iam.verify_session(access_key, token).map_err(refusal),
        (false, None) => match iam.account_of(access_key) {
            Ok(account) => Ok(account),
            Err(tessera_iam::KeyLookup::Disabled) => Err(s3_error!(
                InvalidAccessKeyId,
                "the account of this access key is disabled"
            )),
            Err(tessera_iam::KeyLookup::Expired) => {
                Err(s3_error!(InvalidAccessKeyId, "this access key has expired"))
            }
            Err(_) => Err(s3_error!(
                InvalidAccessKeyId,
                "the access key is not known to this server"
            )),
        },
    }
}

/// The S3 error for a refused session.
fn refusal(why: SessionRefusal) -> S3Error {
    match why {
        SessionRefusal::Expired(_)
        | SessionRefusal::Revoked
        | SessionRefusal::ParentDisabled(_)
        | SessionRefusal::ParentGone(_)
        | SessionRefusal::UnknownSigningKey => {
            S3Error::with_message(S3ErrorCode::InvalidAccessKeyId, why.to_string())
        }
        SessionRefusal::Malformed
        | SessionRefusal::BadSignature
        | SessionRefusal::OtherAccessKey => invalid_token(format!(
            "{why}: send the session token returned with this access key"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_from_header_then_query() {
        let mut headers = HeaderMap::new();
        assert_eq!(session_token(&headers, Some("a=b")), None);
        assert_eq!(
            session_token(&headers, Some("X-Amz-Security-Token=a%2Bb.c&x=1")).as_deref(),
            Some("a+b.c")
        );
        headers.insert(SESSION_TOKEN, "from-header".parse().unwrap());
        assert_eq!(
            session_token(&headers, Some("X-Amz-Security-Token=q")).as_deref(),
            Some("from-header")
        );
    }
}
