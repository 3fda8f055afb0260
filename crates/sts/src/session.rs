//! What every flow does around minting a session: reading the `Policy` parameter, reporting a
//! minting failure, and writing the `AssumedRoleUser` and `Credentials` elements.

use tessera_iam::{IamError, TemporaryCredentials};
use tessera_policy::Policy;

use crate::error::{StsError, StsErrorCode};
use crate::params::Params;
use crate::response::{escape, push_expiration};

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

/// `<AssumedRoleUser>` (empty, as MinIO sends it) and `<Credentials>`, with room left for the
/// element a flow adds after them.
pub(crate) fn credentials_xml(credentials: &TemporaryCredentials) -> String {
    let token = escape(&credentials.session_token);
    let mut out = String::with_capacity(token.len() + 512);
    out.push_str("<AssumedRoleUser><Arn></Arn><AssumeRoleId></AssumeRoleId></AssumedRoleUser>");
    out.push_str("<Credentials><AccessKeyId>");
    out.push_str(&escape(&credentials.access_key));
    out.push_str("</AccessKeyId><SecretAccessKey>");
    out.push_str(&escape(credentials.secret_key.expose()));
    out.push_str("</SecretAccessKey><SessionToken>");
    out.push_str(&token);
    out.push_str("</SessionToken><Expiration>");
    push_expiration(&mut out, credentials.expiration);
    out.push_str("</Expiration></Credentials>");
    out
}
