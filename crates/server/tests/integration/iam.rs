//! IAM on every S3 request: users, groups and service accounts with their policies, seeded into
//! the identity store before the server starts (the admin API that changes them live comes
//! with its own tests), then exercised through aws-sdk-s3.

use std::path::Path;
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use tessera_iam::{
    IamSystem, MappingTarget, MappingUpdate, RedbIamStore, RootAccount, Secret,
    ServiceAccountRecord, Status,
};

use crate::common::{ROOT_PASSWORD, ROOT_USER, TestServer, client_for, code};

pub(crate) const HOME_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::home",
     "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
     "Resource": "arn:aws:s3:::home/${aws:username}/*"}
  ]
}"#;

const NO_DELETE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::*"}]}"#;
const GET_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}]}"#;

pub(crate) fn seed(dir: &Path, f: impl FnOnce(&IamSystem)) {
    std::fs::create_dir_all(dir.join(".tessera")).unwrap();
    let store = Arc::new(RedbIamStore::open(&dir.join(".tessera/iam.redb")).unwrap());
    let root = RootAccount {
        access_key: ROOT_USER.into(),
        secret_key: Secret::new(ROOT_PASSWORD.into()),
    };
    f(&IamSystem::open(store, root).unwrap());
}

pub(crate) fn user(iam: &IamSystem, name: &str) {
    iam.add_user(name, &format!("{name}-secret-key")).unwrap();
}

pub(crate) fn attach(iam: &IamSystem, target: MappingTarget, policy: &str) {
    iam.update_mapping(&target, &[policy.to_owned()], MappingUpdate::Attach)
        .unwrap();
}

async fn put(s3: &aws_sdk_s3::Client, key: &str) -> Result<(), String> {
    s3.put_object()
        .bucket("home")
        .key(key)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .map(drop)
        .map_err(|e| code(&e))
}

#[tokio::test]
async fn policies_decide_every_request() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    seed(&dir, |iam| {
        iam.put_policy("home", HOME_POLICY).unwrap();
        iam.put_policy("no-delete", NO_DELETE).unwrap();
        iam.put_policy("get-only", GET_ONLY).unwrap();
        for u in ["alice", "bob", "carol", "dave", "erin"] {
            user(iam, u);
        }
        iam.update_group_members("staff", &["alice".into(), "bob".into()], false)
            .unwrap();
        attach(iam, MappingTarget::Group("staff".into()), "home");
        iam.set_user_status("carol", Status::Disabled).unwrap();
        attach(iam, MappingTarget::User("dave".into()), "readonly");
        attach(iam, MappingTarget::User("erin".into()), "readwrite");
        iam.update_group_members("careful", &["erin".into()], false)
            .unwrap();
        attach(iam, MappingTarget::Group("careful".into()), "no-delete");
        iam.add_service_account(ServiceAccountRecord {
            access_key: "alice-reader".into(),
            secret_key: Secret::new("alice-reader-secret".into()),
            parent: "alice".into(),
            embedded_policy: Some(GET_ONLY.into()),
            name: None,
            description: None,
            expiration: None,
            status: Status::Enabled,
            updated: 0,
        })
        .unwrap();
    });
    let server = TestServer::start_in(&dir, &[], None);
    let root = server.client();
    root.create_bucket().bucket("home").send().await.unwrap();
    put(&root, "bob/diary.txt").await.unwrap();
    let as_user = |name: &str| client_for(&server.endpoint(), name, &format!("{name}-secret-key"));

    // The home-directory policy: alice works under alice/ and nowhere else.
    let alice = as_user("alice");
    put(&alice, "alice/notes.txt").await.unwrap();
    alice
        .get_object()
        .bucket("home")
        .key("alice/notes.txt")
        .send()
        .await
        .unwrap();
    let listed = alice
        .list_objects_v2()
        .bucket("home")
        .prefix("alice/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 1);
    assert_eq!(
        put(&alice, "bob/evil.txt").await.unwrap_err(),
        "AccessDenied"
    );
    let e = alice
        .get_object()
        .bucket("home")
        .key("bob/diary.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let e = alice
        .list_objects_v2()
        .bucket("home")
        .prefix("bob/")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let e = alice
        .list_objects_v2()
        .bucket("home")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e),
        "AccessDenied",
        "listing the whole bucket is outside alice/"
    );
    let e = alice.list_buckets().send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let e = alice
        .create_bucket()
        .bucket("mine")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");

    // DeleteObjects decides each key; a copy needs read access to its source.
    let ids = ["alice/notes.txt", "bob/diary.txt"]
        .map(|k| ObjectIdentifier::builder().key(k).build().unwrap());
    let out = alice
        .delete_objects()
        .bucket("home")
        .delete(
            Delete::builder()
                .set_objects(Some(ids.to_vec()))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.deleted()
            .iter()
            .filter_map(|d| d.key())
            .collect::<Vec<_>>(),
        ["alice/notes.txt"]
    );
    assert_eq!(
        out.errors()
            .iter()
            .filter_map(|e| e.key())
            .collect::<Vec<_>>(),
        ["bob/diary.txt"]
    );
    root.head_object()
        .bucket("home")
        .key("bob/diary.txt")
        .send()
        .await
        .unwrap();
    let e = alice
        .copy_object()
        .bucket("home")
        .key("alice/stolen.txt")
        .copy_source("home/bob/diary.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");

    // A disabled user cannot sign; readonly reads but cannot write.
    let e = as_user("carol").list_buckets().send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidAccessKeyId");
    let dave = as_user("dave");
    dave.get_object()
        .bucket("home")
        .key("bob/diary.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(put(&dave, "dave.txt").await.unwrap_err(), "AccessDenied");

    // Group policies add up, and a Deny in any of them wins.
    let erin = as_user("erin");
    put(&erin, "erin.txt").await.unwrap();
    let e = erin
        .delete_object()
        .bucket("home")
        .key("erin.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");

    // A service account gets its parent's policies narrowed by its embedded policy.
    let reader = client_for(&server.endpoint(), "alice-reader", "alice-reader-secret");
    put(&alice, "alice/again.txt").await.unwrap();
    reader
        .get_object()
        .bucket("home")
        .key("alice/again.txt")
        .send()
        .await
        .unwrap();
    let e = reader
        .get_object()
        .bucket("home")
        .key("bob/diary.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied", "the parent may not read bob/");
    assert_eq!(
        put(&reader, "alice/by-reader.txt").await.unwrap_err(),
        "AccessDenied"
    );
}
