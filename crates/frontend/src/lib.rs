//! The S3 face of Tessera and the only crate that names `s3s`: request authentication
//! (`KeyStore` answers s3s's secret lookups), the access gate every request passes, and the `S3`
//! trait implemented over a `storage::ObjectBackend`. Each S3 feature lives in its own file.

#![forbid(unsafe_code)]

mod access;
mod admin_route;
mod auth;
mod authorize;
mod bucket_policy;
mod buckets;
mod convert;
mod error;
mod listing;
mod multipart;
mod objects;
mod s3;
mod session;
mod sts_route;

use std::sync::Arc;

use s3s::service::{S3Service, S3ServiceBuilder};
use tessera_iam::IamSystem;
use tessera_idp::ldap::LdapDirectory;
use tessera_idp::openid::Providers;
use tessera_storage::ObjectBackend;
use tessera_sts::Sts;

pub use access::{AccessGate, CallerAccount, OperationSlot};
pub use auth::KeyStore;
pub use authorize::{Authorizer, ClientInfo, RequestFacts, request_conditions};
pub use error::FrontendError;
pub use session::{SESSION_TOKEN, session_token};
pub use sts_route::{
    MAX_STS_BODY, RequestId, StsRoute, is_sts_request, is_unsigned_sts_request, sts_error_envelope,
};
pub use tessera_sts::{DurationBounds as StsDurationBounds, StsConfig};

/// Limits the frontend enforces on top of s3s.
#[derive(Debug, Clone)]
pub struct FrontendOptions {
    /// Largest object body accepted by a single PUT or part upload.
    pub max_object_size: u64,
    /// The region this server reports (`MINIO_REGION`); unset means `us-east-1`.
    pub region: Option<String>,
    /// STS settings (durations, the region AssumeRole signatures must name).
    pub sts: StsConfig,
    /// The OpenID providers of AssumeRoleWithWebIdentity and AssumeRoleWithClientGrants.
    pub openid: Arc<Providers>,
    /// The LDAP directory of AssumeRoleWithLDAPIdentity and the DN mappings, if configured.
    pub ldap: Option<Arc<LdapDirectory>>,
}

impl Default for FrontendOptions {
    fn default() -> Self {
        Self {
            max_object_size: 5 * 1024 * 1024 * 1024,
            region: None,
            sts: StsConfig::default(),
            openid: Arc::new(Providers::none()),
            ldap: None,
        }
    }
}

/// The S3 implementation handed to s3s.
#[derive(Clone)]
pub struct Tessera {
    backend: Arc<dyn ObjectBackend>,
    authorizer: Authorizer,
    options: FrontendOptions,
}

impl Tessera {
    #[must_use]
    pub fn new(
        backend: Arc<dyn ObjectBackend>,
        authorizer: Authorizer,
        options: FrontendOptions,
    ) -> Self {
        Self {
            backend,
            authorizer,
            options,
        }
    }
}

/// What the server routes requests to.
pub struct Frontend {
    /// Every S3, admin and signed STS request.
    pub s3: S3Service,
    /// The STS endpoint, also reached directly by unsigned STS requests
    /// ([`is_unsigned_sts_request`]).
    pub sts: Arc<StsRoute>,
}

/// Builds the s3s service (the S3 implementation behind the key store and the access gate,
/// both answering from the live IAM state) and the STS route it shares with the server.
#[must_use]
pub fn build_service(
    backend: Arc<dyn ObjectBackend>,
    iam: Arc<IamSystem>,
    options: FrontendOptions,
) -> Frontend {
    let authorizer = Authorizer::new(Arc::clone(&iam));
    let admin = tessera_admin::AdminApi::new(
        Arc::clone(&iam),
        tessera_admin::PayloadCipher::default(),
        options.sts.durations.max_secs,
    )
    .with_openid(
        options
            .openid
            .all()
            .iter()
            .map(|p| tessera_admin::OpenIdSummary {
                name: p.config().name.clone(),
                role_arn: p.role_arn().map(str::to_owned),
                config_url: p.config().config_url.clone(),
                client_id: p.config().client_id.clone(),
                claim_name: p.config().claim_name.clone(),
                role_policy: p.config().role_policy.clone(),
            })
            .collect(),
    )
    .with_buckets(Arc::new(admin_route::BackendBuckets(Arc::clone(&backend))));
    let admin = match &options.ldap {
        Some(directory) => admin.with_ldap(Arc::clone(directory)),
        None => admin,
    };
    let sts_config = options.sts.clone();
    let openid = Arc::clone(&options.openid);
    let ldap = options.ldap.clone();
    let mut builder = S3ServiceBuilder::new(Tessera::new(backend, authorizer.clone(), options));
    builder.set_auth(KeyStore::new(Arc::clone(&iam)));
    builder.set_access(AccessGate::new(authorizer.clone()));
    let mut sts = Sts::new(Arc::clone(&iam), sts_config, Arc::clone(&openid));
    if let Some(directory) = ldap {
        sts = sts.with_ldap(directory);
    }
    let sts = Arc::new(StsRoute::new(sts, Arc::clone(&iam)));
    builder.set_route(admin_route::Routes {
        admin: admin_route::AdminRoute::new(admin, authorizer),
        sts: Arc::clone(&sts),
    });
    Frontend {
        s3: builder.build(),
        sts,
    }
}
