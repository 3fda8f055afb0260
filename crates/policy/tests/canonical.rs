//! Canonical JSON: the normalised form round-trips, is idempotent, orders and deduplicates
//! as documented, escapes like Go, and is what the 2048-byte session-policy limit measures.
//! Merging policies (MinIO's `MergePolicies`).

use tessera_policy::{
    CANNED_POLICY_NAMES, Conditions, MAX_SESSION_POLICY_BYTES, Policy, PolicyError, PolicyKind,
    Request, canned_policy_json, evaluate_all,
};

const DOCUMENTS: &[(&str, PolicyKind)] = &[
    (
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
        PolicyKind::Identity,
    ),
    (
        r#"{"Version":"2012-10-17","Id":"home","Statement":[
          {"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::home",
           "Condition":{"StringLike":{"s3:prefix":["${aws:username}/*","${aws:username}"]}}},
          {"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::home/${aws:username}/*"},
          {"Effect":"Deny","NotAction":["s3:Get*"],"NotResource":["arn:aws:s3:::home/*"]}]}"#,
        PolicyKind::Identity,
    ),
    (
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
          "IpAddress":{"aws:SourceIp":["10.1.2.3/8","2001:db8::1/32","192.0.2.7"]},
          "Null":{"aws:username":"false"},
          "Bool":{"aws:SecureTransport":true},
          "NumericLessThan":{"s3:max-keys":[100,"50"]},
          "DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"},
          "ForAnyValue:StringEqualsIgnoreCase":{"aws:groups":["Eng","OPS"]},
          "ArnLikeIfExists":{"jwt:role_arn":"arn:aws:iam::*:role/x"},
          "BinaryEquals":{"aws:userid":"aGVsbG8="}}}]}"#,
        PolicyKind::Identity,
    ),
    (
        r#"{"Statement":[{"Effect":"Allow","Action":"admin:*"},{"Effect":"Allow","Action":"kms:KeyStatus","Resource":"arn:minio:kms:::k*"}]}"#,
        PolicyKind::Identity,
    ),
    (
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Public","Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]},
          {"Effect":"Deny","Principal":{"AWS":["bob","alice"]},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        PolicyKind::Bucket,
    ),
    (
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
        PolicyKind::Session,
    ),
];

#[test]
fn canonical_form_round_trips_and_is_idempotent() {
    for (index, (text, kind)) in DOCUMENTS.iter().enumerate() {
        let policy =
            Policy::parse_as(text, *kind).unwrap_or_else(|e| panic!("document {index}: {e}"));
        let canonical = policy.to_canonical_json();
        let again = Policy::parse_as(&canonical, *kind)
            .unwrap_or_else(|e| panic!("document {index} canonical: {e}\n{canonical}"));
        assert_eq!(
            again, policy,
            "document {index} does not round-trip:\n{canonical}"
        );
        assert_eq!(
            again.to_canonical_json(),
            canonical,
            "document {index} is not idempotent"
        );
        assert_eq!(policy.to_string(), canonical);
        assert!(
            !canonical.contains(char::is_whitespace),
            "document {index} canonical form has whitespace: {canonical}"
        );
    }
}

#[test]
fn canonical_form_is_exactly_as_documented() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{ "Statement" : [ { "Effect":"Allow", "Resource":"*", "Action":"s3:GetObject" } ] }"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]}"#,
        ),
        (
            r#"{"id":"p","Statement":[{"Sid":"a<b>&c","Effect":"Deny","Action":["s3:PutObject","s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::z/*","arn:aws:s3:::a/*"]}]}"#,
            r#"{"ID":"p","Version":"2012-10-17","Statement":[{"Sid":"a\u003cb\u003e\u0026c","Effect":"Deny","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::a/*","arn:aws:s3:::z/*"]}]}"#,
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":["b","a"]},"IpAddress":{"AWS:SOURCEIP":"10.1.2.3/8"},"Null":{"aws:userid":"true"}}}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["*"],"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8"]},"Null":{"aws:userid":[true]},"StringEquals":{"aws:username":["a","b"]}}}]}"#,
        ),
        (
            r#"{"Statement":[{"Sid":"one","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"two","Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"one","Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]}"#,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(Policy::parse(input).unwrap().to_canonical_json(), *expected);
    }
}

#[test]
fn canned_documents_are_canonical() {
    for name in CANNED_POLICY_NAMES {
        let text = canned_policy_json(name).unwrap();
        assert_eq!(
            Policy::parse(text).unwrap().to_canonical_json(),
            text,
            "{name}"
        );
    }
    assert_eq!(
        canned_policy_json("readonly").unwrap(),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetObject"],"Resource":["arn:aws:s3:::*"]}]}"#
    );
}

/// A session policy whose canonical form is `len` bytes (padding goes into the Sid).
fn session_policy_of_canonical_length(len: usize) -> String {
    let template = |sid: &str| {
        format!(
            "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\"Sid\": \"{sid}\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/*\"}}\n  ]\n}}"
        )
    };
    let base = Policy::parse(&template("x"))
        .unwrap()
        .to_canonical_json()
        .len()
        - 1;
    template(&"x".repeat(len - base))
}

#[test]
fn session_policy_limit_is_measured_after_normalisation() {
    let at_limit = session_policy_of_canonical_length(MAX_SESSION_POLICY_BYTES);
    let policy = Policy::parse_session(&at_limit).unwrap();
    assert_eq!(policy.to_canonical_json().len(), MAX_SESSION_POLICY_BYTES);
    assert!(
        at_limit.len() > MAX_SESSION_POLICY_BYTES,
        "the raw text is longer than the canonical form"
    );

    let over = session_policy_of_canonical_length(MAX_SESSION_POLICY_BYTES + 1);
    assert_eq!(
        Policy::parse_session(&over).unwrap_err(),
        PolicyError::SessionPolicyTooLarge {
            size: MAX_SESSION_POLICY_BYTES + 1,
            limit: MAX_SESSION_POLICY_BYTES
        }
    );
    // The same document is a fine identity policy.
    assert!(Policy::parse(&over).is_ok());
}

#[test]
fn merging_concatenates_and_drops_duplicates() {
    let a = Policy::parse(r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]}"#).unwrap();
    let b = Policy::parse(r#"{"Statement":[{"Sid":"B","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#).unwrap();
    let merged = Policy::merge([&a, &b]);
    assert_eq!(merged.statement_count(), 3);
    assert_eq!(
        merged.to_canonical_json(),
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]},{"Effect":"Deny","Action":["s3:DeleteObject"],"Resource":["arn:aws:s3:::b/*"]},{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["*"]}]}"#
    );
    let conditions = Conditions::new();
    for action in [
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:ListBucket",
    ] {
        let request = Request::new(action, "arn:aws:s3:::b/k", &conditions);
        assert_eq!(
            merged.evaluate(&request),
            evaluate_all([&a, &b], &request),
            "{action}"
        );
    }
    let nothing = Policy::merge([]);
    assert!(nothing.is_empty());
    assert!(
        !nothing
            .evaluate(&Request::new(
                "s3:GetObject",
                "arn:aws:s3:::b/k",
                &conditions
            ))
            .is_allowed()
    );
    assert_eq!(
        Policy::merge([&a]).to_canonical_json(),
        a.to_canonical_json()
    );
}
