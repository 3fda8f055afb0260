//! Groups: add or remove members (creating or deleting the group), enable/disable, info, list.

use serde::{Deserialize, Serialize};
use tessera_iam::Status;

use super::{AdminApi, AdminError, AdminRequest, AdminResponse, parse_json, parse_status, rfc3339};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupAddRemove {
    group: String,
    #[serde(default, deserialize_with = "members")]
    members: Vec<String>,
    #[serde(default)]
    group_status: Option<String>,
    #[serde(default)]
    is_remove: bool,
}

/// Members as a JSON list, or as one comma-separated string (minio-py's `group_add` passes
/// whatever it was given).
fn members<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Members {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Option::<Members>::deserialize(d)? {
        None => Vec::new(),
        Some(Members::List(l)) => l,
        Some(Members::Text(t)) => t
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// MinIO's `madmin.GroupDesc`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupDesc {
    name: String,
    status: &'static str,
    members: Vec<String>,
    policy: String,
    updated_at: String,
}

pub fn update_members(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let body: GroupAddRemove = parse_json(&req.body)?;
    api.require(
        req,
        if body.is_remove {
            "admin:RemoveUserFromGroup"
        } else {
            "admin:AddUserToGroup"
        },
    )?;
    api.iam
        .update_group_members(&body.group, &body.members, body.is_remove)?;
    if !body.is_remove
        && let Some(status) = body.group_status.as_deref().filter(|s| !s.is_empty())
    {
        let status = parse_status(status, "groupStatus")?;
        api.iam.set_group_status(&body.group, status)?;
    }
    Ok(AdminResponse::empty())
}

pub fn info(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:GetGroup")?;
    let (group, policies) = api.iam.group_info(req.require("group")?)?;
    AdminResponse::json(&GroupDesc {
        name: group.name,
        status: group.status.as_str(),
        members: group.members.into_iter().collect(),
        policy: policies.join(","),
        updated_at: rfc3339(group.updated),
    })
}

pub fn list(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:ListGroups")?;
    AdminResponse::json(&api.iam.list_groups())
}

pub fn set_status(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let group = req.require("group")?;
    let status = req.require("status")?;
    let status = parse_status(status, "status")?;
    api.require(
        req,
        if status == Status::Enabled {
            "admin:EnableGroup"
        } else {
            "admin:DisableGroup"
        },
    )?;
    api.iam.set_group_status(group, status)?;
    Ok(AdminResponse::empty())
}
