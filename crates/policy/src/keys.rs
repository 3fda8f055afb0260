//! The catalogue of condition keys MinIO knows (`aws:*`, `s3:*`, `jwt:*`, `ldap:*`, `sts:*`,
//! `svc:*`), which of them may appear as `${…}` policy variables, and MinIO's table of which
//! keys each S3 action accepts in a `Condition`.

use crate::conditions::normalize_key;

/// Usable with every S3 action and as a `${…}` policy variable (MinIO's "common keys").
const COMMON: u8 = 1;
/// Usable in statements of admin actions.
const ADMIN: u8 = 2;
/// Usable in statements of STS actions.
const STS: u8 = 4;
/// Takes a `/<tag-key>` suffix.
const TAGGED: u8 = 8;

struct KeySpec {
    name: &'static str,
    scopes: u8,
}

const fn key(name: &'static str, scopes: u8) -> KeySpec {
    KeySpec { name, scopes }
}

// S3 request keys.
const COPY_SOURCE: &str = "s3:x-amz-copy-source";
const SSE: &str = "s3:x-amz-server-side-encryption";
const SSE_C_ALGORITHM: &str = "s3:x-amz-server-side-encryption-customer-algorithm";
const SSE_KMS_KEY: &str = "s3:x-amz-server-side-encryption-aws-kms-key-id";
const METADATA_DIRECTIVE: &str = "s3:x-amz-metadata-directive";
const CONTENT_SHA256: &str = "s3:x-amz-content-sha256";
const STORAGE_CLASS: &str = "s3:x-amz-storage-class";
const PREFIX: &str = "s3:prefix";
const DELIMITER: &str = "s3:delimiter";
const MAX_KEYS: &str = "s3:max-keys";
const VERSION_ID: &str = "s3:versionid";
const RETENTION_DAYS: &str = "s3:object-lock-remaining-retention-days";
const LOCK_MODE: &str = "s3:object-lock-mode";
const RETAIN_UNTIL: &str = "s3:object-lock-retain-until-date";
const LEGAL_HOLD: &str = "s3:object-lock-legal-hold";
const EXISTING_TAG: &str = "s3:ExistingObjectTag";
const REQUEST_TAG_KEYS: &str = "s3:RequestObjectTagKeys";
const REQUEST_TAG: &str = "s3:RequestObjectTag";
/// The only key the `Bool` operator accepts (MinIO's rule).
pub(crate) const SECURE_TRANSPORT: &str = "aws:securetransport";
/// The only key `IpAddress` / `NotIpAddress` accept (MinIO's rule).
pub(crate) const SOURCE_IP: &str = "aws:sourceip";
/// Keys whose condition values MinIO validates beyond their type.
pub(crate) const COPY_SOURCE_KEY: &str = COPY_SOURCE;
pub(crate) const SSE_KEY: &str = SSE;
pub(crate) const SSE_C_ALGORITHM_KEY: &str = SSE_C_ALGORITHM;
pub(crate) const METADATA_DIRECTIVE_KEY: &str = METADATA_DIRECTIVE;
pub(crate) const CONTENT_SHA256_KEY: &str = CONTENT_SHA256;

const JWT_AND_COMMON: u8 = COMMON | ADMIN;

static KEYS: &[KeySpec] = &[
    key("s3:signatureversion", COMMON),
    key("s3:authType", COMMON),
    key("s3:signatureAge", COMMON),
    key(CONTENT_SHA256, COMMON),
    key("s3:LocationConstraint", COMMON),
    key(COPY_SOURCE, 0),
    key(SSE, 0),
    key(SSE_C_ALGORITHM, 0),
    key(METADATA_DIRECTIVE, 0),
    key(STORAGE_CLASS, 0),
    key(SSE_KMS_KEY, 0),
    key(PREFIX, 0),
    key(DELIMITER, 0),
    key(MAX_KEYS, 0),
    key(VERSION_ID, 0),
    key(RETENTION_DAYS, 0),
    key(LOCK_MODE, 0),
    key(LEGAL_HOLD, 0),
    key(RETAIN_UNTIL, 0),
    key(EXISTING_TAG, TAGGED),
    key(REQUEST_TAG_KEYS, 0),
    key(REQUEST_TAG, TAGGED),
    key("aws:Referer", COMMON | ADMIN),
    key("aws:SourceIp", COMMON | ADMIN),
    key("aws:UserAgent", COMMON | ADMIN),
    key("aws:SecureTransport", COMMON | ADMIN),
    key("aws:CurrentTime", COMMON | ADMIN),
    key("aws:EpochTime", COMMON | ADMIN),
    key("aws:principaltype", COMMON | ADMIN),
    key("aws:userid", COMMON | ADMIN),
    key("aws:username", COMMON | ADMIN),
    key("aws:groups", COMMON | ADMIN),
    key("ldap:user", COMMON | ADMIN),
    key("ldap:username", COMMON | ADMIN),
    key("ldap:groups", COMMON | ADMIN),
    key("jwt:sub", JWT_AND_COMMON),
    key("jwt:iss", JWT_AND_COMMON),
    key("jwt:aud", JWT_AND_COMMON),
    key("jwt:jti", JWT_AND_COMMON),
    key("jwt:upn", JWT_AND_COMMON),
    key("jwt:name", JWT_AND_COMMON),
    key("jwt:groups", JWT_AND_COMMON),
    key("jwt:given_name", JWT_AND_COMMON),
    key("jwt:family_name", JWT_AND_COMMON),
    key("jwt:middle_name", JWT_AND_COMMON),
    key("jwt:nickname", JWT_AND_COMMON),
    key("jwt:preferred_username", JWT_AND_COMMON),
    key("jwt:profile", JWT_AND_COMMON),
    key("jwt:picture", JWT_AND_COMMON),
    key("jwt:website", JWT_AND_COMMON),
    key("jwt:email", JWT_AND_COMMON),
    key("jwt:gender", JWT_AND_COMMON),
    key("jwt:birthdate", JWT_AND_COMMON),
    key("jwt:phone_number", JWT_AND_COMMON),
    key("jwt:address", JWT_AND_COMMON),
    key("jwt:scope", JWT_AND_COMMON),
    key("jwt:client_id", JWT_AND_COMMON),
    key("sts:DurationSeconds", STS),
    key("svc:DurationSeconds", ADMIN),
];

/// The keys each S3 action accepts on top of the common ones (MinIO's per-action table).
/// Actions not listed accept the common keys only; `s3:*` accepts every key.
static S3_ACTION_KEYS: &[(&str, &[&str])] = &[
    ("s3:DeleteObject", &[VERSION_ID]),
    (
        "s3:GetObject",
        &[SSE, SSE_C_ALGORITHM, SSE_KMS_KEY, VERSION_ID, EXISTING_TAG],
    ),
    ("s3:GetObjectAttributes", &[EXISTING_TAG]),
    ("s3:GetObjectVersionAttributes", &[VERSION_ID, EXISTING_TAG]),
    ("s3:ListBucket", &[PREFIX, DELIMITER, MAX_KEYS]),
    ("s3:ListBucketVersions", &[PREFIX, DELIMITER, MAX_KEYS]),
    (
        "s3:PutObject",
        &[
            COPY_SOURCE,
            SSE,
            SSE_C_ALGORITHM,
            SSE_KMS_KEY,
            METADATA_DIRECTIVE,
            STORAGE_CLASS,
            VERSION_ID,
            RETAIN_UNTIL,
            LOCK_MODE,
            LEGAL_HOLD,
            REQUEST_TAG_KEYS,
            REQUEST_TAG,
        ],
    ),
    (
        "s3:PutObjectRetention",
        &[
            SSE,
            SSE_C_ALGORITHM,
            SSE_KMS_KEY,
            RETENTION_DAYS,
            RETAIN_UNTIL,
            LOCK_MODE,
            VERSION_ID,
        ],
    ),
    (
        "s3:GetObjectRetention",
        &[SSE, SSE_C_ALGORITHM, SSE_KMS_KEY, VERSION_ID],
    ),
    (
        "s3:PutObjectLegalHold",
        &[SSE, SSE_C_ALGORITHM, SSE_KMS_KEY, LEGAL_HOLD, VERSION_ID],
    ),
    (
        "s3:BypassGovernanceRetention",
        &[
            VERSION_ID,
            RETENTION_DAYS,
            RETAIN_UNTIL,
            LOCK_MODE,
            LEGAL_HOLD,
            REQUEST_TAG_KEYS,
            REQUEST_TAG,
        ],
    ),
    ("s3:PutBucketTagging", &[REQUEST_TAG_KEYS, REQUEST_TAG]),
    (
        "s3:PutObjectTagging",
        &[VERSION_ID, EXISTING_TAG, REQUEST_TAG_KEYS, REQUEST_TAG],
    ),
    ("s3:GetObjectTagging", &[VERSION_ID, EXISTING_TAG]),
    ("s3:DeleteObjectTagging", &[VERSION_ID, EXISTING_TAG]),
    (
        "s3:PutObjectVersionTagging",
        &[VERSION_ID, EXISTING_TAG, REQUEST_TAG_KEYS, REQUEST_TAG],
    ),
    ("s3:GetObjectVersion", &[VERSION_ID, EXISTING_TAG]),
    ("s3:GetObjectVersionTagging", &[VERSION_ID, EXISTING_TAG]),
    ("s3:DeleteObjectVersion", &[VERSION_ID]),
    ("s3:DeleteObjectVersionTagging", &[VERSION_ID, EXISTING_TAG]),
    ("s3:ReplicateObject", &[VERSION_ID, EXISTING_TAG]),
    ("s3:ReplicateDelete", &[VERSION_ID, EXISTING_TAG]),
    ("s3:ReplicateTags", &[VERSION_ID, EXISTING_TAG]),
    (
        "s3:GetObjectVersionForReplication",
        &[VERSION_ID, EXISTING_TAG],
    ),
];

/// A condition key as written in a policy, resolved against the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConditionKey {
    /// Canonical spelling (MinIO's), plus the `/suffix` as written.
    pub(crate) display: String,
    /// Normalised form used to look values up in [`crate::Conditions`].
    pub(crate) lookup: String,
    /// Normalised key name without the suffix.
    base: String,
    scopes: u8,
}

impl ConditionKey {
    /// Resolves a key as written; `None` if MinIO does not know it. Besides the catalogue, any
    /// `jwt:<claim>` is accepted (custom OpenID claims), with the common-key rights.
    pub(crate) fn parse(text: &str) -> Option<ConditionKey> {
        let (name, suffix) = match text.find('/') {
            Some(i) => (&text[..i], Some(&text[i + 1..])),
            None => (text, None),
        };
        let (canonical, scopes) = match KEYS.iter().find(|k| k.name.eq_ignore_ascii_case(name)) {
            Some(spec) => (spec.name.to_owned(), spec.scopes),
            None => {
                let claim = strip_prefix_ignore_case(name, "jwt:")?;
                let claim_ok = !claim.is_empty()
                    && claim
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
                if !claim_ok {
                    return None;
                }
                (format!("jwt:{claim}"), JWT_AND_COMMON)
            }
        };
        let display = match suffix {
            Some(suffix) if scopes & TAGGED != 0 && !suffix.is_empty() => {
                format!("{canonical}/{suffix}")
            }
            Some(_) => return None,
            None => canonical,
        };
        let lookup = normalize_key(&display).into_owned();
        let base = canonical_base(&lookup);
        Some(ConditionKey {
            display,
            lookup,
            base,
            scopes,
        })
    }

    /// Whether MinIO accepts this key with every S3 action (the common keys).
    fn is_common(&self) -> bool {
        self.scopes & COMMON != 0
    }

    /// Whether this key may appear in a statement of admin actions.
    pub(crate) fn allowed_for_admin(&self) -> bool {
        self.scopes & ADMIN != 0
    }

    /// Whether this key may appear in a statement of STS actions.
    pub(crate) fn allowed_for_sts(&self) -> bool {
        self.scopes & STS != 0
    }

    /// Whether this key may appear with the S3 action pattern that `matches_action` tests
    /// (MinIO's table: common keys, plus the extra keys of every action the pattern covers).
    pub(crate) fn allowed_for_s3_action(&self, matches_action: impl Fn(&str) -> bool) -> bool {
        if self.is_common() || matches_action("s3:*") {
            return true;
        }
        S3_ACTION_KEYS.iter().any(|(action, keys)| {
            keys.iter().any(|k| k.eq_ignore_ascii_case(&self.base)) && matches_action(action)
        })
    }

    /// The normalised lookup key, when this key may be used as a `${…}` variable.
    pub(crate) fn as_variable(&self) -> Option<&str> {
        (self.is_common() && self.lookup == self.base).then_some(self.lookup.as_str())
    }
}

fn canonical_base(lookup: &str) -> String {
    lookup.split('/').next().unwrap_or(lookup).to_owned()
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_keys_resolve_case_insensitively_to_minio_spelling() {
        let key = ConditionKey::parse("AWS:SOURCEIP").unwrap();
        assert_eq!(key.display, "aws:SourceIp");
        assert_eq!(key.lookup, "aws:sourceip");
        assert_eq!(key.as_variable(), Some("aws:sourceip"));
        assert!(ConditionKey::parse("aws:nosuchkey").is_none());
        assert!(
            ConditionKey::parse("s3:prefix")
                .unwrap()
                .as_variable()
                .is_none()
        );
    }

    #[test]
    fn tag_keys_take_a_case_kept_suffix_and_others_do_not() {
        let key = ConditionKey::parse("s3:existingobjecttag/Project").unwrap();
        assert_eq!(key.display, "s3:ExistingObjectTag/Project");
        assert_eq!(key.lookup, "s3:existingobjecttag/Project");
        assert!(ConditionKey::parse("aws:username/x").is_none());
        assert!(ConditionKey::parse("s3:RequestObjectTag/").is_none());
    }

    #[test]
    fn custom_jwt_claims_are_keys_and_variables() {
        let key = ConditionKey::parse("jwt:department").unwrap();
        assert_eq!(key.as_variable(), Some("jwt:department"));
        assert!(key.allowed_for_admin());
        assert!(ConditionKey::parse("jwt:").is_none());
        assert!(ConditionKey::parse("jwt:a b").is_none());
    }

    #[test]
    fn per_action_key_table() {
        let prefix = ConditionKey::parse("s3:prefix").unwrap();
        assert!(prefix.allowed_for_s3_action(|a| a == "s3:ListBucket"));
        assert!(!prefix.allowed_for_s3_action(|a| a == "s3:GetObject"));
        assert!(prefix.allowed_for_s3_action(|a| a == "s3:*"));
        let username = ConditionKey::parse("aws:username").unwrap();
        assert!(username.allowed_for_s3_action(|_| false));
        assert!(
            !ConditionKey::parse("sts:DurationSeconds")
                .unwrap()
                .allowed_for_admin()
        );
        assert!(
            ConditionKey::parse("sts:DurationSeconds")
                .unwrap()
                .allowed_for_sts()
        );
    }
}
