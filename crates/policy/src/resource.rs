//! Resources: the ARN patterns of a statement's `Resource` / `NotResource`
//! (`arn:aws:s3:::bucket/key*`, `arn:minio:kms:::key`, or `*`) and the resource of a request
//! they are matched against.
//!
//! MinIO quirk kept for compatibility: in identity (and session) policies a bucket-level request
//! (`arn:aws:s3:::bucket`) is also tried as `bucket/`, so `arn:aws:s3:::bucket/*` covers
//! bucket-level actions such as `s3:ListBucket`, as it does on MinIO. Bucket policies match the
//! bucket name alone, as MinIO and AWS do.

use crate::pattern::{Case, Pattern, Syntax, VariableScope};

/// The ARN prefix of S3 resources.
pub const S3_ARN_PREFIX: &str = "arn:aws:s3:::";
/// The ARN prefix of MinIO KMS resources.
pub const KMS_ARN_PREFIX: &str = "arn:minio:kms:::";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    /// The bare `*`: any resource of any kind.
    Any,
    S3,
    Kms,
}

/// One entry of `Resource` / `NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourcePattern {
    text: Box<str>,
    kind: ResourceKind,
    /// The part after the ARN prefix, as written.
    path_text: Box<str>,
    path: Pattern,
}

impl ResourcePattern {
    /// The normalised condition keys its `${…}` variables read.
    pub(crate) fn variable_keys(&self) -> &[Box<str>] {
        self.path.variable_keys()
    }

    /// Parses a resource as written; the error says why it is not valid.
    pub(crate) fn parse(text: &str) -> Result<ResourcePattern, String> {
        let (kind, path_text) = if text == "*" {
            (ResourceKind::Any, "*")
        } else if let Some(path) = text.strip_prefix(S3_ARN_PREFIX) {
            if path.is_empty() {
                return Err("the ARN names no bucket; expecting `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`".into());
            }
            if path.starts_with('/') {
                return Err("the path starts with `/` and would never match a bucket".into());
            }
            (ResourceKind::S3, path)
        } else if let Some(key) = text.strip_prefix(KMS_ARN_PREFIX) {
            if key.is_empty() || key.contains(['/', '\\', '.']) {
                return Err("a KMS key ARN needs a key name without `/`, `\\` or `.`".into());
            }
            (ResourceKind::Kms, key)
        } else {
            return Err(format!(
                "expecting an S3 ARN such as `{S3_ARN_PREFIX}bucket/key*`, a KMS ARN `{KMS_ARN_PREFIX}key`, or `*`"
            ));
        };
        Ok(ResourcePattern {
            text: text.into(),
            kind,
            path_text: path_text.into(),
            path: Pattern::compile(path_text, Syntax::GlobWithVariables),
        })
    }

    /// The resource as written.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn kind(&self) -> ResourceKind {
        self.kind
    }

    /// MinIO's "bucket resource": no `/` in the path, or the bare `*`.
    pub(crate) fn is_bucket_level(&self) -> bool {
        !self.path_text.contains('/') || &*self.path_text == "*"
    }

    /// MinIO's "object resource": a `/` or a `*` in the path.
    pub(crate) fn is_object_level(&self) -> bool {
        self.path_text.contains(['/', '*'])
    }

    /// MinIO's bucket-policy check: the pattern matches the bucket, or could match an object
    /// in it.
    pub(crate) fn refers_to_bucket(&self, bucket: &str) -> bool {
        let raw = Pattern::compile(&self.path_text, Syntax::Glob);
        raw.matches_plain(bucket, Case::Sensitive)
            || prefix_could_match(&self.path_text, &format!("{bucket}/"))
    }

    /// Whether the request's resource matches.
    pub(crate) fn matches(
        &self,
        resource: &RequestResource<'_>,
        scope: &VariableScope<'_>,
    ) -> bool {
        match (self.kind, resource) {
            (ResourceKind::Any, _) => true,
            (ResourceKind::S3, RequestResource::S3 { path, bucket_alias }) => {
                self.path.matches(path, scope, Case::Sensitive)
                    || bucket_alias
                        .as_deref()
                        .is_some_and(|alias| self.path.matches(alias, scope, Case::Sensitive))
            }
            (ResourceKind::Kms, RequestResource::Kms(key)) => {
                self.path.matches(key, scope, Case::Sensitive)
            }
            _ => false,
        }
    }
}

/// MinIO's "text is a prefix of something the pattern matches", for the bucket check.
fn prefix_could_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    for (i, t) in text.iter().enumerate() {
        match pattern.get(i) {
            None => return false,
            Some('*') => return true,
            Some('?') => continue,
            Some(p) if p == t => continue,
            Some(_) => return false,
        }
    }
    true
}

/// The resource of a request, prepared once per evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequestResource<'a> {
    /// `arn:aws:s3:::<path>`; an empty resource string is an account-level S3 request.
    S3 {
        path: &'a str,
        /// `bucket/` for a bucket-level request evaluated with MinIO's identity-policy rule.
        bucket_alias: Option<String>,
    },
    /// `arn:minio:kms:::<key>`.
    Kms(&'a str),
    /// Any other ARN: only `*` matches it.
    Other,
}

impl<'a> RequestResource<'a> {
    /// Reads a request resource; `alias_bucket` turns on MinIO's `bucket/` rule.
    pub(crate) fn new(resource: &'a str, alias_bucket: bool) -> Self {
        let path = if resource.is_empty() {
            Some("")
        } else {
            resource.strip_prefix(S3_ARN_PREFIX)
        };
        if let Some(path) = path {
            let bucket_alias = (alias_bucket && !path.contains('/')).then(|| format!("{path}/"));
            RequestResource::S3 { path, bucket_alias }
        } else if let Some(key) = resource.strip_prefix(KMS_ARN_PREFIX) {
            RequestResource::Kms(key)
        } else {
            RequestResource::Other
        }
    }

    /// Whether this is a KMS request without a key (MinIO evaluates only conditions then).
    pub(crate) fn is_keyless(&self) -> bool {
        matches!(self, RequestResource::S3 { path: "", .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Conditions;

    fn check(pattern: &str, resource: &str, alias: bool) -> bool {
        let conditions = Conditions::new().with("aws:username", ["alice"]);
        let scope = VariableScope::new(&conditions);
        ResourcePattern::parse(pattern)
            .unwrap()
            .matches(&RequestResource::new(resource, alias), &scope)
    }

    #[test]
    fn parse_rules() {
        for ok in [
            "*",
            "arn:aws:s3:::*",
            "arn:aws:s3:::b",
            "arn:aws:s3:::b/*",
            "arn:minio:kms:::key1",
        ] {
            assert!(ResourcePattern::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "arn:aws:s3:::",
            "arn:aws:s3:::/b",
            "arn:aws:iam::123:user/x",
            "bucket/*",
            "arn:minio:kms:::a/b",
            "arn:minio:kms:::",
        ] {
            assert!(ResourcePattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_table() {
        let cases: &[(&str, &str, bool, bool)] = &[
            ("arn:aws:s3:::b", "arn:aws:s3:::b", false, true),
            ("arn:aws:s3:::b", "arn:aws:s3:::b/k", false, false),
            ("arn:aws:s3:::b/*", "arn:aws:s3:::b", false, false),
            ("arn:aws:s3:::b/*", "arn:aws:s3:::b", true, true),
            ("arn:aws:s3:::b/*", "arn:aws:s3:::b/k/l", false, true),
            ("arn:aws:s3:::b*", "arn:aws:s3:::bc", false, true),
            ("arn:aws:s3:::b?", "arn:aws:s3:::b", false, false),
            ("arn:aws:s3:::*", "", true, true),
            ("arn:aws:s3:::*", "arn:minio:kms:::k", false, false),
            ("*", "arn:minio:kms:::k", false, true),
            ("*", "something:else", false, true),
            (
                "arn:aws:s3:::b/${aws:username}/*",
                "arn:aws:s3:::b/alice/x",
                false,
                true,
            ),
            (
                "arn:aws:s3:::b/${aws:username}/*",
                "arn:aws:s3:::b/bob/x",
                false,
                false,
            ),
            (
                "arn:aws:s3:::b/${aws:userid}/*",
                "arn:aws:s3:::b/${aws:userid}/x",
                false,
                false,
            ),
            ("arn:minio:kms:::k*", "arn:minio:kms:::key", false, true),
            ("arn:minio:kms:::k*", "arn:aws:s3:::key", false, false),
        ];
        for (pattern, resource, alias, expected) in cases {
            assert_eq!(
                check(pattern, resource, *alias),
                *expected,
                "{pattern} vs {resource} (alias {alias})"
            );
        }
    }

    #[test]
    fn bucket_reference_check() {
        let refers = |p: &str, b: &str| ResourcePattern::parse(p).unwrap().refers_to_bucket(b);
        assert!(refers("arn:aws:s3:::mybucket", "mybucket"));
        assert!(refers("arn:aws:s3:::mybucket/*", "mybucket"));
        assert!(refers("arn:aws:s3:::my*", "mybucket"));
        assert!(refers("*", "mybucket"));
        assert!(!refers("arn:aws:s3:::other/*", "mybucket"));
        assert!(!refers("arn:aws:s3:::mybucketx/*", "mybucket"));
    }
}
