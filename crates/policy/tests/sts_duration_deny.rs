//! The deny-only check STS makes before issuing web-identity credentials: a policy may cap the
//! requested lifetime with `sts:DurationSeconds` on the action `sts:AssumeRoleWithWebIdentity`.

use tessera_policy::{Conditions, Decision, Policy, Request};

#[test]
fn a_deny_on_sts_duration_seconds_caps_the_lifetime() {
    let policy = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"},
            {"Effect":"Deny","Action":"sts:AssumeRoleWithWebIdentity",
             "Condition":{"NumericGreaterThan":{"sts:DurationSeconds":"3600"}}}]}"#,
    )
    .unwrap();
    let decide = |secs: Option<&str>| {
        let mut c = Conditions::new();
        if let Some(s) = secs {
            c.insert("sts:DurationSeconds", [s]);
        }
        policy.evaluate(&Request::new("sts:AssumeRoleWithWebIdentity", "", &c))
    };
    assert_eq!(decide(Some("7200")), Decision::ExplicitDeny);
    assert_ne!(decide(Some("900")), Decision::ExplicitDeny);
    assert_ne!(decide(None), Decision::ExplicitDeny);
}
