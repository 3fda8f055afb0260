//! `IamSystem`: the cache of every identity record and the only way to change them. Each
//! change is validated, written to the `IamStore` as one durable batch, then applied to the
//! cache; changes are serialised, so two concurrent updates of one user cannot lose either.
//! Reads (signature secrets, policy resolution) never touch the store.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use tessera_policy::Policy;

use crate::error::{IamError, IamResult};
use crate::ldap_mappings::LDAP_GROUPS_CLAIM;
use crate::model::*;
use crate::store::{Change, IamStore};
use crate::temporary::{
    Flow, KEY_RING_KEY, KeyRing, REVOCATIONS_PREFIX, RevocationRecord, SessionCache, StoredKeyRing,
    TEMPORARY_KEY_PREFIX, TemporarySession, new_stored_ring,
};

/// The root account, configured outside the store.
#[derive(Debug, Clone)]
pub struct RootAccount {
    pub access_key: String,
    pub secret_key: Secret,
}

/// Who an access key belongs to.
#[derive(Debug, Clone)]
pub enum Account {
    Root,
    User {
        name: String,
    },
    ServiceAccount {
        access_key: String,
        parent: String,
        /// Narrows the parent's policies when present.
        embedded_policy: Option<Arc<Policy>>,
    },
    /// Temporary credentials from STS, verified with their session token.
    Temporary(Arc<TemporarySession>),
}

impl Account {
    /// The policy that narrows the account's policies (they must both allow a request): a
    /// service account's embedded policy, or a session's policy.
    #[must_use]
    pub fn narrowing_policy(&self) -> Option<&Arc<Policy>> {
        match self {
            Account::ServiceAccount {
                embedded_policy, ..
            } => embedded_policy.as_ref(),
            Account::Temporary(session) => session.session_policy.as_ref(),
            Account::Root | Account::User { .. } => None,
        }
    }
}

/// The result of looking up an access key for a signature check.
#[derive(Debug, Clone)]
pub enum KeyLookup {
    Active { account: Account, secret: Secret },
    Disabled,
    Expired,
    Unknown,
}

pub(crate) struct Cache {
    /// The STS signing keys, as stored and ready to use.
    pub(crate) stored_ring: StoredKeyRing,
    pub(crate) ring: Arc<KeyRing>,
    /// STS revocations, by parent.
    pub(crate) revocations: BTreeMap<String, RevocationRecord>,
    pub(crate) users: BTreeMap<String, UserRecord>,
    groups: BTreeMap<String, GroupRecord>,
    policies: BTreeMap<String, PolicyRecord>,
    /// The stored policies, parsed.
    parsed: BTreeMap<String, Arc<Policy>>,
    /// The embedded policies of service accounts, parsed.
    embedded: BTreeMap<String, Arc<Policy>>,
    /// Bucket policies by bucket, stored and parsed.
    bucket_policies: BTreeMap<String, (BucketPolicyRecord, Arc<Policy>)>,
    user_mappings: BTreeMap<String, PolicyMapping>,
    group_mappings: BTreeMap<String, PolicyMapping>,
    /// LDAP DN mappings, by canonical user or group DN.
    pub(crate) ldap_user_mappings: BTreeMap<String, PolicyMapping>,
    pub(crate) ldap_group_mappings: BTreeMap<String, PolicyMapping>,
    service_accounts: BTreeMap<String, ServiceAccountRecord>,
}

/// One user as listed.
#[derive(Debug, Clone, Serialize)]
pub struct UserSummary {
    pub access_key: String,
    pub status: Status,
    pub policies: Vec<String>,
    pub groups: Vec<String>,
}

/// The identity system of one node.
pub struct IamSystem {
    pub(crate) store: Arc<dyn IamStore>,
    pub(crate) root: RootAccount,
    cache: RwLock<Cache>,
    writer: Mutex<()>,
    /// Temporary sessions verified on this node.
    pub(crate) sessions: SessionCache,
}

impl Cache {
    /// The cache of `records` (which hold the key ring).
    fn from_records(records: &BTreeMap<String, Vec<u8>>) -> IamResult<Self> {
        let now = now_secs();
        let stored_ring: StoredKeyRing = match records.get(KEY_RING_KEY) {
            Some(bytes) => serde_json::from_slice(bytes)?,
            None => {
                return Err(IamError::Store(
                    "the STS key ring is missing from the identity store".into(),
                ));
            }
        };
        let mut cache = Cache {
            ring: Arc::new(KeyRing::from_stored(&stored_ring, now)?),
            stored_ring,
            revocations: decode_all(records, REVOCATIONS_PREFIX)?,
            users: decode_all(records, "users/")?,
            groups: decode_all(records, "groups/")?,
            policies: decode_all(records, "policies/")?,
            user_mappings: decode_all(records, "mappings/users/")?,
            group_mappings: decode_all(records, "mappings/groups/")?,
            ldap_user_mappings: decode_all(records, LDAP_USER_MAPPINGS)?,
            ldap_group_mappings: decode_all(records, LDAP_GROUP_MAPPINGS)?,
            service_accounts: decode_all(records, "svcaccts/")?,
            parsed: BTreeMap::new(),
            embedded: BTreeMap::new(),
            bucket_policies: BTreeMap::new(),
        };
        let bucket_policies: BTreeMap<String, BucketPolicyRecord> =
            decode_all(records, "bucketpolicies/")?;
        for (bucket, record) in bucket_policies {
            match Policy::parse_bucket(&record.document) {
                Ok(p) => {
                    cache.bucket_policies.insert(bucket, (record, Arc::new(p)));
                }
                Err(e) => {
                    tracing::error!(%bucket, error = %e, "a stored bucket policy no longer parses; it grants nothing until replaced")
                }
            }
        }
        // Documents were validated when stored; one that no longer parses (a stricter engine)
        // is reported and left out of every decision rather than stopping the server.
        for (name, record) in &cache.policies {
            match Policy::parse(&record.document) {
                Ok(p) => {
                    cache.parsed.insert(name.clone(), Arc::new(p));
                }
                Err(e) => {
                    tracing::error!(policy = %name, error = %e, "a stored policy no longer parses; it grants nothing until replaced")
                }
            }
        }
        for (key, sa) in &cache.service_accounts {
            if let Some(doc) = &sa.embedded_policy {
                match Policy::parse(doc) {
                    Ok(p) => {
                        cache.embedded.insert(key.clone(), Arc::new(p));
                    }
                    Err(e) => {
                        tracing::error!(service_account = %key, error = %e, "an embedded policy no longer parses; the key is denied everything")
                    }
                }
            }
        }
        Ok(cache)
    }
}

pub(crate) fn encode<T: Serialize>(v: &T) -> IamResult<Option<Vec<u8>>> {
    Ok(Some(serde_json::to_vec(v)?))
}

fn decode_all<T: DeserializeOwned>(
    records: &BTreeMap<String, Vec<u8>>,
    prefix: &str,
) -> IamResult<BTreeMap<String, T>> {
    let mut out = BTreeMap::new();
    for (k, v) in records.range(prefix.to_owned()..) {
        let Some(name) = k.strip_prefix(prefix) else {
            break;
        };
        out.insert(name.to_owned(), serde_json::from_slice(v)?);
    }
    Ok(out)
}

fn valid_name(kind: &str, name: &str) -> IamResult<()> {
    if name.is_empty()
        || name.len() > 128
        || name
            .chars()
            .any(|c| c == ',' || c == '/' || c.is_whitespace() || c.is_control())
    {
        return Err(IamError::InvalidArgument(format!(
            "the {kind} name `{name}` is not valid: use 1 to 128 characters without commas, slashes or spaces"
        )));
    }
    Ok(())
}

impl IamSystem {
    /// Loads every record from `store` into the cache (making the STS key ring on the very
    /// first start).
    pub fn open(store: Arc<dyn IamStore>, root: RootAccount) -> IamResult<Self> {
        let mut records = store.load_all()?;
        if !records.contains_key(KEY_RING_KEY) {
            let ring = new_stored_ring(now_secs())?;
            match store.write(vec![(KEY_RING_KEY.to_owned(), encode(&ring)?)]) {
                // Another node sharing the store made one meanwhile: use that one.
                Ok(()) | Err(IamError::Conflict) => {}
                Err(e) => return Err(e),
            }
            records = store.load_all()?;
        }
        let cache = Cache::from_records(&records)?;
        Ok(Self {
            store,
            root,
            cache: RwLock::new(cache),
            writer: Mutex::new(()),
            sessions: SessionCache::default(),
        })
    }

    /// Reads every record again and replaces the cache (another node sharing the store changed
    /// something). Verified sessions are forgotten when the key ring changed.
    pub fn reload(&self) -> IamResult<()> {
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.reload_locked()
    }

    /// Holds off every other change (for a sequence of writes that must not interleave).
    pub(crate) fn lock_writer(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn reload_locked(&self) -> IamResult<()> {
        let records = self.store.load_all()?;
        let fresh = Cache::from_records(&records)?;
        let mut cache = self
            .cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let ring_changed = cache.stored_ring != fresh.stored_ring;
        *cache = fresh;
        drop(cache);
        if ring_changed {
            self.sessions.clear();
        }
        Ok(())
    }

    /// Follows changes other nodes make to a shared store: each one reloads this node's cache.
    pub fn follow_store(self: &Arc<Self>) -> IamResult<()> {
        let weak = Arc::downgrade(self);
        self.store.watch(Box::new(move || {
            if let Some(iam) = weak.upgrade() {
                match iam.reload() {
                    Ok(()) => tracing::debug!("identity state reloaded after a change on another node"),
                    Err(e) => tracing::warn!(error = %e, "reloading the identity state failed; keeping the previous copy"),
                }
            }
        }))
    }

    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, Cache> {
        self.cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Serialises changes: validate against the cache (`f`), write the batch durably, then
    /// apply it to the cache (`apply`), all under one writer lock so that the cache changes in
    /// the order the store did. When a shared store says another node changed a record of the
    /// batch meanwhile, the cache is read again and `f` decides anew (a few times at most).
    pub(crate) fn change<T>(
        &self,
        mut f: impl FnMut(&Cache) -> IamResult<(Vec<Change>, T)>,
        apply: impl FnOnce(&mut Cache, &T),
    ) -> IamResult<T> {
        const ATTEMPTS: usize = 4;
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut attempt = 1;
        let out = loop {
            let (batch, out) = f(&self.read())?;
            match self.store.write(batch) {
                Ok(()) => break out,
                Err(IamError::Conflict) if attempt < ATTEMPTS => {
                    attempt += 1;
                    self.reload_locked()?;
                }
                Err(e) => return Err(e),
            }
        };
        apply(
            &mut self
                .cache
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            &out,
        );
        Ok(out)
    }

    #[must_use]
    pub fn root_access_key(&self) -> &str {
        &self.root.access_key
    }

    /// The account and secret behind an access key, for signature verification.
    #[must_use]
    pub fn lookup(&self, access_key: &str) -> KeyLookup {
        if self.root.access_key.as_bytes() == access_key.as_bytes() {
            return KeyLookup::Active {
                account: Account::Root,
                secret: self.root.secret_key.clone(),
            };
        }
        let cache = self.read();
        if let Some(u) = cache.users.get(access_key) {
            return match u.status {
                Status::Enabled => KeyLookup::Active {
                    account: Account::User {
                        name: u.access_key.clone(),
                    },
                    secret: u.secret_key.clone(),
                },
                Status::Disabled => KeyLookup::Disabled,
            };
        }
        if let Some(sa) = cache.service_accounts.get(access_key) {
            if sa.status == Status::Disabled || self.parent_disabled(&cache, &sa.parent) {
                return KeyLookup::Disabled;
            }
            if sa.expiration.is_some_and(|e| e <= now_secs()) {
                return KeyLookup::Expired;
            }
            return KeyLookup::Active {
                account: Account::ServiceAccount {
                    access_key: sa.access_key.clone(),
                    parent: sa.parent.clone(),
                    // An embedded policy that failed to parse allows nothing.
                    embedded_policy: sa.embedded_policy.as_ref().map(|_| {
                        cache
                            .embedded
                            .get(access_key)
                            .cloned()
                            .unwrap_or_else(|| Arc::new(deny_all()))
                    }),
                },
                secret: sa.secret_key.clone(),
            };
        }
        KeyLookup::Unknown
    }

    /// The account behind an access key, like `lookup` without copying the secret (the access
    /// gate's path, after the signature has been checked).
    pub fn account_of(&self, access_key: &str) -> Result<Account, KeyLookup> {
        if self.root.access_key.as_bytes() == access_key.as_bytes() {
            return Ok(Account::Root);
        }
        let cache = self.read();
        if let Some(u) = cache.users.get(access_key) {
            return match u.status {
                Status::Enabled => Ok(Account::User {
                    name: u.access_key.clone(),
                }),
                Status::Disabled => Err(KeyLookup::Disabled),
            };
        }
        drop(cache);
        match self.lookup(access_key) {
            KeyLookup::Active { account, .. } => Ok(account),
            other => Err(other),
        }
    }

    fn parent_disabled(&self, cache: &Cache, parent: &str) -> bool {
        parent != self.root.access_key
            && cache
                .users
                .get(parent)
                .is_none_or(|u| u.status == Status::Disabled)
    }

    fn key_in_use(&self, cache: &Cache, access_key: &str) -> bool {
        access_key == self.root.access_key
            || cache.users.contains_key(access_key)
            || cache.service_accounts.contains_key(access_key)
    }

    fn check_new_key(access_key: &str, secret_key: &str) -> IamResult<()> {
        if access_key.len() < 3
            || access_key.len() > 128
            || access_key
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == '/' || c == '=')
        {
            return Err(IamError::InvalidArgument(format!(
                "the access key `{access_key}` is not valid: use 3 to 128 characters without spaces, commas, slashes or `=`"
            )));
        }
        if access_key.starts_with(TEMPORARY_KEY_PREFIX) {
            return Err(IamError::InvalidArgument(format!(
                "access keys starting with `{TEMPORARY_KEY_PREFIX}` are reserved for temporary credentials: choose another"
            )));
        }
        if secret_key.len() < 8 || secret_key.len() > 128 {
            return Err(IamError::InvalidArgument(
                "the secret key must be 8 to 128 characters long".into(),
            ));
        }
        Ok(())
    }

    // ----- users -----

    /// Creates a user, or sets the secret of an existing one (its mappings and groups stay).
    pub fn add_user(&self, access_key: &str, secret_key: &str) -> IamResult<()> {
        Self::check_new_key(access_key, secret_key)?;
        if access_key == self.root.access_key {
            return Err(IamError::InvalidArgument(format!(
                "`{access_key}` is the root user: choose another name for an IAM user"
            )));
        }
        let record = UserRecord {
            access_key: access_key.to_owned(),
            secret_key: Secret::new(secret_key.to_owned()),
            status: Status::Enabled,
            updated: now_secs(),
        };
        self.change(
            |c| {
                if c.service_accounts.contains_key(access_key) {
                    return Err(IamError::AccessKeyInUse(access_key.to_owned()));
                }
                let mut record = record.clone();
                if let Some(existing) = c.users.get(access_key) {
                    record.status = existing.status;
                }
                Ok((vec![(user_key(access_key), encode(&record)?)], record))
            },
            |c, r| {
                c.users.insert(access_key.to_owned(), r.clone());
            },
        )
        .map(drop)
    }

    pub fn set_user_status(&self, access_key: &str, status: Status) -> IamResult<()> {
        self.change(
            |c| {
                let mut u = c
                    .users
                    .get(access_key)
                    .cloned()
                    .ok_or_else(|| IamError::NoSuchUser(access_key.to_owned()))?;
                u.status = status;
                u.updated = now_secs();
                Ok((vec![(user_key(access_key), encode(&u)?)], u))
            },
            |c, u| {
                c.users.insert(access_key.to_owned(), u.clone());
            },
        )
        .map(drop)
    }

    /// Removes a user with its policy mapping, its service accounts and its group memberships.
    pub fn remove_user(&self, access_key: &str) -> IamResult<()> {
        let name = access_key.to_owned();
        self.change(
            |c| {
                if !c.users.contains_key(access_key) {
                    return Err(IamError::NoSuchUser(access_key.to_owned()));
                }
                let mut batch: Vec<Change> = vec![
                    (user_key(access_key), None),
                    (mapping_key(&MappingTarget::User(name.clone())), None),
                ];
                for sa in c
                    .service_accounts
                    .values()
                    .filter(|sa| sa.parent == access_key)
                {
                    batch.push((service_account_key(&sa.access_key), None));
                }
                for g in c.groups.values().filter(|g| g.members.contains(access_key)) {
                    let mut g = g.clone();
                    g.members.remove(access_key);
                    batch.push((group_key(&g.name), encode(&g)?));
                }
                Ok((batch, ()))
            },
            |c, ()| {
                c.users.remove(&name);
                c.user_mappings.remove(&name);
                c.service_accounts.retain(|_, sa| sa.parent != name);
                for g in c.groups.values_mut() {
                    g.members.remove(&name);
                }
            },
        )
    }

    #[must_use]
    pub fn list_users(&self) -> Vec<UserSummary> {
        let c = self.read();
        c.users.values().map(|u| Self::summary(&c, u)).collect()
    }

    pub fn user_info(&self, access_key: &str) -> IamResult<UserSummary> {
        let c = self.read();
        let u = c
            .users
            .get(access_key)
            .ok_or_else(|| IamError::NoSuchUser(access_key.to_owned()))?;
        Ok(Self::summary(&c, u))
    }

    fn summary(c: &Cache, u: &UserRecord) -> UserSummary {
        UserSummary {
            access_key: u.access_key.clone(),
            status: u.status,
            policies: c
                .user_mappings
                .get(&u.access_key)
                .map(|m| m.policies.clone())
                .unwrap_or_default(),
            groups: c
                .groups
                .values()
                .filter(|g| g.members.contains(&u.access_key))
                .map(|g| g.name.clone())
                .collect(),
        }
    }

    // ----- groups -----

    /// Adds members to a group (creating it), or removes them; removing with no members removes
    /// the group itself, which must then be empty.
    pub fn update_group_members(
        &self,
        group: &str,
        members: &[String],
        remove: bool,
    ) -> IamResult<()> {
        valid_name("group", group)?;
        self.change(
            |c| {
                if remove && members.is_empty() {
                    let g = c
                        .groups
                        .get(group)
                        .ok_or_else(|| IamError::NoSuchGroup(group.to_owned()))?;
                    if !g.members.is_empty() {
                        return Err(IamError::GroupNotEmpty(group.to_owned()));
                    }
                    return Ok((
                        vec![
                            (group_key(group), None),
                            (mapping_key(&MappingTarget::Group(group.to_owned())), None),
                        ],
                        None,
                    ));
                }
                for m in members {
                    if !remove && !c.users.contains_key(m) {
                        return Err(IamError::NoSuchUser(m.clone()));
                    }
                }
                let mut g = match c.groups.get(group) {
                    Some(g) => g.clone(),
                    None if remove => return Err(IamError::NoSuchGroup(group.to_owned())),
                    None => GroupRecord {
                        name: group.to_owned(),
                        members: BTreeSet::new(),
                        status: Status::Enabled,
                        updated: 0,
                    },
                };
                for m in members {
                    if remove {
                        g.members.remove(m);
                    } else {
                        g.members.insert(m.clone());
                    }
                }
                g.updated = now_secs();
                Ok((vec![(group_key(group), encode(&g)?)], Some(g)))
            },
            |c, result| match result {
                Some(g) => {
                    c.groups.insert(group.to_owned(), g.clone());
                }
                None => {
                    c.groups.remove(group);
                    c.group_mappings.remove(group);
                }
            },
        )
        .map(drop)
    }

    pub fn set_group_status(&self, group: &str, status: Status) -> IamResult<()> {
        self.change(
            |c| {
                let mut g = c
                    .groups
                    .get(group)
                    .cloned()
                    .ok_or_else(|| IamError::NoSuchGroup(group.to_owned()))?;
                g.status = status;
                g.updated = now_secs();
                Ok((vec![(group_key(group), encode(&g)?)], g))
            },
            |c, g| {
                c.groups.insert(group.to_owned(), g.clone());
            },
        )
        .map(drop)
    }

    pub fn group_info(&self, group: &str) -> IamResult<(GroupRecord, Vec<String>)> {
        let c = self.read();
        let g = c
            .groups
            .get(group)
            .cloned()
            .ok_or_else(|| IamError::NoSuchGroup(group.to_owned()))?;
        let policies = c
            .group_mappings
            .get(group)
            .map(|m| m.policies.clone())
            .unwrap_or_default();
        Ok((g, policies))
    }

    #[must_use]
    pub fn list_groups(&self) -> Vec<String> {
        self.read().groups.keys().cloned().collect()
    }

    // ----- policies -----

    #[must_use]
    pub fn is_builtin_policy(name: &str) -> bool {
        tessera_policy::is_canned(name)
    }

    /// Validates `document` as an identity policy and stores it, in canonical form, under
    /// `name` (creating or replacing).
    pub fn put_policy(&self, name: &str, document: &str) -> IamResult<()> {
        valid_name("policy", name)?;
        if Self::is_builtin_policy(name) {
            return Err(IamError::BuiltinPolicy(name.to_owned()));
        }
        let parsed = Arc::new(Policy::parse(document)?);
        let document = parsed.to_canonical_json();
        self.change(
            |c| {
                let now = now_secs();
                let created = c.policies.get(name).map_or(now, |p| p.created);
                let p = PolicyRecord {
                    name: name.to_owned(),
                    document: document.clone(),
                    created,
                    updated: now,
                };
                Ok((vec![(policy_key(name), encode(&p)?)], p))
            },
            |c, p| {
                c.policies.insert(name.to_owned(), p.clone());
                c.parsed.insert(name.to_owned(), Arc::clone(&parsed));
            },
        )
        .map(drop)
    }

    /// The canonical document of a policy, built in or stored.
    #[must_use]
    pub fn policy_document(&self, name: &str) -> Option<String> {
        if let Some(text) = tessera_policy::canned_policy_json(name) {
            return Some(text.to_owned());
        }
        self.read().policies.get(name).map(|p| p.document.clone())
    }

    /// Removes a stored policy; refused while a user or group still has it attached.
    pub fn remove_policy(&self, name: &str) -> IamResult<()> {
        if Self::is_builtin_policy(name) {
            return Err(IamError::BuiltinPolicy(name.to_owned()));
        }
        let owned = name.to_owned();
        self.change(
            |c| {
                if !c.policies.contains_key(name) {
                    return Err(IamError::NoSuchPolicy(name.to_owned()));
                }
                let users = c
                    .user_mappings
                    .iter()
                    .filter(|(_, m)| m.policies.iter().any(|p| p == name))
                    .map(|(u, _)| format!("user `{u}`"));
                let groups = c
                    .group_mappings
                    .iter()
                    .filter(|(_, m)| m.policies.iter().any(|p| p == name))
                    .map(|(g, _)| format!("group `{g}`"));
                let ldap = c
                    .ldap_user_mappings
                    .iter()
                    .chain(&c.ldap_group_mappings)
                    .filter(|(_, m)| m.policies.iter().any(|p| p == name))
                    .map(|(dn, _)| format!("LDAP DN `{dn}`"));
                let holders: Vec<String> = users.chain(groups).chain(ldap).collect();
                if !holders.is_empty() {
                    return Err(IamError::InvalidArgument(format!(
                        "the policy `{name}` is attached to {}: detach it first",
                        holders.join(", ")
                    )));
                }
                Ok((vec![(policy_key(name), None)], ()))
            },
            |c, ()| {
                c.policies.remove(&owned);
                c.parsed.remove(&owned);
            },
        )
    }

    /// The stored document of a policy (built-in documents come from the policy crate).
    #[must_use]
    pub fn policy(&self, name: &str) -> Option<PolicyRecord> {
        self.read().policies.get(name).cloned()
    }

    /// Names of the stored policies, without the built-in ones.
    #[must_use]
    pub fn stored_policy_names(&self) -> Vec<String> {
        self.read().policies.keys().cloned().collect()
    }

    pub(crate) fn policy_exists(c: &Cache, name: &str) -> bool {
        Self::is_builtin_policy(name) || c.policies.contains_key(name)
    }

    // ----- mappings -----

    /// Replaces, extends or narrows the policies attached to a user or group; returns the
    /// policies attached afterwards.
    pub fn update_mapping(
        &self,
        target: &MappingTarget,
        policies: &[String],
        how: MappingUpdate,
    ) -> IamResult<Vec<String>> {
        let target_owned = target.clone();
        let mapping = self.change(
            |c| {
                match target {
                    MappingTarget::User(u) if !c.users.contains_key(u) => {
                        return Err(IamError::NoSuchUser(u.clone()));
                    }
                    MappingTarget::Group(g) if !c.groups.contains_key(g) => {
                        return Err(IamError::NoSuchGroup(g.clone()));
                    }
                    _ => {}
                }
                if how != MappingUpdate::Detach
                    && let Some(missing) = policies.iter().find(|p| !Self::policy_exists(c, p))
                {
                    return Err(IamError::NoSuchPolicy(missing.clone()));
                }
                let current = match target {
                    MappingTarget::User(u) => c.user_mappings.get(u),
                    MappingTarget::Group(g) => c.group_mappings.get(g),
                    MappingTarget::LdapUser(dn) => c.ldap_user_mappings.get(dn),
                    MappingTarget::LdapGroup(dn) => c.ldap_group_mappings.get(dn),
                }
                .map(|m| m.policies.clone())
                .unwrap_or_default();
                let next: Vec<String> = match how {
                    MappingUpdate::Replace => policies.to_vec(),
                    MappingUpdate::Attach => {
                        let mut n = current.clone();
                        for p in policies {
                            if !n.contains(p) {
                                n.push(p.clone());
                            }
                        }
                        n
                    }
                    MappingUpdate::Detach => {
                        if let Some(absent) = policies.iter().find(|p| !current.contains(p)) {
                            return Err(IamError::InvalidArgument(format!(
                                "the policy `{absent}` is not attached, so it cannot be detached"
                            )));
                        }
                        current
                            .iter()
                            .filter(|p| !policies.contains(p))
                            .cloned()
                            .collect()
                    }
                };
                let m = PolicyMapping {
                    policies: next,
                    updated: now_secs(),
                };
                let value = if m.policies.is_empty() {
                    None
                } else {
                    encode(&m)?
                };
                Ok((vec![(mapping_key(target), value)], m))
            },
            |c, m| {
                let (map, name) = match &target_owned {
                    MappingTarget::User(n) => (&mut c.user_mappings, n.clone()),
                    MappingTarget::Group(n) => (&mut c.group_mappings, n.clone()),
                    MappingTarget::LdapUser(n) => (&mut c.ldap_user_mappings, n.clone()),
                    MappingTarget::LdapGroup(n) => (&mut c.ldap_group_mappings, n.clone()),
                };
                if m.policies.is_empty() {
                    map.remove(&name);
                } else {
                    map.insert(name, m.clone());
                }
            },
        )?;
        Ok(mapping.policies)
    }

    /// Every user and group with a policy attached, by policy name.
    #[must_use]
    pub fn policy_entities(&self) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
        let c = self.read();
        let mut out: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
        for (u, m) in &c.user_mappings {
            for p in &m.policies {
                out.entry(p.clone()).or_default().0.push(u.clone());
            }
        }
        for (g, m) in &c.group_mappings {
            for p in &m.policies {
                out.entry(p.clone()).or_default().1.push(g.clone());
            }
        }
        out
    }

    // ----- resolution -----

    /// The user whose policies apply to an account; `None` for the owner (root and root's
    /// service accounts), which may do everything.
    fn policy_user<'a>(&self, account: &'a Account) -> Option<&'a str> {
        match account {
            Account::Root => None,
            Account::User { name } => Some(name),
            Account::ServiceAccount { parent, .. } if *parent == self.root.access_key => None,
            Account::ServiceAccount { parent, .. } => Some(parent),
            Account::Temporary(s) if s.claims.parent == self.root.access_key => None,
            Account::Temporary(s) => Some(&s.claims.parent),
        }
    }

    /// Calls `f` with each policy name mapped to `user` and to its enabled groups, in that
    /// order (names may repeat).
    fn each_mapped_policy(c: &Cache, user: &str, mut f: impl FnMut(&str)) {
        for name in c
            .user_mappings
            .get(user)
            .map(|m| m.policies.as_slice())
            .unwrap_or_default()
        {
            f(name);
        }
        for g in c
            .groups
            .values()
            .filter(|g| g.status == Status::Enabled && g.members.contains(user))
        {
            for name in c
                .group_mappings
                .get(&g.name)
                .map(|m| m.policies.as_slice())
                .unwrap_or_default()
            {
                f(name);
            }
        }
    }

    /// The names of the policies that apply to an account right now: the user's own mapping
    /// plus those of its enabled groups; a service account gets its parent's. `None` means
    /// the root account, which may do everything.
    #[must_use]
    pub fn policy_names_for(&self, account: &Account) -> Option<Vec<String>> {
        let c = self.read();
        let mut names: Vec<String> = Vec::new();
        self.each_policy_name(&c, account, |name| {
            if Self::policy_exists(&c, name) && !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        })?;
        Some(names)
    }

    /// The policies that apply to an account right now, parsed; `None` for the owner (root
    /// and root's service accounts). A service account's embedded policy is not included: it
    /// narrows these and comes with the account (`Account::ServiceAccount`).
    #[must_use]
    pub fn policies_for(&self, account: &Account) -> Option<Vec<Arc<Policy>>> {
        let c = self.read();
        let mut out: Vec<Arc<Policy>> = Vec::with_capacity(4);
        self.each_policy_name(&c, account, |name| {
            if let Some(p) = Self::parsed_policy(&c, name)
                && !out.iter().any(|q| Arc::ptr_eq(q, &p))
            {
                out.push(p);
            }
        })?;
        Some(out)
    }

    /// Calls `f` with each policy name that applies to `account`: a federated session's names
    /// (from its provider), else the mappings of its user and the user's groups. `None`: the
    /// owner, which may do everything.
    fn each_policy_name(&self, c: &Cache, account: &Account, f: impl FnMut(&str)) -> Option<()> {
        if let Account::Temporary(session) = account {
            if let Some(names) = &session.claims.policies {
                names.iter().map(String::as_str).for_each(f);
                return Some(());
            }
            if session.claims.flow == Flow::Ldap {
                let groups = session
                    .claims
                    .claims
                    .get(LDAP_GROUPS_CLAIM)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                Self::each_ldap_policy(c, &session.claims.parent, groups, f);
                return Some(());
            }
        }
        let user = self.policy_user(account)?;
        Self::each_mapped_policy(c, user, f);
        Some(())
    }

    /// The parsed documents of the named policies that exist (built in or stored).
    #[must_use]
    pub fn policies_named(&self, names: &[String]) -> Vec<Arc<Policy>> {
        let c = self.read();
        names
            .iter()
            .filter_map(|name| Self::parsed_policy(&c, name))
            .collect()
    }

    /// A policy's parsed document, built in or stored.
    fn parsed_policy(c: &Cache, name: &str) -> Option<Arc<Policy>> {
        canned(name).or_else(|| c.parsed.get(name).cloned())
    }

    /// Whether a policy of this name exists (built in or stored).
    #[must_use]
    pub fn policy_defined(&self, name: &str) -> bool {
        Self::policy_exists(&self.read(), name)
    }

    // ----- bucket policies -----

    /// Validates `document` as the bucket policy of `bucket` and stores it (replacing any).
    pub fn put_bucket_policy(&self, bucket: &str, document: &str) -> IamResult<()> {
        let parsed = Policy::parse_bucket(document)?;
        parsed.check_bucket(bucket)?;
        let parsed = Arc::new(parsed);
        let record = BucketPolicyRecord {
            bucket: bucket.to_owned(),
            document: parsed.to_canonical_json(),
            updated: now_secs(),
        };
        self.change(
            |_| Ok((vec![(bucket_policy_key(bucket), encode(&record)?)], ())),
            |c, ()| {
                c.bucket_policies
                    .insert(bucket.to_owned(), (record.clone(), Arc::clone(&parsed)));
            },
        )
    }

    /// The bucket's policy, parsed (what every request of the bucket consults).
    #[must_use]
    pub fn bucket_policy_parsed(&self, bucket: &str) -> Option<Arc<Policy>> {
        self.read()
            .bucket_policies
            .get(bucket)
            .map(|(_, p)| Arc::clone(p))
    }

    /// The bucket's policy: its canonical document and the parsed form.
    #[must_use]
    pub fn bucket_policy(&self, bucket: &str) -> Option<(String, Arc<Policy>)> {
        self.read()
            .bucket_policies
            .get(bucket)
            .map(|(r, p)| (r.document.clone(), Arc::clone(p)))
    }

    /// Removes the bucket's policy; returns whether there was one.
    pub fn delete_bucket_policy(&self, bucket: &str) -> IamResult<bool> {
        self.change(
            |c| {
                let existed = c.bucket_policies.contains_key(bucket);
                Ok((
                    if existed {
                        vec![(bucket_policy_key(bucket), None)]
                    } else {
                        Vec::new()
                    },
                    existed,
                ))
            },
            |c, _| {
                c.bucket_policies.remove(bucket);
            },
        )
    }

    // ----- service accounts -----

    /// Creates a service account for `parent` (root or a user).
    pub fn add_service_account(
        &self,
        mut record: ServiceAccountRecord,
    ) -> IamResult<ServiceAccountRecord> {
        Self::check_new_key(&record.access_key, record.secret_key.expose())?;
        record.updated = now_secs();
        let embedded = record
            .embedded_policy
            .as_deref()
            .map(Policy::parse)
            .transpose()?
            .map(Arc::new);
        record.embedded_policy = embedded.as_ref().map(|p| p.to_canonical_json());
        let out = self.change(
            |c| {
                if self.key_in_use(c, &record.access_key) {
                    return Err(IamError::AccessKeyInUse(record.access_key.clone()));
                }
                if record.parent != self.root.access_key && !c.users.contains_key(&record.parent) {
                    return Err(IamError::NoSuchUser(record.parent.clone()));
                }
                if record.expiration.is_some_and(|e| e <= now_secs()) {
                    return Err(IamError::InvalidArgument(
                        "the expiration of a new service account must be in the future".into(),
                    ));
                }
                Ok((
                    vec![(service_account_key(&record.access_key), encode(&record)?)],
                    record.clone(),
                ))
            },
            |c, sa| {
                c.service_accounts.insert(sa.access_key.clone(), sa.clone());
                if let Some(p) = &embedded {
                    c.embedded.insert(sa.access_key.clone(), Arc::clone(p));
                }
            },
        )?;
        Ok(out)
    }

    /// Changes a service account with `f` (secret, policy, status, name, description, expiry).
    pub fn update_service_account(
        &self,
        access_key: &str,
        f: impl Fn(&mut ServiceAccountRecord),
    ) -> IamResult<()> {
        self.change(
            |c| {
                let mut sa = c
                    .service_accounts
                    .get(access_key)
                    .cloned()
                    .ok_or_else(|| IamError::NoSuchServiceAccount(access_key.to_owned()))?;
                f(&mut sa);
                let embedded = sa
                    .embedded_policy
                    .as_deref()
                    .map(Policy::parse)
                    .transpose()?
                    .map(Arc::new);
                sa.embedded_policy = embedded.as_ref().map(|p| p.to_canonical_json());
                if sa.secret_key.expose().len() < 8 {
                    return Err(IamError::InvalidArgument(
                        "the secret key must be 8 to 128 characters long".into(),
                    ));
                }
                sa.updated = now_secs();
                Ok((
                    vec![(service_account_key(access_key), encode(&sa)?)],
                    (sa, embedded),
                ))
            },
            |c, (sa, embedded)| {
                c.service_accounts.insert(access_key.to_owned(), sa.clone());
                match embedded {
                    Some(p) => c.embedded.insert(access_key.to_owned(), Arc::clone(p)),
                    None => c.embedded.remove(access_key),
                };
            },
        )
        .map(drop)
    }

    pub fn remove_service_account(&self, access_key: &str) -> IamResult<()> {
        let owned = access_key.to_owned();
        self.change(
            |c| {
                if !c.service_accounts.contains_key(access_key) {
                    return Err(IamError::NoSuchServiceAccount(access_key.to_owned()));
                }
                Ok((vec![(service_account_key(access_key), None)], ()))
            },
            |c, ()| {
                c.service_accounts.remove(&owned);
                c.embedded.remove(&owned);
            },
        )
    }

    #[must_use]
    pub fn service_account(&self, access_key: &str) -> Option<ServiceAccountRecord> {
        self.read().service_accounts.get(access_key).cloned()
    }

    #[must_use]
    pub fn service_accounts_of(&self, parent: &str) -> Vec<ServiceAccountRecord> {
        self.read()
            .service_accounts
            .values()
            .filter(|s| s.parent == parent)
            .cloned()
            .collect()
    }
}

/// How `update_mapping` changes a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingUpdate {
    /// The legacy `set-user-or-group-policy`: the list becomes exactly these.
    Replace,
    Attach,
    Detach,
}

/// A policy that allows nothing (for documents that no longer parse).
pub(crate) fn deny_all() -> Policy {
    Policy::merge(std::iter::empty())
}

/// The canned policies, parsed once and shared.
fn canned(name: &str) -> Option<Arc<Policy>> {
    static CANNED: std::sync::LazyLock<BTreeMap<&'static str, Arc<Policy>>> =
        std::sync::LazyLock::new(|| {
            tessera_policy::CANNED_POLICY_NAMES
                .iter()
                .filter_map(|n| tessera_policy::canned_policy(n).map(|p| (*n, Arc::new(p.clone()))))
                .collect()
        });
    CANNED.get(name).cloned()
}
