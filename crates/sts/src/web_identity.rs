//! AssumeRoleWithWebIdentity and AssumeRoleWithClientGrants (reference §1.6): an unsigned
//! request trades a token of a configured OpenID provider (an ID token, or a JWT access token)
//! for temporary credentials. The provider is chosen by `RoleArn` (role-based providers) or is
//! the claim-based one; its policies come from its `role_policy` or from the token's policy
//! claim (a dotted path reaches a nested claim). The parent is a stable hash of the issuer and
//! subject; the claims that policy variables read (`jwt:sub`, `jwt:preferred_username`,
//! `jwt:groups`, …) travel in the session token, bounded in number and size.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use tessera_iam::Flow;
use tessera_idp::openid::{Provider, TokenError};
use tessera_policy::{Conditions, Decision, Request};

use crate::assume_role::lifetime_from;
use crate::error::{StsError, StsErrorCode, excerpt};
use crate::params::Params;
use crate::response::{StsResponse, escape, expiration, success};
use crate::session::{credentials_xml, minting_failed, session_policy};
use crate::{Sts, StsRequest};

/// The string claims kept for `${jwt:…}` variables (reference §3.4), plus `groups`.
const KEPT_CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "azp",
    "jti",
    "upn",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "gender",
    "birthdate",
    "phone_number",
    "address",
    "scope",
    "client_id",
    "groups",
];
/// The action a policy may deny to refuse these flows (with `sts:DurationSeconds`).
const STS_ACTION: &str = "sts:AssumeRoleWithWebIdentity";
/// Longest claim value kept, and most values of one claim.
const MAX_CLAIM_CHARS: usize = 256;
const MAX_CLAIM_VALUES: usize = 32;

pub(crate) async fn assume_role_with_token(
    sts: &Sts,
    request: &StsRequest<'_>,
    params: &Params,
    flow: Flow,
) -> Result<StsResponse, StsError> {
    let (parameter, action, subject_element) = match flow {
        Flow::ClientGrants => ("Token", "AssumeRoleWithClientGrants", "SubjectFromToken"),
        _ => (
            "WebIdentityToken",
            "AssumeRoleWithWebIdentity",
            "SubjectFromWebIdentityToken",
        ),
    };
    let token = params.non_empty(parameter).ok_or_else(|| {
        StsError::invalid(format!(
            "the {parameter} parameter is missing: send the token your OpenID provider issued"
        ))
    })?;
    let provider = choose_provider(sts, params.non_empty("RoleArn"))?;
    let mut verified = provider.verify(token).await.map_err(|e| match e {
        TokenError::Expired(at) => StsError::new(
            StsErrorCode::ExpiredToken,
            format!(
                "the {parameter} expired at {}: get a fresh token from the provider",
                expiration(at)
            ),
        ),
        other => StsError::invalid(format!("the {parameter} was refused: {other}")),
    })?;
    let config = provider.config();
    if flow == Flow::WebIdentity && config.claim_userinfo {
        let access_token = params.non_empty("WebIdentityAccessToken").ok_or_else(|| {
            StsError::invalid(format!(
                "the WebIdentityAccessToken parameter is missing: the OpenID provider `{}` is configured with CLAIM_USERINFO=on, so send the access token issued with the ID token",
                config.label()
            ))
        })?;
        let userinfo = provider
            .userinfo(access_token, &verified.subject)
            .await
            .map_err(|e| {
                StsError::invalid(format!("the WebIdentityAccessToken was refused: {e}"))
            })?;
        // The ID token's own claims win over the UserInfo answer's.
        for (name, value) in userinfo {
            verified.claims.entry(name).or_insert(value);
        }
    }
    let policies = if config.is_role_based() {
        config.role_policy.clone()
    } else {
        let named = claim_policies(&verified.claims, &config.claim_name).ok_or_else(|| {
            StsError::invalid(format!(
                "the `{claim}` claim is missing from the token, so no policy applies: add it at the provider, or set MINIO_IDENTITY_OPENID_CLAIM_NAME{suffix} to the claim that holds policy names (a dotted path such as realm_access.roles reaches a nested claim)",
                claim = config.claim_name,
                suffix = if config.name.is_empty() {
                    String::new()
                } else {
                    format!("_{}", config.name.to_ascii_uppercase())
                }
            ))
        })?;
        let defined: Vec<String> = named
            .iter()
            .filter(|n| sts.iam.policy_defined(n))
            .cloned()
            .collect();
        if defined.is_empty() {
            return Err(StsError::invalid(format!(
                "None of the given policies (`{}`) are defined: create them, or change the `{}` claim at the provider",
                named.join(","),
                config.claim_name
            )));
        }
        defined
    };
    // MinIO's deny-only check: a policy may refuse the flow, e.g. above some sts:DurationSeconds.
    let mut conditions = Conditions::new();
    if let Some(requested) = params.non_empty("DurationSeconds") {
        conditions.insert("sts:DurationSeconds", [requested]);
    }
    // Both flows are checked as the one action MinIO defines for them.
    let check = Request::new(STS_ACTION, "", &conditions);
    if sts
        .iam
        .policies_named(&policies)
        .iter()
        .any(|p| p.evaluate(&check) == Decision::ExplicitDeny)
    {
        return Err(StsError::denied(format!(
            "this user does not have enough permission: a policy denies {STS_ACTION} with these parameters"
        )));
    }
    let now = now_secs();
    let expires_at = match params.non_empty("DurationSeconds") {
        Some(_) => now + lifetime_from(sts, params.get("DurationSeconds"), 0)?,
        // Without DurationSeconds the credentials end with the token.
        None => verified.expires.min(now + sts.config().durations.max_secs),
    };
    if expires_at <= now {
        return Err(StsError::new(
            StsErrorCode::ExpiredToken,
            format!("the {parameter} has expired: get a fresh token from the provider"),
        ));
    }
    let session_policy = session_policy(params)?;
    let parent = URL_SAFE_NO_PAD.encode(Sha256::digest(
        format!("openid:{}:{}", verified.subject, verified.issuer).as_bytes(),
    ));
    let credentials = sts
        .iam
        .issue_federated(
            parent,
            flow,
            expires_at,
            policies,
            kept_claims(&verified.claims),
            session_policy.as_ref(),
            params.non_empty("TokenRevokeType").map(str::to_owned),
        )
        .map_err(|e| minting_failed(&e))?;
    let mut result = credentials_xml(&credentials);
    for part in [
        "<",
        subject_element,
        ">",
        &escape(&verified.subject),
        "</",
        subject_element,
        ">",
    ] {
        result.push_str(part);
    }
    Ok(success(action, &result, request.request_id))
}

/// The provider for `role_arn` (MinIO's rules, reference §1.6 step 1).
fn choose_provider<'s>(sts: &'s Sts, role_arn: Option<&str>) -> Result<&'s Provider, StsError> {
    let providers = &sts.providers;
    if providers.is_empty() {
        return Err(StsError::invalid(
            "no OpenID provider is configured on this server: set MINIO_IDENTITY_OPENID_CONFIG_URL and MINIO_IDENTITY_OPENID_CLIENT_ID",
        ));
    }
    match role_arn {
        Some(arn) => match providers.by_role_arn(arn) {
            Some(p) => Ok(p),
            // AWS SDKs insist on a RoleArn: with a claim-based provider an unknown one is ignored.
            None => providers.claim_based().map(AsRef::as_ref).ok_or_else(|| {
                StsError::invalid(format!(
                    "Error processing RoleArn parameter: no role-based OpenID provider has the ARN {}",
                    excerpt(arn)
                ))
            }),
        },
        None => providers.claim_based().map(AsRef::as_ref).ok_or_else(|| {
            StsError::invalid(
                "Role arn:minio:iam:::role/dummy-internal does not exist: every OpenID provider here is role-based, so name one with RoleArn",
            )
        }),
    }
}

/// The policy names in `claim` (a dotted path): a string (comma list) or an array of strings
/// (each a comma list); blanks dropped. `None` when the claim is absent.
fn claim_policies(claims: &serde_json::Map<String, Value>, claim: &str) -> Option<Vec<String>> {
    let value = match claims.get(claim) {
        Some(v) => v,
        None => {
            let mut parts = claim.split('.');
            let first = claims.get(parts.next()?)?;
            parts.try_fold(first, |v, part| v.get(part))?
        }
    };
    let pieces: Vec<&str> = match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    let mut names: Vec<String> = Vec::new();
    for name in pieces.iter().flat_map(|p| p.split(',')).map(str::trim) {
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    Some(names)
}

/// The claims kept for policy variables, bounded in number and size.
fn kept_claims(claims: &serde_json::Map<String, Value>) -> BTreeMap<String, Vec<String>> {
    // The first MAX_CLAIM_CHARS characters (a string of no more bytes than that is whole).
    let clip = |s: &str| {
        let end = if s.len() <= MAX_CLAIM_CHARS {
            s.len()
        } else {
            s.char_indices()
                .nth(MAX_CLAIM_CHARS)
                .map_or(s.len(), |(i, _)| i)
        };
        s[..end].to_owned()
    };
    let mut kept = BTreeMap::new();
    for name in KEPT_CLAIMS {
        let values: Vec<String> = match claims.get(*name) {
            Some(Value::String(s)) => vec![clip(s)],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .take(MAX_CLAIM_VALUES)
                .map(clip)
                .collect(),
            _ => continue,
        };
        if !values.is_empty() {
            kept.insert((*name).to_owned(), values);
        }
    }
    kept
}

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn policy_claims_as_strings_lists_and_nested_paths() {
        let claims = map(json!({
            "policy": "readonly, diagnostics,,readonly",
            "roles": ["readwrite", "a,b"],
            "realm_access": {"roles": ["consoleAdmin"]},
            "number": 3
        }));
        assert_eq!(
            claim_policies(&claims, "policy").unwrap(),
            ["readonly", "diagnostics"]
        );
        assert_eq!(
            claim_policies(&claims, "roles").unwrap(),
            ["readwrite", "a", "b"]
        );
        assert_eq!(
            claim_policies(&claims, "realm_access.roles").unwrap(),
            ["consoleAdmin"]
        );
        assert!(claim_policies(&claims, "missing").is_none());
        assert!(claim_policies(&claims, "realm_access.missing").is_none());
        assert!(claim_policies(&claims, "number").is_none());
    }

    #[test]
    fn only_known_claims_are_kept_and_they_are_bounded() {
        let long = "x".repeat(1000);
        let claims = map(json!({
            "sub": "alice", "preferred_username": long, "groups": (0..100).map(|i| format!("g{i}")).collect::<Vec<_>>(),
            "secret_stuff": "no", "email_verified": true
        }));
        let kept = kept_claims(&claims);
        assert_eq!(kept["sub"], ["alice"]);
        assert_eq!(kept["preferred_username"][0].len(), MAX_CLAIM_CHARS);
        let accented = kept_claims(&map(json!({"email": "é".repeat(300)})));
        assert_eq!(accented["email"][0], "é".repeat(MAX_CLAIM_CHARS));
        assert_eq!(kept["groups"].len(), MAX_CLAIM_VALUES);
        assert!(!kept.contains_key("secret_stuff"));
        assert!(!kept.contains_key("email_verified"));
    }
}
