//! OpenID Connect providers: their configuration (claim-based or role-based, as MinIO has
//! them), discovery and signing keys, and the verification of the tokens they sign (ID tokens
//! for AssumeRoleWithWebIdentity, JWT access tokens for AssumeRoleWithClientGrants).

mod config;
mod fetch;
mod keys;
mod provider;
mod verify;

pub use config::{DEFAULT_CLAIM_NAME, OpenIdConfig};
pub use fetch::{FetchError, Fetcher};
pub use provider::{Provider, Providers};
pub use verify::{MAX_TOKEN_BYTES, TokenError, VerifiedToken};
