//! The measured loops: which scenarios exist, the bounds every loop obeys (a deadline and a
//! request budget, whichever comes first), the closed-loop HTTP workers (one connection each)
//! and the blocking workers used by the fsync ceiling, and the summary of one run
//! (requests/s, p50/p99 latency, bytes/s, errors).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use serde::Serialize;
use tokio::sync::Barrier;

use crate::client::{Connection, Endpoint, Outcome};
use crate::raw_http::{self, RawConnection};

pub const SIZE_4K: usize = 4 * 1024;
pub const SIZE_1M: usize = 1024 * 1024;
/// Object keys of the pre-created GET objects (the hyper baseline serves 1 MiB for `KEY_1M`).
pub const KEY_4K: &str = "get4k-object";
pub const KEY_1M: &str = "get1m-object";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    Get4k,
    Put4k,
    Get1m,
    /// GET 4 KiB as an IAM user under the home-directory policy, in slices interleaved with
    /// the same GET as root (`tessera-as-root`), which it is compared with.
    #[serde(rename = "get4k-user")]
    Get4kUser,
    /// STS AssumeRole signed anew per call by the IAM user of `get4k-user`; compared with the
    /// hyper baseline's get4k at the same concurrency.
    #[serde(rename = "assume-role")]
    AssumeRole,
    /// The IAM user's GET 4 KiB with temporary credentials (one AssumeRole), in slices
    /// interleaved with the same GET signed by the user's long-term keys (`tessera-as-user`).
    #[serde(rename = "get4k-temp")]
    Get4kTemp,
    /// STS AssumeRoleWithWebIdentity, unsigned, with RS256 ID tokens of the tool's own OpenID
    /// issuer (`--spawn` only); compared with RSA-2048 signature verifications on all cores,
    /// no HTTP, measured right after it (`rsa2048-verify-limit`).
    #[serde(rename = "web-identity")]
    WebIdentity,
    /// Root's GET 4 KiB interleaved with itself, exactly as `get4k-user` interleaves: the
    /// noise floor of the interleaved comparisons (its ratio should be 1).
    #[serde(rename = "get4k-aa")]
    Get4kAa,
    /// STS AssumeRoleWithLDAPIdentity, unsigned, against a slapd this tool runs (`--spawn`
    /// only); compared with the same directory work done directly with ldap3, no HTTP,
    /// measured right after it (`ldap-direct`).
    Ldap,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Get4k => "get4k",
            Scenario::Put4k => "put4k",
            Scenario::Get1m => "get1m",
            Scenario::Get4kUser => "get4k-user",
            Scenario::AssumeRole => "assume-role",
            Scenario::Get4kTemp => "get4k-temp",
            Scenario::WebIdentity => "web-identity",
            Scenario::Get4kAa => "get4k-aa",
            Scenario::Ldap => "ldap",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "get4k" => Ok(Scenario::Get4k),
            "put4k" => Ok(Scenario::Put4k),
            "get1m" => Ok(Scenario::Get1m),
            "get4k-user" => Ok(Scenario::Get4kUser),
            "assume-role" => Ok(Scenario::AssumeRole),
            "get4k-temp" => Ok(Scenario::Get4kTemp),
            "get4k-aa" => Ok(Scenario::Get4kAa),
            "web-identity" => Ok(Scenario::WebIdentity),
            "ldap" => Ok(Scenario::Ldap),
            other => bail!(
                "unknown scenario `{other}`; choose from get4k, put4k, get1m, get4k-user, \
                 assume-role, get4k-temp, web-identity, get4k-aa, ldap"
            ),
        }
    }
}

/// A deterministic body of `len` bytes.
pub fn body_of(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// Limits of one run: it stops at `duration` or after `max_requests` started operations,
/// whichever comes first; a single operation may not take longer than `op_timeout`.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub duration: Duration,
    pub max_requests: u64,
    pub op_timeout: Duration,
}

/// Shared by the workers of one run: hands out sequence numbers until a bound is reached.
struct Budget {
    deadline: OnceLock<Instant>,
    started: AtomicU64,
    max: u64,
}

impl Budget {
    fn new(max: u64) -> Self {
        Self {
            deadline: OnceLock::new(),
            started: AtomicU64::new(0),
            max,
        }
    }

    /// The next operation's sequence number, or `None` once time or count is spent.
    fn claim(&self) -> Option<u64> {
        let deadline = *self.deadline.get()?;
        if Instant::now() >= deadline {
            return None;
        }
        let seq = self.started.fetch_add(1, Ordering::Relaxed);
        (seq < self.max).then_some(seq)
    }
}

/// What one worker saw.
#[derive(Default)]
struct Tally {
    ok: u64,
    errors: u64,
    bytes: u64,
    /// Latency of each successful operation, in microseconds.
    latencies_us: Vec<u32>,
    first_error: Option<String>,
}

impl Tally {
    fn success(&mut self, bytes: u64, took: Duration) {
        self.ok += 1;
        self.bytes += bytes;
        self.latencies_us
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
    }

    fn failure(&mut self, why: impl FnOnce() -> String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(why());
        }
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.bytes += other.bytes;
        self.latencies_us.extend(other.latencies_us);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// The summary of one (target, scenario, concurrency) run.
#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    pub target: String,
    pub scenario: String,
    pub concurrency: usize,
    pub ok: u64,
    pub errors: u64,
    pub seconds: f64,
    pub ops_per_sec: f64,
    pub bytes_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Threads of a CPU-bound baseline whose `concurrency` names the run it is paired with
    /// (`rsa2048-verify-limit` runs on all cores after the web-identity run at `concurrency`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

impl Measurement {
    fn from_tally(
        target: &str,
        scenario: &str,
        concurrency: usize,
        mut t: Tally,
        elapsed: Duration,
    ) -> Self {
        let secs = elapsed.as_secs_f64().max(1e-9);
        t.latencies_us.sort_unstable();
        Self {
            target: target.to_owned(),
            scenario: scenario.to_owned(),
            concurrency,
            ok: t.ok,
            errors: t.errors,
            seconds: secs,
            ops_per_sec: t.ok as f64 / secs,
            bytes_per_sec: t.bytes as f64 / secs,
            p50_ms: percentile_ms(&t.latencies_us, 0.50),
            p99_ms: percentile_ms(&t.latencies_us, 0.99),
            threads: None,
            first_error: t.first_error,
        }
    }
}

/// Nearest-rank percentile of sorted microsecond samples, in milliseconds (0 when empty).
fn percentile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted_us.len() as f64).ceil() as usize;
    let idx = rank.clamp(1, sorted_us.len()) - 1;
    f64::from(sorted_us[idx]) / 1000.0
}

/// One HTTP operation: the request to send, the bytes it moves, and what a correct (2xx)
/// answer's body looks like (anything else counts as an error).
pub struct HttpOp {
    pub request: OpRequest,
    pub bytes_sent: u64,
    pub expect: Expect,
}

/// A request as one of the tool's two clients sends it.
pub enum OpRequest {
    /// Through hyper's HTTP/1.1 client (the S3 scenarios and the hyper baseline).
    Hyper(Box<Request<Full<Bytes>>>),
    /// Written as it is by the lean client (`raw_http`): a whole serialised request.
    Raw(Bytes),
}

impl From<Request<Full<Bytes>>> for OpRequest {
    fn from(request: Request<Full<Bytes>>) -> Self {
        OpRequest::Hyper(Box::new(request))
    }
}

/// Which client a run's workers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientKind {
    Hyper,
    Raw,
}

/// A worker's keep-alive connection, of its run's client.
enum WorkerConnection {
    Hyper(Connection),
    Raw(RawConnection),
}

impl WorkerConnection {
    async fn open(kind: ClientKind, endpoint: &Endpoint) -> Result<Self> {
        Ok(match kind {
            ClientKind::Hyper => WorkerConnection::Hyper(Connection::open(endpoint).await?),
            ClientKind::Raw => WorkerConnection::Raw(RawConnection::open(endpoint).await?),
        })
    }

    /// Whether it can carry another request.
    fn reusable(&self) -> bool {
        match self {
            WorkerConnection::Hyper(_) => true,
            WorkerConnection::Raw(c) => c.reusable(),
        }
    }

    /// Sends `request` and reads its answer within `timeout`, keeping the first `keep` bytes.
    async fn exchange(
        &mut self,
        request: OpRequest,
        keep: usize,
        timeout: Duration,
    ) -> Result<(Outcome, Vec<u8>)> {
        match (self, request) {
            (WorkerConnection::Hyper(c), OpRequest::Hyper(request)) => {
                tokio::time::timeout(timeout, c.send_keeping(*request, keep))
                    .await
                    .unwrap_or_else(|_| Err(anyhow!("no answer within {timeout:?}")))
            }
            (WorkerConnection::Raw(c), OpRequest::Raw(request)) => {
                raw_http::exchange_within(c, &request, keep, timeout).await
            }
            _ => Err(anyhow!(
                "a request built for the other client (hyper or raw) than this run's"
            )),
        }
    }
}

/// What the body of a successful answer must be.
#[derive(Clone, Copy, Debug)]
pub enum Expect {
    /// Any body.
    Any,
    /// Exactly this many bytes.
    Len(u64),
    /// Contains this marker within its first [`KEPT_BODY_BYTES`] bytes.
    Contains(&'static str),
}

/// How much of an answer is kept to look for an [`Expect::Contains`] marker.
pub const KEPT_BODY_BYTES: usize = 64 * 1024;

impl Expect {
    fn keep(self) -> usize {
        match self {
            Expect::Contains(_) => KEPT_BODY_BYTES,
            Expect::Any | Expect::Len(_) => 0,
        }
    }

    /// Why `body` (of `len` bytes, the kept prefix in `kept`) is not what was expected.
    fn check(self, len: u64, kept: &[u8]) -> Option<String> {
        match self {
            Expect::Any => None,
            Expect::Len(want) => {
                (want != len).then(|| format!("body of {len} bytes, expected {want}"))
            }
            Expect::Contains(marker) => (!contains(kept, marker.as_bytes())).then(|| {
                format!(
                    "answer without `{marker}`: {}",
                    String::from_utf8_lossy(&kept[..kept.len().min(300)])
                )
            }),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Builds the operation with the given sequence number.
pub type MakeOp = Arc<dyn Fn(u64) -> Result<HttpOp> + Send + Sync>;

/// Closed-loop HTTP load: `concurrency` workers, each on its own keep-alive connection,
/// opened before the clock starts.
pub async fn run_http(
    target: &str,
    scenario: Scenario,
    endpoint: &Endpoint,
    concurrency: usize,
    bounds: Bounds,
    make_op: MakeOp,
) -> Measurement {
    let (tally, elapsed) =
        run_tally(endpoint, ClientKind::Hyper, concurrency, bounds, make_op).await;
    Measurement::from_tally(target, scenario.name(), concurrency, tally, elapsed)
}

/// Two closed-loop loads compared with each other (the same GET signed by two identities):
/// the time is cut into `rounds` slices run in the order A B B A A B …, so that drift on a
/// noisy machine (a neighbour, the allocator's state after the previous run) hits both sides
/// alike. Returns the measurement of `a` and of `b`, each over all of its slices.
pub async fn run_http_interleaved(
    scenario: Scenario,
    endpoint: &Endpoint,
    concurrency: usize,
    bounds: Bounds,
    rounds: u32,
    a: (&str, MakeOp),
    b: (&str, MakeOp),
) -> [Measurement; 2] {
    let rounds = rounds.max(2);
    let slice = Bounds {
        duration: bounds.duration / rounds,
        max_requests: (bounds.max_requests / u64::from(rounds)).max(1),
        op_timeout: bounds.op_timeout,
    };
    let mut totals = [
        (Tally::default(), Duration::ZERO),
        (Tally::default(), Duration::ZERO),
    ];
    for round in 0..rounds {
        // 0: A B, 1: B A, 2: A B, ...
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let op = if side == 0 { a.1.clone() } else { b.1.clone() };
            let (tally, elapsed) =
                run_tally(endpoint, ClientKind::Hyper, concurrency, slice, op).await;
            totals[side].0.merge(tally);
            totals[side].1 += elapsed;
        }
    }
    let [(ta, ea), (tb, eb)] = totals;
    [
        Measurement::from_tally(a.0, scenario.name(), concurrency, ta, ea),
        Measurement::from_tally(b.0, scenario.name(), concurrency, tb, eb),
    ]
}

/// One closed-loop run: what the workers saw, and how long it took.
async fn run_tally(
    endpoint: &Endpoint,
    kind: ClientKind,
    concurrency: usize,
    bounds: Bounds,
    make_op: MakeOp,
) -> (Tally, Duration) {
    run_workers(concurrency, bounds, |start| {
        let (endpoint, make_op) = (endpoint.clone(), make_op.clone());
        async move {
            let mut tally = Tally::default();
            let mut conn = match WorkerConnection::open(kind, &endpoint).await {
                Ok(c) => Some(c),
                Err(e) => {
                    tally.failure(|| format!("{e:#}"));
                    None
                }
            };
            start.wait().await;
            while let Some(seq) = start.claim() {
                http_step(
                    &endpoint,
                    kind,
                    &mut conn,
                    &make_op,
                    seq,
                    bounds.op_timeout,
                    &mut tally,
                )
                .await;
            }
            tally
        }
    })
    .await
}

/// A worker's view of its run: the start it waits for, then the sequence numbers it claims.
struct Start {
    budget: Arc<Budget>,
    ready: Arc<Barrier>,
    go: Arc<Barrier>,
}

impl Start {
    /// Says this worker is ready, then waits until all are and the clock has started.
    async fn wait(&self) {
        self.ready.wait().await;
        self.go.wait().await;
    }

    /// The next operation's sequence number, or `None` once the run's bounds are spent.
    fn claim(&self) -> Option<u64> {
        self.budget.claim()
    }
}

/// The scaffolding of a closed-loop async run: `concurrency` tasks, each the future
/// `worker(start)` (which sets itself up, waits for `start`, then runs the operations it
/// claims), with the clock started once all of them are ready; their tallies merged, and the
/// time from that start until the last one ended.
async fn run_workers<F, Fut>(concurrency: usize, bounds: Bounds, worker: F) -> (Tally, Duration)
where
    F: Fn(Start) -> Fut,
    Fut: Future<Output = Tally> + Send + 'static,
{
    let budget = Arc::new(Budget::new(bounds.max_requests));
    let ready = Arc::new(Barrier::new(concurrency + 1));
    let go = Arc::new(Barrier::new(concurrency + 1));
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        workers.push(tokio::spawn(worker(Start {
            budget: budget.clone(),
            ready: ready.clone(),
            go: go.clone(),
        })));
    }
    ready.wait().await;
    let start = Instant::now();
    let _ = budget.deadline.set(start + bounds.duration);
    go.wait().await;
    let mut total = Tally::default();
    for w in workers {
        match w.await {
            Ok(t) => total.merge(t),
            Err(e) => total.failure(|| format!("worker failed: {e}")),
        }
    }
    (total, start.elapsed())
}

async fn http_step(
    endpoint: &Endpoint,
    kind: ClientKind,
    conn: &mut Option<WorkerConnection>,
    make_op: &MakeOp,
    seq: u64,
    timeout: Duration,
    tally: &mut Tally,
) {
    let op = match make_op(seq) {
        Ok(op) => op,
        Err(e) => return tally.failure(|| format!("{e:#}")),
    };
    let c = match conn {
        Some(c) if c.reusable() => c,
        _ => match WorkerConnection::open(kind, endpoint).await {
            Ok(c) => conn.insert(c),
            Err(e) => {
                *conn = None;
                tally.failure(|| format!("{e:#}"));
                // Do not spin on a dead server; the deadline still bounds the loop.
                tokio::time::sleep(Duration::from_millis(10)).await;
                return;
            }
        },
    };
    let started = Instant::now();
    match c.exchange(op.request, op.expect.keep(), timeout).await {
        Ok((out, kept)) if out.status.is_success() => match op.expect.check(out.body_len, &kept) {
            Some(why) => tally.failure(|| why),
            None => tally.success(op.bytes_sent + out.body_len, started.elapsed()),
        },
        Ok((out, kept)) => tally.failure(|| {
            // The kept start of the answer (only kept for `Expect::Contains`) says why.
            let excerpt = String::from_utf8_lossy(&kept[..kept.len().min(300)]);
            format!("HTTP status {} {excerpt}", out.status)
                .trim_end()
                .to_owned()
        }),
        Err(e) => {
            *conn = None;
            tally.failure(|| format!("{e:#}"));
        }
    }
}

/// [`run_http`] with the lean client: the same workers, bounds and checks, each worker on its
/// own keep-alive connection opened before the clock starts, with prebuilt requests. The
/// workers share one thread of their own (a single-threaded runtime), so that the tool never
/// wakes a second thread of its own to carry an answer: the client needs well under a core,
/// and every wake-up would be taken from the server. That thread is scheduled as a batch
/// thread ([`yield_to_the_server`]).
pub async fn run_raw(
    target: &str,
    scenario: Scenario,
    endpoint: &Endpoint,
    concurrency: usize,
    bounds: Bounds,
    make_op: MakeOp,
) -> Measurement {
    let endpoint = endpoint.clone();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let started = std::thread::Builder::new()
        .name("tessera-load-client".to_owned())
        .spawn(move || {
            let run = || {
                if let Err(why) = yield_to_the_server() {
                    eprintln!("{why}: it keeps the default policy and will preempt the server");
                }
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the client's runtime: {e}"))?;
                Ok::<_, String>(runtime.block_on(run_tally(
                    &endpoint,
                    ClientKind::Raw,
                    concurrency,
                    bounds,
                    make_op,
                )))
            };
            let _ = done_tx.send(run());
        });
    let (tally, elapsed) = match started {
        Err(e) => failed(format!("cannot start the client's thread: {e}")),
        Ok(_) => match done_rx.await {
            Ok(Ok(done)) => done,
            Ok(Err(why)) => failed(why),
            Err(_) => failed("the client's thread failed".to_owned()),
        },
    };
    Measurement::from_tally(target, scenario.name(), concurrency, tally, elapsed)
}

/// Makes the calling thread a batch thread (Linux `SCHED_BATCH`, nice 0): it gets its fair
/// share of the cores as before, but an answer that wakes it no longer preempts a server
/// thread mid-request. The tool shares the machine's cores with the server it measures; with
/// the default policy every wake-up of the client interrupted the server (a reschedule IPI and
/// two context switches), a cost a client on another machine does not impose (BENCHMARKS.md).
fn yield_to_the_server() -> Result<(), String> {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityOsValue, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Os(ThreadPriorityOsValue::default()),
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
    )
    .map_err(|e| format!("cannot make the client's thread a batch thread: {e:?}"))
}

/// A run that could not start.
fn failed(why: String) -> (Tally, Duration) {
    let mut tally = Tally::default();
    tally.failure(|| why);
    (tally, Duration::ZERO)
}

/// One operation of an async closed loop: the future of the operation with the given sequence
/// number, resolving to the bytes it moved.
pub type AsyncOp =
    Arc<dyn Fn(u64) -> Pin<Box<dyn Future<Output = Result<u64>> + Send>> + Send + Sync>;

/// Closed-loop async load without HTTP: `concurrency` tasks on the tool's runtime, each running
/// `op` until a bound is reached; an operation slower than `bounds.op_timeout` counts as an
/// error.
pub async fn run_async(
    target: &str,
    scenario: Scenario,
    concurrency: usize,
    bounds: Bounds,
    op: AsyncOp,
) -> Measurement {
    let (total, elapsed) = run_workers(concurrency, bounds, |start| {
        let op = op.clone();
        async move {
            let mut tally = Tally::default();
            start.wait().await;
            while let Some(seq) = start.claim() {
                let started = Instant::now();
                match tokio::time::timeout(bounds.op_timeout, op(seq)).await {
                    Ok(Ok(bytes)) => tally.success(bytes, started.elapsed()),
                    Ok(Err(e)) => tally.failure(|| format!("{e:#}")),
                    Err(_) => tally.failure(|| format!("no answer within {:?}", bounds.op_timeout)),
                }
            }
            tally
        }
    })
    .await;
    Measurement::from_tally(target, scenario.name(), concurrency, total, elapsed)
}

/// Closed-loop blocking load on `concurrency` OS threads; `op(worker, seq)` returns the bytes
/// it moved. Run it off the async runtime (`spawn_blocking`).
pub fn run_blocking<F>(
    target: &str,
    scenario: &str,
    concurrency: usize,
    bounds: Bounds,
    op: F,
) -> Measurement
where
    F: Fn(usize, u64) -> std::io::Result<u64> + Sync,
{
    let budget = Budget::new(bounds.max_requests);
    let ready = std::sync::Barrier::new(concurrency + 1);
    let go = std::sync::Barrier::new(concurrency + 1);
    let (total, elapsed) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..concurrency)
            .map(|worker| {
                let (budget, ready, go, op) = (&budget, &ready, &go, &op);
                s.spawn(move || {
                    let mut tally = Tally::default();
                    ready.wait();
                    go.wait();
                    while let Some(seq) = budget.claim() {
                        let started = Instant::now();
                        match op(worker, seq) {
                            Ok(bytes) => tally.success(bytes, started.elapsed()),
                            Err(e) => tally.failure(|| e.to_string()),
                        }
                    }
                    tally
                })
            })
            .collect();
        ready.wait();
        let start = Instant::now();
        let _ = budget.deadline.set(start + bounds.duration);
        go.wait();
        let mut total = Tally::default();
        for h in handles {
            match h.join() {
                Ok(t) => total.merge(t),
                Err(_) => total.failure(|| "worker thread panicked".to_owned()),
            }
        }
        (total, start.elapsed())
    });
    Measurement::from_tally(target, scenario, concurrency, total, elapsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&v, 0.50), 50.0);
        assert_eq!(percentile_ms(&v, 0.99), 99.0);
        assert_eq!(percentile_ms(&[7000], 0.99), 7.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
    }

    #[test]
    fn scenarios_parse_and_reject_unknown_names() {
        assert_eq!("get1m".parse::<Scenario>().ok(), Some(Scenario::Get1m));
        assert!("get2k".parse::<Scenario>().is_err());
        assert!("assumerole".parse::<Scenario>().is_err());
        assert!("webidentity".parse::<Scenario>().is_err());
        let why = "web_identity"
            .parse::<Scenario>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(why.contains("web-identity"), "{why}");
    }

    #[test]
    fn new_scenarios_parse_print_and_serialise_by_their_names() {
        for (name, scenario) in [
            ("get4k-user", Scenario::Get4kUser),
            ("assume-role", Scenario::AssumeRole),
            ("get4k-temp", Scenario::Get4kTemp),
            ("get4k-aa", Scenario::Get4kAa),
            ("web-identity", Scenario::WebIdentity),
            ("ldap", Scenario::Ldap),
        ] {
            assert_eq!(name.parse::<Scenario>().ok(), Some(scenario));
            assert_eq!(format!(" {name} ").parse::<Scenario>().ok(), Some(scenario));
            assert_eq!(scenario.to_string(), name);
            assert_eq!(
                serde_json::to_string(&scenario).ok(),
                Some(format!("\"{name}\""))
            );
        }
    }

    #[test]
    fn expectations_check_length_or_marker() {
        assert_eq!(Expect::Any.check(5, b""), None);
        assert_eq!(Expect::Len(4).check(4, b""), None);
        assert!(Expect::Len(4).check(5, b"").is_some());
        let marker = Expect::Contains("<AccessKeyId>ASIA");
        assert_eq!(marker.keep(), KEPT_BODY_BYTES);
        assert_eq!(Expect::Len(4).keep(), 0);
        let good = b"<Credentials><AccessKeyId>ASIAXYZ</AccessKeyId>";
        assert_eq!(marker.check(good.len() as u64, good), None);
        let bad = b"<Error><Code>AccessDenied</Code></Error>";
        let why = marker.check(bad.len() as u64, bad).unwrap_or_default();
        assert!(why.contains("AccessDenied"), "{why}");
    }

    #[test]
    fn blocking_run_stops_at_the_request_budget() {
        let bounds = Bounds {
            duration: Duration::from_secs(30),
            max_requests: 50,
            op_timeout: Duration::from_secs(1),
        };
        let m = run_blocking("t", "noop", 4, bounds, |_, _| Ok(10));
        assert_eq!(m.ok, 50);
        assert_eq!(m.errors, 0);
        assert!(m.seconds < 30.0);
    }

    #[tokio::test]
    async fn async_run_stops_at_the_budget_and_counts_errors_and_timeouts() {
        let bounds = Bounds {
            duration: Duration::from_secs(30),
            max_requests: 30,
            op_timeout: Duration::from_millis(200),
        };
        let op: AsyncOp = Arc::new(|seq| {
            Box::pin(async move {
                match seq % 3 {
                    0 => Ok(7),
                    1 => bail!("failed {seq}"),
                    _ => {
                        // Longer than the operation timeout: counted as an error.
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        Ok(0)
                    }
                }
            })
        });
        let m = run_async("t", Scenario::Ldap, 3, bounds, op).await;
        assert_eq!((m.ok, m.errors), (10, 20));
        assert_eq!((m.target.as_str(), m.scenario.as_str()), ("t", "ldap"));
        assert_eq!(m.concurrency, 3);
        assert!((m.bytes_per_sec * m.seconds - 70.0).abs() < 1e-6);
        let first = m.first_error.unwrap_or_default();
        assert!(
            first.starts_with("failed") || first.starts_with("no answer within"),
            "{first}"
        );
    }

    #[test]
    fn blocking_run_stops_at_the_deadline() {
        let bounds = Bounds {
            duration: Duration::from_millis(100),
            max_requests: u64::MAX,
            op_timeout: Duration::from_secs(1),
        };
        let m = run_blocking("t", "sleep", 2, bounds, |_, _| {
            std::thread::sleep(Duration::from_millis(5));
            Ok(0)
        });
        assert!(m.ok > 0);
        assert!(m.seconds < 5.0);
    }
}
