//! What every flow does around minting a session: reading the `Policy` parameter, reporting a
//! minting failure, and writing the `AssumedRoleUser` and `Credentials` elements.

use tessera_iam::{IamError, TemporaryCredentials};
use tessera_policy::Policy;

use crate::error::{StsError, StsErrorCode};
use crate::params::Params;
use crate::response::{escape, expiration};

/// The session policy of the `Policy` parameter, if one is given.
pub(crate) fn session_policy(params: &Params) -> Result<Option<Policy>, StsError> {
    params
        .non_empty("Policy")
        .map(|text| {
            Policy::parse_session(text).map_err(|e| {
                StsError::invalid(format!(
                    "the session policy (parameter Policy) is not valid: {e}"
                ))
            })
        })
        .transpose()
}

/// The STS error for credentials that could not be minted (logged; the client learns no more).
pub(crate) fn minting_failed(e: &IamError) -> StsError {
    tracing::error!(error = %e, "minting temporary credentials failed");
    StsError::new(
        StsErrorCode::InternalError,
        "the temporary credentials could not be minted",
    )
}

/// `<AssumedRoleUser>` (empty, as MinIO sends it) and `<Credentials>`.
pub(crate) fn credentials_xml(credentials: &TemporaryCredentials) -> String {
    format!(
        "<AssumedRoleUser><Arn></Arn><AssumeRoleId></AssumeRoleId></AssumedRoleUser><Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        escape(&credentials.access_key),
        escape(credentials.secret_key.expose()),
        escape(&credentials.session_token),
        expiration(credentials.expiration)
    )
}
