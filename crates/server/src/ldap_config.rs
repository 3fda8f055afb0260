//! The LDAP directory of the environment: MinIO's `MINIO_IDENTITY_LDAP_<KEY>` variables (each
//! also as `TESSERA_IDENTITY_LDAP_…`, which wins) plus Tessera's `CA_FILE`, `CONNECT_TIMEOUT`
//! and `OPERATION_TIMEOUT`. LDAP is on when `SERVER_ADDR` is set (and `ENABLE` is not off).

use anyhow::{Context, bail};
use tessera_idp::ldap::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT, LdapConfig, Transport, split_base_dns,
};
use zeroize::Zeroizing;

use crate::config::{identity_settings, parse_duration};

/// The keys read, longest first (none is a prefix of another's name, but keep it that way).
const KEYS: &[&str] = &[
    "USER_DN_SEARCH_BASE_DN",
    "USER_DN_SEARCH_FILTER",
    "LOOKUP_BIND_PASSWORD",
    "GROUP_SEARCH_BASE_DN",
    "GROUP_SEARCH_FILTER",
    "USER_DN_ATTRIBUTES",
    "OPERATION_TIMEOUT",
    "CONNECT_TIMEOUT",
    "SERVER_INSECURE",
    "SERVER_STARTTLS",
    "LOOKUP_BIND_DN",
    "TLS_SKIP_VERIFY",
    "SRV_RECORD_NAME",
    "SERVER_ADDR",
    "CA_FILE",
    "ENABLE",
];

/// Reads the directory's settings from `vars` (the process environment in production);
/// `None` when LDAP is not configured.
pub fn ldap_config(
    vars: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<Option<LdapConfig>> {
    let found = identity_settings(vars, "LDAP", |rest, var| {
        KEYS.iter().copied().find(|k| *k == rest).ok_or_else(|| {
            anyhow::anyhow!("{var} is not an LDAP setting (known: {})", KEYS.join(", "))
        })
    })?;
    let get = |k: &str| {
        found
            .get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let switch = |k: &str| -> anyhow::Result<bool> {
        match get(k).as_deref() {
            None | Some("off" | "false" | "0") => Ok(false),
            Some("on" | "true" | "1") => Ok(true),
            Some(other) => bail!("MINIO_IDENTITY_LDAP_{k} is `{other}`; use on or off"),
        }
    };
    let Some(server_addr) = get("SERVER_ADDR") else {
        return Ok(None);
    };
    if get("ENABLE").is_some() && !switch("ENABLE")? {
        return Ok(None);
    }
    if get("SRV_RECORD_NAME").is_some() {
        bail!(
            "MINIO_IDENTITY_LDAP_SRV_RECORD_NAME is not supported: give the server as SERVER_ADDR host:port"
        );
    }
    let transport = match (switch("SERVER_INSECURE")?, switch("SERVER_STARTTLS")?) {
        (true, true) => {
            bail!(
                "MINIO_IDENTITY_LDAP_SERVER_INSECURE and _SERVER_STARTTLS are both on: choose one"
            )
        }
        (true, false) => Transport::Plain,
        (false, true) => Transport::StartTls,
        (false, false) => Transport::Ldaps,
    };
    let timeout = |k: &str, default| -> anyhow::Result<_> {
        get(k).map_or(Ok(default), |v| {
            parse_duration(&v).with_context(|| format!("TESSERA_IDENTITY_LDAP_{k}"))
        })
    };
    let config = LdapConfig {
        server_addr,
        lookup_bind_dn: get("LOOKUP_BIND_DN").unwrap_or_default(),
        lookup_bind_password: Zeroizing::new(
            found
                .get("LOOKUP_BIND_PASSWORD")
                .cloned()
                .unwrap_or_default(),
        ),
        user_dn_search_base_dns: split_base_dns(&get("USER_DN_SEARCH_BASE_DN").unwrap_or_default()),
        user_dn_search_filter: get("USER_DN_SEARCH_FILTER").unwrap_or_default(),
        group_search_base_dns: split_base_dns(&get("GROUP_SEARCH_BASE_DN").unwrap_or_default()),
        group_search_filter: get("GROUP_SEARCH_FILTER"),
        user_dn_attributes: get("USER_DN_ATTRIBUTES")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        transport,
        tls_skip_verify: switch("TLS_SKIP_VERIFY")?,
        ca_file: get("CA_FILE").map(Into::into),
        connect_timeout: timeout("CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)?,
        operation_timeout: timeout("OPERATION_TIMEOUT", DEFAULT_OPERATION_TIMEOUT)?,
    };
    Ok(Some(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::vars;

    #[test]
    fn minio_names_with_tessera_winning() {
        let c = ldap_config(vars(&[
            ("MINIO_IDENTITY_LDAP_SERVER_ADDR", "ldap.example.com:636"),
            ("MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN", "cn=lookup,dc=x"),
            ("MINIO_IDENTITY_LDAP_LOOKUP_BIND_PASSWORD", "pw"),
            (
                "MINIO_IDENTITY_LDAP_USER_DN_SEARCH_BASE_DN",
                "ou=a,dc=x;ou=b,dc=x",
            ),
            ("MINIO_IDENTITY_LDAP_USER_DN_SEARCH_FILTER", "(uid=%s)"),
            ("MINIO_IDENTITY_LDAP_USER_DN_ATTRIBUTES", "mail, cn"),
            ("MINIO_IDENTITY_LDAP_SERVER_STARTTLS", "on"),
            ("TESSERA_IDENTITY_LDAP_SERVER_ADDR", "127.0.0.1:389"),
            ("TESSERA_IDENTITY_LDAP_OPERATION_TIMEOUT", "2s"),
            ("PATH", "/bin"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(c.server_addr, "127.0.0.1:389");
        assert_eq!(c.transport, Transport::StartTls);
        assert_eq!(c.user_dn_search_base_dns, ["ou=a,dc=x", "ou=b,dc=x"]);
        assert_eq!(c.user_dn_attributes, ["mail", "cn"]);
        assert_eq!(c.operation_timeout, std::time::Duration::from_secs(2));
        assert_eq!(c.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
        assert!(!format!("{c:?}").contains("pw\""), "{c:?}");
    }

    #[test]
    fn off_and_mistakes() {
        assert!(ldap_config(vars(&[])).unwrap().is_none());
        assert!(
            ldap_config(vars(&[
                ("MINIO_IDENTITY_LDAP_SERVER_ADDR", "x:1"),
                ("MINIO_IDENTITY_LDAP_ENABLE", "off")
            ]))
            .unwrap()
            .is_none()
        );
        let err = |pairs: &[(&str, &str)]| ldap_config(vars(pairs)).unwrap_err().to_string();
        assert!(err(&[("MINIO_IDENTITY_LDAP_SERVERADDR", "x")]).contains("not an LDAP setting"));
        assert!(
            err(&[
                ("MINIO_IDENTITY_LDAP_SERVER_ADDR", "x:1"),
                ("MINIO_IDENTITY_LDAP_SERVER_INSECURE", "on"),
                ("MINIO_IDENTITY_LDAP_SERVER_STARTTLS", "on"),
            ])
            .contains("choose one")
        );
        assert!(
            err(&[
                ("MINIO_IDENTITY_LDAP_SERVER_ADDR", "x:1"),
                ("MINIO_IDENTITY_LDAP_SERVER_INSECURE", "maybe"),
            ])
            .contains("on or off")
        );
    }
}
