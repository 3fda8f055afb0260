//! The gate every S3 request passes after its signature was verified: anonymous requests and
//! Signature Version 2 are refused here (bucket policies and IAM come with their issues), and the
//! operation's name is recorded for the access log.

use std::sync::{Arc, OnceLock};

use s3s::S3Result;
use s3s::access::{S3Access, S3AccessContext};

/// Put into a request's extensions by the server; the gate fills in the S3 operation's name so
/// the access log can say what the request was.
#[derive(Clone, Default, Debug)]
pub struct OperationSlot(pub Arc<OnceLock<String>>);

/// The request-level access decision.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessGate;

/// True when the request is signed with AWS Signature Version 2 (header or presigned query).
fn is_sig_v2(cx: &S3AccessContext<'_>) -> bool {
    let header = cx
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS "));
    let query = cx.uri().query().is_some_and(|q| {
        q.split('&').any(|p| p.starts_with("AWSAccessKeyId="))
            && q.split('&').any(|p| p.starts_with("Signature="))
    });
    header || query
}

/// Characters XML 1.0 cannot carry: a key holding one could be stored but never listed.
fn unlistable_char(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

#[async_trait::async_trait]
impl S3Access for AccessGate {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let name = cx.s3_op().name().to_owned();
        if let Some(slot) = cx.extensions_mut().get::<OperationSlot>() {
            let _ = slot.0.set(name);
        }
        if is_sig_v2(cx) {
            return Err(s3s::s3_error!(
                InvalidRequest,
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
            ));
        }
        if let Some((_, key)) = cx.s3_path().as_object()
            && key.chars().any(unlistable_char)
        {
            return Err(s3s::s3_error!(
                InvalidArgument,
                "object keys must not contain NUL or control characters other than tab, newline and carriage return"
            ));
        }
        if cx.credentials().is_none() {
            return Err(s3s::s3_error!(
                AccessDenied,
                "anonymous requests are not allowed: sign the request with an access key (AWS Signature Version 4)"
            ));
        }
        Ok(())
    }
}
