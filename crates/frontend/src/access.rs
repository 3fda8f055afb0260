//! The gate every S3 request passes after its signature was verified: anonymous requests and
//! Signature Version 2 are refused, keys XML cannot carry are refused, the caller's policies
//! must allow the operation's action on its resource (see `authorize`), and the operation's
//! name is recorded for the access log. The caller's account is left in the request's
//! extensions for handlers that check more than one resource (DeleteObjects, copies).

use std::sync::{Arc, OnceLock};

use s3s::S3Result;
use s3s::access::{S3Access, S3AccessContext};
use tessera_iam::{Account, is_temporary_key};

use crate::authorize::{Authorizer, ClientInfo, RequestFacts, Target, action_of, resource_arn};
use crate::session::{session_token, signed_account};

/// The verified caller of a request, for handlers that authorise more than the gate did.
#[derive(Debug, Clone)]
pub struct CallerAccount(pub Account);

/// Put into a request's extensions by the server; the gate fills in the S3 operation's name so
/// the access log can say what the request was.
#[derive(Clone, Default, Debug)]
pub struct OperationSlot(pub Arc<OnceLock<String>>);

/// The request-level access decision.
#[derive(Clone)]
pub struct AccessGate {
    authorizer: Authorizer,
}

impl AccessGate {
    #[must_use]
    pub fn new(authorizer: Authorizer) -> Self {
        Self { authorizer }
    }
}

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
            let _ = slot.0.set(name.clone());
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
        if name == "PostObject"
            && cx
                .credentials()
                .is_some_and(|c| is_temporary_key(&c.access_key))
        {
            return Err(s3s::s3_error!(
                InvalidRequest,
                "POST Object uploads cannot carry a session token, so temporary credentials cannot sign them: upload with PUT or a presigned URL instead"
            ));
        }
        let Some((action, target)) = action_of(&name) else {
            return Err(s3s::s3_error!(
                NotImplemented,
                "the operation {name} is not supported"
            ));
        };
        // Anonymous requests get only what a bucket policy grants to everyone.
        let token = session_token(cx.headers(), cx.uri().query());
        let account = match cx.credentials() {
            Some(credentials) => Some(signed_account(
                self.authorizer.iam(),
                &credentials.access_key,
                token.as_deref(),
            )?),
            None if token.is_some() => {
                return Err(s3s::s3_error!(
                    AccessDenied,
                    "a session token was sent without an access key: sign the request with the temporary credentials"
                ));
            }
            None => None,
        };
        let client = cx.extensions_mut().get::<ClientInfo>().copied();
        let (bucket, key) = match cx.s3_path() {
            s3s::path::S3Path::Root => (None, None),
            s3s::path::S3Path::Bucket { bucket } => (Some(&**bucket), None),
            s3s::path::S3Path::Object { bucket, key } => (Some(&**bucket), Some(&**key)),
        };
        let owner = matches!(account, Some(Account::Root));
        if (owner || target == Target::EachKey)
            && let Some(account) = account
        {
            // The owner may do everything, and per-key operations are decided by their handler.
            cx.extensions_mut().insert(CallerAccount(account));
            return Ok(());
        }
        let resource = match target {
            Target::Account => resource_arn(None, None),
            Target::Bucket => resource_arn(bucket, None),
            Target::Object | Target::EachKey => resource_arn(bucket, key),
        };
        let facts = RequestFacts {
            headers: cx.headers(),
            query: cx.uri().query(),
            client: client.as_ref(),
            operation: &name,
        };
        if let Err(denied) =
            self.authorizer
                .require(account.as_ref(), bucket, action, &resource, &facts)
        {
            return Err(match account {
                Some(_) => denied,
                None => s3s::s3_error!(
                    AccessDenied,
                    "anonymous requests are not allowed here: sign the request with an access key (AWS Signature Version 4)"
                ),
            });
        }
        if let Some(account) = account {
            cx.extensions_mut().insert(CallerAccount(account));
        }
        Ok(())
    }
}
