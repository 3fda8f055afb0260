//! Internal users: add (or change the secret), remove, enable/disable, info and list.

use serde::{Deserialize, Serialize};
use tessera_iam::{Account, Status, UserSummary};

use super::{AdminApi, AdminError, AdminRequest, AdminResponse, parse_json, parse_status};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddUserBody {
    secret_key: String,
    #[serde(default)]
    status: Option<String>,
}

/// MinIO's `madmin.UserInfo`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserInfo {
    #[serde(skip_serializing_if = "String::is_empty")]
    policy_name: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    member_of: Vec<String>,
}

impl From<UserSummary> for UserInfo {
    fn from(u: UserSummary) -> Self {
        Self {
            policy_name: u.policies.join(","),
            status: u.status.as_str(),
            member_of: u.groups,
        }
    }
}

pub async fn add(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:CreateUser")?;
    let access_key = req.require("accessKey")?;
    let body: AddUserBody = parse_json(&api.decrypt_body(req).await?)?;
    api.iam.add_user(access_key, &body.secret_key)?;
    if let Some(status) = body.status.as_deref().filter(|s| !s.is_empty()) {
        let status = parse_status(status, "status")?;
        api.iam.set_user_status(access_key, status)?;
    }
    Ok(AdminResponse::empty())
}

pub fn remove(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:DeleteUser")?;
    let access_key = req.require("accessKey")?;
    if access_key == req.caller_key {
        return Err(AdminError::InvalidArgument(
            "you cannot remove the user you are signed in as".into(),
        ));
    }
    api.iam.remove_user(access_key)?;
    Ok(AdminResponse::empty())
}

pub fn set_status(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let access_key = req.require("accessKey")?;
    let status = req.require("status")?;
    let status = parse_status(status, "status")?;
    api.require(
        req,
        if status == Status::Enabled {
            "admin:EnableUser"
        } else {
            "admin:DisableUser"
        },
    )?;
    api.iam.set_user_status(access_key, status)?;
    Ok(AdminResponse::empty())
}

pub fn info(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let access_key = req.require("accessKey")?;
    // Users may always read their own record.
    let own = matches!(&req.caller, Account::User { name } if name == access_key);
    if !own {
        api.require(req, "admin:GetUser")?;
    }
    AdminResponse::json(&UserInfo::from(api.iam.user_info(access_key)?))
}

pub async fn list(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:ListUsers")?;
    let users: std::collections::BTreeMap<String, UserInfo> = api
        .iam
        .list_users()
        .into_iter()
        .map(|u| (u.access_key.clone(), UserInfo::from(u)))
        .collect();
    api.encrypted(req, &users).await
}
