//! The shared identity store of the environment: `MINIO_ETCD_ENDPOINTS` (comma list; set, it
//! replaces the embedded store), `MINIO_ETCD_PATH_PREFIX`, `MINIO_ETCD_CLIENT_CERT` and
//! `MINIO_ETCD_CLIENT_CERT_KEY` as MinIO names them, plus Tessera's `TESSERA_ETCD_CA_FILE` and
//! `TESSERA_ETCD_TIMEOUT`. Each `MINIO_` name is also read as `TESSERA_…`, which wins.

use anyhow::{Context as _, bail};
use tessera_iam::{DEFAULT_ETCD_PREFIX, DEFAULT_ETCD_TIMEOUT, EtcdSettings};

use crate::config::parse_duration;

/// The etcd settings from `vars`; `None` when no endpoint is set.
pub fn etcd_settings(
    vars: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<Option<EtcdSettings>> {
    let vars: Vec<(String, String)> = vars.into_iter().collect();
    let get = |name: &str| {
        let find = |full: String| {
            vars.iter()
                .find(|(k, _)| *k == full)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        find(format!("TESSERA_{name}")).or_else(|| find(format!("MINIO_{name}")))
    };
    let Some(endpoints) = get("ETCD_ENDPOINTS") else {
        return Ok(None);
    };
    let endpoints: Vec<String> = endpoints
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect();
    for e in &endpoints {
        if !(e.starts_with("http://") || e.starts_with("https://")) {
            bail!("MINIO_ETCD_ENDPOINTS: `{e}` is not a URL such as http://127.0.0.1:2379");
        }
    }
    let mut prefix = get("ETCD_PATH_PREFIX").unwrap_or_else(|| DEFAULT_ETCD_PREFIX.to_owned());
    if !prefix.ends_with('/') {
        prefix.push('/');
    }
    let timeout = match get("ETCD_TIMEOUT") {
        Some(t) => parse_duration(&t).context("TESSERA_ETCD_TIMEOUT")?,
        None => DEFAULT_ETCD_TIMEOUT,
    };
    Ok(Some(EtcdSettings {
        endpoints,
        prefix,
        client_cert: get("ETCD_CLIENT_CERT").map(Into::into),
        client_key: get("ETCD_CLIENT_CERT_KEY").map(Into::into),
        ca_file: get("ETCD_CA_FILE").map(Into::into),
        timeout,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::vars;

    #[test]
    fn endpoints_prefix_and_timeout() {
        assert!(etcd_settings(vars(&[])).unwrap().is_none());
        let s = etcd_settings(vars(&[
            (
                "MINIO_ETCD_ENDPOINTS",
                "http://127.0.0.1:2379, http://127.0.0.1:2381",
            ),
            ("MINIO_ETCD_PATH_PREFIX", "site-a"),
            ("TESSERA_ETCD_TIMEOUT", "2s"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(
            s.endpoints,
            ["http://127.0.0.1:2379", "http://127.0.0.1:2381"]
        );
        assert_eq!(s.prefix, "site-a/");
        assert_eq!(s.timeout, std::time::Duration::from_secs(2));
        let s = etcd_settings(vars(&[("TESSERA_ETCD_ENDPOINTS", "https://etcd:2379")]))
            .unwrap()
            .unwrap();
        assert_eq!(s.prefix, DEFAULT_ETCD_PREFIX);
        let err = etcd_settings(vars(&[("MINIO_ETCD_ENDPOINTS", "127.0.0.1:2379")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a URL"), "{err}");
    }
}
