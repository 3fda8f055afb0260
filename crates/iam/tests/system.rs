//! `IamSystem` over the embedded store: every rule a change must pass, what survives a reopen,
//! and that concurrent changes lose nothing.

use std::sync::Arc;

use tessera_iam::{
    Account, IamError, IamSystem, KeyLookup, MappingTarget, MappingUpdate, Secret,
    ServiceAccountRecord, Status,
};

mod common;

use common::open;

fn policies(iam: &IamSystem, user: &str) -> Vec<String> {
    let mut p = iam
        .policy_names_for(&Account::User { name: user.into() })
        .unwrap();
    p.sort();
    p
}

fn sa(access_key: &str, parent: &str) -> ServiceAccountRecord {
    ServiceAccountRecord {
        access_key: access_key.into(),
        secret_key: Secret::new("svcsecret123".into()),
        parent: parent.into(),
        embedded_policy: None,
        name: None,
        description: None,
        expiration: None,
        status: Status::Enabled,
        updated: 0,
    }
}

#[test]
fn users_keys_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(dir.path());
    iam.add_user("alice", "alice-secret").unwrap();
    match iam.lookup("alice") {
        KeyLookup::Active {
            account: Account::User { name },
            secret,
        } => {
            assert_eq!(name, "alice");
            assert!(secret.ct_eq("alice-secret"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        iam.lookup("rootuser"),
        KeyLookup::Active {
            account: Account::Root,
            ..
        }
    ));
    assert!(matches!(iam.lookup("nobody"), KeyLookup::Unknown));

    iam.set_user_status("alice", Status::Disabled).unwrap();
    assert!(matches!(iam.lookup("alice"), KeyLookup::Disabled));
    // Changing the secret keeps the status.
    iam.add_user("alice", "alice-secret-2").unwrap();
    assert!(matches!(iam.lookup("alice"), KeyLookup::Disabled));
    iam.set_user_status("alice", Status::Enabled).unwrap();
    assert!(matches!(iam.lookup("alice"), KeyLookup::Active { .. }));

    for (ak, sk, why) in [
        ("rootuser", "whatever-secret", "root"),
        ("ab", "long-enough-secret", "3 to 128"),
        ("bob", "short", "8 to 128"),
        ("ASIAEXAMPLE", "long-enough-secret", "reserved"),
        ("bad name", "long-enough-secret", "spaces"),
    ] {
        match iam.add_user(ak, sk) {
            Err(IamError::InvalidArgument(m)) => assert!(m.contains(why), "{ak}: {m}"),
            other => panic!("{ak}: expected InvalidArgument, got {other:?}"),
        }
    }
    assert!(matches!(
        iam.set_user_status("ghost", Status::Enabled),
        Err(IamError::NoSuchUser(_))
    ));
    assert_eq!(iam.list_users().len(), 1);
}

#[test]
fn groups_and_mappings_resolve_live() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(dir.path());
    iam.add_user("alice", "alice-secret").unwrap();
    iam.put_policy(
        "photos-rw",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::photos/*"}]}"#,
    )
    .unwrap();
    let err = iam.put_policy(
        "broken",
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObjcet","Resource":"*"}]}"#,
    );
    assert!(matches!(err, Err(IamError::InvalidPolicy(_))), "{err:?}");
    assert!(matches!(
        iam.update_mapping(
            &MappingTarget::User("alice".into()),
            &["nope".into()],
            MappingUpdate::Attach
        ),
        Err(IamError::NoSuchPolicy(_))
    ));
    iam.update_mapping(
        &MappingTarget::User("alice".into()),
        &["readonly".into()],
        MappingUpdate::Attach,
    )
    .unwrap();
    iam.update_group_members("editors", &["alice".into()], false)
        .unwrap();
    iam.update_mapping(
        &MappingTarget::Group("editors".into()),
        &["photos-rw".into()],
        MappingUpdate::Attach,
    )
    .unwrap();
    assert_eq!(policies(&iam, "alice"), ["photos-rw", "readonly"]);

    iam.set_group_status("editors", Status::Disabled).unwrap();
    assert_eq!(policies(&iam, "alice"), ["readonly"]);
    iam.set_group_status("editors", Status::Enabled).unwrap();

    let err = iam.remove_policy("photos-rw").unwrap_err();
    assert!(err.to_string().contains("group `editors`"), "{err}");
    assert!(matches!(
        iam.remove_policy("readonly"),
        Err(IamError::BuiltinPolicy(_))
    ));
    assert!(matches!(
        iam.put_policy("readwrite", "{}"),
        Err(IamError::BuiltinPolicy(_))
    ));

    let after = iam
        .update_mapping(
            &MappingTarget::Group("editors".into()),
            &["photos-rw".into()],
            MappingUpdate::Detach,
        )
        .unwrap();
    assert!(after.is_empty());
    assert!(
        iam.update_mapping(
            &MappingTarget::Group("editors".into()),
            &["photos-rw".into()],
            MappingUpdate::Detach
        )
        .is_err()
    );
    iam.remove_policy("photos-rw").unwrap();
    assert_eq!(policies(&iam, "alice"), ["readonly"]);

    let set = iam
        .update_mapping(
            &MappingTarget::User("alice".into()),
            &["readwrite".into()],
            MappingUpdate::Replace,
        )
        .unwrap();
    assert_eq!(set, ["readwrite"]);

    assert!(matches!(
        iam.update_group_members("editors", &[], true),
        Err(IamError::GroupNotEmpty(_))
    ));
    iam.update_group_members("editors", &["alice".into()], true)
        .unwrap();
    iam.update_group_members("editors", &[], true).unwrap();
    assert!(iam.list_groups().is_empty());
    assert!(matches!(
        iam.update_group_members("team", &["ghost".into()], false),
        Err(IamError::NoSuchUser(_))
    ));
    assert!(iam.policy_names_for(&Account::Root).is_none());
}

#[test]
fn service_accounts_follow_their_parent() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(dir.path());
    iam.add_user("alice", "alice-secret").unwrap();
    iam.update_mapping(
        &MappingTarget::User("alice".into()),
        &["readonly".into()],
        MappingUpdate::Attach,
    )
    .unwrap();
    iam.add_service_account(sa("alice-app", "alice")).unwrap();
    match iam.lookup("alice-app") {
        KeyLookup::Active { account, .. } => {
            assert_eq!(iam.policy_names_for(&account).unwrap(), ["readonly"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        iam.add_service_account(sa("alice", "alice")),
        Err(IamError::AccessKeyInUse(_))
    ));
    assert!(matches!(
        iam.add_service_account(sa("orphan-key", "ghost")),
        Err(IamError::NoSuchUser(_))
    ));
    let mut expired = sa("old-key", "alice");
    expired.expiration = Some(1);
    assert!(iam.add_service_account(expired).is_err());

    iam.set_user_status("alice", Status::Disabled).unwrap();
    assert!(
        matches!(iam.lookup("alice-app"), KeyLookup::Disabled),
        "a disabled parent disables its keys"
    );
    iam.set_user_status("alice", Status::Enabled).unwrap();
    iam.update_service_account("alice-app", |s| s.status = Status::Disabled)
        .unwrap();
    assert!(matches!(iam.lookup("alice-app"), KeyLookup::Disabled));

    iam.add_service_account(sa("root-app", "rootuser")).unwrap();
    let KeyLookup::Active { account, .. } = iam.lookup("root-app") else {
        panic!()
    };
    assert!(
        iam.policy_names_for(&account).is_none(),
        "a root service account is the owner"
    );

    iam.remove_user("alice").unwrap();
    assert!(
        matches!(iam.lookup("alice-app"), KeyLookup::Unknown),
        "removing a user removes its service accounts"
    );
}

#[test]
fn everything_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let iam = open(dir.path());
        iam.add_user("alice", "alice-secret").unwrap();
        iam.put_policy("p1", r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#).unwrap();
        iam.update_group_members("g", &["alice".into()], false)
            .unwrap();
        iam.update_mapping(
            &MappingTarget::Group("g".into()),
            &["p1".into()],
            MappingUpdate::Attach,
        )
        .unwrap();
        iam.add_service_account(sa("alice-app", "alice")).unwrap();
        iam.set_user_status("alice", Status::Disabled).unwrap();
    }
    let iam = open(dir.path());
    assert!(matches!(iam.lookup("alice"), KeyLookup::Disabled));
    assert_eq!(iam.user_info("alice").unwrap().groups, ["g"]);
    assert_eq!(iam.group_info("g").unwrap().1, ["p1"]);
    assert!(iam.service_account("alice-app").is_some());
    assert!(iam.policy("p1").unwrap().document.contains("s3:GetObject"));
    assert_eq!(
        iam.policies_for(&Account::User {
            name: "alice".into()
        })
        .unwrap()
        .len(),
        1
    );
}

#[test]
fn concurrent_changes_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let iam = Arc::new(open(dir.path()));
    for i in 0..16 {
        iam.add_user(&format!("user{i:02}"), "user-secret-1")
            .unwrap();
    }
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let iam = Arc::clone(&iam);
            std::thread::spawn(move || {
                iam.update_group_members("crowd", &[format!("user{i:02}")], false)
                    .unwrap();
                iam.set_user_status(&format!("user{i:02}"), Status::Disabled)
                    .unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(iam.group_info("crowd").unwrap().0.members.len(), 16);
    drop(iam);
    let iam = open(dir.path());
    assert_eq!(iam.group_info("crowd").unwrap().0.members.len(), 16);
    assert!(
        iam.list_users()
            .iter()
            .all(|u| u.status == Status::Disabled)
    );
}
