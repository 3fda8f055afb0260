//! `idp-config/openid`: the configured OpenID providers through the admin API, encrypted with
//! the caller's secret, with role ARNs and claim names and never a client secret; a user
//! without `admin:ConfigUpdate` is refused.

use std::sync::Arc;

use bytes::Bytes;
use tessera_admin::{AdminApi, AdminRequest, OpenIdSummary, PayloadCipher, decrypt};
use tessera_iam::{Account, IamSystem, RedbIamStore, RootAccount, Secret};

fn api(dir: &std::path::Path) -> AdminApi {
    let store = Arc::new(RedbIamStore::open(&dir.join("iam.redb")).unwrap());
    let root = RootAccount {
        access_key: "root".into(),
        secret_key: Secret::new("root-secret-1".into()),
    };
    let iam = Arc::new(IamSystem::open(store, root).unwrap());
    iam.add_user("alice", "alice-secret-1").unwrap();
    AdminApi::new(iam, PayloadCipher::default(), 3600).with_openid(vec![
        OpenIdSummary {
            name: String::new(),
            role_arn: None,
            config_url: "http://127.0.0.1:1/.well-known/openid-configuration".into(),
            client_id: "tessera".into(),
            claim_name: "realm_access.roles".into(),
            role_policy: Vec::new(),
        },
        OpenIdSummary {
            name: "corp".into(),
            role_arn: Some("arn:minio:iam:::role/abc".into()),
            config_url: "http://127.0.0.1:2/.well-known/openid-configuration".into(),
            client_id: "corp".into(),
            claim_name: "policy".into(),
            role_policy: vec!["readonly".into()],
        },
    ])
}

fn get(command: &str, caller: Account, key: &str, secret: &str) -> AdminRequest {
    AdminRequest {
        method: "GET".into(),
        command: command.into(),
        query: Vec::new(),
        body: Bytes::new(),
        caller,
        caller_key: key.into(),
        caller_secret: Secret::new(secret.into()),
    }
}

#[tokio::test]
async fn providers_are_listed_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let api = api(dir.path());
    let listed = api
        .handle(get(
            "idp-config/openid",
            Account::Root,
            "root",
            "root-secret-1",
        ))
        .await;
    assert_eq!(listed.status, 200);
    let plain = decrypt(b"root-secret-1", &listed.body).unwrap();
    let items: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(items[0]["name"], "_");
    assert_eq!(items[0]["type"], "openid");
    assert_eq!(items[1]["roleARN"], "arn:minio:iam:::role/abc");

    let one = api
        .handle(get(
            "idp-config/openid/_",
            Account::Root,
            "root",
            "root-secret-1",
        ))
        .await;
    assert_eq!(one.status, 200);
    let text = String::from_utf8(decrypt(b"root-secret-1", &one.body).unwrap().to_vec()).unwrap();
    assert!(text.contains("realm_access.roles"), "{text}");
    assert!(!text.to_ascii_lowercase().contains("secret"), "{text}");

    let missing = api
        .handle(get(
            "idp-config/openid/nope",
            Account::Root,
            "root",
            "root-secret-1",
        ))
        .await;
    assert_eq!(missing.status, 404);

    let alice = Account::User {
        name: "alice".into(),
    };
    let refused = api
        .handle(get("idp-config/openid", alice, "alice", "alice-secret-1"))
        .await;
    assert_eq!(refused.status, 403);
}
