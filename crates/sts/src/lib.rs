//! The STS wire protocol, as MinIO speaks it: parameters merged from the query string and the
//! form body, dispatch on `Action`, one short function per flow over `iam`, and the XML
//! answers and errors clients parse. No HTTP types and no crypto here: the front end hands
//! over the request's parts and the verified caller, and sends back what [`Sts::handle`]
//! returns.

#![forbid(unsafe_code)]

mod assume_role;
mod caller_identity;
mod config;
mod error;
mod ldap_identity;
mod params;
mod response;
mod session;
mod web_identity;

use std::sync::Arc;

use tessera_iam::{Account, Flow, IamSystem};
use tessera_idp::ldap::LdapDirectory;
use tessera_idp::openid::Providers;

pub use config::{DurationBounds, StsConfig};
pub use error::{StsError, StsErrorCode};
pub use params::{MAX_PARAMETERS, Params};
pub use response::{StsResponse, error_response};

/// The STS API version every request names.
pub const STS_VERSION: &str = "2011-06-15";
/// The XML namespace of every answer.
pub const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// The account id in the ARNs GetCallerIdentity returns (a server has one account).
pub const ACCOUNT_ID: &str = "000000000000";

/// Who signed an STS request, as the front end verified it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: Account,
    pub access_key: String,
    /// The service and region of the signature's credential scope.
    pub service: String,
    pub region: String,
}

/// The parts of one STS request.
#[derive(Debug)]
pub struct StsRequest<'a> {
    pub query: Option<&'a str>,
    /// The form body (already limited in size by the front end).
    pub body: &'a [u8],
    /// `None`: unsigned. `Some(Err(why))`: signed, but the key or its session token was refused.
    pub caller: Option<Result<Caller, String>>,
    /// Whether the request carried `X-Amz-Security-Token`.
    pub has_session_token: bool,
    pub request_id: &'a str,
}

/// The STS endpoint of one server.
pub struct Sts {
    iam: Arc<IamSystem>,
    config: StsConfig,
    providers: Arc<Providers>,
    ldap: Option<Arc<LdapDirectory>>,
}

impl Sts {
    #[must_use]
    pub fn new(iam: Arc<IamSystem>, config: StsConfig, providers: Arc<Providers>) -> Self {
        Self {
            iam,
            config,
            providers,
            ldap: None,
        }
    }

    /// The LDAP directory of AssumeRoleWithLDAPIdentity.
    #[must_use]
    pub fn with_ldap(mut self, directory: Arc<LdapDirectory>) -> Self {
        self.ldap = Some(directory);
        self
    }

    #[must_use]
    pub fn config(&self) -> &StsConfig {
        &self.config
    }

    /// Answers one STS request.
    pub async fn handle(&self, request: &StsRequest<'_>) -> StsResponse {
        match self.dispatch(request).await {
            Ok(response) => response,
            Err(e) => error_response(&e, request.request_id),
        }
    }

    async fn dispatch(&self, request: &StsRequest<'_>) -> Result<StsResponse, StsError> {
        let params = Params::parse(request.query, request.body)?;
        let action = params.get("Action").unwrap_or_default();
        if action.is_empty() {
            return Err(StsError::invalid(
                "the Action parameter is missing: name the STS action, e.g. Action=AssumeRole",
            ));
        }
        let version = params.get("Version").unwrap_or_default();
        if version != STS_VERSION {
            return Err(StsError::new(
                StsErrorCode::MissingParameter,
                format!("Invalid STS API version `{version}`: send Version={STS_VERSION}"),
            ));
        }
        match action {
            "AssumeRole" => assume_role::assume_role(self, request, &params),
            "GetCallerIdentity" => caller_identity::get_caller_identity(request),
            "AssumeRoleWithWebIdentity" => {
                web_identity::assume_role_with_token(self, request, &params, Flow::WebIdentity)
                    .await
            }
            "AssumeRoleWithClientGrants" => {
                web_identity::assume_role_with_token(self, request, &params, Flow::ClientGrants)
                    .await
            }
            "AssumeRoleWithLDAPIdentity" => {
                ldap_identity::assume_role_with_ldap_identity(self, request, &params).await
            }
            other => Err(StsError::invalid(format!(
                "Unsupported action {}: this server answers AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithClientGrants, AssumeRoleWithLDAPIdentity and GetCallerIdentity",
                error::excerpt(other)
            ))),
        }
    }
}
