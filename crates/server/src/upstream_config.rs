//! The upstream S3 cluster of the environment (`TESSERA_UPSTREAM_*`): set, object data lives
//! there instead of under the data directory. The endpoint and the service key are required
//! together; the region defaults to `us-east-1`, the bucket prefix to none.

use anyhow::{Context as _, bail};
use tessera_storage::UpstreamOptions;
use zeroize::Zeroizing;

use crate::config::parse_duration;

/// Default bound on connecting to the upstream and on each of its answers' first byte.
const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The upstream settings from `vars`; `None` when no endpoint is set.
pub fn upstream_options(
    vars: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<Option<UpstreamOptions>> {
    let vars: Vec<(String, String)> = vars.into_iter().collect();
    let get = |name: &str| {
        vars.iter()
            .find(|(k, _)| k == &format!("TESSERA_UPSTREAM_{name}"))
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let Some(endpoint) = get("ENDPOINT") else {
        return Ok(None);
    };
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        bail!("TESSERA_UPSTREAM_ENDPOINT `{endpoint}` is not a URL such as http://rgw:7480");
    }
    let (Some(access_key), Some(secret_key)) = (get("ACCESS_KEY"), get("SECRET_KEY")) else {
        bail!(
            "TESSERA_UPSTREAM_ENDPOINT is set: TESSERA_UPSTREAM_ACCESS_KEY and TESSERA_UPSTREAM_SECRET_KEY (Tessera's own key at the cluster) are required too"
        );
    };
    let bucket_prefix = get("BUCKET_PREFIX").unwrap_or_default();
    if bucket_prefix
        .chars()
        .any(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'))
    {
        bail!(
            "TESSERA_UPSTREAM_BUCKET_PREFIX `{bucket_prefix}` may hold only lower-case letters, digits, `-` and `.` (it starts bucket names)"
        );
    }
    let timeout = match get("TIMEOUT") {
        Some(t) => parse_duration(&t).context("TESSERA_UPSTREAM_TIMEOUT")?,
        None => DEFAULT_TIMEOUT,
    };
    Ok(Some(UpstreamOptions {
        endpoint,
        region: get("REGION").unwrap_or_else(|| "us-east-1".to_owned()),
        access_key,
        secret_key: Zeroizing::new(secret_key),
        bucket_prefix,
        timeout,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::vars;

    #[test]
    fn settings_and_mistakes() {
        assert!(upstream_options(vars(&[])).unwrap().is_none());
        let o = upstream_options(vars(&[
            ("TESSERA_UPSTREAM_ENDPOINT", "http://127.0.0.1:7480"),
            ("TESSERA_UPSTREAM_ACCESS_KEY", "svc"),
            ("TESSERA_UPSTREAM_SECRET_KEY", "svc-secret"),
            ("TESSERA_UPSTREAM_BUCKET_PREFIX", "t1-"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(o.region, "us-east-1");
        assert_eq!(o.bucket_prefix, "t1-");
        assert!(!format!("{o:?}").contains("svc-secret"));
        let err = |pairs: &[(&str, &str)]| upstream_options(vars(pairs)).unwrap_err().to_string();
        assert!(err(&[("TESSERA_UPSTREAM_ENDPOINT", "http://x:1")]).contains("ACCESS_KEY"));
        assert!(err(&[("TESSERA_UPSTREAM_ENDPOINT", "x:1")]).contains("not a URL"));
        assert!(
            err(&[
                ("TESSERA_UPSTREAM_ENDPOINT", "http://x:1"),
                ("TESSERA_UPSTREAM_ACCESS_KEY", "a"),
                ("TESSERA_UPSTREAM_SECRET_KEY", "b"),
                ("TESSERA_UPSTREAM_BUCKET_PREFIX", "Bad_"),
            ])
            .contains("lower-case")
        );
    }
}
