//! `tessera admin …`: the real binary, run as a user would run it, against a test server. It
//! manages users, policies, groups and service accounts over the admin API, and aws-sdk-s3
//! shows that what it set up takes effect; errors exit non-zero with the server's code.

use std::path::Path;
use std::process::Stdio;

use aws_sdk_s3::primitives::ByteStream;
use serde_json::Value;

use crate::common::{ROOT_PASSWORD, ROOT_USER, TestServer, client_for, code};

const ALICE_SECRET: &str = "alice-secret-key-1";

/// Get and put under `logs/`, list `logs`; nothing else.
const LOGS_RW: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::logs/*"},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::logs"}
  ]
}"#;

/// The service account's narrower policy: reading `logs/` only.
const LOGS_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"}]}"#;

/// What one `tessera admin` run printed.
pub(crate) struct Run {
    pub(crate) ok: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.stdout))
    }
}

/// `tessera admin <connection> ARGS` with the root credentials in flags, nothing from the
/// caller's environment.
pub(crate) async fn admin(server: &TestServer, args: &[&str]) -> Run {
    let endpoint = server.endpoint();
    let mut full = vec![
        "--endpoint",
        endpoint.as_str(),
        "--access-key",
        ROOT_USER,
        "--secret-key",
        ROOT_PASSWORD,
    ];
    full.extend_from_slice(args);
    run(&full, &[], None).await
}

/// `tessera admin ARGS` with exactly `env`, optionally feeding `stdin`. Asserts that the root
/// password is printed nowhere, whatever happens.
async fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    use tokio::io::AsyncWriteExt as _;
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.arg("admin")
        .args(args)
        .env_clear()
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start tessera admin");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.expect("write stdin");
    }
    drop(input);
    let out = child.wait_with_output().await.expect("tessera admin");
    let result = Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !result.stdout.contains(ROOT_PASSWORD) && !result.stderr.contains(ROOT_PASSWORD),
        "the secret key was printed: {args:?}\n{}\n{}",
        result.stdout,
        result.stderr
    );
    result
}

/// Runs and insists on success.
async fn ok(server: &TestServer, args: &[&str]) -> Run {
    let r = admin(server, args).await;
    assert!(r.ok, "{args:?} failed:\n{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.is_empty(),
        "{args:?} wrote to stderr: {}",
        r.stderr
    );
    r
}

/// Runs and insists on failure; returns stderr.
async fn fails(server: &TestServer, args: &[&str]) -> String {
    let r = admin(server, args).await;
    assert!(!r.ok, "{args:?} succeeded:\n{}", r.stdout);
    assert!(r.stdout.is_empty(), "{args:?} printed: {}", r.stdout);
    r.stderr
}

async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<(), String> {
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map(drop)
        .map_err(|e| code(&e))
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

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The one line of a table that starts with `first`.
fn row<'a>(table: &'a str, first: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(first))
        .unwrap_or_else(|| panic!("no row `{first}` in:\n{table}"))
}

#[tokio::test]
async fn admin_cli_manages_users_policies_groups_and_service_accounts() {
    let server = TestServer::start();
    let root = server.client();
    let files = tempfile::tempdir().unwrap();
    for bucket in ["logs", "private"] {
        root.create_bucket().bucket(bucket).send().await.unwrap();
    }
    put(&root, "logs", "a.txt").await.unwrap();
    put(&root, "private", "b.txt").await.unwrap();

    // A user and a policy from a file, attached.
    let r = ok(&server, &["user", "add", "alice", ALICE_SECRET]).await;
    assert!(r.stdout.contains("Added user `alice`"), "{}", r.stdout);
    let policy_file = write(files.path(), "logs-rw.json", LOGS_RW);
    ok(&server, &["policy", "create", "logs-rw", &policy_file]).await;
    let r = ok(&server, &["policy", "attach", "logs-rw", "--user", "alice"]).await;
    assert!(r.stdout.contains("Attached logs-rw to user `alice`"));
    let r = ok(
        &server,
        &["--json", "policy", "attach", "readonly", "--user", "alice"],
    )
    .await;
    assert_eq!(
        r.json()["policiesAttached"],
        serde_json::json!(["readonly"])
    );
    ok(
        &server,
        &["policy", "detach", "readonly", "--user", "alice"],
    )
    .await;

    // Lists and info, as tables and as JSON.
    let r = ok(&server, &["user", "list"]).await;
    assert!(r.stdout.starts_with("ACCESS KEY"), "{}", r.stdout);
    let line = row(&r.stdout, "alice");
    assert!(
        line.contains("enabled") && line.contains("logs-rw"),
        "{line}"
    );
    let users = ok(&server, &["user", "list", "--json"]).await.json();
    assert_eq!(users["alice"]["status"], "enabled");
    assert_eq!(users["alice"]["policyName"], "logs-rw");
    let r = ok(&server, &["user", "info", "alice"]).await;
    assert!(
        row(&r.stdout, "Policies:").contains("logs-rw"),
        "{}",
        r.stdout
    );
    assert!(row(&r.stdout, "Status:").contains("enabled"));

    let r = ok(&server, &["policy", "list"]).await;
    for name in ["logs-rw", "readwrite", "consoleAdmin"] {
        row(&r.stdout, name);
    }
    assert!(ok(&server, &["--json", "policy", "list"]).await.json()["logs-rw"].is_object());
    let r = ok(&server, &["policy", "info", "logs-rw"]).await;
    assert!(r.stdout.contains("arn:aws:s3:::logs/*"), "{}", r.stdout);
    let info = ok(&server, &["policy", "info", "logs-rw", "--json"])
        .await
        .json();
    assert_eq!(info["PolicyName"], "logs-rw");
    assert!(
        info["Policy"]["Statement"][1]["Action"]
            .to_string()
            .contains("s3:ListBucket"),
        "{info}"
    );

    // A group with the user.
    ok(&server, &["group", "add", "devs", "alice"]).await;
    let r = ok(&server, &["group", "list"]).await;
    row(&r.stdout, "devs");
    let r = ok(&server, &["group", "info", "devs"]).await;
    assert!(row(&r.stdout, "Members:").contains("alice"), "{}", r.stdout);
    let group = ok(&server, &["--json", "group", "info", "devs"])
        .await
        .json();
    assert_eq!(group["members"], serde_json::json!(["alice"]));
    assert_eq!(group["status"], "enabled");
    let user = ok(&server, &["--json", "user", "info", "alice"])
        .await
        .json();
    assert_eq!(user["memberOf"], serde_json::json!(["devs"]));
    let entities = ok(
        &server,
        &[
            "--json", "policy", "entities", "--user", "alice", "--policy", "logs-rw",
        ],
    )
    .await
    .json();
    assert_eq!(
        entities["userMappings"][0]["policies"],
        serde_json::json!(["logs-rw"])
    );
    assert_eq!(
        entities["policyMappings"][0]["users"],
        serde_json::json!(["alice"])
    );
    let r = ok(&server, &["policy", "entities", "--user", "alice"]).await;
    assert!(row(&r.stdout, "alice").contains("logs-rw"), "{}", r.stdout);

    // A service account of alice, narrowed to reading; its credentials from --json.
    let narrow = write(files.path(), "logs-read.json", LOGS_READ);
    let created = ok(
        &server,
        &[
            "--json", "svcacct", "add", "--parent", "alice", "--policy", &narrow, "--name", "ci",
        ],
    )
    .await
    .json();
    let sa_key = created["credentials"]["accessKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let sa_secret = created["credentials"]["secretKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = ok(&server, &["svcacct", "list", "alice"]).await;
    let line = row(&r.stdout, &sa_key);
    assert!(line.contains("alice") && line.contains("ci"), "{line}");
    let info = ok(&server, &["--json", "svcacct", "info", &sa_key])
        .await
        .json();
    assert_eq!(info["parentUser"], "alice");
    assert_eq!(info["impliedPolicy"], false);
    let r = ok(&server, &["svcacct", "info", &sa_key]).await;
    assert!(
        row(&r.stdout, "Policy:").contains("embedded"),
        "{}",
        r.stdout
    );

    // What the policies allow, and nothing more.
    let endpoint = server.endpoint();
    let alice = client_for(&endpoint, "alice", ALICE_SECRET);
    let sa = client_for(&endpoint, &sa_key, &sa_secret);
    get(&alice, "logs", "a.txt").await.unwrap();
    put(&alice, "logs", "by-alice.txt").await.unwrap();
    assert_eq!(
        get(&alice, "private", "b.txt").await.unwrap_err(),
        "AccessDenied"
    );
    assert_eq!(
        put(&alice, "private", "x").await.unwrap_err(),
        "AccessDenied"
    );
    get(&sa, "logs", "a.txt").await.unwrap();
    assert_eq!(
        put(&sa, "logs", "by-sa.txt").await.unwrap_err(),
        "AccessDenied"
    );
    assert_eq!(
        get(&sa, "private", "b.txt").await.unwrap_err(),
        "AccessDenied"
    );

    // Editing the service account: disabled, it stops working.
    ok(
        &server,
        &["svcacct", "edit", &sa_key, "--status", "disabled"],
    )
    .await;
    assert_eq!(
        get(&sa, "logs", "a.txt").await.unwrap_err(),
        "InvalidAccessKeyId"
    );
    ok(
        &server,
        &["svcacct", "edit", &sa_key, "--status", "enabled"],
    )
    .await;
    get(&sa, "logs", "a.txt").await.unwrap();

    // A user without admin rights is refused by the admin API.
    let r = run(
        &[
            "--endpoint",
            &endpoint,
            "--access-key",
            "alice",
            "--secret-key",
            ALICE_SECRET,
            "user",
            "list",
        ],
        &[],
        None,
    )
    .await;
    assert!(!r.ok);
    assert!(r.stderr.contains("AccessDenied"), "{}", r.stderr);

    // Detached, the policy no longer applies (nor to the service account, which inherits).
    ok(&server, &["policy", "detach", "logs-rw", "--user", "alice"]).await;
    assert_eq!(
        get(&alice, "logs", "a.txt").await.unwrap_err(),
        "AccessDenied"
    );
    assert_eq!(get(&sa, "logs", "a.txt").await.unwrap_err(), "AccessDenied");
    let user = ok(&server, &["--json", "user", "info", "alice"])
        .await
        .json();
    assert!(user.get("policyName").is_none(), "{user}");

    // Disabled, the user cannot sign anything; enabled again, it can.
    ok(&server, &["policy", "attach", "logs-rw", "--user", "alice"]).await;
    let r = ok(&server, &["user", "disable", "alice"]).await;
    assert!(r.stdout.contains("disabled"));
    assert_eq!(
        get(&alice, "logs", "a.txt").await.unwrap_err(),
        "InvalidAccessKeyId"
    );
    let r = ok(&server, &["user", "list"]).await;
    assert!(row(&r.stdout, "alice").contains("disabled"));
    ok(&server, &["user", "enable", "alice"]).await;
    get(&alice, "logs", "a.txt").await.unwrap();

    // Removal, step by step.
    ok(&server, &["svcacct", "remove", &sa_key]).await;
    let r = ok(&server, &["svcacct", "list", "alice"]).await;
    assert!(!r.stdout.contains(&sa_key), "{}", r.stdout);
    let err = fails(&server, &["group", "remove", "devs"]).await;
    assert!(err.contains("XMinioAdminGroupNotEmpty"), "{err}");
    ok(&server, &["group", "disable", "devs"]).await;
    let group = ok(&server, &["--json", "group", "info", "devs"])
        .await
        .json();
    assert_eq!(group["status"], "disabled");
    ok(&server, &["group", "remove", "devs", "alice"]).await;
    ok(&server, &["group", "remove", "devs"]).await;
    let r = ok(&server, &["group", "list"]).await;
    assert!(!r.stdout.contains("devs"), "{}", r.stdout);
    ok(&server, &["user", "remove", "alice"]).await;
    ok(&server, &["policy", "remove", "logs-rw"]).await;
    let users = ok(&server, &["--json", "user", "list"]).await.json();
    assert!(users.get("alice").is_none(), "{users}");
    let err = fails(&server, &["policy", "info", "logs-rw"]).await;
    assert!(err.contains("XMinioAdminNoSuchPolicy"), "{err}");
    assert_eq!(
        get(&alice, "logs", "a.txt").await.unwrap_err(),
        "InvalidAccessKeyId"
    );
}

#[tokio::test]
async fn admin_cli_errors_exit_non_zero_with_the_servers_code() {
    let server = TestServer::start();
    let endpoint = server.endpoint();
    let files = tempfile::tempdir().unwrap();

    // Wrong secret key: the S3 layer's signature check refuses it.
    let r = run(
        &[
            "--endpoint",
            &endpoint,
            "--access-key",
            ROOT_USER,
            "--secret-key",
            "not-the-root-password",
            "user",
            "list",
        ],
        &[],
        None,
    )
    .await;
    assert!(!r.ok && r.stdout.is_empty());
    assert!(r.stderr.contains("SignatureDoesNotMatch"), "{}", r.stderr);
    assert!(!r.stderr.contains("not-the-root-password"), "{}", r.stderr);

    // A malformed policy file: the server's message.
    let bad = write(
        files.path(),
        "bad.json",
        r#"{"Version":"2012-10-17","Statement":["#,
    );
    let err = fails(&server, &["policy", "create", "broken", &bad]).await;
    assert!(err.contains("XMinioAdminInvalidArgument"), "{err}");
    assert!(err.contains("policy"), "{err}");
    let err = fails(
        &server,
        &[
            "policy",
            "create",
            "broken",
            &write(
                files.path(),
                "effect.json",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}"#,
            ),
        ],
    )
    .await;
    assert!(err.contains("Maybe"), "{err}");
    let err = fails(&server, &["policy", "info", "broken"]).await;
    assert!(err.contains("XMinioAdminNoSuchPolicy"), "{err}");

    // Unknown user, unknown service account, a policy for nobody.
    let err = fails(&server, &["user", "info", "nobody"]).await;
    assert!(
        err.contains("XMinioAdminNoSuchUser") && err.contains("nobody"),
        "{err}"
    );
    let err = fails(&server, &["svcacct", "info", "NOSUCHKEY"]).await;
    assert!(err.contains("XMinioAdminServiceAccountNotFound"), "{err}");
    let err = fails(
        &server,
        &["policy", "attach", "no-such-policy", "--user", "nobody"],
    )
    .await;
    assert!(err.contains("XMinioAdmin"), "{err}");

    // A missing policy file is the tool's own error.
    let err = fails(
        &server,
        &["policy", "create", "p", "/nonexistent/policy.json"],
    )
    .await;
    assert!(err.contains("/nonexistent/policy.json"), "{err}");

    // Nobody listening: the message names the endpoint.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead = format!("http://127.0.0.1:{closed}");
    let r = run(
        &[
            "--endpoint",
            &dead,
            "--access-key",
            ROOT_USER,
            "--secret-key",
            ROOT_PASSWORD,
            "user",
            "list",
        ],
        &[],
        None,
    )
    .await;
    assert!(!r.ok);
    assert!(
        r.stderr.contains(&format!("cannot connect to {dead}")),
        "{}",
        r.stderr
    );

    // No endpoint or no credentials: say what to set.
    let r = run(&["user", "list"], &[], None).await;
    assert!(
        !r.ok && r.stderr.contains("TESSERA_ENDPOINT"),
        "{}",
        r.stderr
    );
    let r = run(&["user", "list"], &[("TESSERA_ENDPOINT", &endpoint)], None).await;
    assert!(!r.ok && r.stderr.contains("--access-key"), "{}", r.stderr);
}

#[tokio::test]
async fn admin_cli_reads_the_environment_and_stdin() {
    let server = TestServer::start();
    let endpoint = server.endpoint();
    let root_env = [
        ("TESSERA_ENDPOINT", endpoint.as_str()),
        ("MINIO_ROOT_USER", ROOT_USER),
        ("MINIO_ROOT_PASSWORD", ROOT_PASSWORD),
    ];
    // Root credentials from MinIO's variables; the secret key from stdin.
    let r = run(
        &["user", "add", "bob", "-"],
        &root_env,
        Some("bob-secret-key\n"),
    )
    .await;
    assert!(r.ok, "{}", r.stderr);
    // TESSERA_ACCESS_KEY / TESSERA_SECRET_KEY win over the root variables.
    let r = run(
        &["--json", "user", "info", "bob"],
        &[
            ("TESSERA_ENDPOINT", endpoint.as_str()),
            ("TESSERA_ACCESS_KEY", "bob"),
            ("TESSERA_SECRET_KEY", "bob-secret-key"),
            ("MINIO_ROOT_USER", ROOT_USER),
            ("MINIO_ROOT_PASSWORD", ROOT_PASSWORD),
        ],
        None,
    )
    .await;
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.json()["status"], "enabled");
    // A policy document from stdin.
    let r = run(
        &["policy", "create", "from-stdin", "-"],
        &root_env,
        Some(LOGS_READ),
    )
    .await;
    assert!(r.ok, "{}", r.stderr);
    let r = run(&["--json", "policy", "info", "from-stdin"], &root_env, None).await;
    let info = r.json();
    assert!(
        info["Policy"]["Statement"][0]["Action"]
            .to_string()
            .contains("s3:GetObject"),
        "{info}"
    );
    // The secret key read from stdin is the one S3 accepts.
    let r = run(
        &["policy", "attach", "readwrite", "--user", "bob"],
        &root_env,
        None,
    )
    .await;
    assert!(r.ok, "{}", r.stderr);
    let bob = client_for(&endpoint, "bob", "bob-secret-key");
    bob.create_bucket().bucket("bobs").send().await.unwrap();
    put(&bob, "bobs", "k").await.unwrap();
}

#[tokio::test]
async fn admin_cli_help_covers_every_command_and_hides_the_secret() {
    let commands: &[&[&str]] = &[
        &[],
        &["user"],
        &["user", "add"],
        &["user", "remove"],
        &["user", "enable"],
        &["user", "disable"],
        &["user", "list"],
        &["user", "info"],
        &["group"],
        &["group", "add"],
        &["group", "remove"],
        &["group", "list"],
        &["group", "info"],
        &["group", "enable"],
        &["group", "disable"],
        &["policy"],
        &["policy", "create"],
        &["policy", "remove"],
        &["policy", "list"],
        &["policy", "info"],
        &["policy", "attach"],
        &["policy", "detach"],
        &["policy", "entities"],
        &["svcacct"],
        &["svcacct", "add"],
        &["svcacct", "remove"],
        &["svcacct", "list"],
        &["svcacct", "info"],
        &["svcacct", "edit"],
    ];
    for path in commands {
        let mut args = path.to_vec();
        args.push("--help");
        let r = run(&args, &[("TESSERA_SECRET_KEY", "super-secret-value")], None).await;
        assert!(r.ok, "{args:?}: {}", r.stderr);
        assert!(
            r.stdout.contains("Usage: tessera admin"),
            "{args:?}: {}",
            r.stdout
        );
        assert!(
            !r.stdout.contains("super-secret-value"),
            "{args:?}: {}",
            r.stdout
        );
    }
}

/// A certificates directory for the server; returns the PEM to give `--ca-file`.
fn https_certs(dir: &Path, self_signed_ca: bool) -> String {
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let key = rcgen::KeyPair::generate().unwrap();
    let (server_pem, ca_pem) = if self_signed_ca {
        // What `openssl req -x509` makes: a self-signed certificate marked as a CA.
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), cert.pem())
    } else {
        // A private CA that signs the server's certificate.
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        let leaf = rcgen::CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        (leaf.pem(), ca.pem())
    };
    std::fs::write(dir.join("public.crt"), server_pem).unwrap();
    std::fs::write(dir.join("private.key"), key.serialize_pem()).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    ca.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn admin_cli_speaks_https_with_a_private_ca() {
    for self_signed in [false, true] {
        let certs = tempfile::tempdir().unwrap();
        let ca = https_certs(certs.path(), self_signed);
        let server = TestServer::start_with(&[], Some(certs.path()));
        assert_eq!(server.scheme, "https");
        let endpoint = server.endpoint();
        let with = |extra: &[&str]| -> Vec<String> {
            [
                "--endpoint",
                endpoint.as_str(),
                "--access-key",
                ROOT_USER,
                "--secret-key",
                ROOT_PASSWORD,
            ]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .collect()
        };

        // Trusting the private CA (or the pinned self-signed certificate): signed and
        // encrypted calls work over TLS.
        let r = run(
            &strs(&with(&[
                "--ca-file",
                &ca,
                "user",
                "add",
                "carol",
                "carol-secret-key",
            ])),
            &[],
            None,
        )
        .await;
        assert!(r.ok, "self-signed {self_signed}: {}", r.stderr);
        let r = run(
            &strs(&with(&["--ca-file", &ca, "--json", "user", "list"])),
            &[],
            None,
        )
        .await;
        assert!(r.ok, "{}", r.stderr);
        assert_eq!(r.json()["carol"]["status"], "enabled");

        // Without it, the certificate is trusted by nobody.
        let r = run(&strs(&with(&["user", "list"])), &[], None).await;
        assert!(!r.ok);
        assert!(
            r.stderr.contains("certificate") && r.stderr.contains("--ca-file"),
            "{}",
            r.stderr
        );

        // --insecure skips verification, and says so.
        let r = run(&strs(&with(&["--insecure", "user", "list"])), &[], None).await;
        assert!(r.ok, "{}", r.stderr);
        assert!(r.stderr.contains("warning: --insecure"), "{}", r.stderr);
        row(&r.stdout, "carol");
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
