//! The HTTP side of the load tool: which endpoints are allowed (loopback only, a hard rule of
//! this workplace), one HTTP/1.1 keep-alive connection per worker with `TCP_NODELAY`, the
//! SigV4-signed S3 requests (create bucket, put object, get object, admin calls) and STS
//! AssumeRole sent over it, the unsigned AssumeRoleWithWebIdentity form, and the reading of
//! an AssumeRole answer.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use time::OffsetDateTime;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use tessera_sigv4::{self as sigv4, Credentials, Scope, Unsigned};

/// How long a TCP connect plus HTTP handshake may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A loopback HTTP endpoint: the socket to dial and the `Host` header to send (and sign).
#[derive(Clone, Debug)]
pub struct Endpoint {
    addr: SocketAddr,
    host: String,
}

impl Endpoint {
    /// `http://127.0.0.1:PORT` or `http://localhost:PORT`; anything else is refused.
    pub fn parse(url: &str) -> Result<Self> {
        let uri: http::Uri = url
            .parse()
            .with_context(|| format!("`{url}` is not a URL like http://127.0.0.1:9000"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => bail!(
                "endpoint `{url}`: scheme `{other}` is not supported; use http:// on loopback"
            ),
            None => bail!("endpoint `{url}` has no scheme; use http://127.0.0.1:PORT"),
        }
        let host = uri
            .host()
            .ok_or_else(|| anyhow!("endpoint `{url}` has no host"))?;
        if host != "127.0.0.1" && !host.eq_ignore_ascii_case("localhost") {
            bail!(
                "endpoint `{url}` refused: only 127.0.0.1 or localhost may be load-tested \
                 from this tool (hard rule of this workplace)"
            );
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            bail!("endpoint `{url}` must not carry a path or query");
        }
        let port = uri
            .port_u16()
            .ok_or_else(|| anyhow!("endpoint `{url}` needs an explicit port"))?;
        Ok(Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            host: format!("{host}:{port}"),
        })
    }

    pub fn loopback(port: u16) -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            host: format!("127.0.0.1:{port}"),
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// The socket to dial.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.host)
    }
}

/// What a request came back with: the status and how many body bytes were read.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    pub status: StatusCode,
    pub body_len: u64,
}

/// One HTTP/1.1 keep-alive connection. Dropping it closes the socket.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    driver: JoinHandle<()>,
}

impl Connection {
    pub async fn open(endpoint: &Endpoint) -> Result<Self> {
        let open = async {
            let stream = TcpStream::connect(endpoint.addr)
                .await
                .with_context(|| format!("connecting to {}", endpoint.url()))?;
            stream.set_nodelay(true).context("setting TCP_NODELAY")?;
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .context("HTTP/1.1 handshake")?;
            let driver = tokio::spawn(async move {
                // Ends when the peer closes or the sender is dropped; errors surface on send.
                let _ = conn.await;
            });
            Ok::<_, anyhow::Error>(Self { sender, driver })
        };
        tokio::time::timeout(CONNECT_TIMEOUT, open)
            .await
            .map_err(|_| anyhow!("connecting to {} timed out", endpoint.url()))?
    }

    /// Send one request and read its whole body, counting every byte and keeping the first
    /// `keep` of them (nothing is allocated when `keep` is 0).
    pub async fn send_keeping(
        &mut self,
        req: Request<Full<Bytes>>,
        keep: usize,
    ) -> Result<(Outcome, Vec<u8>)> {
        self.sender.ready().await.context("connection closed")?;
        let resp = self
            .sender
            .send_request(req)
            .await
            .context("sending request")?;
        let status = resp.status();
        let mut body = resp.into_body();
        let mut body_len = 0u64;
        let mut kept = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.context("reading response body")?;
            if let Some(data) = frame.data_ref() {
                body_len += data.len() as u64;
                let room = keep.saturating_sub(kept.len()).min(data.len());
                kept.extend_from_slice(&data[..room]);
            }
        }
        Ok((Outcome { status, body_len }, kept))
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// The form body of an STS AssumeRole call, without `DurationSeconds`.
const ASSUME_ROLE_FORM: &str = "Action=AssumeRole&Version=2011-06-15";
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// The role an AssumeRole call names, for an STS that requires one (radosgw's, like AWS's,
/// refuses AssumeRole without both `RoleArn` and `RoleSessionName`; Tessera ignores them).
#[derive(Clone, Debug)]
pub struct RoleSession {
    pub role_arn: String,
    pub session_name: String,
}

/// The form body of an STS AssumeRole call: naming `role` when given, asking for
/// `duration_secs` when given; values percent-encoded.
pub fn assume_role_form(role: Option<&RoleSession>, duration_secs: Option<u32>) -> String {
    let mut form = ASSUME_ROLE_FORM.to_owned();
    if let Some(role) = role {
        form.push_str("&RoleArn=");
        form.push_str(&sigv4::uri_encode(&role.role_arn, false));
        form.push_str("&RoleSessionName=");
        form.push_str(&sigv4::uri_encode(&role.session_name, false));
    }
    if let Some(secs) = duration_secs {
        form.push_str(&format!("&DurationSeconds={secs}"));
    }
    form
}

/// Builds signed S3 requests for one bucket on one endpoint (and STS calls to it).
#[derive(Clone, Debug)]
pub struct S3Client {
    endpoint: Endpoint,
    creds: Arc<Credentials>,
    scope: Scope,
    sts_scope: Scope,
    bucket: String,
}

impl S3Client {
    pub fn new(endpoint: Endpoint, creds: Arc<Credentials>, region: &str, bucket: &str) -> Self {
        Self {
            endpoint,
            creds,
            scope: Scope::s3(region),
            sts_scope: Scope::sts(region),
            bucket: bucket.to_owned(),
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The same client (credentials, region, bucket) aimed at another endpoint.
    pub fn with_endpoint(&self, endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            ..self.clone()
        }
    }

    pub fn create_bucket(&self) -> Result<Request<Full<Bytes>>> {
        let path = format!("/{}", sigv4::uri_encode(&self.bucket, false));
        self.signed(Method::PUT, &path, Bytes::new())
    }

    pub fn put_object(&self, key: &str, body: Bytes) -> Result<Request<Full<Bytes>>> {
        self.signed(Method::PUT, &self.object_path(key), body)
    }

    pub fn get_object(&self, key: &str) -> Result<Request<Full<Bytes>>> {
        self.signed(Method::GET, &self.object_path(key), Bytes::new())
    }

    fn object_path(&self, key: &str) -> String {
        format!(
            "/{}/{}",
            sigv4::uri_encode(&self.bucket, false),
            sigv4::uri_encode(key, true)
        )
    }

    /// An admin API call (`/minio/admin/v3/<command>?<query>`), signed like an S3 request.
    pub fn admin(
        &self,
        method: Method,
        command: &str,
        query: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>> {
        self.signed_with_query(method, &format!("/minio/admin/v3/{command}"), query, body)
    }

    /// STS AssumeRole as a form POST to `/`, signed for service `sts` (payload hash of the
    /// form, `content-type` signed), as an SDK sends it.
    pub fn assume_role(&self, duration_secs: Option<u32>) -> Result<Request<Full<Bytes>>> {
        self.assume_role_naming(None, duration_secs)
    }

    /// [`S3Client::assume_role`], naming `role` in the form when given.
    pub fn assume_role_naming(
        &self,
        role: Option<&RoleSession>,
        duration_secs: Option<u32>,
    ) -> Result<Request<Full<Bytes>>> {
        let body = assume_role_form(role, duration_secs);
        self.signed_request(
            Method::POST,
            "/",
            &[],
            &[("content-type", FORM_CONTENT_TYPE)],
            &self.sts_scope,
            Bytes::from(body),
        )
    }

    /// The credentials this client signs with.
    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    /// The same client signing with other credentials.
    pub fn with_credentials(&self, creds: Arc<Credentials>) -> Self {
        Self {
            creds,
            ..self.clone()
        }
    }

    /// A request signed now, payload hash included, as an SDK would send it.
    fn signed(&self, method: Method, path: &str, body: Bytes) -> Result<Request<Full<Bytes>>> {
        self.signed_with_query(method, path, &[], body)
    }

    fn signed_with_query(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>> {
        self.signed_request(method, path, query, &[], &self.scope, body)
    }

    /// A request signed now for `scope`; `headers` are sent and signed besides those that
    /// [`sigv4::sign`] adds.
    fn signed_request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        scope: &Scope,
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>> {
        let payload = if body.is_empty() {
            sigv4::EMPTY_SHA256.to_owned()
        } else {
            sigv4::hex_sha256(&body)
        };
        let date = sigv4::amz_date(OffsetDateTime::now_utc());
        let host = self.endpoint.host.as_str();
        let added = sigv4::sign(
            &self.creds,
            scope,
            &date,
            &Unsigned {
                method: method.as_str(),
                path,
                query,
                host,
                headers,
                payload_sha256: &payload,
            },
        );
        let uri = if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", sigv4::canonical_query(query))
        };
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(uri)
            .header(header::HOST, host);
        for &(name, value) in headers {
            builder = builder.header(name, value);
        }
        for (name, value) in added {
            builder = builder.header(name, value);
        }
        if method == Method::PUT || method == Method::POST {
            builder = builder.header(header::CONTENT_LENGTH, body.len());
        }
        builder.body(Full::new(body)).context("building request")
    }
}

/// An unsigned GET, for the health endpoint.
pub fn unsigned_get(endpoint: &Endpoint, path: &str) -> Result<Request<Full<Bytes>>> {
    Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(header::HOST, endpoint.host())
        .body(Full::new(Bytes::new()))
        .context("building request")
}

/// The form body of an STS AssumeRoleWithWebIdentity call trading `token` (no `RoleArn`: the
/// server's claim-based provider is chosen, and `DurationSeconds` follows the token).
pub fn web_identity_form(token: &str) -> Bytes {
    Bytes::from(format!(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken={}",
        sigv4::uri_encode(token, false)
    ))
}

/// The form body of an STS AssumeRoleWithLDAPIdentity call for `username` and `password`
/// (no `DurationSeconds`: the server's default lifetime).
pub fn ldap_identity_form(username: &str, password: &str) -> Bytes {
    Bytes::from(format!(
        "Action=AssumeRoleWithLDAPIdentity&Version=2011-06-15&LDAPUsername={}&LDAPPassword={}",
        sigv4::uri_encode(username, false),
        sigv4::uri_encode(password, false)
    ))
}

/// An unsigned form POST to `/` (STS AssumeRoleWithWebIdentity and AssumeRoleWithLDAPIdentity
/// need no signature: the token or the password is the proof).
pub fn unsigned_form_post(endpoint: &Endpoint, form: Bytes) -> Result<Request<Full<Bytes>>> {
    Request::builder()
        .method(Method::POST)
        .uri("/")
        .header(header::HOST, endpoint.host())
        .header(header::CONTENT_TYPE, FORM_CONTENT_TYPE)
        .header(header::CONTENT_LENGTH, form.len())
        .body(Full::new(form))
        .context("building request")
}

/// Send one request on a fresh connection; for setup steps, not for measuring.
pub async fn send_once(
    endpoint: &Endpoint,
    req: Request<Full<Bytes>>,
    timeout: Duration,
) -> Result<Outcome> {
    send_once_keeping(endpoint, req, 0, timeout)
        .await
        .map(|(out, _)| out)
}

/// [`send_once`], keeping the first `keep` bytes of the answer's body.
pub async fn send_once_keeping(
    endpoint: &Endpoint,
    req: Request<Full<Bytes>>,
    keep: usize,
    timeout: Duration,
) -> Result<(Outcome, Vec<u8>)> {
    let run = async {
        let mut conn = Connection::open(endpoint).await?;
        conn.send_keeping(req, keep).await
    };
    tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| anyhow!("request to {} timed out after {timeout:?}", endpoint.url()))?
}

/// What a successful AssumeRole answer carries.
pub struct Issued {
    pub credentials: Credentials,
    /// As the server wrote it (ISO 8601).
    pub expiration: String,
}

/// Reads the `<Credentials>` of an `<AssumeRoleResponse>` by plain string search (the answer
/// is a fixed, flat document; the values are XML-escaped text).
pub fn parse_assume_role(xml: &str) -> Result<Issued> {
    let creds = element(xml, "Credentials").ok_or_else(|| {
        anyhow!(
            "no <Credentials> in the AssumeRole answer: {}",
            xml.chars().take(300).collect::<String>()
        )
    })?;
    let field = |name: &str| {
        element(creds, name)
            .map(xml_unescape)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| anyhow!("no <{name}> in the <Credentials> of the AssumeRole answer"))
    };
    let access_key = field("AccessKeyId")?;
    let secret_key = field("SecretAccessKey")?;
    let session_token = field("SessionToken")?;
    let expiration = field("Expiration")?;
    Ok(Issued {
        credentials: Credentials::new(access_key, secret_key, Some(session_token)),
        expiration,
    })
}

/// The text between the first `<name>` and the `</name>` after it.
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    Some(&xml[start..start + len])
}

/// The five predefined XML entities (all an STS answer's values can contain).
fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_endpoints_are_accepted() {
        let e = Endpoint::parse("http://127.0.0.1:9000").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.host(), "127.0.0.1:9000");
        let e = Endpoint::parse("http://localhost:9001/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.host(), "localhost:9001");
        assert_eq!(e.addr, SocketAddr::from((Ipv4Addr::LOCALHOST, 9001)));
    }

    #[test]
    fn other_hosts_are_refused() {
        for url in [
            "http://10.0.0.1:9000",
            "http://example.com:9000",
            "http://0.0.0.0:9000",
            "http://[::1]:9000",
            "http://127.0.0.2:9000",
            "http://localhost.example.com:9000",
        ] {
            let err = Endpoint::parse(url)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("only 127.0.0.1 or localhost"), "{url}: {err}");
        }
    }

    #[test]
    fn https_paths_and_missing_ports_are_refused() {
        assert!(Endpoint::parse("https://127.0.0.1:9000").is_err());
        assert!(Endpoint::parse("http://127.0.0.1:9000/bucket").is_err());
        assert!(Endpoint::parse("http://127.0.0.1").is_err());
        assert!(Endpoint::parse("127.0.0.1:9000").is_err());
    }

    #[test]
    fn assume_role_is_a_form_post_signed_for_sts() {
        let creds = Arc::new(Credentials::new("AK", "SK", None));
        let client = S3Client::new(Endpoint::loopback(9000), creds, "us-east-1", "bench-bucket");
        let req = client
            .assume_role(Some(3600))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri().path(), "/");
        let body = b"Action=AssumeRole&Version=2011-06-15&DurationSeconds=3600";
        let h = req.headers();
        let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(get("content-type"), FORM_CONTENT_TYPE);
        assert_eq!(get("x-amz-content-sha256"), sigv4::hex_sha256(body));
        assert_eq!(get("content-length"), body.len().to_string());
        assert!(h.get("x-amz-security-token").is_none());
        let auth = get("authorization");
        assert!(auth.contains("/us-east-1/sts/aws4_request,"), "{auth}");
        assert!(
            auth.contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date,"),
            "{auth}"
        );
        let plain = client.assume_role(None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            plain
                .headers()
                .get("x-amz-content-sha256")
                .and_then(|v| v.to_str().ok()),
            Some(sigv4::hex_sha256(ASSUME_ROLE_FORM.as_bytes()).as_str())
        );
    }

    #[test]
    fn assume_role_naming_a_role_sends_its_arn_and_a_session_name() {
        let role = RoleSession {
            role_arn: "arn:aws:iam:::role/bench-role".to_owned(),
            session_name: "tessera-load".to_owned(),
        };
        let form = assume_role_form(Some(&role), None);
        assert_eq!(
            form,
            "Action=AssumeRole&Version=2011-06-15\
             &RoleArn=arn%3Aaws%3Aiam%3A%3A%3Arole%2Fbench-role&RoleSessionName=tessera-load"
        );
        assert_eq!(
            assume_role_form(Some(&role), Some(900)),
            format!("{form}&DurationSeconds=900")
        );
        assert_eq!(assume_role_form(None, None), ASSUME_ROLE_FORM);
        let creds = Arc::new(Credentials::new("AK", "SK", None));
        let client = S3Client::new(Endpoint::loopback(9000), creds, "us-east-1", "bench-bucket");
        let req = client
            .assume_role_naming(Some(&role), None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri().path(), "/");
        let h = req.headers();
        let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(get("content-type"), FORM_CONTENT_TYPE);
        assert_eq!(
            get("x-amz-content-sha256"),
            sigv4::hex_sha256(form.as_bytes())
        );
        assert_eq!(get("content-length"), form.len().to_string());
        assert!(get("authorization").contains("/us-east-1/sts/aws4_request,"));
        assert_eq!(
            format!("{:?}", req.body()),
            format!("{:?}", Full::new(Bytes::from(form)))
        );
    }

    #[test]
    fn web_identity_is_an_unsigned_form_post() {
        let form = web_identity_form("eyJh.eyJi.c2ln-_x");
        assert_eq!(
            &form[..],
            b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=eyJh.eyJi.c2ln-_x"
        );
        let req = unsigned_form_post(&Endpoint::loopback(9000), form.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri().path(), "/");
        let h = req.headers();
        let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(get("content-type"), FORM_CONTENT_TYPE);
        assert_eq!(get("content-length"), form.len().to_string());
        assert_eq!(get("host"), "127.0.0.1:9000");
        assert!(h.get(header::AUTHORIZATION).is_none());
        // Anything outside the JWT alphabet would be percent-encoded.
        assert!(web_identity_form("a+b").ends_with(b"WebIdentityToken=a%2Bb"));
    }

    #[test]
    fn ldap_identity_is_a_form_with_the_login_percent_encoded() {
        assert_eq!(
            &ldap_identity_form("alice", "alice-secret")[..],
            b"Action=AssumeRoleWithLDAPIdentity&Version=2011-06-15&LDAPUsername=alice\
              &LDAPPassword=alice-secret"
        );
        assert!(
            ldap_identity_form("frank,jr", "a&b=c d")
                .ends_with(b"LDAPUsername=frank%2Cjr&LDAPPassword=a%26b%3Dc%20d")
        );
    }

    #[test]
    fn assume_role_answers_are_read_by_string_search() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><Arn></Arn><AssumeRoleId></AssumeRoleId></AssumedRoleUser><Credentials><AccessKeyId>ASIAABCDEFGHIJKLMNOP</AccessKeyId><SecretAccessKey>s3cr&amp;t</SecretAccessKey><SessionToken>eyJh.eyJ.sig</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>"#;
        let issued = parse_assume_role(xml).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(issued.credentials.access_key(), "ASIAABCDEFGHIJKLMNOP");
        assert_eq!(issued.credentials.secret_key().expose(), "s3cr&t");
        assert_eq!(issued.credentials.session_token(), Some("eyJh.eyJ.sig"));
        assert_eq!(issued.expiration, "2030-01-01T00:00:00Z");
        let error = "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>";
        assert!(parse_assume_role(error).is_err());
        let partial = "<Credentials><AccessKeyId>ASIAX</AccessKeyId></Credentials>";
        assert!(parse_assume_role(partial).is_err());
    }

    #[test]
    fn signed_put_carries_the_payload_hash_and_token() {
        let creds = Arc::new(Credentials::new("AK", "SK", Some("TOKEN".into())));
        let client = S3Client::new(Endpoint::loopback(9000), creds, "us-east-1", "bench-bucket");
        let req = client
            .put_object("k 1", Bytes::from_static(b"hello"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.uri().path(), "/bench-bucket/k%201");
        let h = req.headers();
        assert_eq!(
            h.get("x-amz-content-sha256").and_then(|v| v.to_str().ok()),
            Some(sigv4::hex_sha256(b"hello").as_str())
        );
        assert_eq!(
            h.get("x-amz-security-token").and_then(|v| v.to_str().ok()),
            Some("TOKEN")
        );
        let auth = h
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AK/"));
        assert!(auth.contains("/us-east-1/s3/aws4_request,"));
        assert!(
            auth.contains(
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"
            )
        );
        assert_eq!(
            h.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()),
            Some("5")
        );
    }
}
