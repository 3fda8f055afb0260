//! One OpenID provider as the operator configured it (`MINIO_IDENTITY_OPENID_*[_NAME]`), and
//! the role ARN MinIO computes for a role-based provider.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha1::{Digest as _, Sha1};

/// The claim that names policies when the operator sets none.
pub const DEFAULT_CLAIM_NAME: &str = "policy";

/// One configured provider.
#[derive(Clone)]
pub struct OpenIdConfig {
    /// `""` for the default provider, else the `_NAME` suffix, lower-cased.
    pub name: String,
    /// The discovery document (`…/.well-known/openid-configuration`).
    pub config_url: String,
    /// Must appear in a token's `aud` or `azp`.
    pub client_id: String,
    /// Verifies HS256/384/512 tokens; never printed.
    pub client_secret: Option<String>,
    /// The claim holding policy names; a dotted path reaches a nested claim.
    pub claim_name: String,
    /// Non-empty: the provider is role-based and grants these policies.
    pub role_policy: Vec<String>,
    /// `CLAIM_USERINFO=on`: claims from the UserInfo endpoint are merged into the token's (the
    /// caller sends the access token as `WebIdentityAccessToken`).
    pub claim_userinfo: bool,
}

impl std::fmt::Debug for OpenIdConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenIdConfig")
            .field("name", &self.name)
            .field("config_url", &self.config_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field("claim_name", &self.claim_name)
            .field("role_policy", &self.role_policy)
            .field("claim_userinfo", &self.claim_userinfo)
            .finish()
    }
}

impl OpenIdConfig {
    /// Whether the provider grants fixed policies (`role_policy`) rather than those its tokens
    /// name in a claim.
    #[must_use]
    pub fn is_role_based(&self) -> bool {
        !self.role_policy.is_empty()
    }

    /// MinIO's role ARN: `arn:minio:iam:<region>::role/<base64url(SHA-1(client_id))>`.
    #[must_use]
    pub fn role_arn(&self, region: Option<&str>) -> String {
        let id = URL_SAFE_NO_PAD.encode(Sha1::digest(self.client_id.as_bytes()));
        format!("arn:minio:iam:{}::role/{id}", region.unwrap_or_default())
    }

    /// The label used in logs and messages.
    #[must_use]
    pub fn label(&self) -> &str {
        if self.name.is_empty() {
            "default"
        } else {
            &self.name
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arn_is_stable_and_27_characters() {
        let c = OpenIdConfig {
            name: String::new(),
            config_url: String::new(),
            client_id: "tessera".into(),
            client_secret: Some("s3cret".into()),
            claim_name: DEFAULT_CLAIM_NAME.into(),
            role_policy: vec!["readonly".into()],
            claim_userinfo: false,
        };
        let arn = c.role_arn(None);
        assert!(arn.starts_with("arn:minio:iam:::role/"), "{arn}");
        assert_eq!(arn.rsplit('/').next().unwrap().len(), 27);
        assert_eq!(arn, c.role_arn(None));
        assert!(
            c.role_arn(Some("eu-west-1"))
                .starts_with("arn:minio:iam:eu-west-1::role/")
        );
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
