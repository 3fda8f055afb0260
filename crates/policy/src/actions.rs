//! The catalogue of actions MinIO knows — S3 (`s3:*`), admin (`admin:*`), STS (`sts:*`) and
//! KMS (`kms:*`) — and [`ActionPattern`], one entry of a statement's `Action` / `NotAction`:
//! an action name or a `*` / `?` wildcard pattern that must cover at least one known action.
//! Action names compare case-insensitively, as on AWS.

use crate::pattern::{Case, Pattern, Syntax};

/// The service an action belongs to; it decides how a statement treats `Resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    S3,
    Admin,
    Sts,
    Kms,
    /// The bare `*` action: every action of every service.
    Any,
}

impl Service {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Service::S3 => "s3",
            Service::Admin => "admin",
            Service::Sts => "sts",
            Service::Kms => "kms",
            Service::Any => "*",
        }
    }
}

/// S3 actions; `true` marks object-level actions (bucket policies check their resources).
static S3_ACTIONS: &[(&str, bool)] = &[
    ("s3:*", true),
    ("s3:AbortMultipartUpload", true),
    ("s3:BypassGovernanceRetention", true),
    ("s3:CreateBucket", false),
    ("s3:DeleteBucket", false),
    ("s3:DeleteBucketCors", false),
    ("s3:DeleteBucketPolicy", false),
    ("s3:DeleteObject", true),
    ("s3:DeleteObjectTagging", true),
    ("s3:DeleteObjectVersion", true),
    ("s3:DeleteObjectVersionTagging", true),
    ("s3:ForceDeleteBucket", false),
    ("s3:GetBucketCors", false),
    ("s3:GetBucketLocation", false),
    ("s3:GetBucketNotification", false),
    ("s3:GetBucketObjectLockConfiguration", false),
    ("s3:GetBucketPolicy", false),
    ("s3:GetBucketPolicyStatus", false),
    ("s3:GetBucketTagging", false),
    ("s3:GetBucketVersioning", false),
    ("s3:GetEncryptionConfiguration", false),
    ("s3:GetLifecycleConfiguration", false),
    ("s3:GetObject", true),
    ("s3:GetObjectAttributes", true),
    ("s3:GetObjectLegalHold", true),
    ("s3:GetObjectRetention", true),
    ("s3:GetObjectTagging", true),
    ("s3:GetObjectVersion", true),
    ("s3:GetObjectVersionAttributes", true),
    ("s3:GetObjectVersionForReplication", true),
    ("s3:GetObjectVersionTagging", true),
    ("s3:GetReplicationConfiguration", false),
    ("s3:HeadBucket", false),
    ("s3:ListAllMyBuckets", false),
    ("s3:ListBucket", false),
    ("s3:ListBucketMultipartUploads", false),
    ("s3:ListBucketVersions", false),
    ("s3:ListenBucketNotification", false),
    ("s3:ListenNotification", false),
    ("s3:ListMultipartUploadParts", true),
    ("s3:PutBucketCors", false),
    ("s3:PutBucketNotification", false),
    ("s3:PutBucketObjectLockConfiguration", false),
    ("s3:PutBucketPolicy", false),
    ("s3:PutBucketTagging", false),
    ("s3:PutBucketVersioning", false),
    ("s3:PutEncryptionConfiguration", false),
    ("s3:PutLifecycleConfiguration", false),
    ("s3:PutObject", true),
    ("s3:PutObjectFanOut", true),
    ("s3:PutObjectLegalHold", true),
    ("s3:PutObjectRetention", true),
    ("s3:PutObjectTagging", true),
    ("s3:PutObjectVersionTagging", true),
    ("s3:PutReplicationConfiguration", false),
    ("s3:ReplicateDelete", true),
    ("s3:ReplicateObject", true),
    ("s3:ReplicateTags", true),
    ("s3:ResetBucketReplicationState", true),
    ("s3:RestoreObject", true),
];

static ADMIN_ACTIONS: &[&str] = &[
    "admin:*",
    "admin:AddUserToGroup",
    "admin:AttachUserOrGroupPolicy",
    "admin:BandwidthMonitor",
    "admin:CancelBatchJob",
    "admin:ConfigUpdate",
    "admin:ConsoleLog",
    "admin:CreatePolicy",
    "admin:CreateServiceAccount",
    "admin:CreateUser",
    "admin:DataUsageInfo",
    "admin:Decommission",
    "admin:DeletePolicy",
    "admin:DeleteUser",
    "admin:DescribeBatchJob",
    "admin:DisableGroup",
    "admin:DisableUser",
    "admin:EnableGroup",
    "admin:EnableUser",
    "admin:ExportBucketMetadata",
    "admin:ExportIAM",
    "admin:GetBucketQuota",
    "admin:GetBucketTarget",
    "admin:GetGroup",
    "admin:GetPolicy",
    "admin:GetUser",
    "admin:Heal",
    "admin:ImportBucketMetadata",
    "admin:ImportIAM",
    "admin:KMSCreateKey",
    "admin:KMSKeyStatus",
    "admin:ListBatchJobs",
    "admin:ListGroups",
    "admin:ListServiceAccounts",
    "admin:ListTemporaryAccounts",
    "admin:ListTier",
    "admin:ListUserPolicies",
    "admin:ListUsers",
    "admin:OBDInfo",
    "admin:Profiling",
    "admin:Prometheus",
    "admin:Rebalance",
    "admin:RemoveServiceAccount",
    "admin:RemoveUserFromGroup",
    "admin:ReplicationDiff",
    "admin:ServerInfo",
    "admin:ServerTrace",
    "admin:ServerUpdate",
    "admin:ServiceFreeze",
    "admin:ServiceRestart",
    "admin:ServiceStop",
    "admin:SetBucketQuota",
    "admin:SetBucketTarget",
    "admin:SetTier",
    "admin:SiteReplicationAdd",
    "admin:SiteReplicationDisable",
    "admin:SiteReplicationInfo",
    "admin:SiteReplicationOperation",
    "admin:SiteReplicationRemove",
    "admin:SiteReplicationResync",
    "admin:StartBatchJob",
    "admin:StorageInfo",
    "admin:TopLocksInfo",
    "admin:UpdatePolicyAssociation",
    "admin:UpdateServiceAccount",
];

static STS_ACTIONS: &[&str] = &["sts:AssumeRoleWithWebIdentity"];

static KMS_ACTIONS: &[&str] = &[
    "kms:*",
    "kms:API",
    "kms:AssignPolicy",
    "kms:AuditLog",
    "kms:CreateKey",
    "kms:DeleteIdentity",
    "kms:DeleteKey",
    "kms:DeletePolicy",
    "kms:DescribeIdentity",
    "kms:DescribePolicy",
    "kms:DescribeSelfIdentity",
    "kms:ErrorLog",
    "kms:GetPolicy",
    "kms:ImportKey",
    "kms:KeyStatus",
    "kms:ListIdentities",
    "kms:ListKeys",
    "kms:ListPolicies",
    "kms:Metrics",
    "kms:SetPolicy",
    "kms:Status",
    "kms:Version",
];

/// Every action name MinIO knows (wildcard entries such as `s3:*` included).
pub fn known_actions() -> impl Iterator<Item = &'static str> {
    S3_ACTIONS
        .iter()
        .map(|(name, _)| *name)
        .chain(ADMIN_ACTIONS.iter().copied())
        .chain(STS_ACTIONS.iter().copied())
        .chain(KMS_ACTIONS.iter().copied())
}

fn service_actions(service: Service) -> Box<dyn Iterator<Item = &'static str>> {
    match service {
        Service::S3 => Box::new(S3_ACTIONS.iter().map(|(name, _)| *name)),
        Service::Admin => Box::new(ADMIN_ACTIONS.iter().copied()),
        Service::Sts => Box::new(STS_ACTIONS.iter().copied()),
        Service::Kms => Box::new(KMS_ACTIONS.iter().copied()),
        Service::Any => Box::new(known_actions()),
    }
}

/// One entry of `Action` / `NotAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionPattern {
    text: Box<str>,
    service: Service,
    pattern: Pattern,
    /// MinIO lets `s3:GetObjectVersion` also grant `s3:GetObject`.
    covers_get_object: bool,
}

impl ActionPattern {
    /// Parses an action as written; the error carries a suggestion for a likely typo.
    pub(crate) fn parse(text: &str) -> Result<ActionPattern, Option<String>> {
        let service = if text == "*" {
            Service::Any
        } else {
            let Some((prefix, rest)) = text.split_once(':') else {
                return Err(crate::error::closest(text, known_actions()));
            };
            let service = [Service::S3, Service::Admin, Service::Sts, Service::Kms]
                .into_iter()
                .find(|s| s.name().eq_ignore_ascii_case(prefix));
            match service {
                Some(service) if !rest.is_empty() => service,
                _ => return Err(crate::error::closest(text, known_actions())),
            }
        };
        let pattern = Pattern::compile(text, Syntax::Glob);
        let known = service_actions(service)
            .any(|name| pattern.matches_plain(name, Case::AsciiInsensitive));
        if !known {
            return Err(crate::error::closest(text, service_actions(service)));
        }
        Ok(ActionPattern {
            covers_get_object: text.eq_ignore_ascii_case("s3:GetObjectVersion"),
            text: text.into(),
            service,
            pattern,
        })
    }

    /// The action as written.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn service(&self) -> Service {
        self.service
    }

    /// Whether the request action `action` is covered.
    pub(crate) fn matches(&self, action: &str) -> bool {
        self.pattern.matches_plain(action, Case::AsciiInsensitive)
            || (self.covers_get_object && action.eq_ignore_ascii_case("s3:GetObject"))
    }

    /// Whether this pattern covers the catalogue entry `name` (no MinIO aliasing).
    pub(crate) fn covers_name(&self, name: &str) -> bool {
        self.pattern.matches_plain(name, Case::AsciiInsensitive)
    }

    /// Whether this pattern covers any object-level S3 action (bucket-policy resource check).
    pub(crate) fn covers_object_action(&self) -> bool {
        S3_ACTIONS
            .iter()
            .any(|(name, object)| *object && self.covers_name(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_patterns_and_case() {
        for ok in [
            "s3:GetObject",
            "s3:getobject",
            "S3:GetObject",
            "s3:*",
            "s3:Get*",
            "s3:?etObject",
            "admin:*",
            "admin:Server*",
            "sts:*",
            "kms:*",
            "*",
        ] {
            assert!(ActionPattern::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "s3:GetObjects",
            "s3:Foo*",
            "s3:",
            "iam:CreateUser",
            "GetObject",
            "",
            "*:*",
            "admin:GetObject",
            "sts:AssumeRole",
        ] {
            assert!(ActionPattern::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ActionPattern::parse("s3:GetObjcet").unwrap_err(),
            Some("s3:GetObject".into())
        );
    }

    #[test]
    fn matching_is_case_insensitive_with_the_get_object_version_alias() {
        let p = ActionPattern::parse("s3:Get*").unwrap();
        assert!(p.matches("s3:GetObject"));
        assert!(p.matches("S3:GETOBJECT"));
        assert!(!p.matches("s3:PutObject"));
        let v = ActionPattern::parse("s3:GetObjectVersion").unwrap();
        assert!(v.matches("s3:GetObject"));
        assert!(!v.matches("s3:GetObjectTagging"));
        assert!(
            ActionPattern::parse("*")
                .unwrap()
                .matches("admin:ServerInfo")
        );
    }

    #[test]
    fn object_action_classification() {
        assert!(
            ActionPattern::parse("s3:GetObject")
                .unwrap()
                .covers_object_action()
        );
        assert!(ActionPattern::parse("s3:*").unwrap().covers_object_action());
        assert!(
            !ActionPattern::parse("s3:ListBucket")
                .unwrap()
                .covers_object_action()
        );
    }
}
