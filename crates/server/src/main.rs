//! The `tessera` binary: command line, configuration, and start-up of the server.

#![forbid(unsafe_code)]

mod access_log;
mod admin_cli;
mod config;
mod conn_threads;
mod etcd_config;
mod ldap_config;
mod log_writer;
mod openid_config;
mod root_credentials;
mod serve;
mod tls;
mod upstream_config;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than glibc's malloc: the request path makes many small, short-lived
/// allocations on every worker thread (BENCHMARKS.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ENVIRONMENT_HELP: &str = "\
Environment (every MINIO_ name is also read with the prefix TESSERA_, which wins):
  MINIO_ROOT_USER, MINIO_ROOT_PASSWORD   root credentials; unset: generated on first start,
                                         stored under DIR owner-only, printed once
  MINIO_REGION (or MINIO_SITE_REGION)    region reported and accepted (default: any, us-east-1)
  TESSERA_MAX_OBJECT_SIZE                largest single PUT or part, in bytes (default 5 GiB)
  TESSERA_STALE_UPLOAD_AFTER             abort multipart uploads idle this long (default 24h)
  TESSERA_STS_DURATION_MIN, _MAX         bounds of STS DurationSeconds (default 900s, 365d)
  MINIO_STS_DURATION                     replaces the lifetime AssumeRole asks for (e.g. 12h)
  TESSERA_CERTS_DIR                      like --certs-dir
  MINIO_IDENTITY_OPENID_*[_NAME]         OpenID providers (CONFIG_URL, CLIENT_ID, CLAIM_NAME, …)
  MINIO_IDENTITY_LDAP_*                  the LDAP directory (SERVER_ADDR, LOOKUP_BIND_DN, …;
                                         TESSERA_IDENTITY_LDAP_CA_FILE, _CONNECT_TIMEOUT,
                                         _OPERATION_TIMEOUT); README lists them all
  RUST_LOG                               log filter (default: info)";

#[derive(Parser)]
#[command(name = "tessera", version, about = "Tessera: an S3-compatible object server with a MinIO-compatible STS", after_help = ENVIRONMENT_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve S3, STS and the admin API on one listener, keeping all state under DIR.
    #[command(after_help = ENVIRONMENT_HELP)]
    Server(ServerArgs),
    /// Manage a running server's users, groups, policies and service accounts (MinIO admin API).
    Admin(Box<admin_cli::AdminArgs>),
}

#[derive(clap::Args, Debug)]
pub struct ServerArgs {
    /// Address to listen on: HOST:PORT, or :PORT for every interface.
    #[arg(long, default_value = ":9000", env = "TESSERA_ADDRESS")]
    pub address: String,
    /// TOML configuration file (the same keys as the environment, in sections).
    #[arg(long, env = "TESSERA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory holding `public.crt` and `private.key`: when both are there, serve HTTPS.
    #[arg(long, env = "TESSERA_CERTS_DIR")]
    pub certs_dir: Option<PathBuf>,
    /// Directory for all state (created if missing).
    pub dir: PathBuf,
}

/// The log target held at `info` because its debug lines carry secrets.
const SECRET_BEARING_LOGS: &str = "s3s::service=info";

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Log lines (one per request) are written by a thread of their own, the access log in
    // batches, so a slow or busy stderr never stalls request handling and logging a request
    // wakes no thread; nothing is dropped when the buffer fills, loggers wait.
    let (log_writer, _log_guard) = match log_writer::batched(std::io::stderr()) {
        Ok(pair) => pair,
        Err(e) => {
            eprintln!("tessera: cannot start the log writer thread: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,s3s=off"));
    // s3s logs every request whole at debug, query string included: LDAP passwords, session
    // tokens, presigned signatures. That target stays at info whatever RUST_LOG asks.
    if let Ok(directive) = SECRET_BEARING_LOGS.parse() {
        filter = filter.add_directive(directive);
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(log_writer.clone())
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tessera: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Server(args) => {
            runtime.block_on(serve::run(args, access_log::AccessLog::new(log_writer)))
        }
        Command::Admin(args) => runtime.block_on(admin_cli::run(*args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tessera: {e:#}");
            ExitCode::FAILURE
        }
    }
}
