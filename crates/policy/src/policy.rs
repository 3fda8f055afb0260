//! [`Policy`]: a parsed, validated policy document — parsing it as an identity, session or
//! bucket policy, evaluating it against a [`Request`], writing it as canonical JSON, and merging
//! several into one (MinIO's `MergePolicies`).

use std::fmt;
use std::str::FromStr;

use crate::decision::{Decision, Request};
use crate::error::{Location, PolicyError};
use crate::json::{Json, collect_fields, write_string, wrong_type};
use crate::pattern::VariableScope;
use crate::request_keys::{RequestKey, RequestKeys};
use crate::resource::RequestResource;
use crate::statement::{Effect, PreparedRequest, Statement};

/// The only policy-language version there is.
pub const POLICY_VERSION: &str = "2012-10-17";

/// The largest policy document accepted, in bytes (MinIO's and AWS's 20 KiB).
pub const MAX_POLICY_DOCUMENT_BYTES: usize = 20 * 1024;

/// The largest STS session policy, in bytes of its canonical JSON (MinIO's limit).
pub const MAX_SESSION_POLICY_BYTES: usize = 2048;

/// What a policy document is attached to; decides which fields it may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A policy attached to users, groups or roles: no `Principal`.
    Identity,
    /// The `Policy` parameter of an STS call: an identity policy that must state its
    /// `Version` and fit in [`MAX_SESSION_POLICY_BYTES`] once normalised.
    Session,
    /// A bucket policy: every statement names its `Principal` and its `Resource`.
    Bucket,
}

/// A parsed and validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    kind: PolicyKind,
    id: Option<String>,
    statements: Vec<Statement>,
    /// The normalised condition keys any statement reads, sorted and without duplicates: a
    /// request need not carry the others (see [`Policy::references_key`]).
    keys: Box<[Box<str>]>,
    /// The same, for the keys a server derives from every request.
    request_keys: RequestKeys,
}

impl Policy {
    /// Parses an identity policy (the kind attached to users, groups and roles).
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse_as(text, PolicyKind::Identity)
    }

    /// Parses an STS session policy: like an identity policy, but `Version` is required and the
    /// canonical form must fit in [`MAX_SESSION_POLICY_BYTES`].
    pub fn parse_session(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse_as(text, PolicyKind::Session)
    }

    /// Parses a bucket policy: every statement must carry `Principal` and `Resource`.
    pub fn parse_bucket(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse_as(text, PolicyKind::Bucket)
    }

    /// Parses a policy of the given kind.
    pub fn parse_as(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        if text.len() > MAX_POLICY_DOCUMENT_BYTES {
            return Err(PolicyError::DocumentTooLarge {
                size: text.len(),
                limit: MAX_POLICY_DOCUMENT_BYTES,
            });
        }
        let json = Json::parse(text)?;
        let at = Location::document("");
        let members = json.as_object(&at)?;
        let [version, id, statement] =
            collect_fields(members, ["Version", "Id", "Statement"], &at)?;

        let version = match version {
            Some(value) => value.as_str(&Location::document("Version"))?,
            None => "",
        };
        match version {
            POLICY_VERSION => {}
            "" if kind == PolicyKind::Session => return Err(PolicyError::MissingVersion),
            "" => {}
            other => {
                return Err(PolicyError::UnsupportedVersion {
                    found: crate::error::excerpt(other),
                });
            }
        }
        let id = match id {
            Some(value) => {
                Some(value.as_str(&Location::document("Id"))?.to_owned()).filter(|s| !s.is_empty())
            }
            None => None,
        };
        let statement_values: Vec<&Json> = match statement {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(items)) => items.iter().collect(),
            Some(single @ Json::Object(_)) => vec![single],
            Some(other) => {
                return Err(wrong_type(
                    &Location::document("Statement"),
                    "an array of statements",
                    other,
                ));
            }
        };
        if statement_values.is_empty() {
            return Err(PolicyError::EmptyStatement);
        }
        let mut statements = Vec::with_capacity(statement_values.len());
        for (index, value) in statement_values.into_iter().enumerate() {
            statements.push(Statement::parse(value, index, kind)?);
        }
        let policy = Policy::from_statements(kind, id, without_duplicates(statements));
        if kind == PolicyKind::Session {
            let size = policy.to_canonical_json().len();
            if size > MAX_SESSION_POLICY_BYTES {
                return Err(PolicyError::SessionPolicyTooLarge {
                    size,
                    limit: MAX_SESSION_POLICY_BYTES,
                });
            }
        }
        Ok(policy)
    }

    /// What the policy was parsed as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The document's `Id`, if it has a non-empty one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// How many statements the policy has (after dropping duplicates).
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// Whether the policy has no statements (only a merge of nothing yields one).
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Decides one request: a matching `Deny` wins, else a matching `Allow` allows, else the
    /// request is implicitly denied. Bucket-policy statements also match the request's
    /// principal.
    pub fn evaluate(&self, request: &Request<'_>) -> Decision {
        let prepared = PreparedRequest {
            action: request.action,
            resource: RequestResource::new(request.resource, self.kind != PolicyKind::Bucket),
            principal: request.principal,
        };
        let scope = VariableScope::new(request.conditions);
        let mut allowed = false;
        for statement in &self.statements {
            if allowed && statement.effect == Effect::Allow {
                continue;
            }
            let applies = statement.applies(&prepared, &scope);
            // A pattern with too many substitutions is undecidable: fail closed.
            let applies = if scope.take_overflow() {
                statement.effect == Effect::Deny
            } else {
                applies
            };
            if applies {
                match statement.effect {
                    Effect::Deny => return Decision::ExplicitDeny,
                    Effect::Allow => allowed = true,
                }
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }

    /// The canonical JSON of the policy: compact, fields in MinIO's order (`ID`, `Version`,
    /// `Statement`; in statements `Sid`, `Effect`, `Principal`, `Action`/`NotAction`,
    /// `Resource`/`NotResource`, `Condition`), lists sorted and without duplicates, strings
    /// escaped as Go escapes them. Parsing it gives back an equal policy.
    pub fn to_canonical_json(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push('{');
        if let Some(id) = &self.id {
            out.push_str("\"ID\":");
            write_string(&mut out, id);
            out.push(',');
        }
        out.push_str("\"Version\":\"");
        out.push_str(POLICY_VERSION);
        out.push_str("\",\"Statement\":[");
        for (i, statement) in self.statements.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            statement.write_json(&mut out);
        }
        out.push_str("]}");
        out
    }

    /// Merges policies into one document, dropping duplicate statements (MinIO's
    /// `MergePolicies`, used for `policy1,policy2` mappings). The result has the kind of the
    /// first policy (identity if there is none) and no `Id`.
    pub fn merge<'a>(policies: impl IntoIterator<Item = &'a Policy>) -> Policy {
        let mut kind = None;
        let mut statements = Vec::new();
        for policy in policies {
            kind.get_or_insert(policy.kind);
            statements.extend(policy.statements.iter().cloned());
        }
        Policy::from_statements(
            kind.unwrap_or(PolicyKind::Identity),
            None,
            without_duplicates(statements),
        )
    }

    fn from_statements(kind: PolicyKind, id: Option<String>, statements: Vec<Statement>) -> Policy {
        let mut keys = Vec::new();
        for statement in &statements {
            statement.collect_keys(&mut keys);
        }
        keys.sort_unstable();
        keys.dedup();
        let request_keys = keys
            .iter()
            .filter_map(|k| RequestKey::from_name(k))
            .fold(RequestKeys::NONE, RequestKeys::with);
        Policy {
            kind,
            id,
            statements,
            keys: keys.into_boxed_slice(),
            request_keys,
        }
    }

    /// Whether any statement reads the condition key `key` (given in its normalised form:
    /// lower-case up to the first `/`, as [`crate::Conditions`] stores keys), in a condition or
    /// as a `${…}` variable. A request context may leave out every key no policy of the
    /// decision references: the decision is the same.
    #[must_use]
    pub fn references_key(&self, key: &str) -> bool {
        self.keys.iter().any(|k| &**k == key)
    }

    /// Which of the keys a server derives from every request the policy reads.
    #[must_use]
    pub fn request_keys(&self) -> RequestKeys {
        self.request_keys
    }

    /// The normalised condition keys the policy reads, sorted.
    pub fn referenced_keys(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| &**k)
    }

    /// MinIO's check for a bucket policy being set on `bucket`: every resource must refer to
    /// that bucket or objects in it.
    pub fn check_bucket(&self, bucket: &str) -> Result<(), PolicyError> {
        self.statements
            .iter()
            .enumerate()
            .try_for_each(|(index, statement)| statement.check_bucket(index, bucket))
    }
}

/// Drops statements that do the same as an earlier one (Sid ignored), keeping the first.
fn without_duplicates(statements: Vec<Statement>) -> Vec<Statement> {
    let mut kept: Vec<Statement> = Vec::with_capacity(statements.len());
    for statement in statements {
        if !kept.iter().any(|k| k.same_rules(&statement)) {
            kept.push(statement);
        }
    }
    kept
}

impl fmt::Display for Policy {
    /// Writes the canonical JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_canonical_json())
    }
}

impl FromStr for Policy {
    type Err = PolicyError;

    /// Parses an identity policy.
    fn from_str(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shareable<T: Send + Sync + 'static>() {}

    #[test]
    fn policies_can_be_shared_between_threads() {
        // The IAM cache keeps parsed policies behind `Arc` and evaluates them from many tasks.
        shareable::<Policy>();
        shareable::<PolicyError>();
        shareable::<crate::Conditions>();
    }

    #[test]
    fn kind_and_id_are_kept() {
        let policy = Policy::parse_as(
            r#"{"Id":"p1","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
            PolicyKind::Bucket,
        )
        .unwrap();
        assert_eq!(policy.kind(), PolicyKind::Bucket);
        assert_eq!(policy.id(), Some("p1"));
        assert_eq!(policy.statement_count(), 1);
        assert!(!policy.is_empty());
        assert_eq!(
            "x".parse::<Policy>().unwrap_err(),
            Policy::parse("x").unwrap_err()
        );
    }
}
