//! The LDAP directory's settings (MinIO's `identity_ldap` keys plus Tessera's CA file and
//! timeouts) and their checks: a server address, a lookup account, user search bases and a
//! filter with `%s`, group search bases and filter given together.

use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroizing;

use super::LdapError;
use super::dn::normalize_dn;

/// How the connection to the directory is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `ldaps://`, TLS from the first byte (the default, port 636).
    Ldaps,
    /// `ldap://` upgraded with the StartTLS operation before anything is sent (port 389).
    StartTls,
    /// `ldap://` without TLS: passwords cross the network in clear (`SERVER_INSECURE=on`).
    Plain,
}

/// Default wait for a TCP connect and TLS handshake.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default wait for one LDAP operation's answer.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

/// One LDAP directory.
#[derive(Clone)]
pub struct LdapConfig {
    /// `host[:port]`; the port defaults to 636 (LDAPS) or 389.
    pub server_addr: String,
    pub lookup_bind_dn: String,
    /// Empty: an unauthenticated lookup bind.
    pub lookup_bind_password: Zeroizing<String>,
    /// Where users are searched, each a DN.
    pub user_dn_search_base_dns: Vec<String>,
    /// A filter with `%s` standing for the login name, e.g. `(uid=%s)`.
    pub user_dn_search_filter: String,
    pub group_search_base_dns: Vec<String>,
    /// A filter with `%d` (the user's DN) and/or `%s` (the login name).
    pub group_search_filter: Option<String>,
    /// User attributes copied into the session's claims.
    pub user_dn_attributes: Vec<String>,
    pub transport: Transport,
    pub tls_skip_verify: bool,
    /// PEM certificates trusted besides the system's roots.
    pub ca_file: Option<PathBuf>,
    pub connect_timeout: Duration,
    pub operation_timeout: Duration,
}

impl std::fmt::Debug for LdapConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapConfig")
            .field("server_addr", &self.server_addr)
            .field("lookup_bind_dn", &self.lookup_bind_dn)
            .field("lookup_bind_password", &"…")
            .field("user_dn_search_base_dns", &self.user_dn_search_base_dns)
            .field("user_dn_search_filter", &self.user_dn_search_filter)
            .field("group_search_base_dns", &self.group_search_base_dns)
            .field("group_search_filter", &self.group_search_filter)
            .field("user_dn_attributes", &self.user_dn_attributes)
            .field("transport", &self.transport)
            .field("tls_skip_verify", &self.tls_skip_verify)
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

impl LdapConfig {
    /// The `ldap://` or `ldaps://` URL dialled.
    #[must_use]
    pub fn url(&self) -> String {
        let (scheme, port) = match self.transport {
            Transport::Ldaps => ("ldaps", 636),
            Transport::StartTls | Transport::Plain => ("ldap", 389),
        };
        let addr = self.server_addr.trim();
        let has_port = match addr.rfind(']') {
            Some(bracket) => addr[bracket..].contains(':'),
            None => addr.contains(':'),
        };
        if has_port {
            format!("{scheme}://{addr}")
        } else {
            format!("{scheme}://{addr}:{port}")
        }
    }

    /// Checks the settings and brings the base DNs into canonical form.
    pub fn validated(mut self) -> Result<Self, LdapError> {
        let bad = |why: String| Err(LdapError::Config(why));
        let addr = self.server_addr.trim();
        if addr.is_empty() || addr.contains('/') || addr.contains(char::is_whitespace) {
            return bad(format!(
                "SERVER_ADDR `{addr}` is not host[:port] (e.g. ldap.example.com:636)"
            ));
        }
        if self.lookup_bind_dn.trim().is_empty() {
            return bad(
                "LOOKUP_BIND_DN is required: the account Tessera searches the directory with"
                    .into(),
            );
        }
        self.lookup_bind_dn = normalize_dn(&self.lookup_bind_dn)?;
        if self.user_dn_search_base_dns.is_empty() {
            return bad(
                "USER_DN_SEARCH_BASE_DN is required (several DNs are separated by `;`)".into(),
            );
        }
        if !self.user_dn_search_filter.contains("%s") {
            return bad(format!(
                "USER_DN_SEARCH_FILTER `{}` must contain `%s`, which stands for the login name (e.g. `(uid=%s)`)",
                self.user_dn_search_filter
            ));
        }
        if self.user_dn_search_filter.contains("%d") {
            return bad(
                "USER_DN_SEARCH_FILTER must not contain `%d`: the user's DN is what it finds"
                    .into(),
            );
        }
        match (
            &self.group_search_filter,
            self.group_search_base_dns.is_empty(),
        ) {
            (Some(_), true) => {
                return bad("GROUP_SEARCH_FILTER is set without GROUP_SEARCH_BASE_DN".into());
            }
            (None, false) => {
                return bad("GROUP_SEARCH_BASE_DN is set without GROUP_SEARCH_FILTER".into());
            }
            (Some(f), false) if !f.contains("%s") && !f.contains("%d") => {
                return bad(format!(
                    "GROUP_SEARCH_FILTER `{f}` must contain `%d` (the user's DN) or `%s` (the login name)"
                ));
            }
            _ => {}
        }
        for base in self
            .user_dn_search_base_dns
            .iter_mut()
            .chain(self.group_search_base_dns.iter_mut())
        {
            *base = normalize_dn(base)?;
        }
        Ok(self)
    }
}

/// A `;`-separated list of DNs.
#[must_use]
pub fn split_base_dns(list: &str) -> Vec<String> {
    list.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn config() -> LdapConfig {
        LdapConfig {
            server_addr: "127.0.0.1:3389".into(),
            lookup_bind_dn: "cn=lookup,ou=service,dc=tessera,dc=test".into(),
            lookup_bind_password: Zeroizing::new("lookup-secret".into()),
            user_dn_search_base_dns: split_base_dns(
                "ou=people,dc=tessera,dc=test; OU=contractors,dc=tessera,dc=test",
            ),
            user_dn_search_filter: "(uid=%s)".into(),
            group_search_base_dns: vec!["ou=groups,dc=tessera,dc=test".into()],
            group_search_filter: Some("(&(objectclass=groupOfNames)(member=%d))".into()),
            user_dn_attributes: vec!["mail".into()],
            transport: Transport::Plain,
            tls_skip_verify: false,
            ca_file: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
        }
    }

    #[test]
    fn urls_by_transport() {
        let mut c = config();
        assert_eq!(c.url(), "ldap://127.0.0.1:3389");
        c.server_addr = "ldap.example.com".into();
        assert_eq!(c.url(), "ldap://ldap.example.com:389");
        c.transport = Transport::Ldaps;
        assert_eq!(c.url(), "ldaps://ldap.example.com:636");
        c.server_addr = "[::1]".into();
        assert_eq!(c.url(), "ldaps://[::1]:636");
        c.server_addr = "[::1]:1636".into();
        assert_eq!(c.url(), "ldaps://[::1]:1636");
    }

    #[test]
    fn validation_names_the_setting() {
        let c = config().validated().unwrap();
        assert_eq!(
            c.user_dn_search_base_dns[1],
            "ou=contractors,dc=tessera,dc=test"
        );
        let err = |f: fn(&mut LdapConfig)| {
            let mut c = config();
            f(&mut c);
            c.validated().unwrap_err().to_string()
        };
        assert!(err(|c| c.server_addr = String::new()).contains("SERVER_ADDR"));
        assert!(err(|c| c.lookup_bind_dn = String::new()).contains("LOOKUP_BIND_DN"));
        assert!(err(|c| c.user_dn_search_base_dns.clear()).contains("USER_DN_SEARCH_BASE_DN"));
        assert!(err(|c| c.user_dn_search_filter = "(uid=x)".into()).contains("%s"));
        assert!(err(|c| c.user_dn_search_filter = "(&(uid=%s)(x=%d))".into()).contains("%d"));
        assert!(err(|c| c.group_search_base_dns.clear()).contains("GROUP_SEARCH_BASE_DN"));
        assert!(err(|c| c.group_search_filter = None).contains("GROUP_SEARCH_FILTER"));
        assert!(err(|c| c.group_search_filter = Some("(cn=x)".into())).contains("%d"));
        assert!(err(|c| c.user_dn_search_base_dns = vec!["ou".into()]).contains("ou"));
    }
}
