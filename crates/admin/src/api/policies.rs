//! Policy documents and who they are attached to: add, remove, info, list, the legacy
//! set-user-or-group-policy, and attach/detach and policy entities for this server's users and
//! groups (`idp/builtin/…`) and for LDAP DNs (`idp/ldap/…`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tessera_iam::{IamSystem, MappingTarget, MappingUpdate};

use tessera_idp::ldap::normalize_dn;

use super::{AdminApi, AdminError, AdminRequest, AdminResponse, Idp, parse_json, rfc3339};

fn document_value(text: &str) -> Result<serde_json::Value, AdminError> {
    serde_json::from_str(text).map_err(|e| AdminError::Internal(e.to_string()))
}

pub fn add(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:CreatePolicy")?;
    let name = req.require("name")?;
    let text = std::str::from_utf8(&req.body)
        .map_err(|_| AdminError::MalformedBody("the policy is not UTF-8 text".into()))?;
    api.iam.put_policy(name, text)?;
    Ok(AdminResponse::empty())
}

pub fn remove(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:DeletePolicy")?;
    api.iam.remove_policy(req.require("name")?)?;
    Ok(AdminResponse::empty())
}

/// MinIO's `madmin.PolicyInfo` (the `v=2` answer of info-canned-policy).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyInfo {
    policy_name: String,
    policy: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    update_date: Option<String>,
}

pub fn info(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:GetPolicy")?;
    let name = req.require("name")?;
    let text = api
        .iam
        .policy_document(name)
        .ok_or_else(|| tessera_iam::IamError::NoSuchPolicy(name.to_owned()))?;
    if req.param("v") == Some("2") {
        let record = api.iam.policy(name);
        return AdminResponse::json(&PolicyInfo {
            policy_name: name.to_owned(),
            policy: document_value(&text)?,
            create_date: record.as_ref().map(|r| rfc3339(r.created)),
            update_date: record.as_ref().map(|r| rfc3339(r.updated)),
        });
    }
    Ok(AdminResponse {
        status: 200,
        body: text.into_bytes(),
        content_type: "application/json",
    })
}

pub fn list(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:ListUserPolicies")?;
    let mut out = BTreeMap::new();
    for name in tessera_policy::CANNED_POLICY_NAMES
        .iter()
        .map(|n| (*n).to_owned())
        .chain(api.iam.stored_policy_names())
    {
        if let Some(text) = api.iam.policy_document(&name) {
            out.insert(name, document_value(&text)?);
        }
    }
    AdminResponse::json(&out)
}

/// Splits MinIO's comma-separated policy lists.
fn names(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn set_mapping(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:AttachUserOrGroupPolicy")?;
    let who = req.require("userOrGroup")?;
    let policies = names(req.param("policyName").unwrap_or_default());
    let target = if req.param("isGroup") == Some("true") {
        MappingTarget::Group(who.to_owned())
    } else {
        MappingTarget::User(who.to_owned())
    };
    api.iam
        .update_mapping(&target, &policies, MappingUpdate::Replace)?;
    Ok(AdminResponse::empty())
}

#[derive(Deserialize)]
struct PolicyAssociation {
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    user: String,
    #[serde(default)]
    group: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssociationResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    policies_attached: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policies_detached: Option<Vec<String>>,
    updated_at: String,
}

pub async fn attach(
    api: &AdminApi,
    req: &AdminRequest,
    attach: bool,
    idp: Idp,
) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:AttachUserOrGroupPolicy")?;
    let body: PolicyAssociation = parse_json(&api.decrypt_body(req).await?)?;
    let policies: Vec<String> = body.policies.iter().flat_map(|p| names(p)).collect();
    if policies.is_empty() {
        return Err(AdminError::InvalidArgument(
            "name at least one policy".into(),
        ));
    }
    let target = match (body.user.is_empty(), body.group.is_empty(), idp) {
        (false, true, Idp::Builtin) => MappingTarget::User(body.user),
        (true, false, Idp::Builtin) => MappingTarget::Group(body.group),
        // A DN is checked against the directory and kept in canonical form; a login name
        // given for a user is resolved to its DN.
        (false, true, Idp::Ldap) => MappingTarget::LdapUser(api.ldap()?.user_dn(&body.user).await?),
        (true, false, Idp::Ldap) => {
            MappingTarget::LdapGroup(api.ldap()?.group_dn(&body.group).await?)
        }
        _ => {
            return Err(AdminError::InvalidArgument(
                "name exactly one of `user` and `group`".into(),
            ));
        }
    };
    let how = if attach {
        MappingUpdate::Attach
    } else {
        MappingUpdate::Detach
    };
    api.iam.update_mapping(&target, &policies, how)?;
    let result = AssociationResult {
        policies_attached: attach.then(|| policies.clone()),
        policies_detached: (!attach).then_some(policies),
        updated_at: rfc3339(tessera_iam::now_secs()),
    };
    api.encrypted(req, &result).await
}

#[derive(Serialize)]
struct UserPolicies {
    user: String,
    policies: Vec<String>,
}

#[derive(Serialize)]
struct GroupPolicies {
    group: String,
    policies: Vec<String>,
}

#[derive(Serialize)]
struct PolicyEntities {
    policy: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    users: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    groups: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntitiesResult {
    timestamp: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    user_mappings: Vec<UserPolicies>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    group_mappings: Vec<GroupPolicies>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    policy_mappings: Vec<PolicyEntities>,
}

pub async fn entities(
    api: &AdminApi,
    req: &AdminRequest,
    idp: Idp,
) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:ListUserPolicies")?;
    let wanted = |name: &str| {
        req.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let (mut users, mut groups, mut policies) = (wanted("user"), wanted("group"), wanted("policy"));
    let all = match idp {
        Idp::Builtin => api.iam.policy_entities(),
        Idp::Ldap => {
            api.ldap()?;
            // Filters name DNs in any spelling; mappings are kept in canonical form.
            for dn in users.iter_mut().chain(groups.iter_mut()) {
                *dn = normalize_dn(dn)?;
            }
            api.iam
                .ldap_policy_entities()
                .into_iter()
                .map(|(p, e)| (p, (e.users, e.groups)))
                .collect()
        }
    };
    let user_target = match idp {
        Idp::Builtin => MappingTarget::User as fn(String) -> MappingTarget,
        Idp::Ldap => MappingTarget::LdapUser,
    };
    let group_target = match idp {
        Idp::Builtin => MappingTarget::Group as fn(String) -> MappingTarget,
        Idp::Ldap => MappingTarget::LdapGroup,
    };
    if users.is_empty() && groups.is_empty() && policies.is_empty() {
        // No filter: every mapping, as MinIO answers.
        policies = all.keys().cloned().collect();
        for (u, g) in all.values() {
            users.extend(u.iter().cloned());
            groups.extend(g.iter().cloned());
        }
        users.sort();
        users.dedup();
        groups.sort();
        groups.dedup();
    }
    let user_mappings = users
        .into_iter()
        .map(|u| UserPolicies {
            policies: mapped(&api.iam, &user_target(u.clone())),
            user: u,
        })
        .collect();
    let group_mappings = groups
        .into_iter()
        .map(|g| GroupPolicies {
            policies: mapped(&api.iam, &group_target(g.clone())),
            group: g,
        })
        .collect();
    let policy_mappings = policies
        .into_iter()
        .map(|p| {
            let (users, groups) = all.get(&p).cloned().unwrap_or_default();
            PolicyEntities {
                policy: p,
                users,
                groups,
            }
        })
        .collect();
    let result = EntitiesResult {
        timestamp: rfc3339(tessera_iam::now_secs()),
        user_mappings,
        group_mappings,
        policy_mappings,
    };
    api.encrypted(req, &result).await
}

fn mapped(iam: &IamSystem, target: &MappingTarget) -> Vec<String> {
    match target {
        MappingTarget::User(u) => iam.user_info(u).map(|i| i.policies).unwrap_or_default(),
        MappingTarget::Group(g) => iam.group_info(g).map(|(_, p)| p).unwrap_or_default(),
        MappingTarget::LdapUser(dn) => iam.ldap_mapping(dn, false),
        MappingTarget::LdapGroup(dn) => iam.ldap_mapping(dn, true),
    }
}
