//! Verifying one token against a provider's keys: size, header (`kid` required, never `none`,
//! HMAC only with the client secret), signature with an algorithm the key allows, `iss` equal
//! to the discovery issuer, `aud` or `azp` holding the client id, `exp`/`nbf`/`iat` with a 60 s
//! leeway, `sub` present. Each failure says which check failed.
//!
//! The header and the claims are decoded once each, and the claims only after the signature
//! (`jsonwebtoken::crypto::verify`) has been checked over the exact `header.payload` text.

use jsonwebtoken::{Algorithm, DecodingKey, Header};
use serde_json::{Map, Value};

use super::keys::KeySet;

/// Largest token accepted; longer ones are refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Clock difference tolerated on `exp`, `nbf` and `iat`.
const LEEWAY_SECS: u64 = 60;

/// A token that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub claims: Map<String, Value>,
    pub subject: String,
    pub issuer: String,
    /// `exp`, Unix seconds.
    pub expires: i64,
}

/// Why a token was refused. Texts name the check; none carries the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is longer than {MAX_TOKEN_BYTES} bytes")]
    TooLarge,
    #[error("the token is not a signed JWT: {0}")]
    Malformed(String),
    #[error("the token's header has no `kid`: the provider's signing key cannot be chosen")]
    NoKid,
    #[error("no key `{kid}` is published by the provider `{provider}` (JWKS checked)")]
    UnknownKey { kid: String, provider: String },
    #[error("the algorithm {0} is not allowed for this key")]
    AlgorithmNotAllowed(String),
    #[error("HMAC-signed tokens are accepted only from a provider configured with a client secret")]
    HmacWithoutSecret,
    #[error("the token's signature is not valid")]
    BadSignature,
    #[error("the token expired at {0}")]
    Expired(i64),
    #[error("the token is not valid yet (`nbf` or `iat` in the future)")]
    NotYetValid,
    #[error("the token's issuer is not `{expected}`")]
    WrongIssuer { expected: String },
    #[error(
        "the token is not for this server: none of `aud`, `azp` and `client_id` holds the client id `{client_id}`"
    )]
    WrongAudience { client_id: String },
    #[error("the token has no `{0}` claim")]
    MissingClaim(&'static str),
    #[error(
        "the OpenID provider `{0}` is not available yet: its discovery document could not be fetched"
    )]
    ProviderNotReady(String),
    #[error("the provider's UserInfo endpoint refused the access token or failed: {0}")]
    UserInfo(String),
}

/// Checks `token` with `keys` (or the client secret for HMAC tokens).
pub(crate) fn verify(
    token: &str,
    keys: &KeySet,
    provider: &str,
    issuer: &str,
    client_id: &str,
    client_secret: Option<&str>,
) -> Result<VerifiedToken, TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::TooLarge);
    }
    let parts = JwtParts::split(token)?;
    let header = parse_header(parts.header)?;
    let alg = header.alg;
    let hmac = matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512);
    let secret_key;
    let key: &DecodingKey = if hmac {
        let secret = client_secret.ok_or(TokenError::HmacWithoutSecret)?;
        secret_key = DecodingKey::from_secret(secret.as_bytes())
            .map_err(|e| TokenError::Malformed(e.to_string()))?;
        &secret_key
    } else {
        let kid = header.kid.as_deref().ok_or(TokenError::NoKid)?;
        let public = keys.find(kid).ok_or_else(|| TokenError::UnknownKey {
            kid: kid.chars().take(64).collect(),
            provider: provider.to_owned(),
        })?;
        if !public.algorithms.contains(&alg) {
            return Err(TokenError::AlgorithmNotAllowed(format!("{alg:?}")));
        }
        &public.key
    };
    // The signature first: nothing in an unauthenticated payload is looked at.
    let authentic =
        jsonwebtoken::crypto::verify(parts.signature, parts.signing_input.as_bytes(), key, alg)
            .map_err(|e| TokenError::Malformed(format!("the signature cannot be read: {e}")))?;
    if !authentic {
        return Err(TokenError::BadSignature);
    }
    let claims = parse_claims(parts.payload)?;
    let now = now_secs();
    let leeway = LEEWAY_SECS as i64;
    let expires = numeric_date(&claims, "exp")?.ok_or(TokenError::MissingClaim("exp"))?;
    match claims.get("iss") {
        None => return Err(TokenError::MissingClaim("iss")),
        Some(Value::String(iss)) if iss == issuer => {}
        Some(_) => {
            return Err(TokenError::WrongIssuer {
                expected: issuer.to_owned(),
            });
        }
    }
    if expires < now - leeway {
        return Err(TokenError::Expired(expires));
    }
    for name in ["nbf", "iat"] {
        if numeric_date(&claims, name)?.is_some_and(|t| t > now + leeway) {
            return Err(TokenError::NotYetValid);
        }
    }
    let holds = |name: &str| match claims.get(name) {
        Some(Value::String(s)) => s.split(',').any(|v| v.trim() == client_id),
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(client_id)),
        _ => false,
    };
    // `client_id` is where a JWT access token (RFC 9068) names its client; its `aud` is the
    // resource it was issued for.
    if !holds("aud") && !holds("azp") && !holds("client_id") {
        return Err(TokenError::WrongAudience {
            client_id: client_id.to_owned(),
        });
    }
    let subject = match claims.get("sub") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(TokenError::MissingClaim("sub")),
    };
    Ok(VerifiedToken {
        claims,
        subject,
        issuer: issuer.to_owned(),
        expires,
    })
}

/// The three base64url parts of a compact JWS, and the text the signature covers.
struct JwtParts<'t> {
    header: &'t str,
    payload: &'t str,
    signature: &'t str,
    /// `header.payload`.
    signing_input: &'t str,
}

impl<'t> JwtParts<'t> {
    fn split(token: &'t str) -> Result<Self, TokenError> {
        let malformed = || {
            TokenError::Malformed(
                "a JWT is three base64url parts separated by dots (header.payload.signature)"
                    .to_owned(),
            )
        };
        let (signing_input, signature) = token.rsplit_once('.').ok_or_else(malformed)?;
        let (header, payload) = signing_input.split_once('.').ok_or_else(malformed)?;
        if payload.contains('.') {
            return Err(malformed());
        }
        Ok(Self {
            header,
            payload,
            signature,
            signing_input,
        })
    }
}

fn base64url_json(part: &str, what: &str) -> Result<Value, TokenError> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| TokenError::Malformed(format!("the token's {what} is not base64url: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| TokenError::Malformed(format!("the token's {what} is not JSON: {e}")))
}

/// The JOSE header: `alg` one of the JWS algorithms (never `none`), and no extension the
/// signature's meaning would depend on (`crit`, or `b64: false` for an unencoded payload).
fn parse_header(part: &str) -> Result<Header, TokenError> {
    let value = base64url_json(part, "header")?;
    if value.get("crit").is_some() {
        return Err(TokenError::Malformed(
            "the token's header lists critical extensions (`crit`), which are not supported"
                .to_owned(),
        ));
    }
    if value
        .get("b64")
        .is_some_and(|b64| b64 != &Value::Bool(true))
    {
        return Err(TokenError::Malformed(
            "the token's payload is not base64url-encoded (`b64`), which is not supported"
                .to_owned(),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| TokenError::Malformed(format!("the token's header is not usable: {e}")))
}

fn parse_claims(part: &str) -> Result<Map<String, Value>, TokenError> {
    match base64url_json(part, "payload")? {
        Value::Object(claims) => Ok(claims),
        _ => Err(TokenError::Malformed(
            "the token's payload is not a JSON object of claims".to_owned(),
        )),
    }
}

/// A NumericDate claim (`exp`, `nbf`, `iat`): seconds since the epoch, whole or not.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, TokenError> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let seconds = match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.floor() as i64)
        }),
        _ => None,
    };
    seconds.map(Some).ok_or_else(|| {
        TokenError::Malformed(format!("the token's `{name}` is not a number of seconds"))
    })
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    //! A provider of our own making signs the tokens no real provider would produce (alg
    //! `none`, HMAC over the public key, forged signatures, wrong issuers...).

    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    use super::*;

    const ISSUER: &str = "http://127.0.0.1:1";

    struct FakeIdp {
        pkcs8: Vec<u8>,
        jwk: Value,
    }

    impl FakeIdp {
        fn new(kid: &str) -> Self {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .unwrap()
            .as_ref()
            .to_vec();
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8).unwrap();
            let point = pair.public_key().as_ref();
            let jwk = json!({"kty": "EC", "crv": "P-256", "kid": kid,
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65])});
            Self { pkcs8, jwk }
        }

        fn sign(&self, kid: Option<&str>, claims: &Value) -> String {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = kid.map(str::to_owned);
            encode(&header, claims, &EncodingKey::from_ec_der(&self.pkcs8)).unwrap()
        }
    }

    fn claims() -> Value {
        let now = now_secs();
        json!({"iss": ISSUER, "sub": "alice", "aud": "tessera", "exp": now + 300, "iat": now})
    }

    fn with(mut c: Value, key: &str, value: Value) -> Value {
        c[key] = value;
        c
    }

    fn check(
        keys: &KeySet,
        token: &str,
        secret: Option<&str>,
    ) -> Result<VerifiedToken, TokenError> {
        verify(token, keys, "test", ISSUER, "tessera", secret)
    }

    #[test]
    fn good_tokens_pass_and_each_bad_one_names_its_check() {
        let idp = FakeIdp::new("k1");
        let (keys, skipped) = KeySet::parse(&json!({"keys": [idp.jwk]}));
        assert!(skipped.is_empty(), "{skipped:?}");
        let good = check(&keys, &idp.sign(Some("k1"), &claims()), None).unwrap();
        assert_eq!(good.subject, "alice");
        let by_azp = with(
            with(claims(), "aud", json!("someone-else")),
            "azp",
            json!("tessera"),
        );
        assert!(check(&keys, &idp.sign(Some("k1"), &by_azp), None).is_ok());
        let listed = with(claims(), "aud", json!(["x", "tessera"]));
        assert!(check(&keys, &idp.sign(Some("k1"), &listed), None).is_ok());
        let access_token = with(
            with(claims(), "aud", json!("urn:tessera")),
            "client_id",
            json!("tessera"),
        );
        assert!(check(&keys, &idp.sign(Some("k1"), &access_token), None).is_ok());

        let now = now_secs();
        let cases: Vec<(&str, String, TokenError)> = vec![
            ("no kid", idp.sign(None, &claims()), TokenError::NoKid),
            (
                "unknown kid",
                idp.sign(Some("k2"), &claims()),
                TokenError::UnknownKey {
                    kid: "k2".into(),
                    provider: "test".into(),
                },
            ),
            (
                "forged with another key under the same kid",
                FakeIdp::new("k1").sign(Some("k1"), &claims()),
                TokenError::BadSignature,
            ),
            (
                "another client",
                idp.sign(Some("k1"), &with(claims(), "aud", json!("other-app"))),
                TokenError::WrongAudience {
                    client_id: "tessera".into(),
                },
            ),
            (
                "another issuer",
                idp.sign(Some("k1"), &with(claims(), "iss", json!("http://evil"))),
                TokenError::WrongIssuer {
                    expected: ISSUER.into(),
                },
            ),
            (
                "expired two minutes ago",
                idp.sign(Some("k1"), &with(claims(), "exp", json!(now - 120))),
                TokenError::Expired(now - 120),
            ),
            (
                "nbf in the future",
                idp.sign(Some("k1"), &with(claims(), "nbf", json!(now + 600))),
                TokenError::NotYetValid,
            ),
            (
                "iat in the future",
                idp.sign(Some("k1"), &with(claims(), "iat", json!(now + 600))),
                TokenError::NotYetValid,
            ),
            (
                "no sub",
                idp.sign(Some("k1"), &{
                    let mut c = claims();
                    c.as_object_mut().unwrap().remove("sub");
                    c
                }),
                TokenError::MissingClaim("sub"),
            ),
        ];
        for (name, token, expected) in cases {
            assert_eq!(check(&keys, &token, None).unwrap_err(), expected, "{name}");
        }
        // Within the 60 s leeway, a just-expired token still passes.
        let recent = idp.sign(Some("k1"), &with(claims(), "exp", json!(now - 20)));
        assert!(check(&keys, &recent, None).is_ok());
    }

    /// Signs `header` and `payload` (JSON texts) as they are, with `idp`'s key.
    fn sign_raw(idp: &FakeIdp, header: &str, payload: &str) -> String {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &idp.pkcs8).unwrap();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let signature = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }

    #[test]
    fn claims_are_read_only_after_the_signature_and_only_in_their_standard_forms() {
        let idp = FakeIdp::new("k1");
        let (keys, _) = KeySet::parse(&json!({"keys": [idp.jwk.clone()]}));
        let header = r#"{"alg":"ES256","kid":"k1"}"#;
        let now = now_secs();
        let signed = |payload: &Value| sign_raw(&idp, header, &payload.to_string());
        assert!(check(&keys, &signed(&claims()), None).is_ok());

        // An expired token whose payload was altered after signing: the signature is what fails.
        let expired = idp.sign(Some("k1"), &with(claims(), "exp", json!(now - 600)));
        let (head, rest) = expired.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let altered = URL_SAFE_NO_PAD.encode(claims().to_string());
        assert_eq!(
            check(&keys, &format!("{head}.{altered}.{signature}"), None).unwrap_err(),
            TokenError::BadSignature
        );

        // A fractional NumericDate is a date (RFC 7519 section 2); a text is not.
        let fractional = with(claims(), "exp", json!(now as f64 + 300.5));
        assert_eq!(
            check(&keys, &signed(&fractional), None).unwrap().expires,
            now + 300
        );
        let without = |name: &str| {
            let mut c = claims();
            c.as_object_mut().unwrap().remove(name);
            c
        };
        let cases: Vec<(&str, String, TokenError)> = vec![
            (
                "no exp",
                signed(&without("exp")),
                TokenError::MissingClaim("exp"),
            ),
            (
                "no iss",
                signed(&without("iss")),
                TokenError::MissingClaim("iss"),
            ),
            (
                "iss in a list",
                signed(&with(claims(), "iss", json!([ISSUER]))),
                TokenError::WrongIssuer {
                    expected: ISSUER.into(),
                },
            ),
            (
                "exp as text",
                signed(&with(claims(), "exp", json!((now + 300).to_string()))),
                TokenError::Malformed("the token's `exp` is not a number of seconds".into()),
            ),
            (
                "nbf as text",
                signed(&with(claims(), "nbf", json!("soon"))),
                TokenError::Malformed("the token's `nbf` is not a number of seconds".into()),
            ),
            (
                "claims in a list",
                sign_raw(&idp, header, &json!([claims()]).to_string()),
                TokenError::Malformed("the token's payload is not a JSON object of claims".into()),
            ),
        ];
        for (name, token, expected) in cases {
            assert_eq!(check(&keys, &token, None).unwrap_err(), expected, "{name}");
        }

        for (name, token) in [
            (
                "crit",
                sign_raw(
                    &idp,
                    r#"{"alg":"ES256","kid":"k1","crit":["exp"],"exp":1}"#,
                    &claims().to_string(),
                ),
            ),
            (
                "unencoded payload",
                sign_raw(
                    &idp,
                    r#"{"alg":"ES256","kid":"k1","b64":false}"#,
                    &claims().to_string(),
                ),
            ),
            ("four parts", format!("{}.x", signed(&claims()))),
            ("two parts", "eyJhbGciOiJFUzI1NiJ9.e30".to_owned()),
            ("header not base64url", format!("#{}", signed(&claims()))),
        ] {
            assert!(
                matches!(check(&keys, &token, None), Err(TokenError::Malformed(_))),
                "{name}"
            );
        }
    }

    #[test]
    fn alg_none_hmac_confusion_and_huge_tokens_are_refused() {
        let idp = FakeIdp::new("k1");
        let (keys, _) = KeySet::parse(&json!({"keys": [idp.jwk.clone()]}));
        let body = URL_SAFE_NO_PAD.encode(claims().to_string());
        let none = format!(
            "{}.{body}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1"}"#)
        );
        assert!(matches!(
            check(&keys, &none, None),
            Err(TokenError::Malformed(_))
        ));

        // HS256 keyed with the public key's text: refused without a secret, and a forgery
        // with a secret configured.
        let public_text = idp.jwk.to_string();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1".into());
        let confused = encode(
            &header,
            &claims(),
            &EncodingKey::from_secret(public_text.as_bytes()).unwrap(),
        )
        .unwrap();
        assert_eq!(
            check(&keys, &confused, None).unwrap_err(),
            TokenError::HmacWithoutSecret
        );
        assert_eq!(
            check(&keys, &confused, Some("the-client-secret")).unwrap_err(),
            TokenError::BadSignature
        );
        let by_secret = encode(
            &header,
            &claims(),
            &EncodingKey::from_secret(b"the-client-secret").unwrap(),
        )
        .unwrap();
        assert!(check(&keys, &by_secret, Some("the-client-secret")).is_ok());

        // An ES256 key does not verify an RS256 header.
        let signed = idp.sign(Some("k1"), &claims());
        let (_, rest) = signed.split_once('.').unwrap();
        let relabelled = format!(
            "{}.{rest}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k1"}"#)
        );
        assert_eq!(
            check(&keys, &relabelled, None).unwrap_err(),
            TokenError::AlgorithmNotAllowed("RS256".into())
        );

        let huge = "a".repeat(1024 * 1024);
        assert_eq!(check(&keys, &huge, None).unwrap_err(), TokenError::TooLarge);
    }
}
