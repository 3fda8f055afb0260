//! STS sessions on `IamSystem`: minting temporary credentials for a parent account, answering
//! the derived secret of a temporary access key, verifying a session token into an
//! `Account::Temporary` (expiry, revocation and the parent's state checked on every request),
//! revoking a parent's sessions, and rotating the signing key ring.

use std::collections::BTreeMap;
use std::sync::Arc;

use tessera_policy::Policy;

use crate::error::{IamError, IamResult};
use crate::model::{Secret, Status, now_secs, rfc3339};
use crate::system::{Account, IamSystem, encode};
use crate::temporary::{
    self, Flow, KEY_RING_KEY, KeyRing, REVOCATIONS_PREFIX, RevocationRecord, SessionClaims,
    SessionRefusal, SigningKeyInfo, StoredKeyRing, TemporaryCredentials, TemporarySession,
};

fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// An identity proved by an outside provider, as a session will carry it.
struct OutsideIdentity {
    parent: String,
    flow: Flow,
    /// Unix seconds.
    expires_at: i64,
    policies: Option<Vec<String>>,
    claims: BTreeMap<String, Vec<String>>,
}

impl IamSystem {
    /// Mints temporary credentials acting for `parent` (root or an enabled user) that expire
    /// `lifetime_secs` from now, narrowed by `session_policy` when given. Writes nothing.
    pub fn issue_temporary(
        &self,
        parent: &Account,
        flow: Flow,
        lifetime_secs: i64,
        session_policy: Option<&Policy>,
        revoke_type: Option<String>,
    ) -> IamResult<TemporaryCredentials> {
        let parent = match parent {
            Account::Root => self.root.access_key.clone(),
            Account::User { name } => name.clone(),
            _ => {
                return Err(IamError::InvalidArgument(
                    "temporary credentials and service accounts cannot mint temporary credentials"
                        .into(),
                ));
            }
        };
        let issued_ms = now_ms();
        let claims = SessionClaims {
            access_key: String::new(),
            parent,
            flow,
            issued_ms,
            exp: issued_ms / 1000 + lifetime_secs,
            session_policy: session_policy.map(Policy::to_canonical_json),
            revoke_type: revoke_type.filter(|t| !t.is_empty()),
            policies: None,
            claims: BTreeMap::new(),
        };
        self.mint_session(claims, session_policy)
    }

    /// Mints temporary credentials for an identity of an outside provider: `parent` names it
    /// (stable per provider and subject), `policies` are what its provider grants, `claims`
    /// what policy variables may read.
    #[allow(clippy::too_many_arguments)]
    pub fn issue_federated(
        &self,
        parent: String,
        flow: Flow,
        expires_at: i64,
        policies: Vec<String>,
        claims: BTreeMap<String, Vec<String>>,
        session_policy: Option<&Policy>,
        revoke_type: Option<String>,
    ) -> IamResult<TemporaryCredentials> {
        let identity = OutsideIdentity {
            parent,
            flow,
            expires_at,
            policies: Some(policies),
            claims,
        };
        self.mint_outside(identity, session_policy, revoke_type)
    }

    /// Mints temporary credentials for an LDAP user: `user_dn` (canonical) is the parent, and
    /// the policies are those mapped to it and to the groups in `claims` at each request.
    pub fn issue_ldap(
        &self,
        user_dn: String,
        expires_at: i64,
        claims: BTreeMap<String, Vec<String>>,
        session_policy: Option<&Policy>,
        revoke_type: Option<String>,
    ) -> IamResult<TemporaryCredentials> {
        let identity = OutsideIdentity {
            parent: user_dn,
            flow: Flow::Ldap,
            expires_at,
            policies: None,
            claims,
        };
        self.mint_outside(identity, session_policy, revoke_type)
    }

    fn mint_outside(
        &self,
        identity: OutsideIdentity,
        session_policy: Option<&Policy>,
        revoke_type: Option<String>,
    ) -> IamResult<TemporaryCredentials> {
        let claims = SessionClaims {
            access_key: String::new(),
            parent: identity.parent,
            flow: identity.flow,
            issued_ms: now_ms(),
            exp: identity.expires_at,
            session_policy: session_policy.map(Policy::to_canonical_json),
            revoke_type: revoke_type.filter(|t| !t.is_empty()),
            policies: identity.policies,
            claims: identity.claims,
        };
        self.mint_session(claims, session_policy)
    }

    fn mint_session(
        &self,
        claims: SessionClaims,
        session_policy: Option<&Policy>,
    ) -> IamResult<TemporaryCredentials> {
        let policy_for_cache = session_policy.map(|p| Arc::new(p.clone()));
        let ring = Arc::clone(&self.read().ring);
        let (credentials, claims) = temporary::mint(&ring, claims)?;
        // Known to this node from the start (temporary-account-info, the first request).
        self.sessions.insert(
            &credentials.session_token,
            credentials.secret_key.clone(),
            Arc::new(TemporarySession {
                claims,
                session_policy: policy_for_cache,
            }),
        );
        Ok(credentials)
    }

    /// The secret of a temporary access key (derived; no lookup), for signature checks.
    #[must_use]
    pub fn temporary_secret(&self, access_key: &str) -> Option<Secret> {
        if let Some(secret) = self.sessions.secret(access_key) {
            return Some(secret);
        }
        temporary::secret_for(&self.read().ring, access_key, now_secs())
    }

    /// The account of a temporary access key presented with `token`: the token must be
    /// authentic and made for this key, unexpired and unrevoked, and the parent must still
    /// exist and be enabled.
    pub fn verify_session(&self, access_key: &str, token: &str) -> Result<Account, SessionRefusal> {
        let now = now_secs();
        let session = match self.sessions.get(access_key, token) {
            Some(session) => session,
            None => {
                let (claims, secret) = {
                    let cache = self.read();
                    let claims = temporary::verify(&cache.ring, access_key, token, now)?;
                    let secret = temporary::secret_for(&cache.ring, access_key, now)
                        .ok_or(SessionRefusal::UnknownSigningKey)?;
                    (claims, secret)
                };
                // An authentic session policy that no longer parses allows nothing.
                let session_policy = claims.session_policy.as_deref().map(|text| {
                    Arc::new(
                        Policy::parse_session(text).unwrap_or_else(|_| crate::system::deny_all()),
                    )
                });
                let session = Arc::new(TemporarySession {
                    claims,
                    session_policy,
                });
                self.sessions.insert(token, secret, Arc::clone(&session));
                session
            }
        };
        let claims = &session.claims;
        if claims.exp <= now {
            return Err(SessionRefusal::Expired(rfc3339(claims.exp)));
        }
        let cache = self.read();
        if cache
            .revocations
            .get(&claims.parent)
            .is_some_and(|r| r.revokes(claims))
        {
            return Err(SessionRefusal::Revoked);
        }
        if !claims.flow.is_federated() && claims.parent != self.root.access_key {
            match cache.users.get(&claims.parent) {
                None => return Err(SessionRefusal::ParentGone(claims.parent.clone())),
                Some(u) if u.status == Status::Disabled => {
                    return Err(SessionRefusal::ParentDisabled(claims.parent.clone()));
                }
                Some(_) => {}
            }
        }
        Ok(Account::Temporary(session))
    }

    /// A session this node has issued or verified since it started, by access key (Tessera
    /// keeps no record of the credentials it issues, so a session never seen here is unknown).
    #[must_use]
    pub fn known_session(&self, access_key: &str) -> Option<Arc<TemporarySession>> {
        self.sessions.session(access_key)
    }

    /// The unexpired sessions of `parent` this node has issued or verified since it started.
    #[must_use]
    pub fn known_sessions_of(&self, parent: &str) -> Vec<Arc<TemporarySession>> {
        let now = now_secs();
        self.sessions
            .sessions_of(parent)
            .into_iter()
            .filter(|s| s.claims.exp > now)
            .collect()
    }

    /// Revokes the sessions of `parent` issued until now: all of them, or those minted with
    /// `revoke_type`. Durable before it returns; enforced from the next request.
    pub fn revoke_sessions(&self, parent: &str, revoke_type: Option<&str>) -> IamResult<()> {
        let at = now_ms();
        let key = format!("{REVOCATIONS_PREFIX}{parent}");
        self.change(
            |c| {
                let mut record = c.revocations.get(parent).cloned().unwrap_or_default();
                match revoke_type {
                    Some(t) => {
                        record.by_type_before_ms.insert(t.to_owned(), at);
                    }
                    None => record.all_before_ms = Some(at),
                }
                Ok((vec![(key.clone(), encode(&record)?)], record))
            },
            |c, record: &RevocationRecord| {
                c.revocations.insert(parent.to_owned(), record.clone());
            },
        )
        .map(|_| ())
    }

    /// The parent's revocations, if any.
    #[must_use]
    pub fn revocations(&self, parent: &str) -> Option<RevocationRecord> {
        self.read().revocations.get(parent).cloned()
    }

    /// The keys of the STS signing key ring.
    #[must_use]
    pub fn signing_keys(&self) -> Vec<SigningKeyInfo> {
        self.read().ring.info()
    }

    /// Adds a new signing key for new credentials; the current one keeps verifying the
    /// credentials it signed for `retire_old_after_secs` more (the longest lifetime a
    /// credential can have), then is dropped.
    pub fn rotate_signing_key(&self, retire_old_after_secs: i64) -> IamResult<Vec<SigningKeyInfo>> {
        let now = now_secs();
        let retire_at = now.saturating_add(retire_old_after_secs);
        let info = self
            .change(
                |c| {
                    let stored = temporary::rotated(c.stored_ring.clone(), now, retire_at)?;
                    let ring = Arc::new(KeyRing::from_stored(&stored, now)?);
                    let batch = vec![(KEY_RING_KEY.to_owned(), encode(&stored)?)];
                    Ok((batch, (stored, ring)))
                },
                |c, (stored, ring): &(StoredKeyRing, Arc<KeyRing>)| {
                    c.stored_ring = stored.clone();
                    c.ring = Arc::clone(ring);
                },
            )
            .map(|(_, ring)| ring.info())?;
        self.sessions.clear();
        Ok(info)
    }
}
