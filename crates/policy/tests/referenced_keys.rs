//! `Policy::references_key`: the condition keys a policy reads (in conditions and as `${…}`
//! variables), which lets the server build only those for a request. The decisive property: a
//! context cut down to the referenced keys decides every request exactly as the full one.

use tessera_policy::{AccessCheck, Conditions, Policy, Request};

const MIXED: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::home",
     "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"},
    {"Effect": "Deny", "Action": "s3:PutObject", "NotResource": "arn:aws:s3:::drop/${jwt:sub}/*"},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::office/*",
     "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                   "StringEquals": {"aws:UserAgent": "${ldap:username}-agent"}}},
    {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::tagged/*",
     "Condition": {"StringEquals": {"s3:ExistingObjectTag/Project": "x"}}}
  ]
}"#;

#[test]
fn keys_come_from_conditions_resources_and_operand_variables() {
    let policy = Policy::parse(MIXED).unwrap();
    let keys: Vec<&str> = policy.referenced_keys().collect();
    assert_eq!(
        keys,
        [
            "aws:sourceip",
            "aws:useragent",
            "aws:username",
            "jwt:sub",
            "ldap:username",
            "s3:existingobjecttag/Project",
            "s3:prefix",
        ]
    );
    assert!(policy.references_key("aws:username"));
    assert!(!policy.references_key("aws:securetransport"));
    assert!(!policy.references_key("aws:currenttime"));
}

#[test]
fn a_policy_without_conditions_or_variables_reads_no_key() {
    let readonly = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}]}"#,
    )
    .unwrap();
    assert_eq!(readonly.referenced_keys().count(), 0);
}

#[test]
fn merged_policies_read_the_union_of_their_keys() {
    let a = Policy::parse(MIXED).unwrap();
    let b = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*",
            "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
    )
    .unwrap();
    let merged = Policy::merge([&a, &b]);
    assert!(merged.references_key("aws:securetransport"));
    assert!(merged.references_key("s3:prefix"));
}

/// The full context of a request by `user`, with every key the server can set.
fn full_context(user: &str, ip: &str, secure: bool, prefix: &str) -> Conditions {
    Conditions::new()
        .with("aws:username", [user])
        .with("aws:userid", [user])
        .with("aws:principaltype", ["User"])
        .with("aws:sourceip", [ip])
        .with(
            "aws:securetransport",
            [if secure { "true" } else { "false" }],
        )
        .with("aws:useragent", ["bob-agent"])
        .with("aws:currenttime", ["2026-11-29T09:00:00Z"])
        .with("jwt:sub", [user])
        .with("ldap:username", [user])
        .with("s3:prefix", [prefix])
        .with("s3:existingobjecttag/Project", ["x"])
}

fn cut_to(policy: &Policy, full: &Conditions) -> Conditions {
    let mut cut = Conditions::new();
    for (key, values) in full.iter() {
        if policy.references_key(key) {
            cut.insert(key, values.iter().cloned());
        }
    }
    cut
}

#[test]
fn a_context_cut_to_the_referenced_keys_decides_alike() {
    let policy = Policy::parse(MIXED).unwrap();
    let mut compared = 0;
    for user in ["alice", "bob"] {
        for ip in ["10.1.2.3", "192.168.0.1"] {
            for secure in [true, false] {
                let full = full_context(user, ip, secure, "alice/");
                let cut = cut_to(&policy, &full);
                assert!(cut.len() < full.len());
                for action in ["s3:GetObject", "s3:PutObject", "s3:ListBucket"] {
                    for resource in [
                        "arn:aws:s3:::home",
                        "arn:aws:s3:::home/alice/a",
                        "arn:aws:s3:::home/bob/a",
                        "arn:aws:s3:::office/a",
                        "arn:aws:s3:::drop/alice/a",
                        "arn:aws:s3:::tagged/a",
                    ] {
                        let decide = |c: &Conditions| {
                            AccessCheck::new()
                                .identity_policies([&policy])
                                .evaluate(&Request::new(action, resource, c))
                        };
                        assert_eq!(
                            decide(&full),
                            decide(&cut),
                            "{user} {ip} {secure} {action} {resource}"
                        );
                        compared += 1;
                    }
                }
            }
        }
    }
    assert_eq!(compared, 144);
}
