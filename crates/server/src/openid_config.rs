//! The OpenID providers of the environment: MinIO's `MINIO_IDENTITY_OPENID_<KEY>[_<NAME>]`
//! variables (each also as `TESSERA_IDENTITY_OPENID_…`, which wins), one provider per distinct
//! `_NAME` suffix, none for the default provider. Checked at start: every provider needs a
//! discovery URL and a client id, client ids are unique, at most one provider is claim-based.

use std::collections::BTreeMap;

use anyhow::bail;
use tessera_idp::openid::{DEFAULT_CLAIM_NAME, OpenIdConfig};

use crate::config::identity_settings;

/// The keys read per provider, longest first so that `CLAIM_NAME` is not taken for a `CLAIM`
/// key with a `NAME` suffix.
const KEYS: &[&str] = &[
    "CLAIM_USERINFO",
    "CLIENT_SECRET",
    "DISPLAY_NAME",
    "REDIRECT_URI",
    "CLAIM_PREFIX",
    "ROLE_POLICY",
    "CONFIG_URL",
    "CLAIM_NAME",
    "CLIENT_ID",
    "SCOPES",
    "ENABLE",
];

/// Reads the providers from `vars` (the process environment in production).
pub fn openid_configs(
    vars: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<Vec<OpenIdConfig>> {
    let found = identity_settings(vars, "OPENID", |rest, var| {
        KEYS.iter()
            .find_map(|k| {
                if rest == *k {
                    Some((String::new(), *k))
                } else {
                    rest.strip_prefix(k)
                        .and_then(|n| n.strip_prefix('_'))
                        .filter(|n| !n.is_empty())
                        .map(|n| (n.to_ascii_lowercase(), *k))
                }
            })
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{var} is not a setting of an OpenID provider (known: {})",
                    KEYS.join(", ")
                )
            })
    })?;
    let mut by_name: BTreeMap<String, BTreeMap<&str, String>> = BTreeMap::new();
    for ((name, key), value) in found {
        by_name.entry(name).or_default().insert(key, value);
    }
    let mut configs = Vec::new();
    for (name, keys) in by_name {
        let label = if name.is_empty() {
            "MINIO_IDENTITY_OPENID_*".to_owned()
        } else {
            format!("MINIO_IDENTITY_OPENID_*_{}", name.to_ascii_uppercase())
        };
        let get = |k: &str| {
            keys.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if get("ENABLE").is_some_and(|v| matches!(v.as_str(), "off" | "false" | "0")) {
            continue;
        }
        let Some(config_url) = get("CONFIG_URL") else {
            bail!("{label}: CONFIG_URL (the provider's discovery document) is required");
        };
        let Some(client_id) = get("CLIENT_ID") else {
            bail!("{label}: CLIENT_ID is required (tokens must name it in `aud` or `azp`)");
        };
        let claim_name = match (get("CLAIM_PREFIX"), get("CLAIM_NAME")) {
            (Some(prefix), claim) => {
                format!("{prefix}{}", claim.as_deref().unwrap_or(DEFAULT_CLAIM_NAME))
            }
            (None, claim) => claim.unwrap_or_else(|| DEFAULT_CLAIM_NAME.to_owned()),
        };
        let role_policy: Vec<String> = get("ROLE_POLICY")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        configs.push(OpenIdConfig {
            name,
            config_url,
            client_id,
            client_secret: get("CLIENT_SECRET"),
            claim_name,
            role_policy,
            claim_userinfo: match get("CLAIM_USERINFO").as_deref() {
                None | Some("off" | "false" | "0") => false,
                Some("on" | "true" | "1") => true,
                Some(other) => bail!("{label}: CLAIM_USERINFO is `{other}`; use on or off"),
            },
        });
    }
    let claim_based = configs.iter().filter(|c| !c.is_role_based()).count();
    if claim_based > 1 {
        bail!(
            "{claim_based} OpenID providers are claim-based; at most one may be (give the others a ROLE_POLICY)"
        );
    }
    for (i, c) in configs.iter().enumerate() {
        if configs[..i].iter().any(|o| o.client_id == c.client_id) {
            bail!(
                "two OpenID providers share the client id `{}`: each needs its own",
                c.client_id
            );
        }
    }
    Ok(configs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::vars;

    #[test]
    fn default_and_named_providers_with_tessera_winning() {
        let configs = openid_configs(vars(&[
            (
                "MINIO_IDENTITY_OPENID_CONFIG_URL",
                "http://a/.well-known/openid-configuration",
            ),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID", "minio-id"),
            ("TESSERA_IDENTITY_OPENID_CLIENT_ID", "tessera"),
            ("MINIO_IDENTITY_OPENID_CLAIM_NAME", "realm_access.roles"),
            (
                "MINIO_IDENTITY_OPENID_CONFIG_URL_CORP",
                "http://b/.well-known/openid-configuration",
            ),
            ("MINIO_IDENTITY_OPENID_CLIENT_ID_CORP", "corp"),
            (
                "MINIO_IDENTITY_OPENID_ROLE_POLICY_CORP",
                "readonly, diagnostics",
            ),
            ("MINIO_IDENTITY_OPENID_CLIENT_SECRET_CORP", "s3cret"),
            ("PATH", "/bin"),
        ]))
        .unwrap();
        assert_eq!(configs.len(), 2);
        assert_eq!(configs[0].name, "");
        assert_eq!(configs[0].client_id, "tessera");
        assert_eq!(configs[0].claim_name, "realm_access.roles");
        assert!(!configs[0].is_role_based());
        assert_eq!(configs[1].name, "corp");
        assert_eq!(configs[1].role_policy, ["readonly", "diagnostics"]);
        assert_eq!(configs[1].client_secret.as_deref(), Some("s3cret"));
    }

    #[test]
    fn mistakes_are_refused_with_the_setting_named() {
        let err = |pairs: &[(&str, &str)]| openid_configs(vars(pairs)).unwrap_err().to_string();
        assert!(err(&[("MINIO_IDENTITY_OPENID_CLIENT_ID", "x")]).contains("CONFIG_URL"));
        assert!(err(&[("MINIO_IDENTITY_OPENID_CONFIG_URL", "http://a")]).contains("CLIENT_ID"));
        assert!(err(&[("MINIO_IDENTITY_OPENID_CLIENTID", "x")]).contains("not a setting"));
        assert!(
            err(&[
                ("MINIO_IDENTITY_OPENID_CONFIG_URL", "http://a"),
                ("MINIO_IDENTITY_OPENID_CLIENT_ID", "x"),
                ("MINIO_IDENTITY_OPENID_CONFIG_URL_B", "http://b"),
                ("MINIO_IDENTITY_OPENID_CLIENT_ID_B", "y"),
            ])
            .contains("claim-based")
        );
        assert!(
            err(&[
                ("MINIO_IDENTITY_OPENID_CONFIG_URL", "http://a"),
                ("MINIO_IDENTITY_OPENID_CLIENT_ID", "x"),
                ("MINIO_IDENTITY_OPENID_CONFIG_URL_B", "http://b"),
                ("MINIO_IDENTITY_OPENID_CLIENT_ID_B", "x"),
                ("MINIO_IDENTITY_OPENID_ROLE_POLICY_B", "readonly"),
            ])
            .contains("share the client id")
        );
        assert!(openid_configs(vars(&[])).unwrap().is_empty());
    }
}
