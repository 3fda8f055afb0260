//! Fetching a provider's JSON documents (discovery, JWKS, UserInfo with a bearer token) over
//! HTTP or HTTPS, with a timeout and a size cap, so a provider that hangs or floods cannot stall
//! or exhaust the server.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Largest document accepted (a JWKS with dozens of keys is a few KiB).
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Why a document could not be fetched.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("{url} is not a valid http(s) URL")]
    BadUrl { url: String },
    #[error("{url} did not answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("{url} could not be reached: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} is not a JSON document: {reason}")]
    NotJson { url: String, reason: String },
}

/// An HTTP(S) client for provider documents.
#[derive(Clone)]
pub struct Fetcher {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
    timeout: Duration,
}

impl Fetcher {
    /// A client trusting the system's root certificates, giving up after `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, String> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| format!("cannot load the system's root certificates: {e}"))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
        })
    }

    /// GETs `url` and parses it as JSON.
    pub async fn get_json(&self, url: &str) -> Result<serde_json::Value, FetchError> {
        self.get_json_as(url, None).await
    }

    /// GETs `url` with `Authorization: Bearer <token>` when a token is given (UserInfo), and
    /// parses it as JSON.
    pub async fn get_json_as(
        &self,
        url: &str,
        bearer: Option<&str>,
    ) -> Result<serde_json::Value, FetchError> {
        let uri: http::Uri = url
            .parse()
            .ok()
            .filter(|u: &http::Uri| matches!(u.scheme_str(), Some("http" | "https")))
            .ok_or_else(|| FetchError::BadUrl { url: url.into() })?;
        let mut request = http::Request::get(uri).header(http::header::ACCEPT, "application/json");
        if let Some(token) = bearer {
            request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(Empty::new())
            .map_err(|_| FetchError::BadUrl { url: url.into() })?;
        let work = async {
            let response =
                self.client
                    .request(request)
                    .await
                    .map_err(|e| FetchError::Unreachable {
                        url: url.into(),
                        reason: e.to_string(),
                    })?;
            if !response.status().is_success() {
                return Err(FetchError::Status {
                    url: url.into(),
                    status: response.status().as_u16(),
                });
            }
            let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
                .collect()
                .await
                .map_err(|e| FetchError::Unreachable {
                    url: url.into(),
                    reason: e.to_string(),
                })?
                .to_bytes();
            serde_json::from_slice(&body).map_err(|e| FetchError::NotJson {
                url: url.into(),
                reason: e.to_string(),
            })
        };
        tokio::time::timeout(self.timeout, work)
            .await
            .map_err(|_| FetchError::Timeout {
                url: url.into(),
                secs: self.timeout.as_secs(),
            })?
    }
}
