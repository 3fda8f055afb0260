//! Combining policies: a set of identity policies (any allows, none denies), the STS session
//! intersection, bucket policies adding allows, the owner, and explicit Deny winning anywhere.

use tessera_policy::Decision::{self, Allow, ExplicitDeny, ImplicitDeny};
use tessera_policy::{AccessCheck, Conditions, Policy, Request, evaluate_all};

fn identity(text: &str) -> Policy {
    Policy::parse(text).unwrap()
}

fn session(text: &str) -> Policy {
    Policy::parse_session(text).unwrap()
}

fn bucket(text: &str) -> Policy {
    Policy::parse_bucket(text).unwrap()
}

struct Policies {
    get_b: Policy,
    put_b: Policy,
    deny_delete: Policy,
    readwrite: Policy,
    session_get: Policy,
    session_deny_secret: Policy,
    bucket_alice_put: Policy,
    bucket_public_read: Policy,
    bucket_deny_bob: Policy,
}

fn policies() -> Policies {
    Policies {
        get_b: identity(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        ),
        put_b: identity(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        ),
        deny_delete: identity(
            r#"{"Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#,
        ),
        readwrite: tessera_policy::canned_policy("readwrite").unwrap().clone(),
        session_get: session(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
        ),
        session_deny_secret: session(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/secret/*"}]}"#,
        ),
        bucket_alice_put: bucket(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["alice"]},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        ),
        bucket_public_read: bucket(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        ),
        bucket_deny_bob: bucket(
            r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"bob"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#,
        ),
    }
}

#[test]
fn identity_policies_are_evaluated_together() {
    let p = policies();
    let conditions = Conditions::new();
    #[rustfmt::skip]
    let cases: &[(&[&Policy], &str, Decision)] = &[
        (&[], "s3:GetObject", ImplicitDeny),
        (&[&p.get_b], "s3:GetObject", Allow),
        (&[&p.get_b], "s3:PutObject", ImplicitDeny),
        (&[&p.get_b, &p.put_b], "s3:PutObject", Allow),
        (&[&p.get_b, &p.put_b], "s3:GetObject", Allow),
        (&[&p.get_b, &p.put_b], "s3:DeleteObject", ImplicitDeny),
        (&[&p.readwrite, &p.deny_delete], "s3:DeleteObject", ExplicitDeny),
        (&[&p.deny_delete, &p.readwrite], "s3:DeleteObject", ExplicitDeny),
        (&[&p.readwrite, &p.deny_delete], "s3:GetObject", Allow),
        (&[&p.deny_delete], "s3:GetObject", ImplicitDeny),
    ];
    for (index, (set, action, expected)) in cases.iter().enumerate() {
        let request = Request::new(action, "arn:aws:s3:::b/k", &conditions);
        assert_eq!(
            evaluate_all(set.iter().copied(), &request),
            *expected,
            "case {index}"
        );
        let check = AccessCheck::new().identity_policies(set.iter().copied());
        assert_eq!(
            check.evaluate(&request),
            *expected,
            "case {index} via AccessCheck"
        );
        let merged = Policy::merge(set.iter().copied());
        assert_eq!(
            merged.evaluate(&request),
            *expected,
            "case {index} via merge"
        );
    }
}

/// (description, check, action, resource, principal, expected)
type Case<'p> = (
    &'static str,
    AccessCheck<'p>,
    &'static str,
    &'static str,
    Option<&'static str>,
    Decision,
);

#[test]
fn combinations_table() {
    let p = policies();
    let conditions = Conditions::new();
    #[rustfmt::skip]
    let cases: Vec<Case<'_>> = vec![
        ("session narrows", AccessCheck::new() .identity_policy(&p.readwrite) .session_policy(&p.session_get), "s3:GetObject", "arn:aws:s3:::b/k", None, Allow),
        ("session narrows put", AccessCheck::new() .identity_policy(&p.readwrite) .session_policy(&p.session_get), "s3:PutObject", "arn:aws:s3:::b/k", None, ImplicitDeny),
        ("session cannot widen", AccessCheck::new() .identity_policy(&p.get_b) .session_policy(&p.session_deny_secret), "s3:PutObject", "arn:aws:s3:::b/k", None, ImplicitDeny),
        ("session deny wins", AccessCheck::new() .identity_policy(&p.readwrite) .session_policy(&p.session_deny_secret), "s3:GetObject", "arn:aws:s3:::b/secret/x", None, ExplicitDeny),
        ("session alone grants nothing", AccessCheck::new().session_policy(&p.session_get), "s3:GetObject", "arn:aws:s3:::b/k", None, ImplicitDeny),
        ("identity deny with session allow", AccessCheck::new() .identity_policies([&p.readwrite, &p.deny_delete]) .session_policy(&p.session_deny_secret), "s3:DeleteObject", "arn:aws:s3:::b/k", None, ExplicitDeny),
        ("owner", AccessCheck::new().owner(), "s3:DeleteBucket", "arn:aws:s3:::b", None, Allow),
        ("owner admin", AccessCheck::new().owner(), "admin:CreateUser", "", None, Allow),
        ("owner with session", AccessCheck::new().owner().session_policy(&p.session_get), "s3:PutObject", "arn:aws:s3:::b/k", None, ImplicitDeny),
        ("owner with session get", AccessCheck::new().owner().session_policy(&p.session_get), "s3:GetObject", "arn:aws:s3:::b/k", None, Allow),
        ("owner and bucket deny", AccessCheck::new().owner().bucket_policy(&p.bucket_deny_bob), "s3:GetObject", "arn:aws:s3:::b/k", Some("bob"), ExplicitDeny),
        ("bucket adds allow", AccessCheck::new() .identity_policy(&p.get_b) .bucket_policy(&p.bucket_alice_put), "s3:PutObject", "arn:aws:s3:::b/k", Some("alice"), Allow),
        ("bucket allow is per principal", AccessCheck::new() .identity_policy(&p.get_b) .bucket_policy(&p.bucket_alice_put), "s3:PutObject", "arn:aws:s3:::b/k", Some("carol"), ImplicitDeny),
        ("identity allow with bucket silent", AccessCheck::new() .identity_policy(&p.get_b) .bucket_policy(&p.bucket_alice_put), "s3:GetObject", "arn:aws:s3:::b/k", Some("carol"), Allow),
        ("anonymous public read", AccessCheck::new().bucket_policy(&p.bucket_public_read), "s3:GetObject", "arn:aws:s3:::b/k", None, Allow),
        ("anonymous no write", AccessCheck::new().bucket_policy(&p.bucket_public_read), "s3:PutObject", "arn:aws:s3:::b/k", None, ImplicitDeny),
        ("bucket deny beats identity allow", AccessCheck::new() .identity_policy(&p.readwrite) .bucket_policy(&p.bucket_deny_bob), "s3:GetObject", "arn:aws:s3:::b/k", Some("bob"), ExplicitDeny),
        ("bucket deny is per principal", AccessCheck::new() .identity_policy(&p.readwrite) .bucket_policy(&p.bucket_deny_bob), "s3:GetObject", "arn:aws:s3:::b/k", Some("alice"), Allow),
        ("identity deny beats bucket allow", AccessCheck::new() .identity_policy(&p.deny_delete) .bucket_policy(&p.bucket_public_read), "s3:DeleteObject", "arn:aws:s3:::b/k", None, ExplicitDeny),
        ("session limits bucket allow", AccessCheck::new() .bucket_policy(&p.bucket_alice_put) .session_policy(&p.session_get), "s3:PutObject", "arn:aws:s3:::b/k", Some("alice"), ImplicitDeny),
        ("session and bucket allow", AccessCheck::new() .bucket_policy(&p.bucket_public_read) .session_policy(&p.session_get), "s3:GetObject", "arn:aws:s3:::b/k", Some("alice"), Allow),
        ("nothing", AccessCheck::new(), "s3:GetObject", "arn:aws:s3:::b/k", None, ImplicitDeny),
    ];
    for (description, check, action, resource, principal, expected) in cases {
        let mut request = Request::new(action, resource, &conditions);
        if let Some(principal) = principal {
            request = request.with_principal(principal);
        }
        assert_eq!(check.evaluate(&request), expected, "{description}");
    }
}
