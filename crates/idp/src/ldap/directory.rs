//! The directory operations behind an LDAP login and the admin's DN mappings: finding a user
//! (exactly one entry across the user search bases), proving the password with a bind on a
//! connection of its own, finding the user's groups, and checking that a DN named in a
//! mapping is an entry under the right bases. Searches run on the lookup connection and are
//! retried once on a fresh one when it has dropped.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;

use ldap3::{Scope, SearchEntry};

use super::LdapError;
use super::config::LdapConfig;
use super::connection::{Connector, LookupConnection, close_in_background};
use super::dn::{clip, is_within, normalize_dn};
use super::filter::fill;

/// Longest login name accepted; longer ones are refused before the directory is asked.
pub const MAX_USERNAME_BYTES: usize = 512;
/// Longest password accepted.
pub const MAX_PASSWORD_BYTES: usize = 4096;
/// LDAP result code of a search whose base entry does not exist.
const NO_SUCH_OBJECT: u32 = 32;
/// Values kept per copied user attribute.
const MAX_ATTRIBUTE_VALUES: usize = 16;
/// Groups kept per login (more would make the session token large).
const MAX_GROUPS: usize = 256;

/// Who logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapIdentity {
    /// The user's DN in canonical form: the session's parent and the key of its mappings.
    pub user_dn: String,
    /// The DN as the directory returned it.
    pub actual_dn: String,
    /// The login name as typed.
    pub username: String,
    /// The user's groups' DNs in canonical form.
    pub groups: Vec<String>,
    /// The configured user attributes, by lower-cased name.
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// One configured LDAP directory.
pub struct LdapDirectory {
    config: LdapConfig,
    connector: Connector,
    lookup: LookupConnection,
}

impl std::fmt::Debug for LdapDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapDirectory")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LdapDirectory {
    /// Checks `config`; connects on first use.
    pub fn new(config: LdapConfig) -> Result<Self, LdapError> {
        let config = config.validated()?;
        Ok(Self {
            connector: Connector::new(&config)?,
            lookup: LookupConnection::new(&config),
            config,
        })
    }

    #[must_use]
    pub fn config(&self) -> &LdapConfig {
        &self.config
    }

    /// Binds the lookup account and checks that every base DN exists.
    pub async fn check(&self) -> Result<(), LdapError> {
        for base in self
            .config
            .user_dn_search_base_dns
            .iter()
            .chain(&self.config.group_search_base_dns)
        {
            let found = self
                .search(
                    "base DN check",
                    base,
                    Scope::Base,
                    "(objectClass=*)",
                    &["1.1"],
                )
                .await?;
            if found.is_empty() {
                return Err(LdapError::Config(format!(
                    "the base DN `{base}` does not exist in the directory"
                )));
            }
        }
        Ok(())
    }

    /// Proves `username`'s `password` and finds the user's groups.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<LdapIdentity, LdapError> {
        if username.len() > MAX_USERNAME_BYTES {
            return Err(LdapError::UsernameTooLong);
        }
        if password.is_empty() {
            return Err(LdapError::EmptyPassword);
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(LdapError::PasswordTooLong);
        }
        let Some(user) = self.find_user(username).await? else {
            return Err(LdapError::LoginFailed);
        };
        let mut conn = self.connector.connect().await?;
        let bound = self
            .connector
            .bind(&mut conn, "user bind", &user.dn, password)
            .await;
        close_in_background(conn);
        if !bound? {
            return Err(LdapError::LoginFailed);
        }
        let user_dn = normalize_dn(&user.dn)?;
        let groups = self.groups_of(username, &user.dn).await?;
        let mut attributes = BTreeMap::new();
        for name in &self.config.user_dn_attributes {
            if let Some((_, values)) = user
                .attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
            {
                let values: Vec<String> =
                    values.iter().take(MAX_ATTRIBUTE_VALUES).cloned().collect();
                attributes.insert(name.to_ascii_lowercase(), values);
            }
        }
        Ok(LdapIdentity {
            user_dn,
            actual_dn: user.dn,
            username: username.to_owned(),
            groups,
            attributes,
        })
    }

    /// The canonical DN of a user named by DN or by login name, checked against the directory
    /// (for a mapping).
    pub async fn user_dn(&self, user: &str) -> Result<String, LdapError> {
        let not_found = || LdapError::NoSuchEntry {
            kind: "user",
            name: clip(user),
        };
        if looks_like_dn(user) {
            let dn = normalize_dn(user)?;
            if !self
                .config
                .user_dn_search_base_dns
                .iter()
                .any(|b| is_within(&dn, b))
            {
                return Err(not_found());
            }
            return self.existing_entry(&dn).await?.ok_or_else(not_found);
        }
        if user.len() > MAX_USERNAME_BYTES {
            return Err(LdapError::UsernameTooLong);
        }
        let entry = self.find_user(user).await?.ok_or_else(not_found)?;
        normalize_dn(&entry.dn)
    }

    /// The canonical DN of a group, checked to be an entry under a group search base.
    pub async fn group_dn(&self, group: &str) -> Result<String, LdapError> {
        let dn = normalize_dn(group)?;
        let not_found = || LdapError::NoSuchEntry {
            kind: "group",
            name: clip(group),
        };
        let bases = if self.config.group_search_base_dns.is_empty() {
            &self.config.user_dn_search_base_dns
        } else {
            &self.config.group_search_base_dns
        };
        if !bases.iter().any(|b| is_within(&dn, b)) {
            return Err(not_found());
        }
        self.existing_entry(&dn).await?.ok_or_else(not_found)
    }

    /// The entry of `username`: none, or exactly one across the bases.
    async fn find_user(&self, username: &str) -> Result<Option<SearchEntry>, LdapError> {
        let filter = fill(&self.config.user_dn_search_filter, username, "");
        let attrs: Vec<&str> = if self.config.user_dn_attributes.is_empty() {
            vec!["1.1"]
        } else {
            self.config
                .user_dn_attributes
                .iter()
                .map(String::as_str)
                .collect()
        };
        let mut found = Vec::new();
        for base in &self.config.user_dn_search_base_dns {
            found.extend(
                self.search("user search", base, Scope::Subtree, &filter, &attrs)
                    .await?,
            );
        }
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop()),
            count => Err(LdapError::AmbiguousUser {
                username: clip(username),
                count,
            }),
        }
    }

    /// The canonical DNs of the groups of the user (`dn` as the directory returned it).
    async fn groups_of(&self, username: &str, dn: &str) -> Result<Vec<String>, LdapError> {
        let Some(template) = &self.config.group_search_filter else {
            return Ok(Vec::new());
        };
        let filter = fill(template, username, dn);
        let mut groups = Vec::new();
        for base in &self.config.group_search_base_dns {
            for entry in self
                .search("group search", base, Scope::Subtree, &filter, &["1.1"])
                .await?
            {
                let group = normalize_dn(&entry.dn)?;
                if !groups.contains(&group) && groups.len() < MAX_GROUPS {
                    groups.push(group);
                }
            }
        }
        Ok(groups)
    }

    /// The canonical DN of the entry `dn` as the directory has it, if it exists.
    async fn existing_entry(&self, dn: &str) -> Result<Option<String>, LdapError> {
        let found = self
            .search("entry check", dn, Scope::Base, "(objectClass=*)", &["1.1"])
            .await?;
        found.first().map(|e| normalize_dn(&e.dn)).transpose()
    }

    /// A search on the lookup connection, retried once on a fresh connection when the first
    /// attempt failed for a reason other than a timeout. A missing base is an empty result.
    async fn search(
        &self,
        operation: &'static str,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: &[&str],
    ) -> Result<Vec<SearchEntry>, LdapError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut ldap = self.lookup.handle(&self.connector).await?;
            let outcome = self
                .connector
                .timed(operation, ldap.search(base, scope, filter, attrs.to_vec()))
                .await;
            let result = match outcome {
                Ok(result) => result,
                Err(e @ LdapError::Operation { .. }) if attempt == 1 => {
                    tracing::info!(error = %e, "the LDAP lookup connection failed; dialling again");
                    self.lookup.reset().await;
                    continue;
                }
                Err(e) => {
                    self.lookup.reset().await;
                    return Err(e);
                }
            };
            let ldap3::SearchResult(entries, status) = result;
            return match status.rc {
                0 => entries
                    .into_iter()
                    .map(|raw| {
                        // ldap3 panics on an entry it cannot parse; a broken answer must not
                        // take the request down with it.
                        std::panic::catch_unwind(AssertUnwindSafe(|| SearchEntry::construct(raw)))
                            .map_err(|_| LdapError::Operation {
                                operation,
                                message: "the server sent an entry that is not valid LDAP".into(),
                            })
                    })
                    .collect(),
                NO_SUCH_OBJECT => Ok(Vec::new()),
                rc => Err(LdapError::Operation {
                    operation,
                    message: format!("result code {rc} {}", status.text),
                }),
            };
        }
    }
}

/// Whether an admin named a user by DN (`uid=…,ou=…`) rather than by login name.
fn looks_like_dn(user: &str) -> bool {
    user.contains('=')
}
