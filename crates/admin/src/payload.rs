//! The madmin encrypted-payload format: what MinIO's `madmin.EncryptData` / `DecryptData` and
//! minio-py's `minio/crypto.py` put in admin request and response bodies that carry secrets.
//!
//! ```text
//! payload  = salt (32 random bytes) || algorithm id (1) || nonce (8 random bytes) || fragments
//! key      = KDF(password = the requester's secret key, salt), 32 bytes
//!              0x00  Argon2id (t=1, m=64 MiB, p=4, v=0x13)  + AES-256-GCM
//!              0x01  Argon2id (same)                        + ChaCha20-Poly1305
//!              0x02  PBKDF2-HMAC-SHA256 (8192 iterations)   + AES-256-GCM
//! fragment = AEAD(key, nonce || u32_le(seq), ad, plaintext[16 KiB]) || tag (16)
//!            seq counts from 1; ad = flag || tag0, flag 0x80 on the last fragment, 0x00 before;
//!            tag0 = the tag of sealing an empty plaintext with seq 0 and empty associated data
//! ```
//!
//! This is the DARE v2 stream of `sio-go`: every fragment but the last holds exactly 16 KiB, the
//! last holds 1..=16384 bytes and carries the final flag, so a payload cannot be truncated,
//! extended or reordered without failing authentication. An empty plaintext is one empty final
//! fragment (57 bytes in all), as MinIO writes it and as minio-py reads it. minio-py *writes* an
//! empty plaintext as the bare 41-byte header; MinIO rejects that and so does [`decrypt`], with
//! [`PayloadError::NoFragment`] (minio-py never encrypts an empty admin body).
//!
//! The algorithm id byte is not authenticated; changing it only changes the key, and the first
//! fragment then fails to verify.
//!
//! Argon2id needs 64 MiB and tens to hundreds of milliseconds per call, on every request and
//! every reply. [`PayloadCipher`] runs it on tokio's blocking pool behind a semaphore so a burst
//! of admin calls queues instead of exhausting memory; [`encrypt`] and [`decrypt`] are the
//! blocking versions. Derived keys and Argon2's working memory are zeroed after use; nothing
//! here prints a password, a key or a plaintext.

use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Arc;

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::{pbkdf2, rand};
use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use zeroize::{Zeroize, Zeroizing};

use crate::PayloadError;

/// Length of the random salt that starts every payload.
pub const SALT_LEN: usize = 32;
/// Length of the random nonce prefix in the header; the fragment sequence number follows it.
pub const NONCE_LEN: usize = 8;
/// Salt, algorithm id and nonce.
pub const HEADER_LEN: usize = SALT_LEN + 1 + NONCE_LEN;
/// Plaintext bytes per fragment (all fragments but the last are exactly this long).
pub const FRAGMENT_LEN: usize = 16 * 1024;
/// Authentication tag appended to every fragment.
pub const TAG_LEN: usize = 16;

const SEALED_FRAGMENT_LEN: usize = FRAGMENT_LEN + TAG_LEN;
const KEY_LEN: usize = 32;
const FLAG_FINAL: u8 = 0x80;

const ARGON2_MEMORY_KIB: u32 = 64 * 1024;
const ARGON2_PASSES: u32 = 1;
const ARGON2_LANES: u32 = 4;
const PBKDF2_ITERATIONS: NonZeroU32 = NonZeroU32::new(8192).expect("8192 is not zero");

/// The key derivation and AEAD a payload is sealed with: the algorithm id byte of the header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// 0x00: Argon2id + AES-256-GCM, MinIO's choice on machines with AES instructions and the
    /// only one minio-py writes.
    #[default]
    Argon2idAesGcm,
    /// 0x01: Argon2id + ChaCha20-Poly1305, MinIO's choice without AES instructions.
    Argon2idChaCha20Poly1305,
    /// 0x02: PBKDF2-HMAC-SHA256 (8192 iterations) + AES-256-GCM, MinIO's FIPS mode. minio-py
    /// cannot read it.
    Pbkdf2AesGcm,
}

impl Algorithm {
    /// Every algorithm, in id order.
    pub const ALL: [Algorithm; 3] = [
        Algorithm::Argon2idAesGcm,
        Algorithm::Argon2idChaCha20Poly1305,
        Algorithm::Pbkdf2AesGcm,
    ];

    /// The id byte written after the salt.
    pub const fn id(self) -> u8 {
        match self {
            Algorithm::Argon2idAesGcm => 0x00,
            Algorithm::Argon2idChaCha20Poly1305 => 0x01,
            Algorithm::Pbkdf2AesGcm => 0x02,
        }
    }

    /// The algorithm an id byte names, if any.
    pub const fn from_id(id: u8) -> Option<Self> {
        match id {
            0x00 => Some(Algorithm::Argon2idAesGcm),
            0x01 => Some(Algorithm::Argon2idChaCha20Poly1305),
            0x02 => Some(Algorithm::Pbkdf2AesGcm),
            _ => None,
        }
    }

    fn aead(self) -> &'static aead::Algorithm {
        match self {
            Algorithm::Argon2idAesGcm | Algorithm::Pbkdf2AesGcm => &aead::AES_256_GCM,
            Algorithm::Argon2idChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }
}

impl TryFrom<u8> for Algorithm {
    type Error = PayloadError;

    fn try_from(id: u8) -> Result<Self, PayloadError> {
        Algorithm::from_id(id).ok_or(PayloadError::UnknownAlgorithm { id })
    }
}

/// Encrypts `plaintext` for a client whose secret key is `password`, with fresh random salt and
/// nonce. Blocks for one key derivation (64 MiB of memory for the Argon2id ids); use
/// [`PayloadCipher::encrypt`] from async code.
pub fn encrypt(
    password: &[u8],
    plaintext: &[u8],
    algorithm: Algorithm,
) -> Result<Vec<u8>, PayloadError> {
    let (salt, nonce) = random_salt_and_nonce()?;
    let key = derive_key(algorithm, password, &salt)?;
    seal_stream(algorithm, &key, &salt, &nonce, plaintext)
}

/// Decrypts and verifies a payload sealed with the secret key `password`, whatever its
/// algorithm id. The plaintext is zeroed when dropped. Blocks for one key derivation; use
/// [`PayloadCipher::decrypt`] from async code.
pub fn decrypt(password: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, PayloadError> {
    let header = Header::parse(ciphertext)?;
    let key = derive_key(header.algorithm, password, header.salt)?;
    open_stream(&header, &key)
}

/// Encrypts and decrypts admin payloads from async code. Key derivations run on tokio's blocking
/// pool, at most `concurrent_derivations` at a time (each Argon2id holds 64 MiB); callers beyond
/// that wait their turn. Cheap to clone; clones share the limit.
#[derive(Clone, Debug)]
pub struct PayloadCipher {
    derivations: Arc<Semaphore>,
    algorithm: Algorithm,
    #[cfg(test)]
    gauge: Arc<tests::Gauge>,
}

impl Default for PayloadCipher {
    fn default() -> Self {
        PayloadCipher::new(
            PayloadCipher::DEFAULT_CONCURRENT_DERIVATIONS,
            Algorithm::default(),
        )
    }
}

impl PayloadCipher {
    /// Two derivations at once: 128 MiB of Argon2id memory at most.
    pub const DEFAULT_CONCURRENT_DERIVATIONS: NonZeroUsize =
        NonZeroUsize::new(2).expect("2 is not zero");

    /// A cipher that encrypts with `algorithm` and runs at most `concurrent_derivations` key
    /// derivations at once (capped at tokio's semaphore limit).
    pub fn new(concurrent_derivations: NonZeroUsize, algorithm: Algorithm) -> Self {
        let permits = concurrent_derivations.get().min(Semaphore::MAX_PERMITS);
        PayloadCipher {
            derivations: Arc::new(Semaphore::new(permits)),
            algorithm,
            #[cfg(test)]
            gauge: Arc::default(),
        }
    }

    /// The algorithm [`PayloadCipher::encrypt`] uses (every algorithm is decrypted).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Encrypts `plaintext` for a client whose secret key is `password`, with
    /// [`PayloadCipher::algorithm`]. The password is copied into a buffer zeroed after use; the
    /// caller's plaintext buffer is the caller's to zero.
    pub async fn encrypt(
        &self,
        password: &[u8],
        plaintext: impl Into<Bytes>,
    ) -> Result<Vec<u8>, PayloadError> {
        let algorithm = self.algorithm;
        let plaintext = plaintext.into();
        let (salt, nonce) = random_salt_and_nonce()?;
        self.with_derived_key(algorithm, password, salt, move |key| {
            seal_stream(algorithm, key, &salt, &nonce, &plaintext)
        })
        .await
    }

    /// Decrypts and verifies a payload sealed with the secret key `password`. A malformed
    /// header or layout is refused before any key derivation is spent on it.
    pub async fn decrypt(
        &self,
        password: &[u8],
        ciphertext: impl Into<Bytes>,
    ) -> Result<Zeroizing<Vec<u8>>, PayloadError> {
        let ciphertext = ciphertext.into();
        let header = Header::parse(&ciphertext)?;
        let (algorithm, salt) = (header.algorithm, *header.salt);
        self.with_derived_key(algorithm, password, salt, move |key| {
            open_stream(&Header::parse(&ciphertext)?, key)
        })
        .await
    }

    /// Waits for a derivation permit, then on the blocking pool derives the key, releases the
    /// permit and runs `job` with the key. The permit moves into the blocking task, so a caller
    /// that gives up waiting does not free memory that is still in use.
    async fn with_derived_key<T: Send + 'static>(
        &self,
        algorithm: Algorithm,
        password: &[u8],
        salt: [u8; SALT_LEN],
        job: impl FnOnce(&PayloadKey) -> Result<T, PayloadError> + Send + 'static,
    ) -> Result<T, PayloadError> {
        let password = Zeroizing::new(password.to_vec());
        let permit: OwnedSemaphorePermit = Arc::clone(&self.derivations)
            .acquire_owned()
            .await
            .map_err(|_| PayloadError::Task {
                reason: "the derivation limiter was closed",
            })?;
        #[cfg(test)]
        let gauge = Arc::clone(&self.gauge);
        let task = tokio::task::spawn_blocking(move || {
            #[cfg(test)]
            let _active = gauge.enter();
            let key = derive_key(algorithm, &password, &salt);
            #[cfg(test)]
            drop(_active);
            drop(permit);
            job(&key?)
        });
        task.await.map_err(|err| PayloadError::Task {
            reason: if err.is_panic() {
                "the task panicked"
            } else {
                "the runtime is shutting down"
            },
        })?
    }
}

/// A 32-byte key derived from a password: zeroed on drop, deliberately not `Debug`.
struct PayloadKey(Zeroizing<[u8; KEY_LEN]>);

impl PayloadKey {
    fn zeroed() -> Self {
        PayloadKey(Zeroizing::new([0; KEY_LEN]))
    }
}

fn derive_key(
    algorithm: Algorithm,
    password: &[u8],
    salt: &[u8; SALT_LEN],
) -> Result<PayloadKey, PayloadError> {
    match algorithm {
        Algorithm::Argon2idAesGcm | Algorithm::Argon2idChaCha20Poly1305 => argon2id(password, salt),
        Algorithm::Pbkdf2AesGcm => {
            let mut key = PayloadKey::zeroed();
            pbkdf2::derive(
                pbkdf2::PBKDF2_HMAC_SHA256,
                PBKDF2_ITERATIONS,
                salt,
                password,
                &mut key.0[..],
            );
            Ok(key)
        }
    }
}

/// Argon2id v1.3 with MinIO's parameters. The 64 MiB working memory is ours, so it can be
/// allocated fallibly and zeroed afterwards (the last blocks determine the key).
fn argon2id(password: &[u8], salt: &[u8]) -> Result<PayloadKey, PayloadError> {
    let kdf_error = |err: argon2::Error| PayloadError::KeyDerivation {
        reason: err.to_string(),
    };
    let params = argon2::Params::new(
        ARGON2_MEMORY_KIB,
        ARGON2_PASSES,
        ARGON2_LANES,
        Some(KEY_LEN),
    )
    .map_err(kdf_error)?;
    let blocks = params.block_count();
    let hasher = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);

    let mut memory: Zeroizing<Vec<argon2::Block>> = Zeroizing::new(Vec::new());
    memory
        .try_reserve_exact(blocks)
        .map_err(|_| PayloadError::OutOfMemory)?;
    memory.resize(blocks, argon2::Block::new());

    let mut key = PayloadKey::zeroed();
    hasher
        .hash_password_into_with_memory(password, salt, &mut key.0[..], &mut memory[..])
        .map_err(kdf_error)?;
    Ok(key)
}

fn random_salt_and_nonce() -> Result<([u8; SALT_LEN], [u8; NONCE_LEN]), PayloadError> {
    let mut salt = [0; SALT_LEN];
    let mut nonce = [0; NONCE_LEN];
    rand::fill(&mut salt).map_err(|_| PayloadError::Random)?;
    rand::fill(&mut nonce).map_err(|_| PayloadError::Random)?;
    Ok((salt, nonce))
}

/// The parsed header of a payload whose layout has been checked: the body splits into
/// fragments of [`SEALED_FRAGMENT_LEN`] bytes, the last one holding at least a tag.
struct Header<'a> {
    salt: &'a [u8; SALT_LEN],
    algorithm: Algorithm,
    nonce: [u8; NONCE_LEN],
    body: &'a [u8],
}

impl<'a> Header<'a> {
    fn parse(payload: &'a [u8]) -> Result<Self, PayloadError> {
        let too_short = PayloadError::TooShort { len: payload.len() };
        let Some((salt, rest)) = payload.split_first_chunk::<SALT_LEN>() else {
            return Err(too_short);
        };
        let Some((&id, rest)) = rest.split_first() else {
            return Err(too_short);
        };
        let Some((nonce, body)) = rest.split_first_chunk::<NONCE_LEN>() else {
            return Err(too_short);
        };
        let algorithm = Algorithm::try_from(id)?;
        if body.is_empty() {
            return Err(PayloadError::NoFragment);
        }
        let fragments = body.len().div_ceil(SEALED_FRAGMENT_LEN);
        let fragments = u32::try_from(fragments).map_err(|_| PayloadError::TooLarge)?;
        let last_len = body.len() - (body.len() - 1) / SEALED_FRAGMENT_LEN * SEALED_FRAGMENT_LEN;
        if last_len < TAG_LEN {
            return Err(PayloadError::Truncated {
                fragment: fragments,
                len: last_len,
            });
        }
        Ok(Header {
            salt,
            algorithm,
            nonce: *nonce,
            body,
        })
    }
}

/// One payload's AEAD state: the key, the nonce prefix and the associated data.
struct FragmentCipher {
    key: LessSafeKey,
    nonce_prefix: [u8; NONCE_LEN],
    associated_data: [u8; 1 + TAG_LEN],
}

impl FragmentCipher {
    fn new(
        algorithm: Algorithm,
        key: &PayloadKey,
        nonce_prefix: [u8; NONCE_LEN],
    ) -> Result<Self, PayloadError> {
        let unbound =
            UnboundKey::new(algorithm.aead(), &key.0[..]).map_err(|_| PayloadError::Cipher {
                operation: "key setup",
            })?;
        let mut cipher = FragmentCipher {
            key: LessSafeKey::new(unbound),
            nonce_prefix,
            associated_data: [0; 1 + TAG_LEN],
        };
        let tag0 = cipher
            .key
            .seal_in_place_separate_tag(cipher.nonce(0), Aad::empty(), &mut [])
            .map_err(|_| PayloadError::Cipher { operation: "seal" })?;
        cipher.associated_data[1..].copy_from_slice(tag0.as_ref());
        Ok(cipher)
    }

    fn nonce(&self, seq: u32) -> Nonce {
        let mut nonce = [0; aead::NONCE_LEN];
        nonce[..NONCE_LEN].copy_from_slice(&self.nonce_prefix);
        nonce[NONCE_LEN..].copy_from_slice(&seq.to_le_bytes());
        Nonce::assume_unique_for_key(nonce)
    }

    fn aad(&self, last: bool) -> Aad<[u8; 1 + TAG_LEN]> {
        let mut ad = self.associated_data;
        if last {
            ad[0] = FLAG_FINAL;
        }
        Aad::from(ad)
    }

    /// Appends the sealed `plaintext` (ciphertext and tag) to `out`.
    fn seal_into(
        &self,
        seq: u32,
        last: bool,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), PayloadError> {
        let start = out.len();
        out.extend_from_slice(plaintext);
        let sealed =
            self.key
                .seal_in_place_separate_tag(self.nonce(seq), self.aad(last), &mut out[start..]);
        match sealed {
            Ok(tag) => {
                out.extend_from_slice(tag.as_ref());
                Ok(())
            }
            Err(_) => {
                out[start..].zeroize();
                out.truncate(start);
                Err(PayloadError::Cipher { operation: "seal" })
            }
        }
    }

    /// Verifies `sealed` (ciphertext and tag) and appends its plaintext to `out`; on failure
    /// `out` is left as it was and `false` returned.
    fn open_into(&self, seq: u32, last: bool, sealed: &[u8], out: &mut Vec<u8>) -> bool {
        let start = out.len();
        out.extend_from_slice(sealed);
        let opened = self
            .key
            .open_in_place(self.nonce(seq), self.aad(last), &mut out[start..])
            .map(|plaintext| plaintext.len());
        match opened {
            Ok(len) => {
                out[start + len..].zeroize();
                out.truncate(start + len);
                true
            }
            Err(_) => {
                out[start..].zeroize();
                out.truncate(start);
                false
            }
        }
    }
}

fn seal_stream(
    algorithm: Algorithm,
    key: &PayloadKey,
    salt: &[u8; SALT_LEN],
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, PayloadError> {
    let fragments = plaintext.len().div_ceil(FRAGMENT_LEN).max(1);
    let last_seq = u32::try_from(fragments).map_err(|_| PayloadError::TooLarge)?;
    let len = fragments
        .checked_mul(TAG_LEN)
        .and_then(|tags| tags.checked_add(plaintext.len()))
        .and_then(|len| len.checked_add(HEADER_LEN))
        .ok_or(PayloadError::TooLarge)?;

    let cipher = FragmentCipher::new(algorithm, key, *nonce)?;
    // Sized exactly, so sealing in place never reallocates (and leaves no plaintext copy).
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(salt);
    out.push(algorithm.id());
    out.extend_from_slice(nonce);
    if plaintext.is_empty() {
        cipher.seal_into(1, true, &[], &mut out)?;
    }
    for (seq, fragment) in (1..=last_seq).zip(plaintext.chunks(FRAGMENT_LEN)) {
        cipher.seal_into(seq, seq == last_seq, fragment, &mut out)?;
    }
    Ok(out)
}

fn open_stream(header: &Header<'_>, key: &PayloadKey) -> Result<Zeroizing<Vec<u8>>, PayloadError> {
    let cipher = FragmentCipher::new(header.algorithm, key, header.nonce)?;
    let body = header.body;
    let last_seq = u32::try_from(body.len().div_ceil(SEALED_FRAGMENT_LEN))
        .map_err(|_| PayloadError::TooLarge)?;
    // The plaintext never outgrows the body, so this never reallocates (no stray copies).
    let mut out = Zeroizing::new(Vec::with_capacity(body.len()));
    let mut consumed = 0;
    for (seq, sealed) in (1..=last_seq).zip(body.chunks(SEALED_FRAGMENT_LEN)) {
        consumed += sealed.len();
        let last = seq == last_seq;
        if cipher.open_into(seq, last, sealed, &mut out) {
            continue;
        }
        // The fragment is not authentic where it sits. If it verifies with the other flag its
        // bytes are genuine and the stream ends in the wrong place.
        let mut scratch = Zeroizing::new(Vec::with_capacity(sealed.len()));
        if cipher.open_into(seq, !last, sealed, &mut scratch) {
            return Err(if last {
                PayloadError::MissingFinalFragment { fragments: seq }
            } else {
                PayloadError::TrailingData {
                    fragment: seq,
                    trailing: body.len() - consumed,
                }
            });
        }
        return Err(PayloadError::NotAuthentic { fragment: seq });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
