//! The STS endpoint on the S3 listener: `POST /` with a form body or `Action=` in the query.
//! s3s has verified the signature, if any (service `sts`, payload hashed from the body when
//! the client sends no `x-amz-content-sha256`); this route resolves the caller (temporary
//! keys with their session token), caps the body, and hands the parts to `tessera_sts`.
//! Failures s3s reports before the route runs (a bad signature, a stale date) come back as S3
//! errors; [`sts_error_envelope`] turns them into STS envelopes so STS clients can read them.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use s3s::{Body, S3Request, S3Response, S3Result};
use std::sync::Arc;
use tessera_iam::IamSystem;
use tessera_sts::{Caller, Sts, StsError, StsErrorCode, StsRequest, StsResponse, error_response};

use crate::session::{session_token, signed_account};

/// Largest STS form body (a session policy is at most 2 KiB once normalised; ID tokens can be
/// a few KiB).
pub const MAX_STS_BODY: usize = 64 * 1024;

/// The request id the server gave a request, for STS bodies that carry it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Marks a response as an STS answer (not to be rewritten).
#[derive(Debug, Clone, Copy)]
struct StsAnswer;

/// Whether a request is for STS: `POST /` with a form body, or with `Action=` in the query.
#[must_use]
pub fn is_sts_request(method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    if method != Method::POST || uri.path() != "/" {
        return false;
    }
    let form = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            starts_with_ignoring_case(
                v.trim_start().as_bytes(),
                b"application/x-www-form-urlencoded",
            )
        });
    form || uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("Action=")))
}

/// Whether an STS request carries no signature of any kind s3s checks: no `Authorization`
/// header, no presigned-URL parameter (`X-Amz-…`, `AWSAccessKeyId`, `Signature`) in the query,
/// and not a multipart form (a browser POST upload carries its signature in the body).
#[must_use]
pub fn is_unsigned_sts_request(method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    if !is_sts_request(method, uri, headers) || headers.contains_key(http::header::AUTHORIZATION) {
        return false;
    }
    let multipart = headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| starts_with_ignoring_case(v.as_bytes().trim_ascii_start(), b"multipart/"));
    let presigned = uri.query().is_some_and(|q| {
        q.split('&').any(|pair| {
            let key = pair.split_once('=').map_or(pair, |(k, _)| k).as_bytes();
            (starts_with_ignoring_case(key, b"x-amz-")
                && !key.eq_ignore_ascii_case(b"X-Amz-Security-Token"))
                || key == b"AWSAccessKeyId"
                || key == b"Signature"
        })
    });
    !multipart && !presigned
}

fn starts_with_ignoring_case(text: &[u8], prefix: &[u8]) -> bool {
    text.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// Routes STS requests to `tessera_sts`.
pub struct StsRoute {
    sts: Sts,
    iam: Arc<IamSystem>,
}

impl StsRoute {
    #[must_use]
    pub fn new(sts: Sts, iam: Arc<IamSystem>) -> Self {
        Self { sts, iam }
    }

    pub(crate) async fn call(&self, mut req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let request_id = req
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let caller = req.credentials.as_ref().map(|c| {
            let token = session_token(&req.headers, req.uri.query());
            let (region, service) = signature_scope(&req.headers, req.uri.query());
            signed_account(&self.iam, &c.access_key, token.as_deref())
                .map(|account| Caller {
                    account,
                    access_key: c.access_key.clone(),
                    service,
                    region,
                })
                .map_err(|e| {
                    e.message()
                        .unwrap_or("the signing key was refused")
                        .to_owned()
                })
        });
        let answer = self
            .answer(&req.uri, &req.headers, &mut req.input, caller, &request_id)
            .await;
        Ok(xml(answer))
    }

    /// Answers an STS request that [`is_unsigned_sts_request`] accepted, without s3s: the
    /// caller is anonymous, and the answer is the one [`StsRoute::call`] would give.
    pub async fn call_unsigned(
        &self,
        req: http::Request<Body>,
        request_id: &str,
    ) -> http::Response<Body> {
        let (parts, mut body) = req.into_parts();
        let answer = self
            .answer(&parts.uri, &parts.headers, &mut body, None, request_id)
            .await;
        let mut response = http::Response::new(Body::from(answer.body));
        *response.status_mut() = answer_status(answer.status);
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        );
        response
    }

    /// Reads the form body (at most [`MAX_STS_BODY`]) and lets `tessera_sts` answer.
    async fn answer(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        body: &mut Body,
        caller: Option<Result<Caller, String>>,
        request_id: &str,
    ) -> StsResponse {
        let body: Bytes = match body.store_all_limited(MAX_STS_BODY).await {
            Ok(body) => body,
            Err(_) => {
                let e = StsError::invalid(format!(
                    "the STS request body is larger than {MAX_STS_BODY} bytes"
                ));
                return error_response(&e, request_id);
            }
        };
        let has_session_token = session_token(headers, uri.query()).is_some();
        self.sts
            .handle(&StsRequest {
                query: uri.query(),
                body: &body,
                caller,
                has_session_token,
                request_id,
            })
            .await
    }
}

/// The region and service of a SigV4 signature's credential scope
/// (`Credential=AK/DATE/REGION/SERVICE/aws4_request`, header or presigned query).
fn signature_scope(headers: &HeaderMap, query: Option<&str>) -> (String, String) {
    let credential = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .map(|rest| rest.split([',', ' ']).next().unwrap_or_default().to_owned())
        .or_else(|| {
            query?.split('&').find_map(|p| {
                let v = p.strip_prefix("X-Amz-Credential=")?;
                Some(
                    percent_encoding::percent_decode_str(v)
                        .decode_utf8_lossy()
                        .into_owned(),
                )
            })
        })
        .unwrap_or_default();
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [.., region, service, "aws4_request"] => ((*region).to_owned(), (*service).to_owned()),
        _ => (String::new(), String::new()),
    }
}

fn xml(answer: StsResponse) -> S3Response<Body> {
    let mut out = S3Response::with_status(Body::from(answer.body), answer_status(answer.status));
    out.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    out.extensions.insert(StsAnswer);
    out
}

fn answer_status(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Rewrites an S3 error that s3s answered to an STS request (before the STS route ran) as an
/// STS error envelope: request problems as `InvalidParameterValue` (400), authentication
/// failures as `AccessDenied` (403), as MinIO reports them. Other responses pass unchanged.
pub async fn sts_error_envelope(
    response: http::Response<Body>,
    request_id: &str,
) -> http::Response<Body> {
    if response.status().as_u16() < 400 || response.extensions().get::<StsAnswer>().is_some() {
        return response;
    }
    // An authentication failure of a signed STS request is AccessDenied, as MinIO answers;
    // a malformed request is InvalidParameterValue.
    let (mut parts, mut body) = response.into_parts();
    let text = body.store_all_limited(64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].to_owned())
    };
    let code = element("Code").unwrap_or_default();
    let message = element("Message")
        .map(|m| {
            m.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| match code.as_str() {
            "SignatureDoesNotMatch" => "the request signature does not match the one computed with this access key's secret: check the secret key and sign for service `sts`".to_owned(),
            "InvalidAccessKeyId" => "the access key you signed with is not known to this server".to_owned(),
            "RequestTimeTooSkewed" => "the request's time is too far from the server's: check the client's clock".to_owned(),
            other => format!("the request was refused ({other})"),
        });
    let unsigned_payload = message.contains("x-amz-content-sha256");
    let message = if unsigned_payload {
        format!(
            "{message}: an S3-style signature needs it; sign STS requests for service `sts`, whose payload hash the server computes"
        )
    } else {
        message
    };
    let sts_code = match code.as_str() {
        _ if unsigned_payload => StsErrorCode::AccessDenied,
        "InvalidRequest"
        | "EntityTooLarge"
        | "InvalidArgument"
        | "MalformedXML"
        | "MissingContentLength"
        | "IncompleteBody" => StsErrorCode::InvalidParameterValue,
        "InternalError" | "" => StsErrorCode::InternalError,
        _ => StsErrorCode::AccessDenied,
    };
    let answer = error_response(&StsError::new(sts_code, message), request_id);
    parts.status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::FORBIDDEN);
    parts.headers.remove(http::header::CONTENT_LENGTH);
    parts.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    http::Response::from_parts(parts, Body::from(answer.body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sts_requests_are_form_posts_to_the_root_or_carry_an_action() {
        let form = {
            let mut h = HeaderMap::new();
            h.insert(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=utf-8"
                    .parse()
                    .unwrap(),
            );
            h
        };
        let none = HeaderMap::new();
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert!(is_sts_request(&Method::POST, &uri("/"), &form));
        assert!(is_sts_request(
            &Method::POST,
            &uri("/?Action=AssumeRoleWithLDAPIdentity&Version=2011-06-15"),
            &none
        ));
        assert!(!is_sts_request(&Method::POST, &uri("/"), &none));
        assert!(!is_sts_request(&Method::GET, &uri("/"), &form));
        assert!(!is_sts_request(&Method::POST, &uri("/bucket"), &form));
    }

    #[test]
    fn only_sts_requests_without_any_signature_skip_s3s() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (name, value) in pairs {
                h.insert(*name, HeaderValue::from_static(value));
            }
            h
        };
        let form = ("content-type", "application/x-www-form-urlencoded");
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        let unsigned = |u: &str, h: &HeaderMap| is_unsigned_sts_request(&Method::POST, &uri(u), h);
        assert!(unsigned("/", &headers(&[form])));
        assert!(unsigned(
            "/?Action=AssumeRoleWithWebIdentity&WebIdentityToken=t",
            &HeaderMap::new()
        ));
        // A session token alone is no signature; the STS answers it as it would through s3s.
        assert!(unsigned(
            "/?Action=AssumeRoleWithLDAPIdentity&X-Amz-Security-Token=t",
            &HeaderMap::new()
        ));
        assert!(!unsigned(
            "/",
            &headers(&[form, ("authorization", "AWS4-HMAC-SHA256 Credential=x")])
        ));
        for presigned in [
            "/?Action=AssumeRole&X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "/?Action=AssumeRole&x-amz-credential=AK",
            "/?Action=AssumeRole&X-Amz-Signature",
            "/?Action=AssumeRole&AWSAccessKeyId=AK&Signature=s",
        ] {
            assert!(!unsigned(presigned, &HeaderMap::new()), "{presigned}");
        }
        assert!(!unsigned(
            "/?Action=AssumeRoleWithWebIdentity",
            &headers(&[("content-type", " Multipart/Form-Data; boundary=x")])
        ));
        assert!(!unsigned("/bucket", &headers(&[form])));
        assert!(!is_unsigned_sts_request(
            &Method::GET,
            &uri("/"),
            &headers(&[form])
        ));
    }

    #[test]
    fn scope_comes_from_the_authorization_header_or_the_query() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=AK/20261129/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=x"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            signature_scope(&h, None),
            ("us-east-1".to_owned(), "sts".to_owned())
        );
        assert_eq!(
            signature_scope(
                &HeaderMap::new(),
                Some("X-Amz-Credential=AK%2F20261129%2F%2Fs3%2Faws4_request")
            ),
            (String::new(), "s3".to_owned())
        );
    }
}
