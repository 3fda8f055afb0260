//! Starting and stopping a real server for a test, and the clients that talk to it.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

pub const ROOT_USER: &str = "tessera-test-root";
pub const ROOT_PASSWORD: &str = "integration-secret-123";

/// A running `tessera server`, killed when dropped.
pub struct TestServer {
    child: Child,
    pub port: u16,
    pub scheme: &'static str,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl TestServer {
    /// A server over a fresh temporary directory.
    pub fn start() -> Self {
        Self::start_with(&[], None)
    }

    pub fn start_with(env: &[(&str, &str)], certs_dir: Option<&Path>) -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("data");
        let mut s = Self::start_in(&dir, env, certs_dir);
        s._tmp = Some(tmp);
        s
    }

    /// A server over `dir`, which the caller keeps (for restarts).
    pub fn start_in(dir: &Path, env: &[(&str, &str)], certs_dir: Option<&Path>) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
        cmd.arg("server").arg("--address").arg("127.0.0.1:0");
        if let Some(c) = certs_dir {
            cmd.arg("--certs-dir").arg(c);
        }
        cmd.arg(dir)
            .env("TESSERA_ROOT_USER", ROOT_USER)
            .env("TESSERA_ROOT_PASSWORD", ROOT_PASSWORD)
            .env("RUST_LOG", "warn,s3s=off")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start tessera");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Tessera listening on ") {
                    let _ = tx.send(rest.to_owned());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                panic!("tessera did not report its address within 60 s");
            }
        };
        let scheme = if url.starts_with("https://") {
            "https"
        } else {
            "http"
        };
        let port: u16 = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in the listening line");
        Self {
            child,
            port,
            scheme,
            dir: dir.to_owned(),
            _tmp: None,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    pub fn client(&self) -> aws_sdk_s3::Client {
        client_for(&self.endpoint(), ROOT_USER, ROOT_PASSWORD)
    }

    /// SIGKILL: the process gets no chance to clean up.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the process to exit; returns whether it exited successfully.
    pub fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..600 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        false
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client_for(endpoint: &str, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(access_key, secret_key, None, None, "test"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The S3 error code of a failed SDK call.
pub fn code<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .unwrap_or("<no service error>")
        .to_owned()
}

/// A raw HTTP/1.1 exchange for requests no SDK would send; returns status and body.
pub async fn raw_request(port: u16, request: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
    parse_response(&buf)
}

pub fn parse_response(buf: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    let mut h = md5::Md5::new();
    h.update(data);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Deterministic pseudo-random bytes (no RNG dependency needed).
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Every data file under the server's storage directory.
pub fn data_files(dir: &Path) -> Vec<PathBuf> {
    let root = dir.join(".tessera/storage/data");
    let mut out = Vec::new();
    if let Ok(shards) = std::fs::read_dir(root) {
        for shard in shards.flatten() {
            if let Ok(files) = std::fs::read_dir(shard.path()) {
                out.extend(files.flatten().map(|f| f.path()));
            }
        }
    }
    out
}
