//! Who may sign requests, and with which secret: s3s asks `KeyStore::get_secret_key` for the
//! secret of the access key in a signature and verifies the signature itself. The answer comes
//! from the live IAM state (root, users, service accounts), so a disabled or removed account
//! stops signing at its next request.

use std::sync::Arc;

use s3s::S3Result;
use s3s::auth::{S3Auth, SecretKey};
use tessera_iam::{IamSystem, KeyLookup, is_temporary_key};

/// Answers secret lookups for signature verification.
#[derive(Clone)]
pub struct KeyStore {
    iam: Arc<IamSystem>,
}

impl KeyStore {
    #[must_use]
    pub fn new(iam: Arc<IamSystem>) -> Self {
        Self { iam }
    }
}

#[async_trait::async_trait]
impl S3Auth for KeyStore {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        if is_temporary_key(access_key) {
            // Derived from the key ring; the session token is checked by the access gate.
            return match self.iam.temporary_secret(access_key) {
                Some(secret) => Ok(SecretKey::from(secret.expose())),
                None => Err(s3s::s3_error!(
                    InvalidAccessKeyId,
                    "these temporary credentials were signed by a key this server no longer has: request new ones"
                )),
            };
        }
        match self.iam.lookup(access_key) {
            KeyLookup::Active { secret, .. } => Ok(SecretKey::from(secret.expose())),
            KeyLookup::Disabled => Err(s3s::s3_error!(
                InvalidAccessKeyId,
                "the account of this access key is disabled: ask an administrator to enable it"
            )),
            KeyLookup::Expired => Err(s3s::s3_error!(
                InvalidAccessKeyId,
                "this access key has expired"
            )),
            KeyLookup::Unknown => Err(s3s::s3_error!(
                InvalidAccessKeyId,
                "the access key you signed with is not known to this server: check the access key"
            )),
        }
    }
}
