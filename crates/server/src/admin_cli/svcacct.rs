//! `tessera admin svcacct …`: service accounts, the extra access keys of a user (add, remove,
//! list, info, edit). Every request and reply body here is madmin-encrypted; `add` prints the
//! new secret key, once.

use std::path::Path;

use anyhow::Context as _;
use http::Method;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::SvcacctCommand;
use super::client::{AdminClient, Call};
use super::output::{self, Output};

/// MinIO's `madmin.AddServiceAccountReq`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<&'a str>,
}

/// MinIO's `madmin.UpdateServiceAccountReq`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    new_policy: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_secret_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_expiration: Option<&'a str>,
}

#[derive(Deserialize)]
struct AddReply {
    credentials: NewCredentials,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewCredentials {
    access_key: String,
    secret_key: String,
    #[serde(default)]
    expiration: Option<String>,
}

#[derive(Deserialize)]
struct ListReply {
    #[serde(default)]
    accounts: Option<Vec<Listed>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    #[serde(default)]
    parent_user: String,
    #[serde(default)]
    account_status: String,
    #[serde(default)]
    access_key: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    expiration: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InfoReply {
    #[serde(default)]
    parent_user: String,
    #[serde(default)]
    account_status: String,
    #[serde(default)]
    implied_policy: bool,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    expiration: Option<String>,
}

pub async fn run(client: &AdminClient, out: Output, command: SvcacctCommand) -> anyhow::Result<()> {
    match command {
        SvcacctCommand::Add(a) => {
            let policy = a.policy.as_deref().map(policy_file).transpose()?;
            let secret = a.secret_key.map(super::read_secret).transpose()?;
            let body = Zeroizing::new(serde_json::to_vec(&AddRequest {
                policy,
                target_user: a.parent.as_deref(),
                access_key: a.access_key.as_deref(),
                secret_key: secret.as_deref().map(String::as_str),
                name: a.name.as_deref(),
                description: a.description.as_deref(),
                expiration: a.expiry.as_deref(),
            })?);
            let reply = client
                .send(
                    Call::new(Method::PUT, "add-service-account")
                        .encrypted(body)
                        .encrypted_reply(),
                )
                .await?;
            out.reply(&reply, || {
                let r: AddReply = output::parse(&reply, "add-service-account")?;
                let c = r.credentials;
                let secret_key = Zeroizing::new(c.secret_key);
                Ok(format!(
                    "{}\nThe secret key is shown only now: keep it somewhere safe.",
                    output::fields(&[
                        ("Access key", c.access_key),
                        ("Secret key", secret_key.as_str().to_owned()),
                        ("Expiration", c.expiration.unwrap_or_else(|| "never".into())),
                    ])
                ))
            })
        }
        SvcacctCommand::Remove { access_key } => {
            let reply = client
                .send(
                    Call::new(Method::DELETE, "delete-service-account")
                        .query("accessKey", &access_key),
                )
                .await?;
            out.done(&reply, &format!("Removed service account `{access_key}`."))
        }
        SvcacctCommand::List { user } => {
            let mut call = Call::new(Method::GET, "list-service-accounts").encrypted_reply();
            if let Some(u) = &user {
                call = call.query("user", u);
            }
            let reply = client.send(call).await?;
            out.reply(&reply, || {
                let r: ListReply = output::parse(&reply, "list-service-accounts")?;
                let rows: Vec<Vec<String>> = r
                    .accounts
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| {
                        vec![
                            a.access_key,
                            a.parent_user,
                            a.account_status,
                            a.name.unwrap_or_else(|| "-".into()),
                            a.expiration.unwrap_or_else(|| "never".into()),
                        ]
                    })
                    .collect();
                Ok(output::table(
                    &["ACCESS KEY", "PARENT", "STATUS", "NAME", "EXPIRES"],
                    &rows,
                    "No service accounts.",
                ))
            })
        }
        SvcacctCommand::Info { access_key } => {
            let reply = client
                .send(
                    Call::new(Method::GET, "info-service-account")
                        .query("accessKey", &access_key)
                        .encrypted_reply(),
                )
                .await?;
            out.reply(&reply, || {
                let r: InfoReply = output::parse(&reply, "info-service-account")?;
                let policy_kind = if r.implied_policy {
                    "inherited from the parent"
                } else {
                    "embedded"
                };
                let head = output::fields(&[
                    ("Access key", access_key.clone()),
                    ("Parent", r.parent_user),
                    ("Status", r.account_status),
                    ("Name", r.name.unwrap_or_default()),
                    ("Description", r.description.unwrap_or_default()),
                    ("Expiration", r.expiration.unwrap_or_else(|| "never".into())),
                    ("Policy", policy_kind.to_owned()),
                ]);
                Ok(format!("{head}\n{}", output::pretty_policy(&r.policy)))
            })
        }
        SvcacctCommand::Edit(e) => {
            let new_policy = if e.clear_policy {
                Some(serde_json::json!({}))
            } else {
                e.policy.as_deref().map(policy_file).transpose()?
            };
            let secret = e.secret_key.map(super::read_secret).transpose()?;
            let body = Zeroizing::new(serde_json::to_vec(&UpdateRequest {
                new_policy,
                new_secret_key: secret.as_deref().map(String::as_str),
                new_status: e.status.map(|s| s.as_str()),
                new_name: e.name.as_deref(),
                new_description: e.description.as_deref(),
                new_expiration: e.expiry.as_deref(),
            })?);
            let reply = client
                .send(
                    Call::new(Method::POST, "update-service-account")
                        .query("accessKey", &e.access_key)
                        .encrypted(body),
                )
                .await?;
            out.done(
                &reply,
                &format!("Updated service account `{}`.", e.access_key),
            )
        }
    }
}

/// A policy file (or `-`, standard input) as the JSON value the request embeds.
fn policy_file(path: &Path) -> anyhow::Result<serde_json::Value> {
    let bytes = super::read_input(path)?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("the policy file {} is not valid JSON", path.display()))
}
