//! LDAP DN mappings on `IamSystem`: the policies of a login come from its DN and its groups'
//! DNs at each request (a detach takes effect at once), they survive a reopen, they hold a
//! policy against removal, and they are apart from the mappings of internal users and groups.

use std::collections::BTreeMap;

use tessera_iam::{Account, IamSystem, LDAP_GROUPS_CLAIM, MappingTarget, MappingUpdate};

const ALICE: &str = "uid=alice,ou=people,dc=tessera,dc=test";
const READERS: &str = "cn=readers,ou=groups,dc=tessera,dc=test";
const WRITERS: &str = "cn=writers,ou=groups,dc=tessera,dc=test";

mod common;

use common::open;

fn attach(iam: &IamSystem, target: MappingTarget, policy: &str) {
    iam.update_mapping(&target, &[policy.to_owned()], MappingUpdate::Attach)
        .unwrap();
}

/// An LDAP session of alice in `groups`, as the STS flow mints it, verified back.
fn session(iam: &IamSystem, groups: &[&str]) -> Account {
    let mut claims = BTreeMap::new();
    claims.insert("username".to_owned(), vec!["alice".to_owned()]);
    claims.insert(
        LDAP_GROUPS_CLAIM.to_owned(),
        groups.iter().map(|g| (*g).to_owned()).collect(),
    );
    let creds = iam
        .issue_ldap(
            ALICE.into(),
            tessera_iam::now_secs() + 600,
            claims,
            None,
            None,
        )
        .unwrap();
    iam.verify_session(&creds.access_key, &creds.session_token)
        .unwrap()
}

fn names(iam: &IamSystem, account: &Account) -> Vec<String> {
    let mut n = iam.policy_names_for(account).unwrap();
    n.sort();
    n
}

#[test]
fn a_login_gets_its_dn_and_group_mappings_live() {
    let dir = tempfile::tempdir().unwrap();
    let iam = open(dir.path());
    assert!(iam.ldap_policy_names(ALICE, &[READERS.into()]).is_empty());
    attach(&iam, MappingTarget::LdapGroup(READERS.into()), "readonly");
    attach(&iam, MappingTarget::LdapGroup(WRITERS.into()), "readwrite");
    attach(&iam, MappingTarget::LdapUser(ALICE.into()), "diagnostics");
    assert_eq!(
        iam.ldap_policy_names(ALICE, &[READERS.into()]),
        ["diagnostics", "readonly"]
    );
    let alice = session(&iam, &[READERS, WRITERS]);
    assert_eq!(
        names(&iam, &alice),
        ["diagnostics", "readonly", "readwrite"]
    );
    iam.update_mapping(
        &MappingTarget::LdapGroup(WRITERS.into()),
        &["readwrite".to_owned()],
        MappingUpdate::Detach,
    )
    .unwrap();
    assert_eq!(names(&iam, &alice), ["diagnostics", "readonly"], "live");
    // Only the groups the session carries count.
    assert_eq!(names(&iam, &session(&iam, &[])), ["diagnostics"]);
}

#[test]
fn ldap_mappings_are_kept_apart_survive_a_reopen_and_hold_their_policy() {
    let dir = tempfile::tempdir().unwrap();
    {
        let iam = open(dir.path());
        attach(&iam, MappingTarget::LdapGroup(READERS.into()), "readonly");
        iam.put_policy(
            "home",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${ldap:username}/*"}]}"#,
        )
        .unwrap();
        attach(&iam, MappingTarget::LdapUser(ALICE.into()), "home");
        let refused = iam.remove_policy("home").unwrap_err().to_string();
        assert!(refused.contains(ALICE), "{refused}");
        // An internal user named like the DN has no mapping.
        assert!(
            iam.policy_entities().is_empty(),
            "{:?}",
            iam.policy_entities()
        );
    }
    let iam = open(dir.path());
    let entities = iam.ldap_policy_entities();
    assert_eq!(entities["readonly"].groups, [READERS]);
    assert_eq!(entities["home"].users, [ALICE]);
    assert_eq!(iam.ldap_mapping(ALICE, false), ["home"]);
    assert_eq!(iam.ldap_mapping(READERS, true), ["readonly"]);
    assert!(iam.ldap_mapping(READERS, false).is_empty());
}
