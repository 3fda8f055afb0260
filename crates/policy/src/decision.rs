//! Decisions: the [`Request`] a policy is asked about, the three-way [`Decision`], and
//! [`AccessCheck`], which combines the policies that bear on one request — the caller's identity
//! policies (any allows, none denies), an STS session policy (intersection), and the bucket
//! policy (adds allows) — with an explicit `Deny` anywhere winning.

use crate::{Conditions, Policy};

/// The outcome of evaluating policies for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Some statement allows the request and none denies it.
    Allow,
    /// A `Deny` statement matches; nothing can override it.
    ExplicitDeny,
    /// Nothing allows the request (the default).
    ImplicitDeny,
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// One request to decide.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The action, e.g. `s3:GetObject` or `admin:ServerInfo` (compared case-insensitively).
    pub action: &'a str,
    /// The resource ARN: `arn:aws:s3:::bucket/key` for an object, `arn:aws:s3:::bucket` for a
    /// bucket, `arn:aws:s3:::` (or empty) for account-level actions such as
    /// `s3:ListAllMyBuckets`; admin and STS actions ignore it.
    pub resource: &'a str,
    /// The condition keys of the request and credential (`aws:username`, `s3:prefix`, …),
    /// which also supply `${…}` policy variables.
    pub conditions: &'a Conditions,
    /// Who is asking, for bucket policies' `Principal` (the account name MinIO matches);
    /// `None` for an anonymous request, which only `"*"` matches.
    pub principal: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// A request without a principal (identity policies do not look at it).
    pub fn new(action: &'a str, resource: &'a str, conditions: &'a Conditions) -> Self {
        Request {
            action,
            resource,
            conditions,
            principal: None,
        }
    }

    /// The same request made by `principal`.
    #[must_use]
    pub fn with_principal(mut self, principal: &'a str) -> Self {
        self.principal = Some(principal);
        self
    }
}

/// Evaluates a set of identity policies together: allowed if some statement of some policy
/// allows and no statement of any denies (the policies of a user, its groups, a role).
pub fn evaluate_all<'p>(
    policies: impl IntoIterator<Item = &'p Policy>,
    request: &Request<'_>,
) -> Decision {
    let mut decision = Decision::ImplicitDeny;
    for policy in policies {
        match policy.evaluate(request) {
            Decision::ExplicitDeny => return Decision::ExplicitDeny,
            Decision::Allow => decision = Decision::Allow,
            Decision::ImplicitDeny => {}
        }
    }
    decision
}

/// The policies that bear on one request, combined as AWS and MinIO combine them:
///
/// * an explicit `Deny` in any identity, session or bucket policy denies;
/// * otherwise the request is allowed when (an identity policy allows, or the caller is the
///   owner, or the bucket policy allows) **and**, if there is a session policy, the session
///   policy allows too.
///
/// ```
/// use tessera_policy::{AccessCheck, Conditions, Policy, Request};
///
/// let readwrite = Policy::parse(r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"}]}"#)?;
/// let session = Policy::parse_session(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}"#)?;
/// let conditions = Conditions::new();
/// let check = AccessCheck::new().identity_policy(&readwrite).session_policy(&session);
/// assert!(check.evaluate(&Request::new("s3:GetObject", "arn:aws:s3:::photos/cat.jpg", &conditions)).is_allowed());
/// assert!(!check.evaluate(&Request::new("s3:PutObject", "arn:aws:s3:::photos/cat.jpg", &conditions)).is_allowed());
/// # Ok::<(), tessera_policy::PolicyError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct AccessCheck<'p> {
    identity: Vec<&'p Policy>,
    owner: bool,
    session: Option<&'p Policy>,
    bucket: Option<&'p Policy>,
}

impl<'p> AccessCheck<'p> {
    /// No policies yet: everything is implicitly denied.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one identity policy.
    #[must_use]
    pub fn identity_policy(mut self, policy: &'p Policy) -> Self {
        self.identity.push(policy);
        self
    }

    /// Adds identity policies (a user's, its groups', a role's).
    #[must_use]
    pub fn identity_policies(mut self, policies: impl IntoIterator<Item = &'p Policy>) -> Self {
        self.identity.extend(policies);
        self
    }

    /// The caller is the owner (root): the identity side allows everything; session and
    /// bucket-policy denies still apply, and a session policy still narrows.
    #[must_use]
    pub fn owner(mut self) -> Self {
        self.owner = true;
        self
    }

    /// The STS session policy the credential carries.
    #[must_use]
    pub fn session_policy(mut self, policy: &'p Policy) -> Self {
        self.session = Some(policy);
        self
    }

    /// The policy of the bucket the request is about.
    #[must_use]
    pub fn bucket_policy(mut self, policy: &'p Policy) -> Self {
        self.bucket = Some(policy);
        self
    }

    /// Decides the request.
    pub fn evaluate(&self, request: &Request<'_>) -> Decision {
        let identity = evaluate_all(self.identity.iter().copied(), request);
        if identity == Decision::ExplicitDeny {
            return Decision::ExplicitDeny;
        }
        let session = self.session.map(|policy| policy.evaluate(request));
        if session == Some(Decision::ExplicitDeny) {
            return Decision::ExplicitDeny;
        }
        let bucket = self.bucket.map(|policy| policy.evaluate(request));
        if bucket == Some(Decision::ExplicitDeny) {
            return Decision::ExplicitDeny;
        }
        let granted = self.owner || identity == Decision::Allow || bucket == Some(Decision::Allow);
        let within_session = session.is_none_or(Decision::is_allowed);
        if granted && within_session {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}
