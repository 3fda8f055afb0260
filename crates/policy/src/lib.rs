//! # tessera-policy
//!
//! The IAM policy language of Tessera, with MinIO's semantics: strict parsing, evaluation,
//! `${…}` policy variables and MinIO's canned policies. No I/O, no HTTP, no storage — a pure
//! function from (policy documents, request) to a [`Decision`], safe to fuzz.
//!
//! * **Parsing** ([`Policy::parse`], [`Policy::parse_session`], [`Policy::parse_bucket`])
//!   follows MinIO's rules: unknown or repeated fields, a `Version` other than `2012-10-17`
//!   (a missing one is accepted, except in session policies), unknown actions, resources that
//!   are not `arn:aws:s3:::…` for S3 actions, unknown condition operators, qualifiers and keys,
//!   and documents over [`MAX_POLICY_DOCUMENT_BYTES`] are errors that name the statement (index
//!   and `Sid`) and the field. Identity and session policies may not carry `Principal`; bucket
//!   policies must.
//! * **Evaluation** ([`Policy::evaluate`]): a matching `Deny` wins, else a matching `Allow`
//!   allows, else the request is implicitly denied. `Action`/`NotAction`,
//!   `Resource`/`NotResource`, `*`/`?` wildcards, every AWS condition operator family with
//!   `…IfExists` and `ForAnyValue:`/`ForAllValues:`.
//! * **Combination** ([`AccessCheck`], [`evaluate_all`]): identity policies together, the STS
//!   session-policy intersection, bucket policies adding allows; explicit deny anywhere wins.
//! * **Variables**: `${aws:username}`, `${aws:userid}`, `${aws:principaltype}`,
//!   `${aws:SourceIp}`, `${jwt:…}`, `${ldap:…}` and the other common keys are substituted in
//!   `Resource` and in `String…`/`Arn…` condition values from the request's [`Conditions`].
//!   A variable without a value makes that pattern match nothing; `${*}`, `${?}`, `${$}` are
//!   literal `*`, `?`, `$`.
//! * **Canonical JSON** ([`Policy::to_canonical_json`]) and **merging** ([`Policy::merge`]).
//! * **Canned policies** ([`canned_policy`], [`is_canned`]).
//!
//! ```
//! use tessera_policy::{Conditions, Decision, Policy, Request};
//!
//! // The classic home-directory policy.
//! let policy = Policy::parse(r#"{
//!   "Version": "2012-10-17",
//!   "Statement": [
//!     {"Sid": "ListOwnPrefix", "Effect": "Allow", "Action": "s3:ListBucket",
//!      "Resource": "arn:aws:s3:::home",
//!      "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}},
//!     {"Sid": "OwnObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
//!      "Resource": "arn:aws:s3:::home/${aws:username}/*"}
//!   ]
//! }"#)?;
//!
//! let alice = Conditions::new().with("aws:username", ["alice"]);
//! let get = |key: &str| policy.evaluate(&Request::new("s3:GetObject", key, &alice));
//! assert_eq!(get("arn:aws:s3:::home/alice/notes.txt"), Decision::Allow);
//! assert_eq!(get("arn:aws:s3:::home/bob/notes.txt"), Decision::ImplicitDeny);
//!
//! let listing = alice.clone().with("s3:prefix", ["alice/"]);
//! assert!(policy.evaluate(&Request::new("s3:ListBucket", "arn:aws:s3:::home", &listing)).is_allowed());
//!
//! // Errors say where the problem is.
//! let err = Policy::parse(r#"{"Statement":[{"Sid":"x","Effect":"Allow","Action":"s3:GetObjcet","Resource":"*"}]}"#)
//!     .unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "Statement[0] (Sid \"x\"), field Action: unknown action `s3:GetObjcet` (did you mean `s3:GetObject`?)"
//! );
//! # Ok::<(), tessera_policy::PolicyError>(())
//! ```
//!
//! ## Where this differs from, or pins down, MinIO
//!
//! * Kept for compatibility: in identity policies a bucket-level request also matches as
//!   `bucket/` (so `arn:aws:s3:::b/*` covers `s3:ListBucket` on `b`); `s3:GetObjectVersion`
//!   also grants `s3:GetObject`; field names are case-insensitive; duplicate statements
//!   (ignoring `Sid`) are dropped; MinIO's per-action condition-key table is enforced.
//! * AWS semantics where MinIO is narrower or loose: every operator takes `…IfExists`; set
//!   qualifiers follow AWS (negated operators negate per value); `Arn…` operators exist;
//!   numeric and date operators take several values; action names are case-insensitive;
//!   `NotAction` entries are validated; a missing variable makes its pattern match nothing
//!   (MinIO leaves it as literal text); a variable with several values stands for each of
//!   them (MinIO uses the first); substituted values are literal (a `*` in a user name is not
//!   a wildcard); the bare `*` action does not bypass `Resource` (MinIO treats it as an STS
//!   action and ignores resources).
//! * Stricter: repeated fields are an error (Go keeps the last); any `jwt:<claim>` is a valid
//!   key (custom OpenID claims), other unknown keys are errors.

#![forbid(unsafe_code)]

mod actions;
mod canned;
mod condition;
mod conditions;
mod decision;
mod error;
mod json;
mod keys;
mod pattern;
mod policy;
mod request_keys;
mod resource;
mod statement;

pub use actions::known_actions;
pub use canned::{CANNED_POLICY_NAMES, canned_policy, canned_policy_json, is_canned};
pub use condition::condition_operators;
pub use conditions::Conditions;
pub use decision::{AccessCheck, Decision, Request, evaluate_all};
pub use error::{Location, PolicyError};
pub use pattern::MAX_VARIABLE_EXPANSIONS;
pub use policy::{
    MAX_POLICY_DOCUMENT_BYTES, MAX_SESSION_POLICY_BYTES, POLICY_VERSION, Policy, PolicyKind,
};
pub use request_keys::{RequestKey, RequestKeys};
pub use resource::{KMS_ARN_PREFIX, S3_ARN_PREFIX};
