//! `idp-config/openid` and `idp-config/ldap`: the configured identity providers, read-only
//! (they come from the environment): names, role ARNs, client ids, claim names, the LDAP
//! server and search settings; never a client secret or the lookup password. Listing answers
//! madmin's `IDPListItem`s, one provider's `idp-config/<type>/<name>` its settings.

use serde::Serialize;

use tessera_idp::ldap::Transport;

use super::{AdminApi, AdminError, AdminRequest, AdminResponse};

/// One OpenID provider as the admin API shows it.
#[derive(Debug, Clone)]
pub struct OpenIdSummary {
    /// `""` for the default provider.
    pub name: String,
    pub role_arn: Option<String>,
    pub config_url: String,
    pub client_id: String,
    pub claim_name: String,
    pub role_policy: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListItem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    enabled: bool,
    #[serde(rename = "roleARN", skip_serializing_if = "Option::is_none")]
    role_arn: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Setting {
    key: &'static str,
    value: String,
    is_cfg: bool,
    is_env: bool,
}

/// A setting that came from the environment (all of them do).
fn env(key: &'static str, value: String) -> Setting {
    Setting {
        key,
        value,
        is_cfg: false,
        is_env: true,
    }
}

/// MinIO names the default provider `_`.
fn display_name(name: &str) -> &str {
    if name.is_empty() { "_" } else { name }
}

/// `GET idp-config/openid`.
pub async fn list(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:ConfigUpdate")?;
    let items: Vec<ListItem<'_>> = api
        .openid
        .iter()
        .map(|p| ListItem {
            kind: "openid",
            name: display_name(&p.name),
            enabled: true,
            role_arn: p.role_arn.as_deref(),
        })
        .collect();
    api.encrypted(req, &items).await
}

/// `GET idp-config/ldap`: the one directory, named `_` as MinIO names it.
pub async fn list_ldap(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:ConfigUpdate")?;
    let items: Vec<ListItem<'_>> = api
        .ldap
        .iter()
        .map(|_| ListItem {
            kind: "ldap",
            name: "_",
            enabled: true,
            role_arn: None,
        })
        .collect();
    api.encrypted(req, &items).await
}

/// `GET idp-config/ldap/_`: the directory's settings, without the lookup password.
pub async fn info_ldap(
    api: &AdminApi,
    req: &AdminRequest,
    name: &str,
) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:ConfigUpdate")?;
    if name != "_" {
        return Err(AdminError::NotFound(format!(
            "no LDAP configuration is named `{name}` (the one directory is `_`)"
        )));
    }
    let config = api.ldap()?.config();
    let transport = match config.transport {
        Transport::Ldaps => "ldaps",
        Transport::StartTls => "starttls",
        Transport::Plain => "insecure",
    };
    let mut settings = vec![
        env("server_addr", config.server_addr.clone()),
        env("transport", transport.to_owned()),
        env("lookup_bind_dn", config.lookup_bind_dn.clone()),
        env(
            "user_dn_search_base_dn",
            config.user_dn_search_base_dns.join(";"),
        ),
        env(
            "user_dn_search_filter",
            config.user_dn_search_filter.clone(),
        ),
    ];
    if let Some(filter) = &config.group_search_filter {
        settings.push(env(
            "group_search_base_dn",
            config.group_search_base_dns.join(";"),
        ));
        settings.push(env("group_search_filter", filter.clone()));
    }
    if !config.user_dn_attributes.is_empty() {
        settings.push(env(
            "user_dn_attributes",
            config.user_dn_attributes.join(","),
        ));
    }
    if config.tls_skip_verify {
        settings.push(env("tls_skip_verify", "on".into()));
    }
    api.encrypted(req, &settings).await
}

/// `GET idp-config/openid/<name>`.
pub async fn info(
    api: &AdminApi,
    req: &AdminRequest,
    name: &str,
) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:ConfigUpdate")?;
    let wanted = if name == "_" { "" } else { name };
    let p = api
        .openid
        .iter()
        .find(|p| p.name == wanted)
        .ok_or_else(|| AdminError::NotFound(format!("no OpenID provider is named `{name}`")))?;
    let mut settings = vec![
        env("config_url", p.config_url.clone()),
        env("client_id", p.client_id.clone()),
        env("claim_name", p.claim_name.clone()),
    ];
    if !p.role_policy.is_empty() {
        settings.push(env("role_policy", p.role_policy.join(",")));
    }
    if let Some(arn) = &p.role_arn {
        settings.push(env("roleARN", arn.clone()));
    }
    api.encrypted(req, &settings).await
}
