//! The signed HTTP client of `tessera admin`: one endpoint (http or https), SigV4 with service
//! `s3`, madmin payload encryption of request bodies and decryption of replies where the admin
//! API uses it, and the server's JSON (or S3 XML) errors turned into readable ones.
//!
//! HTTPS trusts the system's roots, or only `--ca-file` (a self-signed server certificate may be
//! given there as is); `--insecure` skips verification.

use std::error::Error as _;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject as _;
use tessera_admin::Algorithm;
use tessera_sigv4::{Credentials, Scope, SecretKey, Unsigned};
use zeroize::Zeroizing;

/// Prefix of every admin call.
const ADMIN_PREFIX: &str = "/minio/admin/v3/";
/// How long one call may take, connection and key derivations included.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the TCP connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest reply read (the biggest admin replies are lists of users or policies).
const MAX_REPLY: usize = 64 * 1024 * 1024;

/// Where the server is and how to reach it.
pub struct ConnectOptions<'a> {
    pub endpoint: &'a str,
    pub credentials: Credentials,
    pub region: &'a str,
    pub ca_file: Option<&'a Path>,
    pub insecure: bool,
}

/// The body of an admin call.
pub enum Payload {
    None,
    /// Sent as is (policy documents, group membership).
    Plain(Vec<u8>),
    /// madmin-encrypted with the caller's secret key before sending.
    Encrypted(Zeroizing<Vec<u8>>),
}

/// One admin call: `method /minio/admin/v3/<command>?<query>`.
pub struct Call<'a> {
    pub method: Method,
    pub command: &'a str,
    pub query: Vec<(&'a str, &'a str)>,
    pub payload: Payload,
    /// Whether a successful reply is madmin-encrypted.
    pub encrypted_reply: bool,
}

impl<'a> Call<'a> {
    pub fn new(method: Method, command: &'a str) -> Self {
        Self {
            method,
            command,
            query: Vec::new(),
            payload: Payload::None,
            encrypted_reply: false,
        }
    }

    pub fn query(mut self, name: &'a str, value: &'a str) -> Self {
        self.query.push((name, value));
        self
    }

    pub fn plain(mut self, body: Vec<u8>) -> Self {
        self.payload = Payload::Plain(body);
        self
    }

    pub fn encrypted(mut self, body: Zeroizing<Vec<u8>>) -> Self {
        self.payload = Payload::Encrypted(body);
        self
    }

    pub fn encrypted_reply(mut self) -> Self {
        self.encrypted_reply = true;
        self
    }
}

/// An error answer of the server: its status, code and message.
#[derive(Debug)]
pub struct ServerError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub url: String,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (HTTP {} from {})",
            self.code, self.message, self.status, self.url
        )
    }
}

impl std::error::Error for ServerError {}

/// A SigV4-signing client of one server's admin API.
pub struct AdminClient {
    base: String,
    host: String,
    credentials: Credentials,
    scope: Scope,
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl AdminClient {
    pub fn new(options: ConnectOptions<'_>) -> anyhow::Result<Self> {
        let (scheme, host) = parse_endpoint(options.endpoint)?;
        let tls = if scheme == "https" {
            if options.insecure {
                eprintln!(
                    "tessera: warning: --insecure: the server's TLS certificate is not verified; \
                     anyone between here and {} can impersonate the server",
                    options.endpoint
                );
            }
            tls_config(options.ca_file, options.insecure)?
        } else {
            // Never used for http:// endpoints, but the connector wants one.
            tls_config_with_roots(RootCertStore::empty())?
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self {
            base: format!("{scheme}://{host}"),
            host,
            credentials: options.credentials,
            scope: Scope::s3(options.region),
            http: client,
        })
    }

    /// Sends `call` and returns the reply body of a successful call, decrypted when the call
    /// says so. A refusal becomes a [`ServerError`]; a connection failure names the endpoint.
    pub async fn send(&self, call: Call<'_>) -> anyhow::Result<Zeroizing<Vec<u8>>> {
        let body = match call.payload {
            Payload::None => Vec::new(),
            Payload::Plain(b) => b,
            Payload::Encrypted(plain) => {
                let secret = self.credentials.secret_key().clone();
                blocking(move || {
                    tessera_admin::encrypt(
                        secret.expose().as_bytes(),
                        &plain,
                        Algorithm::Argon2idAesGcm,
                    )
                    .map_err(|e| anyhow!("cannot encrypt the request body: {e}"))
                })
                .await?
            }
        };
        let path = format!("{ADMIN_PREFIX}{}", call.command);
        let query = tessera_sigv4::canonical_query(&call.query);
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let payload_sha256 = tessera_sigv4::hex_sha256(&body);
        let content_type = "application/octet-stream";
        let signed = tessera_sigv4::sign(
            &self.credentials,
            &self.scope,
            &tessera_sigv4::amz_date(time_now()),
            &Unsigned {
                method: call.method.as_str(),
                path: &path,
                query: &call.query,
                host: &self.host,
                headers: &[("content-type", content_type)],
                payload_sha256: &payload_sha256,
            },
        );
        let mut builder = Request::builder()
            .method(call.method.clone())
            .uri(&url)
            .header(header::HOST, &self.host)
            .header(header::CONTENT_TYPE, content_type)
            .header(
                header::USER_AGENT,
                concat!("tessera-admin/", env!("CARGO_PKG_VERSION")),
            );
        if !body.is_empty() || matches!(call.method, Method::PUT | Method::POST) {
            builder = builder.header(header::CONTENT_LENGTH, body.len());
        }
        for (name, value) in signed {
            builder = builder.header(name, value);
        }
        let request = builder
            .body(Full::new(Bytes::from(body)))
            .context("building the request")?;

        let exchange = async {
            let response = self.http.request(request).await.map_err(|e| {
                // The legacy client's own text ("client error (Connect)") says less than its
                // causes do.
                let reason = e.source().map_or_else(|| e.to_string(), error_chain);
                let hint = if reason.contains("InvalidContentType") {
                    " (is the server serving plain http://?)"
                } else if reason.contains("invalid HTTP version") {
                    " (is the server serving https://?)"
                } else if reason.contains("invalid peer certificate") {
                    " (trust its CA, or the server's own certificate, with --ca-file PEM; or skip \
                     verification with --insecure)"
                } else {
                    ""
                };
                if e.is_connect() {
                    anyhow!("cannot connect to {}: {reason}{hint}", self.base)
                } else {
                    anyhow!("request to {} failed: {reason}{hint}", self.base)
                }
            })?;
            let status = response.status();
            let bytes = Limited::new(response.into_body(), MAX_REPLY)
                .collect()
                .await
                .map_err(|e| anyhow!("reading the reply from {} failed: {e}", self.base))?
                .to_bytes();
            Ok::<_, anyhow::Error>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(CALL_TIMEOUT, exchange)
            .await
            .map_err(|_| {
                anyhow!(
                    "{} did not answer within {} s",
                    self.base,
                    CALL_TIMEOUT.as_secs()
                )
            })??;
        if !status.is_success() {
            return Err(server_error(status.as_u16(), &bytes, url).into());
        }
        if !call.encrypted_reply || bytes.is_empty() {
            return Ok(Zeroizing::new(bytes.to_vec()));
        }
        let secret: SecretKey = self.credentials.secret_key().clone();
        blocking(move || {
            tessera_admin::decrypt(secret.expose().as_bytes(), &bytes).map_err(|e| {
                anyhow!(
                    "cannot decrypt the server's reply ({e}): is the secret key the one of \
                     the access key you signed with?"
                )
            })
        })
        .await
    }
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// Runs a key derivation (64 MiB Argon2id) off the async threads.
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| anyhow!("the payload encryption task failed: {e}"))?
}

/// `scheme` and `host[:port]` of an endpoint URL such as `http://127.0.0.1:9000`.
fn parse_endpoint(url: &str) -> anyhow::Result<(&'static str, String)> {
    let uri: http::Uri = url
        .parse()
        .with_context(|| format!("`{url}` is not a URL like http://127.0.0.1:9000"))?;
    let scheme = match uri.scheme_str() {
        Some("http") => "http",
        Some("https") => "https",
        Some(other) => {
            bail!("endpoint `{url}`: scheme `{other}` is not supported; use http:// or https://")
        }
        None => bail!("endpoint `{url}` has no scheme; use http://HOST:PORT or https://HOST:PORT"),
    };
    let authority = uri
        .authority()
        .ok_or_else(|| anyhow!("endpoint `{url}` has no host"))?;
    if authority.as_str().contains('@') {
        bail!("endpoint `{url}`: put credentials in --access-key/--secret-key, not in the URL");
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        bail!("endpoint `{url}` must not carry a path or query: give only scheme, host and port");
    }
    Ok((scheme, authority.as_str().to_owned()))
}

/// The server's error: MinIO's admin JSON (`Code`, `Message`), or S3's XML (signature and
/// access-key failures are answered by the S3 layer).
fn server_error(status: u16, body: &[u8], url: String) -> ServerError {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct JsonError {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let text = String::from_utf8_lossy(body);
    let (code, message) = if let Ok(e) = serde_json::from_slice::<JsonError>(body) {
        (e.code, e.message)
    } else {
        (
            xml_element(&text, "Code").unwrap_or_default(),
            xml_element(&text, "Message").unwrap_or_default(),
        )
    };
    let code = if code.is_empty() {
        format!("HTTP{status}")
    } else {
        code
    };
    let message = if !message.is_empty() {
        message
    } else if let Some(hint) = hint(&code) {
        hint.to_owned()
    } else if text.trim().is_empty() || text.trim_start().starts_with('<') {
        "the server gave no message".to_owned()
    } else {
        text.chars().take(500).collect()
    };
    ServerError {
        status,
        code,
        message,
        url,
    }
}

/// What to check when the S3 layer refuses a signature without saying why.
fn hint(code: &str) -> Option<&'static str> {
    match code {
        "SignatureDoesNotMatch" => Some(
            "the server computed a different signature: check that the secret key belongs to \
             the access key (and the region, if the server has one set)",
        ),
        "InvalidAccessKeyId" => Some("the server does not know this access key"),
        "RequestTimeTooSkewed" => Some("this machine's clock differs too much from the server's"),
        _ => None,
    }
}

/// The text of the first `<name>…</name>` element, XML entities decoded.
fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// `error: cause: cause`, the way a person wants to read a connection failure.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn tls_config_with_roots(roots: RootCertStore) -> anyhow::Result<rustls::ClientConfig> {
    // ALPN is left to the connector (`enable_http1`).
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("TLS set-up")?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Trust `ca_file` only when given, the system's roots otherwise; or nothing (`insecure`).
fn tls_config(ca_file: Option<&Path>, insecure: bool) -> anyhow::Result<rustls::ClientConfig> {
    if insecure {
        let provider = provider();
        return Ok(
            rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
                .with_safe_default_protocol_versions()
                .context("TLS set-up")?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyServerCertificate(provider)))
                .with_no_client_auth(),
        );
    }
    let mut roots = RootCertStore::empty();
    let Some(path) = ca_file else {
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
        if roots.is_empty() {
            bail!(
                "no trusted CA certificates found on this system: pass --ca-file PEM with the \
                 CA that signed the server's certificate (or --insecure to skip verification)"
            );
        }
        return tls_config_with_roots(roots);
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("cannot read the CA file {}", path.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a PEM certificate file", path.display()))?;
    for cert in &certs {
        roots
            .add(cert.clone())
            .with_context(|| format!("{} holds a certificate rustls cannot use", path.display()))?;
    }
    if roots.is_empty() {
        bail!("{} holds no certificate", path.display());
    }
    let provider = provider();
    let webpki =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .build()
            .with_context(|| format!("cannot trust the certificates of {}", path.display()))?;
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS set-up")?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(CaFileVerifier {
            webpki,
            pinned: certs,
        }))
        .with_no_client_auth())
}

/// `--ca-file`: WebPKI verification against the file's certificates; besides, a server
/// certificate that is itself in the file is trusted when it names the server. That is the
/// self-signed certificate case: `openssl req -x509` marks such a certificate as a CA, and
/// WebPKI refuses a CA certificate as a server's own (Go's TLS, hence `mc`, accepts it). Its
/// validity dates are not checked then: the file pins that exact certificate.
#[derive(Debug)]
struct CaFileVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for CaFileVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => Ok(verified),
            Err(_)
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                let parsed = ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// `--insecure`: any certificate is accepted; the handshake signatures are still checked so the
/// connection itself is sound.
#[derive(Debug)]
struct AnyServerCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_scheme_host_and_port() {
        let (s, h) = parse_endpoint("http://127.0.0.1:9000/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((s, h.as_str()), ("http", "127.0.0.1:9000"));
        let (s, h) = parse_endpoint("https://s3.example.com").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((s, h.as_str()), ("https", "s3.example.com"));
        for bad in [
            "127.0.0.1:9000",
            "ftp://h:1",
            "http://h:1/bucket",
            "http://h:1/?a=b",
            "http://u:p@h:1",
        ] {
            assert!(parse_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_and_xml_errors_give_code_and_message() {
        let e = server_error(
            404,
            br#"{"Code":"XMinioAdminNoSuchUser","Message":"no user `x`","Resource":"/r"}"#,
            "u".into(),
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("XMinioAdminNoSuchUser", "no user `x`")
        );
        let e = server_error(
            403,
            b"<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>a &amp; b</Message></Error>",
            "u".into(),
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("SignatureDoesNotMatch", "a & b")
        );
        let e = server_error(502, b"", "u".into());
        assert_eq!(e.code, "HTTP502");
        assert!(e.to_string().contains("HTTP 502 from u"));
    }
}
