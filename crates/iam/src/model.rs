//! The records Tessera keeps about identities: users, groups, policy documents, policy
//! mappings and service accounts, as stored (JSON) and cached. Secrets are a type that cannot
//! be printed.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

/// A secret key: zeroised on drop, never shown by `Debug`, compared in constant time.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

impl Secret {
    #[must_use]
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// The secret itself, for signing checks and encryption keys only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    #[must_use]
    pub fn ct_eq(&self, other: &str) -> bool {
        self.0.as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Whether an account or group takes part in authorisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Enabled,
    Disabled,
}

impl Status {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "enabled" => Some(Self::Enabled),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
        }
    }
}

/// An IAM user: long-term keys of a person or an application.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserRecord {
    pub access_key: String,
    pub secret_key: Secret,
    pub status: Status,
    /// Unix seconds of the last change.
    pub updated: i64,
}

/// A group of users; its policies apply to every enabled member while it is enabled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupRecord {
    pub name: String,
    pub members: BTreeSet<String>,
    pub status: Status,
    pub updated: i64,
}

/// A named policy document (canonical JSON, validated by the policy crate).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyRecord {
    pub name: String,
    pub document: String,
    pub created: i64,
    pub updated: i64,
}

/// The policies attached to one user or group.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PolicyMapping {
    pub policies: Vec<String>,
    pub updated: i64,
}

/// Who a mapping belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MappingTarget {
    User(String),
    Group(String),
    /// An LDAP user, by canonical DN.
    LdapUser(String),
    /// An LDAP group, by canonical DN.
    LdapGroup(String),
}

/// A service account: an extra access key of a parent user, with the parent's policies,
/// optionally narrowed by an embedded policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceAccountRecord {
    pub access_key: String,
    pub secret_key: Secret,
    pub parent: String,
    pub embedded_policy: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Unix seconds after which the key stops working.
    pub expiration: Option<i64>,
    pub status: Status,
    pub updated: i64,
}

/// Current time in Unix seconds.
#[must_use]
pub fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Unix seconds as RFC 3339 (UTC), for messages and admin answers; empty if out of range.
#[must_use]
pub fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

pub(crate) fn user_key(access_key: &str) -> String {
    format!("users/{access_key}")
}
pub(crate) fn group_key(name: &str) -> String {
    format!("groups/{name}")
}
pub(crate) fn policy_key(name: &str) -> String {
    format!("policies/{name}")
}
/// Store key prefixes of the LDAP DN mappings.
pub(crate) const LDAP_USER_MAPPINGS: &str = "mappings/ldap-users/";
pub(crate) const LDAP_GROUP_MAPPINGS: &str = "mappings/ldap-groups/";

pub(crate) fn mapping_key(target: &MappingTarget) -> String {
    match target {
        MappingTarget::User(u) => format!("mappings/users/{u}"),
        MappingTarget::Group(g) => format!("mappings/groups/{g}"),
        MappingTarget::LdapUser(dn) => format!("{LDAP_USER_MAPPINGS}{dn}"),
        MappingTarget::LdapGroup(dn) => format!("{LDAP_GROUP_MAPPINGS}{dn}"),
    }
}
pub(crate) fn service_account_key(access_key: &str) -> String {
    format!("svcaccts/{access_key}")
}
pub(crate) fn bucket_policy_key(bucket: &str) -> String {
    format!("bucketpolicies/{bucket}")
}

/// A bucket's policy document (canonical JSON, validated as a bucket policy).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketPolicyRecord {
    pub bucket: String,
    pub document: String,
    pub updated: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let u = UserRecord {
            access_key: "alice".into(),
            secret_key: Secret::new("hunter2-secret".into()),
            status: Status::Enabled,
            updated: 0,
        };
        let shown = format!("{u:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let json = serde_json::to_string(&u).unwrap();
        assert!(
            json.contains("hunter2-secret"),
            "the store keeps the secret"
        );
        assert!(u.secret_key.ct_eq("hunter2-secret"));
        assert!(!u.secret_key.ct_eq("hunter2-secreT"));
    }
}
