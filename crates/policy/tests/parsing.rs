//! Malformed documents: each row is a document, the kind it is parsed as, the error variant it
//! must produce and a fragment the message must contain (so errors name statement and field).
//! Plus documents that must be accepted.

use tessera_policy::{MAX_POLICY_DOCUMENT_BYTES, Policy, PolicyError, PolicyKind};

/// Wraps one statement body into an identity policy.
fn one(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
}

/// Wraps a `Condition` block into a statement that allows every S3 action.
fn with_condition(condition: &str) -> String {
    one(&format!(
        r#"{{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{condition}}}"#
    ))
}

/// A condition on `s3:GetObject` (whose key table is narrow).
fn get_with_condition(condition: &str) -> String {
    one(&format!(
        r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}"#
    ))
}

fn put_with_condition(condition: &str) -> String {
    one(&format!(
        r#"{{"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{condition}}}"#
    ))
}

fn bucket(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
}

macro_rules! variant {
    ($pattern:pat) => {
        |e: &PolicyError| matches!(e, $pattern)
    };
}

type Check = fn(&PolicyError) -> bool;

#[rustfmt::skip]
fn rejected() -> Vec<(String, PolicyKind, Check, &'static str)> {
    use PolicyError::*;
    use PolicyKind::{Bucket, Identity, Session};
    let allow_get = r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#;
    vec![
        // ---- Not JSON, not an object, no statements -------------------------------------------
        ("".into(), Identity, variant!(MalformedJson { .. }), "not valid JSON"),
        ("{".into(), Identity, variant!(MalformedJson { .. }), "not valid JSON"),
        (r#"{"Statement":[]} trailing"#.into(), Identity, variant!(MalformedJson { .. }), "trailing"),
        (r#"{"Statement":[{"Effect":"Allow",}]}"#.into(), Identity, variant!(MalformedJson { .. }), "not valid JSON"),
        ("[".repeat(5000), Identity, variant!(MalformedJson { .. }), "not valid JSON"),
        ("[]".into(), Identity, variant!(WrongType { .. }), "expected an object, found an array"),
        ("\"policy\"".into(), Identity, variant!(WrongType { .. }), "expected an object"),
        (r#"{"Version":"2012-10-17"}"#.into(), Identity, variant!(EmptyStatement), "no statements"),
        (r#"{"Version":"2012-10-17","Statement":[]}"#.into(), Identity, variant!(EmptyStatement), "no statements"),
        (r#"{"Statement":null}"#.into(), Identity, variant!(EmptyStatement), "no statements"),
        (r#"{"Statement":"Allow everything"}"#.into(), Identity, variant!(WrongType { .. }), "field Statement: expected an array of statements, found a string"),
        (r#"{"Statement":["x"]}"#.into(), Identity, variant!(WrongType { .. }), "Statement[0]: expected an object"),
        // ---- Top-level fields -------------------------------------------------------------------
        (r#"{"Version":"2008-10-17","Statement":[]}"#.into(), Identity, variant!(UnsupportedVersion { .. }), "Version `2008-10-17` is not supported"),
        (r#"{"Version":"2012-10-18","Statement":[]}"#.into(), Identity, variant!(UnsupportedVersion { .. }), "expecting `2012-10-17`"),
        (r#"{"Version":2012,"Statement":[]}"#.into(), Identity, variant!(WrongType { .. }), "field Version: expected a string, found a number"),
        (r#"{"Version":"2012-10-17","Statement":[],"Foo":1}"#.into(), Identity, variant!(UnknownField { .. }), "unknown field `Foo`"),
        (r#"{"Version":"2012-10-17","Statment":[]}"#.into(), Identity, variant!(UnknownField { .. }), "(did you mean `Statement`?)"),
        (r#"{"Version":"2012-10-17","version":"2012-10-17","Statement":[]}"#.into(), Identity, variant!(DuplicateField { .. }), "`version` appears more than once"),
        (r#"{"Id":5,"Statement":[]}"#.into(), Identity, variant!(WrongType { .. }), "field Id"),
        // ---- Effect ---------------------------------------------------------------------------------
        (one(r#"{"Action":"s3:GetObject","Resource":"*"}"#), Identity, variant!(MissingField { field: "Effect", .. }), "Statement[0]: `Effect` is required"),
        (one(r#"{"Sid":"S1","Effect":"allow","Action":"s3:GetObject","Resource":"*"}"#), Identity, variant!(InvalidEffect { .. }), "Statement[0] (Sid \"S1\"), field Effect: Effect `allow` is not valid"),
        (one(r#"{"Effect":"Permit","Action":"s3:GetObject","Resource":"*"}"#), Identity, variant!(InvalidEffect { .. }), "expecting `Allow` or `Deny`"),
        (one(r#"{"Effect":true,"Action":"s3:GetObject","Resource":"*"}"#), Identity, variant!(WrongType { .. }), "field Effect: expected a string, found a boolean"),
        (one(r#"{"Effect":"Allow","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}"#), Identity, variant!(DuplicateField { .. }), "`Effect` appears more than once"),
        (one(r#"{"Sid":7,"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#), Identity, variant!(WrongType { .. }), "field Sid"),
        (one(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Foo":"bar"}"#), Identity, variant!(UnknownField { .. }), "Statement[0]: unknown field `Foo`"),
        (format!( r#"{{"Statement":[{{{allow_get}}},{{"Sid":"Second","Effect":"Allow","Actions":"s3:*","Resource":"*"}}]}}"# ), Identity, variant!(UnknownField { .. }), "Statement[1] (Sid \"Second\"): unknown field `Actions` (did you mean `Action`?)"),
        // ---- Action / NotAction ---------------------------------------------------------------------------
        (one(r#"{"Effect":"Allow","Resource":"*"}"#), Identity, variant!(MissingField { field: "Action", .. }), "`Action` is required"),
        (one( r#"{"Effect":"Allow","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*"}"#, ), Identity, variant!(ConflictingFields { first: "Action", second: "NotAction", .. }), "`Action` and `NotAction` cannot both be given"),
        (one(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#), Identity, variant!(EmptyField { .. }), "field Action: must not be empty"),
        (one(r#"{"Sid":"Read","Effect":"Allow","Action":"s3:GetObjects","Resource":"*"}"#), Identity, variant!(UnknownAction { .. }), "Statement[0] (Sid \"Read\"), field Action: unknown action `s3:GetObjects` (did you mean `s3:GetObject`?)"),
        (one(r#"{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"}"#), Identity, variant!(UnknownAction { .. }), "unknown action `iam:CreateUser`"),
        (one(r#"{"Effect":"Allow","Action":"s3:Foo*","Resource":"*"}"#), Identity, variant!(UnknownAction { .. }), "unknown action `s3:Foo*`"),
        (one(r#"{"Effect":"Allow","Action":"admin:Foo*"}"#), Identity, variant!(UnknownAction { .. }), "unknown action `admin:Foo*`"),
        (one(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#), Identity, variant!(UnknownAction { .. }), "unknown action `sts:AssumeRole`"),
        (one(r#"{"Effect":"Allow","Action":"GetObject","Resource":"*"}"#), Identity, variant!(UnknownAction { .. }), "unknown action `GetObject`"),
        (one(r#"{"Effect":"Allow","Action":5,"Resource":"*"}"#), Identity, variant!(WrongType { .. }), "field Action: expected a string or an array of strings, found a number"),
        (one(r#"{"Effect":"Allow","Action":["s3:GetObject",5],"Resource":"*"}"#), Identity, variant!(WrongType { .. }), "field Action/1: expected a string, found a number"),
        (one(r#"{"Effect":"Allow","NotAction":["s3:GetObject","s3:Nope"],"Resource":"*"}"#), Identity, variant!(UnknownAction { .. }), "field NotAction: unknown action `s3:Nope`"),
        (one( r#"{"Effect":"Allow","Action":["s3:GetObject","admin:ServerInfo"],"Resource":"*"}"#, ), Identity, variant!(MixedActions { .. }), "`s3:GetObject` and `admin:ServerInfo` cannot share a statement"),
        (one(r#"{"Effect":"Allow","Action":["kms:*","s3:*"],"Resource":"*"}"#), Identity, variant!(MixedActions { .. }), "cannot share a statement"),
        // ---- Resource / NotResource --------------------------------------------------------------------
        (one(r#"{"Effect":"Allow","Action":"s3:GetObject"}"#), Identity, variant!(MissingField { field: "Resource", .. }), "`Resource` is required"),
        (one(r#"{"Effect":"Allow","NotAction":"s3:GetObject"}"#), Identity, variant!(MissingField { field: "Resource", .. }), "`Resource` is required"),
        (one(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","NotResource":"*"}"#), Identity, variant!(ConflictingFields { first: "Resource", .. }), "`Resource` and `NotResource`"),
        (one(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":[]}"#), Identity, variant!(EmptyField { .. }), "field Resource: must not be empty"),
        (one(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"bucket/*"}"#), Identity, variant!(InvalidResource { .. }), "resource `bucket/*` is not valid: expecting an S3 ARN"),
        (one( r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:iam::123:user/x"}"#, ), Identity, variant!(InvalidResource { .. }), "arn:aws:iam::123:user/x"),
        (one(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::"}"#), Identity, variant!(InvalidResource { .. }), "names no bucket"),
        (one(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::/b/*"}"#), Identity, variant!(InvalidResource { .. }), "starts with `/`"),
        (one( r#"{"Effect":"Allow","Action":"s3:GetObject","NotResource":["arn:aws:s3:::b/*","b"]}"#, ), Identity, variant!(InvalidResource { .. }), "field NotResource: resource `b`"),
        (one(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:minio:kms:::key"}"#), Identity, variant!(InvalidResource { .. }), "S3 actions need S3 resources"),
        (one(r#"{"Effect":"Allow","Action":"kms:CreateKey","Resource":"arn:aws:s3:::b"}"#), Identity, variant!(InvalidResource { .. }), "KMS actions need KMS resources"),
        (one(r#"{"Effect":"Allow","Action":"kms:CreateKey","Resource":"arn:minio:kms:::a.b"}"#), Identity, variant!(InvalidResource { .. }), "KMS key ARN"),
        (one(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":{"arn":"x"}}"#), Identity, variant!(WrongType { .. }), "field Resource"),
        // ---- Principal ---------------------------------------------------------------------------------------
        (one(&format!(r#"{{"Principal":"*",{allow_get}}}"#)), Identity, variant!(PrincipalNotAllowed { .. }), "field Principal: `Principal` is only allowed in bucket policies"),
        (one(&format!(r#"{{"Principal":"*",{allow_get}}}"#)), Session, variant!(PrincipalNotAllowed { .. }), "only allowed in bucket policies"),
        (bucket(&format!("{{{allow_get}}}")), Bucket, variant!(PrincipalRequired { .. }), "`Principal` is required in a bucket policy"),
        (bucket(&format!(r#"{{"Principal":"alice",{allow_get}}}"#)), Bucket, variant!(InvalidPrincipal { .. }), "a Principal string must be \"*\""),
        (bucket(&format!( r#"{{"Principal":{{"Service":"s3.amazonaws.com"}},{allow_get}}}"# )), Bucket, variant!(InvalidPrincipal { .. }), "only `AWS` principals"),
        (bucket(&format!(r#"{{"Principal":{{"AWS":[]}},{allow_get}}}"#)), Bucket, variant!(InvalidPrincipal { .. }), "at least one principal"),
        (bucket(&format!(r#"{{"Principal":{{}},{allow_get}}}"#)), Bucket, variant!(InvalidPrincipal { .. }), "at least one principal"),
        (bucket(&format!(r#"{{"Principal":5,{allow_get}}}"#)), Bucket, variant!(WrongType { .. }), "field Principal"),
        (bucket(&format!(r#"{{"NotPrincipal":"*",{allow_get}}}"#)), Bucket, variant!(UnknownField { .. }), "unknown field `NotPrincipal`"),
        (bucket(r#"{"Principal":"*","Effect":"Allow","Action":"s3:GetObject"}"#), Bucket, variant!(MissingField { field: "Resource", .. }), "`Resource` is required"),
        (bucket( r#"{"Principal":"*","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}"#, ), Bucket, variant!(InvalidResource { .. }), "action `s3:GetObject` needs an object resource"),
        (bucket( r#"{"Principal":"*","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b/x"}"#, ), Bucket, variant!(InvalidResource { .. }), "action `s3:ListBucket` needs a bucket resource"),
        (bucket( r#"{"Principal":"*","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b"}"#, ), Bucket, variant!(InvalidResource { .. }), "needs an object resource"),
        // ---- Condition operators, qualifiers, keys ---------------------------------------------------------
        (with_condition("{}"), Identity, variant!(EmptyField { .. }), "field Condition: must not be empty"),
        (with_condition("\"x\""), Identity, variant!(WrongType { .. }), "field Condition: expected an object"),
        (with_condition(r#"{"StringEqual":{"aws:username":"a"}}"#), Identity, variant!(UnknownConditionOperator { .. }), "unknown condition operator `StringEqual` (did you mean `StringEquals`?)"),
        (with_condition(r#"{"stringequals":{"aws:username":"a"}}"#), Identity, variant!(UnknownConditionOperator { .. }), "(did you mean `StringEquals`?)"),
        (with_condition(r#"{"ForSomeValues:StringEquals":{"aws:username":"a"}}"#), Identity, variant!(UnknownConditionQualifier { .. }), "unknown condition qualifier `ForSomeValues`"),
        (with_condition(r#"{"forAnyValue:StringEquals":{"aws:username":"a"}}"#), Identity, variant!(UnknownConditionQualifier { .. }), "`forAnyValue`"),
        (with_condition(r#"{"ForAnyValue:Foo":{"aws:username":"a"}}"#), Identity, variant!(UnknownConditionOperator { .. }), "`ForAnyValue:Foo`"),
        (with_condition(r#"{"A:B:StringEquals":{"aws:username":"a"}}"#), Identity, variant!(UnknownConditionOperator { .. }), "`A:B:StringEquals`"),
        (with_condition(r#"{"NullIfExists":{"aws:username":"true"}}"#), Identity, variant!(UnknownConditionOperator { .. }), "`NullIfExists`"),
        (with_condition(r#"{"StringEqualsIfExist":{"aws:username":"a"}}"#), Identity, variant!(UnknownConditionOperator { .. }), "`StringEqualsIfExist`"),
        (with_condition(r#"{"StringEquals":{"aws:nope":"a"}}"#), Identity, variant!(UnknownConditionKey { .. }), "field Condition/StringEquals: unknown condition key `aws:nope`"),
        (with_condition(r#"{"StringEquals":{"aws:username/x":"a"}}"#), Identity, variant!(UnknownConditionKey { .. }), "`aws:username/x`"),
        (with_condition(r#"{"StringEquals":"a"}"#), Identity, variant!(WrongType { .. }), "field Condition/StringEquals: expected an object"),
        (get_with_condition(r#"{"StringLike":{"s3:prefix":"home/*"}}"#), Identity, variant!(UnsupportedConditionKey { .. }), "condition key `s3:prefix` cannot be used with action `s3:GetObject`"),
        (one( r#"{"Effect":"Allow","Action":"admin:*","Condition":{"NumericLessThan":{"sts:DurationSeconds":"60"}}}"#, ), Identity, variant!(UnsupportedConditionKey { .. }), "cannot be used with admin actions"),
        (one( r#"{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"aws:username":"a"}}}"#, ), Identity, variant!(UnsupportedConditionKey { .. }), "STS actions"),
        (with_condition(r#"{"Bool":{"aws:username":"true"}}"#), Identity, variant!(UnsupportedConditionKey { .. }), "the `Bool` operator"),
        (with_condition(r#"{"IpAddress":{"aws:username":"10.0.0.0/8"}}"#), Identity, variant!(UnsupportedConditionKey { .. }), "the `IpAddress` operator"),
        (with_condition(r#"{"StringEquals":{"aws:username":"a","AWS:UserName":"b"}}"#), Identity, variant!(DuplicateField { .. }), "`AWS:UserName` appears more than once"),
        (with_condition( r#"{"StringEquals":{"aws:username":"a"},"StringEquals":{"aws:userid":"b"}}"#, ), Identity, variant!(DuplicateField { .. }), "`StringEquals` appears more than once"),
        // ---- Condition values -------------------------------------------------------------------------------
        (with_condition(r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}"#), Identity, variant!(InvalidConditionValue { .. }), "CIDR"),
        (with_condition(r#"{"IpAddress":{"aws:SourceIp":"10.0.0"}}"#), Identity, variant!(InvalidConditionValue { .. }), "\"10.0.0\""),
        (with_condition(r#"{"IpAddress":{"aws:SourceIp":10}}"#), Identity, variant!(WrongType { .. }), "expected a string"),
        (with_condition(r#"{"NumericEquals":{"s3:max-keys":"abc"}}"#), Identity, variant!(InvalidConditionValue { .. }), "needs numbers"),
        (with_condition(r#"{"NumericEquals":{"s3:max-keys":true}}"#), Identity, variant!(InvalidConditionValue { .. }), "needs numbers"),
        (with_condition(r#"{"DateEquals":{"aws:CurrentTime":"yesterday"}}"#), Identity, variant!(InvalidConditionValue { .. }), "RFC 3339"),
        (with_condition(r#"{"Bool":{"aws:SecureTransport":"maybe"}}"#), Identity, variant!(InvalidConditionValue { .. }), "`true` or `false`"),
        (with_condition(r#"{"Bool":{"aws:SecureTransport":["true","false"]}}"#), Identity, variant!(InvalidConditionValue { .. }), "exactly one value"),
        (with_condition(r#"{"Null":{"aws:username":["true","false"]}}"#), Identity, variant!(InvalidConditionValue { .. }), "exactly one value"),
        (with_condition(r#"{"Null":{"aws:username":"absent"}}"#), Identity, variant!(InvalidConditionValue { .. }), "`true` or `false`"),
        (with_condition(r#"{"BinaryEquals":{"aws:userid":"not base64!"}}"#), Identity, variant!(InvalidConditionValue { .. }), "base64"),
        (with_condition(r#"{"ArnLike":{"aws:userid":"arn:aws:iam"}}"#), Identity, variant!(InvalidConditionValue { .. }), "six colon-separated parts"),
        (with_condition(r#"{"StringEquals":{"aws:username":5}}"#), Identity, variant!(WrongType { .. }), "field Condition/StringEquals/aws:username/0: expected a string, found a number"),
        (with_condition(r#"{"StringEquals":{"aws:username":[]}}"#), Identity, variant!(EmptyField { .. }), "must not be empty"),
        (with_condition(r#"{"StringEquals":{"aws:username":null}}"#), Identity, variant!(WrongType { .. }), "found null"),
        (with_condition(r#"{"StringEquals":{"aws:username":{"a":1}}}"#), Identity, variant!(WrongType { .. }), "found an object"),
        (with_condition(r#"{"StringEquals":{"aws:username":[["a"]]}}"#), Identity, variant!(WrongType { .. }), "found an array"),
        (with_condition(r#"{"StringEquals":{"aws:username":["a","a"]}}"#), Identity, variant!(InvalidConditionValue { .. }), "appears more than once"),
        (put_with_condition(r#"{"StringEquals":{"s3:x-amz-server-side-encryption":"DES"}}"#), Identity, variant!(InvalidConditionValue { .. }), "\"DES\" is not one of"),
        (put_with_condition( r#"{"StringEquals":{"s3:x-amz-server-side-encryption-customer-algorithm":"AES128"}}"#, ), Identity, variant!(InvalidConditionValue { .. }), "AES256"),
        (put_with_condition(r#"{"StringEquals":{"s3:x-amz-metadata-directive":"MOVE"}}"#), Identity, variant!(InvalidConditionValue { .. }), "COPY"),
        (put_with_condition(r#"{"StringEquals":{"s3:x-amz-copy-source":"justabucket"}}"#), Identity, variant!(InvalidConditionValue { .. }), "copy source"),
        (put_with_condition(r#"{"StringLike":{"s3:x-amz-copy-source":"Bad_Bucket/x"}}"#), Identity, variant!(InvalidConditionValue { .. }), "copy source"),
        (with_condition(r#"{"StringEquals":{"s3:x-amz-content-sha256":""}}"#), Identity, variant!(InvalidConditionValue { .. }), "must not be empty"),
        // ---- Sizes and session rules ------------------------------------------------------------------------
        (format!("{}{}", " ".repeat(MAX_POLICY_DOCUMENT_BYTES), "{}"), Identity, variant!(DocumentTooLarge { .. }), "the limit is 20480 bytes"),
        (one(&format!("{{{allow_get}}}")).replace(r#""Version":"2012-10-17","#, ""), Session, variant!(MissingVersion), "Version cannot be empty"),
        (r#"{"Version":"","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"# .into(), Session, variant!(MissingVersion), "Version cannot be empty"),
    ]
}

#[test]
fn malformed_documents_are_rejected_with_located_messages() {
    #[rustfmt::skip]
    let rows = rejected();
    let mut failures = Vec::new();
    for (index, (text, kind, check, fragment)) in rows.iter().enumerate() {
        match Policy::parse_as(text, *kind) {
            Ok(_) => failures.push(format!(
                "row {index}: accepted {}",
                &text[..text.len().min(200)]
            )),
            Err(error) => {
                let message = error.to_string();
                if !check(&error) || !message.contains(fragment) {
                    failures.push(format!("row {index}: got {error:?}\n    message: {message}\n    wanted fragment: {fragment}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    assert!(rows.len() >= 100, "{} rows", rows.len());
}

#[test]
fn valid_documents_are_accepted() {
    #[rustfmt::skip]
    let accepted: &[(&str, PolicyKind, usize)] = &[
        // Version may be missing or empty for identity policies (MinIO).
        (r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#, PolicyKind::Identity, 1),
        (r#"{"Version":"","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#, PolicyKind::Identity, 1),
        // A single statement object instead of an array (AWS grammar).
        (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#, PolicyKind::Identity, 1),
        // Field names are case-insensitive (Go's encoding/json, which MinIO uses); Id/ID.
        (r#"{"version":"2012-10-17","ID":"p1","statement":[{"sid":"x","effect":"Deny","action":"s3:*","resource":"*"}]}"#, PolicyKind::Identity, 1),
        (r#"{"Id":"p1","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#, PolicyKind::Identity, 1),
        // Admin, STS and KMS statements need no Resource; the bare `*` action neither.
        (r#"{"Statement":[{"Effect":"Allow","Action":"admin:*"},{"Effect":"Allow","Action":"kms:*"},{"Effect":"Allow","Action":"sts:*"}]}"#, PolicyKind::Identity, 3),
        (r#"{"Statement":[{"Effect":"Allow","Action":"*"}]}"#, PolicyKind::Identity, 1),
        // Duplicate statements (Sid ignored) are dropped, as MinIO does.
        (r#"{"Statement":[{"Sid":"a","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"},{"Sid":"b","Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":["*"]}]}"#, PolicyKind::Identity, 1),
        // Custom OpenID claims are keys; tag keys take a suffix.
        (r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"jwt:department":"eng","s3:ExistingObjectTag/Project":"x"}}}]}"#, PolicyKind::Identity, 1),
        (r#"{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"${aws:username}/*"},"NumericLessThanEquals":{"s3:max-keys":"100"}}}]}"#, PolicyKind::Identity, 1),
        (r#"{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/Project":"x"}}}]}"#, PolicyKind::Identity, 1),
        (r#"{"Statement":[{"Effect":"Allow","NotAction":"s3:DeleteObject","Resource":"*","Condition":{"StringLike":{"s3:prefix":"x"}}}]}"#, PolicyKind::Identity, 1),
        (r#"{"Statement":[{"Effect":"Allow","Action":"admin:*","Condition":{"NumericLessThan":{"svc:DurationSeconds":"60"}}}]}"#, PolicyKind::Identity, 1),
        (r#"{"Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"s3:x-amz-server-side-encryption":"aws:kms","s3:x-amz-copy-source":"/src-bucket/key"}}}]}"#, PolicyKind::Identity, 1),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":["arn:aws:s3:::b"]},{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}"#, PolicyKind::Bucket, 2),
        (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#, PolicyKind::Session, 1),
    ];
    for (index, (text, kind, statements)) in accepted.iter().enumerate() {
        let policy = Policy::parse_as(text, *kind).unwrap_or_else(|e| panic!("row {index}: {e}"));
        assert_eq!(policy.statement_count(), *statements, "row {index}");
        assert_eq!(policy.kind(), *kind, "row {index}");
    }
}

#[test]
fn the_size_limit_is_exactly_the_constant() {
    let body = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let at_limit = format!(
        "{body}{}",
        " ".repeat(MAX_POLICY_DOCUMENT_BYTES - body.len())
    );
    assert_eq!(at_limit.len(), MAX_POLICY_DOCUMENT_BYTES);
    assert!(Policy::parse(&at_limit).is_ok());
    let over = format!("{at_limit} ");
    assert_eq!(
        Policy::parse(&over).unwrap_err(),
        PolicyError::DocumentTooLarge {
            size: MAX_POLICY_DOCUMENT_BYTES + 1,
            limit: MAX_POLICY_DOCUMENT_BYTES
        }
    );
}

#[test]
fn bucket_policies_must_stay_in_their_bucket() {
    let policy = Policy::parse_bucket(
        r#"{"Statement":[
          {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"},
          {"Sid":"Other","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::videos/*"}]}"#,
    )
    .unwrap();
    let err = policy.check_bucket("photos").unwrap_err();
    assert!(matches!(err, PolicyError::ResourceOutsideBucket { .. }));
    assert_eq!(
        err.to_string(),
        "Statement[1] (Sid \"Other\"), field Resource: resource `arn:aws:s3:::videos/*` does not refer to bucket `photos`"
    );
    let ok = Policy::parse_bucket(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":["arn:aws:s3:::photos/*","arn:aws:s3:::pho*/x"]}]}"#).unwrap();
    assert!(ok.check_bucket("photos").is_ok());
    assert!(ok.check_bucket("videos").is_err());
}

#[test]
fn hostile_input_never_panics() {
    // Deep nesting, huge wildcard runs and odd Unicode must yield errors or decisions, not panics.
    let deep = format!("{}{}", "{\"a\":".repeat(3000), "}".repeat(3000));
    assert!(Policy::parse(&deep).is_err());
    let stars = "*".repeat(5000);
    let text = format!(
        r#"{{"Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{stars}a{stars}b"}}]}}"#
    );
    let policy = Policy::parse(&text).unwrap();
    let conditions = tessera_policy::Conditions::new();
    let long_key = format!("arn:aws:s3:::{}", "a".repeat(5000));
    let request = tessera_policy::Request::new("s3:GetObject", &long_key, &conditions);
    assert!(!policy.evaluate(&request).is_allowed());
    for odd in [
        "\u{0}",
        "\u{feff}{}",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:\u{1F600}\",\"Resource\":\"*\"}]}",
    ] {
        assert!(Policy::parse(odd).is_err(), "{odd:?}");
    }
}
