//! A minimal OpenID token issuer inside the load tool, for the `web-identity` scenario: an
//! RSA-2048 key generated at start (aws-lc-rs), a hyper server on 127.0.0.1 answering the
//! discovery document and the JWKS (each JWKS request counted, so a run can show that the
//! server under test never fetched the keys on its hot path), and RS256 ID tokens minted with
//! jsonwebtoken, the library Tessera verifies them with. It also hands out one token's
//! signature check, built the way Tessera builds its key (from the published JWK), for the
//! crypto limit measured in the same run.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::server_thread::ServerThread;
use anyhow::{Context, Result, anyhow, bail};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::json;

/// The client id the spawned server is configured with; every token names it in `aud`.
pub const CLIENT_ID: &str = "tessera-load";
/// The `sub` of every token.
pub const SUBJECT: &str = "bench-user";
/// The `policy` claim of every token (a canned policy of the server).
pub const POLICY: &str = "readonly";
/// Lifetime of a minted token (longer than any run; tokens are minted anew for each run).
pub const TOKEN_LIFETIME_SECS: i64 = 3600;
const KEY_ID: &str = "tessera-load-rs256";
const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
const JWKS_PATH: &str = "/jwks";

/// The issuer: its key, its documents and the server answering them.
pub struct Issuer {
    /// `http://127.0.0.1:PORT`, the `iss` of every token and the discovery `issuer`.
    url: String,
    encoding: EncodingKey,
    /// The published JWK (`kty`, `kid`, `n`, `e`, `alg`, `use`).
    jwk: serde_json::Value,
    counters: Arc<Counters>,
    server: ServerThread,
}

/// Requests the issuer has answered.
#[derive(Default)]
struct Counters {
    discovery: AtomicU64,
    jwks: AtomicU64,
}

/// The documents the server answers with.
struct Documents {
    discovery: Bytes,
    jwks: Bytes,
}

impl Issuer {
    /// Generates the key, checks that a token it signs verifies against its JWK, and starts
    /// serving on 127.0.0.1 (a free port) on a thread and runtime of its own.
    pub fn start() -> Result<Self> {
        let (encoding, jwk) = generate_key()?;
        let listener = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .context("binding the OpenID issuer to 127.0.0.1")?;
        listener
            .set_nonblocking(true)
            .context("setting the issuer's listener non-blocking")?;
        let port = listener
            .local_addr()
            .context("reading the issuer's port")?
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let documents = Arc::new(Documents {
            discovery: Bytes::from(
                json!({"issuer": url, "jwks_uri": format!("{url}{JWKS_PATH}")}).to_string(),
            ),
            jwks: Bytes::from(json!({"keys": [jwk]}).to_string()),
        });
        let counters = Arc::new(Counters::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the issuer's runtime")?;
        let served = counters.clone();
        let server = ServerThread::spawn("openid-issuer", runtime, listener, move |l| {
            accept_loop(l, documents, served)
        })?;
        let issuer = Self {
            url,
            encoding,
            jwk,
            counters,
            server,
        };
        // A key that signs what its JWK does not verify would show up as a column of errors.
        let check = issuer.signature_check()?;
        if !check.verify()? {
            bail!("the issuer's own token does not verify against its JWK");
        }
        Ok(issuer)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The discovery document's URL.
    pub fn config_url(&self) -> String {
        format!("{}{DISCOVERY_PATH}", self.url)
    }

    /// What a server needs to trust this issuer (MinIO's variables).
    pub fn server_env(&self) -> Vec<(String, String)> {
        vec![
            (
                "MINIO_IDENTITY_OPENID_CONFIG_URL".to_owned(),
                self.config_url(),
            ),
            (
                "MINIO_IDENTITY_OPENID_CLIENT_ID".to_owned(),
                CLIENT_ID.to_owned(),
            ),
        ]
    }

    /// How many JWKS requests the issuer has answered so far.
    pub fn jwks_requests(&self) -> u64 {
        self.counters.jwks.load(Ordering::Relaxed)
    }

    /// How many discovery requests the issuer has answered so far.
    pub fn discovery_requests(&self) -> u64 {
        self.counters.discovery.load(Ordering::Relaxed)
    }

    /// An RS256 ID token: `iss` this issuer, `aud` [`CLIENT_ID`], `sub` [`SUBJECT`], `policy`
    /// [`POLICY`], `iat` now, `exp` in [`TOKEN_LIFETIME_SECS`], and `jti` (which makes tokens
    /// minted in the same second differ; PKCS#1 v1.5 signatures are deterministic).
    pub fn mint(&self, jti: &str) -> Result<String> {
        let now = now_secs();
        let claims = json!({
            "iss": self.url,
            "aud": CLIENT_ID,
            "sub": SUBJECT,
            "iat": now,
            "exp": now + TOKEN_LIFETIME_SECS,
            "policy": POLICY,
            "jti": jti,
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KEY_ID.to_owned());
        jsonwebtoken::encode(&header, &claims, &self.encoding).context("signing a token")
    }

    /// `count` distinct tokens, `jti` = `{tag}-{i}`.
    pub fn mint_pool(&self, count: usize, tag: &str) -> Result<Vec<String>> {
        (0..count)
            .map(|i| self.mint(&format!("{tag}-{i}")))
            .collect()
    }

    /// The signature check of one fresh token with the key built from the published JWK.
    pub fn signature_check(&self) -> Result<SignatureCheck> {
        let token = self.mint("signature-check")?;
        let (message, signature) = token
            .rsplit_once('.')
            .ok_or_else(|| anyhow!("a minted token has no signature part"))?;
        let jwk: Jwk =
            serde_json::from_value(self.jwk.clone()).context("reading back the issuer's JWK")?;
        let key = DecodingKey::from_jwk(&jwk).context("a decoding key from the issuer's JWK")?;
        Ok(SignatureCheck {
            message: message.to_owned(),
            signature: signature.to_owned(),
            key,
        })
    }

    /// Stops the server and joins its thread.
    pub fn stop(mut self) {
        self.server.stop();
    }
}

/// One RS256 signature and the key that verifies it: what the crypto limit repeats.
#[derive(Clone)]
pub struct SignatureCheck {
    /// `base64url(header).base64url(claims)`.
    message: String,
    /// `base64url(signature)`.
    signature: String,
    key: DecodingKey,
}

impl SignatureCheck {
    /// Verifies the signature only (RSA-2048 PKCS#1 v1.5 with SHA-256, through jsonwebtoken's
    /// crypto provider, aws-lc-rs): decoding the signature, hashing the message, checking.
    pub fn verify(&self) -> Result<bool> {
        jsonwebtoken::crypto::verify(
            &self.signature,
            self.message.as_bytes(),
            &self.key,
            Algorithm::RS256,
        )
        .context("verifying a signature")
    }
}

/// A fresh RSA-2048 key: the signing key (PKCS#1 DER, as jsonwebtoken's aws-lc-rs signer
/// reads it) and the public JWK.
fn generate_key() -> Result<(EncodingKey, serde_json::Value)> {
    let pair = KeyPair::generate(KeySize::Rsa2048)
        .map_err(|_| anyhow!("generating an RSA-2048 key failed"))?;
    let pkcs8 = pair
        .as_der()
        .map_err(|_| anyhow!("encoding the RSA key as PKCS#8 failed"))?;
    let pkcs1 = pkcs1_of_pkcs8(pkcs8.as_ref())?;
    let encoding = EncodingKey::from_rsa_der(pkcs1);
    let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)
        .context("the public JWK of the RSA key")?;
    jwk.common.key_id = Some(KEY_ID.to_owned());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    let jwk = serde_json::to_value(&jwk).context("encoding the JWK")?;
    Ok((encoding, jwk))
}

/// The `RSAPrivateKey` (PKCS#1) inside a PKCS#8 `PrivateKeyInfo`:
/// `SEQUENCE { INTEGER version, SEQUENCE algorithm, OCTET STRING privateKey, ... }`.
fn pkcs1_of_pkcs8(pkcs8: &[u8]) -> Result<&[u8]> {
    let bad = || anyhow!("the generated key is not a PKCS#8 PrivateKeyInfo");
    let (0x30, info, _) = der_element(pkcs8).ok_or_else(bad)? else {
        return Err(bad());
    };
    let (0x02, _version, rest) = der_element(info).ok_or_else(bad)? else {
        return Err(bad());
    };
    let (0x30, _algorithm, rest) = der_element(rest).ok_or_else(bad)? else {
        return Err(bad());
    };
    let (0x04, key, _) = der_element(rest).ok_or_else(bad)? else {
        return Err(bad());
    };
    Ok(key)
}

/// The tag, contents and remainder of the DER element at the start of `der` (definite
/// lengths of at most 4 bytes; `None` when truncated).
fn der_element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    documents: Arc<Documents>,
    counters: Arc<Counters>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors or similar: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (documents, counters) = (documents.clone(), counters.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let response = answer(&req, &documents, &counters);
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn answer(
    req: &Request<Incoming>,
    documents: &Documents,
    counters: &Counters,
) -> Response<Full<Bytes>> {
    let body = match (req.method(), req.uri().path()) {
        (&Method::GET, DISCOVERY_PATH) => {
            counters.discovery.fetch_add(1, Ordering::Relaxed);
            Some(documents.discovery.clone())
        }
        (&Method::GET, JWKS_PATH) => {
            counters.jwks.fetch_add(1, Ordering::Relaxed);
            Some(documents.jwks.clone())
        }
        _ => None,
    };
    match body {
        Some(body) => {
            let mut r = Response::new(Full::new(body));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            r
        }
        None => {
            let mut r = Response::new(Full::new(Bytes::new()));
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{self, Endpoint};

    fn issuer() -> Issuer {
        Issuer::start().unwrap_or_else(|e| panic!("{e:#}"))
    }

    #[test]
    fn der_elements_are_read_with_short_and_long_lengths() {
        assert_eq!(
            der_element(&[0x04, 2, 7, 8, 9]),
            Some((0x04, &[7u8, 8][..], &[9u8][..]))
        );
        let mut long = vec![0x30, 0x81, 200];
        long.extend(std::iter::repeat_n(1u8, 200));
        assert_eq!(
            der_element(&long).map(|(t, c, r)| (t, c.len(), r.len())),
            Some((0x30, 200, 0))
        );
        assert_eq!(der_element(&[0x30, 5, 1]), None, "truncated");
        assert_eq!(der_element(&[0x30, 0x80]), None, "indefinite length");
        assert!(pkcs1_of_pkcs8(&[0x30, 3, 0x02, 1, 0]).is_err());
    }

    #[test]
    fn tokens_verify_against_the_published_jwk_and_carry_the_claims() {
        let issuer = issuer();
        assert!(issuer.url().starts_with("http://127.0.0.1:"));
        let jwk = &issuer.jwk;
        for (field, want) in [
            ("kty", "RSA"),
            ("kid", KEY_ID),
            ("alg", "RS256"),
            ("use", "sig"),
            ("e", "AQAB"),
        ] {
            assert_eq!(jwk[field], json!(want), "{field} of {jwk}");
        }
        // 2048 bits, base64url without padding.
        assert_eq!(jwk["n"].as_str().map(str::len), Some(342));

        let token = issuer.mint("t1").unwrap_or_else(|e| panic!("{e:#}"));
        let header = jsonwebtoken::decode_header(&token).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.kid.as_deref(), Some(KEY_ID));
        let key = DecodingKey::from_jwk(
            &serde_json::from_value::<Jwk>(jwk.clone()).unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.set_audience(&[CLIENT_ID]);
        validation.set_issuer(&[issuer.url()]);
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation)
            .unwrap_or_else(|e| panic!("{e}"));
        let c = data.claims;
        assert_eq!(c["sub"], json!(SUBJECT));
        assert_eq!(c["policy"], json!(POLICY));
        assert_eq!(c["jti"], json!("t1"));
        let (iat, exp) = (c["iat"].as_i64(), c["exp"].as_i64());
        assert_eq!(exp.zip(iat).map(|(e, i)| e - i), Some(TOKEN_LIFETIME_SECS));

        let pool = issuer.mint_pool(3, "p").unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(pool.len(), 3);
        assert!(pool[0] != pool[1] && pool[1] != pool[2], "distinct tokens");

        let check = issuer.signature_check().unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(check.verify().ok(), Some(true));
        let mut forged = check.clone();
        forged.message.push('x');
        assert_eq!(forged.verify().ok(), Some(false));
        issuer.stop();
    }

    #[tokio::test]
    async fn documents_are_served_and_jwks_requests_counted() {
        let issuer = tokio::task::spawn_blocking(issuer)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let endpoint = Endpoint::parse(issuer.url()).unwrap_or_else(|e| panic!("{e:#}"));
        let get = |path: &str| {
            let endpoint = endpoint.clone();
            let path = path.to_owned();
            async move {
                let req =
                    client::unsigned_get(&endpoint, &path).unwrap_or_else(|e| panic!("{e:#}"));
                client::send_once_keeping(&endpoint, req, 64 * 1024, Duration::from_secs(5))
                    .await
                    .unwrap_or_else(|e| panic!("{e:#}"))
            }
        };
        assert_eq!(issuer.jwks_requests(), 0);
        let (out, body) = get(DISCOVERY_PATH).await;
        assert_eq!(out.status, StatusCode::OK);
        let doc: serde_json::Value =
            serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc["issuer"], json!(issuer.url()));
        assert_eq!(doc["jwks_uri"], json!(format!("{}/jwks", issuer.url())));
        assert_eq!(
            (issuer.discovery_requests(), issuer.jwks_requests()),
            (1, 0)
        );
        for _ in 0..2 {
            let (out, body) = get(JWKS_PATH).await;
            assert_eq!(out.status, StatusCode::OK);
            let jwks: serde_json::Value =
                serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(jwks["keys"][0]["kid"], json!(KEY_ID));
        }
        assert_eq!(issuer.jwks_requests(), 2);
        assert_eq!(get("/other").await.0.status, StatusCode::NOT_FOUND);
        assert_eq!(issuer.jwks_requests(), 2);
        let env = issuer.server_env();
        assert_eq!(
            env[0],
            (
                "MINIO_IDENTITY_OPENID_CONFIG_URL".to_owned(),
                format!("{}/.well-known/openid-configuration", issuer.url())
            )
        );
        assert_eq!(
            env[1],
            (
                "MINIO_IDENTITY_OPENID_CLIENT_ID".to_owned(),
                CLIENT_ID.to_owned()
            )
        );
        tokio::task::spawn_blocking(move || issuer.stop())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}
