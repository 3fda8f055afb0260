//! AssumeRole (reference §1.5): a root or IAM-user caller, signed for service `sts`, trades its
//! keys for temporary credentials that act for it, optionally narrowed by a session policy.

use tessera_iam::{Account, Flow};

use crate::config::DEFAULT_ASSUME_ROLE_SECS;
use crate::error::{StsError, excerpt};
use crate::params::Params;
use crate::response::{StsResponse, success};
use crate::session::{credentials_xml, minting_failed, session_policy};
use crate::{Sts, StsRequest};

pub(crate) fn assume_role(
    sts: &Sts,
    request: &StsRequest<'_>,
    params: &Params,
) -> Result<StsResponse, StsError> {
    let caller = match &request.caller {
        None => {
            return Err(StsError::invalid(
                "Unsupported action AssumeRole for an unsigned request: sign AssumeRole with AWS Signature Version 4 (service `sts`) using the keys of an IAM user or root",
            ));
        }
        Some(Err(why)) => return Err(StsError::denied(why.clone())),
        Some(Ok(caller)) => caller,
    };
    if caller.service != "sts" {
        return Err(StsError::denied(format!(
            "AssumeRole must be signed for service `sts`, not {}",
            excerpt(&caller.service)
        )));
    }
    if let Some(region) = &sts.config().region
        && caller.region != *region
        && !(region == "us-east-1" && caller.region == "US")
    {
        return Err(StsError::denied(format!(
            "the signature names region {}, this server's region is `{region}`",
            excerpt(&caller.region)
        )));
    }
    if request.has_session_token {
        return Err(StsError::denied(
            "AssumeRole cannot be called with temporary credentials: use the keys of an IAM user or root",
        ));
    }
    match caller.account {
        Account::Root | Account::User { .. } => {}
        Account::ServiceAccount { .. } => {
            return Err(StsError::denied(
                "service accounts cannot call AssumeRole: use the keys of an IAM user or root",
            ));
        }
        Account::Temporary(_) => {
            return Err(StsError::denied(
                "AssumeRole cannot be called with temporary credentials: use the keys of an IAM user or root",
            ));
        }
    }
    let lifetime = lifetime_from(sts, params.get("DurationSeconds"), DEFAULT_ASSUME_ROLE_SECS)?;
    let session_policy = session_policy(params)?;
    let credentials = sts
        .iam
        .issue_temporary(
            &caller.account,
            Flow::AssumeRole,
            lifetime,
            session_policy.as_ref(),
            params.non_empty("TokenRevokeType").map(str::to_owned),
        )
        .map_err(|e| minting_failed(&e))?;
    let result = credentials_xml(&credentials);
    Ok(success("AssumeRole", &result, request.request_id))
}

/// The lifetime to grant: `DurationSeconds` (else `default`) within the configured bounds, or
/// `MINIO_STS_DURATION` when the operator set it.
pub(crate) fn lifetime_from(
    sts: &Sts,
    requested: Option<&str>,
    default: i64,
) -> Result<i64, StsError> {
    let bounds = sts.config().durations;
    let requested = match requested {
        None | Some("") => default,
        Some(text) => {
            let secs = text
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| text.parse::<i64>().ok())
                .flatten();
            match secs {
                Some(s) if (bounds.min_secs..=bounds.max_secs).contains(&s) => s,
                _ => {
                    return Err(StsError::invalid(format!(
                        "invalid token expiry: DurationSeconds must be a whole number of seconds from {} to {}, got {}",
                        bounds.min_secs,
                        bounds.max_secs,
                        excerpt(text)
                    )));
                }
            }
        }
    };
    Ok(sts
        .config()
        .duration_override_secs
        .unwrap_or(requested)
        .clamp(bounds.min_secs, bounds.max_secs))
}
