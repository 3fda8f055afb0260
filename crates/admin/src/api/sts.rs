//! Temporary credentials through the admin API: `revoke-tokens/builtin` and `revoke-tokens/ldap`
//! (all of a user's sessions, or those minted with one `TokenRevokeType`),
//! `temporary-account-info`, `idp/ldap/list-access-keys`, and Tessera's own key-ring calls
//! `tessera/sts/keys` and `tessera/sts/rotate-key`.

use serde::Serialize;
use tessera_iam::{Account, SigningKeyInfo};

use tessera_idp::ldap::normalize_dn;

use super::{AdminApi, AdminError, AdminRequest, AdminResponse, Idp, caller_user, rfc3339};

/// `POST revoke-tokens/{builtin|ldap}?user=&tokenRevokeType=|fullRevoke=true`: a user may
/// revoke its own sessions; anyone else's needs `admin:DisableUser`. An LDAP user is named by
/// DN or login name.
pub async fn revoke(
    api: &AdminApi,
    req: &AdminRequest,
    idp: Idp,
) -> Result<AdminResponse, AdminError> {
    let own = caller_user(req);
    let user = match (req.param("user").filter(|u| !u.is_empty()), idp) {
        (None, _) => own.clone(),
        (Some(u), Idp::Builtin) => u.to_owned(),
        (Some(u), Idp::Ldap) if u.contains('=') => normalize_dn(u)?,
        (Some(u), Idp::Ldap) => api.ldap()?.user_dn(u).await?,
    };
    let revoke_type = req.param("tokenRevokeType").filter(|t| !t.is_empty());
    let full = req.param("fullRevoke").is_some_and(|v| v == "true");
    match (revoke_type, full) {
        (Some(_), true) => {
            return Err(AdminError::InvalidArgument(
                "give either tokenRevokeType or fullRevoke=true, not both".into(),
            ));
        }
        (None, false) => {
            return Err(AdminError::InvalidArgument(
                "say what to revoke: tokenRevokeType=<type> or fullRevoke=true".into(),
            ));
        }
        _ => {}
    }
    if user != own {
        api.require(req, "admin:DisableUser")?;
    }
    let is_root = user == api.iam.root_access_key();
    if idp == Idp::Builtin && !is_root && api.iam.user_info(&user).is_err() {
        return Err(AdminError::Iam(tessera_iam::IamError::NoSuchUser(user)));
    }
    api.iam.revoke_sessions(&user, revoke_type)?;
    tracing::info!(%user, revoke_type = revoke_type.unwrap_or("all"), "temporary credentials revoked");
    Ok(AdminResponse::no_content())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TemporaryAccountInfo {
    parent_user: String,
    account_status: &'static str,
    implied_policy: bool,
    policy: String,
    expiration: String,
}

/// `GET temporary-account-info?accessKey=`: a session this node has seen (Tessera keeps no
/// record of issued credentials). Needs `admin:GetUser` unless it is the caller's own.
pub async fn account_info(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let access_key = req.require("accessKey")?;
    let session = api.iam.known_session(access_key).ok_or_else(|| {
        AdminError::NotFound(format!(
            "the temporary access key `{access_key}` has not been used on this server since it started (Tessera keeps no record of the credentials it issues)"
        ))
    })?;
    let parent = session.claims.parent.clone();
    if parent != caller_user(req) {
        api.require(req, "admin:GetUser")?;
    }
    let (implied_policy, policy) = match &session.claims.session_policy {
        Some(text) => (false, text.clone()),
        None => (
            true,
            api.effective_policy(&Account::Temporary(session.clone())),
        ),
    };
    // A federated session's parent is its provider's identity, not a user here.
    let enabled = session.claims.flow.is_federated()
        || parent == api.iam.root_access_key()
        || api
            .iam
            .user_info(&parent)
            .is_ok_and(|u| u.status == tessera_iam::Status::Enabled);
    let info = TemporaryAccountInfo {
        parent_user: parent,
        account_status: if enabled { "on" } else { "off" },
        implied_policy,
        policy,
        expiration: rfc3339(session.claims.exp),
    };
    api.encrypted(req, &info).await
}

/// One access key of an LDAP user, as MinIO's `ServiceAccountInfo`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessKeyInfo {
    parent_user: String,
    account_status: &'static str,
    implied_policy: bool,
    access_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LdapAccessKeys {
    service_accounts: Vec<AccessKeyInfo>,
    sts_keys: Vec<AccessKeyInfo>,
}

/// `GET idp/ldap/list-access-keys?userDN=&listType=all|sts-only|svcacc-only`: the LDAP user's
/// service accounts, and the temporary keys this node has issued or verified for it since it
/// started (Tessera keeps no record of issued credentials). Needs `admin:ListServiceAccounts`
/// unless the DN is the caller's own.
pub async fn ldap_access_keys(
    api: &AdminApi,
    req: &AdminRequest,
) -> Result<AdminResponse, AdminError> {
    let own = caller_user(req);
    let user = match req.param("userDN").filter(|u| !u.is_empty()) {
        None => own.clone(),
        Some(u) if u.contains('=') => normalize_dn(u)?,
        Some(u) => api.ldap()?.user_dn(u).await?,
    };
    if user != own {
        api.require(req, "admin:ListServiceAccounts")?;
    }
    let list_type = req.param("listType").unwrap_or("all");
    let (service_accounts, sts) = match list_type {
        "" | "all" => (true, true),
        "sts-only" => (false, true),
        "svcacc-only" => (true, false),
        other => {
            return Err(AdminError::InvalidArgument(format!(
                "listType `{other}` is not one of all, sts-only, svcacc-only"
            )));
        }
    };
    let mut answer = LdapAccessKeys {
        service_accounts: Vec::new(),
        sts_keys: Vec::new(),
    };
    if service_accounts {
        for sa in api.iam.service_accounts_of(&user) {
            answer.service_accounts.push(AccessKeyInfo {
                parent_user: sa.parent.clone(),
                account_status: if sa.status == tessera_iam::Status::Enabled {
                    "on"
                } else {
                    "off"
                },
                implied_policy: sa.embedded_policy.is_none(),
                access_key: sa.access_key.clone(),
                expiration: sa.expiration.map(rfc3339),
            });
        }
    }
    if sts {
        for session in api.iam.known_sessions_of(&user) {
            answer.sts_keys.push(AccessKeyInfo {
                parent_user: session.claims.parent.clone(),
                account_status: "on",
                implied_policy: session.claims.session_policy.is_none(),
                access_key: session.claims.access_key.clone(),
                expiration: Some(rfc3339(session.claims.exp)),
            });
        }
    }
    api.encrypted(req, &answer).await
}

#[derive(Serialize)]
struct KeyRing {
    keys: Vec<KeyInfo>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyInfo {
    id: u16,
    created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    retires: Option<String>,
    current: bool,
}

fn key_ring(keys: Vec<SigningKeyInfo>) -> KeyRing {
    KeyRing {
        keys: keys
            .into_iter()
            .map(|k| KeyInfo {
                id: k.id,
                created: rfc3339(k.created),
                retires: k.retire_at.map(rfc3339),
                current: k.current,
            })
            .collect(),
    }
}

/// `GET tessera/sts/keys`: the signing keys (ids and dates, never the keys).
pub fn keys(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:ConfigUpdate")?;
    AdminResponse::json(&key_ring(api.iam.signing_keys()))
}

/// `POST tessera/sts/rotate-key`: a new key signs from now on; the old one verifies what it
/// signed until the longest session it can have signed has expired.
pub fn rotate_key(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:ConfigUpdate")?;
    let keys = api.iam.rotate_signing_key(api.max_session_secs)?;
    tracing::info!("the STS signing key was rotated");
    AdminResponse::json(&key_ring(keys))
}
