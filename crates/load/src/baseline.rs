//! The baselines measured in the same run as the server under test: a minimal in-process
//! hyper 1 server on loopback (what plain HTTP/1.1 on this machine can do for the same GETs),
//! the fsync ceiling (how many durable 4 KiB file creations this disk allows at the same
//! concurrency, with no HTTP at all), and the RSA-2048 verification limit (how many RS256
//! token signatures the same library checks per second on all cores, no HTTP).

use std::convert::Infallible;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::client::Endpoint;
use crate::issuer::SignatureCheck;
use crate::report::RSA_VERIFY_LIMIT;
use crate::scenarios::{self, Bounds, KEY_1M, Measurement, SIZE_1M, SIZE_4K, Scenario};
use crate::server_thread::ServerThread;

/// A hyper 1 HTTP/1.1 server on 127.0.0.1 answering every request with a fixed body: 1 MiB
/// when the path ends with [`KEY_1M`], 4 KiB otherwise. It runs on its own tokio runtime and
/// threads, so it competes with the load generator for CPU the way a separate server process
/// does.
pub struct HyperBaseline {
    endpoint: Endpoint,
    server: ServerThread,
}

impl HyperBaseline {
    pub fn start() -> Result<Self> {
        let listener = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .context("binding the hyper baseline to 127.0.0.1")?;
        listener
            .set_nonblocking(true)
            .context("setting the listener non-blocking")?;
        let port = listener
            .local_addr()
            .context("reading the baseline port")?
            .port();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("hyper-baseline")
            .build()
            .context("starting the baseline runtime")?;
        let body_4k = scenarios::body_of(SIZE_4K);
        let body_1m = scenarios::body_of(SIZE_1M);
        let server = ServerThread::spawn("hyper-baseline-main", runtime, listener, move |l| {
            accept_loop(l, body_4k, body_1m)
        })?;
        Ok(Self {
            endpoint: Endpoint::loopback(port),
            server,
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn stop(mut self) {
        self.server.stop();
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, body_4k: Bytes, body_1m: Bytes) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors or similar: back off instead of spinning.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        if stream.set_nodelay(true).is_err() {
            continue;
        }
        let (body_4k, body_1m) = (body_4k.clone(), body_1m.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let body = if req.uri().path().ends_with(KEY_1M) {
                    body_1m.clone()
                } else {
                    body_4k.clone()
                };
                async move { Ok::<_, Infallible>(Response::new(Full::new(body))) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A fresh directory for the fsync ceiling under `parent` (so on the same filesystem as the
/// server's data), removed when dropped.
pub fn scratch_dir(parent: &Path) -> Result<tempfile::TempDir> {
    std::fs::create_dir_all(parent)
        .with_context(|| format!("creating scratch parent {}", parent.display()))?;
    tempfile::Builder::new()
        .prefix("tessera-load-fsync-")
        .tempdir_in(parent)
        .with_context(|| format!("creating a scratch dir in {}", parent.display()))
}

/// Durable-write ceiling: each worker creates new 4 KiB files (create-new, write, fsync) in
/// `dir`, as many as the bounds allow. Runs on blocking threads.
pub async fn fsync_ceiling(dir: &Path, concurrency: usize, bounds: Bounds) -> Result<Measurement> {
    let dir: PathBuf = dir.to_owned();
    let body = scenarios::body_of(SIZE_4K);
    tokio::task::spawn_blocking(move || {
        scenarios::run_blocking(
            "fsync-ceiling",
            "put4k",
            concurrency,
            bounds,
            |worker, seq| {
                let path = dir.join(format!("c{concurrency}-w{worker}-{seq}"));
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)?;
                file.write_all(&body)?;
                file.sync_all()?;
                Ok(body.len() as u64)
            },
        )
    })
    .await
    .map_err(|e| anyhow!("fsync workers failed: {e}"))
}

/// The crypto limit of `web-identity`: `threads` workers (all cores) verify one RS256 token's
/// signature over and over (jsonwebtoken with aws-lc-rs, the key built from the JWK as Tessera
/// builds it), no HTTP, within `bounds`. The row is labelled with `paired_concurrency`, the
/// web-identity run it follows, and records its `threads`.
pub async fn rsa_verify_limit(
    check: SignatureCheck,
    threads: usize,
    paired_concurrency: usize,
    bounds: Bounds,
) -> Result<Measurement> {
    let mut m = tokio::task::spawn_blocking(move || {
        scenarios::run_blocking(
            RSA_VERIFY_LIMIT,
            Scenario::WebIdentity.name(),
            threads,
            bounds,
            |_, _| match check.verify() {
                Ok(true) => Ok(0),
                Ok(false) => Err(std::io::Error::other("the signature did not verify")),
                Err(e) => Err(std::io::Error::other(format!("{e:#}"))),
            },
        )
    })
    .await
    .map_err(|e| anyhow!("verification workers failed: {e}"))?;
    m.concurrency = paired_concurrency;
    m.threads = Some(threads);
    Ok(m)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::client::S3Client;
    use crate::scenarios::{HttpOp, KEY_4K, Scenario};
    use tessera_sigv4::Credentials;

    fn bounds(max_requests: u64) -> Bounds {
        Bounds {
            duration: Duration::from_secs(20),
            max_requests,
            op_timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hyper_baseline_serves_both_sizes_to_the_load_loop() {
        let server = HyperBaseline::start().unwrap_or_else(|e| panic!("{e:#}"));
        let creds = Arc::new(Credentials::new("AK", "SK", None));
        let s3 = S3Client::new(server.endpoint().clone(), creds, "us-east-1", "b");
        for (scenario, key, len) in [
            (Scenario::Get4k, KEY_4K, SIZE_4K),
            (Scenario::Get1m, KEY_1M, SIZE_1M),
        ] {
            let s3 = s3.clone();
            let op: scenarios::MakeOp = Arc::new(move |_| {
                Ok(HttpOp {
                    request: s3.get_object(key)?.into(),
                    bytes_sent: 0,
                    expect: scenarios::Expect::Len(len as u64),
                })
            });
            let m =
                scenarios::run_http("hyper", scenario, server.endpoint(), 3, bounds(30), op).await;
            assert_eq!((m.ok, m.errors), (30, 0), "{scenario}: {:?}", m.first_error);
            assert!((m.bytes_per_sec * m.seconds - (30 * len) as f64).abs() < 1.0);
        }
        tokio::task::spawn_blocking(move || server.stop())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    #[tokio::test]
    async fn rsa_verify_limit_counts_verifications_on_its_threads() {
        let issuer = tokio::task::spawn_blocking(crate::issuer::Issuer::start)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e:#}"));
        let check = issuer.signature_check().unwrap_or_else(|e| panic!("{e:#}"));
        let m = rsa_verify_limit(check, 2, 16, bounds(40))
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!((m.ok, m.errors), (40, 0), "{:?}", m.first_error);
        assert_eq!(m.target, RSA_VERIFY_LIMIT);
        assert_eq!(m.scenario, "web-identity");
        assert_eq!((m.concurrency, m.threads), (16, Some(2)));
        tokio::task::spawn_blocking(move || issuer.stop())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    #[tokio::test]
    async fn fsync_ceiling_creates_durable_files_in_the_scratch_dir() {
        let parent = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = scratch_dir(parent.path()).unwrap_or_else(|e| panic!("{e:#}"));
        let m = fsync_ceiling(dir.path(), 2, bounds(10))
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!((m.ok, m.errors), (10, 0));
        let files = std::fs::read_dir(dir.path())
            .map(Iterator::count)
            .unwrap_or(0);
        assert_eq!(files, 10);
    }
}
