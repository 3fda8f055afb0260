//! `tessera-load`: measures an S3 server on loopback (an already-running endpoint, or a
//! `tessera` binary it spawns itself) and, in the same run and with the same client code, the
//! baselines that put those numbers in proportion: a minimal hyper server for the GETs (and
//! for STS AssumeRole, as the floor of any request), the disk's fsync ceiling for the PUTs,
//! and interleaved slices of another identity for the IAM-user and temporary-credential GETs.
//! Prints a markdown table and the ratios; optionally JSON.
//!
//! This file owns the command line and the order of the runs; the HTTP client, the load
//! loops, the baselines, the spawned target and the report live in their modules, and the
//! SigV4 signer in the `tessera-sigv4` crate.

#![forbid(unsafe_code)]

mod baseline;
mod client;
mod report;
mod scenarios;
mod target;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{ArgGroup, Parser};

use crate::baseline::HyperBaseline;
use crate::client::{Endpoint, S3Client};
use crate::report::{
    AS_ROOT, AS_USER, FSYNC, FileCheck, HYPER, HYPER_GET4K, INTERLEAVED_ROUNDS, Report, RunInfo,
    TARGET,
};
use crate::scenarios::{
    Bounds, Expect, HttpOp, KEY_1M, KEY_4K, MakeOp, Measurement, SIZE_1M, SIZE_4K, Scenario,
};
use crate::target::SpawnedServer;
use tessera_sigv4::Credentials;

/// Request budget of one run when `--requests` is not given (the deadline usually ends it).
const DEFAULT_MAX_REQUESTS: u64 = 10_000_000;
const MAX_CONCURRENCY: usize = 1024;
const MAX_SECONDS: f64 = 3600.0;
/// Lifetime asked for the temporary credentials of `get4k-temp` (longer than any run).
const TEMP_CREDENTIALS_SECS: u32 = 3600;
/// What every successful AssumeRole answer contains.
const ASSUME_ROLE_MARKER: &str = "<AccessKeyId>ASIA";

#[derive(Parser, Debug)]
#[command(
    name = "tessera-load",
    version,
    about = "Load-test an S3 server on loopback against same-run baselines (hyper, fsync)",
    group(ArgGroup::new("mode").required(true).args(["endpoint", "spawn", "baseline_only"]))
)]
struct Cli {
    /// A running server, http://127.0.0.1:PORT or http://localhost:PORT (no other host).
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Access key for --endpoint.
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    access_key: Option<String>,
    /// Secret key for --endpoint.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Session token of temporary credentials for --endpoint (sent as X-Amz-Security-Token).
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    session_token: Option<String>,
    /// Start this tessera binary (`PATH server --address 127.0.0.1:PORT DIR`) in a temp dir,
    /// measure it, then stop it and remove the dir.
    #[arg(long, value_name = "PATH")]
    spawn: Option<PathBuf>,
    /// Measure only the baselines (hyper server, fsync ceiling).
    #[arg(long)]
    baseline_only: bool,
    /// Concurrency levels (workers, one connection each).
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    concurrency: Vec<usize>,
    /// Duration of each run, in seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Stop each run after this many requests (or --seconds, whichever comes first).
    #[arg(long, value_name = "N")]
    requests: Option<u64>,
    /// Scenarios to run: get4k, put4k, get1m (vs the hyper and fsync baselines); get4k-user
    /// (an IAM user's GET, interleaved with root's); assume-role (STS AssumeRole signed anew
    /// per call by that IAM user, vs the hyper baseline's get4k; with --spawn, also checks
    /// that DIR/.tessera/iam.redb stays unchanged); get4k-temp (the user's GET with temporary
    /// credentials from one AssumeRole, interleaved with its long-term keys).
    #[arg(long, value_delimiter = ',', default_value = "get4k,put4k,get1m")]
    scenarios: Vec<Scenario>,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Parent of the fsync-ceiling scratch dir; put it on the server's data filesystem.
    /// Default: next to the spawned server's data, else --work-dir.
    #[arg(long, value_name = "DIR")]
    scratch_dir: Option<PathBuf>,
    /// Parent of the spawned server's temp dir (default: the system temp dir).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Bucket the tool creates and uses.
    #[arg(long, default_value = "bench-bucket")]
    bucket: String,
    /// Region in the signature scope.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// put4k cycles through this many distinct keys.
    #[arg(long, default_value_t = 4096)]
    put_keys: u64,
    /// A single request that takes longer than this counts as an error.
    #[arg(long, default_value_t = 30)]
    request_timeout_secs: u64,
}

/// What to run, validated.
struct Plan {
    scenarios: Vec<Scenario>,
    concurrencies: Vec<usize>,
    bounds: Bounds,
    put_keys: u64,
}

impl Plan {
    fn from_cli(cli: &Cli) -> Result<Self> {
        let mut concurrencies = Vec::new();
        for &c in &cli.concurrency {
            if c == 0 || c > MAX_CONCURRENCY {
                bail!("--concurrency {c}: each level must be between 1 and {MAX_CONCURRENCY}");
            }
            if !concurrencies.contains(&c) {
                concurrencies.push(c);
            }
        }
        let mut scenarios = Vec::new();
        for &s in &cli.scenarios {
            if !scenarios.contains(&s) {
                scenarios.push(s);
            }
        }
        if concurrencies.is_empty() || scenarios.is_empty() {
            bail!("nothing to run: give at least one --concurrency and one --scenarios entry");
        }
        if !(cli.seconds > 0.0 && cli.seconds <= MAX_SECONDS) {
            bail!("--seconds must be more than 0 and at most {MAX_SECONDS}");
        }
        if cli.requests == Some(0) || cli.put_keys == 0 || cli.request_timeout_secs == 0 {
            bail!("--requests, --put-keys and --request-timeout-secs must be at least 1");
        }
        Ok(Self {
            scenarios,
            concurrencies,
            bounds: Bounds {
                duration: Duration::from_secs_f64(cli.seconds),
                max_requests: cli.requests.unwrap_or(DEFAULT_MAX_REQUESTS),
                op_timeout: Duration::from_secs(cli.request_timeout_secs),
            },
            put_keys: cli.put_keys,
        })
    }

    fn wants(&self, s: Scenario) -> bool {
        self.scenarios.contains(&s)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tessera-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let plan = Plan::from_cli(&cli)?;
    let started_utc = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let work_parent = cli.work_dir.clone().unwrap_or_else(std::env::temp_dir);

    // The server under test, if any, and where the fsync ceiling writes.
    let mut spawned: Option<SpawnedServer> = None;
    let (s3, label, default_scratch) = if let Some(url) = &cli.endpoint {
        let endpoint = Endpoint::parse(url)?;
        let (Some(ak), Some(sk)) = (cli.access_key.clone(), cli.secret_key.clone()) else {
            bail!(
                "--endpoint needs --access-key and --secret-key (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
            );
        };
        let creds = Arc::new(Credentials::new(ak, sk, cli.session_token.clone()));
        let s3 = S3Client::new(endpoint, creds, &cli.region, &cli.bucket);
        (Some(s3), url.clone(), work_parent.clone())
    } else if let Some(binary) = &cli.spawn {
        eprintln!("starting {} …", binary.display());
        let server = SpawnedServer::start(binary, &work_parent).await?;
        let s3 = S3Client::new(
            server.endpoint().clone(),
            server.credentials(),
            &cli.region,
            &cli.bucket,
        );
        let label = format!(
            "{} (spawned at {})",
            binary.display(),
            server.endpoint().url()
        );
        let scratch = server.scratch_parent();
        spawned = Some(server);
        (Some(s3), label, scratch)
    } else {
        (
            None,
            "none (--baseline-only)".to_owned(),
            work_parent.clone(),
        )
    };
    let scratch_parent = cli.scratch_dir.clone().unwrap_or(default_scratch);
    if cli.endpoint.is_some() && cli.scratch_dir.is_none() && plan.wants(Scenario::Put4k) {
        eprintln!(
            "note: the fsync ceiling writes under {}; pass --scratch-dir on the server's data \
             filesystem for a fair put4k ratio",
            scratch_parent.display()
        );
    }

    let iam_store = spawned.as_ref().map(SpawnedServer::iam_store);
    let measured = measure(
        &plan,
        s3.as_ref(),
        &cli,
        &scratch_parent,
        iam_store.as_deref(),
    )
    .await;
    if let Some(server) = spawned {
        server.stop().await;
    }
    let Measured {
        results,
        fsync_dir,
        file_checks,
    } = measured?;

    let info = RunInfo {
        target: label,
        started_utc,
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        seconds_per_run: cli.seconds,
        max_requests_per_run: plan.bounds.max_requests,
        fsync_dir,
    };
    let report = Report::new(
        info,
        results,
        &plan.scenarios,
        &plan.concurrencies,
        file_checks,
    );
    println!("{}", report.markdown());
    if let Some(path) = &cli.json {
        report.write_json(path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// What `measure` found.
struct Measured {
    results: Vec<Measurement>,
    fsync_dir: Option<String>,
    file_checks: Vec<FileCheck>,
}

/// Every run, target first and then its baseline, scenario by scenario and concurrency by
/// concurrency, so that drift on a noisy machine hits both sides of each ratio alike.
/// `iam_store` (a spawned server's identity store file) is fingerprinted right before and
/// right after each `assume-role` run.
async fn measure(
    plan: &Plan,
    s3: Option<&S3Client>,
    cli: &Cli,
    scratch_parent: &Path,
    iam_store: Option<&Path>,
) -> Result<Measured> {
    let hyper = if plan.wants(Scenario::Get4k)
        || plan.wants(Scenario::Get1m)
        || plan.wants(Scenario::AssumeRole)
    {
        Some(HyperBaseline::start()?)
    } else {
        None
    };
    // The baseline is sent the very same signed requests (it ignores the signature).
    let hyper_s3 = hyper.as_ref().map(|h| match s3 {
        Some(s3) => s3.with_endpoint(h.endpoint().clone()),
        None => {
            let creds = Arc::new(Credentials::new(
                "BASELINEACCESSKEY".to_owned(),
                "baseline-secret-key-not-used-by-the-server".to_owned(),
                None,
            ));
            S3Client::new(h.endpoint().clone(), creds, &cli.region, &cli.bucket)
        }
    });
    let scratch = if plan.wants(Scenario::Put4k) {
        Some(baseline::scratch_dir(scratch_parent)?)
    } else {
        None
    };
    let fsync_dir = scratch.as_ref().map(|d| d.path().display().to_string());

    let result = async {
        if let Some(s3) = s3 {
            eprintln!(
                "preparing bucket `{}` on {} …",
                cli.bucket,
                s3.endpoint().url()
            );
            target::prepare(s3).await.context("preparing the target")?;
        }
        // The IAM user of `get4k-user`, `assume-role` and `get4k-temp`, created through the
        // admin API as root.
        let wants_user = plan.wants(Scenario::Get4kUser)
            || plan.wants(Scenario::AssumeRole)
            || plan.wants(Scenario::Get4kTemp);
        let user_s3 = match s3 {
            Some(s3) if wants_user => Some(
                target::prepare_iam_user(s3, s3.credentials().secret_key().expose(), &cli.bucket)
                    .await
                    .context("creating the IAM user")?,
            ),
            _ => None,
        };
        if let Some(user) = &user_s3
            && plan.wants(Scenario::AssumeRole)
        {
            // Once before measuring, so a signing problem fails here with the server's words.
            target::assume_role(user, None)
                .await
                .context("checking AssumeRole as the IAM user")?;
        }
        // The user's temporary credentials of `get4k-temp`, from one AssumeRole.
        let temp_s3 = match &user_s3 {
            Some(user) if plan.wants(Scenario::Get4kTemp) => Some(
                target::prepare_temporary(user, TEMP_CREDENTIALS_SECS)
                    .await
                    .context("getting temporary credentials for the IAM user")?,
            ),
            _ => None,
        };
        let mut results = Vec::new();
        let mut file_checks = Vec::new();
        for &scenario in &plan.scenarios {
            for &c in &plan.concurrencies {
                match (s3, scenario, &user_s3) {
                    (Some(_), Scenario::AssumeRole, Some(user)) => {
                        eprintln!("{TARGET} {scenario} c={c} (as `{}`) …", target::BENCH_USER);
                        let op = make_op(user, scenario, plan.put_keys);
                        let before = match iam_store {
                            Some(path) => Some(target::file_state(path).await),
                            None => None,
                        };
                        let m = scenarios::run_http(
                            TARGET,
                            scenario,
                            user.endpoint(),
                            c,
                            plan.bounds,
                            op,
                        )
                        .await;
                        if let (Some(path), Some(before)) = (iam_store, before) {
                            let after = target::file_state(path).await;
                            file_checks.push(FileCheck::new(path, scenario, c, before, after));
                        }
                        results.push(m);
                    }
                    (Some(_), Scenario::Get4kTemp, Some(user)) => {
                        let Some(temp) = &temp_s3 else {
                            bail!("no temporary credentials for {scenario}");
                        };
                        // Compared with the same GET signed by the user's long-term keys.
                        eprintln!("{TARGET} {scenario} c={c} (interleaved with {AS_USER}) …");
                        let with_temp = make_op(temp, scenario, plan.put_keys);
                        let with_keys = make_op(user, scenario, plan.put_keys);
                        results.extend(
                            scenarios::run_http_interleaved(
                                scenario,
                                temp.endpoint(),
                                c,
                                plan.bounds,
                                INTERLEAVED_ROUNDS,
                                (TARGET, with_temp),
                                (AS_USER, with_keys),
                            )
                            .await,
                        );
                    }
                    (Some(s3), Scenario::Get4kUser, Some(user)) => {
                        // Compared with root's GET of the same size, interleaved.
                        eprintln!("{TARGET} {scenario} c={c} (interleaved with {AS_ROOT}) …");
                        // The same object, signed by either identity.
                        let as_user = make_op(user, scenario, plan.put_keys);
                        let as_root = make_op(s3, scenario, plan.put_keys);
                        results.extend(
                            scenarios::run_http_interleaved(
                                scenario,
                                s3.endpoint(),
                                c,
                                plan.bounds,
                                INTERLEAVED_ROUNDS,
                                (TARGET, as_user),
                                (AS_ROOT, as_root),
                            )
                            .await,
                        );
                    }
                    (Some(s3), _, _) => {
                        eprintln!("{TARGET} {scenario} c={c} …");
                        let op = make_op(s3, scenario, plan.put_keys);
                        results.push(
                            scenarios::run_http(
                                TARGET,
                                scenario,
                                s3.endpoint(),
                                c,
                                plan.bounds,
                                op,
                            )
                            .await,
                        );
                    }
                    (None, _, _) => {}
                }
                match (scenario, &hyper_s3, &scratch) {
                    (Scenario::Get4k | Scenario::Get1m, Some(h), _) => {
                        eprintln!("{HYPER} {scenario} c={c} …");
                        let op = make_op(h, scenario, plan.put_keys);
                        results.push(
                            scenarios::run_http(HYPER, scenario, h.endpoint(), c, plan.bounds, op)
                                .await,
                        );
                    }
                    (Scenario::AssumeRole, Some(h), _) => {
                        // The floor of any request on this machine: hyper's get4k, same run.
                        eprintln!("{HYPER_GET4K} (for {scenario}) c={c} …");
                        let op = make_op(h, Scenario::Get4k, plan.put_keys);
                        results.push(
                            scenarios::run_http(
                                HYPER_GET4K,
                                scenario,
                                h.endpoint(),
                                c,
                                plan.bounds,
                                op,
                            )
                            .await,
                        );
                    }
                    (Scenario::Put4k, _, Some(dir)) => {
                        eprintln!("{FSYNC} {scenario} c={c} …");
                        results.push(baseline::fsync_ceiling(dir.path(), c, plan.bounds).await?);
                    }
                    _ => {}
                }
            }
        }
        Ok((results, file_checks))
    }
    .await;

    if let Some(h) = hyper {
        // Joining the server thread blocks; keep it off the async workers.
        let _ = tokio::task::spawn_blocking(move || h.stop()).await;
    }
    if let Some(dir) = scratch {
        let path = dir.path().to_owned();
        let removed = tokio::task::spawn_blocking(move || dir.close()).await;
        if !matches!(removed, Ok(Ok(()))) {
            eprintln!("warning: could not remove {}", path.display());
        }
    }
    result.map(|(results, file_checks)| Measured {
        results,
        fsync_dir,
        file_checks,
    })
}

/// The operation a scenario repeats: signed anew for every request, as a client does.
fn make_op(s3: &S3Client, scenario: Scenario, put_keys: u64) -> MakeOp {
    let s3 = s3.clone();
    match scenario {
        Scenario::Get4k => Arc::new(move |_| {
            Ok(HttpOp {
                request: s3.get_object(KEY_4K)?,
                bytes_sent: 0,
                expect: Expect::Len(SIZE_4K as u64),
            })
        }),
        // The user's object, signed by whichever credentials `s3` holds.
        Scenario::Get4kUser | Scenario::Get4kTemp => Arc::new(move |_| {
            Ok(HttpOp {
                request: s3.get_object(target::USER_KEY_4K)?,
                bytes_sent: 0,
                expect: Expect::Len(SIZE_4K as u64),
            })
        }),
        Scenario::Get1m => Arc::new(move |_| {
            Ok(HttpOp {
                request: s3.get_object(KEY_1M)?,
                bytes_sent: 0,
                expect: Expect::Len(SIZE_1M as u64),
            })
        }),
        Scenario::AssumeRole => Arc::new(move |_| {
            let request = s3.assume_role(None)?;
            let bytes_sent = hyper::body::Body::size_hint(request.body())
                .exact()
                .unwrap_or(0);
            Ok(HttpOp {
                request,
                bytes_sent,
                expect: Expect::Contains(ASSUME_ROLE_MARKER),
            })
        }),
        Scenario::Put4k => {
            let body = scenarios::body_of(SIZE_4K);
            Arc::new(move |seq| {
                let key = format!("put4k-{:06}", seq % put_keys);
                Ok(HttpOp {
                    request: s3.put_object(&key, body.clone())?,
                    bytes_sent: body.len() as u64,
                    expect: Expect::Any,
                })
            })
        }
    }
}
