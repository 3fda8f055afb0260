//! `accountinfo`: who the caller is and the policy that applies to it.

use serde::Serialize;
use tessera_iam::Account;

use super::{AdminApi, AdminError, AdminRequest, AdminResponse};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccountInfo {
    account_name: String,
    policy: serde_json::Value,
}

pub fn info(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let name = match &req.caller {
        Account::Root => req.caller_key.clone(),
        Account::User { name } => name.clone(),
        Account::ServiceAccount { parent, .. } => parent.clone(),
        Account::Temporary(session) => session.claims.parent.clone(),
    };
    let policy = api.effective_policy(&req.caller);
    let policy = serde_json::from_str(&policy).map_err(|e| AdminError::Internal(e.to_string()))?;
    AdminResponse::json(&AccountInfo {
        account_name: name,
        policy,
    })
}
