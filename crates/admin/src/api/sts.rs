//! Temporary credentials through the admin API: `revoke-tokens/builtin` (all of a user's
//! sessions, or those minted with one `TokenRevokeType`), `temporary-account-info`, and
//! Tessera's own key-ring calls `tessera/sts/keys` and `tessera/sts/rotate-key`.

use serde::Serialize;
use tessera_iam::{Account, SigningKeyInfo};

use super::{AdminApi, AdminError, AdminRequest, AdminResponse, caller_user, rfc3339};

/// `POST revoke-tokens/builtin?user=&tokenRevokeType=|fullRevoke=true`: a user may revoke its
/// own sessions; anyone else's needs `admin:DisableUser`.
pub fn revoke(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let own = caller_user(req);
    let user = req
        .param("user")
        .filter(|u| !u.is_empty())
        .map_or_else(|| own.clone(), str::to_owned);
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
    if !is_root && api.iam.user_info(&user).is_err() {
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
