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

/// The settings of one identity subsystem (`OPENID`, `LDAP`) among `vars`: for each variable
/// named `MINIO_IDENTITY_<SUBSYSTEM>_<rest>` or `TESSERA_IDENTITY_<SUBSYSTEM>_<rest>`, `key(rest)`
/// names the setting it is (or says why not); where both prefixes set one, `TESSERA_` wins.
pub fn identity_settings<K: Ord>(
    vars: impl IntoIterator<Item = (String, String)>,
    subsystem: &str,
    mut key: impl FnMut(&str, &str) -> anyhow::Result<K>,
) -> anyhow::Result<std::collections::BTreeMap<K, String>> {
    let tessera_prefix = format!("TESSERA_IDENTITY_{subsystem}_");
    let minio_prefix = format!("MINIO_IDENTITY_{subsystem}_");
    // setting -> (value, from TESSERA_)
    let mut found = std::collections::BTreeMap::new();
    for (var, value) in vars {
        let (rest, tessera) = if let Some(r) = var.strip_prefix(&tessera_prefix) {
            (r, true)
        } else if let Some(r) = var.strip_prefix(&minio_prefix) {
            (r, false)
        } else {
            continue;
        };
        let slot = found
            .entry(key(rest, &var)?)
            .or_insert((String::new(), false));
        if tessera || !slot.1 {
            *slot = (value, tessera);
        }
    }
    Ok(found.into_iter().map(|(k, (v, _))| (k, v)).collect())
}

/// `(name, value)` pairs as an environment, for tests.
#[cfg(test)]
pub fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The `[server]` section of the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    region: Option<String>,
    max_object_size: Option<u64>,
    stale_upload_after: Option<String>,
}

/// The `[sts]` section of the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StsSection {
    duration: Option<String>,
    duration_min: Option<String>,
    duration_max: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    server: ServerSection,
    #[serde(default)]
    sts: StsSection,
}

/// Settings after merging environment, file and defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    pub region: Option<String>,
    pub max_object_size: u64,
    pub stale_upload_after: Duration,
    pub sts: tessera_frontend::StsConfig,
}

/// Parses durations such as `90s`, `15m`, `12h`, `7d` or Go's `1h30m` (a bare number means
/// seconds).
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let text = s.trim();
    let mut rest = text;
    let mut secs: u64 = 0;
    if rest.is_empty() {
        bail!("an empty duration: write one such as 90s, 15m, 12h or 7d");
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n: u64 = rest[..digits]
            .parse()
            .with_context(|| format!("`{text}` is not a duration such as 90s, 15m, 12h or 7d"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "" if digits == text.len() => 1,
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => bail!("`{text}` has an unknown unit: use s, m, h or d"),
        };
        rest = &rest[unit_len..];
        secs = n
            .checked_mul(factor)
            .and_then(|v| v.checked_add(secs))
            .with_context(|| format!("`{text}` is too long a duration"))?;
    }
    Ok(Duration::from_secs(secs))
}

/// The STS settings: `TESSERA_STS_DURATION_MIN|MAX` (defaults 900s and 365d), MinIO's
/// `MINIO_STS_DURATION` (replaces the requested AssumeRole lifetime), the region.
fn sts_config(
    file: &StsSection,
    region: Option<String>,
) -> anyhow::Result<tessera_frontend::StsConfig> {
    let secs = |name: &str, file_value: &Option<String>| -> anyhow::Result<Option<i64>> {
        match env(name).or_else(|| file_value.clone()) {
            None => Ok(None),
            Some(v) => {
                let d = parse_duration(&v).with_context(|| format!("STS setting {name}"))?;
                Ok(Some(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)))
            }
        }
    };
    let mut durations = tessera_sts_defaults();
    if let Some(min) = secs("STS_DURATION_MIN", &file.duration_min)? {
        durations.min_secs = min.max(1);
    }
    if let Some(max) = secs("STS_DURATION_MAX", &file.duration_max)? {
        durations.max_secs = max;
    }
    if durations.min_secs > durations.max_secs {
        bail!(
            "TESSERA_STS_DURATION_MIN ({}s) is longer than TESSERA_STS_DURATION_MAX ({}s)",
            durations.min_secs,
            durations.max_secs
        );
    }
    let duration_override_secs = secs("STS_DURATION", &file.duration)?;
    if let Some(o) = duration_override_secs
        && !(durations.min_secs..=durations.max_secs).contains(&o)
    {
        bail!(
            "MINIO_STS_DURATION ({o}s) is outside the allowed {}s..{}s",
            durations.min_secs,
            durations.max_secs
        );
    }
    Ok(tessera_frontend::StsConfig {
        durations,
        duration_override_secs,
        region,
    })
}

fn tessera_sts_defaults() -> tessera_frontend::StsDurationBounds {
    tessera_frontend::StsDurationBounds::default()
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
        let sts = sts_config(&file.sts, region.clone())?;
        Ok(Self {
            region,
            max_object_size,
            stale_upload_after,
            sts,
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
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("1s").unwrap(), Duration::from_secs(1));
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("5y").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("[server]\nregoin = \"x\"\n").is_err());
        let ok: FileConfig = toml::from_str("[server]\nregion = \"eu-west-1\"\n").unwrap();
        assert_eq!(ok.server.region.as_deref(), Some("eu-west-1"));
    }
}
