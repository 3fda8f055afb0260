//! The error type of this crate. Messages say what was wrong with the payload and what to check;
//! they never contain a password, a derived key or plaintext.

use crate::payload::{HEADER_LEN, TAG_LEN};

/// Why an admin payload could not be encrypted or decrypted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// Fewer bytes than the fixed header (salt, algorithm id, nonce).
    #[error(
        "the encrypted admin payload is {len} bytes, shorter than its {HEADER_LEN}-byte header \
         (32-byte salt, 1-byte algorithm id, 8-byte nonce): the body was cut off or is not \
         madmin-encrypted"
    )]
    TooShort { len: usize },

    /// The algorithm id byte names no known KDF + AEAD pair.
    #[error(
        "the encrypted admin payload names unknown algorithm id {id:#04x}; supported are 0x00 \
         (Argon2id + AES-256-GCM), 0x01 (Argon2id + ChaCha20-Poly1305) and 0x02 \
         (PBKDF2-SHA256 + AES-256-GCM)"
    )]
    UnknownAlgorithm { id: u8 },

    /// A header and nothing else. minio-py encodes an empty body this way; MinIO (and Tessera)
    /// reject it because it carries no final fragment, so a payload cut right after its header
    /// would be indistinguishable from an empty one. A caller that wants minio-py's reading can
    /// treat this variant as an empty plaintext.
    #[error(
        "the encrypted admin payload has a header but no fragment, so it cannot be told apart \
         from a payload cut off after its header; an empty body must be encrypted with an empty \
         final fragment (as MinIO does), or not be sent at all"
    )]
    NoFragment,

    /// The last fragment is shorter than an authentication tag: the payload was cut off inside
    /// a tag, or a few stray bytes follow a complete payload.
    #[error(
        "the encrypted admin payload is truncated: its last fragment ({fragment}) has {len} \
         bytes, fewer than its {TAG_LEN}-byte authentication tag (the body was cut off, or stray \
         bytes follow it)"
    )]
    Truncated { fragment: u32, len: usize },

    /// Every fragment is authentic but none is marked final: the stream was cut off at a
    /// fragment boundary.
    #[error(
        "the encrypted admin payload is truncated: it ends after fragment {fragments} without a \
         final fragment"
    )]
    MissingFinalFragment { fragments: u32 },

    /// The final fragment is followed by more bytes.
    #[error(
        "the encrypted admin payload continues after its final fragment ({fragment}): \
         {trailing} trailing bytes; send exactly the bytes the encryption produced"
    )]
    TrailingData { fragment: u32, trailing: usize },

    /// A fragment failed authentication: wrong key, or bytes changed in transit.
    #[error(
        "the encrypted admin payload is not authentic (fragment {fragment} failed verification): \
         was it encrypted with a different secret key? It must be encrypted with the secret key \
         of the credentials that sign the request; otherwise it was altered, cut off or extended \
         in transit"
    )]
    NotAuthentic { fragment: u32 },

    /// More than 2^32 - 1 fragments (64 TiB); the sequence number would wrap.
    #[error(
        "the admin payload is too large: at most 4294967295 fragments of 16 KiB fit one stream"
    )]
    TooLarge,

    /// The 64 MiB Argon2id working memory could not be allocated.
    #[error(
        "not enough memory for the 64 MiB Argon2id key derivation; lower the number of \
         concurrent derivations or retry later"
    )]
    OutOfMemory,

    /// The key derivation rejected its input (only a password longer than 4 GiB can do this).
    #[error("the payload key could not be derived: {reason}")]
    KeyDerivation { reason: String },

    /// The operating system's random number generator failed.
    #[error("the system random number generator failed; cannot pick a salt and nonce")]
    Random,

    /// The AEAD refused an operation that cannot fail on valid input (a bug, reported not
    /// panicked).
    #[error("the {operation} operation failed unexpectedly in the AEAD library")]
    Cipher { operation: &'static str },

    /// The blocking task running the key derivation did not complete (runtime shutting down,
    /// or the task panicked).
    #[error("the payload key derivation task did not complete: {reason}")]
    Task { reason: &'static str },
}
