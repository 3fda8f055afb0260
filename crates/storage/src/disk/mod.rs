//! The embedded disk backend: object bytes in data files (see `files`), everything else in the
//! redb index (see `index`). A write becomes visible only when the index transaction that
//! references its durable data file commits; the file it replaced is deleted afterwards.

mod cleanup;
mod files;
mod index;
mod listing;
mod multipart;

use std::path::Path;
use std::time::Duration;

use redb::{ReadableTable as _, ReadableTableMetadata as _, TableDefinition, WriteTransaction};

use crate::digest::BodyDigest;
use crate::error::{StorageError, StorageResult};
use crate::types::{BucketInfo, ListPage, ListQuery, ObjectInfo, RangeRequest, now_millis};
use crate::{BodyStream, ObjectBackend, ObjectRead, ObjectWrite};

use bytes::Bytes;
use files::DataFiles;
use files::{Received, WrittenFile};
use index::{
    BUCKETS, Index, StoredObject, decode, decode_object, encode, encode_object, objects_table_name,
};

/// Objects up to this size keep their bytes inline in the index record: their PUT costs one
/// share of a group commit instead of a file and its fsyncs, and their GET no file open.
const INLINE_MAX: usize = 64 * 1024;

/// Where a new object's bytes are.
enum Location {
    Inline(Bytes),
    File(WrittenFile),
}

/// Tunables of the disk backend.
#[derive(Debug, Clone)]
pub struct DiskOptions {
    /// Multipart uploads untouched for this long are aborted by the cleanup.
    pub stale_upload_after: Duration,
    /// How often the cleanup runs after the one at start.
    pub cleanup_interval: Duration,
}

impl Default for DiskOptions {
    fn default() -> Self {
        Self {
            stale_upload_after: Duration::from_secs(24 * 3600),
            cleanup_interval: Duration::from_secs(3600),
        }
    }
}

/// The embedded backend over one directory.
#[derive(Clone)]
pub struct DiskBackend {
    index: Index,
    files: DataFiles,
    options: DiskOptions,
}

impl DiskBackend {
    /// Opens (creating if needed) the backend in `dir`, then removes whatever a previous run left
    /// half-done: data files no index entry refers to, and stale multipart uploads.
    pub async fn open(dir: &Path, options: DiskOptions) -> StorageResult<Self> {
        std::fs::create_dir_all(dir)?;
        let index = Index::open(&dir.join("index.redb"))?;
        let files = DataFiles::open(dir.join("data"))?;
        let backend = Self {
            index,
            files,
            options,
        };
        let report = backend.clean_up().await?;
        if report.orphan_files > 0 || report.stale_uploads > 0 {
            tracing::info!(
                orphan_files = report.orphan_files,
                stale_uploads = report.stale_uploads,
                "removed what an earlier run left unfinished"
            );
        }
        Ok(backend)
    }

    /// Runs the cleanup every `cleanup_interval` until the returned task is dropped or aborted.
    pub fn spawn_periodic_cleanup(&self) -> tokio::task::JoinHandle<()> {
        let backend = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(backend.options.cleanup_interval);
            tick.tick().await;
            loop {
                tick.tick().await;
                match backend.clean_up().await {
                    Ok(r) if r.orphan_files > 0 || r.stale_uploads > 0 => {
                        tracing::info!(
                            orphan_files = r.orphan_files,
                            stale_uploads = r.stale_uploads,
                            "periodic cleanup"
                        );
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "periodic cleanup failed"),
                }
            }
        })
    }

    /// The object's record and its inline bytes (empty when they live in a data file).
    fn stored_object(&self, bucket: &str, key: &str) -> StorageResult<(StoredObject, Bytes)> {
        let txn = self.index.read()?;
        if Index::bucket(&txn, bucket)?.is_none() {
            return Err(StorageError::NoSuchBucket(bucket.to_owned()));
        }
        Index::object(&txn, bucket, key)?.ok_or_else(|| StorageError::NoSuchKey(key.to_owned()))
    }

    fn require_bucket(&self, bucket: &str) -> StorageResult<BucketInfo> {
        let txn = self.index.read()?;
        Index::bucket(&txn, bucket)?.ok_or_else(|| StorageError::NoSuchBucket(bucket.to_owned()))
    }
}

/// Inside a write transaction: fails unless the bucket exists.
fn require_bucket_in(txn: &WriteTransaction, bucket: &str) -> StorageResult<()> {
    let t = txn.open_table(BUCKETS)?;
    if t.get(bucket)?.is_none() {
        return Err(StorageError::NoSuchBucket(bucket.to_owned()));
    }
    Ok(())
}

/// Inside a write transaction: puts `object` (with its inline bytes, if any) at its key and
/// returns the data file it replaced.
fn replace_object(
    txn: &WriteTransaction,
    bucket: &str,
    object: &StoredObject,
    inline: &[u8],
) -> StorageResult<Option<String>> {
    let name = objects_table_name(bucket);
    let mut t = txn.open_table(TableDefinition::<&str, &[u8]>::new(&name))?;
    let old = t.insert(
        object.info.key.as_str(),
        encode_object(object, inline)?.as_slice(),
    )?;
    replaced_file(old.map(|v| v.value().to_vec()))
}

/// The data file of a record that was just replaced or removed.
fn replaced_file(record: Option<Vec<u8>>) -> StorageResult<Option<String>> {
    match record {
        Some(r) => Ok(decode_object(&r)?.file_id().map(str::to_owned)),
        None => Ok(None),
    }
}

/// Inside a write transaction: the object currently at `key`, if any.
fn current_object(
    txn: &WriteTransaction,
    bucket: &str,
    key: &str,
) -> StorageResult<Option<StoredObject>> {
    let name = objects_table_name(bucket);
    let t = txn.open_table(TableDefinition::<&str, &[u8]>::new(&name))?;
    t.get(key)?.map(|v| decode_object(v.value())).transpose()
}

#[async_trait::async_trait]
impl ObjectBackend for DiskBackend {
    async fn create_bucket(&self, name: &str) -> StorageResult<BucketInfo> {
        let info = BucketInfo {
            name: name.to_owned(),
            created: now_millis(),
        };
        let record = encode(&info)?;
        let name = name.to_owned();
        self.index
            .write(move |txn| {
                let mut t = txn.open_table(BUCKETS)?;
                if t.get(name.as_str())?.is_some() {
                    return Err(StorageError::BucketAlreadyOwnedByYou(name));
                }
                t.insert(name.as_str(), record.as_slice())?;
                let table = objects_table_name(&name);
                txn.open_table(TableDefinition::<&str, &[u8]>::new(&table))?;
                Ok(())
            })
            .await?;
        Ok(info)
    }

    async fn head_bucket(&self, name: &str) -> StorageResult<BucketInfo> {
        self.require_bucket(name)
    }

    async fn list_buckets(&self) -> StorageResult<Vec<BucketInfo>> {
        let txn = self.index.read()?;
        let t = txn.open_table(BUCKETS)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (_, v) = item?;
            out.push(decode(v.value())?);
        }
        Ok(out)
    }

    async fn delete_bucket(&self, name: &str) -> StorageResult<()> {
        let bucket = name.to_owned();
        let freed = self
            .index
            .write(move |txn| {
                require_bucket_in(txn, &bucket)?;
                let table = objects_table_name(&bucket);
                let def = TableDefinition::<&str, &[u8]>::new(&table);
                if !txn.open_table(def)?.is_empty()? {
                    return Err(StorageError::BucketNotEmpty(bucket));
                }
                let freed = multipart::remove_bucket_uploads(txn, &bucket)?;
                txn.delete_table(def)?;
                txn.open_table(BUCKETS)?.remove(bucket.as_str())?;
                Ok(freed)
            })
            .await?;
        self.files.remove(freed).await;
        Ok(())
    }

    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: BodyStream,
        write: ObjectWrite,
    ) -> StorageResult<ObjectInfo> {
        self.require_bucket(bucket)?;
        let digest = BodyDigest::new(write.promise.checksums.keys().copied());
        let (summary, location) = match self
            .files
            .receive(body, &write.promise, digest, INLINE_MAX)
            .await?
        {
            Received::Inline { data, summary } => (summary, Location::Inline(data)),
            Received::File(file) => (file.summary.clone(), Location::File(file)),
        };
        let stored = StoredObject {
            info: ObjectInfo {
                key: key.to_owned(),
                size: summary.size,
                etag: summary.etag(),
                last_modified: now_millis(),
                attributes: write.attributes,
                checksums: summary.checksums,
                parts_count: None,
            },
            data_id: match &location {
                Location::File(f) => f.id.clone(),
                Location::Inline(_) => String::new(),
            },
        };
        let info = stored.info.clone();
        let inline = match &location {
            Location::Inline(data) => data.clone(),
            Location::File(_) => Bytes::new(),
        };
        let bucket_name = bucket.to_owned();
        let preconditions = write.preconditions;
        let replaced = self
            .index
            .write(move |txn| {
                require_bucket_in(txn, &bucket_name)?;
                if !preconditions.is_empty() {
                    let current = current_object(txn, &bucket_name, &stored.info.key)?;
                    if !preconditions.allows_write(current.as_ref().map(|c| &c.info)) {
                        return Err(StorageError::PreconditionFailed);
                    }
                }
                replace_object(txn, &bucket_name, &stored, &inline)
            })
            .await?;
        if let Location::File(file) = location {
            file.keep();
        }
        self.files.remove(replaced.into_iter().collect()).await;
        Ok(info)
    }

    async fn head_object(&self, bucket: &str, key: &str) -> StorageResult<ObjectInfo> {
        Ok(self.stored_object(bucket, key)?.0.info)
    }

    async fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<RangeRequest>,
    ) -> StorageResult<ObjectRead> {
        // A concurrent PUT may replace the object and delete its file between the index read and
        // the open: read the index again and serve the newer version.
        for _ in 0..4 {
            let (stored, inline) = self.stored_object(bucket, key)?;
            let resolved = match range {
                Some(r) => Some(
                    r.resolve(stored.info.size)
                        .ok_or(StorageError::InvalidRange {
                            size: stored.info.size,
                        })?,
                ),
                None => None,
            };
            let Some(file_id) = stored.file_id() else {
                let data = match resolved {
                    Some(r) => inline.slice(
                        usize::try_from(r.start).unwrap_or(0)..usize::try_from(r.end).unwrap_or(0),
                    ),
                    None => inline,
                };
                let body: BodyStream = Box::pin(futures::stream::once(async move { Ok(data) }));
                return Ok(ObjectRead {
                    info: stored.info,
                    range: resolved,
                    body,
                });
            };
            match self
                .files
                .open_stream(file_id, resolved, stored.info.size)
                .await
            {
                Ok(body) => {
                    return Ok(ObjectRead {
                        info: stored.info,
                        range: resolved,
                        body,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(StorageError::Index(format!(
            "the data of `{key}` kept changing while it was opened; retry"
        )))
    }

    async fn delete_object(&self, bucket: &str, key: &str) -> StorageResult<()> {
        let bucket = bucket.to_owned();
        let key = key.to_owned();
        let removed = self
            .index
            .write(move |txn| {
                require_bucket_in(txn, &bucket)?;
                let name = objects_table_name(&bucket);
                let mut t = txn.open_table(TableDefinition::<&str, &[u8]>::new(&name))?;
                let old = t.remove(key.as_str())?;
                replaced_file(old.map(|v| v.value().to_vec()))
            })
            .await?;
        self.files.remove(removed.into_iter().collect()).await;
        Ok(())
    }

    async fn list_objects(&self, bucket: &str, query: &ListQuery) -> StorageResult<ListPage> {
        let txn = self.index.read()?;
        if Index::bucket(&txn, bucket)?.is_none() {
            return Err(StorageError::NoSuchBucket(bucket.to_owned()));
        }
        let name = objects_table_name(bucket);
        let table = txn.open_table(TableDefinition::<&str, &[u8]>::new(&name))?;
        listing::list(&table, query)
    }

    async fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        attributes: crate::ObjectAttributes,
        checksum_algorithm: Option<crate::ChecksumAlgorithm>,
    ) -> StorageResult<crate::UploadInfo> {
        multipart::create(self, bucket, key, attributes, checksum_algorithm).await
    }

    async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: i32,
        body: BodyStream,
        promise: crate::BodyPromise,
    ) -> StorageResult<crate::PartInfo> {
        multipart::upload_part(self, bucket, key, upload_id, part_number, body, promise).await
    }

    async fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[crate::CompletedPart],
        preconditions: &crate::Preconditions,
    ) -> StorageResult<ObjectInfo> {
        multipart::complete(self, bucket, key, upload_id, parts, preconditions).await
    }

    async fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> StorageResult<()> {
        multipart::abort(self, bucket, key, upload_id).await
    }

    async fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        after_part: Option<i32>,
        max_parts: usize,
    ) -> StorageResult<crate::PartPage> {
        multipart::list_parts(self, bucket, key, upload_id, after_part, max_parts)
    }

    async fn list_multipart_uploads(
        &self,
        bucket: &str,
        query: &crate::UploadQuery<'_>,
    ) -> StorageResult<crate::UploadPage> {
        multipart::list_uploads(self, bucket, query)
    }
}
