//! The server under test: either an already-running loopback endpoint, or a `tessera` child
//! process this tool starts in a temp dir on a free port with fresh root credentials, waits
//! for (bounded), and stops by its own handle before removing the temp dir. Also the setup
//! every target gets: the bucket and the objects the GET scenarios read, the IAM user of the
//! user scenarios and its temporary credentials, and a fingerprint of the spawned server's
//! identity store file (to show that issuing temporary credentials writes nothing).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http::StatusCode;
use rand::RngExt;
use rand::distr::Alphanumeric;
use serde::Serialize;
use tokio::process::{Child, Command};

use crate::children::{free_port, log_tail};
use crate::client::{self, Endpoint, Issued, S3Client};
use crate::scenarios::{self, KEY_1M, KEY_4K, SIZE_1M, SIZE_4K};
use tessera_sigv4::Credentials;

pub const ROOT_USER: &str = "benchadmin";
// Readiness, not liveness: S3 answers 503 until the object store is open.
const HEALTH_PATH: &str = "/minio/health/ready";
const START_TIMEOUT: Duration = Duration::from_secs(30);
const SETUP_TIMEOUT: Duration = Duration::from_secs(30);
/// The identity store of a server, relative to its DIR (see tessera-server's `serve.rs`).
const IAM_STORE_FILE: &str = ".tessera/iam.redb";
/// The most of an AssumeRole answer read at setup.
const MAX_STS_ANSWER: usize = 64 * 1024;

/// A `tessera server` child process and the temp dir holding its data.
pub struct SpawnedServer {
    child: Child,
    /// `…/data` is the server's DIR; the fsync scratch dir goes next to it.
    workdir: tempfile::TempDir,
    endpoint: Endpoint,
    creds: Arc<Credentials>,
}

impl SpawnedServer {
    /// Start `binary server --address 127.0.0.1:PORT DIR`, with `env` added to its
    /// environment, and wait until its readiness probe answers 200 (with an OpenID provider
    /// configured, the server is ready once its first discovery attempt has ended).
    pub async fn start(binary: &Path, parent: &Path, env: &[(String, String)]) -> Result<Self> {
        if !binary.is_file() {
            bail!(
                "--spawn: `{}` is not a file; build it with `cargo build --release`",
                binary.display()
            );
        }
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
        let workdir = tempfile::Builder::new()
            .prefix("tessera-load-")
            .tempdir_in(parent)
            .with_context(|| format!("creating a temp dir in {}", parent.display()))?;
        let data = workdir.path().join("data");
        let log_path = workdir.path().join("server.log");
        let log = std::fs::File::create(&log_path).context("creating the server log file")?;
        let log_err = log.try_clone().context("duplicating the log handle")?;
        let port = free_port()?;
        let password: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(24)
            .map(char::from)
            .collect();
        let child = Command::new(binary)
            .arg("server")
            .arg("--address")
            .arg(format!("127.0.0.1:{port}"))
            .arg(&data)
            .env("TESSERA_ROOT_USER", ROOT_USER)
            .env("TESSERA_ROOT_PASSWORD", &password)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut server = Self {
            child,
            workdir,
            endpoint: Endpoint::loopback(port),
            creds: Arc::new(Credentials::new(ROOT_USER.to_owned(), password, None)),
        };
        if let Err(e) = server.wait_live().await {
            let tail = log_tail(&log_path);
            server.stop().await;
            bail!("{e:#}\n--- last lines of the server log ---\n{tail}");
        }
        Ok(server)
    }

    async fn wait_live(&mut self) -> Result<()> {
        let started = Instant::now();
        let mut last = String::from("no answer yet");
        while started.elapsed() < START_TIMEOUT {
            if let Some(status) = self
                .child
                .try_wait()
                .context("polling the server process")?
            {
                bail!("the server exited during start-up ({status})");
            }
            let req = client::unsigned_get(&self.endpoint, HEALTH_PATH)?;
            match client::send_once(&self.endpoint, req, Duration::from_secs(1)).await {
                Ok(out) if out.status == StatusCode::OK => return Ok(()),
                Ok(out) => last = format!("HTTP status {}", out.status),
                Err(e) => last = format!("{e:#}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "{} did not answer 200 on {HEALTH_PATH} within {START_TIMEOUT:?} (last: {last})",
            self.endpoint.url()
        )
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn credentials(&self) -> Arc<Credentials> {
        self.creds.clone()
    }

    /// Where the fsync ceiling writes: next to the server's data, same filesystem.
    pub fn scratch_parent(&self) -> PathBuf {
        self.workdir.path().to_owned()
    }

    /// The server's DIR.
    pub fn data_dir(&self) -> PathBuf {
        self.workdir.path().join("data")
    }

    /// The server's identity store file, `DIR/.tessera/iam.redb`.
    pub fn iam_store(&self) -> PathBuf {
        self.data_dir().join(IAM_STORE_FILE)
    }

    /// Kill this child (by its handle), reap it, then remove the temp dir.
    pub async fn stop(mut self) {
        if let Err(e) = self.child.kill().await {
            eprintln!("warning: stopping the server process: {e}");
        }
        let path = self.workdir.path().to_owned();
        if let Err(e) = self.workdir.close() {
            eprintln!("warning: removing {}: {e}", path.display());
        }
    }
}

/// Create the bucket (an existing one of ours is fine) and the objects the GET scenarios read,
/// then read each back once, so a signing or routing problem fails here with a clear message
/// instead of as a column of errors.
pub async fn prepare(s3: &S3Client) -> Result<()> {
    let ep = s3.endpoint();
    let out = client::send_once(ep, s3.create_bucket()?, SETUP_TIMEOUT)
        .await
        .context("creating the bucket")?;
    if !(out.status.is_success() || out.status == StatusCode::CONFLICT) {
        bail!(
            "creating the bucket: HTTP status {} (are the credentials right?)",
            out.status
        );
    }
    for (key, len) in [(KEY_4K, SIZE_4K), (KEY_1M, SIZE_1M)] {
        let put = s3.put_object(key, scenarios::body_of(len))?;
        let out = client::send_once(ep, put, SETUP_TIMEOUT)
            .await
            .with_context(|| format!("uploading `{key}`"))?;
        if !out.status.is_success() {
            bail!("uploading `{key}`: HTTP status {}", out.status);
        }
        let out = client::send_once(ep, s3.get_object(key)?, SETUP_TIMEOUT)
            .await
            .with_context(|| format!("reading `{key}` back"))?;
        if !out.status.is_success() || out.body_len != len as u64 {
            bail!(
                "reading `{key}` back: HTTP status {}, {} bytes (expected {len})",
                out.status,
                out.body_len
            );
        }
    }
    Ok(())
}

/// The IAM user of the `get4k-user` scenario and the object it reads.
pub const BENCH_USER: &str = "bench-user";
pub const USER_KEY_4K: &str = "bench-user/get4k-object";

/// The classic home-directory policy for `bucket`.
fn home_policy(bucket: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[
  {{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::{bucket}"],
   "Condition":{{"StringLike":{{"s3:prefix":["${{aws:username}}/*"]}}}}}},
  {{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::{bucket}/${{aws:username}}/*"]}}]}}"#
    )
}

/// `body` encrypted for the admin API with `password` (root's secret key; madmin's Argon2id
/// AES-GCM), off the async workers since the key derivation blocks; `what` says what failed.
async fn seal(password: String, body: String, what: &'static str) -> Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || {
        tessera_admin::encrypt(
            password.as_bytes(),
            body.as_bytes(),
            tessera_admin::Algorithm::Argon2idAesGcm,
        )
    })
    .await
    .context(what)?
    .context(what)
}

async fn admin_call(
    root: &S3Client,
    method: http::Method,
    command: &str,
    query: &[(&str, &str)],
    body: Bytes,
) -> Result<()> {
    let out = client::send_once(
        root.endpoint(),
        root.admin(method, command, query, body)?,
        SETUP_TIMEOUT,
    )
    .await
    .with_context(|| format!("admin call {command}"))?;
    if !out.status.is_success() {
        bail!("admin call {command}: HTTP status {}", out.status);
    }
    Ok(())
}

/// Creates (through the admin API, as root) an IAM user under the home-directory policy and
/// the object it reads; returns a client signing as that user.
pub async fn prepare_iam_user(
    root: &S3Client,
    root_secret: &str,
    bucket: &str,
) -> Result<S3Client> {
    let secret: String = format!("bench-user-secret-{}", std::process::id());
    admin_call(
        root,
        http::Method::PUT,
        "add-canned-policy",
        &[("name", "bench-home")],
        Bytes::from(home_policy(bucket)),
    )
    .await?;
    let body = format!(r#"{{"secretKey":"{secret}","status":"enabled"}}"#);
    let sealed = seal(
        root_secret.to_owned(),
        body,
        "encrypting the add-user payload",
    )
    .await?;
    admin_call(
        root,
        http::Method::PUT,
        "add-user",
        &[("accessKey", BENCH_USER)],
        Bytes::from(sealed),
    )
    .await?;
    admin_call(
        root,
        http::Method::PUT,
        "set-user-or-group-policy",
        &[
            ("isGroup", "false"),
            ("policyName", "bench-home"),
            ("userOrGroup", BENCH_USER),
        ],
        Bytes::new(),
    )
    .await?;
    let put = root.put_object(USER_KEY_4K, scenarios::body_of(SIZE_4K))?;
    let out = client::send_once(root.endpoint(), put, SETUP_TIMEOUT)
        .await
        .context("uploading the user's object")?;
    if !out.status.is_success() {
        bail!("uploading `{USER_KEY_4K}`: HTTP status {}", out.status);
    }
    let user = root.with_credentials(Arc::new(Credentials::new(
        BENCH_USER.to_owned(),
        secret,
        None,
    )));
    let out = client::send_once(
        user.endpoint(),
        user.get_object(USER_KEY_4K)?,
        SETUP_TIMEOUT,
    )
    .await
    .context("reading the user's object as the user")?;
    if !out.status.is_success() {
        bail!(
            "the IAM user cannot read `{USER_KEY_4K}`: HTTP status {}",
            out.status
        );
    }
    Ok(user)
}

/// AssumeRole signed by `caller` (an IAM user or root); the credentials it answers with.
pub async fn assume_role(caller: &S3Client, duration_secs: Option<u32>) -> Result<Issued> {
    let (out, body) = client::send_once_keeping(
        caller.endpoint(),
        caller.assume_role(duration_secs)?,
        MAX_STS_ANSWER,
        SETUP_TIMEOUT,
    )
    .await
    .context("calling AssumeRole")?;
    let text = String::from_utf8_lossy(&body);
    if out.status != StatusCode::OK {
        bail!(
            "AssumeRole as `{}`: HTTP status {}: {}",
            caller.credentials().access_key(),
            out.status,
            text.chars().take(400).collect::<String>()
        );
    }
    client::parse_assume_role(&text)
}

/// One AssumeRoleWithWebIdentity trading `token`, before measuring, so that a refused token
/// fails here with the server's words; the credentials it answers with.
pub async fn assume_role_with_web_identity(endpoint: &Endpoint, token: &str) -> Result<Issued> {
    unsigned_sts_call(
        endpoint,
        "AssumeRoleWithWebIdentity",
        client::web_identity_form(token),
    )
    .await
}

/// One AssumeRoleWithLDAPIdentity for `username`, before measuring, so that a refused login
/// fails here with the server's words; the credentials it answers with.
pub async fn assume_role_with_ldap_identity(
    endpoint: &Endpoint,
    username: &str,
    password: &str,
) -> Result<Issued> {
    unsigned_sts_call(
        endpoint,
        "AssumeRoleWithLDAPIdentity",
        client::ldap_identity_form(username, password),
    )
    .await
}

/// An unsigned STS `action` posting `form`; the temporary credentials it answers with.
async fn unsigned_sts_call(endpoint: &Endpoint, action: &str, form: Bytes) -> Result<Issued> {
    let request = client::unsigned_form_post(endpoint, form)?;
    let (out, body) = client::send_once_keeping(endpoint, request, MAX_STS_ANSWER, SETUP_TIMEOUT)
        .await
        .with_context(|| format!("calling {action}"))?;
    let text = String::from_utf8_lossy(&body);
    if out.status != StatusCode::OK {
        bail!(
            "{action}: HTTP status {}: {}",
            out.status,
            text.chars().take(400).collect::<String>()
        );
    }
    let issued = client::parse_assume_role(&text)?;
    if !issued.credentials.access_key().starts_with("ASIA") {
        bail!(
            "{action} answered access key `{}`, expected one starting with ASIA",
            issued.credentials.access_key()
        );
    }
    Ok(issued)
}

/// Maps `policy` to the LDAP group `group_dn` through the admin API as root
/// (`POST idp/ldap/policy/attach`, body and answer encrypted with root's secret); returns the
/// policies the server says it attached.
pub async fn attach_ldap_group_policy(
    root: &S3Client,
    policy: &str,
    group_dn: &str,
) -> Result<Vec<String>> {
    let command = "idp/ldap/policy/attach";
    let body = serde_json::json!({"policies": [policy], "group": group_dn}).to_string();
    let password = root.credentials().secret_key().expose().to_owned();
    let sealed = seal(password.clone(), body, "encrypting the attach payload").await?;
    let request = root.admin(http::Method::POST, command, &[], Bytes::from(sealed))?;
    let (out, answer) =
        client::send_once_keeping(root.endpoint(), request, MAX_STS_ANSWER, SETUP_TIMEOUT)
            .await
            .with_context(|| format!("admin call {command}"))?;
    if !out.status.is_success() {
        bail!(
            "admin call {command}: HTTP status {}: {}",
            out.status,
            String::from_utf8_lossy(&answer)
                .chars()
                .take(400)
                .collect::<String>()
        );
    }
    let plain = tokio::task::spawn_blocking(move || {
        tessera_admin::decrypt(password.as_bytes(), &answer).map(|p| p.to_vec())
    })
    .await
    .context("decrypting the attach answer")?
    .context("decrypting the attach answer")?;
    attached_policies(&plain)
}

/// The `policiesAttached` of a decrypted attach answer.
fn attached_policies(plain: &[u8]) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        #[serde(default)]
        policies_attached: Vec<String>,
    }
    let answer: Answer = serde_json::from_slice(plain).with_context(|| {
        format!(
            "reading the attach answer: {}",
            String::from_utf8_lossy(plain)
        )
    })?;
    Ok(answer.policies_attached)
}

/// Temporary credentials of `user` (one AssumeRole, `duration_secs`), checked by reading the
/// user's object with them; returns a client signing with them (session token included).
pub async fn prepare_temporary(user: &S3Client, duration_secs: u32) -> Result<S3Client> {
    let issued = assume_role(user, Some(duration_secs)).await?;
    if !issued.credentials.access_key().starts_with("ASIA") {
        bail!(
            "AssumeRole answered access key `{}`, expected one starting with ASIA",
            issued.credentials.access_key()
        );
    }
    eprintln!(
        "temporary credentials {} for `{}`, expiring {}",
        issued.credentials.access_key(),
        user.credentials().access_key(),
        issued.expiration
    );
    let temp = user.with_credentials(Arc::new(issued.credentials));
    let out = client::send_once(
        temp.endpoint(),
        temp.get_object(USER_KEY_4K)?,
        SETUP_TIMEOUT,
    )
    .await
    .context("reading the user's object with temporary credentials")?;
    if !out.status.is_success() || out.body_len != SIZE_4K as u64 {
        bail!(
            "temporary credentials cannot read `{USER_KEY_4K}`: HTTP status {}, {} bytes",
            out.status,
            out.body_len
        );
    }
    Ok(temp)
}

/// Size, modification time and content hash of a file at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileState {
    pub size: u64,
    /// RFC 3339, at the file system's resolution.
    pub modified: String,
    pub sha256: String,
}

/// Reads `path` whole (off the async workers) and fingerprints it.
pub async fn file_state(path: &Path) -> Result<FileState> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let meta =
            std::fs::metadata(&path).with_context(|| format!("reading {}", path.display()))?;
        let modified = meta
            .modified()
            .with_context(|| format!("modification time of {}", path.display()))?;
        let content =
            std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        Ok(FileState {
            size: meta.len(),
            modified: time::OffsetDateTime::from(modified)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            sha256: tessera_sigv4::hex_sha256(&content),
        })
    })
    .await
    .context("fingerprinting a file")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attach_answers_name_the_policies() {
        let plain = br#"{"policiesAttached":["readonly"],"updatedAt":"2030-01-01T00:00:00Z"}"#;
        assert_eq!(
            attached_policies(plain).ok(),
            Some(vec!["readonly".to_owned()])
        );
        assert_eq!(
            attached_policies(br#"{"updatedAt":"x"}"#).ok(),
            Some(Vec::new())
        );
        assert!(attached_policies(b"not json").is_err());
    }

    #[tokio::test]
    async fn file_state_sees_content_changes() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").unwrap_or_else(|e| panic!("{e}"));
        let a = file_state(&path).await.unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(a.size, 3);
        assert_eq!(a.sha256, tessera_sigv4::hex_sha256(b"abc"));
        assert_eq!(file_state(&path).await.ok(), Some(a.clone()));
        std::fs::write(&path, b"abd").unwrap_or_else(|e| panic!("{e}"));
        let b = file_state(&path).await.unwrap_or_else(|e| panic!("{e:#}"));
        assert_ne!(a.sha256, b.sha256);
        assert!(file_state(&dir.path().join("missing")).await.is_err());
    }
}
