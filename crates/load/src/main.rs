//! `tessera-load`: measures an S3 server on loopback (an already-running endpoint, or a
//! `tessera` binary it spawns itself) and, in the same run and with the same client code, the
//! baselines that put those numbers in proportion: a minimal hyper server for the GETs (and
//! for STS AssumeRole, as the floor of any request), the disk's fsync ceiling for the PUTs,
//! interleaved slices of another identity for the IAM-user and temporary-credential GETs, and
//! RSA-2048 signature verifications on all cores for STS AssumeRoleWithWebIdentity (whose
//! tokens come from an OpenID issuer inside this tool, see `issuer`), and the same LDAP login
//! done directly with ldap3 for STS AssumeRoleWithLDAPIdentity (against a slapd this tool runs,
//! see `directory` and `ldap_direct`). Prints a markdown table and the ratios; optionally JSON.
//!
//! This file owns the command line and the order of the runs; the HTTP client, the load
//! loops, the baselines, the spawned target and the report live in their modules, and the
//! SigV4 signer in the `tessera-sigv4` crate.

#![forbid(unsafe_code)]

mod baseline;
mod children;
mod client;
mod directory;
mod issuer;
mod ldap_direct;
mod raw_http;
mod report;
mod scenarios;
mod server_thread;
mod target;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{ArgGroup, Parser};

use crate::baseline::HyperBaseline;
use crate::client::{Endpoint, RoleSession, S3Client};
use crate::directory::Slapd;
use crate::issuer::Issuer;
use crate::ldap_direct::DirectLogin;
use crate::report::{
    AS_ROOT, AS_USER, FSYNC, FileCheck, HYPER, HYPER_GET4K, INTERLEAVED_ROUNDS, JwksCheck,
    LDAP_DIRECT, RSA_VERIFY_LIMIT, Report, RunInfo, TARGET,
};
use crate::scenarios::{
    Bounds, Expect, HttpOp, KEY_1M, KEY_4K, MakeOp, Measurement, OpRequest, SIZE_1M, SIZE_4K,
    Scenario,
};
use crate::target::SpawnedServer;
use tessera_sigv4::Credentials;

/// Request budget of one run when `--requests` is not given (the deadline usually ends it).
const DEFAULT_MAX_REQUESTS: u64 = 10_000_000;
const MAX_CONCURRENCY: usize = 1024;
const MAX_SECONDS: f64 = 3600.0;
/// Lifetime asked for the temporary credentials of `get4k-temp` (longer than any run).
const TEMP_CREDENTIALS_SECS: u32 = 3600;
/// What every successful AssumeRole (or AssumeRoleWithWebIdentity) answer contains.
const ASSUME_ROLE_MARKER: &str = "<AccessKeyId>ASIA";
/// What every successful AssumeRole answer naming a role (`--role-arn`) contains, from Tessera
/// or another STS (radosgw's temporary access keys do not start with ASIA).
const CREDENTIALS_MARKER: &str = "<SecretAccessKey>";
/// The `RoleSessionName` of an AssumeRole naming a role (`--role-arn`).
const ROLE_SESSION_NAME: &str = "tessera-load";
/// The most of an AssumeRole answer read by the check before measuring.
const MAX_STS_ANSWER: usize = 64 * 1024;
/// Bound on the AssumeRole check before measuring.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);
/// Distinct ID tokens of one web-identity run, sent round-robin (Tessera verifies each token
/// anew, so every request costs one signature verification).
const WEB_IDENTITY_TOKENS: usize = 64;

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
    /// credentials from one AssumeRole, interleaved with its long-term keys); web-identity
    /// (unsigned STS AssumeRoleWithWebIdentity with RS256 ID tokens of an OpenID issuer this
    /// tool runs on 127.0.0.1, vs RSA-2048 signature verifications on all cores measured right
    /// after each run; counts the issuer's JWKS requests during each run; --spawn only, the
    /// spawned server is pointed at the issuer; with --baseline-only just the verifications);
    /// get4k-aa (root's GET interleaved with itself: the noise floor of the interleaved
    /// ratios, which should be 1); ldap (unsigned STS AssumeRoleWithLDAPIdentity as alice and
    /// bob, round-robin, against a slapd this tool starts from tests/ldap on 127.0.0.1, vs the
    /// same search, user bind and group search done directly with ldap3 right after each run;
    /// --spawn only, the spawned server is pointed at that slapd and the readers group mapped
    /// to readonly; with --baseline-only just the direct logins).
    #[arg(long, value_delimiter = ',', default_value = "get4k,put4k,get1m")]
    scenarios: Vec<Scenario>,
    /// With --endpoint: the assume-role scenario signs AssumeRole with --access-key and
    /// --secret-key directly, naming this role (`RoleArn=ARN&RoleSessionName=tessera-load`, as
    /// an S3 cluster's own STS such as radosgw's requires), and checks each answer for
    /// credentials; no IAM user is created for it, and no bucket is prepared when assume-role
    /// is the only scenario.
    #[arg(long, value_name = "ARN")]
    role_arn: Option<String>,
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
    /// The role assume-role names (`--role-arn`), signing with the --endpoint keys directly.
    role: Option<RoleSession>,
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
        if cli.endpoint.is_some() && scenarios.contains(&Scenario::WebIdentity) {
            bail!(
                "the web-identity scenario is not available with --endpoint: it needs a server \
                 configured to trust the OpenID issuer this tool runs, so use --spawn PATH \
                 (the tool then starts the issuer, and the server with \
                 MINIO_IDENTITY_OPENID_CONFIG_URL and MINIO_IDENTITY_OPENID_CLIENT_ID)"
            );
        }
        if cli.endpoint.is_some() && scenarios.contains(&Scenario::Ldap) {
            bail!(
                "the ldap scenario is not available with --endpoint: it needs a server \
                 configured to log users in against the slapd this tool starts (from \
                 tests/ldap, on a free 127.0.0.1 port), so use --spawn PATH (the tool then \
                 starts slapd, and the server with MINIO_IDENTITY_LDAP_SERVER_ADDR and the other \
                 MINIO_IDENTITY_LDAP_* settings)"
            );
        }
        let role = match &cli.role_arn {
            None => None,
            Some(_) if cli.endpoint.is_none() => {
                bail!("--role-arn needs --endpoint (the STS to call, with its own keys)")
            }
            Some(_) if !scenarios.contains(&Scenario::AssumeRole) => {
                bail!("--role-arn is for the assume-role scenario, which is not in --scenarios")
            }
            Some(arn) if arn.trim().is_empty() || arn.len() > 2048 => {
                bail!("--role-arn must be a role ARN of 1 to 2048 characters")
            }
            Some(arn) => Some(RoleSession {
                role_arn: arn.clone(),
                session_name: ROLE_SESSION_NAME.to_owned(),
            }),
        };
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
            role,
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

    // The OpenID issuer of `web-identity`, started before the server that must discover it.
    let issuer = if plan.wants(Scenario::WebIdentity) {
        eprintln!("starting the OpenID issuer (RSA-2048 key) …");
        let issuer = tokio::task::spawn_blocking(Issuer::start)
            .await
            .context("starting the OpenID issuer")??;
        eprintln!("OpenID issuer at {}", issuer.url());
        Some(issuer)
    } else {
        None
    };
    // The LDAP directory of `ldap`, likewise started before the server that uses it; stopped
    // on every path below, and by its Drop on any other.
    let slapd = if plan.wants(Scenario::Ldap) {
        eprintln!("starting slapd (tests/ldap) …");
        match Slapd::start(&work_parent).await {
            Ok(slapd) => {
                eprintln!(
                    "slapd at {} (pid {})",
                    slapd.url(),
                    slapd.pid().unwrap_or_default()
                );
                Some(slapd)
            }
            Err(e) => {
                stop_issuer(issuer).await;
                return Err(e.context("starting slapd for the ldap scenario"));
            }
        }
    } else {
        None
    };
    let mut server_env = issuer.as_ref().map(Issuer::server_env).unwrap_or_default();
    server_env.extend(slapd.as_ref().map(Slapd::server_env).unwrap_or_default());

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
        let server = match SpawnedServer::start(binary, &work_parent, &server_env).await {
            Ok(server) => server,
            Err(e) => {
                stop_slapd(slapd).await;
                stop_issuer(issuer).await;
                return Err(e);
            }
        };
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
        issuer.as_ref(),
        slapd.as_ref(),
    )
    .await;
    if let Some(server) = spawned {
        server.stop().await;
    }
    stop_slapd(slapd).await;
    stop_issuer(issuer).await;
    let Measured {
        results,
        fsync_dir,
        file_checks,
        jwks_checks,
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
    )
    .with_jwks_checks(jwks_checks);
    println!("{}", report.markdown());
    if let Some(path) = &cli.json {
        report.write_json(path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Joining the issuer's thread blocks; keep it off the async workers.
async fn stop_issuer(issuer: Option<Issuer>) {
    if let Some(issuer) = issuer {
        let _ = tokio::task::spawn_blocking(move || issuer.stop()).await;
    }
}

/// Stopping slapd waits for it; keep that off the async workers.
async fn stop_slapd(slapd: Option<Slapd>) {
    if let Some(slapd) = slapd {
        let _ = tokio::task::spawn_blocking(move || slapd.stop()).await;
    }
}

/// What `measure` found.
struct Measured {
    results: Vec<Measurement>,
    fsync_dir: Option<String>,
    file_checks: Vec<FileCheck>,
    jwks_checks: Vec<JwksCheck>,
}

/// Every run, target first and then its baseline, scenario by scenario and concurrency by
/// concurrency, so that drift on a noisy machine hits both sides of each ratio alike.
/// `iam_store` (a spawned server's identity store file) is fingerprinted right before and
/// right after each `assume-role` run; `issuer` (the tool's OpenID issuer, when `web-identity`
/// is chosen) mints the tokens and counts the JWKS fetches around each `web-identity` run;
/// `slapd` (the tool's directory, when `ldap` is chosen) is what the direct logins of `ldap`
/// dial.
async fn measure(
    plan: &Plan,
    s3: Option<&S3Client>,
    cli: &Cli,
    scratch_parent: &Path,
    iam_store: Option<&Path>,
    issuer: Option<&Issuer>,
    slapd: Option<&Slapd>,
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
        // AssumeRole naming a role needs no bucket: skip it when that is all there is to run.
        let only_role_assumption =
            plan.role.is_some() && plan.scenarios.iter().all(|&s| s == Scenario::AssumeRole);
        if let (Some(s3), false) = (s3, only_role_assumption) {
            eprintln!(
                "preparing bucket `{}` on {} …",
                cli.bucket,
                s3.endpoint().url()
            );
            target::prepare(s3).await.context("preparing the target")?;
        }
        // The IAM user of `get4k-user`, `assume-role` (unless it names a role with the
        // endpoint's own keys) and `get4k-temp`, created through the admin API as root.
        let wants_user = plan.wants(Scenario::Get4kUser)
            || (plan.wants(Scenario::AssumeRole) && plan.role.is_none())
            || plan.wants(Scenario::Get4kTemp);
        let user_s3 = match s3 {
            Some(s3) if wants_user => Some(
                target::prepare_iam_user(s3, s3.credentials().secret_key().expose(), &cli.bucket)
                    .await
                    .context("creating the IAM user")?,
            ),
            _ => None,
        };
        if let (Some(s3), Some(role)) = (s3, &plan.role) {
            // Once before measuring, so a refusal fails here with the STS's words.
            let access_key = check_assume_role_naming(s3, role)
                .await
                .with_context(|| format!("checking AssumeRole of `{}`", role.role_arn))?;
            eprintln!(
                "AssumeRole of `{}` as `{}` answered temporary credentials {access_key}",
                role.role_arn,
                s3.credentials().access_key()
            );
        } else if let Some(user) = &user_s3
            && plan.wants(Scenario::AssumeRole)
        {
            // Once before measuring, so a signing problem fails here with the server's words.
            target::assume_role(user, None)
                .await
                .context("checking AssumeRole as the IAM user")?;
        }
        // The signature the crypto limit of `web-identity` checks, and one AssumeRoleWithWebIdentity
        // before measuring, so a refused token fails here with the server's words.
        let rsa_check = match issuer {
            Some(issuer) if plan.wants(Scenario::WebIdentity) => Some(issuer.signature_check()?),
            _ => None,
        };
        if let (Some(s3), Some(issuer)) = (s3, issuer)
            && plan.wants(Scenario::WebIdentity)
        {
            let token = issuer.mint("check")?;
            let issued = target::assume_role_with_web_identity(s3.endpoint(), &token)
                .await
                .context("checking AssumeRoleWithWebIdentity with a token of the tool's issuer")?;
            eprintln!(
                "web identity credentials {} for `{}`, expiring {}; the issuer answered {} \
                 discovery and {} JWKS requests so far",
                issued.credentials.access_key(),
                issuer::SUBJECT,
                issued.expiration,
                issuer.discovery_requests(),
                issuer.jwks_requests()
            );
        }
        // `ldap`: the readers group mapped to readonly and one login through the server, then
        // the baseline's lookup connection and one direct login, so that a refusal fails here
        // with its reason.
        if let (Some(s3), true) = (s3, plan.wants(Scenario::Ldap)) {
            let attached = target::attach_ldap_group_policy(
                s3,
                directory::READERS_POLICY,
                directory::READERS_DN,
            )
            .await
            .context("mapping the LDAP readers group to a policy")?;
            let (user, password) = directory::USERS[0];
            let issued = target::assume_role_with_ldap_identity(s3.endpoint(), user, password)
                .await
                .context("checking AssumeRoleWithLDAPIdentity")?;
            eprintln!(
                "policies {attached:?} attached to {}; LDAP credentials {} for `{user}`, \
                 expiring {}",
                directory::READERS_DN,
                issued.credentials.access_key(),
                issued.expiration
            );
        }
        let direct_login = match slapd {
            Some(slapd) if plan.wants(Scenario::Ldap) => {
                let login = DirectLogin::connect(&slapd.url())
                    .await
                    .context("the lookup connection of the direct LDAP logins")?;
                let (user, password) = directory::USERS[0];
                login
                    .login(user, password)
                    .await
                    .with_context(|| format!("a direct LDAP login as `{user}`"))?;
                Some(Arc::new(login))
            }
            _ => None,
        };
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
        let mut jwks_checks = Vec::new();
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        for &scenario in &plan.scenarios {
            for &c in &plan.concurrencies {
                match (s3, scenario, &user_s3) {
                    (Some(_), Scenario::AssumeRole, Some(user)) if plan.role.is_none() => {
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
                    (Some(s3), Scenario::WebIdentity, _) => {
                        let Some(issuer) = issuer else {
                            bail!("{scenario} needs the tool's OpenID issuer");
                        };
                        eprintln!(
                            "{TARGET} {scenario} c={c} ({WEB_IDENTITY_TOKENS} RS256 tokens, \
                             round-robin) …"
                        );
                        // Minted anew for each run, so none expires during a long one.
                        let tokens = issuer.mint_pool(WEB_IDENTITY_TOKENS, &format!("c{c}"))?;
                        let op = web_identity_op(s3.endpoint(), &tokens);
                        let before = issuer.jwks_requests();
                        let m =
                            scenarios::run_raw(TARGET, scenario, s3.endpoint(), c, plan.bounds, op)
                                .await;
                        let after = issuer.jwks_requests();
                        jwks_checks.push(JwksCheck::new(scenario, c, before, after));
                        results.push(m);
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
                    (Some(s3), Scenario::Get4kAa, _) => {
                        eprintln!("{TARGET} {scenario} c={c} (interleaved with itself) …");
                        let one = make_op(s3, Scenario::Get4k, plan.put_keys);
                        let other = make_op(s3, Scenario::Get4k, plan.put_keys);
                        results.extend(
                            scenarios::run_http_interleaved(
                                scenario,
                                s3.endpoint(),
                                c,
                                plan.bounds,
                                INTERLEAVED_ROUNDS,
                                (TARGET, one),
                                (AS_ROOT, other),
                            )
                            .await,
                        );
                    }
                    (Some(s3), Scenario::Ldap, _) => {
                        eprintln!(
                            "{TARGET} {scenario} c={c} ({} users, round-robin) …",
                            directory::USERS.len()
                        );
                        let op = ldap_identity_op(s3.endpoint());
                        results.push(
                            scenarios::run_raw(TARGET, scenario, s3.endpoint(), c, plan.bounds, op)
                                .await,
                        );
                    }
                    (Some(s3), _, _) => {
                        let op = match (scenario, &plan.role) {
                            (Scenario::AssumeRole, Some(role)) => {
                                eprintln!(
                                    "{TARGET} {scenario} c={c} (as `{}`, naming `{}`) …",
                                    s3.credentials().access_key(),
                                    role.role_arn
                                );
                                assume_role_op(s3, Some(role))
                            }
                            _ => {
                                eprintln!("{TARGET} {scenario} c={c} …");
                                make_op(s3, scenario, plan.put_keys)
                            }
                        };
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
                    (Scenario::WebIdentity, _, _) => {
                        let Some(check) = &rsa_check else {
                            bail!("{scenario} needs the tool's OpenID issuer");
                        };
                        eprintln!("{RSA_VERIFY_LIMIT} (for {scenario}) c={c}, {cpus} threads …");
                        results.push(
                            baseline::rsa_verify_limit(check.clone(), cpus, c, plan.bounds).await?,
                        );
                    }
                    (Scenario::Ldap, _, _) => {
                        let Some(login) = &direct_login else {
                            bail!("{scenario} needs the tool's slapd");
                        };
                        eprintln!("{LDAP_DIRECT} (for {scenario}) c={c} …");
                        results.push(ldap_direct::measure(login.clone(), c, plan.bounds).await);
                    }
                    (Scenario::Put4k, _, Some(dir)) => {
                        eprintln!("{FSYNC} {scenario} c={c} …");
                        results.push(baseline::fsync_ceiling(dir.path(), c, plan.bounds).await?);
                    }
                    _ => {}
                }
            }
        }
        if let Some(login) = direct_login.and_then(Arc::into_inner) {
            login.close().await;
        }
        Ok((results, file_checks, jwks_checks))
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
    result.map(|(results, file_checks, jwks_checks)| Measured {
        results,
        fsync_dir,
        file_checks,
        jwks_checks,
    })
}

/// The operation a scenario repeats: signed anew for every request, as a client does.
fn make_op(s3: &S3Client, scenario: Scenario, put_keys: u64) -> MakeOp {
    let s3 = s3.clone();
    match scenario {
        Scenario::Get4k | Scenario::Get4kAa => Arc::new(move |_| {
            Ok(HttpOp {
                request: s3.get_object(KEY_4K)?.into(),
                bytes_sent: 0,
                expect: Expect::Len(SIZE_4K as u64),
            })
        }),
        // The user's object, signed by whichever credentials `s3` holds.
        Scenario::Get4kUser | Scenario::Get4kTemp => Arc::new(move |_| {
            Ok(HttpOp {
                request: s3.get_object(target::USER_KEY_4K)?.into(),
                bytes_sent: 0,
                expect: Expect::Len(SIZE_4K as u64),
            })
        }),
        Scenario::Get1m => Arc::new(move |_| {
            Ok(HttpOp {
                request: s3.get_object(KEY_1M)?.into(),
                bytes_sent: 0,
                expect: Expect::Len(SIZE_1M as u64),
            })
        }),
        Scenario::AssumeRole => assume_role_op(&s3, None),
        // Its requests carry the issuer's tokens: see `web_identity_op`.
        Scenario::WebIdentity => Arc::new(|_| {
            bail!("web-identity requests are built from the issuer's tokens (web_identity_op)")
        }),
        // Unsigned: see `ldap_identity_op`.
        Scenario::Ldap => Arc::new(|_| {
            bail!("ldap requests are unsigned logins of the directory's users (ldap_identity_op)")
        }),
        Scenario::Put4k => {
            let body = scenarios::body_of(SIZE_4K);
            Arc::new(move |seq| {
                let key = format!("put4k-{:06}", seq % put_keys);
                Ok(HttpOp {
                    request: s3.put_object(&key, body.clone())?.into(),
                    bytes_sent: body.len() as u64,
                    expect: Expect::Any,
                })
            })
        }
    }
}

/// AssumeRole signed anew per call by `s3`'s credentials; naming `role` when given (each answer
/// must then carry credentials), else with no role (each answer must carry a Tessera
/// temporary access key, ASIA…).
fn assume_role_op(s3: &S3Client, role: Option<&RoleSession>) -> MakeOp {
    let s3 = s3.clone();
    let role = role.cloned();
    let expect = if role.is_some() {
        Expect::Contains(CREDENTIALS_MARKER)
    } else {
        Expect::Contains(ASSUME_ROLE_MARKER)
    };
    Arc::new(move |_| {
        let request = s3.assume_role_naming(role.as_ref(), None)?;
        let bytes_sent = hyper::body::Body::size_hint(request.body())
            .exact()
            .unwrap_or(0);
        Ok(HttpOp {
            request: request.into(),
            bytes_sent,
            expect,
        })
    })
}

/// One AssumeRole naming `role`, signed by `s3`'s credentials: the temporary access key it
/// answered with, or why not (the STS's words).
async fn check_assume_role_naming(s3: &S3Client, role: &RoleSession) -> Result<String> {
    let request = s3.assume_role_naming(Some(role), None)?;
    let (out, body) =
        client::send_once_keeping(s3.endpoint(), request, MAX_STS_ANSWER, CHECK_TIMEOUT).await?;
    let text = String::from_utf8_lossy(&body);
    if out.status != http::StatusCode::OK {
        bail!(
            "HTTP status {}: {}",
            out.status,
            text.chars().take(400).collect::<String>()
        );
    }
    let issued = client::parse_assume_role(&text)?;
    Ok(issued.credentials.access_key().to_owned())
}

/// Unsigned AssumeRoleWithWebIdentity form POSTs trading `tokens` round-robin.
fn web_identity_op(endpoint: &Endpoint, tokens: &[String]) -> MakeOp {
    form_post_op(
        endpoint,
        tokens
            .iter()
            .map(|t| client::web_identity_form(t))
            .collect(),
    )
}

/// Unsigned AssumeRoleWithLDAPIdentity form POSTs, the directory's benchmark users
/// round-robin.
fn ldap_identity_op(endpoint: &Endpoint) -> MakeOp {
    form_post_op(
        endpoint,
        directory::USERS
            .iter()
            .map(|(user, password)| client::ldap_identity_form(user, password))
            .collect(),
    )
}

/// Unsigned STS form POSTs sending `forms` round-robin, each answered with temporary
/// credentials. The requests are serialised once, before the clock starts: the lean client
/// (`raw_http`) only writes them, so the tool takes as little CPU as it can from the server it
/// shares the cores with.
fn form_post_op(endpoint: &Endpoint, forms: Arc<[bytes::Bytes]>) -> MakeOp {
    let requests: Arc<[(bytes::Bytes, u64)]> = forms
        .iter()
        .map(|form| (raw_http::form_post(endpoint, form), form.len() as u64))
        .collect();
    Arc::new(move |seq| {
        let Some((request, form_len)) = requests.get((seq % requests.len().max(1) as u64) as usize)
        else {
            bail!("no STS form to send");
        };
        Ok(HttpOp {
            request: OpRequest::Raw(request.clone()),
            bytes_sent: *form_len,
            expect: Expect::Contains(ASSUME_ROLE_MARKER),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan> {
        let cli = Cli::try_parse_from(std::iter::once("tessera-load").chain(args.iter().copied()))?;
        Plan::from_cli(&cli)
    }

    /// Why a plan for an already-running `--endpoint` (with keys) running `scenarios` is
    /// refused; empty when it is not.
    fn refusal_with_endpoint(scenarios: &str) -> String {
        plan(&[
            "--endpoint",
            "http://127.0.0.1:9000",
            "--access-key",
            "a",
            "--secret-key",
            "b",
            "--scenarios",
            scenarios,
        ])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
    }

    /// The form of `op`'s request `seq`, once it is checked to be an unsigned POST to `/`
    /// expecting temporary credentials back.
    /// The form of an unsigned STS POST, checking the request around it.
    fn form_of(op: &MakeOp, seq: u64) -> String {
        let o = op(seq).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(matches!(o.expect, Expect::Contains(m) if m == ASSUME_ROLE_MARKER));
        let OpRequest::Raw(request) = &o.request else {
            panic!("an STS form POST is sent by the lean client");
        };
        let text = String::from_utf8_lossy(request).into_owned();
        let (head, form) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no head in {text}"));
        assert!(head.starts_with("POST / HTTP/1.1\r\n"), "{head}");
        assert!(
            !head.to_ascii_lowercase().contains("authorization"),
            "{head}"
        );
        assert!(
            head.contains(&format!("content-length: {}", form.len())),
            "{head}"
        );
        assert_eq!(o.bytes_sent, form.len() as u64);
        form.to_owned()
    }

    /// Whether `make_op` refuses `scenario` (whose requests are built elsewhere).
    fn make_op_fails(scenario: Scenario) -> bool {
        let creds = Arc::new(Credentials::new("AK", "SK", None));
        let s3 = S3Client::new(Endpoint::loopback(9000), creds, "us-east-1", "b");
        make_op(&s3, scenario, 1)(0).is_err()
    }

    #[test]
    fn web_identity_is_refused_with_an_endpoint_and_accepted_with_spawn() {
        let why = refusal_with_endpoint("get4k,web-identity");
        assert!(
            why.contains("web-identity scenario is not available with --endpoint"),
            "{why}"
        );
        assert!(why.contains("--spawn"), "{why}");
        let p = plan(&["--spawn", "x", "--scenarios", "web-identity,web-identity"])
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(p.scenarios, [Scenario::WebIdentity]);
        assert!(p.wants(Scenario::WebIdentity));
        assert!(plan(&["--baseline-only", "--scenarios", "web-identity"]).is_ok());
        assert!(plan(&["--spawn", "x", "--scenarios", "web-idp"]).is_err());
    }

    #[test]
    fn web_identity_requests_cycle_through_the_tokens() {
        let endpoint = Endpoint::loopback(9000);
        let tokens = ["t0".to_owned(), "t1".to_owned(), "t2".to_owned()];
        let op = web_identity_op(&endpoint, &tokens);
        let sent: Vec<u64> = (0..4)
            .map(|seq| op(seq).map(|o| o.bytes_sent).unwrap_or(0))
            .collect();
        let one = client::web_identity_form("t0").len() as u64;
        assert_eq!(sent, [one; 4]);
        assert_eq!(form_of(&op, 0), form_of(&op, 3));
        assert_ne!(form_of(&op, 0), form_of(&op, 1));
        assert!(web_identity_op(&endpoint, &[])(0).is_err());
        assert!(make_op_fails(Scenario::WebIdentity));
    }

    #[test]
    fn ldap_is_refused_with_an_endpoint_and_accepted_with_spawn_or_baseline_only() {
        let why = refusal_with_endpoint("ldap");
        assert!(
            why.contains("ldap scenario is not available with --endpoint"),
            "{why}"
        );
        assert!(why.contains("--spawn"), "{why}");
        assert!(why.contains("MINIO_IDENTITY_LDAP_SERVER_ADDR"), "{why}");
        let p = plan(&["--spawn", "x", "--scenarios", "ldap,get4k,ldap"])
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(p.scenarios, [Scenario::Ldap, Scenario::Get4k]);
        assert!(plan(&["--baseline-only", "--scenarios", "ldap"]).is_ok());
    }

    #[test]
    fn role_arn_needs_an_endpoint_and_the_assume_role_scenario() {
        let with = |extra: &[&str]| {
            let mut args = vec!["--endpoint", "http://127.0.0.1:9000", "--access-key", "a"];
            args.extend_from_slice(&["--secret-key", "b"]);
            args.extend_from_slice(extra);
            plan(&args)
        };
        let p = with(&[
            "--scenarios",
            "assume-role",
            "--role-arn",
            "arn:aws:iam:::role/r",
        ])
        .unwrap_or_else(|e| panic!("{e:#}"));
        let role = p.role.unwrap_or_else(|| panic!("no role in the plan"));
        assert_eq!(role.role_arn, "arn:aws:iam:::role/r");
        assert_eq!(role.session_name, ROLE_SESSION_NAME);
        assert!(with(&["--scenarios", "assume-role"]).is_ok_and(|p| p.role.is_none()));
        assert!(with(&["--scenarios", "get4k", "--role-arn", "arn:aws:iam:::role/r"]).is_err());
        assert!(with(&["--scenarios", "assume-role", "--role-arn", " "]).is_err());
        let spawn = plan(&[
            "--spawn",
            "x",
            "--scenarios",
            "assume-role",
            "--role-arn",
            "a",
        ]);
        assert!(spawn.is_err());
    }

    #[test]
    fn assume_role_naming_a_role_expects_credentials_of_any_form() {
        let creds = Arc::new(Credentials::new("AK", "SK", None));
        let s3 = S3Client::new(Endpoint::loopback(9000), creds, "us-east-1", "b");
        let role = RoleSession {
            role_arn: "arn:aws:iam:::role/r".to_owned(),
            session_name: ROLE_SESSION_NAME.to_owned(),
        };
        let o = assume_role_op(&s3, Some(&role))(0).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(matches!(o.expect, Expect::Contains(m) if m == CREDENTIALS_MARKER));
        let form = client::assume_role_form(Some(&role), None);
        assert_eq!(o.bytes_sent, form.len() as u64);
        let plain = make_op(&s3, Scenario::AssumeRole, 1)(0).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(matches!(plain.expect, Expect::Contains(m) if m == ASSUME_ROLE_MARKER));
        assert_eq!(
            plain.bytes_sent,
            client::assume_role_form(None, None).len() as u64
        );
    }

    #[test]
    fn ldap_requests_alternate_alice_and_bob() {
        let op = ldap_identity_op(&Endpoint::loopback(9000));
        assert!(form_of(&op, 0).contains("LDAPUsername=alice&LDAPPassword=alice-secret"));
        assert!(form_of(&op, 1).contains("LDAPUsername=bob&LDAPPassword=bob-secret"));
        assert_eq!(form_of(&op, 2), form_of(&op, 0));
        assert_eq!(form_of(&op, 3), form_of(&op, 1));
        assert!(make_op_fails(Scenario::Ldap));
    }
}
