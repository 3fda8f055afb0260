//! GetCallerIdentity: who signed the request (root, an IAM user, a service account or
//! temporary credentials), as an ARN, a user id and the account, so that tools which probe
//! the identity first (Terraform, `aws sts get-caller-identity`) work.

use tessera_iam::Account;

use crate::error::StsError;
use crate::response::{StsResponse, escape, success};
use crate::{ACCOUNT_ID, StsRequest};

pub(crate) fn get_caller_identity(request: &StsRequest<'_>) -> Result<StsResponse, StsError> {
    let caller = match &request.caller {
        None => {
            return Err(StsError::denied(
                "GetCallerIdentity must be signed with AWS Signature Version 4 (service `sts`)",
            ));
        }
        Some(Err(why)) => return Err(StsError::denied(why.clone())),
        Some(Ok(caller)) => caller,
    };
    let (arn, user_id) = match &caller.account {
        Account::Root => (
            format!("arn:aws:iam::{ACCOUNT_ID}:root"),
            caller.access_key.clone(),
        ),
        Account::User { name } => (
            format!("arn:aws:iam::{ACCOUNT_ID}:user/{name}"),
            name.clone(),
        ),
        Account::ServiceAccount { parent, .. } => (
            format!("arn:aws:iam::{ACCOUNT_ID}:user/{parent}"),
            caller.access_key.clone(),
        ),
        Account::Temporary(session) => (
            format!(
                "arn:aws:sts::{ACCOUNT_ID}:assumed-role/{}/{}",
                session.claims.parent, session.claims.access_key
            ),
            session.claims.access_key.clone(),
        ),
    };
    let result = format!(
        "<Arn>{}</Arn><UserId>{}</UserId><Account>{ACCOUNT_ID}</Account>",
        escape(&arn),
        escape(&user_id)
    );
    Ok(success("GetCallerIdentity", &result, request.request_id))
}
