//! LDAP DN mappings on `IamSystem`: which policies an LDAP user or group DN carries (written
//! through `update_mapping` with `MappingTarget::LdapUser`/`LdapGroup`, after the admin layer
//! has checked the DN against the directory), the policies of a login (its DN and its groups'
//! DNs), and the listing by policy. LDAP sessions resolve their policies here at each request,
//! so a detached mapping takes effect at the next request.

use std::collections::BTreeMap;

use crate::system::{Cache, IamSystem};

/// The claim of an LDAP session that holds its groups' DNs.
pub const LDAP_GROUPS_CLAIM: &str = "groups";

/// LDAP mappings by policy name: the user DNs and the group DNs that carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LdapEntities {
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

impl IamSystem {
    /// The existing policies mapped to `user_dn` and to each of `groups` (canonical DNs), in
    /// that order, without repeats.
    #[must_use]
    pub fn ldap_policy_names(&self, user_dn: &str, groups: &[String]) -> Vec<String> {
        let c = self.read();
        let mut names: Vec<String> = Vec::new();
        Self::each_ldap_policy(&c, user_dn, groups, |name| {
            if Self::policy_exists(&c, name) && !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        });
        names
    }

    /// Calls `f` with each policy name mapped to `user_dn` and to each of `groups`.
    pub(crate) fn each_ldap_policy(
        c: &Cache,
        user_dn: &str,
        groups: &[String],
        mut f: impl FnMut(&str),
    ) {
        let user = c.ldap_user_mappings.get(user_dn).into_iter();
        let groups = groups.iter().filter_map(|g| c.ldap_group_mappings.get(g));
        for mapping in user.chain(groups) {
            mapping.policies.iter().for_each(|p| f(p));
        }
    }

    /// The policies mapped to one LDAP user or group DN.
    #[must_use]
    pub fn ldap_mapping(&self, dn: &str, group: bool) -> Vec<String> {
        let c = self.read();
        let map = if group {
            &c.ldap_group_mappings
        } else {
            &c.ldap_user_mappings
        };
        map.get(dn).map(|m| m.policies.clone()).unwrap_or_default()
    }

    /// Every LDAP user and group DN with a policy mapped, by policy name.
    #[must_use]
    pub fn ldap_policy_entities(&self) -> BTreeMap<String, LdapEntities> {
        let c = self.read();
        let mut out: BTreeMap<String, LdapEntities> = BTreeMap::new();
        for (dn, m) in &c.ldap_user_mappings {
            for p in &m.policies {
                out.entry(p.clone()).or_default().users.push(dn.clone());
            }
        }
        for (dn, m) in &c.ldap_group_mappings {
            for p in &m.policies {
                out.entry(p.clone()).or_default().groups.push(dn.clone());
            }
        }
        out
    }
}
