//! The shared identity store of several nodes: the embedded store's records, under a key prefix
//! in etcd (`MINIO_ETCD_ENDPOINTS`). A batch is one etcd transaction that applies only if none
//! of its keys changed since the full read this node's state was built from, so two nodes
//! changing one user never lose an update (the later one is refused with `Conflict` and retried
//! on fresh state). A watch on the prefix tells the node when another node changed something;
//! after etcd was unreachable the node reads everything again. The etcd client is async: it
//! runs on a small runtime of this store's own, and the synchronous `IamStore` calls wait for
//! it, at most the configured timeout.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use etcd_client::{
    Certificate, Client, Compare, CompareOp, ConnectOptions, GetOptions, Identity, TlsOptions, Txn,
    TxnOp, WatchOptions,
};

use crate::error::{IamError, IamResult};
use crate::store::{Change, ChangeListener, IamStore};

/// Default key prefix, as MinIO's `MINIO_ETCD_PATH_PREFIX` is a prefix too.
pub const DEFAULT_ETCD_PREFIX: &str = "tessera/";
/// Default bound on one etcd operation.
pub const DEFAULT_ETCD_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause before watching again after the watch broke (etcd restarting, network trouble).
const REWATCH_DELAY: Duration = Duration::from_secs(1);

/// Where the shared store is and how to reach it.
#[derive(Debug, Clone)]
pub struct EtcdSettings {
    /// `http://host:port` or `https://host:port`, one per member.
    pub endpoints: Vec<String>,
    /// Prefix of every key Tessera writes.
    pub prefix: String,
    /// Client certificate and key (PEM) for etcd's client TLS authentication.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// CA (PEM) that signed etcd's server certificate.
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
}

/// The store on etcd.
pub struct EtcdIamStore {
    client: Client,
    prefix: String,
    timeout: Duration,
    /// The etcd revision of the last full read (or of this node's own write right after it):
    /// a batch applies only to keys not modified after it.
    known_revision: Arc<AtomicI64>,
    /// Dropped without waiting (a runtime cannot be dropped inside another one).
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for EtcdIamStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdIamStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Drop for EtcdIamStore {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl EtcdIamStore {
    /// Connects to etcd (checking that it answers).
    pub fn connect(settings: &EtcdSettings) -> IamResult<Self> {
        if settings.endpoints.is_empty() {
            return Err(IamError::InvalidArgument(
                "MINIO_ETCD_ENDPOINTS names no endpoint".into(),
            ));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tessera-etcd")
            .enable_all()
            .build()?;
        let mut options = ConnectOptions::new()
            .with_connect_timeout(settings.timeout)
            .with_timeout(settings.timeout)
            .with_keep_alive(Duration::from_secs(10), settings.timeout);
        if let Some(tls) = tls_options(settings)? {
            options = options.with_tls(tls);
        }
        let endpoints = settings.endpoints.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            let _ = tx.send(Client::connect(endpoints, Some(options)).await);
        });
        let client = wait(&rx, settings.timeout)?.map_err(|e| unavailable(&e))?;
        let store = Self {
            client,
            prefix: settings.prefix.clone(),
            timeout: settings.timeout,
            known_revision: Arc::new(AtomicI64::new(0)),
            runtime: Some(runtime),
        };
        // Connecting is lazy: ask something so a wrong endpoint fails here, clearly.
        store.load_all()?;
        Ok(store)
    }

    fn handle(&self) -> IamResult<&tokio::runtime::Handle> {
        self.runtime
            .as_ref()
            .map(tokio::runtime::Runtime::handle)
            .ok_or_else(|| IamError::Store("the etcd store is shut down".into()))
    }

    /// Runs `op` on the store's runtime and waits for it, at most the timeout.
    fn run<T, F>(&self, op: F) -> IamResult<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, etcd_client::Error>> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::channel();
        let timeout = self.timeout;
        self.handle()?.spawn(async move {
            let result = tokio::time::timeout(timeout, op).await;
            let _ = tx.send(result);
        });
        match wait(&rx, timeout)? {
            Ok(result) => result.map_err(|e| unavailable(&e)),
            Err(_) => Err(IamError::StoreUnavailable(format!(
                "no answer within {} s",
                timeout.as_secs()
            ))),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

/// Waits for the store runtime's answer without stalling the caller's own runtime: inside a
/// multi-threaded runtime the wait moves off the worker first.
fn wait<T>(rx: &std::sync::mpsc::Receiver<T>, timeout: Duration) -> IamResult<T> {
    let receive = || rx.recv_timeout(timeout + Duration::from_secs(1));
    let received = match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(receive)
        }
        _ => receive(),
    };
    received.map_err(|_| {
        IamError::StoreUnavailable(format!("no answer within {} s", timeout.as_secs()))
    })
}

fn unavailable(e: &etcd_client::Error) -> IamError {
    use etcd_client::Error;
    match e {
        // gRPC codes 1 Cancelled, 4 DeadlineExceeded and 14 Unavailable mean "not reachable".
        Error::GRpcStatus(status) if !matches!(i32::from(status.code()), 1 | 4 | 14) => {
            IamError::Store(format!("etcd: {}", status.message()))
        }
        other => IamError::StoreUnavailable(other.to_string()),
    }
}

fn tls_options(settings: &EtcdSettings) -> IamResult<Option<TlsOptions>> {
    let read = |path: &PathBuf, what: &str| {
        std::fs::read(path)
            .map_err(|e| IamError::InvalidArgument(format!("{what} {}: {e}", path.display())))
    };
    let mut tls = None;
    if let Some(ca) = &settings.ca_file {
        tls = Some(
            TlsOptions::new().ca_certificate(Certificate::from_pem(read(ca, "etcd CA file")?)),
        );
    }
    match (&settings.client_cert, &settings.client_key) {
        (Some(cert), Some(key)) => {
            let identity = Identity::from_pem(
                read(cert, "MINIO_ETCD_CLIENT_CERT")?,
                read(key, "MINIO_ETCD_CLIENT_CERT_KEY")?,
            );
            tls = Some(tls.unwrap_or_default().identity(identity));
        }
        (None, None) => {}
        _ => {
            return Err(IamError::InvalidArgument(
                "MINIO_ETCD_CLIENT_CERT and MINIO_ETCD_CLIENT_CERT_KEY go together".into(),
            ));
        }
    }
    if tls.is_none() && settings.endpoints.iter().any(|e| e.starts_with("https://")) {
        tls = Some(TlsOptions::new());
    }
    Ok(tls)
}

impl IamStore for EtcdIamStore {
    fn load_all(&self) -> IamResult<BTreeMap<String, Vec<u8>>> {
        let mut client = self.client.clone();
        let prefix = self.prefix.clone();
        let response = self.run(async move {
            client
                .get(prefix, Some(GetOptions::new().with_prefix()))
                .await
        })?;
        let mut out = BTreeMap::new();
        for kv in response.kvs() {
            let key = std::str::from_utf8(kv.key())
                .ok()
                .and_then(|k| k.strip_prefix(&self.prefix));
            if let Some(key) = key {
                out.insert(key.to_owned(), kv.value().to_vec());
            }
        }
        if let Some(header) = response.header() {
            self.known_revision
                .store(header.revision(), Ordering::SeqCst);
        }
        Ok(out)
    }

    fn write(&self, batch: Vec<Change>) -> IamResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let known = self.known_revision.load(Ordering::SeqCst);
        let mut compares = Vec::with_capacity(batch.len());
        let mut ops = Vec::with_capacity(batch.len());
        for (name, value) in batch {
            let key = self.key(&name);
            compares.push(Compare::mod_revision(
                key.clone(),
                CompareOp::Less,
                known + 1,
            ));
            ops.push(match value {
                Some(v) => TxnOp::put(key, v, None),
                None => TxnOp::delete(key, None),
            });
        }
        let mut client = self.client.clone();
        let txn = Txn::new().when(compares).and_then(ops);
        let response = self.run(async move { client.txn(txn).await })?;
        if !response.succeeded() {
            return Err(IamError::Conflict);
        }
        // Nothing else happened in between: this node's state is that revision now.
        if let Some(header) = response.header()
            && header.revision() == known + 1
        {
            let _ = self.known_revision.compare_exchange(
                known,
                header.revision(),
                Ordering::SeqCst,
                Ordering::SeqCst,
            );
        }
        Ok(())
    }

    fn watch(&self, on_change: ChangeListener) -> IamResult<()> {
        // The listener reads the store again, which waits on this runtime: it runs on a
        // thread of its own, and bursts of changes become one call.
        let (notify, notified) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("tessera-iam-reload".into())
            .spawn(move || {
                while notified.recv().is_ok() {
                    while notified.try_recv().is_ok() {}
                    on_change();
                }
            })?;
        let client = self.client.clone();
        let prefix = self.prefix.clone();
        let known = Arc::clone(&self.known_revision);
        self.handle()?.spawn(async move {
            loop {
                watch_until_broken(client.clone(), &prefix, &known, &notify).await;
                tokio::time::sleep(REWATCH_DELAY).await;
                // Whatever happened meanwhile is read anew.
                if notify.send(()).is_err() {
                    return;
                }
            }
        });
        Ok(())
    }
}

/// Follows the prefix from the known revision on, telling `notify` about changes this node did
/// not make, until the watch breaks.
async fn watch_until_broken(
    mut client: Client,
    prefix: &str,
    known: &AtomicI64,
    notify: &std::sync::mpsc::Sender<()>,
) {
    let start = known.load(Ordering::SeqCst) + 1;
    let options = WatchOptions::new()
        .with_prefix()
        .with_start_revision(start)
        .with_progress_notify();
    let mut stream = match client.watch(prefix, Some(options)).await {
        Ok(stream) => stream,
        Err(e) => {
            tracing::warn!(error = %e, "watching the shared identity store failed; retrying");
            return;
        }
    };
    loop {
        match stream.message().await {
            Ok(Some(response)) => {
                if response.canceled() {
                    tracing::warn!("the shared identity store cancelled its watch; watching again");
                    return;
                }
                let seen = known.load(Ordering::SeqCst);
                let foreign = response
                    .events()
                    .iter()
                    .any(|e| e.kv().is_none_or(|kv| kv.mod_revision() > seen));
                if foreign && notify.send(()).is_err() {
                    return;
                }
            }
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "the shared identity store's watch broke; watching again");
                return;
            }
        }
    }
}
