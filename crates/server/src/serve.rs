//! The listener: accepts connections (TCP_NODELAY, optional TLS) and deals them to the
//! connection threads (`conn_threads`), answers the health endpoints, hands unsigned STS calls
//! to the STS route and everything else to the s3s service, writes one access-log line per
//! request, and shuts down gracefully on SIGTERM or Ctrl-C (in-flight requests finish; nothing
//! half-written is visible because every write commits atomically or not at all).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tessera_frontend::{
    ClientInfo, Frontend, FrontendOptions, OperationSlot, RequestId, build_service, is_sts_request,
    is_unsigned_sts_request, sts_error_envelope,
};
use tessera_idp::ldap::LdapDirectory;
use tessera_idp::openid::{Fetcher, Providers};
use tessera_storage::{DiskBackend, DiskOptions, ObjectBackend, UpstreamBackend};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::ServerArgs;
use crate::access_log::{AccessLog, AccessRecord};
use crate::config::Settings;
use crate::conn_threads::ConnectionThreads;

/// How long in-flight requests get to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// What request handling needs: the S3 service and the STS route once storage is open.
struct AppState {
    frontend: OnceLock<Frontend>,
    openid: OnceLock<Arc<Providers>>,
    /// Whether the listener speaks TLS (`aws:SecureTransport`).
    secure: bool,
    request_counter: AtomicU64,
    instance: u32,
    access_log: AccessLog,
}

fn parse_address(s: &str) -> anyhow::Result<SocketAddr> {
    let full = if s.starts_with(':') {
        format!("0.0.0.0{s}")
    } else {
        s.to_owned()
    };
    full.parse()
        .with_context(|| format!("--address must be HOST:PORT or :PORT, got `{s}`"))
}

pub async fn run(args: ServerArgs, access_log: AccessLog) -> anyhow::Result<()> {
    let settings = Settings::load(args.config.as_deref())?;
    let system_dir = args.dir.join(".tessera");
    std::fs::create_dir_all(&system_dir)
        .with_context(|| format!("cannot create the data directory {}", args.dir.display()))?;
    set_owner_only(&system_dir)?;
    let root = crate::root_credentials::load_or_create(&system_dir)?;
    let tls = crate::tls::acceptor(args.certs_dir.as_deref())?;
    let address = parse_address(&args.address)?;
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let local = listener.local_addr()?;

    let state = Arc::new(AppState {
        frontend: OnceLock::new(),
        openid: OnceLock::new(),
        secure: tls.is_some(),
        request_counter: AtomicU64::new(0),
        instance: rand::random(),
        access_log,
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let threads = ConnectionThreads::start(cores).context("cannot start the connection threads")?;
    let accept_loop = tokio::spawn(accept_loop(
        listener,
        tls.clone(),
        Arc::clone(&state),
        threads,
        stop_rx,
    ));

    let (backend, cleanup): (Arc<dyn ObjectBackend>, Option<tokio::task::JoinHandle<()>>) =
        match crate::upstream_config::upstream_options(std::env::vars())? {
            Some(options) => {
                println!(
                    "Object data in the upstream S3 cluster at {} (bucket prefix `{}`)",
                    options.endpoint, options.bucket_prefix
                );
                (
                    Arc::new(
                        UpstreamBackend::new(&options)
                            .map_err(|e| anyhow::anyhow!("upstream S3 cluster: {e}"))?,
                    ),
                    None,
                )
            }
            None => {
                let opened = DiskBackend::open(
                    &system_dir.join("storage"),
                    DiskOptions {
                        stale_upload_after: settings.stale_upload_after,
                        ..DiskOptions::default()
                    },
                )
                .await;
                let backend = match opened {
                    Ok(b) => b,
                    Err(e) => {
                        let _ = stop_tx.send(true);
                        let _ = accept_loop.await;
                        return Err(anyhow::anyhow!(e).context(format!(
                            "cannot open the object store under {}",
                            args.dir.display()
                        )));
                    }
                };
                let cleanup = backend.spawn_periodic_cleanup();
                (Arc::new(backend), Some(cleanup))
            }
        };
    let iam_store = identity_store(&system_dir)?;
    let iam = Arc::new(
        tessera_iam::IamSystem::open(iam_store, root)
            .context("cannot load the identity state (users, policies, the STS key ring)")?,
    );
    iam.follow_store()
        .context("cannot follow the shared identity store's changes")?;
    let openid = start_openid(&settings)?;
    let ldap = start_ldap()?;
    let options = FrontendOptions {
        max_object_size: settings.max_object_size,
        region: settings.region.clone(),
        sts: settings.sts.clone(),
        openid: Arc::clone(&openid),
        ldap,
    };
    let _ = state.openid.set(openid);
    let _ = state.frontend.set(build_service(backend, iam, options));
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(address = %local, %scheme, dir = %args.dir.display(), "Tessera is serving S3");
    // Scripts that start the server read this line to learn the port.
    println!("Tessera listening on {scheme}://{local}");

    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    let _ = stop_tx.send(true);
    let _ = accept_loop.await;
    if let Some(cleanup) = cleanup {
        cleanup.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

fn set_owner_only(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot restrict {} to its owner", dir.display()))
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = term => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    state: Arc<AppState>,
    threads: ConnectionThreads,
    mut stop: watch::Receiver<bool>,
) {
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        // Without TCP_NODELAY small responses wait for the peer's delayed ACK (~40 ms).
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let service = service_fn(move |req| handle(Arc::clone(&state), req, remote));
        let builder = builder.clone();
        let watcher = graceful.watcher();
        match &tls {
            None => threads.serve(stream, move |stream| async move {
                let conn = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .into_owned();
                let _ = watcher.watch(conn).await;
            }),
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                threads.serve(stream, move |stream| async move {
                    let tls_stream = match tokio::time::timeout(
                        Duration::from_secs(10),
                        acceptor.accept(stream),
                    )
                    .await
                    {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::debug!(%remote, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                    let conn = builder
                        .serve_connection(TokioIo::new(tls_stream), service)
                        .into_owned();
                    let _ = watcher.watch(conn).await;
                });
            }
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN_TIMEOUT) => {
            tracing::warn!("some requests did not finish within {DRAIN_TIMEOUT:?}; they are abandoned and leave nothing half-written");
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<s3s::Body> {
    let mut r = Response::new(s3s::Body::from(text.to_owned()));
    *r.status_mut() = status;
    r
}

/// Reads the OpenID providers from the environment and starts their discovery; prints the
/// role ARN of each role-based provider.
fn start_openid(settings: &Settings) -> anyhow::Result<Arc<Providers>> {
    let configs = crate::openid_config::openid_configs(std::env::vars())?;
    let fetcher = Fetcher::new(Duration::from_secs(10)).map_err(anyhow::Error::msg)?;
    let providers = Providers::new(configs, settings.region.as_deref(), &fetcher);
    for p in providers.all() {
        match p.role_arn() {
            Some(arn) => println!(
                "OpenID provider `{}` (role-based): role ARN {arn}",
                p.config().label()
            ),
            None => println!(
                "OpenID provider `{}` (claim-based, claim `{}`)",
                p.config().label(),
                p.config().claim_name
            ),
        }
    }
    providers.start();
    Ok(Arc::new(providers))
}

/// The identity store: etcd when `MINIO_ETCD_ENDPOINTS` names it (shared by every node), else
/// the embedded one under the data directory.
fn identity_store(system_dir: &std::path::Path) -> anyhow::Result<Arc<dyn tessera_iam::IamStore>> {
    if let Some(settings) = crate::etcd_config::etcd_settings(std::env::vars())? {
        let endpoints = settings.endpoints.join(",");
        let store = tessera_iam::EtcdIamStore::connect(&settings).with_context(|| {
            format!("cannot reach the shared identity store (etcd at {endpoints})")
        })?;
        println!(
            "Identity state in etcd at {endpoints}, under the prefix `{}`",
            settings.prefix
        );
        return Ok(Arc::new(store));
    }
    let store =
        tessera_iam::RedbIamStore::open(&system_dir.join("iam.redb")).with_context(|| {
            format!(
                "cannot open the identity store under {}",
                system_dir.display()
            )
        })?;
    Ok(Arc::new(store))
}

/// Reads the LDAP directory's settings from the environment (refusing to start on a mistake)
/// and checks the directory in the background: the lookup bind and every base DN. A directory
/// that is down is reported; logins retry it.
fn start_ldap() -> anyhow::Result<Option<Arc<LdapDirectory>>> {
    let Some(config) = crate::ldap_config::ldap_config(std::env::vars())? else {
        return Ok(None);
    };
    if config.transport == tessera_idp::ldap::Transport::Plain {
        tracing::warn!(
            "LDAP without TLS (SERVER_INSECURE=on): passwords cross the network in clear"
        );
    }
    let directory = Arc::new(LdapDirectory::new(config).context("LDAP settings")?);
    println!(
        "LDAP directory {} (users under {})",
        directory.config().url(),
        directory.config().user_dn_search_base_dns.join("; ")
    );
    let checked = Arc::clone(&directory);
    tokio::spawn(async move {
        match checked.check().await {
            Ok(()) => {
                tracing::info!(url = %checked.config().url(), "LDAP directory checked: lookup bind and base DNs")
            }
            Err(e) => {
                tracing::error!(url = %checked.config().url(), error = %e, "LDAP directory check failed; logins will retry")
            }
        }
    });
    Ok(Some(directory))
}

async fn handle(
    state: Arc<AppState>,
    mut req: Request<Incoming>,
    remote: SocketAddr,
) -> Result<Response<s3s::Body>, Infallible> {
    let started = Instant::now();
    let n = state.request_counter.fetch_add(1, Ordering::Relaxed);
    let request_id = format!("{:08X}{:010X}", state.instance, n);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let bytes_in = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    // A request whose body may be left unread when it is refused early.
    let has_body = bytes_in > 0 || req.headers().contains_key(http::header::TRANSFER_ENCODING);
    let slot = OperationSlot::default();
    let mut response = match (&method, path.as_str()) {
        (&Method::GET | &Method::HEAD, "/minio/health/live") => plain(StatusCode::OK, ""),
        (&Method::GET | &Method::HEAD, "/minio/health/ready") => {
            let providers_tried = state.openid.get().is_some_and(|p| p.first_attempts_done());
            if state.frontend.get().is_some() && !providers_tried {
                plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the OpenID providers are being discovered",
                )
            } else if state.frontend.get().is_some() {
                plain(StatusCode::OK, "")
            } else {
                plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the object store is still opening",
                )
            }
        }
        _ => match state.frontend.get() {
            None => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "Tessera is starting: retry in a moment",
            ),
            Some(frontend) if is_unsigned_sts_request(req.method(), req.uri(), req.headers()) => {
                // No signature for s3s to check: the token or password is the proof.
                let req = req.map(s3s::Body::from);
                frontend.sts.call_unsigned(req, &request_id).await
            }
            Some(frontend) => {
                let sts = is_sts_request(req.method(), req.uri(), req.headers());
                req.extensions_mut().insert(slot.clone());
                req.extensions_mut().insert(RequestId(request_id.clone()));
                req.extensions_mut().insert(ClientInfo {
                    remote,
                    secure: state.secure,
                });
                match hyper::service::Service::call(&frontend.s3, req).await {
                    Ok(r) if sts => sts_error_envelope(r, &request_id).await,
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!(%request_id, error = ?e, "request failed inside the S3 service");
                        plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
                    }
                }
            }
        },
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amz-request-id", v);
    }
    // A refusal may come before the body was read; the connection cannot carry another
    // request after an unread body, so say it closes rather than let the client's next request
    // be read from the middle of this one's body.
    if has_body && response.status().as_u16() >= 400 {
        response
            .headers_mut()
            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    }
    // Bodies held whole (STS and admin answers, errors) get their length from hyper later.
    let bytes_out = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| hyper::body::Body::size_hint(response.body()).exact())
        .unwrap_or(0);
    state.access_log.record(&AccessRecord {
        request_id: &request_id,
        remote,
        method: method.as_str(),
        path: &path,
        operation: slot.0.get().map_or("-", String::as_str),
        status: response.status().as_u16(),
        bytes_in,
        bytes_out,
        duration: started.elapsed(),
    });
    Ok(response)
}
