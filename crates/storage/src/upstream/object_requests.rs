//! GetObject, HeadObject and PutObject, the gateway's hot path, sent to the cluster with hyper
//! directly and signed with Tessera's own SigV4 (`tessera-sigv4`) instead of through the AWS
//! SDK: on a 4 KiB GET the SDK's per-request machinery (interceptors, configuration layers,
//! endpoint rules, its signer) took half of the node's CPU (BENCHMARKS.md, bench-gateway).
//! Everything else (listings, multipart, buckets, deletes) still goes through the SDK.
//!
//! The same promises as the SDK path: keep-alive connections to the cluster; a bound on
//! connecting and on each wait for the cluster (the head of a GET's or HEAD's answer and every
//! piece of its body; a PUT's answer once its body has been sent whole, since a large body
//! from a slow client may take any time); the cluster's error codes mapped as
//! `error::code_error` maps them; a body cut short surfacing as a failed read (hyper checks
//! `Content-Length`); an upload's body sent unsigned (`UNSIGNED-PAYLOAD`, as the SDK path sent
//! it: the node has checked it against the writer's promises on the way, see `body`); and
//! nothing of the client's request (its signature, its session token) in what is sent.

use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt as _, stream};
use http::header::{self, HeaderMap};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Empty, Limited, StreamBody};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tessera_sigv4::{self as sigv4, Credentials, Scope, Unsigned};

use crate::ObjectRead;
use crate::error::{StorageError, StorageResult};
use crate::types::{BodyStream, BoxError, ObjectAttributes, ObjectInfo, RangeRequest};

use super::body::UploadFrames;
use super::error::code_error;
use super::{UpstreamOptions, content_range, etag, parts_of, range_header, split_metadata};

/// Largest error answer read to find its `<Code>`.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// The payload hash of a body sent without its own signature.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// A request body: empty, or an upload's verified frames.
type RequestBody = BoxBody<Bytes, BoxError>;

fn empty_body() -> RequestBody {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed()
}

/// The client of the hot path.
pub(super) struct ObjectRequests {
    http: Client<hyper_rustls::HttpsConnector<HttpConnector>, RequestBody>,
    /// `http(s)://host:port` of the cluster, without a trailing `/`.
    base: String,
    /// The `Host` header, exactly as sent and signed.
    host: String,
    credentials: Credentials,
    scope: Scope,
    timeout: Duration,
}

impl ObjectRequests {
    /// A client for the cluster at `options.endpoint` (`http` or `https` with the system's
    /// roots, as the SDK path trusts them).
    pub(super) fn new(options: &UpstreamOptions) -> Result<Self, String> {
        let uri: Uri = options
            .endpoint
            .parse()
            .map_err(|e| format!("upstream endpoint `{}`: {e}", options.endpoint))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(format!(
                "upstream endpoint `{}` needs a scheme and a host",
                options.endpoint
            ));
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(options.timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| format!("cannot load the system's root certificates: {e}"))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            http: Client::builder(TokioExecutor::new()).build(connector),
            base: format!("{scheme}://{authority}"),
            host: authority.as_str().to_owned(),
            credentials: Credentials::new(
                options.access_key.clone(),
                options.secret_key.as_str(),
                None,
            ),
            scope: Scope::s3(&options.region),
            timeout: options.timeout,
        })
    }

    pub(super) async fn head(
        &self,
        upstream_bucket: &str,
        bucket: &str,
        key: &str,
    ) -> StorageResult<ObjectInfo> {
        let response = self.send(Method::HEAD, upstream_bucket, key, &[]).await?;
        if !response.status().is_success() {
            return Err(self.refusal(response, bucket, key).await);
        }
        let size = content_length(response.headers());
        Ok(object_info(response.headers(), key, size))
    }

    pub(super) async fn get(
        &self,
        upstream_bucket: &str,
        bucket: &str,
        key: &str,
        range: Option<RangeRequest>,
    ) -> StorageResult<ObjectRead> {
        let range = range.map(range_header);
        let headers: Vec<(&str, &str)> = range.iter().map(|r| ("range", r.as_str())).collect();
        let response = self
            .send(Method::GET, upstream_bucket, key, &headers)
            .await?;
        if !response.status().is_success() {
            return Err(self.refusal(response, bucket, key).await);
        }
        let headers = response.headers();
        let served = headers
            .get(header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(content_range);
        let size = match served {
            Some((_, size)) => size,
            None => content_length(headers),
        };
        let info = object_info(headers, key, size);
        Ok(ObjectRead {
            info,
            range: served.map(|(r, _)| r),
            body: body_stream(response.into_body(), self.timeout),
        })
    }

    /// Stores `body` (an upload's verified frames, or `None` for an empty object) as `key`
    /// with `headers` (content attributes and `x-amz-meta-*`), and returns the cluster's
    /// answer: its `ETag` header, or why it refused.
    pub(super) async fn put(
        &self,
        upstream_bucket: &str,
        bucket: &str,
        key: &str,
        headers: &[(&str, &str)],
        length: Option<u64>,
        body: Option<UploadFrames>,
    ) -> StorageResult<Option<String>> {
        let (ended, body_sent) = tokio::sync::oneshot::channel();
        let body = match body {
            Some(frames) => BoxBody::new(StreamBody::new(telling_its_end(frames, ended))),
            None => {
                let _ = ended.send(());
                empty_body()
            }
        };
        let mut request = self.signed(Method::PUT, upstream_bucket, key, headers, UNSIGNED_PAYLOAD);
        if let Some(length) = length {
            request = request.header(header::CONTENT_LENGTH, length);
        }
        let request = request.body(body).map_err(unbuildable)?;
        // No bound while the body is on its way (it comes at the client's pace); once it has
        // been sent whole, the cluster has `timeout` to answer.
        let answer_late = async {
            let _ = body_sent.await;
            tokio::time::sleep(self.timeout).await;
        };
        let response = tokio::select! {
            sent = self.http.request(request) => sent.map_err(unreachable)?,
            () = answer_late => return Err(late()),
        };
        if !response.status().is_success() {
            return Err(self.refusal(response, bucket, key).await);
        }
        Ok(header_str(response.headers(), header::ETAG.as_str()).map(str::to_owned))
    }

    /// Signs and sends a bodiless request for `key` in `upstream_bucket` (path style), and
    /// waits for the head of the answer.
    async fn send(
        &self,
        method: Method,
        upstream_bucket: &str,
        key: &str,
        headers: &[(&str, &str)],
    ) -> StorageResult<Response<Incoming>> {
        let request = self
            .signed(method, upstream_bucket, key, headers, sigv4::EMPTY_SHA256)
            .body(empty_body())
            .map_err(unbuildable)?;
        match tokio::time::timeout(self.timeout, self.http.request(request)).await {
            Ok(sent) => sent.map_err(unreachable),
            Err(_) => Err(late()),
        }
    }

    /// The request for `key` in `upstream_bucket` (path style), signed with `headers`
    /// (which it carries) and the payload hash; the caller adds what is sent unsigned and the
    /// body.
    fn signed(
        &self,
        method: Method,
        upstream_bucket: &str,
        key: &str,
        headers: &[(&str, &str)],
        payload_sha256: &str,
    ) -> http::request::Builder {
        let path = format!(
            "/{}/{}",
            sigv4::uri_encode(upstream_bucket, false),
            sigv4::uri_encode(key, true)
        );
        let date = sigv4::amz_date(time::OffsetDateTime::now_utc());
        let added = sigv4::sign(
            &self.credentials,
            &self.scope,
            &date,
            &Unsigned {
                method: method.as_str(),
                path: &path,
                query: &[],
                host: &self.host,
                headers,
                payload_sha256,
            },
        );
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(header::HOST, &self.host);
        for &(name, value) in headers {
            request = request.header(name, value);
        }
        for (name, value) in added {
            request = request.header(name, value);
        }
        request
    }

    /// What a non-2xx answer means: the `<Code>` of its XML body, or for a HEAD (which has
    /// none) the code its status stands for.
    async fn refusal(&self, response: Response<Incoming>, bucket: &str, key: &str) -> StorageError {
        let status = response.status();
        let read = Limited::new(response.into_body(), MAX_ERROR_BODY).collect();
        let body = match tokio::time::timeout(self.timeout, read).await {
            Ok(Ok(body)) => body.to_bytes(),
            _ => Bytes::new(),
        };
        let text = String::from_utf8_lossy(&body);
        let code = xml_element(&text, "Code").unwrap_or_else(|| status_code_name(status));
        let message = xml_element(&text, "Message").unwrap_or_default();
        code_error(code, message, bucket, key, || {
            format!("the upstream answered HTTP {status} without an S3 error code")
        })
    }
}

fn unbuildable(e: http::Error) -> StorageError {
    StorageError::Upstream(format!("cannot build the upstream request: {e}"))
}

fn unreachable(e: hyper_util::client::legacy::Error) -> StorageError {
    StorageError::Upstream(format!("the upstream S3 cluster cannot be reached: {e}"))
}

fn late() -> StorageError {
    StorageError::Upstream("the upstream S3 cluster did not answer in time".into())
}

/// `frames`, telling `ended` once the last of them has been taken (or the body failed).
fn telling_its_end(frames: UploadFrames, ended: tokio::sync::oneshot::Sender<()>) -> UploadFrames {
    Box::pin(stream::unfold(
        (frames, Some(ended)),
        |(mut frames, mut ended)| async move {
            let next = frames.next().await;
            if matches!(next, None | Some(Err(_)))
                && let Some(ended) = ended.take()
            {
                let _ = ended.send(());
            }
            next.map(|item| (item, (frames, ended)))
        },
    ))
}

/// The text of the first `<name>…</name>` in `xml`.
fn xml_element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].trim())
}

/// The S3 code a bodiless refusal stands for (what the SDK reports for a HEAD).
fn status_code_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "NotFound",
        403 => "Forbidden",
        412 => "PreconditionFailed",
        416 => "InvalidRange",
        _ => "",
    }
}

fn content_length(headers: &HeaderMap) -> u64 {
    header_str(headers, header::CONTENT_LENGTH.as_str())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_default()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    header_str(headers, name.as_str()).map(str::to_owned)
}

fn http_date_millis(text: &str) -> Option<i64> {
    aws_sdk_s3::primitives::DateTime::from_str(
        text,
        aws_sdk_s3::primitives::DateTimeFormat::HttpDate,
    )
    .ok()
    .and_then(|t| t.to_millis().ok())
}

/// The object as the answer's headers describe it.
fn object_info(headers: &HeaderMap, key: &str, size: u64) -> ObjectInfo {
    let (user_metadata, checksums) = split_metadata(headers.iter().filter_map(|(name, value)| {
        let name = name.as_str().strip_prefix("x-amz-meta-")?;
        Some((name, String::from_utf8_lossy(value.as_bytes()).into_owned()))
    }));
    let etag = etag(header_str(headers, header::ETAG.as_str()));
    ObjectInfo {
        key: key.to_owned(),
        size,
        parts_count: parts_of(&etag),
        etag,
        last_modified: header_str(headers, header::LAST_MODIFIED.as_str())
            .and_then(http_date_millis)
            .unwrap_or_default(),
        attributes: ObjectAttributes {
            content_type: header_string(headers, header::CONTENT_TYPE),
            content_encoding: header_string(headers, header::CONTENT_ENCODING),
            content_disposition: header_string(headers, header::CONTENT_DISPOSITION),
            content_language: header_string(headers, header::CONTENT_LANGUAGE),
            cache_control: header_string(headers, header::CACHE_CONTROL),
            expires: header_str(headers, header::EXPIRES.as_str()).and_then(http_date_millis),
            user_metadata,
        },
        checksums,
    }
}

/// The answer's body as the frontend streams it, each wait for the cluster bounded.
fn body_stream(body: Incoming, timeout: Duration) -> BodyStream {
    Box::pin(stream::unfold(Some(body), move |state| async move {
        let mut body = state?;
        loop {
            match tokio::time::timeout(timeout, body.frame()).await {
                Err(_) => {
                    let e: BoxError = "the upstream S3 cluster stopped sending the object".into();
                    return Some((Err(e), None));
                }
                Ok(None) => return None,
                Ok(Some(Err(e))) => return Some((Err(Box::new(e) as BoxError), None)),
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        return Some((Ok(data), Some(body)));
                    }
                    // Trailers: nothing the client is sent.
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn headers_describe_the_object() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("etag", "\"0123456789abcdef0123456789abcdef-3\""),
            ("last-modified", "Sun, 29 Nov 2026 15:00:00 GMT"),
            ("content-type", "text/plain"),
            ("cache-control", "no-cache"),
            ("expires", "Mon, 30 Nov 2026 00:00:00 GMT"),
            ("x-amz-meta-colour", "blue"),
            ("x-amz-meta-tessera-checksum-crc32", "AAAAAA=="),
        ] {
            headers.insert(
                header::HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let info = object_info(&headers, "k", 7);
        assert_eq!(info.etag, "0123456789abcdef0123456789abcdef-3");
        assert_eq!(info.parts_count, Some(3));
        assert_eq!(info.last_modified, 1_795_964_400_000);
        assert_eq!(info.attributes.content_type.as_deref(), Some("text/plain"));
        assert_eq!(info.attributes.cache_control.as_deref(), Some("no-cache"));
        assert_eq!(info.attributes.expires, Some(1_795_996_800_000));
        assert_eq!(
            info.attributes
                .user_metadata
                .get("colour")
                .map(String::as_str),
            Some("blue")
        );
        assert_eq!(info.attributes.user_metadata.len(), 1);
        assert_eq!(info.checksums.len(), 1);
    }

    #[tokio::test]
    async fn an_upload_body_tells_when_it_has_been_taken_whole() {
        let frames: UploadFrames = Box::pin(stream::iter([
            Ok(hyper::body::Frame::data(Bytes::from_static(b"ab"))),
            Ok(hyper::body::Frame::data(Bytes::from_static(b"cd"))),
        ]));
        let (ended, mut body_sent) = tokio::sync::oneshot::channel();
        let mut body = telling_its_end(frames, ended);
        assert!(body.next().await.is_some());
        assert!(body.next().await.is_some());
        assert!(body_sent.try_recv().is_err(), "told before the end");
        assert!(body.next().await.is_none());
        assert!(body_sent.try_recv().is_ok());
    }

    #[test]
    fn error_answers_are_read_by_their_code() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>\
                   <Message>gone</Message></Error>";
        assert_eq!(xml_element(xml, "Code"), Some("NoSuchKey"));
        assert_eq!(xml_element(xml, "Message"), Some("gone"));
        assert_eq!(xml_element("<<this is not S3 XML>>", "Code"), None);
        assert_eq!(status_code_name(StatusCode::NOT_FOUND), "NotFound");
        assert_eq!(status_code_name(StatusCode::BAD_GATEWAY), "");
    }
}
