//! The route that carries MinIO's admin API: `/minio/admin/v3/…` is matched before S3's path
//! rules, s3s verifies the SigV4 signature (service `s3`, any region), and the call goes to
//! `tessera_admin::AdminApi` with the verified caller.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, Uri};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result, s3_error};
use tessera_admin::{AdminApi, AdminRequest};
use tessera_iam::{KeyLookup, is_temporary_key};
use tessera_storage::ObjectBackend;

use crate::authorize::{Authorizer, query_pairs};
use crate::session::{session_token, signed_account};
use crate::sts_route::{StsRoute, is_sts_request};

/// Prefix of every admin call.
pub const ADMIN_PREFIX: &str = "/minio/admin/v3/";
/// Largest admin request body: policies are at most 20 KiB, everything else is smaller.
const MAX_ADMIN_BODY: usize = 256 * 1024;

/// Routes admin calls to the admin API.
pub struct AdminRoute {
    api: AdminApi,
    authorizer: Authorizer,
}

impl AdminRoute {
    #[must_use]
    pub fn new(api: AdminApi, authorizer: Authorizer) -> Self {
        Self { api, authorizer }
    }
}

/// The buckets `accountinfo` reports, from the object backend.
pub struct BackendBuckets(pub Arc<dyn ObjectBackend>);

#[async_trait::async_trait]
impl tessera_admin::BucketDirectory for BackendBuckets {
    async fn buckets(&self) -> Result<Vec<(String, i64)>, String> {
        let buckets = self.0.list_buckets().await.map_err(|e| e.to_string())?;
        Ok(buckets
            .into_iter()
            .map(|b| (b.name, b.created / 1000))
            .collect())
    }
}

/// The composite route s3s is given: the admin API and the STS endpoint.
pub struct Routes {
    pub admin: AdminRoute,
    pub sts: Arc<StsRoute>,
}

#[async_trait::async_trait]
impl S3Route for Routes {
    fn is_match(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &http::HeaderMap,
        _extensions: &mut http::Extensions,
    ) -> bool {
        uri.path().starts_with(ADMIN_PREFIX) || is_sts_request(method, uri, headers)
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        // STS takes unsigned requests (and answers them itself); admin calls must be signed.
        if req.credentials.is_none() && req.uri.path().starts_with(ADMIN_PREFIX) {
            return Err(s3_error!(
                AccessDenied,
                "admin calls must be signed with an access key"
            ));
        }
        Ok(())
    }

    async fn call(&self, req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        if req.uri.path().starts_with(ADMIN_PREFIX) {
            self.admin.call(req).await
        } else {
            self.sts.call(req).await
        }
    }
}

impl AdminRoute {
    async fn call(&self, mut req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let Some(credentials) = req.credentials.take() else {
            return Err(s3_error!(
                AccessDenied,
                "admin calls must be signed with an access key"
            ));
        };
        let iam = self.authorizer.iam();
        let token = session_token(&req.headers, req.uri.query());
        let account = signed_account(iam, &credentials.access_key, token.as_deref())?;
        let secret = if is_temporary_key(&credentials.access_key) {
            iam.temporary_secret(&credentials.access_key)
        } else {
            match iam.lookup(&credentials.access_key) {
                KeyLookup::Active { secret, .. } => Some(secret),
                _ => None,
            }
        };
        let Some(secret) = secret else {
            return Err(s3_error!(
                InvalidAccessKeyId,
                "the access key is not active"
            ));
        };
        let body: Bytes = req
            .input
            .store_all_limited(MAX_ADMIN_BODY)
            .await
            .map_err(|_| {
                s3_error!(
                    EntityTooLarge,
                    "admin request bodies are limited to {MAX_ADMIN_BODY} bytes"
                )
            })?;
        let command = req.uri.path()[ADMIN_PREFIX.len()..].to_owned();
        let response = self
            .api
            .handle(AdminRequest {
                method: req.method.as_str().to_owned(),
                command,
                query: query_pairs(req.uri.query().unwrap_or_default()),
                body,
                caller: account,
                caller_key: credentials.access_key,
                caller_secret: secret,
            })
            .await;
        let mut out = S3Response::with_status(
            Body::from(Bytes::from(response.body)),
            StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
        out.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(response.content_type),
        );
        Ok(out)
    }
}
