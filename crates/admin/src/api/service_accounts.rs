//! Service accounts: extra access keys of a user, with the user's policies optionally narrowed
//! by an embedded policy. Users manage their own; other people's need `admin:` rights.

use rand::distr::{Alphanumeric, SampleString as _};
use serde::{Deserialize, Serialize};
use tessera_iam::{Account, Secret, ServiceAccountRecord, Status};

use super::{
    AdminApi, AdminError, AdminRequest, AdminResponse, caller_user, parse_json, parse_status,
    rfc3339,
};

/// Refuses unless the caller manages its own keys or holds `action`.
fn require_for(
    api: &AdminApi,
    req: &AdminRequest,
    owner: &str,
    action: &str,
) -> Result<(), AdminError> {
    if owner == caller_user(req) && !matches!(req.caller, Account::ServiceAccount { .. }) {
        return Ok(());
    }
    api.require(req, action)
}

/// A policy given either as a JSON object or as a string holding one.
fn policy_text(v: Option<serde_json::Value>) -> Option<String> {
    match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    }
}

fn expiration(v: Option<&str>) -> Result<Option<i64>, AdminError> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(|t| Some(t.unix_timestamp()))
            .map_err(|_| {
                AdminError::InvalidArgument(format!(
                    "expiration must be an RFC 3339 time, got `{s}`"
                ))
            }),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddRequest {
    #[serde(default)]
    policy: Option<serde_json::Value>,
    #[serde(default)]
    target_user: Option<String>,
    #[serde(default)]
    access_key: Option<String>,
    #[serde(default)]
    secret_key: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    expiration: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Credentials {
    access_key: String,
    secret_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
}

#[derive(Serialize)]
struct AddResponse {
    credentials: Credentials,
}

pub async fn add(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let body: AddRequest = parse_json(&api.decrypt_body(req).await?)?;
    let owner = body
        .target_user
        .clone()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| caller_user(req));
    require_for(api, req, &owner, "admin:CreateServiceAccount")?;
    let access_key = body
        .access_key
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| {
            Alphanumeric
                .sample_string(&mut rand::rng(), 20)
                .to_ascii_uppercase()
        });
    let secret_key = body
        .secret_key
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| Alphanumeric.sample_string(&mut rand::rng(), 40));
    let status = match body.status.as_deref().filter(|s| !s.is_empty()) {
        None => Status::Enabled,
        Some(s) => parse_status(s, "status")?,
    };
    let record = api.iam.add_service_account(ServiceAccountRecord {
        access_key: access_key.clone(),
        secret_key: Secret::new(secret_key.clone()),
        parent: owner,
        embedded_policy: policy_text(body.policy),
        name: body.name,
        description: body.description,
        expiration: expiration(body.expiration.as_deref())?,
        status,
        updated: 0,
    })?;
    let response = AddResponse {
        credentials: Credentials {
            access_key,
            secret_key,
            expiration: record.expiration.map(rfc3339),
        },
    };
    api.encrypted(req, &response).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateRequest {
    #[serde(default)]
    new_policy: Option<serde_json::Value>,
    #[serde(default)]
    new_secret_key: Option<String>,
    #[serde(default)]
    new_status: Option<String>,
    #[serde(default)]
    new_name: Option<String>,
    #[serde(default)]
    new_description: Option<String>,
    #[serde(default)]
    new_expiration: Option<String>,
}

fn owned_account(
    api: &AdminApi,
    req: &AdminRequest,
    action: &str,
) -> Result<ServiceAccountRecord, AdminError> {
    let key = req.require("accessKey")?;
    let sa = api
        .iam
        .service_account(key)
        .ok_or_else(|| tessera_iam::IamError::NoSuchServiceAccount(key.to_owned()))?;
    require_for(api, req, &sa.parent, action)?;
    Ok(sa)
}

pub async fn update(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let sa = owned_account(api, req, "admin:UpdateServiceAccount")?;
    let body: UpdateRequest = parse_json(&api.decrypt_body(req).await?)?;
    let status = match body.new_status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(parse_status(s, "newStatus")?),
    };
    let new_expiration = expiration(body.new_expiration.as_deref())?;
    // A new policy of `{}` or an empty string removes the embedded policy.
    let new_policy = body
        .new_policy
        .map(|v| policy_text(Some(v)).filter(|t| t.trim() != "{}"));
    api.iam.update_service_account(&sa.access_key, |s| {
        if let Some(p) = &new_policy {
            s.embedded_policy.clone_from(p);
        }
        if let Some(k) = body.new_secret_key.as_deref().filter(|k| !k.is_empty()) {
            s.secret_key = Secret::new(k.to_owned());
        }
        if let Some(st) = status {
            s.status = st;
        }
        if let Some(n) = &body.new_name {
            s.name = Some(n.clone()).filter(|n| !n.is_empty());
        }
        if let Some(d) = &body.new_description {
            s.description = Some(d.clone()).filter(|d| !d.is_empty());
        }
        if new_expiration.is_some() {
            s.expiration = new_expiration;
        }
    })?;
    Ok(AdminResponse::no_content())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InfoResponse {
    parent_user: String,
    account_status: &'static str,
    implied_policy: bool,
    policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
}

pub async fn info(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let sa = owned_account(api, req, "admin:ListServiceAccounts")?;
    let implied = sa.embedded_policy.is_none();
    let policy = match &sa.embedded_policy {
        Some(p) => p.clone(),
        None => api.effective_policy(&Account::User {
            name: sa.parent.clone(),
        }),
    };
    let response = InfoResponse {
        parent_user: sa.parent,
        account_status: sa.status.as_str(),
        implied_policy: implied,
        policy,
        name: sa.name,
        description: sa.description,
        expiration: sa.expiration.map(rfc3339),
    };
    api.encrypted(req, &response).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListedAccount {
    parent_user: String,
    account_status: &'static str,
    access_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
}

#[derive(Serialize)]
struct ListResponse {
    accounts: Vec<ListedAccount>,
}

pub async fn list(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let owner = req
        .param("user")
        .filter(|u| !u.is_empty())
        .map_or_else(|| caller_user(req), str::to_owned);
    require_for(api, req, &owner, "admin:ListServiceAccounts")?;
    let accounts = api
        .iam
        .service_accounts_of(&owner)
        .into_iter()
        .map(|sa| ListedAccount {
            parent_user: sa.parent,
            account_status: sa.status.as_str(),
            access_key: sa.access_key,
            name: sa.name,
            description: sa.description,
            expiration: sa.expiration.map(rfc3339),
        })
        .collect();
    api.encrypted(req, &ListResponse { accounts }).await
}

pub fn delete(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let sa = owned_account(api, req, "admin:RemoveServiceAccount")?;
    api.iam.remove_service_account(&sa.access_key)?;
    Ok(AdminResponse::no_content())
}
