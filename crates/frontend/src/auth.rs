//! Who may sign requests, and with which secret: s3s asks `KeyStore::get_secret_key` for the
//! secret of the access key in a signature and verifies the signature itself. For now the store
//! holds the root credentials; IAM users and temporary credentials join it with their issues.

use std::fmt;

use s3s::S3Result;
use s3s::auth::{S3Auth, SecretKey};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

/// A secret that is zeroised when dropped and never printed by `Debug` or `Display`.
#[derive(Clone)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    #[must_use]
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// The secret itself, for the few places that must use it (signing, storing).
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time equality.
    #[must_use]
    pub fn ct_eq(&self, other: &str) -> bool {
        self.0.as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

/// The root user's access key and secret.
#[derive(Debug, Clone)]
pub struct RootCredentials {
    pub access_key: String,
    pub secret_key: SecretString,
}

/// Answers secret lookups for signature verification.
#[derive(Debug, Clone)]
pub struct KeyStore {
    root: RootCredentials,
}

impl KeyStore {
    #[must_use]
    pub fn new(root: RootCredentials) -> Self {
        Self { root }
    }
}

#[async_trait::async_trait]
impl S3Auth for KeyStore {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        let known: bool = access_key
            .as_bytes()
            .ct_eq(self.root.access_key.as_bytes())
            .into();
        if known {
            return Ok(SecretKey::from(self.root.secret_key.expose()));
        }
        Err(s3s::s3_error!(
            InvalidAccessKeyId,
            "the access key you signed with is not known to this server: check the access key"
        ))
    }
}
