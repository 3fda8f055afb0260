//! The root user's credentials: from the environment, or generated on first start and kept in
//! `DIR/.tessera/root-credentials.json`, readable by the owner only, printed once.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use rand::distr::{Alphanumeric, SampleString as _};
use serde::{Deserialize, Serialize};
use tessera_iam::{RootAccount, Secret};

use crate::config::env;

const FILE: &str = "root-credentials.json";

#[derive(Serialize, Deserialize)]
struct Stored {
    access_key: String,
    secret_key: String,
}

fn validate(user: &str, password: &str) -> anyhow::Result<()> {
    if user.len() < 3 {
        bail!(
            "the root user must be at least 3 characters long: set MINIO_ROOT_USER (or TESSERA_ROOT_USER) to a longer name"
        );
    }
    if password.len() < 8 {
        bail!(
            "the root password must be at least 8 characters long: set MINIO_ROOT_PASSWORD (or TESSERA_ROOT_PASSWORD) to a longer one"
        );
    }
    Ok(())
}

/// Loads or creates the root credentials for the state directory `system_dir`.
pub fn load_or_create(system_dir: &Path) -> anyhow::Result<RootAccount> {
    match (env("ROOT_USER"), env("ROOT_PASSWORD")) {
        (Some(user), Some(password)) => {
            validate(&user, &password)?;
            return Ok(RootAccount {
                access_key: user,
                secret_key: Secret::new(password),
            });
        }
        (Some(_), None) | (None, Some(_)) => {
            bail!(
                "set both MINIO_ROOT_USER and MINIO_ROOT_PASSWORD (or their TESSERA_ forms), or neither to use generated credentials"
            )
        }
        (None, None) => {}
    }
    let path = system_dir.join(FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let stored: Stored = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not valid: delete it to generate new credentials",
                path.display()
            )
        })?;
        validate(&stored.access_key, &stored.secret_key)?;
        return Ok(RootAccount {
            access_key: stored.access_key,
            secret_key: Secret::new(stored.secret_key),
        });
    }
    let mut rng = rand::rng();
    let stored = Stored {
        access_key: Alphanumeric
            .sample_string(&mut rng, 20)
            .to_ascii_uppercase(),
        secret_key: Alphanumeric.sample_string(&mut rng, 40),
    };
    let tmp = system_dir.join(format!("{FILE}.tmp"));
    let _ = std::fs::remove_file(&tmp);
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        f.write_all(serde_json::to_string_pretty(&stored)?.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(system_dir)?.sync_all()?;
    // Printed once, on the terminal of the operator who started the server; never logged.
    println!(
        "Tessera generated root credentials and stored them in {} (readable by this user only):\n  access key: {}\n  secret key: {}",
        path.display(),
        stored.access_key,
        stored.secret_key
    );
    Ok(RootAccount {
        access_key: stored.access_key,
        secret_key: Secret::new(stored.secret_key),
    })
}
