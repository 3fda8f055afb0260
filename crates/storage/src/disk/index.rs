//! The redb index behind the disk backend: buckets, objects (one table per bucket, keyed by the
//! object key so that listing is a range scan), multipart uploads and parts. Reads open their
//! own snapshot; writes go through one writer thread that commits whatever jobs are queued in a
//! single durable transaction (group commit), so concurrent PUTs share fsyncs.

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadTransaction, ReadableDatabase, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::error::{StorageError, StorageResult};
use crate::types::{BucketInfo, ObjectInfo, PartInfo, UploadInfo};

pub const BUCKETS: TableDefinition<&str, &[u8]> = TableDefinition::new("buckets");
pub const UPLOADS: TableDefinition<&str, &[u8]> = TableDefinition::new("uploads");
pub const PARTS: TableDefinition<(&str, i32), &[u8]> = TableDefinition::new("parts");

/// Name of the table holding one bucket's objects.
pub fn objects_table_name(bucket: &str) -> String {
    format!("objects/{bucket}")
}

/// An object as the index records it: its description and where its bytes are, a data file
/// (`data_id`) or, for small objects, inline in the same record right after the description
/// (`data_id` empty). See `encode_object` for the record layout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredObject {
    pub info: ObjectInfo,
    #[serde(default)]
    pub data_id: String,
}

impl StoredObject {
    /// The data file holding the bytes, unless they are inline.
    pub fn file_id(&self) -> Option<&str> {
        (!self.data_id.is_empty()).then_some(self.data_id.as_str())
    }
}

/// An object record: the description's JSON length (4 bytes, little endian), the JSON, then the
/// inline bytes (none for objects kept in a data file).
pub fn encode_object(object: &StoredObject, inline: &[u8]) -> StorageResult<Vec<u8>> {
    let json = serde_json::to_vec(object)?;
    let len = u32::try_from(json.len())
        .map_err(|_| StorageError::Index("object description over 4 GiB".into()))?;
    let mut out = Vec::with_capacity(4 + json.len() + inline.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(inline);
    Ok(out)
}

fn split_object(record: &[u8]) -> StorageResult<(&[u8], &[u8])> {
    let bad = || StorageError::Index("an object record is truncated".into());
    let len_bytes: [u8; 4] = record
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(bad)?;
    let len = u32::from_le_bytes(len_bytes) as usize;
    let json = record.get(4..4 + len).ok_or_else(bad)?;
    Ok((json, &record[4 + len..]))
}

/// The description part of an object record.
pub fn decode_object(record: &[u8]) -> StorageResult<StoredObject> {
    decode(split_object(record)?.0)
}

/// The description and the inline bytes of an object record.
pub fn decode_object_with_data(record: &[u8]) -> StorageResult<(StoredObject, bytes::Bytes)> {
    let (json, data) = split_object(record)?;
    Ok((decode(json)?, bytes::Bytes::copy_from_slice(data)))
}

/// A part as the index records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPart {
    pub info: PartInfo,
    pub data_id: String,
}

pub fn encode<T: Serialize>(v: &T) -> StorageResult<Vec<u8>> {
    Ok(serde_json::to_vec(v)?)
}

pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> StorageResult<T> {
    Ok(serde_json::from_slice(bytes)?)
}

type Deliver = Box<dyn FnOnce(Option<&StorageError>) + Send>;
type Job = Box<dyn FnOnce(&WriteTransaction) -> (bool, Deliver) + Send>;

/// The index: a redb database plus its group-commit writer.
#[derive(Clone)]
pub struct Index {
    db: Arc<Database>,
    jobs: mpsc::UnboundedSender<Job>,
}

/// Most jobs folded into one transaction.
const MAX_BATCH: usize = 512;

impl Index {
    pub fn open(path: &Path) -> StorageResult<Self> {
        let db = Arc::new(Database::create(path)?);
        {
            let txn = db.begin_write()?;
            txn.open_table(BUCKETS)?;
            txn.open_table(UPLOADS)?;
            txn.open_table(PARTS)?;
            txn.commit()?;
        }
        let (jobs, rx) = mpsc::unbounded_channel();
        let writer_db = Arc::clone(&db);
        std::thread::Builder::new()
            .name("tessera-index-writer".into())
            .spawn(move || run_writer(&writer_db, rx))
            .map_err(StorageError::from)?;
        Ok(Self { db, jobs })
    }

    pub fn read(&self) -> StorageResult<ReadTransaction> {
        Ok(self.db.begin_read()?)
    }

    /// Runs `f` inside the next group-commit transaction and returns its result once that
    /// transaction is durable. `f` must check everything before it changes anything: a
    /// request-level error leaves the shared transaction untouched, while an internal error
    /// abandons the whole batch.
    pub async fn write<T, F>(&self, f: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> StorageResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<StorageResult<T>>();
        let job: Job = Box::new(move |txn| {
            let result = f(txn);
            let poisoned = matches!(&result, Err(e) if e.is_internal());
            let deliver: Deliver = Box::new(move |commit_error| {
                let outcome = match (commit_error, result) {
                    (None, r) => r,
                    (Some(_), Err(e)) if e.is_internal() => Err(e),
                    (Some(StorageError::DiskFull), _) => Err(StorageError::DiskFull),
                    (Some(e), _) => Err(StorageError::Index(e.to_string())),
                };
                let _ = tx.send(outcome);
            });
            (poisoned, deliver)
        });
        self.jobs
            .send(job)
            .map_err(|_| StorageError::Index("the index writer has stopped".into()))?;
        rx.await
            .map_err(|_| StorageError::Index("the index writer dropped a write".into()))?
    }

    // Read helpers shared by the backend's operations.

    pub fn bucket(txn: &ReadTransaction, name: &str) -> StorageResult<Option<BucketInfo>> {
        let t = txn.open_table(BUCKETS)?;
        t.get(name)?.map(|v| decode(v.value())).transpose()
    }

    /// An object's record with its inline bytes (empty when they live in a data file).
    pub fn object(
        txn: &ReadTransaction,
        bucket: &str,
        key: &str,
    ) -> StorageResult<Option<(StoredObject, bytes::Bytes)>> {
        let name = objects_table_name(bucket);
        let def: TableDefinition<&str, &[u8]> = TableDefinition::new(&name);
        match txn.open_table(def) {
            Ok(t) => t
                .get(key)?
                .map(|v| decode_object_with_data(v.value()))
                .transpose(),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub fn upload(txn: &ReadTransaction, upload_id: &str) -> StorageResult<Option<UploadInfo>> {
        let t = txn.open_table(UPLOADS)?;
        t.get(upload_id)?.map(|v| decode(v.value())).transpose()
    }
}

fn run_writer(db: &Database, mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let txn = match db.begin_write() {
            Ok(t) => t,
            Err(e) => {
                let err = StorageError::from(e);
                for job in batch {
                    // Jobs never ran: report the failure without a transaction.
                    drop(job);
                    tracing::error!(error = %err, "index write transaction could not start");
                }
                continue;
            }
        };
        let outcomes: Vec<(bool, Deliver)> = batch.into_iter().map(|job| job(&txn)).collect();
        let poisoned = outcomes.iter().any(|(p, _)| *p);
        let commit_error = if poisoned {
            let _ = txn.abort();
            Some(StorageError::Index(
                "a write in the same batch failed; nothing in it was applied".into(),
            ))
        } else {
            txn.commit().err().map(commit_error)
        };
        if let Some(e) = &commit_error {
            tracing::error!(error = %e, "index batch not committed");
        }
        for (_, deliver) in outcomes {
            deliver(commit_error.as_ref());
        }
    }
}

fn commit_error(e: redb::CommitError) -> StorageError {
    match e {
        redb::CommitError::Storage(redb::StorageError::Io(io)) => StorageError::from(io),
        other => StorageError::from(other),
    }
}
