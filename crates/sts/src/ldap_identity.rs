//! AssumeRoleWithLDAPIdentity (reference §1.10): an unsigned request with `LDAPUsername` and
//! `LDAPPassword`; the directory finds the user, proves the password with a bind and lists the
//! user's groups; at least one policy must be mapped to the user's DN or a group's DN. The
//! session acts for the user's canonical DN and carries the login name and the groups' DNs;
//! its policies are read from the DN mappings at each request.

use std::collections::BTreeMap;

use tessera_iam::LDAP_GROUPS_CLAIM;

use crate::assume_role::lifetime_from;
use crate::error::{StsError, StsErrorCode};
use crate::params::Params;
use crate::response::{StsResponse, success};
use crate::session::{credentials_xml, minting_failed, session_policy};
use crate::{Sts, StsRequest};

/// Lifetime without `DurationSeconds`, as MinIO grants.
const DEFAULT_LIFETIME_SECS: i64 = 3600;

pub(crate) async fn assume_role_with_ldap_identity(
    sts: &Sts,
    request: &StsRequest<'_>,
    params: &Params,
) -> Result<StsResponse, StsError> {
    let missing = |name: &str| {
        StsError::new(
            StsErrorCode::MissingParameter,
            format!(
                "the {name} parameter is missing or empty: send the LDAP login name and its password"
            ),
        )
    };
    let username = params
        .non_empty("LDAPUsername")
        .ok_or_else(|| missing("LDAPUsername"))?;
    // An empty password would be an unauthenticated bind, which LDAP servers accept.
    let password = params
        .non_empty("LDAPPassword")
        .ok_or_else(|| missing("LDAPPassword"))?;
    let directory = sts.ldap.as_deref().ok_or_else(|| {
        StsError::invalid(
            "LDAP identities are not configured on this server: set MINIO_IDENTITY_LDAP_SERVER_ADDR and the other MINIO_IDENTITY_LDAP_ settings",
        )
    })?;
    // Checked before the directory is asked, so a bad request costs no bind.
    let lifetime = lifetime_from(sts, params.get("DurationSeconds"), DEFAULT_LIFETIME_SECS)?;
    let session_policy = session_policy(params)?;
    let identity = directory
        .authenticate(username, password)
        .await
        .map_err(|e| StsError::invalid(e.to_string()))?;
    if sts
        .iam
        .ldap_policy_names(&identity.user_dn, &identity.groups)
        .is_empty()
    {
        let groups = if identity.groups.is_empty() {
            "(the user is in no group)".to_owned()
        } else {
            format!("`{}`", identity.groups.join("`,`"))
        };
        return Err(StsError::invalid(format!(
            "expecting a policy to be set for user `{}` or one of their groups: {groups} - rejecting this request (attach one with `tessera admin idp ldap policy attach`)",
            identity.user_dn,
        )));
    }
    let mut claims = BTreeMap::new();
    claims.insert("user".to_owned(), vec![identity.user_dn.clone()]);
    claims.insert("username".to_owned(), vec![identity.username.clone()]);
    if !identity.groups.is_empty() {
        claims.insert(LDAP_GROUPS_CLAIM.to_owned(), identity.groups.clone());
    }
    for (name, values) in identity.attributes {
        claims.insert(format!("attrib_{name}"), values);
    }
    let credentials = sts
        .iam
        .issue_ldap(
            identity.user_dn,
            tessera_iam::now_secs() + lifetime,
            claims,
            session_policy.as_ref(),
            params.non_empty("TokenRevokeType").map(str::to_owned),
        )
        .map_err(|e| minting_failed(&e))?;
    Ok(success(
        "AssumeRoleWithLDAPIdentity",
        &credentials_xml(&credentials),
        request.request_id,
    ))
}
