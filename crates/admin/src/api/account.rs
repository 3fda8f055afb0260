//! `accountinfo`: who the caller is, the policy that applies to it, and the buckets with the
//! read and write access its own policies give (bucket policies are not counted).

use serde::Serialize;

use super::{AdminApi, AdminError, AdminRequest, AdminResponse};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccountInfo {
    account_name: String,
    policy: serde_json::Value,
    buckets: Vec<BucketAccess>,
}

/// madmin's `BucketAccessInfo`, with the fields Tessera knows.
#[derive(Serialize)]
struct BucketAccess {
    name: String,
    created: String,
    access: Access,
}

#[derive(Serialize)]
struct Access {
    read: bool,
    write: bool,
}

pub async fn info(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    let name = super::caller_user(req);
    let policy = api.effective_policy(&req.caller);
    let policy = serde_json::from_str(&policy).map_err(|e| AdminError::Internal(e.to_string()))?;
    let listed = match &api.buckets {
        Some(directory) => directory.buckets().await.map_err(AdminError::Internal)?,
        None => Vec::new(),
    };
    let buckets = listed
        .into_iter()
        .filter_map(|(bucket, created)| {
            let objects = format!("arn:aws:s3:::{bucket}/*");
            let access = Access {
                read: api.identity_allows(&req.caller, "s3:GetObject", &objects),
                write: api.identity_allows(&req.caller, "s3:PutObject", &objects),
            };
            let listable = api.identity_allows(
                &req.caller,
                "s3:ListBucket",
                &format!("arn:aws:s3:::{bucket}"),
            );
            (access.read || access.write || listable).then(|| BucketAccess {
                name: bucket,
                created: super::rfc3339(created),
                access,
            })
        })
        .collect();
    AdminResponse::json(&AccountInfo {
        account_name: name,
        policy,
        buckets,
    })
}
