//! Identities and what they may do: users, groups, policy documents, policy mappings and
//! service accounts, kept in an `IamStore` (redb by default) and cached in memory by
//! `IamSystem`, which answers the secret of an access key and the policies that apply to it.
//! This crate parses no HTTP and talks to no identity provider.

#![forbid(unsafe_code)]

mod error;
mod etcd_store;
mod ldap_mappings;
mod model;
mod sessions;
mod store;
mod system;
mod temporary;
mod transfer;

pub use error::{IamError, IamResult};
pub use etcd_store::{DEFAULT_ETCD_PREFIX, DEFAULT_ETCD_TIMEOUT, EtcdIamStore, EtcdSettings};
pub use ldap_mappings::{LDAP_GROUPS_CLAIM, LdapEntities};
pub use model::{
    BucketPolicyRecord, GroupRecord, MappingTarget, PolicyMapping, PolicyRecord, Secret,
    ServiceAccountRecord, Status, UserRecord, now_secs, rfc3339,
};
pub use store::{Change, ChangeListener, IamStore, RedbIamStore};
pub use system::{Account, IamSystem, KeyLookup, MappingUpdate, RootAccount, UserSummary};
pub use temporary::{
    Flow, MAX_SESSION_TOKEN_BYTES, RevocationRecord, SessionClaims, SessionRefusal, SigningKeyInfo,
    TEMPORARY_KEY_PREFIX, TemporaryCredentials, TemporarySession, is_temporary_key,
};
pub use transfer::{EXPORT_FORMAT, IamExport};
