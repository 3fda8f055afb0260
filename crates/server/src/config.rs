//! Server configuration: the environment (MinIO's names, each also readable with the prefix
//! `TESSERA_`, which wins), an optional TOML file with the same keys in sections, and defaults.
//! The environment wins over the file.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::Deserialize;

/// Reads `MINIO_<name>` or `TESSERA_<name>`; the `TESSERA_` one wins. Empty values count as unset.
pub fn env(name: &str) -> Option<String> {
    let get = |k: String| std::env::var(k).ok().filter(|v| !v.is_empty());
    get(format!("TESSERA_{name}")).or_else(|| get(format!("MINIO_{name}")))
}

/// The `[server]` section of the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    region: Option<String>,
    max_object_size: Option<u64>,
    stale_upload_after: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    server: ServerSection,
}

/// Settings after merging environment, file and defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    pub region: Option<String>,
    pub max_object_size: u64,
    pub stale_upload_after: Duration,
}

/// Parses durations such as `90s`, `15m`, `12h`, `7d` (a bare number means seconds).
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, ""), |i| s.split_at(i));
    let n: u64 = num
        .parse()
        .with_context(|| format!("`{s}` is not a duration such as 90s, 15m, 12h or 7d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => bail!("`{s}` has an unknown unit: use s, m, h or d"),
    };
    Ok(Duration::from_secs(secs))
}

impl Settings {
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let file: FileConfig = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read the config file {}", p.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("the config file {} is not valid", p.display()))?
            }
            None => FileConfig::default(),
        };
        let region = env("REGION")
            .or_else(|| env("SITE_REGION"))
            .or(file.server.region);
        let max_object_size = match std::env::var("TESSERA_MAX_OBJECT_SIZE")
            .ok()
            .filter(|v| !v.is_empty())
        {
            Some(v) => v.parse().with_context(|| {
                format!("TESSERA_MAX_OBJECT_SIZE must be a number of bytes, got `{v}`")
            })?,
            None => file
                .server
                .max_object_size
                .unwrap_or(5 * 1024 * 1024 * 1024),
        };
        let stale = std::env::var("TESSERA_STALE_UPLOAD_AFTER")
            .ok()
            .filter(|v| !v.is_empty())
            .or(file.server.stale_upload_after);
        let stale_upload_after = match stale {
            Some(v) => parse_duration(&v).context("TESSERA_STALE_UPLOAD_AFTER")?,
            None => Duration::from_secs(24 * 3600),
        };
        Ok(Self {
            region,
            max_object_size,
            stale_upload_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("12h").unwrap(), Duration::from_secs(43_200));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("5y").is_err());
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("[server]\nregoin = \"x\"\n").is_err());
        let ok: FileConfig = toml::from_str("[server]\nregion = \"eu-west-1\"\n").unwrap();
        assert_eq!(ok.server.region.as_deref(), Some("eu-west-1"));
    }
}
