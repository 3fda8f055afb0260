//! Temporary (STS) credentials, stateless: minting one writes nothing.
//!
//! * The access key is `ASIA`, two base-32 characters naming the signing key of the key ring
//!   that made it, and fourteen random base-32 characters.
//! * The secret key is derived: HMAC-SHA256 of the access key under a sub-key of that signing
//!   key, so any node answers `secret_for(access_key)` without a lookup.
//! * The session token is a compact JWS (`HS256`, keyed by another sub-key of the same signing
//!   key) over [`SessionClaims`]: what authorisation needs and nothing more.
//!
//! The key ring lives in the `IamStore` under `sts/keyring`, is made on first start and is
//! independent of the root password. Rotation adds a key and retires the old one once the
//! longest credential it can have signed has expired. Revocations (`sts/revocations/<parent>`:
//! a parent's sessions issued before a time, or those of one `TokenRevokeType`) are the only
//! other state.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tessera_policy::Policy;
use zeroize::Zeroizing;

use crate::error::{IamError, IamResult};
use crate::model::Secret;

/// Prefix reserved for temporary (STS) access keys, as AWS marks them.
pub const TEMPORARY_KEY_PREFIX: &str = "ASIA";
/// Store key of the signing key ring.
pub(crate) const KEY_RING_KEY: &str = "sts/keyring";
/// Store prefix of revocation records, by parent.
pub(crate) const REVOCATIONS_PREFIX: &str = "sts/revocations/";
/// Longest session token accepted; longer ones are refused before any decoding.
pub const MAX_SESSION_TOKEN_BYTES: usize = 16 * 1024;

const ACCESS_KEY_LEN: usize = 20;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Key ids are two base-32 characters.
const MAX_KEY_ID: u16 = 32 * 32 - 1;
/// Verified sessions kept per node; when full, each new one evicts the oldest.
const MAX_CACHED_SESSIONS: usize = 65_536;
const SECRET_LABEL: &[u8] = b"tessera sts secret key v1";
const TOKEN_LABEL: &[u8] = b"tessera sts session token v1";
const JWS_HEADER_PREFIX: &str = r#"{"alg":"HS256","kid":""#;

type HmacSha256 = Hmac<Sha256>;

/// Which STS flow minted a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flow {
    AssumeRole,
    WebIdentity,
    ClientGrants,
    /// AssumeRoleWithLDAPIdentity: the parent is the user's canonical DN, the groups' DNs are
    /// in the claims, and the policies come from the DN mappings at each request.
    Ldap,
}

impl Flow {
    /// Whether the parent is an identity of an outside provider (not a user of this server).
    #[must_use]
    pub fn is_federated(self) -> bool {
        !matches!(self, Flow::AssumeRole)
    }
}

/// What a session token says: enough to authorise a request without any lookup but the
/// parent's live policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    #[serde(rename = "accessKey")]
    pub access_key: String,
    /// The user the session acts for (the root access key for root's sessions).
    pub parent: String,
    pub flow: Flow,
    /// Issue time, Unix milliseconds (revocation compares with it).
    #[serde(rename = "iatMs")]
    pub issued_ms: i64,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// The session policy, as canonical JSON.
    #[serde(
        rename = "sessionPolicy",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub session_policy: Option<String>,
    #[serde(
        rename = "tokenRevokeType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub revoke_type: Option<String>,
    /// A federated session's policies, by name (resolved to their documents at each request);
    /// `None`: the parent user's mappings apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<String>>,
    /// The identity provider's claims kept for policy variables (`jwt:sub`, `jwt:groups`, …),
    /// by claim name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub claims: BTreeMap<String, Vec<String>>,
}

/// A verified session: its claims, and its session policy parsed.
#[derive(Debug)]
pub struct TemporarySession {
    pub claims: SessionClaims,
    pub session_policy: Option<Arc<Policy>>,
}

/// Freshly minted credentials.
#[derive(Debug)]
pub struct TemporaryCredentials {
    pub access_key: String,
    pub secret_key: Secret,
    pub session_token: String,
    /// Unix seconds.
    pub expiration: i64,
}

/// Why a temporary access key and its token are not accepted. None of the texts carries the
/// token or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionRefusal {
    #[error("the security token is malformed")]
    Malformed,
    #[error("the security token was not issued by this server, or was altered")]
    BadSignature,
    #[error("the security token belongs to another access key")]
    OtherAccessKey,
    #[error("the access key was signed by a key this server no longer has")]
    UnknownSigningKey,
    #[error("the temporary credentials expired at {0}")]
    Expired(String),
    #[error("the temporary credentials were revoked")]
    Revoked,
    #[error("the user `{0}` these temporary credentials act for is disabled")]
    ParentDisabled(String),
    #[error("the user `{0}` these temporary credentials act for no longer exists")]
    ParentGone(String),
}

/// One signing key with the two sub-keys derived from it.
struct SigningKey {
    id: u16,
    secret_mac: HmacSha256,
    token_mac: HmacSha256,
    created: i64,
    retire_at: Option<i64>,
}

impl SigningKey {
    fn new(id: u16, key: &[u8], created: i64, retire_at: Option<i64>) -> Self {
        let sub = |label: &[u8]| {
            let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("any key length");
            mac.update(label);
            let derived: Zeroizing<[u8; 32]> = Zeroizing::new(mac.finalize().into_bytes().into());
            <HmacSha256 as KeyInit>::new_from_slice(&derived[..]).expect("any key length")
        };
        Self {
            id,
            secret_mac: sub(SECRET_LABEL),
            token_mac: sub(TOKEN_LABEL),
            created,
            retire_at,
        }
    }

    fn usable(&self, now: i64) -> bool {
        self.retire_at.is_none_or(|t| now < t)
    }

    fn secret_for(&self, access_key: &str) -> Secret {
        let mut mac = self.secret_mac.clone();
        mac.update(access_key.as_bytes());
        let digest: Zeroizing<[u8; 32]> = Zeroizing::new(mac.finalize().into_bytes().into());
        // 30 bytes give 40 base-64 characters, the length of an AWS secret key.
        Secret::new(STANDARD_NO_PAD.encode(&digest[..30]).replace('/', "+"))
    }

    fn token_mac(&self, signing_input: &[u8]) -> [u8; 32] {
        let mut mac = self.token_mac.clone();
        mac.update(signing_input);
        mac.finalize().into_bytes().into()
    }
}

/// A signing key as stored.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
struct StoredKey {
    id: u16,
    /// Base 64.
    key: String,
    created: i64,
    #[serde(default)]
    retire_at: Option<i64>,
}

// Equality only tells whether a reloaded ring differs from the one in use (both this node's).
#[derive(Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
pub(crate) struct StoredKeyRing {
    /// The last one signs new credentials.
    keys: Vec<StoredKey>,
}

/// One key of the ring, as `tessera admin sts` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct SigningKeyInfo {
    pub id: u16,
    pub created: i64,
    pub retire_at: Option<i64>,
    pub current: bool,
}

/// The signing keys in memory.
pub(crate) struct KeyRing {
    keys: Vec<SigningKey>,
}

impl KeyRing {
    /// The ring of a stored record, without the keys retired before `now`.
    pub(crate) fn from_stored(stored: &StoredKeyRing, now: i64) -> IamResult<Self> {
        let mut keys = Vec::new();
        for k in &stored.keys {
            let bytes = Zeroizing::new(STANDARD.decode(&k.key).map_err(|_| {
                IamError::Store(format!("signing key {} is not valid base 64", k.id))
            })?);
            let key = SigningKey::new(k.id, &bytes, k.created, k.retire_at);
            if key.usable(now) {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            return Err(IamError::Store(
                "the STS key ring holds no usable signing key".into(),
            ));
        }
        Ok(Self { keys })
    }

    fn current(&self) -> &SigningKey {
        self.keys.last().expect("a ring is never empty")
    }

    fn key(&self, id: u16, now: i64) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.id == id && k.usable(now))
    }

    pub(crate) fn info(&self) -> Vec<SigningKeyInfo> {
        let current = self.current().id;
        self.keys
            .iter()
            .map(|k| SigningKeyInfo {
                id: k.id,
                created: k.created,
                retire_at: k.retire_at,
                current: k.id == current,
            })
            .collect()
    }
}

fn random_key() -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new([0u8; 32]);
    rand::fill(&mut key[..]);
    key
}

/// A new ring of one key, as stored.
pub(crate) fn new_stored_ring(now: i64) -> IamResult<StoredKeyRing> {
    let key = random_key();
    Ok(StoredKeyRing {
        keys: vec![StoredKey {
            id: 0,
            key: STANDARD.encode(&key[..]),
            created: now,
            retire_at: None,
        }],
    })
}

/// `stored` with a new current key; the previous current key retires at `retire_old_at`, and
/// keys already retired by `now` are dropped.
pub(crate) fn rotated(
    mut stored: StoredKeyRing,
    now: i64,
    retire_old_at: i64,
) -> IamResult<StoredKeyRing> {
    stored.keys.retain(|k| k.retire_at.is_none_or(|t| now < t));
    if let Some(current) = stored.keys.last_mut() {
        current.retire_at.get_or_insert(retire_old_at);
    }
    let next = stored
        .keys
        .last()
        .map_or(0, |k| (k.id + 1) % (MAX_KEY_ID + 1));
    if stored.keys.iter().any(|k| k.id == next) {
        return Err(IamError::InvalidArgument(format!(
            "the key ring already holds {} keys still in use: wait until older ones retire",
            stored.keys.len()
        )));
    }
    let key = random_key();
    stored.keys.push(StoredKey {
        id: next,
        key: STANDARD.encode(&key[..]),
        created: now,
        retire_at: None,
    });
    Ok(stored)
}

fn encode_key_id(id: u16) -> [u8; 2] {
    [BASE32[usize::from(id >> 5)], BASE32[usize::from(id & 31)]]
}

fn decode_key_id(access_key: &str) -> Option<u16> {
    let b = access_key.as_bytes();
    if b.len() != ACCESS_KEY_LEN || !access_key.starts_with(TEMPORARY_KEY_PREFIX) {
        return None;
    }
    let digit = |c: u8| BASE32.iter().position(|&x| x == c).map(|p| p as u16);
    Some(digit(b[4])? << 5 | digit(b[5])?)
}

/// Whether `access_key` has the shape of a temporary access key.
#[must_use]
pub fn is_temporary_key(access_key: &str) -> bool {
    decode_key_id(access_key).is_some()
}

fn new_access_key(key_id: u16) -> String {
    let mut random = [0u8; ACCESS_KEY_LEN - 6];
    rand::fill(&mut random[..]);
    let mut key = String::with_capacity(ACCESS_KEY_LEN);
    key.push_str(TEMPORARY_KEY_PREFIX);
    key.extend(encode_key_id(key_id).map(char::from));
    key.extend(
        random
            .iter()
            .map(|b| char::from(BASE32[usize::from(b & 31)])),
    );
    key
}

/// Mints credentials for `claims` (whose `access_key` is filled in here) with the ring's
/// current key; returns them with the claims as completed.
pub(crate) fn mint(
    ring: &KeyRing,
    mut claims: SessionClaims,
) -> IamResult<(TemporaryCredentials, SessionClaims)> {
    let key = ring.current();
    claims.access_key = new_access_key(key.id);
    let header = format!(
        "{JWS_HEADER_PREFIX}{}\"}}",
        String::from_utf8_lossy(&encode_key_id(key.id))
    );
    let payload = serde_json::to_vec(&claims)?;
    let mut token = URL_SAFE_NO_PAD.encode(header.as_bytes());
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
    let mac = key.token_mac(token.as_bytes());
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(mac, &mut token);
    let credentials = TemporaryCredentials {
        secret_key: key.secret_for(&claims.access_key),
        access_key: claims.access_key.clone(),
        session_token: token,
        expiration: claims.exp,
    };
    Ok((credentials, claims))
}

/// The derived secret of a temporary access key, if a usable key of the ring signed it.
pub(crate) fn secret_for(ring: &KeyRing, access_key: &str, now: i64) -> Option<Secret> {
    let id = decode_key_id(access_key)?;
    Some(ring.key(id, now)?.secret_for(access_key))
}

/// Checks a token's MAC and that it was issued for `access_key`; returns its claims. Expiry,
/// revocation and the parent's state are the caller's to check.
pub(crate) fn verify(
    ring: &KeyRing,
    access_key: &str,
    token: &str,
    now: i64,
) -> Result<SessionClaims, SessionRefusal> {
    if token.len() > MAX_SESSION_TOKEN_BYTES {
        return Err(SessionRefusal::Malformed);
    }
    let id = decode_key_id(access_key).ok_or(SessionRefusal::Malformed)?;
    let key = ring.key(id, now).ok_or(SessionRefusal::UnknownSigningKey)?;
    let (signing_input, mac) = token.rsplit_once('.').ok_or(SessionRefusal::Malformed)?;
    let (header, payload) = signing_input
        .split_once('.')
        .ok_or(SessionRefusal::Malformed)?;
    let mac = URL_SAFE_NO_PAD
        .decode(mac)
        .map_err(|_| SessionRefusal::Malformed)?;
    let expected = key.token_mac(signing_input.as_bytes());
    if !bool::from(expected.as_slice().ct_eq(&mac)) {
        return Err(SessionRefusal::BadSignature);
    }
    // Authentic from here on: a header naming another key means a token of another access key.
    let header = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| SessionRefusal::Malformed)?;
    let kid = encode_key_id(id);
    let mut expected_header = JWS_HEADER_PREFIX.as_bytes().to_vec();
    expected_header.extend_from_slice(&kid);
    expected_header.extend_from_slice(b"\"}");
    if header != expected_header {
        return Err(SessionRefusal::OtherAccessKey);
    }
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| SessionRefusal::Malformed)?;
    let claims: SessionClaims =
        serde_json::from_slice(&payload).map_err(|_| SessionRefusal::Malformed)?;
    if !bool::from(claims.access_key.as_bytes().ct_eq(access_key.as_bytes())) {
        return Err(SessionRefusal::OtherAccessKey);
    }
    Ok(claims)
}

/// A parent's revocations, as stored: sessions issued at or before these times (Unix
/// milliseconds) are refused.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RevocationRecord {
    /// Every session of the parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_before_ms: Option<i64>,
    /// Sessions minted with this `TokenRevokeType`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_type_before_ms: BTreeMap<String, i64>,
}

impl RevocationRecord {
    pub(crate) fn revokes(&self, claims: &SessionClaims) -> bool {
        self.all_before_ms.is_some_and(|t| claims.issued_ms <= t)
            || claims
                .revoke_type
                .as_ref()
                .and_then(|t| self.by_type_before_ms.get(t))
                .is_some_and(|&t| claims.issued_ms <= t)
    }
}

/// Sessions whose token was verified on this node, by access key: a request repeating the
/// same token skips the MAC, the JSON and the session policy's parsing. Expiry, revocation
/// and the parent's state are still checked on every request.
#[derive(Default)]
pub(crate) struct SessionCache {
    sessions: RwLock<CachedSessions>,
}

/// The cached sessions and the order they came in. Evicting the oldest one at a time (rather
/// than emptying a full map at once) frees an entry just before the next is allocated, so a
/// flood of STS calls reuses the same memory instead of dropping 65,536 cold sessions at once
/// and faulting fresh pages in for the next ones.
#[derive(Default)]
struct CachedSessions {
    by_key: HashMap<String, CachedSession>,
    /// Access keys, oldest first; each key of `by_key` once.
    order: VecDeque<String>,
}

struct CachedSession {
    token: Box<str>,
    secret: Secret,
    session: Arc<TemporarySession>,
}

impl SessionCache {
    /// The cached session of `access_key` if `token` is the one it was verified with.
    pub(crate) fn get(&self, access_key: &str, token: &str) -> Option<Arc<TemporarySession>> {
        let sessions = self
            .sessions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let cached = sessions.by_key.get(access_key)?;
        equal_in_constant_time(cached.token.as_bytes(), token.as_bytes())
            .then(|| Arc::clone(&cached.session))
    }

    /// The cached session of `access_key`, whatever token it came with.
    pub(crate) fn session(&self, access_key: &str) -> Option<Arc<TemporarySession>> {
        let sessions = self
            .sessions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sessions
            .by_key
            .get(access_key)
            .map(|c| Arc::clone(&c.session))
    }

    /// The cached sessions acting for `parent`.
    pub(crate) fn sessions_of(&self, parent: &str) -> Vec<Arc<TemporarySession>> {
        let sessions = self
            .sessions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sessions
            .by_key
            .values()
            .filter(|c| c.session.claims.parent == parent)
            .map(|c| Arc::clone(&c.session))
            .collect()
    }

    /// The derived secret of a cached access key.
    pub(crate) fn secret(&self, access_key: &str) -> Option<Secret> {
        let sessions = self
            .sessions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sessions.by_key.get(access_key).map(|c| c.secret.clone())
    }

    pub(crate) fn insert(&self, token: &str, secret: Secret, session: Arc<TemporarySession>) {
        let entry = CachedSession {
            token: token.into(),
            secret,
            session,
        };
        let access_key = entry.session.claims.access_key.clone();
        let mut sessions = self
            .sessions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let evicted = if sessions.by_key.len() >= MAX_CACHED_SESSIONS {
            let oldest = sessions.order.pop_front();
            oldest.and_then(|key| sessions.by_key.remove(&key))
        } else {
            None
        };
        let replaced = sessions.by_key.insert(access_key.clone(), entry);
        if replaced.is_none() {
            sessions.order.push_back(access_key);
        }
        drop(sessions);
        // Freed after the lock is released.
        drop((evicted, replaced));
    }

    /// Forgets everything (the key ring changed).
    pub(crate) fn clear(&self) {
        let forgotten = std::mem::take(
            &mut *self
                .sessions
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        drop(forgotten);
    }
}

/// Whether `a == b`, in time that depends only on the lengths: eight bytes at a time (the
/// per-request token check; `subtle` compares a byte at a time, several times slower).
fn equal_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u64;
    let (a8, a_rest) = a.split_at(a.len() / 8 * 8);
    let (b8, b_rest) = b.split_at(b.len() / 8 * 8);
    for (x, y) in a8.chunks_exact(8).zip(b8.chunks_exact(8)) {
        let x = u64::from_le_bytes(x.try_into().unwrap_or_default());
        let y = u64::from_le_bytes(y.try_into().unwrap_or_default());
        diff |= x ^ y;
    }
    for (x, y) in a_rest.iter().zip(b_rest) {
        diff |= u64::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> KeyRing {
        KeyRing::from_stored(&new_stored_ring(1000).unwrap(), 1000).unwrap()
    }

    fn claims() -> SessionClaims {
        SessionClaims {
            access_key: String::new(),
            parent: "alice".into(),
            flow: Flow::AssumeRole,
            issued_ms: 1_000_000,
            exp: 5000,
            session_policy: None,
            revoke_type: Some("ci".into()),
            policies: None,
            claims: BTreeMap::new(),
        }
    }

    #[test]
    fn constant_time_equality() {
        let a = b"0123456789abcdefXYZ".to_vec();
        assert!(equal_in_constant_time(&a, &a.clone()));
        for i in 0..a.len() {
            let mut b = a.clone();
            b[i] ^= 0x40;
            assert!(!equal_in_constant_time(&a, &b), "{i}");
        }
        assert!(!equal_in_constant_time(&a, &a[..18]));
        assert!(equal_in_constant_time(b"", b""));
    }

    #[test]
    fn a_full_session_cache_evicts_the_oldest_session_for_each_new_one() {
        let cache = SessionCache::default();
        let session = |n: usize| {
            let mut c = claims();
            c.access_key = format!("ASIA{n:016}");
            Arc::new(TemporarySession {
                claims: c,
                session_policy: None,
            })
        };
        let insert = |n: usize| {
            cache.insert(
                &format!("token-{n}"),
                Secret::new(format!("s{n}")),
                session(n),
            );
        };
        for n in 0..MAX_CACHED_SESSIONS {
            insert(n);
        }
        // The same session verified again (two requests at once) is kept once.
        insert(5);
        insert(MAX_CACHED_SESSIONS);
        insert(MAX_CACHED_SESSIONS + 1);
        let key = |n: usize| format!("ASIA{n:016}");
        let newest = MAX_CACHED_SESSIONS + 1;
        assert!(
            cache
                .get(&key(newest), &format!("token-{newest}"))
                .is_some()
        );
        assert!(
            cache.get(&key(newest), "token-0").is_none(),
            "another token"
        );
        assert!(cache.session(&key(0)).is_none(), "the oldest is evicted");
        assert!(cache.session(&key(1)).is_none(), "then the next oldest");
        assert!(cache.session(&key(2)).is_some());
        assert!(cache.session(&key(MAX_CACHED_SESSIONS - 1)).is_some());
        let sessions = cache.sessions.read().unwrap();
        assert_eq!(sessions.by_key.len(), MAX_CACHED_SESSIONS);
        assert_eq!(sessions.order.len(), MAX_CACHED_SESSIONS);
        drop(sessions);
        cache.clear();
        assert!(cache.session(&key(newest)).is_none(), "cleared");
    }

    #[test]
    fn minted_credentials_verify_and_derive_the_same_secret() {
        let ring = ring();
        let creds = mint(&ring, claims()).unwrap().0;
        assert_eq!(creds.access_key.len(), 20);
        assert!(creds.access_key.starts_with("ASIA"));
        assert!(is_temporary_key(&creds.access_key));
        assert_eq!(creds.secret_key.expose().len(), 40);
        assert_eq!(
            secret_for(&ring, &creds.access_key, 1000).unwrap().expose(),
            creds.secret_key.expose()
        );
        let verified = verify(&ring, &creds.access_key, &creds.session_token, 1000).unwrap();
        assert_eq!(verified.parent, "alice");
        assert_eq!(verified.access_key, creds.access_key);
    }

    #[test]
    fn every_flipped_bit_of_a_token_is_refused() {
        let ring = ring();
        let creds = mint(&ring, claims()).unwrap().0;
        let token = creds.session_token.as_bytes();
        for i in 0..token.len() {
            for bit in 0..8 {
                let mut t = token.to_vec();
                t[i] ^= 1 << bit;
                let Ok(t) = String::from_utf8(t) else {
                    continue;
                };
                assert!(
                    verify(&ring, &creds.access_key, &t, 1000).is_err(),
                    "byte {i} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn a_token_of_another_key_or_another_server_is_refused() {
        let ring = ring();
        let a = mint(&ring, claims()).unwrap().0;
        let b = mint(&ring, claims()).unwrap().0;
        assert_eq!(
            verify(&ring, &b.access_key, &a.session_token, 1000),
            Err(SessionRefusal::OtherAccessKey)
        );
        let elsewhere = KeyRing::from_stored(&new_stored_ring(1000).unwrap(), 1000).unwrap();
        assert_eq!(
            verify(&elsewhere, &a.access_key, &a.session_token, 1000),
            Err(SessionRefusal::BadSignature)
        );
        assert_ne!(
            secret_for(&elsewhere, &a.access_key, 1000)
                .unwrap()
                .expose(),
            a.secret_key.expose()
        );
        assert_eq!(
            verify(&ring, &a.access_key, "not.a-token", 1000),
            Err(SessionRefusal::Malformed)
        );
        let huge = "a".repeat(MAX_SESSION_TOKEN_BYTES + 1);
        assert_eq!(
            verify(&ring, &a.access_key, &huge, 1000),
            Err(SessionRefusal::Malformed)
        );
    }

    #[test]
    fn rotation_keeps_old_sessions_until_the_old_key_retires() {
        let stored = new_stored_ring(1000).unwrap();
        let old_ring = KeyRing::from_stored(&stored, 1000).unwrap();
        let old = mint(&old_ring, claims()).unwrap().0;
        let stored = rotated(stored, 1100, 2000).unwrap();
        let ring = KeyRing::from_stored(&stored, 1100).unwrap();
        assert_eq!(ring.keys.len(), 2);
        let new = mint(&ring, claims()).unwrap().0;
        assert_ne!(old.access_key[4..6], new.access_key[4..6]);
        assert!(verify(&ring, &old.access_key, &old.session_token, 1100).is_ok());
        assert!(verify(&ring, &new.access_key, &new.session_token, 1100).is_ok());
        // Past its retirement the old key is gone, and with it its sessions.
        assert_eq!(
            verify(&ring, &old.access_key, &old.session_token, 2000),
            Err(SessionRefusal::UnknownSigningKey)
        );
        let later = KeyRing::from_stored(&stored, 2000).unwrap();
        assert_eq!(later.keys.len(), 1);
        assert!(secret_for(&later, &old.access_key, 2000).is_none());
    }

    #[test]
    fn revocation_records_cut_by_time_and_type() {
        let mut c = claims();
        let r = RevocationRecord {
            all_before_ms: Some(999_999),
            by_type_before_ms: BTreeMap::from([("ci".to_owned(), 1_000_000)]),
        };
        assert!(r.revokes(&c), "by type, issued at the revocation time");
        c.revoke_type = Some("other".into());
        assert!(!r.revokes(&c));
        c.issued_ms = 999_999;
        assert!(r.revokes(&c), "all sessions issued before");
    }
}
