//! Removing what interrupted work left behind: data files that no index entry refers to (a crash
//! between writing a file and committing it, or before deleting a replaced one) and multipart
//! uploads abandoned for longer than `stale_upload_after`.

use std::collections::HashSet;

use redb::{ReadableTable as _, TableDefinition};

use super::DiskBackend;
use super::files::blocking;
use super::index::{BUCKETS, PARTS, StoredPart, decode, decode_object, objects_table_name};
use super::multipart::remove_uploads_before;
use crate::error::StorageResult;
use crate::types::now_millis;

/// What one cleanup pass removed.
#[derive(Debug, Default, Clone, Copy)]
pub struct CleanupReport {
    pub orphan_files: usize,
    pub stale_uploads: usize,
}

impl DiskBackend {
    /// One cleanup pass; safe while requests are served.
    pub async fn clean_up(&self) -> StorageResult<CleanupReport> {
        let cutoff = now_millis()
            - i64::try_from(self.options.stale_upload_after.as_millis()).unwrap_or(i64::MAX);
        let (stale_uploads, freed) = self
            .index
            .write(move |txn| remove_uploads_before(txn, cutoff))
            .await?;
        self.files.remove(freed).await;

        // Candidates first (files not being written now), then the set of referenced ids from a
        // snapshot taken after: a file committed in between is in that snapshot.
        let files = self.files.clone();
        let candidates: Vec<String> = blocking(move || {
            let mut out = Vec::new();
            for shard in std::fs::read_dir(files.root())? {
                let shard = shard?;
                if !shard.file_type()?.is_dir() {
                    continue;
                }
                for f in std::fs::read_dir(shard.path())? {
                    let f = f?;
                    if let Some(name) = f.file_name().to_str() {
                        out.push(name.to_owned());
                    }
                }
            }
            out.retain(|id| !files.is_in_flight(id));
            Ok(out)
        })
        .await?;
        if candidates.is_empty() {
            return Ok(CleanupReport {
                orphan_files: 0,
                stale_uploads,
            });
        }
        let referenced = self.referenced_ids()?;
        let orphans: Vec<String> = candidates
            .into_iter()
            .filter(|id| !referenced.contains(id))
            .collect();
        let orphan_files = orphans.len();
        self.files.remove(orphans).await;
        Ok(CleanupReport {
            orphan_files,
            stale_uploads,
        })
    }

    fn referenced_ids(&self) -> StorageResult<HashSet<String>> {
        let txn = self.index.read()?;
        let mut ids = HashSet::new();
        let buckets = txn.open_table(BUCKETS)?;
        for item in buckets.iter()? {
            let (name, _) = item?;
            let table = objects_table_name(name.value());
            match txn.open_table(TableDefinition::<&str, &[u8]>::new(&table)) {
                Ok(t) => {
                    for o in t.iter()? {
                        let (_, v) = o?;
                        if let Some(id) = decode_object(v.value())?.file_id() {
                            ids.insert(id.to_owned());
                        }
                    }
                }
                Err(redb::TableError::TableDoesNotExist(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        for item in txn.open_table(PARTS)?.iter()? {
            let (_, v) = item?;
            ids.insert(decode::<StoredPart>(v.value())?.data_id);
        }
        Ok(ids)
    }
}
