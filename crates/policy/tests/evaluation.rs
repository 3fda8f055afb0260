//! Evaluation tables: actions and wildcards, resources, explicit-Deny precedence,
//! NotAction / NotResource, policy variables in resources, admin / STS / KMS statements, and
//! bucket policies with principals.

mod support;

use support::{Row, context, run_rows};
use tessera_policy::Decision::{self, Allow, ExplicitDeny, ImplicitDeny};
use tessera_policy::{Policy, Request};

const NONE: &[(&str, &[&str])] = &[];
const ALICE: &[(&str, &[&str])] = &[("aws:username", &["alice"])];

const GET_B: &str =
    r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
const GET_ANY: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#;
const OBJECT_SUFFIX: &str =
    r#"{"Statement":[{"Effect":"Allow","Action":"s3:*Object","Resource":"arn:aws:s3:::*"}]}"#;
const QUESTION: &str =
    r#"{"Statement":[{"Effect":"Allow","Action":"s3:?etObject","Resource":"arn:aws:s3:::*"}]}"#;
const EVERYTHING: &str = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const STAR_ACTION_BUCKET: &str =
    r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}]}"#;
const VERSION_ALIAS: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObjectVersion","Resource":"arn:aws:s3:::b/*"}]}"#;
const LIST_B: &str =
    r#"{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}"#;
const ALL_IN_B: &str =
    r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#;
const B_PREFIX: &str =
    r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b*"}]}"#;
const ONE_CHAR: &str =
    r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a?c"}]}"#;
const LIST_ALL: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::*"}]}"#;
const TWO_RESOURCES: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::x/*","arn:aws:s3:::y/public/*"]}]}"#;
const PROTECTED: &str = r#"{"Statement":[
  {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"},
  {"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/protected/*"}]}"#;
const PROTECTED_REVERSED: &str = r#"{"Statement":[
  {"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/protected/*"},
  {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"}]}"#;
const OFFICE_ONLY: &str = r#"{"Statement":[
  {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"},
  {"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
const DENY_ONLY: &str =
    r#"{"Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::*"}]}"#;
const ALLOW_AND_DENY_SAME: &str = r#"{"Statement":[
  {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
  {"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
const NOT_DELETE_ANYWHERE: &str =
    r#"{"Statement":[{"Effect":"Allow","NotAction":"s3:DeleteObject","Resource":"*"}]}"#;
const NOT_DELETE_IN_B: &str = r#"{"Statement":[{"Effect":"Allow","NotAction":["s3:DeleteObject","s3:DeleteBucket"],"Resource":"arn:aws:s3:::b/*"}]}"#;
const ONLY_B: &str = r#"{"Statement":[
  {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"},
  {"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}"#;
const NOT_SECRET: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}]}"#;
const DENY_NOT_READ: &str = r#"{"Statement":[
  {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"},
  {"Effect":"Deny","NotAction":["s3:Get*","s3:List*"],"Resource":"arn:aws:s3:::archive/*"}]}"#;
const HOME: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}"#;
const TEAM: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::team/${aws:groups}/*"}]}"#;
const OIDC: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::oidc/${jwt:sub}/*","arn:aws:s3:::mail/${jwt:email}"]}]}"#;
const LDAP: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::ldap/${ldap:username}/*"}]}"#;
const BY_TYPE: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::types/${aws:principaltype}/*"}]}"#;
const ESCAPED: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/${*}","arn:aws:s3:::b/q${?}","arn:aws:s3:::b/${$}x"]}]}"#;
const UNKNOWN_VARIABLE: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${foo}"}]}"#;
const DENY_OWN_ARCHIVE: &str = r#"{"Statement":[
  {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"},
  {"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/archive/*"}]}"#;
const DENY_OUTSIDE_HOME: &str = r#"{"Statement":[
  {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"},
  {"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::b/${aws:username}/*"}]}"#;
const TWO_VARIABLES: &str = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::x/${aws:groups}/${jwt:groups}/*"}]}"#;
const TWO_VARIABLES_DENY: &str = r#"{"Statement":[
  {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"},
  {"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::x/${aws:groups}/${jwt:groups}/*"}]}"#;
const ADMIN_ALL: &str = r#"{"Statement":[{"Effect":"Allow","Action":["admin:*"]}]}"#;
const DIAGNOSTICS_LIKE: &str = r#"{"Statement":[{"Effect":"Allow","Action":["admin:ServerInfo"],"Resource":["arn:aws:s3:::*"]}]}"#;
const ADMIN_BUT_USERS: &str = r#"{"Statement":[
  {"Effect":"Allow","Action":"admin:*"},
  {"Effect":"Deny","Action":["admin:CreateUser","admin:DeleteUser"]}]}"#;
const ADMIN_FROM_OFFICE: &str = r#"{"Statement":[{"Effect":"Allow","Action":"admin:*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
const ADMIN_WILDCARD: &str = r#"{"Statement":[{"Effect":"Allow","Action":"admin:Server*"}]}"#;
const STS_SHORT: &str = r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Condition":{"NumericLessThanEquals":{"sts:DurationSeconds":"3600"}}}]}"#;
const KMS_ALL: &str = r#"{"Statement":[{"Effect":"Allow","Action":"kms:*"}]}"#;
const KMS_KEYS: &str = r#"{"Statement":[{"Effect":"Allow","Action":"kms:KeyStatus","Resource":"arn:minio:kms:::my-key*"}]}"#;

fn row<'a>(
    policy: &'a str,
    action: &'a str,
    resource: &'a str,
    context: &'a [(&'a str, &'a [&'a str])],
    expected: Decision,
) -> Row<'a> {
    Row {
        policy,
        action,
        resource,
        context,
        expected,
    }
}

#[test]
fn actions_and_wildcards() {
    #[rustfmt::skip]
    let rows = [
        row(GET_B, "s3:GetObject", "arn:aws:s3:::b/k", NONE, Allow),
        row(GET_B, "s3:PutObject", "arn:aws:s3:::b/k", NONE, ImplicitDeny),
        row(GET_B, "S3:GETOBJECT", "arn:aws:s3:::b/k", NONE, Allow),
        row(GET_B, "s3:GetObject", "arn:aws:s3:::c/k", NONE, ImplicitDeny),
        row(GET_B, "s3:GetObjectTagging", "arn:aws:s3:::b/k", NONE, ImplicitDeny),
        row(GET_B, "admin:ServerInfo", "", NONE, ImplicitDeny),
        row(GET_ANY, "s3:GetObjectTagging", "arn:aws:s3:::b/k", NONE, Allow),
        row(GET_ANY, "s3:GetBucketLocation", "arn:aws:s3:::b", NONE, Allow),
        row(GET_ANY, "s3:PutObject", "arn:aws:s3:::b/k", NONE, ImplicitDeny),
        row(GET_ANY, "admin:GetUser", "", NONE, ImplicitDeny),
        row(OBJECT_SUFFIX, "s3:PutObject", "arn:aws:s3:::b/k", NONE, Allow),
        row(OBJECT_SUFFIX, "s3:DeleteObject", "arn:aws:s3:::b/k", NONE, Allow),
        row(OBJECT_SUFFIX, "s3:ListBucket", "arn:aws:s3:::b", NONE, ImplicitDeny),
        row(OBJECT_SUFFIX, "s3:GetObjectTagging", "arn:aws:s3:::b/k", NONE, ImplicitDeny),
        row(QUESTION, "s3:GetObject", "arn:aws:s3:::b/k", NONE, Allow),
        row(QUESTION, "s3:PutObject", "arn:aws:s3:::b/k", NONE, ImplicitDeny),
        row(EVERYTHING, "admin:ServerInfo", "", NONE, Allow),
        row(EVERYTHING, "s3:PutObject", "arn:aws:s3:::b/k", NONE, Allow),
        row(EVERYTHING, "sts:AssumeRoleWithWebIdentity", "", NONE, Allow),
        row(EVERYTHING, "kms:CreateKey", "arn:minio:kms:::k", NONE, Allow),
        row(STAR_ACTION_BUCKET, "s3:PutObject", "arn:aws:s3:::b/k", NONE, Allow),
        row(STAR_ACTION_BUCKET, "s3:PutObject", "arn:aws:s3:::c/k", NONE, ImplicitDeny),
        row(STAR_ACTION_BUCKET, "admin:ServerInfo", "", NONE, ImplicitDeny),
        row(VERSION_ALIAS, "s3:GetObjectVersion", "arn:aws:s3:::b/k", NONE, Allow),
        row(VERSION_ALIAS, "s3:GetObject", "arn:aws:s3:::b/k", NONE, Allow),
        row(VERSION_ALIAS, "s3:GetObjectTagging", "arn:aws:s3:::b/k", NONE, ImplicitDeny),
    ];
    run_rows(&rows);
}

#[test]
fn resources() {
    #[rustfmt::skip]
    let rows = [
        row(LIST_B, "s3:ListBucket", "arn:aws:s3:::b", NONE, Allow),
        row(LIST_B, "s3:ListBucket", "arn:aws:s3:::c", NONE, ImplicitDeny),
        row(LIST_B, "s3:ListBucket", "arn:aws:s3:::bb", NONE, ImplicitDeny),
        row(LIST_B, "s3:ListBucket", "arn:aws:s3:::b/k", NONE, ImplicitDeny),
        // MinIO: in identity policies `b/*` also covers the bucket itself.
        row(ALL_IN_B, "s3:ListBucket", "arn:aws:s3:::b", NONE, Allow),
        row(ALL_IN_B, "s3:ListBucket", "arn:aws:s3:::bb", NONE, ImplicitDeny),
        row(ALL_IN_B, "s3:GetObject", "arn:aws:s3:::bb/k", NONE, ImplicitDeny),
        row(ALL_IN_B, "s3:GetObject", "arn:aws:s3:::b/deep/key/path", NONE, Allow),
        row(GET_B, "s3:GetObject", "arn:aws:s3:::b", NONE, Allow),
        row(B_PREFIX, "s3:GetObject", "arn:aws:s3:::bucket2/x", NONE, Allow),
        row(B_PREFIX, "s3:GetObject", "arn:aws:s3:::abc/x", NONE, ImplicitDeny),
        row(ONE_CHAR, "s3:GetObject", "arn:aws:s3:::b/a1c", NONE, Allow),
        row(ONE_CHAR, "s3:GetObject", "arn:aws:s3:::b/a12c", NONE, ImplicitDeny),
        row(ONE_CHAR, "s3:GetObject", "arn:aws:s3:::b/ac", NONE, ImplicitDeny),
        row(LIST_ALL, "s3:ListAllMyBuckets", "", NONE, Allow),
        row(LIST_ALL, "s3:ListAllMyBuckets", "arn:aws:s3:::", NONE, Allow),
        row(GET_B, "s3:GetObject", "arn:minio:kms:::b/k", NONE, ImplicitDeny),
        row(GET_B, "s3:GetObject", "b/k", NONE, ImplicitDeny),
        row(TWO_RESOURCES, "s3:GetObject", "arn:aws:s3:::x/a", NONE, Allow),
        row(TWO_RESOURCES, "s3:GetObject", "arn:aws:s3:::y/public/a", NONE, Allow),
        row(TWO_RESOURCES, "s3:GetObject", "arn:aws:s3:::y/private/a", NONE, ImplicitDeny),
    ];
    run_rows(&rows);
}

#[test]
fn explicit_deny_wins() {
    #[rustfmt::skip]
    let rows = [
        row(PROTECTED, "s3:DeleteObject", "arn:aws:s3:::b/protected/x", NONE, ExplicitDeny),
        row(PROTECTED, "s3:DeleteObject", "arn:aws:s3:::b/other", NONE, Allow),
        row(PROTECTED, "s3:GetObject", "arn:aws:s3:::b/protected/x", NONE, Allow),
        row(PROTECTED_REVERSED, "s3:DeleteObject", "arn:aws:s3:::b/protected/x", NONE, ExplicitDeny),
        row(PROTECTED_REVERSED, "s3:DeleteObject", "arn:aws:s3:::b/other", NONE, Allow),
        row(OFFICE_ONLY, "s3:GetObject", "arn:aws:s3:::b/k", &[("aws:SourceIp", &["8.8.8.8"])], ExplicitDeny),
        row(OFFICE_ONLY, "s3:GetObject", "arn:aws:s3:::b/k", &[("aws:SourceIp", &["10.0.0.1"])], Allow),
        row(OFFICE_ONLY, "s3:GetObject", "arn:aws:s3:::b/k", NONE, ExplicitDeny),
        row(DENY_ONLY, "s3:GetObject", "arn:aws:s3:::b/k", NONE, ImplicitDeny),
        row(DENY_ONLY, "s3:PutObject", "arn:aws:s3:::b/k", NONE, ExplicitDeny),
        row(ALLOW_AND_DENY_SAME, "s3:GetObject", "arn:aws:s3:::b/k", NONE, ExplicitDeny),
    ];
    run_rows(&rows);
}

#[test]
fn not_action_and_not_resource() {
    #[rustfmt::skip]
    let rows = [
        row(NOT_DELETE_ANYWHERE, "s3:GetObject", "arn:aws:s3:::b/k", NONE, Allow),
        row(NOT_DELETE_ANYWHERE, "s3:DeleteObject", "arn:aws:s3:::b/k", NONE, ImplicitDeny),
        row(NOT_DELETE_ANYWHERE, "admin:ServerInfo", "", NONE, Allow),
        row(NOT_DELETE_IN_B, "s3:PutObject", "arn:aws:s3:::b/k", NONE, Allow),
        row(NOT_DELETE_IN_B, "s3:DeleteObject", "arn:aws:s3:::b/k", NONE, ImplicitDeny),
        row(NOT_DELETE_IN_B, "s3:PutObject", "arn:aws:s3:::c/k", NONE, ImplicitDeny),
        row(NOT_DELETE_IN_B, "admin:ServerInfo", "", NONE, ImplicitDeny),
        row(ONLY_B, "s3:GetObject", "arn:aws:s3:::c/k", NONE, ExplicitDeny),
        row(ONLY_B, "s3:GetObject", "arn:aws:s3:::b/k", NONE, Allow),
        row(ONLY_B, "s3:ListBucket", "arn:aws:s3:::b", NONE, Allow),
        row(ONLY_B, "s3:ListBucket", "arn:aws:s3:::c", NONE, ExplicitDeny),
        row(NOT_SECRET, "s3:GetObject", "arn:aws:s3:::pub/x", NONE, Allow),
        row(NOT_SECRET, "s3:GetObject", "arn:aws:s3:::secret/x", NONE, ImplicitDeny),
        row(NOT_SECRET, "s3:PutObject", "arn:aws:s3:::pub/x", NONE, ImplicitDeny),
        row(DENY_NOT_READ, "s3:GetObject", "arn:aws:s3:::archive/x", NONE, Allow),
        row(DENY_NOT_READ, "s3:PutObject", "arn:aws:s3:::archive/x", NONE, ExplicitDeny),
        row(DENY_NOT_READ, "s3:PutObject", "arn:aws:s3:::other/x", NONE, Allow),
    ];
    run_rows(&rows);
}

#[test]
fn variables_in_resources() {
    const GROUPS: &[(&str, &[&str])] = &[("aws:groups", &["eng", "ops"])];
    const OIDC_USER: &[(&str, &[&str])] =
        &[("jwt:sub", &["abc"]), ("jwt:email", &["a@example.org"])];
    const LDAP_USER: &[(&str, &[&str])] = &[("ldap:username", &["carol"])];
    const STAR_USER: &[(&str, &[&str])] = &[("aws:username", &["*"])];
    const EMPTY_USER: &[(&str, &[&str])] = &[("aws:username", &[""])];
    const TWO_NAMES: &[(&str, &[&str])] = &[("aws:username", &["alice", "bob"])];
    const SERVICE: &[(&str, &[&str])] = &[("aws:principaltype", &["AssumedRole"])];
    let twenty: Vec<String> = (0..20).map(|i| format!("g{i}")).collect();
    let twenty: Vec<&str> = twenty.iter().map(String::as_str).collect();
    let many = [
        ("aws:groups", twenty.as_slice()),
        ("jwt:groups", twenty.as_slice()),
    ];
    let few: &[(&str, &[&str])] = &[("aws:groups", &["a", "b"]), ("jwt:groups", &["c", "d"])];
    #[rustfmt::skip]
    let rows = [
        row(HOME, "s3:GetObject", "arn:aws:s3:::home/alice/x", ALICE, Allow),
        row(HOME, "s3:GetObject", "arn:aws:s3:::home/bob/x", ALICE, ImplicitDeny),
        row(HOME, "s3:GetObject", "arn:aws:s3:::home/alice/x", NONE, ImplicitDeny),
        row(HOME, "s3:GetObject", "arn:aws:s3:::home/${aws:username}/x", NONE, ImplicitDeny),
        row(HOME, "s3:GetObject", "arn:aws:s3:::home//x", EMPTY_USER, ImplicitDeny),
        row(HOME, "s3:GetObject", "arn:aws:s3:::home/bob/x", STAR_USER, ImplicitDeny),
        row(HOME, "s3:GetObject", "arn:aws:s3:::home/*/x", STAR_USER, Allow),
        row(HOME, "s3:GetObject", "arn:aws:s3:::home/bob/x", TWO_NAMES, Allow),
        row(HOME, "s3:GetObject", "arn:aws:s3:::home/carol/x", TWO_NAMES, ImplicitDeny),
        row(TEAM, "s3:GetObject", "arn:aws:s3:::team/ops/x", GROUPS, Allow),
        row(TEAM, "s3:GetObject", "arn:aws:s3:::team/eng/x", GROUPS, Allow),
        row(TEAM, "s3:GetObject", "arn:aws:s3:::team/hr/x", GROUPS, ImplicitDeny),
        row(OIDC, "s3:PutObject", "arn:aws:s3:::oidc/abc/x", OIDC_USER, Allow),
        row(OIDC, "s3:PutObject", "arn:aws:s3:::oidc/abd/x", OIDC_USER, ImplicitDeny),
        row(OIDC, "s3:PutObject", "arn:aws:s3:::mail/a@example.org", OIDC_USER, Allow),
        row(LDAP, "s3:GetObject", "arn:aws:s3:::ldap/carol/x", LDAP_USER, Allow),
        row(LDAP, "s3:GetObject", "arn:aws:s3:::ldap/carol/x", ALICE, ImplicitDeny),
        row(BY_TYPE, "s3:GetObject", "arn:aws:s3:::types/AssumedRole/x", SERVICE, Allow),
        row(BY_TYPE, "s3:GetObject", "arn:aws:s3:::types/User/x", SERVICE, ImplicitDeny),
        row(ESCAPED, "s3:GetObject", "arn:aws:s3:::b/*", NONE, Allow),
        row(ESCAPED, "s3:GetObject", "arn:aws:s3:::b/x", NONE, ImplicitDeny),
        row(ESCAPED, "s3:GetObject", "arn:aws:s3:::b/q?", NONE, Allow),
        row(ESCAPED, "s3:GetObject", "arn:aws:s3:::b/qx", NONE, ImplicitDeny),
        row(ESCAPED, "s3:GetObject", "arn:aws:s3:::b/$x", NONE, Allow),
        row(UNKNOWN_VARIABLE, "s3:GetObject", "arn:aws:s3:::b/${foo}", NONE, Allow),
        row(UNKNOWN_VARIABLE, "s3:GetObject", "arn:aws:s3:::b/foo", NONE, ImplicitDeny),
        // A missing variable makes a Resource pattern match nothing, a NotResource pattern too.
        row(DENY_OWN_ARCHIVE, "s3:DeleteObject", "arn:aws:s3:::b/alice/archive/x", ALICE, ExplicitDeny),
        row(DENY_OWN_ARCHIVE, "s3:DeleteObject", "arn:aws:s3:::b/bob/archive/x", ALICE, Allow),
        row(DENY_OWN_ARCHIVE, "s3:DeleteObject", "arn:aws:s3:::b/alice/archive/x", NONE, Allow),
        row(DENY_OUTSIDE_HOME, "s3:GetObject", "arn:aws:s3:::b/alice/x", ALICE, Allow),
        row(DENY_OUTSIDE_HOME, "s3:GetObject", "arn:aws:s3:::b/bob/x", ALICE, ExplicitDeny),
        row(DENY_OUTSIDE_HOME, "s3:GetObject", "arn:aws:s3:::b/alice/x", NONE, ExplicitDeny),
        // Two multi-valued variables: every combination is tried…
        row(TWO_VARIABLES, "s3:GetObject", "arn:aws:s3:::x/b/c/k", few, Allow),
        row(TWO_VARIABLES, "s3:GetObject", "arn:aws:s3:::x/c/b/k", few, ImplicitDeny),
        // …up to the cap (20 × 20 > 256): then Allow fails closed and Deny applies.
        row(TWO_VARIABLES, "s3:GetObject", "arn:aws:s3:::x/g1/g2/k", &many, ImplicitDeny),
        row(TWO_VARIABLES_DENY, "s3:GetObject", "arn:aws:s3:::x/g1/g2/k", &many, ExplicitDeny),
        row(TWO_VARIABLES_DENY, "s3:GetObject", "arn:aws:s3:::elsewhere/k", &many, ExplicitDeny),
        row(TWO_VARIABLES_DENY, "s3:PutObject", "arn:aws:s3:::x/g1/g2/k", &many, Allow),
    ];
    run_rows(&rows);
}

#[test]
fn admin_sts_and_kms_statements() {
    const OFFICE: &[(&str, &[&str])] = &[("aws:SourceIp", &["10.2.3.4"])];
    const HOME_IP: &[(&str, &[&str])] = &[("aws:SourceIp", &["192.0.2.1"])];
    #[rustfmt::skip]
    let rows = [
        row(ADMIN_ALL, "admin:ServerInfo", "", NONE, Allow),
        row(ADMIN_ALL, "admin:ServerInfo", "arn:aws:s3:::anything", NONE, Allow),
        row(ADMIN_ALL, "s3:GetObject", "arn:aws:s3:::b/k", NONE, ImplicitDeny),
        row(ADMIN_ALL, "kms:CreateKey", "", NONE, ImplicitDeny),
        row(DIAGNOSTICS_LIKE, "admin:ServerInfo", "", NONE, Allow),
        row(DIAGNOSTICS_LIKE, "admin:ServerInfo", "arn:minio:kms:::x", NONE, Allow),
        row(DIAGNOSTICS_LIKE, "admin:ServerTrace", "", NONE, ImplicitDeny),
        row(ADMIN_BUT_USERS, "admin:CreateUser", "", NONE, ExplicitDeny),
        row(ADMIN_BUT_USERS, "admin:DeleteUser", "", NONE, ExplicitDeny),
        row(ADMIN_BUT_USERS, "admin:ListUsers", "", NONE, Allow),
        row(ADMIN_FROM_OFFICE, "admin:ServerInfo", "", OFFICE, Allow),
        row(ADMIN_FROM_OFFICE, "admin:ServerInfo", "", HOME_IP, ImplicitDeny),
        row(ADMIN_WILDCARD, "admin:ServerInfo", "", NONE, Allow),
        row(ADMIN_WILDCARD, "admin:ServerTrace", "", NONE, Allow),
        row(ADMIN_WILDCARD, "admin:ConfigUpdate", "", NONE, ImplicitDeny),
        row(STS_SHORT, "sts:AssumeRoleWithWebIdentity", "", &[("sts:DurationSeconds", &["3600"])], Allow),
        row(STS_SHORT, "sts:AssumeRoleWithWebIdentity", "", &[("sts:DurationSeconds", &["7200"])], ImplicitDeny),
        row(STS_SHORT, "sts:AssumeRoleWithWebIdentity", "", NONE, ImplicitDeny),
        row(KMS_ALL, "kms:CreateKey", "", NONE, Allow),
        row(KMS_ALL, "kms:CreateKey", "arn:minio:kms:::anything", NONE, Allow),
        row(KMS_ALL, "admin:ServerInfo", "", NONE, ImplicitDeny),
        row(KMS_KEYS, "kms:KeyStatus", "arn:minio:kms:::my-key-1", NONE, Allow),
        row(KMS_KEYS, "kms:KeyStatus", "arn:minio:kms:::other", NONE, ImplicitDeny),
        row(KMS_KEYS, "kms:KeyStatus", "", NONE, Allow),
        row(KMS_KEYS, "kms:CreateKey", "arn:minio:kms:::my-key-1", NONE, ImplicitDeny),
    ];
    run_rows(&rows);
}

#[test]
fn canned_policies_decide_as_minio_does() {
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, Decision)] = &[
        ("readwrite", "s3:PutObject", "arn:aws:s3:::b/k", Allow),
        ("readwrite", "s3:DeleteBucket", "arn:aws:s3:::b", Allow),
        ("readwrite", "admin:ServerInfo", "", ImplicitDeny),
        ("readonly", "s3:GetObject", "arn:aws:s3:::b/k", Allow),
        ("readonly", "s3:GetBucketLocation", "arn:aws:s3:::b", Allow),
        ("readonly", "s3:PutObject", "arn:aws:s3:::b/k", ImplicitDeny),
        ("readonly", "s3:ListBucket", "arn:aws:s3:::b", ImplicitDeny),
        ("writeonly", "s3:PutObject", "arn:aws:s3:::b/k", Allow),
        ("writeonly", "s3:GetObject", "arn:aws:s3:::b/k", ImplicitDeny),
        ("diagnostics", "admin:Profiling", "", Allow),
        ("diagnostics", "admin:Prometheus", "", Allow),
        ("diagnostics", "admin:OBDInfo", "", Allow),
        ("diagnostics", "admin:CreateUser", "", ImplicitDeny),
        ("diagnostics", "s3:GetObject", "arn:aws:s3:::b/k", ImplicitDeny),
        ("consoleAdmin", "admin:CreateUser", "", Allow),
        ("consoleAdmin", "kms:CreateKey", "", Allow),
        ("consoleAdmin", "s3:DeleteObject", "arn:aws:s3:::b/k", Allow),
        ("consoleAdmin", "sts:AssumeRoleWithWebIdentity", "", ImplicitDeny),
    ];
    let conditions = context(NONE);
    for (name, action, resource, expected) in cases {
        let policy = tessera_policy::canned_policy(name).expect("canned policy exists");
        assert_eq!(
            policy.evaluate(&Request::new(action, resource, &conditions)),
            *expected,
            "{name}: {action} on {resource}"
        );
    }
}

#[test]
fn bucket_policies_match_the_principal() {
    const PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    const FOR_ALICE: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["alice"]},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}"#;
    const ARN_PATTERN: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:user/a*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    const ALL_BUT_BOB: &str = r#"{"Statement":[
      {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
      {"Effect":"Deny","Principal":{"AWS":["bob"]},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    const OBJECTS_ONLY: &str = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:*"],"Resource":"arn:aws:s3:::b/*"}]}"#;
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, Option<&str>, Decision)] = &[
        (PUBLIC_READ, "s3:GetObject", "arn:aws:s3:::b/k", None, Allow),
        (PUBLIC_READ, "s3:GetObject", "arn:aws:s3:::b/k", Some("alice"), Allow),
        (PUBLIC_READ, "s3:PutObject", "arn:aws:s3:::b/k", None, ImplicitDeny),
        (PUBLIC_READ, "s3:GetObject", "arn:aws:s3:::c/k", None, ImplicitDeny),
        (FOR_ALICE, "s3:GetObject", "arn:aws:s3:::b/k", Some("alice"), Allow),
        (FOR_ALICE, "s3:ListBucket", "arn:aws:s3:::b", Some("alice"), Allow),
        (FOR_ALICE, "s3:GetObject", "arn:aws:s3:::b/k", Some("bob"), ImplicitDeny),
        (FOR_ALICE, "s3:GetObject", "arn:aws:s3:::b/k", None, ImplicitDeny),
        (ARN_PATTERN, "s3:GetObject", "arn:aws:s3:::b/k", Some("arn:aws:iam::1:user/alice"), Allow),
        (ARN_PATTERN, "s3:GetObject", "arn:aws:s3:::b/k", Some("arn:aws:iam::1:user/bob"), ImplicitDeny),
        (ALL_BUT_BOB, "s3:DeleteObject", "arn:aws:s3:::b/k", Some("bob"), ExplicitDeny),
        (ALL_BUT_BOB, "s3:DeleteObject", "arn:aws:s3:::b/k", Some("alice"), Allow),
        (ALL_BUT_BOB, "s3:DeleteObject", "arn:aws:s3:::b/k", None, Allow),
        // Bucket policies do not apply MinIO's identity-policy `bucket/` rule.
        (OBJECTS_ONLY, "s3:ListBucket", "arn:aws:s3:::b", None, ImplicitDeny),
        (OBJECTS_ONLY, "s3:GetObject", "arn:aws:s3:::b/k", None, Allow),
    ];
    let conditions = context(NONE);
    for (index, (text, action, resource, principal, expected)) in cases.iter().enumerate() {
        let policy = Policy::parse_bucket(text).unwrap_or_else(|e| panic!("case {index}: {e}"));
        let mut request = Request::new(action, resource, &conditions);
        if let Some(principal) = principal {
            request = request.with_principal(principal);
        }
        assert_eq!(
            policy.evaluate(&request),
            *expected,
            "case {index}: {action} on {resource} by {principal:?}"
        );
    }
}
