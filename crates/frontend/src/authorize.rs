//! Authorisation of S3 requests: which IAM action and resource each S3 operation is, the
//! condition keys a request carries (`s3:prefix`, `aws:SourceIp`, `aws:username`, ...), and the
//! decision over the caller's live policies (root is the owner and may do everything; a
//! service account gets its parent's policies narrowed by its embedded policy).

use std::net::SocketAddr;
use std::sync::Arc;

use http::HeaderMap;
use s3s::{S3Error, s3_error};
use tessera_iam::{Account, Flow, IamSystem};
use tessera_policy::{AccessCheck, Conditions, Request, RequestKey, RequestKeys};

/// Facts about the connection, put into each request's extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct ClientInfo {
    pub remote: SocketAddr,
    pub secure: bool,
}

/// Whether an action names a bucket or an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Account,
    Bucket,
    Object,
    /// Decided per key by the handler (DeleteObjects), so that a user may delete the keys its
    /// policies cover in a bucket it has no bucket-wide right on.
    EachKey,
}

/// The IAM action of an S3 operation (by s3s's operation name) and what it acts on.
#[must_use]
pub fn action_of(operation: &str) -> Option<(&'static str, Target)> {
    Some(match operation {
        "ListBuckets" => ("s3:ListAllMyBuckets", Target::Account),
        "CreateBucket" => ("s3:CreateBucket", Target::Bucket),
        "DeleteBucket" => ("s3:DeleteBucket", Target::Bucket),
        "HeadBucket" | "ListObjects" | "ListObjectsV2" => ("s3:ListBucket", Target::Bucket),
        "GetBucketLocation" => ("s3:GetBucketLocation", Target::Bucket),
        "PutBucketPolicy" => ("s3:PutBucketPolicy", Target::Bucket),
        "GetBucketPolicy" => ("s3:GetBucketPolicy", Target::Bucket),
        "DeleteBucketPolicy" => ("s3:DeleteBucketPolicy", Target::Bucket),
        "GetBucketPolicyStatus" => ("s3:GetBucketPolicyStatus", Target::Bucket),
        "ListMultipartUploads" => ("s3:ListBucketMultipartUploads", Target::Bucket),
        "DeleteObjects" => ("s3:DeleteObject", Target::EachKey),
        "GetObject" | "HeadObject" => ("s3:GetObject", Target::Object),
        "PutObject"
        | "CopyObject"
        | "CreateMultipartUpload"
        | "UploadPart"
        | "UploadPartCopy"
        | "CompleteMultipartUpload" => ("s3:PutObject", Target::Object),
        "DeleteObject" => ("s3:DeleteObject", Target::Object),
        "AbortMultipartUpload" => ("s3:AbortMultipartUpload", Target::Object),
        "ListParts" => ("s3:ListMultipartUploadParts", Target::Object),
        _ => return None,
    })
}

/// The ARN of a bucket or an object.
#[must_use]
pub fn resource_arn(bucket: Option<&str>, key: Option<&str>) -> String {
    match (bucket, key) {
        (Some(b), Some(k)) => format!("arn:aws:s3:::{b}/{k}"),
        (Some(b), None) => format!("arn:aws:s3:::{b}"),
        _ => "arn:aws:s3:::*".to_owned(),
    }
}

/// Request headers that S3 exposes as condition keys, with their key.
const HEADER_KEYS: [(&str, RequestKey); 8] = [
    ("user-agent", RequestKey::UserAgent),
    ("referer", RequestKey::Referer),
    ("x-amz-acl", RequestKey::XAmzAcl),
    ("x-amz-copy-source", RequestKey::XAmzCopySource),
    (
        "x-amz-metadata-directive",
        RequestKey::XAmzMetadataDirective,
    ),
    (
        "x-amz-server-side-encryption",
        RequestKey::XAmzServerSideEncryption,
    ),
    ("x-amz-storage-class", RequestKey::XAmzStorageClass),
    ("x-amz-content-sha256", RequestKey::XAmzContentSha256),
];

/// What a request says about itself, from which its condition keys are built.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub headers: &'a HeaderMap,
    /// The raw query string (listing parameters become `s3:prefix` and friends).
    pub query: Option<&'a str>,
    pub client: Option<&'a ClientInfo>,
    /// s3s's operation name (`ListObjectsV2`).
    pub operation: &'a str,
}

/// The condition keys of one request made by `account`, those in `wanted` (inserted in the
/// lower-case form the policy engine normalises them to, which saves it the work). A decision
/// needs only the keys its policies reference (`Policy::request_keys`): building the others
/// for every request would cost time and change nothing.
#[must_use]
pub fn request_conditions(
    account: Option<&Account>,
    facts: &RequestFacts<'_>,
    wanted: RequestKeys,
) -> Conditions {
    let mut c = Conditions::new();
    let mut set = |key: RequestKey, value: &dyn Fn() -> String| {
        if wanted.contains(key) {
            c.insert_static(key.name(), value());
        }
    };
    if let Some(u) = account.and_then(username) {
        set(RequestKey::Username, &|| u.to_owned());
        set(RequestKey::Userid, &|| u.to_owned());
    }
    // As MinIO: credentials that carry claims (temporary credentials of every STS flow, and
    // service accounts) are an assumed role.
    let principal_type = match account {
        None => "Anonymous",
        Some(Account::Root) => "Account",
        Some(Account::User { .. }) => "User",
        Some(Account::ServiceAccount { .. } | Account::Temporary(_)) => "AssumedRole",
    };
    set(RequestKey::PrincipalType, &|| principal_type.to_owned());
    if wanted.contains(RequestKey::CurrentTime) || wanted.contains(RequestKey::EpochTime) {
        let (current_time, epoch) = current_time();
        set(RequestKey::CurrentTime, &|| current_time.clone());
        set(RequestKey::EpochTime, &|| epoch.clone());
    }
    if let Some(client) = facts.client {
        set(RequestKey::SourceIp, &|| client.remote.ip().to_string());
        set(RequestKey::SecureTransport, &|| client.secure.to_string());
    }
    // One pass over the headers rather than one lookup per key.
    for (name, value) in facts.headers {
        if let Some((_, key)) = HEADER_KEYS.iter().find(|(h, _)| *h == name.as_str())
            && let Ok(value) = value.to_str()
        {
            set(*key, &|| value.to_owned());
        }
    }
    let listing = [
        RequestKey::Prefix,
        RequestKey::Delimiter,
        RequestKey::MaxKeys,
    ];
    if matches!(facts.operation, "ListObjects" | "ListObjectsV2")
        && listing.iter().any(|k| wanted.contains(*k))
    {
        let pairs = facts.query.map(query_pairs).unwrap_or_default();
        let param = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        // An absent prefix is the empty prefix, so that `s3:prefix` conditions see a value.
        let prefix = param("prefix").unwrap_or("");
        set(RequestKey::Prefix, &|| prefix.to_owned());
        for (name, key) in [
            ("delimiter", RequestKey::Delimiter),
            ("max-keys", RequestKey::MaxKeys),
        ] {
            if let Some(v) = param(name) {
                set(key, &|| v.to_owned());
            }
        }
    }
    // A federated session's provider claims, for `${jwt:…}` (OpenID) or `${ldap:…}` (LDAP:
    // `ldap:user`, `ldap:username`, `ldap:groups`) variables and conditions (a handful,
    // bounded when the session was minted).
    if let Some(Account::Temporary(session)) = account {
        let namespace = match session.claims.flow {
            Flow::Ldap => "ldap",
            _ => "jwt",
        };
        for (name, values) in &session.claims.claims {
            c.insert(&format!("{namespace}:{name}"), values.iter().cloned());
        }
    }
    c
}

/// `aws:CurrentTime` (RFC 3339) and `aws:EpochTime`, formatted once per second per thread.
fn current_time() -> (String, String) {
    thread_local! {
        static CACHE: std::cell::RefCell<(i64, String, String)> = const { std::cell::RefCell::new((i64::MIN, String::new(), String::new())) };
    }
    let now = time::OffsetDateTime::now_utc();
    let secs = now.unix_timestamp();
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs {
            let text = now
                .replace_nanosecond(0)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default();
            *cache = (secs, text, secs.to_string());
        }
        (cache.1.clone(), cache.2.clone())
    })
}

/// The name bucket policies know an account by: the user (a service account acts as its
/// parent, temporary credentials as theirs); root has none.
fn principal_name(account: &Account) -> Option<&str> {
    match account {
        Account::Root => None,
        Account::User { name } => Some(name),
        Account::ServiceAccount { parent, .. } => Some(parent),
        Account::Temporary(session) => Some(&session.claims.parent),
    }
}

/// `aws:username` and `aws:userid`: the principal name, except that an LDAP session is known
/// by its login name rather than its DN (as MinIO does).
fn username(account: &Account) -> Option<&str> {
    match account {
        Account::Temporary(session) if session.claims.flow == Flow::Ldap => session
            .claims
            .claims
            .get("username")
            .and_then(|v| v.first())
            .map(String::as_str),
        other => principal_name(other),
    }
}

/// Decodes a query string `a=b&c=d` (percent-encoding, `+` as space), keeping repeated keys.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// Decides S3 requests against the live IAM state.
#[derive(Clone)]
pub struct Authorizer {
    iam: Arc<IamSystem>,
}

impl Authorizer {
    #[must_use]
    pub fn new(iam: Arc<IamSystem>) -> Self {
        Self { iam }
    }

    #[must_use]
    pub fn iam(&self) -> &Arc<IamSystem> {
        &self.iam
    }

    /// Whether `account` (`None`: anonymous) may perform `action` on `resource` of `bucket`
    /// for a request with these facts: its identity policies (narrowed by a service account's
    /// embedded policy) or the bucket's policy must allow it, and no explicit Deny may match.
    #[must_use]
    pub fn allows(
        &self,
        account: Option<&Account>,
        bucket: Option<&str>,
        action: &str,
        resource: &str,
        facts: &RequestFacts<'_>,
    ) -> bool {
        self.decide(account, bucket, action, resource, |wanted| {
            request_conditions(account, facts, wanted)
        })
    }

    /// `allows`, with the request's condition keys made by `conditions_of`, which is told
    /// which keys the policies of the decision reference.
    pub fn decide(
        &self,
        account: Option<&Account>,
        bucket: Option<&str>,
        action: &str,
        resource: &str,
        conditions_of: impl FnOnce(RequestKeys) -> Conditions,
    ) -> bool {
        // A service account's embedded policy and a session's policy narrow the same way.
        let narrowing = account.and_then(Account::narrowing_policy);
        let (policies, owner) = match account {
            None => (Vec::new(), false),
            Some(a) => match self.iam.policies_for(a) {
                // The owner may do everything its session policy (if any) allows.
                None if narrowing.is_none() => return true,
                None => (Vec::new(), true),
                Some(p) => (p, false),
            },
        };
        let bucket_policy = bucket.and_then(|b| self.iam.bucket_policy_parsed(b));
        let embedded = narrowing;
        let wanted = policies
            .iter()
            .map(AsRef::as_ref)
            .chain(embedded.map(AsRef::as_ref))
            .chain(bucket_policy.as_deref())
            .fold(RequestKeys::NONE, |keys, p| keys.union(p.request_keys()));
        let conditions = conditions_of(wanted);
        let mut request = Request::new(action, resource, &conditions);
        if let Some(name) = account.and_then(principal_name) {
            request = request.with_principal(name);
        }
        let mut check = AccessCheck::new().identity_policies(policies.iter().map(AsRef::as_ref));
        if owner {
            check = check.owner();
        }
        if let Some(p) = embedded {
            check = check.session_policy(p);
        }
        if let Some(p) = &bucket_policy {
            check = check.bucket_policy(p);
        }
        check.evaluate(&request).is_allowed()
    }

    /// `allows`, as the S3 error a client gets when it does not.
    pub fn require(
        &self,
        account: Option<&Account>,
        bucket: Option<&str>,
        action: &str,
        resource: &str,
        facts: &RequestFacts<'_>,
    ) -> Result<(), S3Error> {
        if self.allows(account, bucket, action, resource, facts) {
            return Ok(());
        }
        let who = match account {
            None => "an anonymous request".to_owned(),
            Some(Account::Root) => "root".to_owned(),
            Some(Account::User { name }) => format!("user `{name}`"),
            Some(Account::ServiceAccount {
                access_key, parent, ..
            }) => {
                format!("service account `{access_key}` of `{parent}`")
            }
            Some(Account::Temporary(session)) => format!(
                "temporary credentials `{}` of `{}`",
                session.claims.access_key, session.claims.parent
            ),
        };
        Err(s3_error!(
            AccessDenied,
            "{who} is not allowed {action} on {resource}: attach a policy that allows it"
        ))
    }
}

impl crate::Tessera {
    /// Checks one more resource of a request the gate already admitted (each key of a
    /// DeleteObjects, the source of a copy) with the caller's policies.
    pub(crate) fn authorize_also(
        &self,
        extensions: &http::Extensions,
        headers: &HeaderMap,
        action: &str,
        bucket: &str,
        key: &str,
    ) -> Result<(), S3Error> {
        let Some(crate::CallerAccount(account)) = extensions.get::<crate::CallerAccount>() else {
            return Err(s3_error!(
                AccessDenied,
                "the request carries no verified caller"
            ));
        };
        let facts = RequestFacts {
            headers,
            query: None,
            client: extensions.get::<ClientInfo>(),
            operation: action,
        };
        self.authorizer.require(
            Some(account),
            Some(bucket),
            action,
            &resource_arn(Some(bucket), Some(key)),
            &facts,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_operation_has_an_action() {
        for op in [
            "ListBuckets",
            "CreateBucket",
            "DeleteBucket",
            "HeadBucket",
            "ListObjects",
            "ListObjectsV2",
            "GetBucketLocation",
            "ListMultipartUploads",
            "DeleteObjects",
            "GetObject",
            "HeadObject",
            "PutObject",
            "CopyObject",
            "CreateMultipartUpload",
            "UploadPart",
            "UploadPartCopy",
            "CompleteMultipartUpload",
            "DeleteObject",
            "AbortMultipartUpload",
            "ListParts",
        ] {
            assert!(action_of(op).is_some(), "{op}");
        }
        assert!(action_of("PutBucketTagging").is_none());
    }

    #[test]
    fn principal_type_username_and_ldap_claims_by_account() {
        use std::collections::BTreeMap;
        use std::sync::Arc;
        use tessera_iam::{SessionClaims, TemporarySession};
        let headers = HeaderMap::new();
        let facts = RequestFacts {
            headers: &headers,
            query: None,
            client: None,
            operation: "GetObject",
        };
        let session = |flow: Flow, claims: &[(&str, &[&str])]| {
            Account::Temporary(Arc::new(TemporarySession {
                claims: SessionClaims {
                    access_key: "ASIAAAAAAAAAAAAAAAAA".into(),
                    parent: "uid=carol,ou=people,dc=x".into(),
                    flow,
                    issued_ms: 0,
                    exp: i64::MAX,
                    session_policy: None,
                    revoke_type: None,
                    policies: None,
                    claims: claims
                        .iter()
                        .map(|(k, v)| {
                            ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect())
                        })
                        .collect::<BTreeMap<_, _>>(),
                },
                session_policy: None,
            }))
        };
        let get = |account: Option<&Account>, key: &str| {
            request_conditions(account, &facts, RequestKeys::ALL)
                .get(key)
                .map(<[String]>::to_vec)
        };
        let one = |s: &str| Some(vec![s.to_owned()]);
        assert_eq!(get(None, "aws:principaltype"), one("Anonymous"));
        assert_eq!(
            get(Some(&Account::Root), "aws:principaltype"),
            one("Account")
        );
        let user = Account::User {
            name: "alice".into(),
        };
        assert_eq!(get(Some(&user), "aws:principaltype"), one("User"));
        let ldap = session(
            Flow::Ldap,
            &[("username", &["carol"]), ("groups", &["cn=g,dc=x"])],
        );
        assert_eq!(get(Some(&ldap), "aws:principaltype"), one("AssumedRole"));
        assert_eq!(get(Some(&ldap), "aws:username"), one("carol"));
        assert_eq!(get(Some(&ldap), "ldap:groups"), one("cn=g,dc=x"));
        assert_eq!(get(Some(&ldap), "jwt:groups"), None);
        let oidc = session(Flow::WebIdentity, &[("sub", &["abc"])]);
        assert_eq!(get(Some(&oidc), "jwt:sub"), one("abc"));
        assert_eq!(
            get(Some(&oidc), "aws:username"),
            one("uid=carol,ou=people,dc=x")
        );
    }

    #[test]
    fn listing_conditions_come_from_the_query() {
        let headers = HeaderMap::new();
        let facts = |query, operation| RequestFacts {
            headers: &headers,
            query,
            client: None,
            operation,
        };
        let everything = RequestKeys::ALL;
        let c = request_conditions(
            Some(&Account::User {
                name: "alice".into(),
            }),
            &facts(
                Some("list-type=2&prefix=alice%2Fdocs%2F&delimiter=%2F&max-keys=10"),
                "ListObjectsV2",
            ),
            everything,
        );
        assert_eq!(c.get("s3:prefix"), Some(&["alice/docs/".to_owned()][..]));
        assert_eq!(c.get("s3:delimiter"), Some(&["/".to_owned()][..]));
        assert_eq!(c.get("s3:max-keys"), Some(&["10".to_owned()][..]));
        assert_eq!(c.get("aws:username"), Some(&["alice".to_owned()][..]));
        let none = request_conditions(
            Some(&Account::Root),
            &facts(None, "ListObjects"),
            everything,
        );
        assert_eq!(none.get("s3:prefix"), Some(&[String::new()][..]));
        let only_prefix = request_conditions(
            Some(&Account::User {
                name: "alice".into(),
            }),
            &facts(Some("prefix=a%2F&delimiter=%2F"), "ListObjectsV2"),
            RequestKeys::NONE.with(RequestKey::Prefix),
        );
        assert_eq!(only_prefix.len(), 1, "only the wanted key is built");
        assert_eq!(only_prefix.get("s3:prefix"), Some(&["a/".to_owned()][..]));
    }
}
