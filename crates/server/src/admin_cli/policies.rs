//! `tessera admin policy …`: policy documents (create, remove, list, info), attaching them to
//! users and groups and detaching them, and who has which policy (entities).

use std::collections::BTreeMap;

use http::Method;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::client::{AdminClient, Call};
use super::output::{self, Output};
use super::{Attachment, EntitiesFilter, LdapPolicyCommand, PolicyCommand};

/// The body of `idp/builtin/policy/attach|detach` (MinIO's `madmin.PolicyAssociationReq`).
#[derive(Serialize)]
struct PolicyAssociation<'a> {
    policies: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PolicyEntities {
    user_mappings: Vec<UserPolicies>,
    group_mappings: Vec<GroupPolicies>,
    policy_mappings: Vec<PolicyMapping>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserPolicies {
    user: String,
    policies: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GroupPolicies {
    group: String,
    policies: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PolicyMapping {
    policy: String,
    users: Vec<String>,
    groups: Vec<String>,
}

pub async fn run(client: &AdminClient, out: Output, command: PolicyCommand) -> anyhow::Result<()> {
    match command {
        PolicyCommand::Create { name, file } => {
            let document = super::read_input(&file)?;
            let reply = client
                .send(
                    Call::new(Method::PUT, "add-canned-policy")
                        .query("name", &name)
                        .plain(document),
                )
                .await?;
            out.done(&reply, &format!("Created policy `{name}`."))
        }
        PolicyCommand::Remove { name } => {
            let reply = client
                .send(Call::new(Method::DELETE, "remove-canned-policy").query("name", &name))
                .await?;
            out.done(&reply, &format!("Removed policy `{name}`."))
        }
        PolicyCommand::List => {
            let reply = client
                .send(Call::new(Method::GET, "list-canned-policies"))
                .await?;
            out.reply(&reply, || {
                let policies: BTreeMap<String, serde_json::Value> =
                    output::parse(&reply, "list-canned-policies")?;
                let rows: Vec<Vec<String>> = policies
                    .iter()
                    .map(|(name, doc)| vec![name.clone(), statement_count(doc)])
                    .collect();
                Ok(output::table(
                    &["POLICY", "STATEMENTS"],
                    &rows,
                    "No policies.",
                ))
            })
        }
        PolicyCommand::Info { name } => {
            let reply = client
                .send(
                    Call::new(Method::GET, "info-canned-policy")
                        .query("name", &name)
                        .query("v", "2"),
                )
                .await?;
            out.reply(&reply, || {
                let v: serde_json::Value = output::parse(&reply, "info-canned-policy")?;
                // `v=2` answers `{PolicyName, Policy, CreateDate, UpdateDate}`; a server that
                // ignores it answers the bare document.
                let (document, created, updated) = match v.get("Policy") {
                    Some(doc) if v.get("PolicyName").is_some() => {
                        (doc.clone(), text(&v, "CreateDate"), text(&v, "UpdateDate"))
                    }
                    _ => (v.clone(), String::new(), String::new()),
                };
                let head = output::fields(&[
                    ("Policy", name.clone()),
                    ("Created", created),
                    ("Updated", updated),
                ]);
                let body = serde_json::to_string_pretty(&document)?;
                Ok(format!("{head}\n{body}"))
            })
        }
        PolicyCommand::Attach(a) => associate(client, out, a, true, "builtin").await,
        PolicyCommand::Detach(a) => associate(client, out, a, false, "builtin").await,
        PolicyCommand::Entities(filter) => entities(client, out, filter, "builtin").await,
    }
}

/// `tessera admin idp ldap policy …`: the same calls on the LDAP directory's DNs.
pub async fn run_ldap(
    client: &AdminClient,
    out: Output,
    command: LdapPolicyCommand,
) -> anyhow::Result<()> {
    match command {
        LdapPolicyCommand::Attach(a) => associate(client, out, a, true, "ldap").await,
        LdapPolicyCommand::Detach(a) => associate(client, out, a, false, "ldap").await,
        LdapPolicyCommand::Entities(filter) => entities(client, out, filter, "ldap").await,
    }
}

/// `idp/{idp}/policy-entities`.
async fn entities(
    client: &AdminClient,
    out: Output,
    filter: EntitiesFilter,
    idp: &str,
) -> anyhow::Result<()> {
    let command = format!("idp/{idp}/policy-entities");
    let mut call = Call::new(Method::GET, &command).encrypted_reply();
    for u in &filter.users {
        call = call.query("user", u);
    }
    for g in &filter.groups {
        call = call.query("group", g);
    }
    for p in &filter.policies {
        call = call.query("policy", p);
    }
    let reply = client.send(call).await?;
    out.reply(&reply, || {
        let e: PolicyEntities = output::parse(&reply, "policy-entities")?;
        Ok(render_entities(&e))
    })
}

/// `idp/{idp}/policy/attach|detach`.
async fn associate(
    client: &AdminClient,
    out: Output,
    a: Attachment,
    attach: bool,
    idp: &str,
) -> anyhow::Result<()> {
    let body = Zeroizing::new(serde_json::to_vec(&PolicyAssociation {
        policies: &a.policies,
        user: a.target.user.as_deref(),
        group: a.target.group.as_deref(),
    })?);
    let command = format!(
        "idp/{idp}/policy/{}",
        if attach { "attach" } else { "detach" }
    );
    let reply = client
        .send(
            Call::new(Method::POST, &command)
                .encrypted(body)
                .encrypted_reply(),
        )
        .await?;
    let who = match (&a.target.user, &a.target.group) {
        (Some(u), _) => format!("user `{u}`"),
        (None, Some(g)) => format!("group `{g}`"),
        (None, None) => String::new(),
    };
    let names = a.policies.join(", ");
    let message = if attach {
        format!("Attached {names} to {who}.")
    } else {
        format!("Detached {names} from {who}.")
    };
    out.done(&reply, &message)
}

fn render_entities(e: &PolicyEntities) -> String {
    let mut sections = Vec::new();
    if !e.user_mappings.is_empty() {
        let rows: Vec<Vec<String>> = e
            .user_mappings
            .iter()
            .map(|m| vec![m.user.clone(), output::list(&m.policies)])
            .collect();
        sections.push(output::table(&["USER", "POLICIES"], &rows, ""));
    }
    if !e.group_mappings.is_empty() {
        let rows: Vec<Vec<String>> = e
            .group_mappings
            .iter()
            .map(|m| vec![m.group.clone(), output::list(&m.policies)])
            .collect();
        sections.push(output::table(&["GROUP", "POLICIES"], &rows, ""));
    }
    if !e.policy_mappings.is_empty() {
        let rows: Vec<Vec<String>> = e
            .policy_mappings
            .iter()
            .map(|m| {
                vec![
                    m.policy.clone(),
                    output::list(&m.users),
                    output::list(&m.groups),
                ]
            })
            .collect();
        sections.push(output::table(&["POLICY", "USERS", "GROUPS"], &rows, ""));
    }
    if sections.is_empty() {
        "No mappings found.".to_owned()
    } else {
        sections.join("\n\n")
    }
}

fn text(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn statement_count(doc: &serde_json::Value) -> String {
    match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.len().to_string(),
        Some(serde_json::Value::Object(_)) => "1".to_owned(),
        _ => "-".to_owned(),
    }
}
