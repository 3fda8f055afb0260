//! `tessera admin iam export|import`: every identity record out of a server into a file, and
//! from a file into a server (moving from the embedded store to etcd). The file holds secrets
//! (users' secret keys, the STS signing keys): it is written readable by its owner only.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use anyhow::Context as _;
use http::Method;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::IamCommand;
use super::client::{AdminClient, Call};
use super::output::Output;
use super::read_input;

#[derive(Deserialize)]
struct Imported {
    records: usize,
}

pub async fn run(client: &AdminClient, out: Output, command: IamCommand) -> anyhow::Result<()> {
    match command {
        IamCommand::Export { file } => {
            let reply = client
                .send(Call::new(Method::GET, "tessera/iam/export").encrypted_reply())
                .await?;
            let count = serde_json::from_slice::<serde_json::Value>(&reply)
                .ok()
                .and_then(|v| {
                    v.get("records")
                        .and_then(|r| r.as_object())
                        .map(|r| r.len())
                })
                .unwrap_or_default();
            if file == Path::new("-") {
                std::io::stdout()
                    .write_all(&reply)
                    .context("writing the export to standard output")?;
                return Ok(());
            }
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&file)
                .with_context(|| {
                    format!(
                        "cannot create {} (an existing file is not replaced)",
                        file.display()
                    )
                })?;
            f.write_all(&reply)
                .and_then(|()| f.sync_all())
                .with_context(|| format!("cannot write {}", file.display()))?;
            out.done(
                b"",
                &format!(
                    "Exported {count} identity records to {} (it holds secret keys: keep it safe).",
                    file.display()
                ),
            )
        }
        IamCommand::Import { file } => {
            let body = Zeroizing::new(read_input(&file)?);
            let reply = client
                .send(Call::new(Method::PUT, "tessera/iam/import").encrypted(body))
                .await?;
            let imported: Imported = super::output::parse(&reply, "the import's answer")?;
            out.done(
                &reply,
                &format!("Imported {} identity records.", imported.records),
            )
        }
    }
}
