//! `tessera admin user …`: internal users (add or change the secret, remove, enable, disable,
//! list, info).

use http::Method;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::UserCommand;
use super::client::{AdminClient, Call};
use super::output::{self, Output};

/// MinIO's `madmin.UserInfo`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserInfo {
    #[serde(default)]
    policy_name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    member_of: Vec<String>,
}

impl UserInfo {
    fn policies(&self) -> Vec<String> {
        self.policy_name
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddUser<'a> {
    secret_key: &'a str,
    status: &'a str,
}

pub async fn run(client: &AdminClient, out: Output, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            access_key,
            secret_key,
        } => {
            let secret = super::read_secret(secret_key)?;
            let body = Zeroizing::new(serde_json::to_vec(&AddUser {
                secret_key: &secret,
                status: "enabled",
            })?);
            let reply = client
                .send(
                    Call::new(Method::PUT, "add-user")
                        .query("accessKey", &access_key)
                        .encrypted(body),
                )
                .await?;
            out.done(&reply, &format!("Added user `{access_key}` (enabled)."))
        }
        UserCommand::Remove { access_key } => {
            let reply = client
                .send(Call::new(Method::DELETE, "remove-user").query("accessKey", &access_key))
                .await?;
            out.done(&reply, &format!("Removed user `{access_key}`."))
        }
        UserCommand::Enable { access_key } => set_status(client, out, &access_key, true).await,
        UserCommand::Disable { access_key } => set_status(client, out, &access_key, false).await,
        UserCommand::List => {
            let reply = client
                .send(Call::new(Method::GET, "list-users").encrypted_reply())
                .await?;
            out.reply(&reply, || {
                let users: std::collections::BTreeMap<String, UserInfo> =
                    output::parse(&reply, "list-users")?;
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|(name, u)| {
                        vec![
                            name.clone(),
                            u.status.clone(),
                            output::list(&u.policies()),
                            output::list(&u.member_of),
                        ]
                    })
                    .collect();
                Ok(output::table(
                    &["ACCESS KEY", "STATUS", "POLICIES", "GROUPS"],
                    &rows,
                    "No users.",
                ))
            })
        }
        UserCommand::Info { access_key } => {
            let reply = client
                .send(Call::new(Method::GET, "user-info").query("accessKey", &access_key))
                .await?;
            out.reply(&reply, || {
                let u: UserInfo = output::parse(&reply, "user-info")?;
                Ok(output::fields(&[
                    ("Access key", access_key.clone()),
                    ("Status", u.status.clone()),
                    ("Policies", output::list(&u.policies())),
                    ("Groups", output::list(&u.member_of)),
                ]))
            })
        }
    }
}

async fn set_status(
    client: &AdminClient,
    out: Output,
    access_key: &str,
    enable: bool,
) -> anyhow::Result<()> {
    let status = if enable { "enabled" } else { "disabled" };
    let reply = client
        .send(
            Call::new(Method::PUT, "set-user-status")
                .query("accessKey", access_key)
                .query("status", status),
        )
        .await?;
    out.done(&reply, &format!("User `{access_key}` is {status}."))
}
