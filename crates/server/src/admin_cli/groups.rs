//! `tessera admin group …`: groups (add members, creating the group; remove members, or the
//! group when it is named alone; list, info, enable, disable).

use http::Method;
use serde::{Deserialize, Serialize};

use super::GroupCommand;
use super::client::{AdminClient, Call};
use super::output::{self, Output};

/// MinIO's `madmin.GroupAddRemove`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupAddRemove<'a> {
    group: &'a str,
    members: &'a [String],
    is_remove: bool,
}

/// MinIO's `madmin.GroupDesc`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupDesc {
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    updated_at: String,
}

pub async fn run(client: &AdminClient, out: Output, command: GroupCommand) -> anyhow::Result<()> {
    match command {
        GroupCommand::Add { group, members } => {
            let reply = update_members(client, &group, &members, false).await?;
            out.done(
                &reply,
                &format!("Added {} to group `{group}`.", quoted(&members)),
            )
        }
        GroupCommand::Remove { group, members } => {
            let reply = update_members(client, &group, &members, true).await?;
            let message = if members.is_empty() {
                format!("Removed group `{group}`.")
            } else {
                format!("Removed {} from group `{group}`.", quoted(&members))
            };
            out.done(&reply, &message)
        }
        GroupCommand::List => {
            let reply = client.send(Call::new(Method::GET, "groups")).await?;
            out.reply(&reply, || {
                let groups: Option<Vec<String>> = output::parse(&reply, "groups")?;
                let rows: Vec<Vec<String>> = groups
                    .unwrap_or_default()
                    .into_iter()
                    .map(|g| vec![g])
                    .collect();
                Ok(output::table(&["GROUP"], &rows, "No groups."))
            })
        }
        GroupCommand::Info { group } => {
            let reply = client
                .send(Call::new(Method::GET, "group").query("group", &group))
                .await?;
            out.reply(&reply, || {
                let g: GroupDesc = output::parse(&reply, "group")?;
                let policies: Vec<String> = g
                    .policy
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect();
                Ok(output::fields(&[
                    ("Group", g.name),
                    ("Status", g.status),
                    ("Policies", output::list(&policies)),
                    ("Members", output::list(&g.members)),
                    ("Updated", g.updated_at),
                ]))
            })
        }
        GroupCommand::Enable { group } => set_status(client, out, &group, true).await,
        GroupCommand::Disable { group } => set_status(client, out, &group, false).await,
    }
}

async fn update_members(
    client: &AdminClient,
    group: &str,
    members: &[String],
    is_remove: bool,
) -> anyhow::Result<zeroize::Zeroizing<Vec<u8>>> {
    let body = serde_json::to_vec(&GroupAddRemove {
        group,
        members,
        is_remove,
    })?;
    client
        .send(Call::new(Method::PUT, "update-group-members").plain(body))
        .await
}

async fn set_status(
    client: &AdminClient,
    out: Output,
    group: &str,
    enable: bool,
) -> anyhow::Result<()> {
    let status = if enable { "enabled" } else { "disabled" };
    let reply = client
        .send(
            Call::new(Method::PUT, "set-group-status")
                .query("group", group)
                .query("status", status),
        )
        .await?;
    out.done(&reply, &format!("Group `{group}` is {status}."))
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
