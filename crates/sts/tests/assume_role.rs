//! AssumeRole and GetCallerIdentity through `Sts::handle`, over a real identity store in a
//! temporary directory: the duration rules, the caller rules, the envelope, and that the
//! credentials it returns verify.

use std::sync::Arc;

use tessera_iam::{Account, IamSystem, RedbIamStore, RootAccount, Secret};
use tessera_idp::openid::Providers;
use tessera_sts::{Caller, DurationBounds, Sts, StsConfig, StsRequest};

fn iam(dir: &std::path::Path) -> Arc<IamSystem> {
    let store = Arc::new(RedbIamStore::open(&dir.join("iam.redb")).unwrap());
    let root = RootAccount {
        access_key: "rootkey".into(),
        secret_key: Secret::new("root-secret-1".into()),
    };
    let iam = Arc::new(IamSystem::open(store, root).unwrap());
    iam.add_user("alice", "alice-secret-1").unwrap();
    iam
}

/// Who signed a request, as the front end reports it.
type SignedBy = Option<Result<Caller, String>>;

fn caller(account: Account, service: &str) -> SignedBy {
    Some(Ok(Caller {
        access_key: "alice".into(),
        account,
        service: service.into(),
        region: "us-east-1".into(),
    }))
}

fn alice() -> Account {
    Account::User {
        name: "alice".into(),
    }
}

fn no_providers() -> Arc<Providers> {
    Arc::new(Providers::none())
}

fn call(sts: &Sts, body: &str, caller: SignedBy) -> (u16, String) {
    let request = StsRequest {
        query: None,
        body: body.as_bytes(),
        caller,
        has_session_token: false,
        request_id: "REQ1",
    };
    let answer = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(sts.handle(&request));
    (answer.status, answer.body)
}

fn code(body: &str) -> &str {
    body.split("<Code>")
        .nth(1)
        .and_then(|rest| rest.split("</Code>").next())
        .unwrap_or("")
}

/// The value of `<name>` in an answer.
fn element<'a>(body: &'a str, name: &str) -> &'a str {
    body.split(&format!("<{name}>"))
        .nth(1)
        .and_then(|rest| rest.split(&format!("</{name}>")).next())
        .unwrap_or("")
}

#[test]
fn durations_follow_the_configured_bounds_and_the_override() {
    let dir = tempfile::tempdir().unwrap();
    let sts = Sts::new(iam(dir.path()), StsConfig::default(), no_providers());
    let ask = |d: &str| {
        call(
            &sts,
            &format!("Action=AssumeRole&Version=2011-06-15&DurationSeconds={d}"),
            caller(alice(), "sts"),
        )
    };
    for bad in [
        "899",
        "31536001",
        "abc",
        "-1",
        "1e3",
        " 900",
        "99999999999999999999",
    ] {
        let (status, body) = ask(bad);
        assert_eq!(
            (status, code(&body)),
            (400, "InvalidParameterValue"),
            "{bad}"
        );
        assert!(!body.contains("<Credentials>"));
    }
    for good in ["900", "3600", "31536000"] {
        assert_eq!(ask(good).0, 200, "{good}");
    }

    let dir = tempfile::tempdir().unwrap();
    let overridden = Sts::new(
        iam(dir.path()),
        StsConfig {
            durations: DurationBounds {
                min_secs: 1,
                max_secs: 86_400,
            },
            duration_override_secs: Some(7200),
            region: None,
        },
        no_providers(),
    );
    let (status, body) = call(
        &overridden,
        "Action=AssumeRole&Version=2011-06-15&DurationSeconds=5",
        caller(alice(), "sts"),
    );
    assert_eq!(status, 200);
    let expiration = time::OffsetDateTime::parse(
        element(&body, "Expiration"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let lifetime = expiration - time::OffsetDateTime::now_utc();
    assert!(
        (7100..=7200).contains(&lifetime.whole_seconds()),
        "MINIO_STS_DURATION wins: {lifetime}"
    );
}

#[test]
fn the_answer_is_minio_shaped_and_its_credentials_verify() {
    let dir = tempfile::tempdir().unwrap();
    let iam = iam(dir.path());
    let sts = Sts::new(Arc::clone(&iam), StsConfig::default(), no_providers());
    let (status, body) = call(
        &sts,
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Axxx&RoleSessionName=s",
        caller(alice(), "sts"),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><AssumedRoleUser><Arn></Arn><AssumeRoleId></AssumeRoleId></AssumedRoleUser><Credentials><AccessKeyId>ASIA"
    ));
    assert!(body.ends_with(
        "</Credentials></AssumeRoleResult><ResponseMetadata><RequestId>REQ1</RequestId></ResponseMetadata></AssumeRoleResponse>"
    ));
    let access_key = element(&body, "AccessKeyId");
    let secret = element(&body, "SecretAccessKey");
    let token = element(&body, "SessionToken");
    assert_eq!(iam.temporary_secret(access_key).unwrap().expose(), secret);
    let Account::Temporary(session) = iam.verify_session(access_key, token).unwrap() else {
        panic!("a temporary account")
    };
    assert_eq!(session.claims.parent, "alice");
}

#[test]
fn callers_and_requests_that_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sts = Sts::new(
        iam(dir.path()),
        StsConfig {
            region: Some("eu-west-1".into()),
            ..StsConfig::default()
        },
        no_providers(),
    );
    let body = "Action=AssumeRole&Version=2011-06-15";
    let eu = |account: Account, service: &str| {
        Some(Ok(Caller {
            access_key: "alice".into(),
            account,
            service: service.into(),
            region: "eu-west-1".into(),
        }))
    };
    let cases: Vec<(&str, SignedBy, &str, u16, &str)> = vec![
        ("unsigned", None, body, 400, "InvalidParameterValue"),
        (
            "signed for s3",
            eu(alice(), "s3"),
            body,
            403,
            "AccessDenied",
        ),
        (
            "other region",
            caller(alice(), "sts"),
            body,
            403,
            "AccessDenied",
        ),
        (
            "refused key",
            Some(Err("the access key is disabled".into())),
            body,
            403,
            "AccessDenied",
        ),
        (
            "service account",
            eu(
                Account::ServiceAccount {
                    access_key: "svc".into(),
                    parent: "alice".into(),
                    embedded_policy: None,
                },
                "sts",
            ),
            body,
            403,
            "AccessDenied",
        ),
        (
            "no version",
            eu(alice(), "sts"),
            "Action=AssumeRole",
            400,
            "MissingParameter",
        ),
        (
            "old version",
            eu(alice(), "sts"),
            "Action=AssumeRole&Version=2010-01-01",
            400,
            "MissingParameter",
        ),
        (
            "no action",
            eu(alice(), "sts"),
            "Version=2011-06-15",
            400,
            "InvalidParameterValue",
        ),
        (
            "unknown action",
            eu(alice(), "sts"),
            "Action=GetSessionToken&Version=2011-06-15",
            400,
            "InvalidParameterValue",
        ),
        (
            "policy not JSON",
            eu(alice(), "sts"),
            "Action=AssumeRole&Version=2011-06-15&Policy=%7Bnot",
            400,
            "InvalidParameterValue",
        ),
        (
            "policy with a principal",
            eu(alice(), "sts"),
            "Action=AssumeRole&Version=2011-06-15&Policy=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%22*%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D",
            400,
            "InvalidParameterValue",
        ),
    ];
    for (name, caller, body, status, expected) in cases {
        let (got_status, got) = call(&sts, body, caller);
        assert_eq!(
            (got_status, code(&got)),
            (status, expected),
            "{name}: {got}"
        );
        assert!(!got.contains("<Credentials>"), "{name}");
        assert!(got.contains("<Type></Type>"), "{name}");
    }
    // The region rule passes the right region.
    assert_eq!(call(&sts, body, eu(alice(), "sts")).0, 200);
}

#[test]
fn get_caller_identity_names_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    let sts = Sts::new(iam(dir.path()), StsConfig::default(), no_providers());
    let (status, body) = call(
        &sts,
        "Action=GetCallerIdentity&Version=2011-06-15",
        caller(alice(), "sts"),
    );
    assert_eq!(status, 200);
    assert_eq!(
        element(&body, "Arn"),
        "arn:aws:iam::000000000000:user/alice"
    );
    assert_eq!(element(&body, "UserId"), "alice");
    assert_eq!(element(&body, "Account"), "000000000000");
    let (status, body) = call(&sts, "Action=GetCallerIdentity&Version=2011-06-15", None);
    assert_eq!((status, code(&body)), (403, "AccessDenied"));
}
