//! `tessera admin sts …`: revoke a user's temporary credentials (all, or one
//! `TokenRevokeType`), list the signing keys, rotate them.

use http::Method;
use serde::Deserialize;

use super::StsCommand;
use super::client::{AdminClient, Call};
use super::output::{self, Output};

#[derive(Deserialize)]
struct KeyRing {
    keys: Vec<KeyInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyInfo {
    id: u16,
    created: String,
    #[serde(default)]
    retires: Option<String>,
    current: bool,
}

fn key_table(reply: &[u8]) -> anyhow::Result<String> {
    let ring: KeyRing = output::parse(reply, "the STS key ring")?;
    let rows: Vec<Vec<String>> = ring
        .keys
        .into_iter()
        .map(|k| {
            vec![
                k.id.to_string(),
                k.created,
                k.retires.unwrap_or_else(|| "-".into()),
                if k.current { "yes" } else { "" }.to_owned(),
            ]
        })
        .collect();
    Ok(output::table(
        &["KEY", "CREATED", "RETIRES", "CURRENT"],
        &rows,
        "No keys.",
    ))
}

pub async fn run(client: &AdminClient, out: Output, command: StsCommand) -> anyhow::Result<()> {
    match command {
        StsCommand::Revoke {
            user,
            revoke_type,
            all,
        } => {
            let mut call = Call::new(Method::POST, "revoke-tokens/builtin");
            if let Some(user) = &user {
                call = call.query("user", user);
            }
            call = match &revoke_type {
                Some(t) => call.query("tokenRevokeType", t),
                None => call.query("fullRevoke", "true"),
            };
            debug_assert!(all || revoke_type.is_some());
            let reply = client.send(call).await?;
            let whose = user.map_or_else(|| "your".to_owned(), |u| format!("`{u}`'s"));
            let which = revoke_type.map_or_else(
                || "all temporary credentials".to_owned(),
                |t| format!("temporary credentials of type `{t}`"),
            );
            out.done(
                &reply,
                &format!("Revoked {whose} {which} issued until now."),
            )
        }
        StsCommand::Keys => {
            let reply = client
                .send(Call::new(Method::GET, "tessera/sts/keys"))
                .await?;
            out.reply(&reply, || key_table(&reply))
        }
        StsCommand::RotateKey => {
            let reply = client
                .send(Call::new(Method::POST, "tessera/sts/rotate-key"))
                .await?;
            out.reply(&reply, || key_table(&reply))
        }
    }
}
