//! MinIO's built-in ("canned") policies — `readwrite`, `readonly`, `writeonly`, `diagnostics`,
//! `consoleAdmin` — exactly as minio/pkg v3.1.3 defines them. They always exist and cannot be
//! deleted or replaced.

use std::sync::LazyLock;

use crate::Policy;

/// The names of the canned policies.
pub const CANNED_POLICY_NAMES: [&str; 5] = [
    "readwrite",
    "readonly",
    "writeonly",
    "diagnostics",
    "consoleAdmin",
];

const READWRITE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}"#;
const READONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetObject"],"Resource":["arn:aws:s3:::*"]}]}"#;
const WRITEONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["arn:aws:s3:::*"]}]}"#;
const DIAGNOSTICS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:BandwidthMonitor","admin:ConsoleLog","admin:OBDInfo","admin:Profiling","admin:Prometheus","admin:ServerInfo","admin:ServerTrace","admin:TopLocksInfo"],"Resource":["arn:aws:s3:::*"]}]}"#;
const CONSOLE_ADMIN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:*"]},{"Effect":"Allow","Action":["kms:*"]},{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}"#;

const DOCUMENTS: [&str; 5] = [READWRITE, READONLY, WRITEONLY, DIAGNOSTICS, CONSOLE_ADMIN];

static PARSED: LazyLock<Vec<Policy>> = LazyLock::new(|| {
    DOCUMENTS
        .iter()
        .filter_map(|text| Policy::parse(text).ok())
        .collect()
});

/// Whether `name` is a canned policy (which cannot be deleted or replaced). Names are
/// case-sensitive, as in MinIO.
pub fn is_canned(name: &str) -> bool {
    CANNED_POLICY_NAMES.contains(&name)
}

/// The JSON document of a canned policy, in canonical form.
pub fn canned_policy_json(name: &str) -> Option<&'static str> {
    let index = CANNED_POLICY_NAMES.iter().position(|n| *n == name)?;
    Some(DOCUMENTS[index])
}

/// A canned policy, parsed.
pub fn canned_policy(name: &str) -> Option<&'static Policy> {
    let index = CANNED_POLICY_NAMES.iter().position(|n| *n == name)?;
    PARSED.get(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_canned_document_parses_and_is_canonical() {
        for name in CANNED_POLICY_NAMES {
            let text = canned_policy_json(name).unwrap();
            let policy = Policy::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(policy.to_canonical_json(), text, "{name}");
            assert_eq!(canned_policy(name), Some(&policy));
            assert!(is_canned(name));
        }
        assert_eq!(PARSED.len(), CANNED_POLICY_NAMES.len());
        assert!(!is_canned("ReadWrite"));
        assert!(!is_canned("custom"));
        assert!(canned_policy("custom").is_none());
    }
}
