//! Every condition operator, its `…IfExists` form and the `ForAnyValue:` / `ForAllValues:` set
//! forms, one table row per (condition, request context, expected outcome). Each condition is
//! placed in an Allow statement, so "holds" means the request is allowed.

mod support;

use support::context;
use tessera_policy::{Decision, Policy, Request};

type Context<'a> = &'a [(&'a str, &'a [&'a str])];

const NONE: Context<'static> = &[];

/// (condition block, request context, whether the condition holds)
#[rustfmt::skip]
const ROWS: &[(&str, Context<'static>, bool)] = &[
    // ---- StringEquals / StringNotEquals -------------------------------------------------
    (r#"{"StringEquals":{"aws:username":"alice"}}"#, &[("aws:username", &["alice"])], true),
    (r#"{"StringEquals":{"aws:username":"alice"}}"#, &[("aws:username", &["bob"])], false),
    (r#"{"StringEquals":{"aws:username":"alice"}}"#, &[("aws:username", &["Alice"])], false),
    (r#"{"StringEquals":{"aws:username":"alice"}}"#, NONE, false),
    (r#"{"StringEquals":{"aws:username":"alice"}}"#, &[("aws:username", &[])], false),
    (r#"{"StringEquals":{"aws:username":"alice"}}"#, &[("aws:username", &["bob", "alice"])], true),
    (r#"{"StringEquals":{"aws:username":["bob","alice"]}}"#, &[("aws:username", &["alice"])], true),
    (r#"{"StringEquals":{"aws:username":["bob","carol"]}}"#, &[("aws:username", &["alice"])], false),
    (r#"{"StringEquals":{"aws:username":"a*"}}"#, &[("aws:username", &["alice"])], false),
    (r#"{"StringEquals":{"aws:username":"a*"}}"#, &[("aws:username", &["a*"])], true),
    (r#"{"StringEquals":{"aws:username":""}}"#, &[("aws:username", &[""])], true),
    (r#"{"StringEquals":{"AWS:USERNAME":"alice"}}"#, &[("aws:username", &["alice"])], true),
    (r#"{"StringEquals":{"aws:username":"alice"}}"#, &[("Aws:UserName", &["alice"])], true),
    (r#"{"StringEquals":{"jwt:department":"eng"}}"#, &[("jwt:department", &["eng"])], true),
    (r#"{"StringEquals":{"jwt:department":"eng"}}"#, &[("jwt:department", &["ops"])], false),
    (r#"{"StringEquals":{"ldap:user":"uid=alice,ou=people,dc=example,dc=org"}}"#, &[("ldap:user", &["uid=alice,ou=people,dc=example,dc=org"])], true),
    (r#"{"StringNotEquals":{"aws:username":"alice"}}"#, &[("aws:username", &["alice"])], false),
    (r#"{"StringNotEquals":{"aws:username":"alice"}}"#, &[("aws:username", &["bob"])], true),
    (r#"{"StringNotEquals":{"aws:username":"alice"}}"#, NONE, true),
    (r#"{"StringNotEquals":{"aws:username":"alice"}}"#, &[("aws:username", &["bob", "alice"])], false),
    (r#"{"StringNotEquals":{"aws:username":"alice"}}"#, &[("aws:username", &["bob", "carol"])], true),
    (r#"{"StringNotEquals":{"aws:username":["alice","bob"]}}"#, &[("aws:username", &["bob"])], false),
    (r#"{"StringEqualsIfExists":{"aws:username":"alice"}}"#, NONE, true),
    (r#"{"StringEqualsIfExists":{"aws:username":"alice"}}"#, &[("aws:username", &["alice"])], true),
    (r#"{"StringEqualsIfExists":{"aws:username":"alice"}}"#, &[("aws:username", &["bob"])], false),
    (r#"{"StringNotEqualsIfExists":{"aws:username":"alice"}}"#, NONE, true),
    (r#"{"StringNotEqualsIfExists":{"aws:username":"alice"}}"#, &[("aws:username", &["alice"])], false),
    // ---- IgnoreCase ------------------------------------------------------------------------
    (r#"{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}"#, &[("aws:username", &["alice"])], true),
    (r#"{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}"#, &[("aws:username", &["aLiCe"])], true),
    (r#"{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}"#, &[("aws:username", &["bob"])], false),
    (r#"{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}"#, NONE, false),
    (r#"{"StringEqualsIgnoreCase":{"aws:username":"ÉCOLE"}}"#, &[("aws:username", &["école"])], true),
    (r#"{"StringEqualsIgnoreCase":{"aws:username":"ALIC"}}"#, &[("aws:username", &["alice"])], false),
    (r#"{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}"#, &[("aws:username", &["alice"])], false),
    (r#"{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}"#, &[("aws:username", &["bob"])], true),
    (r#"{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}"#, NONE, true),
    (r#"{"StringEqualsIgnoreCaseIfExists":{"aws:username":"ALICE"}}"#, NONE, true),
    (r#"{"StringEqualsIgnoreCaseIfExists":{"aws:username":"ALICE"}}"#, &[("aws:username", &["Bob"])], false),
    (r#"{"StringNotEqualsIgnoreCaseIfExists":{"aws:username":"ALICE"}}"#, &[("aws:username", &["Alice"])], false),
    (r#"{"StringEqualsIgnoreCase":{"aws:username":"${aws:userid}"}}"#, &[("aws:username", &["ALICE"]), ("aws:userid", &["alice"])], true),
    // ---- StringLike / StringNotLike ----------------------------------------------------------
    (r#"{"StringLike":{"aws:username":"al*"}}"#, &[("aws:username", &["alice"])], true),
    (r#"{"StringLike":{"aws:username":"al*"}}"#, &[("aws:username", &["al"])], true),
    (r#"{"StringLike":{"aws:username":"al*"}}"#, &[("aws:username", &["bob"])], false),
    (r#"{"StringLike":{"aws:username":"al*"}}"#, &[("aws:username", &["xal"])], false),
    (r#"{"StringLike":{"aws:username":"a?ice"}}"#, &[("aws:username", &["alice"])], true),
    (r#"{"StringLike":{"aws:username":"a?ice"}}"#, &[("aws:username", &["aice"])], false),
    (r#"{"StringLike":{"aws:username":"*"}}"#, &[("aws:username", &["anything"])], true),
    (r#"{"StringLike":{"aws:username":"*"}}"#, NONE, false),
    (r#"{"StringLike":{"aws:username":["x*","*e"]}}"#, &[("aws:username", &["alice"])], true),
    (r#"{"StringLike":{"aws:username":"a*e"}}"#, &[("aws:username", &["x", "ace"])], true),
    (r#"{"StringLike":{"aws:username":"a${*}"}}"#, &[("aws:username", &["a*"])], true),
    (r#"{"StringLike":{"aws:username":"a${*}"}}"#, &[("aws:username", &["ab"])], false),
    (r#"{"StringLike":{"aws:username":"a${?}"}}"#, &[("aws:username", &["ab"])], false),
    (r#"{"StringLike":{"aws:username":"${$}a"}}"#, &[("aws:username", &["$a"])], true),
    (r#"{"StringNotLike":{"aws:username":"al*"}}"#, &[("aws:username", &["alice"])], false),
    (r#"{"StringNotLike":{"aws:username":"al*"}}"#, &[("aws:username", &["bob"])], true),
    (r#"{"StringNotLike":{"aws:username":"al*"}}"#, NONE, true),
    (r#"{"StringNotLike":{"aws:username":["al*","b*"]}}"#, &[("aws:username", &["bob"])], false),
    (r#"{"StringLikeIfExists":{"aws:username":"al*"}}"#, NONE, true),
    (r#"{"StringLikeIfExists":{"aws:username":"al*"}}"#, &[("aws:username", &["bob"])], false),
    (r#"{"StringNotLikeIfExists":{"aws:username":"al*"}}"#, &[("aws:username", &["alice"])], false),
    (r#"{"StringNotLikeIfExists":{"aws:username":"al*"}}"#, NONE, true),
    // ---- Variables in condition values ------------------------------------------------------
    (r#"{"StringEquals":{"aws:userid":"${aws:username}"}}"#, &[("aws:username", &["alice"]), ("aws:userid", &["alice"])], true),
    (r#"{"StringEquals":{"aws:userid":"${aws:username}"}}"#, &[("aws:username", &["alice"]), ("aws:userid", &["bob"])], false),
    (r#"{"StringEquals":{"aws:userid":"${aws:username}"}}"#, &[("aws:userid", &["${aws:username}"])], false),
    (r#"{"StringEquals":{"aws:userid":"${aws:username}"}}"#, &[("aws:username", &[""]), ("aws:userid", &[""])], false),
    (r#"{"StringNotEquals":{"aws:userid":"${aws:username}"}}"#, &[("aws:userid", &["bob"])], true),
    (r#"{"StringEquals":{"aws:userid":"${aws:groups}"}}"#, &[("aws:groups", &["eng", "ops"]), ("aws:userid", &["ops"])], true),
    (r#"{"StringEquals":{"aws:userid":"${aws:groups}"}}"#, &[("aws:groups", &["eng", "ops"]), ("aws:userid", &["hr"])], false),
    (r#"{"StringLike":{"aws:userid":"${aws:username}-*"}}"#, &[("aws:username", &["alice"]), ("aws:userid", &["alice-1"])], true),
    (r#"{"StringLike":{"aws:userid":"${aws:username}-*"}}"#, &[("aws:username", &["*"]), ("aws:userid", &["bob-1"])], false),
    (r#"{"StringEquals":{"aws:userid":"${jwt:sub}"}}"#, &[("jwt:sub", &["abc"]), ("aws:userid", &["abc"])], true),
    (r#"{"StringEquals":{"aws:userid":"${ldap:username}"}}"#, &[("ldap:username", &["carol"]), ("aws:userid", &["carol"])], true),
    (r#"{"StringEquals":{"aws:userid":"${unknown:key}"}}"#, &[("aws:userid", &["${unknown:key}"])], true),
    (r#"{"StringEquals":{"aws:userid":"${aws:principaltype}"}}"#, &[("aws:principaltype", &["User"]), ("aws:userid", &["User"])], true),
    (r#"{"StringEquals":{"aws:userid":"${aws:SourceIp}"}}"#, &[ ("aws:SourceIp", &["10.0.0.1"]), ("aws:userid", &["10.0.0.1"]), ], true),
    // ---- Numeric ------------------------------------------------------------------------------
    (r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["10"])], true),
    (r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["11"])], false),
    (r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["10.0"])], true),
    (r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["ten"])], false),
    (r#"{"NumericEquals":{"s3:max-keys":"10"}}"#, NONE, false),
    (r#"{"NumericEquals":{"s3:max-keys":10}}"#, &[("s3:max-keys", &["10"])], true),
    (r#"{"NumericEquals":{"s3:max-keys":[1,2]}}"#, &[("s3:max-keys", &["2"])], true),
    (r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["10"])], false),
    (r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["11"])], true),
    (r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#, NONE, true),
    (r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["9"])], true),
    (r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["10"])], false),
    (r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["-5"])], true),
    (r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["11"])], false),
    (r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#, NONE, false),
    (r#"{"NumericLessThan":{"s3:max-keys":1.5}}"#, &[("s3:max-keys", &["1.25"])], true),
    (r#"{"NumericLessThan":{"s3:max-keys":1.5}}"#, &[("s3:max-keys", &["2"])], false),
    (r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["10"])], true),
    (r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["11"])], false),
    (r#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["11"])], true),
    (r#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["10"])], false),
    (r#"{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["10"])], true),
    (r#"{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["9"])], false),
    (r#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#, NONE, true),
    (r#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["20"])], false),
    (r#"{"NumericGreaterThanIfExists":{"s3:signatureAge":"600"}}"#, NONE, true),
    (r#"{"NumericGreaterThanIfExists":{"s3:signatureAge":"600"}}"#, &[("s3:signatureAge", &["601"])], true),
    (r#"{"NumericEqualsIfExists":{"s3:max-keys":"5"}}"#, &[("s3:max-keys", &["6"])], false),
    (r#"{"NumericNotEqualsIfExists":{"s3:max-keys":"5"}}"#, &[("s3:max-keys", &["5"])], false),
    (r#"{"NumericLessThanEqualsIfExists":{"s3:max-keys":"5"}}"#, NONE, true),
    (r#"{"NumericGreaterThanEqualsIfExists":{"s3:max-keys":"5"}}"#, &[("s3:max-keys", &["4"])], false),
    // ---- Date -----------------------------------------------------------------------------------
    (r#"{"DateEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-01-01T00:00:00Z"])], true),
    (r#"{"DateEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-01-01T01:00:00+01:00"])], true),
    (r#"{"DateEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-01-01T00:00:01Z"])], false),
    (r#"{"DateEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#, NONE, false),
    (r#"{"DateNotEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-01-01T00:00:00Z"])], false),
    (r#"{"DateNotEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2025-01-01T00:00:00Z"])], true),
    (r#"{"DateNotEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#, NONE, true),
    (r#"{"DateLessThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-01-01T00:00:00Z"])], true),
    (r#"{"DateLessThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-06-01T00:00:00Z"])], false),
    (r#"{"DateLessThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2025-01-01T00:00:00Z"])], false),
    (r#"{"DateLessThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["yesterday"])], false),
    (r#"{"DateLessThanEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-06-01T00:00:00Z"])], true),
    (r#"{"DateLessThanEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-06-01T00:00:00.001Z"])], false),
    (r#"{"DateGreaterThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-07-01T00:00:00Z"])], true),
    (r#"{"DateGreaterThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-06-01T00:00:00Z"])], false),
    (r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-06-01T00:00:00Z"])], true),
    (r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-05-31T23:59:59Z"])], false),
    (r#"{"DateGreaterThan":{"aws:EpochTime":"2020-01-01T00:00:00Z"}}"#, &[("aws:EpochTime", &["1700000000"])], true),
    (r#"{"DateLessThan":{"aws:CurrentTime":1700000000}}"#, &[("aws:CurrentTime", &["2020-01-01T00:00:00Z"])], true),
    (r#"{"DateLessThanIfExists":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, NONE, true),
    (r#"{"DateGreaterThanIfExists":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2020-01-01T00:00:00Z"])], false),
    (r#"{"DateEqualsIfExists":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-06-01T00:00:00Z"])], true),
    (r#"{"DateNotEqualsIfExists":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-06-01T00:00:00Z"])], false),
    (r#"{"DateLessThanEqualsIfExists":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, NONE, true),
    (r#"{"DateGreaterThanEqualsIfExists":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, NONE, true),
    // ---- Bool ---------------------------------------------------------------------------------
    (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, &[("aws:SecureTransport", &["true"])], true),
    (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, &[("aws:SecureTransport", &["TRUE"])], true),
    (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, &[("aws:SecureTransport", &["false"])], false),
    (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, &[("aws:SecureTransport", &["yes"])], false),
    (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, NONE, false),
    (r#"{"Bool":{"aws:SecureTransport":true}}"#, &[("aws:SecureTransport", &["true"])], true),
    (r#"{"Bool":{"aws:SecureTransport":"false"}}"#, &[("aws:SecureTransport", &["false"])], true),
    (r#"{"Bool":{"aws:SecureTransport":false}}"#, &[("aws:SecureTransport", &["true"])], false),
    (r#"{"BoolIfExists":{"aws:SecureTransport":"true"}}"#, NONE, true),
    (r#"{"BoolIfExists":{"aws:SecureTransport":"true"}}"#, &[("aws:SecureTransport", &["false"])], false),
    // ---- IpAddress / NotIpAddress -----------------------------------------------------------------
    (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["10.1.2.3"])], true),
    (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["11.0.0.1"])], false),
    (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, NONE, false),
    (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["::ffff:10.0.0.1"])], true),
    (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["not-an-ip"])], false),
    (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["8.8.8.8", "10.0.0.1"])], true),
    (r#"{"IpAddress":{"aws:SourceIp":["192.168.1.0/24","2001:db8::/32"]}}"#, &[("aws:SourceIp", &["2001:db8::5"])], true),
    (r#"{"IpAddress":{"aws:SourceIp":["192.168.1.0/24","2001:db8::/32"]}}"#, &[("aws:SourceIp", &["2001:db9::1"])], false),
    (r#"{"IpAddress":{"aws:SourceIp":["192.168.1.0/24","2001:db8::/32"]}}"#, &[("aws:SourceIp", &["192.168.1.200"])], true),
    (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#, &[("aws:SourceIp", &["203.0.113.7"])], true),
    (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#, &[("aws:SourceIp", &["203.0.113.8"])], false),
    (r#"{"IpAddress":{"aws:SourceIp":"::1"}}"#, &[("aws:SourceIp", &["::1"])], true),
    (r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#, &[("aws:SourceIp", &["198.51.100.1"])], true),
    (r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["10.1.2.3"])], false),
    (r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["8.8.8.8"])], true),
    (r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, NONE, true),
    (r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["8.8.8.8", "10.0.0.1"])], false),
    (r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#, NONE, true),
    (r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["8.8.8.8"])], false),
    (r#"{"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["10.9.9.9"])], false),
    // ---- Null ---------------------------------------------------------------------------------------
    (r#"{"Null":{"aws:username":"true"}}"#, NONE, true),
    (r#"{"Null":{"aws:username":"true"}}"#, &[("aws:username", &["alice"])], false),
    (r#"{"Null":{"aws:username":"true"}}"#, &[("aws:username", &[])], true),
    (r#"{"Null":{"aws:username":"false"}}"#, &[("aws:username", &["alice"])], true),
    (r#"{"Null":{"aws:username":"false"}}"#, NONE, false),
    (r#"{"Null":{"aws:username":true}}"#, NONE, true),
    (r#"{"Null":{"aws:username":false}}"#, NONE, false),
    (r#"{"Null":{"s3:ExistingObjectTag/Project":"false"}}"#, &[("s3:ExistingObjectTag/Project", &["x"])], true),
    (r#"{"Null":{"s3:ExistingObjectTag/Project":"false"}}"#, &[("s3:ExistingObjectTag/project", &["x"])], false),
    // ---- Arn -------------------------------------------------------------------------------------------
    (r#"{"ArnEquals":{"jwt:principal_arn":"arn:aws:iam::123456789012:user/alice"}}"#, &[( "jwt:principal_arn", &["arn:aws:iam::123456789012:user/alice"], )], true),
    (r#"{"ArnEquals":{"jwt:principal_arn":"arn:aws:iam::123456789012:user/alice"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::123456789012:user/bob"])], false),
    (r#"{"ArnEquals":{"jwt:principal_arn":"arn:aws:iam::*:user/alice"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::42:user/alice"])], true),
    (r#"{"ArnEquals":{"jwt:principal_arn":"arn:aws:iam::123456789012:user/alice"}}"#, NONE, false),
    (r#"{"ArnLike":{"jwt:principal_arn":"arn:aws:iam::*:user/*"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::999:user/x"])], true),
    (r#"{"ArnLike":{"jwt:principal_arn":"arn:aws:iam::*:user/*"}}"#, &[("jwt:principal_arn", &["arn:aws:s3:::bucket"])], false),
    (r#"{"ArnLike":{"jwt:principal_arn":"arn:aws:iam::*:user/*"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::1:2:user/x"])], false),
    (r#"{"ArnLike":{"jwt:principal_arn":"arn:aws:iam::123:role/*"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::123:role/a:b"])], true),
    (r#"{"ArnLike":{"jwt:principal_arn":"arn:aws:iam::12?:role/x"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::123:role/x"])], true),
    (r#"{"ArnLike":{"jwt:principal_arn":"arn:aws:iam::*:user/*"}}"#, &[("jwt:principal_arn", &["not-an-arn"])], false),
    (r#"{"ArnLike":{"jwt:principal_arn":"arn:aws:iam::*:user/${aws:username}"}}"#, &[ ("aws:username", &["alice"]), ("jwt:principal_arn", &["arn:aws:iam::1:user/alice"]), ], true),
    (r#"{"ArnLike":{"jwt:principal_arn":"arn:aws:iam::*:user/${aws:username}"}}"#, &[ ("aws:username", &["alice"]), ("jwt:principal_arn", &["arn:aws:iam::1:user/bob"]), ], false),
    (r#"{"ArnLike":{"jwt:principal_arn":"arn:aws:iam::*:user/${aws:username}"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::1:user/bob"])], false),
    (r#"{"ArnNotEquals":{"jwt:principal_arn":"arn:aws:iam::1:user/alice"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::1:user/alice"])], false),
    (r#"{"ArnNotEquals":{"jwt:principal_arn":"arn:aws:iam::1:user/alice"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::1:user/bob"])], true),
    (r#"{"ArnNotEquals":{"jwt:principal_arn":"arn:aws:iam::1:user/alice"}}"#, NONE, true),
    (r#"{"ArnNotLike":{"jwt:principal_arn":"arn:aws:iam::*:user/*"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::1:user/bob"])], false),
    (r#"{"ArnNotLike":{"jwt:principal_arn":"arn:aws:iam::*:user/*"}}"#, &[("jwt:principal_arn", &["not-an-arn"])], true),
    (r#"{"ArnLikeIfExists":{"jwt:principal_arn":"arn:aws:iam::*:user/*"}}"#, NONE, true),
    (r#"{"ArnEqualsIfExists":{"jwt:principal_arn":"arn:aws:iam::*:user/a"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::1:user/b"])], false),
    (r#"{"ArnNotLikeIfExists":{"jwt:principal_arn":"arn:aws:iam::*:user/*"}}"#, NONE, true),
    (r#"{"ArnNotEqualsIfExists":{"jwt:principal_arn":"arn:aws:iam::1:user/a"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::1:user/a"])], false),
    // ---- BinaryEquals ----------------------------------------------------------------------------------
    (r#"{"BinaryEquals":{"aws:userid":"aGVsbG8="}}"#, &[("aws:userid", &["hello"])], true),
    (r#"{"BinaryEquals":{"aws:userid":"aGVsbG8="}}"#, &[("aws:userid", &["world"])], false),
    (r#"{"BinaryEquals":{"aws:userid":"aGVsbG8="}}"#, NONE, false),
    (r#"{"BinaryEquals":{"aws:userid":["d29ybGQ=","aGVsbG8="]}}"#, &[("aws:userid", &["world"])], true),
    (r#"{"BinaryEqualsIfExists":{"aws:userid":"aGVsbG8="}}"#, NONE, true),
    (r#"{"BinaryEqualsIfExists":{"aws:userid":"aGVsbG8="}}"#, &[("aws:userid", &["nope"])], false),
    // ---- Set qualifiers and empty-set semantics -------------------------------------------------------
    (r#"{"ForAnyValue:StringEquals":{"aws:groups":["eng","ops"]}}"#, &[("aws:groups", &["design", "ops"])], true),
    (r#"{"ForAnyValue:StringEquals":{"aws:groups":["eng","ops"]}}"#, &[("aws:groups", &["design"])], false),
    (r#"{"ForAnyValue:StringEquals":{"aws:groups":["eng","ops"]}}"#, NONE, false),
    (r#"{"ForAnyValue:StringEquals":{"aws:groups":["eng","ops"]}}"#, &[("aws:groups", &[])], false),
    (r#"{"ForAllValues:StringEquals":{"aws:groups":["eng","ops"]}}"#, &[("aws:groups", &["eng", "ops"])], true),
    (r#"{"ForAllValues:StringEquals":{"aws:groups":["eng","ops"]}}"#, &[("aws:groups", &["eng"])], true),
    (r#"{"ForAllValues:StringEquals":{"aws:groups":["eng","ops"]}}"#, &[("aws:groups", &["eng", "design"])], false),
    (r#"{"ForAllValues:StringEquals":{"aws:groups":["eng","ops"]}}"#, NONE, true),
    (r#"{"ForAllValues:StringEquals":{"aws:groups":["eng","ops"]}}"#, &[("aws:groups", &[])], true),
    (r#"{"ForAnyValue:StringNotEquals":{"aws:groups":"eng"}}"#, &[("aws:groups", &["eng", "x"])], true),
    (r#"{"ForAnyValue:StringNotEquals":{"aws:groups":"eng"}}"#, &[("aws:groups", &["eng"])], false),
    (r#"{"ForAnyValue:StringNotEquals":{"aws:groups":"eng"}}"#, NONE, false),
    (r#"{"ForAllValues:StringNotEquals":{"aws:groups":"eng"}}"#, &[("aws:groups", &["x", "y"])], true),
    (r#"{"ForAllValues:StringNotEquals":{"aws:groups":"eng"}}"#, &[("aws:groups", &["eng", "x"])], false),
    (r#"{"ForAllValues:StringNotEquals":{"aws:groups":"eng"}}"#, NONE, true),
    (r#"{"ForAnyValue:StringLike":{"aws:groups":"e*"}}"#, &[("aws:groups", &["ops", "eng"])], true),
    (r#"{"ForAnyValue:StringLike":{"aws:groups":"e*"}}"#, &[("aws:groups", &["ops"])], false),
    (r#"{"ForAllValues:StringLike":{"aws:groups":"team-*"}}"#, &[("aws:groups", &["team-a", "team-b"])], true),
    (r#"{"ForAllValues:StringLike":{"aws:groups":"team-*"}}"#, &[("aws:groups", &["team-a", "x"])], false),
    (r#"{"ForAllValues:StringNotLike":{"aws:groups":"admin*"}}"#, &[("aws:groups", &["eng", "ops"])], true),
    (r#"{"ForAllValues:StringNotLike":{"aws:groups":"admin*"}}"#, &[("aws:groups", &["eng", "admins"])], false),
    (r#"{"ForAnyValue:StringNotLike":{"aws:groups":"admin*"}}"#, &[("aws:groups", &["admins", "eng"])], true),
    (r#"{"ForAnyValue:StringEqualsIgnoreCase":{"aws:groups":"ENG"}}"#, &[("aws:groups", &["ops", "eng"])], true),
    (r#"{"ForAllValues:StringEqualsIgnoreCase":{"aws:groups":["ENG","OPS"]}}"#, &[("aws:groups", &["ops", "Eng"])], true),
    (r#"{"ForAllValues:StringEqualsIfExists":{"aws:groups":"eng"}}"#, NONE, true),
    (r#"{"ForAnyValue:StringEqualsIfExists":{"aws:groups":"eng"}}"#, NONE, true),
    (r#"{"ForAnyValue:StringEqualsIfExists":{"aws:groups":"eng"}}"#, &[("aws:groups", &["ops"])], false),
    (r#"{"ForAllValues:StringLikeIfExists":{"aws:groups":"e*"}}"#, &[("aws:groups", &["eng", "ops"])], false),
    (r#"{"ForAnyValue:NumericLessThan":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["100", "5"])], true),
    (r#"{"ForAllValues:NumericLessThan":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["100", "5"])], false),
    (r#"{"ForAllValues:NumericLessThan":{"s3:max-keys":"10"}}"#, &[("s3:max-keys", &["1", "5"])], true),
    (r#"{"ForAnyValue:IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["8.8.8.8", "10.0.0.1"])], true),
    (r#"{"ForAllValues:IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["8.8.8.8", "10.0.0.1"])], false),
    (r#"{"ForAllValues:NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:SourceIp", &["8.8.8.8", "1.1.1.1"])], true),
    (r#"{"ForAllValues:NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, NONE, true),
    (r#"{"ForAnyValue:DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#, &[( "aws:CurrentTime", &["2023-01-01T00:00:00Z", "2025-01-01T00:00:00Z"], )], true),
    (r#"{"ForAllValues:DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#, &[( "aws:CurrentTime", &["2023-01-01T00:00:00Z", "2025-01-01T00:00:00Z"], )], false),
    (r#"{"ForAnyValue:ArnLike":{"jwt:principal_arn":"arn:aws:iam::*:role/*"}}"#, &[("jwt:principal_arn", &["x", "arn:aws:iam::1:role/r"])], true),
    (r#"{"ForAllValues:ArnLike":{"jwt:principal_arn":"arn:aws:iam::*:role/*"}}"#, &[("jwt:principal_arn", &["x", "arn:aws:iam::1:role/r"])], false),
    (r#"{"ForAnyValue:BinaryEquals":{"aws:userid":"aGVsbG8="}}"#, &[("aws:userid", &["x", "hello"])], true),
    (r#"{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["project","owner"]}}"#, &[("s3:RequestObjectTagKeys", &["owner"])], true),
    (r#"{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["project","owner"]}}"#, &[("s3:RequestObjectTagKeys", &["owner", "secret"])], false),
    (r#"{"ForAnyValue:StringEquals":{"aws:groups":"${aws:username}"}}"#, &[("aws:username", &["ops"]), ("aws:groups", &["eng", "ops"])], true),
    // ---- Several clauses: every one must hold -----------------------------------------------------------
    (r#"{"StringEquals":{"aws:username":"alice"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[ ("aws:username", &["alice"]), ("aws:SourceIp", &["10.0.0.1"]), ], true),
    (r#"{"StringEquals":{"aws:username":"alice"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:username", &["alice"]), ("aws:SourceIp", &["8.8.8.8"])], false),
    (r#"{"StringEquals":{"aws:username":"alice"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, &[("aws:username", &["bob"]), ("aws:SourceIp", &["10.0.0.1"])], false),
    (r#"{"StringEquals":{"aws:username":"alice","aws:userid":"u1"}}"#, &[("aws:username", &["alice"]), ("aws:userid", &["u1"])], true),
    (r#"{"StringEquals":{"aws:username":"alice","aws:userid":"u1"}}"#, &[("aws:username", &["alice"]), ("aws:userid", &["u2"])], false),
    (r#"{"StringEquals":{"aws:username":"alice"},"StringNotEquals":{"aws:username":"alice"}}"#, &[("aws:username", &["alice"])], false),
    (r#"{"StringLike":{"aws:username":"a*"},"StringNotLike":{"aws:username":"ad*"}}"#, &[("aws:username", &["alice"])], true),
    (r#"{"StringLike":{"aws:username":"a*"},"StringNotLike":{"aws:username":"ad*"}}"#, &[("aws:username", &["admin"])], false),
    // ---- More IfExists rows: each form both holds and fails somewhere -----------------------
    (r#"{"StringNotEqualsIgnoreCaseIfExists":{"aws:username":"ALICE"}}"#, NONE, true),
    (r#"{"NumericEqualsIfExists":{"s3:max-keys":"5"}}"#, NONE, true),
    (r#"{"NumericNotEqualsIfExists":{"s3:max-keys":"5"}}"#, &[("s3:max-keys", &["6"])], true),
    (r#"{"NumericLessThanEqualsIfExists":{"s3:max-keys":"5"}}"#, &[("s3:max-keys", &["6"])], false),
    (r#"{"NumericGreaterThanIfExists":{"s3:signatureAge":"600"}}"#, &[("s3:signatureAge", &["599"])], false),
    (r#"{"NumericGreaterThanEqualsIfExists":{"s3:max-keys":"5"}}"#, NONE, true),
    (r#"{"DateEqualsIfExists":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-06-02T00:00:00Z"])], false),
    (r#"{"DateNotEqualsIfExists":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, NONE, true),
    (r#"{"DateLessThanIfExists":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-07-01T00:00:00Z"])], false),
    (r#"{"DateLessThanEqualsIfExists":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-07-01T00:00:00Z"])], false),
    (r#"{"DateGreaterThanIfExists":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, NONE, true),
    (r#"{"DateGreaterThanEqualsIfExists":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}"#, &[("aws:CurrentTime", &["2024-01-01T00:00:00Z"])], false),
    (r#"{"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#, NONE, true),
    (r#"{"ArnLikeIfExists":{"jwt:principal_arn":"arn:aws:iam::*:user/*"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::1:role/x"])], false),
    (r#"{"ArnEqualsIfExists":{"jwt:principal_arn":"arn:aws:iam::*:user/a"}}"#, NONE, true),
    (r#"{"ArnNotLikeIfExists":{"jwt:principal_arn":"arn:aws:iam::*:user/*"}}"#, &[("jwt:principal_arn", &["arn:aws:iam::1:user/x"])], false),
    (r#"{"ArnNotEqualsIfExists":{"jwt:principal_arn":"arn:aws:iam::1:user/a"}}"#, NONE, true),
];

fn policy_with(condition: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*","Condition":{condition}}}]}}"#
    )
}

#[test]
fn every_operator_row() {
    let mut failures = Vec::new();
    for (index, (condition, ctx, holds)) in ROWS.iter().enumerate() {
        let policy = match Policy::parse(&policy_with(condition)) {
            Ok(policy) => policy,
            Err(e) => {
                failures.push(format!("row {index} {condition}: does not parse: {e}"));
                continue;
            }
        };
        let conditions = context(ctx);
        let got = policy.evaluate(&Request::new(
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            &conditions,
        ));
        let expected = if *holds {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        };
        if got != expected {
            failures.push(format!(
                "row {index} {condition} with {ctx:?}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
    assert!(
        ROWS.len() >= 200,
        "the operator table has {} rows",
        ROWS.len()
    );
}

/// The same conditions in a Deny statement deny exactly when they hold in an Allow statement.
#[test]
fn deny_statements_use_the_same_condition_outcome() {
    for (index, (condition, ctx, holds)) in ROWS.iter().enumerate() {
        let text = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"*"}},{{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*","Condition":{condition}}}]}}"#
        );
        let policy = Policy::parse(&text).unwrap_or_else(|e| panic!("row {index}: {e}"));
        let conditions = context(ctx);
        let got = policy.evaluate(&Request::new(
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            &conditions,
        ));
        let expected = if *holds {
            Decision::ExplicitDeny
        } else {
            Decision::Allow
        };
        assert_eq!(got, expected, "row {index}: {condition} with {ctx:?}");
    }
}

#[test]
fn every_operator_has_rows_with_both_outcomes() {
    for operator in tessera_policy::condition_operators() {
        for suffix in ["", "IfExists"] {
            if operator == "Null" && suffix == "IfExists" {
                continue;
            }
            let name = format!("\"{operator}{suffix}\"");
            let outcomes: Vec<bool> = ROWS
                .iter()
                .filter(|(condition, _, _)| condition.contains(&name))
                .map(|(_, _, holds)| *holds)
                .collect();
            assert!(
                outcomes.contains(&true) && outcomes.contains(&false),
                "{operator}{suffix} needs rows that hold and rows that do not (has {outcomes:?})"
            );
        }
    }
}
