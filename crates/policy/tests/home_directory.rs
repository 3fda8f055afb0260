//! The classic AWS home-directory policy: `s3:ListBucket` on the bucket limited by `s3:prefix`
//! to `${aws:username}/…`, object actions on `arn:aws:s3:::home/${aws:username}/*`. Alice can
//! list, get, put and delete under `alice/` and nothing under `bob/`, and the other way round.

use tessera_policy::{AccessCheck, Conditions, Decision, Policy, Request};

const HOME_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowListingOfOwnFolder",
      "Effect": "Allow",
      "Action": ["s3:ListBucket"],
      "Resource": ["arn:aws:s3:::home"],
      "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*", "${aws:username}"]}}
    },
    {
      "Sid": "AllowObjectActionsInOwnFolder",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      "Resource": ["arn:aws:s3:::home/${aws:username}/*"]
    }
  ]
}"#;

fn user(name: &str) -> Conditions {
    Conditions::new()
        .with("aws:username", [name])
        .with("aws:userid", [name])
        .with("aws:principaltype", ["User"])
}

fn list(policy: &Policy, who: &str, prefix: Option<&str>) -> Decision {
    let mut conditions = user(who);
    if let Some(prefix) = prefix {
        conditions.insert("s3:prefix", [prefix]);
    }
    policy.evaluate(&Request::new(
        "s3:ListBucket",
        "arn:aws:s3:::home",
        &conditions,
    ))
}

fn object(policy: &Policy, who: &str, action: &str, key: &str) -> Decision {
    let conditions = user(who);
    let resource = format!("arn:aws:s3:::home/{key}");
    policy.evaluate(&Request::new(action, &resource, &conditions))
}

#[test]
fn alice_lists_only_her_own_folder() {
    let policy = Policy::parse(HOME_POLICY).unwrap();
    let cases: &[(&str, Option<&str>, Decision)] = &[
        ("alice", Some("alice/"), Decision::Allow),
        ("alice", Some("alice/photos/2024/"), Decision::Allow),
        ("alice", Some("alice"), Decision::Allow),
        ("alice", Some("bob/"), Decision::ImplicitDeny),
        ("alice", Some("alice2/"), Decision::ImplicitDeny),
        ("alice", Some("alicebob/"), Decision::ImplicitDeny),
        ("alice", Some(""), Decision::ImplicitDeny),
        ("alice", None, Decision::ImplicitDeny),
        ("bob", Some("bob/"), Decision::Allow),
        ("bob", Some("alice/"), Decision::ImplicitDeny),
        // A user literally named `*` gets no wildcard powers.
        ("*", Some("alice/"), Decision::ImplicitDeny),
        ("*", Some("*/"), Decision::Allow),
    ];
    for (who, prefix, expected) in cases {
        assert_eq!(
            list(&policy, who, *prefix),
            *expected,
            "{who} listing {prefix:?}"
        );
    }
}

#[test]
fn alice_reads_and_writes_only_under_her_folder() {
    let policy = Policy::parse(HOME_POLICY).unwrap();
    let cases: &[(&str, &str, &str, Decision)] = &[
        ("alice", "s3:GetObject", "alice/notes.txt", Decision::Allow),
        (
            "alice",
            "s3:PutObject",
            "alice/photos/cat.jpg",
            Decision::Allow,
        ),
        ("alice", "s3:DeleteObject", "alice/old.txt", Decision::Allow),
        (
            "alice",
            "s3:GetObject",
            "bob/notes.txt",
            Decision::ImplicitDeny,
        ),
        (
            "alice",
            "s3:PutObject",
            "bob/evil.txt",
            Decision::ImplicitDeny,
        ),
        (
            "alice",
            "s3:DeleteObject",
            "bob/notes.txt",
            Decision::ImplicitDeny,
        ),
        (
            "alice",
            "s3:GetObject",
            "alice2/notes.txt",
            Decision::ImplicitDeny,
        ),
        ("alice", "s3:GetObject", "alice", Decision::ImplicitDeny),
        (
            "alice",
            "s3:GetObjectTagging",
            "alice/notes.txt",
            Decision::ImplicitDeny,
        ),
        ("bob", "s3:GetObject", "bob/notes.txt", Decision::Allow),
        (
            "bob",
            "s3:PutObject",
            "alice/evil.txt",
            Decision::ImplicitDeny,
        ),
        (
            "*",
            "s3:GetObject",
            "alice/notes.txt",
            Decision::ImplicitDeny,
        ),
    ];
    for (who, action, key, expected) in cases {
        assert_eq!(
            object(&policy, who, action, key),
            *expected,
            "{who} {action} {key}"
        );
    }
}

#[test]
fn a_credential_without_a_user_name_gets_nothing() {
    let policy = Policy::parse(HOME_POLICY).unwrap();
    let anonymous = Conditions::new().with("s3:prefix", ["/"]);
    assert!(
        !policy
            .evaluate(&Request::new(
                "s3:ListBucket",
                "arn:aws:s3:::home",
                &anonymous
            ))
            .is_allowed()
    );
    let literal = Conditions::new().with("s3:prefix", ["${aws:username}/"]);
    assert!(
        !policy
            .evaluate(&Request::new(
                "s3:ListBucket",
                "arn:aws:s3:::home",
                &literal
            ))
            .is_allowed()
    );
    let none = Conditions::new();
    assert!(
        !policy
            .evaluate(&Request::new(
                "s3:GetObject",
                "arn:aws:s3:::home/${aws:username}/x",
                &none
            ))
            .is_allowed()
    );
}

#[test]
fn a_session_policy_narrows_the_home_folder_to_reading() {
    let policy = Policy::parse(HOME_POLICY).unwrap();
    let read_only = Policy::parse_session(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::home*"}]}"#,
    )
    .unwrap();
    let check = AccessCheck::new()
        .identity_policy(&policy)
        .session_policy(&read_only);
    let alice = user("alice");
    let get = Request::new("s3:GetObject", "arn:aws:s3:::home/alice/notes.txt", &alice);
    let put = Request::new("s3:PutObject", "arn:aws:s3:::home/alice/notes.txt", &alice);
    let steal = Request::new("s3:GetObject", "arn:aws:s3:::home/bob/notes.txt", &alice);
    assert_eq!(check.evaluate(&get), Decision::Allow);
    assert_eq!(check.evaluate(&put), Decision::ImplicitDeny);
    assert_eq!(check.evaluate(&steal), Decision::ImplicitDeny);
}
