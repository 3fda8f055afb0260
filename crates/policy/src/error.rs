//! The one error type of the crate, [`PolicyError`], and [`Location`], which names the place
//! in a policy document (statement index and Sid, and field path) that an error is about.

use std::fmt;

/// The longest excerpt of user input echoed back in an error message.
const EXCERPT_CHARS: usize = 120;

/// Where in a policy document an error was found: the statement (if any) and the field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Zero-based index of the statement in `Statement`, when the error is inside one.
    pub statement: Option<usize>,
    /// The statement's `Sid`, when it has a non-empty one.
    pub sid: Option<String>,
    /// The field path, e.g. `Action` or `Condition/StringEquals/aws:username`.
    pub field: String,
}

impl Location {
    /// A location at the top level of the document.
    pub(crate) fn document(field: impl Into<String>) -> Self {
        Location {
            statement: None,
            sid: None,
            field: field.into(),
        }
    }

    /// A location inside statement `index` (with its Sid, if known).
    pub(crate) fn statement(index: usize, sid: Option<&str>, field: impl Into<String>) -> Self {
        Location {
            statement: Some(index),
            sid: sid.filter(|s| !s.is_empty()).map(excerpt),
            field: field.into(),
        }
    }

    /// The same statement, a deeper field path.
    pub(crate) fn child(&self, segment: &str) -> Self {
        let field = if self.field.is_empty() {
            excerpt(segment)
        } else {
            format!("{}/{}", self.field, excerpt(segment))
        };
        Location {
            statement: self.statement,
            sid: self.sid.clone(),
            field,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(index) = self.statement {
            write!(f, "Statement[{index}]")?;
            if let Some(sid) = &self.sid {
                write!(f, " (Sid {sid:?})")?;
            }
            if !self.field.is_empty() {
                write!(f, ", field {}", self.field)?;
            }
            Ok(())
        } else if self.field.is_empty() {
            f.write_str("policy document")
        } else {
            write!(f, "field {}", self.field)
        }
    }
}

/// Everything that can be wrong with a policy document. Messages name the statement (index
/// and Sid) and the field, and say what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The document is longer than the caller's limit ([`crate::MAX_POLICY_DOCUMENT_BYTES`]).
    #[error("policy document is {size} bytes; the limit is {limit} bytes")]
    DocumentTooLarge { size: usize, limit: usize },

    /// The document is not JSON at all.
    #[error("policy document is not valid JSON: {reason}")]
    MalformedJson { reason: String },

    /// A field holds the wrong kind of JSON value.
    #[error("{at}: expected {expected}, found {found}")]
    WrongType {
        at: Location,
        expected: &'static str,
        found: &'static str,
    },

    /// A field that the policy language does not have.
    #[error("{at}: unknown field `{field}`{}", hint(.suggestion))]
    UnknownField {
        at: Location,
        field: String,
        suggestion: Option<String>,
    },

    /// The same field twice in one object (field names compare case-insensitively).
    #[error("{at}: field `{field}` appears more than once")]
    DuplicateField { at: Location, field: String },

    /// A `Version` other than `2012-10-17`.
    #[error("Version `{found}` is not supported; expecting `2012-10-17`")]
    UnsupportedVersion { found: String },

    /// A session policy without `Version` (MinIO demands one there).
    #[error("Version cannot be empty; expecting `2012-10-17`")]
    MissingVersion,

    /// No statements at all.
    #[error("the policy has no statements; `Statement` must hold at least one")]
    EmptyStatement,

    /// A required field is absent.
    #[error("{at}: `{field}` is required")]
    MissingField { at: Location, field: &'static str },

    /// A field that must not be empty is.
    #[error("{at}: must not be empty")]
    EmptyField { at: Location },

    /// Two fields that exclude each other, e.g. `Action` and `NotAction`.
    #[error("{at}: `{first}` and `{second}` cannot both be given in one statement")]
    ConflictingFields {
        at: Location,
        first: &'static str,
        second: &'static str,
    },

    /// `Effect` is neither `Allow` nor `Deny`.
    #[error("{at}: Effect `{found}` is not valid; expecting `Allow` or `Deny`")]
    InvalidEffect { at: Location, found: String },

    /// An action that MinIO does not know, or a pattern that matches none.
    #[error("{at}: unknown action `{action}`{}", hint(.suggestion))]
    UnknownAction {
        at: Location,
        action: String,
        suggestion: Option<String>,
    },

    /// A statement that names actions of two services that cannot share a statement.
    #[error(
        "{at}: `{first}` and `{second}` cannot share a statement; put {} actions in their own statement",
        service_of(.second)
    )]
    MixedActions {
        at: Location,
        first: String,
        second: String,
    },

    /// A resource that is not of the form the statement's actions need.
    #[error("{at}: resource `{resource}` is not valid: {reason}")]
    InvalidResource {
        at: Location,
        resource: String,
        reason: String,
    },

    /// A bucket-policy resource that does not refer to the bucket the policy is set on.
    #[error("{at}: resource `{resource}` does not refer to bucket `{bucket}`")]
    ResourceOutsideBucket {
        at: Location,
        resource: String,
        bucket: String,
    },

    /// `Principal` in an identity or session policy.
    #[error(
        "{at}: `Principal` is only allowed in bucket policies; an identity or session policy applies to whoever it is attached to"
    )]
    PrincipalNotAllowed { at: Location },

    /// A bucket-policy statement without `Principal`.
    #[error("{at}: `Principal` is required in a bucket policy statement (use \"*\" for everyone)")]
    PrincipalRequired { at: Location },

    /// A `Principal` of a form other than `"*"` or `{"AWS": …}`.
    #[error("{at}: {reason}")]
    InvalidPrincipal { at: Location, reason: String },

    /// A condition operator that does not exist.
    #[error("{at}: unknown condition operator `{operator}`{}", hint(.suggestion))]
    UnknownConditionOperator {
        at: Location,
        operator: String,
        suggestion: Option<String>,
    },

    /// A set qualifier other than `ForAnyValue` / `ForAllValues`.
    #[error(
        "{at}: unknown condition qualifier `{qualifier}`; expecting `ForAnyValue` or `ForAllValues`"
    )]
    UnknownConditionQualifier { at: Location, qualifier: String },

    /// A condition key that does not exist.
    #[error("{at}: unknown condition key `{key}`")]
    UnknownConditionKey { at: Location, key: String },

    /// A condition key that exists but cannot be used with one of the statement's actions
    /// (MinIO's per-action key table), or with this operator.
    #[error("{at}: condition key `{key}` cannot be used with {with}")]
    UnsupportedConditionKey {
        at: Location,
        key: String,
        with: String,
    },

    /// A condition value of the wrong form for its operator.
    #[error("{at}: {reason}")]
    InvalidConditionValue { at: Location, reason: String },

    /// A session policy whose normalised JSON is over MinIO's 2048-byte limit.
    #[error(
        "session policy should not exceed {limit} characters; it is {size} after normalisation"
    )]
    SessionPolicyTooLarge { size: usize, limit: usize },
}

fn service_of(action: &str) -> &str {
    action
        .split_once(':')
        .map_or(action, |(service, _)| service)
}

fn hint(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// Shortens user input echoed in an error to a readable length.
pub(crate) fn excerpt(text: &str) -> String {
    if text.chars().count() <= EXCERPT_CHARS {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(EXCERPT_CHARS).collect();
        short.push('…');
        short
    }
}

/// The closest candidate to `input` by edit distance (case-insensitive), if it is close enough
/// to be a likely typo.
pub(crate) fn closest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let input_lower = input.to_ascii_lowercase();
    let budget = (input.chars().count() / 4).clamp(1, 3);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(&input_lower, &candidate.to_ascii_lowercase());
        if distance <= budget && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c.to_owned())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_names_statement_sid_and_field() {
        let at = Location::statement(2, Some("ReadHome"), "Action");
        assert_eq!(
            at.to_string(),
            "Statement[2] (Sid \"ReadHome\"), field Action"
        );
        let at = Location::statement(0, Some(""), "Effect");
        assert_eq!(at.to_string(), "Statement[0], field Effect");
        assert_eq!(Location::document("Version").to_string(), "field Version");
        assert_eq!(
            at.child("x").child("y").to_string(),
            "Statement[0], field Effect/x/y"
        );
    }

    #[test]
    fn suggestions_find_close_names_only() {
        let names = ["s3:GetObject", "s3:PutObject"];
        assert_eq!(closest("s3:GetObjcet", names), Some("s3:GetObject".into()));
        assert_eq!(closest("s3:getobject", names), Some("s3:GetObject".into()));
        assert_eq!(closest("s3:Nothing", names), None);
    }

    #[test]
    fn excerpts_are_bounded() {
        let long = "x".repeat(1000);
        assert_eq!(excerpt(&long).chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(excerpt("short"), "short");
    }
}
