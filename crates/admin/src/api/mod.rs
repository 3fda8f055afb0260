//! The admin API v3 subset: each `/minio/admin/v3/<command>` goes to its handler (one file per
//! area: users, groups, policies, service accounts, account info), after the caller's policies
//! are checked for the command's `admin:` action. Bodies that carry secrets are madmin-encrypted
//! with the caller's secret key; errors are MinIO's JSON errors.

mod account;
mod groups;
mod iam_transfer;
mod idp_config;
mod policies;
mod service_accounts;
mod sts;
mod users;

pub use idp_config::OpenIdSummary;

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use tessera_iam::{Account, IamError, IamSystem, Secret, rfc3339};
use tessera_idp::ldap::{LdapDirectory, LdapError};
use tessera_policy::{AccessCheck, Conditions, Request};

use crate::payload::PayloadCipher;

/// An admin call, as the S3 layer verified it.
pub struct AdminRequest {
    pub method: String,
    /// The path after `/minio/admin/v3/`, e.g. `add-user` or `idp/builtin/policy/attach`.
    pub command: String,
    pub query: Vec<(String, String)>,
    pub body: Bytes,
    pub caller: Account,
    /// The caller's access key (for messages and "self" defaults).
    pub caller_key: String,
    /// The caller's secret key: the key of encrypted payloads.
    pub caller_secret: Secret,
}

impl AdminRequest {
    /// The first value of a query parameter.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A required query parameter.
    pub fn require(&self, name: &str) -> Result<&str, AdminError> {
        self.param(name).filter(|v| !v.is_empty()).ok_or_else(|| {
            AdminError::InvalidArgument(format!("the query parameter `{name}` is required"))
        })
    }
}

/// What an admin call answers.
pub struct AdminResponse {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

impl AdminResponse {
    fn json(value: &impl Serialize) -> Result<Self, AdminError> {
        Ok(Self {
            status: 200,
            body: serde_json::to_vec(value).map_err(|e| AdminError::Internal(e.to_string()))?,
            content_type: "application/json",
        })
    }

    fn empty() -> Self {
        Self {
            status: 200,
            body: Vec::new(),
            content_type: "application/json",
        }
    }

    fn no_content() -> Self {
        Self {
            status: 204,
            body: Vec::new(),
            content_type: "application/json",
        }
    }
}

/// Failures of admin calls, with MinIO's codes.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("the request body is not what this call takes: {0}")]
    MalformedBody(String),
    #[error("the admin call `{0}` is not supported by Tessera")]
    NotImplemented(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Iam(#[from] IamError),
    #[error(transparent)]
    Payload(#[from] crate::PayloadError),
    #[error("internal error: {0}")]
    Internal(String),
    #[error(
        "LDAP identities are not configured on this server: set MINIO_IDENTITY_LDAP_SERVER_ADDR and the other MINIO_IDENTITY_LDAP_ settings"
    )]
    LdapNotConfigured,
    #[error(transparent)]
    Ldap(#[from] LdapError),
}

impl AdminError {
    fn code_and_status(&self) -> (&'static str, u16) {
        match self {
            Self::AccessDenied(_) => ("AccessDenied", 403),
            Self::InvalidArgument(_) => ("InvalidArgument", 400),
            Self::MalformedBody(_) => ("XMinioAdminInvalidArgument", 400),
            Self::NotImplemented(_) => ("NotImplemented", 501),
            Self::NotFound(_) => ("XMinioAdminNoSuchAccessKey", 404),
            Self::Payload(_) => ("XMinioAdminConfigBadJSON", 400),
            Self::Internal(_) => ("InternalError", 500),
            Self::LdapNotConfigured => ("XMinioAdminNotImplemented", 501),
            Self::Ldap(e) => match e {
                LdapError::NoSuchEntry { .. }
                | LdapError::InvalidDn { .. }
                | LdapError::AmbiguousUser { .. }
                | LdapError::UsernameTooLong => ("XMinioAdminInvalidArgument", 400),
                _ => ("XMinioAdminLDAPServerError", 503),
            },
            Self::Iam(e) => match e {
                IamError::NoSuchUser(_) => ("XMinioAdminNoSuchUser", 404),
                IamError::NoSuchGroup(_) => ("XMinioAdminNoSuchGroup", 404),
                IamError::NoSuchPolicy(_) => ("XMinioAdminNoSuchPolicy", 404),
                IamError::NoSuchServiceAccount(_) => ("XMinioAdminServiceAccountNotFound", 404),
                IamError::InvalidArgument(_) | IamError::InvalidPolicy(_) => {
                    ("XMinioAdminInvalidArgument", 400)
                }
                IamError::AccessKeyInUse(_) => ("XMinioAdminServiceAccountExists", 409),
                IamError::BuiltinPolicy(_) => ("XMinioAdminInvalidArgument", 400),
                IamError::GroupNotEmpty(_) => ("XMinioAdminGroupNotEmpty", 400),
                IamError::Store(_) => ("InternalError", 500),
                IamError::Conflict => ("OperationAborted", 409),
                IamError::StoreUnavailable(_) => ("ServiceUnavailable", 503),
            },
        }
    }

    /// MinIO's JSON error body.
    #[must_use]
    pub fn to_response(&self, resource: &str) -> AdminResponse {
        let (code, status) = self.code_and_status();
        let message = match self {
            Self::Iam(IamError::Store(_)) | Self::Internal(_) => {
                tracing::error!(error = %self, "admin call failed inside the server");
                "the server failed to complete the request; retry it".to_owned()
            }
            other => other.to_string(),
        };
        let body = serde_json::json!({"Code": code, "Message": message, "Resource": resource, "RequestId": "", "HostId": ""});
        AdminResponse {
            status,
            body: body.to_string().into_bytes(),
            content_type: "application/json",
        }
    }
}

/// Whose mappings a policy attach, detach or listing concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Idp {
    /// Users and groups of this server.
    Builtin,
    /// DNs of the LDAP directory.
    Ldap,
}

/// The user a caller acts for when a call names nobody: itself, or the parent a service
/// account or temporary credentials act for.
fn caller_user(req: &AdminRequest) -> String {
    match &req.caller {
        Account::Root => req.caller_key.clone(),
        Account::User { name } => name.clone(),
        Account::ServiceAccount { parent, .. } => parent.clone(),
        Account::Temporary(session) => session.claims.parent.clone(),
    }
}

/// The admin API over the IAM system.
#[derive(Clone)]
pub struct AdminApi {
    iam: Arc<IamSystem>,
    cipher: PayloadCipher,
    /// The longest STS session (an old signing key verifies this long after a rotation).
    max_session_secs: i64,
    /// The OpenID providers, for `idp-config/openid`.
    openid: Vec<OpenIdSummary>,
    /// The buckets, for `accountinfo`.
    buckets: Option<Arc<dyn BucketDirectory>>,
    /// The LDAP directory, for its DN mappings.
    ldap: Option<Arc<LdapDirectory>>,
}

/// Where `accountinfo` learns which buckets exist.
#[async_trait::async_trait]
pub trait BucketDirectory: Send + Sync {
    /// Every bucket's name and creation time (Unix seconds).
    async fn buckets(&self) -> Result<Vec<(String, i64)>, String>;
}

impl AdminApi {
    #[must_use]
    pub fn new(iam: Arc<IamSystem>, cipher: PayloadCipher, max_session_secs: i64) -> Self {
        Self {
            iam,
            cipher,
            max_session_secs,
            openid: Vec::new(),
            buckets: None,
            ldap: None,
        }
    }

    /// The LDAP directory whose DNs mappings name.
    #[must_use]
    pub fn with_ldap(mut self, directory: Arc<LdapDirectory>) -> Self {
        self.ldap = Some(directory);
        self
    }

    /// The LDAP directory, or the error saying it is not configured.
    fn ldap(&self) -> Result<&LdapDirectory, AdminError> {
        self.ldap.as_deref().ok_or(AdminError::LdapNotConfigured)
    }

    /// The bucket list `accountinfo` reports.
    #[must_use]
    pub fn with_buckets(mut self, directory: Arc<dyn BucketDirectory>) -> Self {
        self.buckets = Some(directory);
        self
    }

    /// The OpenID providers `idp-config/openid` lists.
    #[must_use]
    pub fn with_openid(mut self, providers: Vec<OpenIdSummary>) -> Self {
        self.openid = providers;
        self
    }

    /// Answers one admin call; failures become MinIO's JSON errors.
    pub async fn handle(&self, req: AdminRequest) -> AdminResponse {
        let resource = format!("/minio/admin/v3/{}", req.command);
        match self.dispatch(req).await {
            Ok(r) => r,
            Err(e) => e.to_response(&resource),
        }
    }

    async fn dispatch(&self, req: AdminRequest) -> Result<AdminResponse, AdminError> {
        match (req.method.as_str(), req.command.as_str()) {
            ("PUT", "add-user") => users::add(self, &req).await,
            ("DELETE", "remove-user") => users::remove(self, &req),
            ("PUT", "set-user-status") => users::set_status(self, &req),
            ("GET", "user-info") => users::info(self, &req),
            ("GET", "list-users") => users::list(self, &req).await,
            ("PUT", "update-group-members") => groups::update_members(self, &req),
            ("GET", "group") => groups::info(self, &req),
            ("GET", "groups") => groups::list(self, &req),
            ("PUT", "set-group-status") => groups::set_status(self, &req),
            ("PUT", "add-canned-policy") => policies::add(self, &req),
            ("DELETE", "remove-canned-policy") => policies::remove(self, &req),
            ("GET", "info-canned-policy") => policies::info(self, &req),
            ("GET", "list-canned-policies") => policies::list(self, &req),
            ("PUT", "set-user-or-group-policy") => policies::set_mapping(self, &req),
            ("POST", "idp/builtin/policy/attach") => {
                policies::attach(self, &req, true, Idp::Builtin).await
            }
            ("POST", "idp/builtin/policy/detach") => {
                policies::attach(self, &req, false, Idp::Builtin).await
            }
            ("GET", "idp/builtin/policy-entities") => {
                policies::entities(self, &req, Idp::Builtin).await
            }
            ("POST", "idp/ldap/policy/attach") => {
                policies::attach(self, &req, true, Idp::Ldap).await
            }
            ("POST", "idp/ldap/policy/detach") => {
                policies::attach(self, &req, false, Idp::Ldap).await
            }
            ("GET", "idp/ldap/policy-entities") => policies::entities(self, &req, Idp::Ldap).await,
            ("GET", "idp/ldap/list-access-keys") => sts::ldap_access_keys(self, &req).await,
            ("POST", "revoke-tokens/ldap") => sts::revoke(self, &req, Idp::Ldap).await,
            ("PUT", "add-service-account") => service_accounts::add(self, &req).await,
            ("POST", "update-service-account") => service_accounts::update(self, &req).await,
            ("GET", "info-service-account") => service_accounts::info(self, &req).await,
            ("GET", "list-service-accounts") => service_accounts::list(self, &req).await,
            ("DELETE", "delete-service-account") => service_accounts::delete(self, &req),
            ("GET", "accountinfo") => account::info(self, &req).await,
            ("POST", "revoke-tokens/builtin") => sts::revoke(self, &req, Idp::Builtin).await,
            ("GET", "temporary-account-info") => sts::account_info(self, &req).await,
            ("GET", "tessera/sts/keys") => sts::keys(self, &req),
            ("GET", "idp-config/openid") => idp_config::list(self, &req).await,
            ("GET", "idp-config/ldap") => idp_config::list_ldap(self, &req).await,
            ("GET", c) if c.starts_with("idp-config/ldap/") => {
                idp_config::info_ldap(self, &req, &c["idp-config/ldap/".len()..]).await
            }
            ("GET", c) if c.starts_with("idp-config/openid/") => {
                idp_config::info(self, &req, &c["idp-config/openid/".len()..]).await
            }
            ("POST", "tessera/sts/rotate-key") => sts::rotate_key(self, &req),
            ("GET", "tessera/iam/export") => iam_transfer::export(self, &req).await,
            ("PUT", "tessera/iam/import") => iam_transfer::import(self, &req).await,
            (m, c) => Err(AdminError::NotImplemented(format!("{m} {c}"))),
        }
    }

    /// Whether the caller's policies allow an `admin:` action (root always may).
    fn allowed(&self, req: &AdminRequest, action: &str) -> bool {
        self.identity_allows(&req.caller, action, "")
    }

    /// Whether `account`'s own policies (narrowed by an embedded or session policy) allow
    /// `action` on `resource`, without request conditions or bucket policies.
    fn identity_allows(&self, account: &Account, action: &str, resource: &str) -> bool {
        let narrowing = account.narrowing_policy();
        let (policies, owner) = match self.iam.policies_for(account) {
            None if narrowing.is_none() => return true,
            None => (Vec::new(), true),
            Some(p) => (p, false),
        };
        let conditions = Conditions::new();
        let request = Request::new(action, resource, &conditions);
        let mut check = AccessCheck::new().identity_policies(policies.iter().map(AsRef::as_ref));
        if owner {
            check = check.owner();
        }
        if let Some(p) = narrowing {
            check = check.session_policy(p);
        }
        check.evaluate(&request).is_allowed()
    }

    /// The merged policy document that applies to `account` (`consoleAdmin` for the owner).
    fn effective_policy(&self, account: &Account) -> String {
        let owner = || {
            tessera_policy::canned_policy_json("consoleAdmin")
                .unwrap_or("{}")
                .to_owned()
        };
        let owner_user =
            matches!(account, Account::User { name } if name == self.iam.root_access_key());
        match self.iam.policies_for(account) {
            Some(_) if owner_user => owner(),
            None => owner(),
            Some(policies) => tessera_policy::Policy::merge(policies.iter().map(AsRef::as_ref))
                .to_canonical_json(),
        }
    }

    /// Refuses the call unless the caller may perform `action`.
    fn require(&self, req: &AdminRequest, action: &str) -> Result<(), AdminError> {
        if self.allowed(req, action) {
            Ok(())
        } else {
            Err(AdminError::AccessDenied(format!(
                "`{}` is not allowed {action}: attach a policy that allows it (consoleAdmin does)",
                req.caller_key
            )))
        }
    }

    async fn decrypt_body(
        &self,
        req: &AdminRequest,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, AdminError> {
        Ok(self
            .cipher
            .decrypt(req.caller_secret.expose().as_bytes(), req.body.clone())
            .await?)
    }

    async fn encrypted(
        &self,
        req: &AdminRequest,
        value: &impl Serialize,
    ) -> Result<AdminResponse, AdminError> {
        let plain = serde_json::to_vec(value).map_err(|e| AdminError::Internal(e.to_string()))?;
        let body = self
            .cipher
            .encrypt(req.caller_secret.expose().as_bytes(), plain)
            .await?;
        Ok(AdminResponse {
            status: 200,
            body,
            content_type: "application/octet-stream",
        })
    }
}

/// Parses an `enabled`/`disabled` parameter named `field`.
fn parse_status(value: &str, field: &str) -> Result<tessera_iam::Status, AdminError> {
    tessera_iam::Status::parse(value).ok_or_else(|| {
        AdminError::InvalidArgument(format!(
            "{field} must be `enabled` or `disabled`, got `{value}`"
        ))
    })
}

/// Parses a JSON request body.
fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(bytes).map_err(|e| AdminError::MalformedBody(e.to_string()))
}
