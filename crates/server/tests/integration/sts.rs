//! STS through aws-sdk-sts against the real binary: AssumeRole credentials work on S3 (header
//! and presigned URL), a session policy narrows them, they expire, survive a restart, outlive a
//! key rotation until they expire, stop at a revocation and when the parent is disabled;
//! GetCallerIdentity names every kind of caller.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
use tessera_iam::MappingTarget;

use crate::admin_cli::admin;
use crate::common::{ROOT_PASSWORD, ROOT_USER, TestServer, code};
use crate::iam::{HOME_POLICY, attach, seed, user};

/// Servers here accept sessions of a second or more, so expiry shows without a long wait.
const SHORT_SESSIONS: &[(&str, &str)] = &[("TESSERA_STS_DURATION_MIN", "1s")];

fn sts_client(server: &TestServer, access_key: &str, secret_key: &str) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(server.endpoint())
        .credentials_provider(Credentials::new(access_key, secret_key, None, None, "test"))
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

/// Temporary credentials from AssumeRole.
struct Session {
    access_key: String,
    secret_key: String,
    token: String,
}

impl Session {
    fn s3(&self, server: &TestServer) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(server.endpoint())
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                &self.access_key,
                &self.secret_key,
                Some(self.token.clone()),
                None,
                "sts",
            ))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }
}

async fn assume_role(
    server: &TestServer,
    access_key: &str,
    secret_key: &str,
    seconds: Option<i32>,
    policy: Option<&str>,
) -> Session {
    let out = sts_client(server, access_key, secret_key)
        .assume_role()
        .role_arn("arn:xxx:xxx:xxx:xxxx")
        .role_session_name("integration")
        .set_duration_seconds(seconds)
        .set_policy(policy.map(str::to_owned))
        .send()
        .await
        .expect("AssumeRole");
    let c = out.credentials().expect("credentials");
    assert!(c.access_key_id().starts_with("ASIA"));
    Session {
        access_key: c.access_key_id().to_owned(),
        secret_key: c.secret_access_key().to_owned(),
        token: c.session_token().to_owned(),
    }
}

async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(o) => Ok(o.body.collect().await.expect("body").to_vec()),
        Err(e) => Err(code(&e)),
    }
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<(), String> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .map(drop)
        .map_err(|e| code(&e))
}

#[tokio::test]
async fn root_sessions_work_on_s3_narrow_by_policy_and_survive_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut server = TestServer::start_in(&dir, SHORT_SESSIONS, None);
    server
        .client()
        .create_bucket()
        .bucket("sts")
        .send()
        .await
        .unwrap();
    let owner = assume_role(&server, ROOT_USER, ROOT_PASSWORD, None, None).await;
    let s3 = owner.s3(&server);
    put(&s3, "sts", "a").await.unwrap();
    assert_eq!(get(&s3, "sts", "a").await.unwrap(), b"data");

    // A presigned URL carries the token in its query.
    let url = s3
        .get_object()
        .bucket("sts")
        .key("a")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    assert!(url.uri().contains("X-Amz-Security-Token="));
    let (status, body) = crate::common::raw_request(
        server.port,
        &format!(
            "GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            &url.uri()[url.uri().find("/sts/").unwrap()..],
            server.port
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let get_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::sts/*"}]}"#;
    let narrow = assume_role(&server, ROOT_USER, ROOT_PASSWORD, None, Some(get_only)).await;
    let narrow_s3 = narrow.s3(&server);
    assert_eq!(get(&narrow_s3, "sts", "a").await.unwrap(), b"data");
    assert_eq!(
        put(&narrow_s3, "sts", "b").await.unwrap_err(),
        "AccessDenied"
    );

    // Stateless: nothing was stored, yet both sessions work after a restart.
    assert!(server.terminate());
    let server = TestServer::start_in(&dir, SHORT_SESSIONS, None);
    assert_eq!(get(&owner.s3(&server), "sts", "a").await.unwrap(), b"data");
    assert_eq!(
        put(&narrow.s3(&server), "sts", "c").await.unwrap_err(),
        "AccessDenied"
    );
}

#[tokio::test]
async fn user_sessions_follow_the_parent_live_and_expire() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    seed(&dir, |iam| {
        iam.put_policy("home", HOME_POLICY).unwrap();
        user(iam, "alice");
        attach(iam, MappingTarget::User("alice".into()), "home");
    });
    let server = TestServer::start_in(&dir, SHORT_SESSIONS, None);
    server
        .client()
        .create_bucket()
        .bucket("home")
        .send()
        .await
        .unwrap();
    let session = assume_role(&server, "alice", "alice-secret-key", None, None).await;
    let s3 = session.s3(&server);
    put(&s3, "home", "alice/x").await.unwrap();
    assert_eq!(put(&s3, "home", "bob/x").await.unwrap_err(), "AccessDenied");

    // A session policy never widens: PutObject everywhere still stops at alice's prefix.
    let wide = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"}]}"#;
    let widened = assume_role(&server, "alice", "alice-secret-key", None, Some(wide)).await;
    assert_eq!(
        put(&widened.s3(&server), "home", "bob/y")
            .await
            .unwrap_err(),
        "AccessDenied"
    );

    // The token is required, and only its own access key's.
    let other = assume_role(&server, "alice", "alice-secret-key", None, None).await;
    let swapped = Session {
        access_key: session.access_key.clone(),
        secret_key: session.secret_key.clone(),
        token: other.token.clone(),
    };
    assert_eq!(
        get(&swapped.s3(&server), "home", "alice/x")
            .await
            .unwrap_err(),
        "InvalidTokenId"
    );
    let no_token =
        crate::common::client_for(&server.endpoint(), &session.access_key, &session.secret_key);
    assert_eq!(
        get(&no_token, "home", "alice/x").await.unwrap_err(),
        "InvalidTokenId"
    );

    // Detaching alice's policy (through the admin API) takes effect at the next request.
    let detach = admin(&server, &["policy", "detach", "home", "--user", "alice"]).await;
    assert!(detach.ok, "{}", detach.stderr);
    assert_eq!(
        get(&s3, "home", "alice/x").await.unwrap_err(),
        "AccessDenied"
    );
    let attach_back = admin(&server, &["policy", "attach", "home", "--user", "alice"]).await;
    assert!(attach_back.ok, "{}", attach_back.stderr);
    assert_eq!(get(&s3, "home", "alice/x").await.unwrap(), b"data");
    let disable = admin(&server, &["user", "disable", "alice"]).await;
    assert!(disable.ok, "{}", disable.stderr);
    assert_eq!(
        get(&s3, "home", "alice/x").await.unwrap_err(),
        "InvalidAccessKeyId"
    );
    let enable = admin(&server, &["user", "enable", "alice"]).await;
    assert!(enable.ok, "{}", enable.stderr);

    // Expiry, shown with a two-second session.
    let short = assume_role(&server, "alice", "alice-secret-key", Some(2), None).await;
    let short_s3 = short.s3(&server);
    assert_eq!(get(&short_s3, "home", "alice/x").await.unwrap(), b"data");
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert_eq!(
        get(&short_s3, "home", "alice/x").await.unwrap_err(),
        "InvalidAccessKeyId"
    );
}

#[tokio::test]
async fn revocation_and_key_rotation() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    seed(&dir, |iam| {
        user(iam, "carol");
        attach(iam, MappingTarget::User("carol".into()), "readwrite");
    });
    let server = TestServer::start_in(&dir, SHORT_SESSIONS, None);
    server
        .client()
        .create_bucket()
        .bucket("rev")
        .send()
        .await
        .unwrap();
    let before = assume_role(&server, "carol", "carol-secret-key", None, None).await;
    put(&before.s3(&server), "rev", "k").await.unwrap();

    // Rotation: the old session keeps working, new ones are signed by the new key.
    let keys = admin(&server, &["--json", "sts", "rotate-key"]).await;
    assert!(keys.ok, "{}", keys.stderr);
    assert_eq!(keys.json()["keys"].as_array().unwrap().len(), 2);
    assert_eq!(get(&before.s3(&server), "rev", "k").await.unwrap(), b"data");
    let after_rotation = assume_role(&server, "carol", "carol-secret-key", None, None).await;
    assert_ne!(before.access_key[4..6], after_rotation.access_key[4..6]);
    assert_eq!(
        get(&after_rotation.s3(&server), "rev", "k").await.unwrap(),
        b"data"
    );

    // Revoking carol's sessions ends both, from the next request; a new one works.
    let revoke = admin(&server, &["sts", "revoke", "--user", "carol", "--all"]).await;
    assert!(revoke.ok, "{}", revoke.stderr);
    for s in [&before, &after_rotation] {
        assert_eq!(
            get(&s.s3(&server), "rev", "k").await.unwrap_err(),
            "InvalidAccessKeyId"
        );
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    let fresh = assume_role(&server, "carol", "carol-secret-key", None, None).await;
    assert_eq!(get(&fresh.s3(&server), "rev", "k").await.unwrap(), b"data");
}

#[tokio::test]
async fn get_caller_identity_names_every_kind_of_caller() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    seed(&dir, |iam| user(iam, "dave"));
    let server = TestServer::start_in(&dir, &[], None);
    let who = |client: aws_sdk_sts::Client| async move {
        let out = client.get_caller_identity().send().await.expect("identity");
        (
            out.arn().unwrap_or_default().to_owned(),
            out.user_id().unwrap_or_default().to_owned(),
        )
    };
    let (arn, _) = who(sts_client(&server, ROOT_USER, ROOT_PASSWORD)).await;
    assert!(arn.ends_with(":root"), "{arn}");
    let (arn, id) = who(sts_client(&server, "dave", "dave-secret-key")).await;
    assert!(arn.ends_with(":user/dave"), "{arn}");
    assert_eq!(id, "dave");
    let session = assume_role(&server, "dave", "dave-secret-key", None, None).await;
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(server.endpoint())
        .credentials_provider(Credentials::new(
            &session.access_key,
            &session.secret_key,
            Some(session.token.clone()),
            None,
            "sts",
        ))
        .build();
    let temp = aws_sdk_sts::Client::from_conf(config);
    let (arn, id) = who(temp.clone()).await;
    assert!(
        arn.ends_with(&format!(":assumed-role/dave/{}", session.access_key)),
        "{arn}"
    );
    assert_eq!(id, session.access_key);

    // Temporary credentials cannot chain into AssumeRole.
    let err = temp
        .assume_role()
        .role_arn("arn:xxx:xxx:xxx:xxxx")
        .role_session_name("chain")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("AccessDenied")
    );
}

/// A signed aws-chunked PUT (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, every chunk signed with
/// the derived secret) by temporary credentials, built by hand as minio-go and the Java SDK
/// send it; a chunk signed with another secret is refused and stores nothing.
#[tokio::test]
async fn signed_chunked_uploads_work_with_temporary_credentials() {
    use tessera_sigv4::{
        Credentials as SigCredentials, STREAMING_PAYLOAD, Scope, Unsigned, amz_date,
        chunk_signature, sign,
    };

    let server = TestServer::start();
    server
        .client()
        .create_bucket()
        .bucket("chunks")
        .send()
        .await
        .unwrap();
    let session = assume_role(&server, ROOT_USER, ROOT_PASSWORD, None, None).await;
    let chunks: [Vec<u8>; 2] = [vec![b'x'; 65_536], b"tail of the object".to_vec()];
    let total: usize = chunks.iter().map(Vec::len).sum();

    let upload = |key: &'static str, chunk_secret: String| {
        let creds = SigCredentials::new(
            session.access_key.clone(),
            session.secret_key.clone(),
            Some(session.token.clone()),
        );
        let chunk_creds = SigCredentials::new(session.access_key.clone(), chunk_secret, None);
        let scope = Scope::s3("us-east-1");
        let date = amz_date(time::OffsetDateTime::now_utc());
        let host = format!("127.0.0.1:{}", server.port);
        let path = format!("/chunks/{key}");
        let decoded = total.to_string();
        let headers = [
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", decoded.as_str()),
        ];
        let signed = sign(
            &creds,
            &scope,
            &date,
            &Unsigned {
                method: "PUT",
                path: &path,
                query: &[],
                host: &host,
                headers: &headers,
                payload_sha256: STREAMING_PAYLOAD,
            },
        );
        let authorization = &signed.last().unwrap().1;
        let mut previous = authorization
            .rsplit("Signature=")
            .next()
            .unwrap()
            .to_owned();
        let mut body = String::new();
        for chunk in chunks.iter().map(Vec::as_slice).chain([&b""[..]]) {
            let sig = chunk_signature(&chunk_creds, &scope, &date, &previous, chunk);
            body.push_str(&format!("{:x};chunk-signature={sig}\r\n", chunk.len()));
            body.push_str(std::str::from_utf8(chunk).unwrap());
            body.push_str("\r\n");
            previous = sig;
        }
        let mut request = format!("PUT {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        for (name, value) in headers
            .iter()
            .copied()
            .chain(signed.iter().map(|(n, v)| (*n, v.as_str())))
        {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
        request
    };

    let (status, body) =
        crate::common::raw_request(server.port, &upload("good", session.secret_key.clone())).await;
    assert_eq!(status, 200, "{body}");
    let s3 = session.s3(&server);
    let got = get(&s3, "chunks", "good").await.unwrap();
    assert_eq!(got.len(), total);
    assert!(got.ends_with(b"tail of the object"));

    let (status, body) = crate::common::raw_request(
        server.port,
        &upload("forged", "another-secret-altogether-1234567890ab".into()),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(get(&s3, "chunks", "forged").await.unwrap_err(), "NoSuchKey");
}
