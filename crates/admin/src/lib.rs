//! The MinIO admin API (v3) subset Tessera speaks, starting with its payload encryption.
//!
//! [`payload`] owns the madmin encrypted-body format (`EncryptData` / `DecryptData` in MinIO,
//! `minio/crypto.py` in minio-py): the request and response bodies of admin calls that carry
//! secrets are sealed with a key derived from the *requester's secret key*. Use
//! [`PayloadCipher`] from async code (it runs the 64 MiB Argon2id derivation on tokio's
//! blocking pool and bounds how many run at once) and [`encrypt`] / [`decrypt`] where blocking
//! is fine (tests, tools).
//!
//! [`api`] owns the endpoints: users, groups, policies and their attachments, service accounts
//! and account info, each decided by the caller's `admin:` rights and carried out through
//! `iam`. The S3 layer routes `/minio/admin/v3/…` here after verifying the signature.

#![forbid(unsafe_code)]

pub mod api;
mod error;
pub mod payload;

pub use api::{AdminApi, AdminError, AdminRequest, AdminResponse, BucketDirectory, OpenIdSummary};
pub use error::PayloadError;
pub use payload::{Algorithm, PayloadCipher, decrypt, encrypt};
