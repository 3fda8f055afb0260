//! Data files: every object and part is one file under `data/xx/<id>`, named by a fresh id and
//! never rewritten in place. A file is written and fsynced (file and directory) before the index
//! refers to it, so the index never points at bytes that a crash could lose; files the index
//! does not reference are left-overs that the cleanup removes.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

use crate::digest::{BodyDigest, BodySummary};
use crate::error::{StorageError, StorageResult};
use crate::types::{BodyPromise, BodyStream, ByteRange};

/// Bodies up to this size are gathered in memory and written in one blocking call.
const SMALL_BODY: usize = 1024 * 1024;
/// Read chunk for GET streams.
const READ_CHUNK: usize = 256 * 1024;
/// Reads up to this size are served from one buffer filled in one blocking call; larger ones
/// stream in `READ_CHUNK` pieces.
const WHOLE_READ: u64 = 1024 * 1024;

/// The data directory and the ids of files being written right now (which the periodic
/// cleanup must not touch).
#[derive(Clone)]
pub struct DataFiles {
    root: PathBuf,
    in_flight: Arc<Mutex<HashSet<String>>>,
}

/// A body received in full: small enough to keep inline, or written to a data file.
pub enum Received {
    Inline { data: Bytes, summary: BodySummary },
    File(WrittenFile),
}

/// A data file that is complete and durable but not yet referenced by the index. Dropping it
/// without `keep` deletes the file.
pub struct WrittenFile {
    pub id: String,
    pub summary: BodySummary,
    file: FileGuard,
}

impl WrittenFile {
    /// The index now refers to this file: keep it.
    pub fn keep(mut self) {
        self.file.keep = true;
    }
}

/// Owns a data file from its creation until the index refers to it: on drop it leaves the
/// in-flight set, and deletes the file unless told to keep it.
struct FileGuard {
    path: PathBuf,
    id: String,
    files: DataFiles,
    keep: bool,
}

impl Drop for FileGuard {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
        self.files
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.id);
    }
}

impl DataFiles {
    pub fn open(root: PathBuf) -> StorageResult<Self> {
        std::fs::create_dir_all(&root)?;
        for i in 0..=255u8 {
            std::fs::create_dir_all(root.join(format!("{i:02x}")))?;
        }
        Ok(Self {
            root,
            in_flight: Arc::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path_of(&self, id: &str) -> PathBuf {
        self.root.join(id.get(..2).unwrap_or("00")).join(id)
    }

    pub fn is_in_flight(&self, id: &str) -> bool {
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(id)
    }

    fn begin(&self) -> FileGuard {
        let id = uuid::Uuid::new_v4().simple().to_string();
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.clone());
        FileGuard {
            path: self.path_of(&id),
            id,
            files: self.clone(),
            keep: false,
        }
    }

    /// Streams `body` into a new durable data file, hashing it and holding it to `promise`.
    pub async fn write(
        &self,
        body: BodyStream,
        promise: &BodyPromise,
        digest: BodyDigest,
    ) -> StorageResult<WrittenFile> {
        match self.receive(body, promise, digest, 0).await? {
            Received::File(f) => Ok(f),
            Received::Inline { .. } => Err(StorageError::Index(
                "a body of any size must become a file here".into(),
            )),
        }
    }

    /// Receives `body`, hashing it and holding it to `promise`: a body of at most `inline_max`
    /// bytes stays in memory (the caller stores it inline), a larger one becomes a durable
    /// data file.
    pub async fn receive(
        &self,
        mut body: BodyStream,
        promise: &BodyPromise,
        digest: BodyDigest,
        inline_max: usize,
    ) -> StorageResult<Received> {
        let mut digest = digest;
        // Gather the head of the body; small bodies never touch the async file API.
        let mut head: Vec<Bytes> = Vec::new();
        let mut head_len = 0usize;
        let mut rest_follows = false;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(StorageError::BodyRead)?;
            digest.update(&chunk);
            promise.check_growing(digest.size())?;
            head_len += chunk.len();
            head.push(chunk);
            if head_len > SMALL_BODY {
                rest_follows = true;
                break;
            }
        }
        if !rest_follows && head_len <= inline_max && inline_max > 0 {
            let summary = digest.finish();
            promise.check_finished(&summary)?;
            let data = match head.len() {
                0 => Bytes::new(),
                1 => head.remove(0),
                _ => Bytes::from(head.concat()),
            };
            return Ok(Received::Inline { data, summary });
        }
        let pending = self.begin();
        let path = pending.path.clone();
        if rest_follows {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            let mut file =
                tokio::io::BufWriter::with_capacity(READ_CHUNK, tokio::fs::File::from_std(file));
            for chunk in head {
                file.write_all(&chunk).await?;
            }
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(StorageError::BodyRead)?;
                digest.update(&chunk);
                promise.check_growing(digest.size())?;
                file.write_all(&chunk).await?;
            }
            file.flush().await?;
            let file = file.into_inner().into_std().await;
            let p = path.clone();
            blocking(move || sync_file_and_dir(&file, &p)).await?;
        } else {
            let p = path.clone();
            blocking(move || {
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&p)?;
                for chunk in &head {
                    file.write_all(chunk)?;
                }
                sync_file_and_dir(&file, &p)
            })
            .await?;
        }
        let summary = digest.finish();
        promise.check_finished(&summary)?;
        Ok(Received::File(WrittenFile {
            id: pending.id.clone(),
            summary,
            file: pending,
        }))
    }

    /// Concatenates existing data files into a new durable one (multipart completion).
    pub async fn concatenate(
        &self,
        sources: Vec<String>,
        digest: BodyDigest,
    ) -> StorageResult<WrittenFile> {
        let pending = self.begin();
        let path = pending.path.clone();
        let paths: Vec<PathBuf> = sources.iter().map(|id| self.path_of(id)).collect();
        let summary = blocking(move || {
            let mut digest = digest;
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            let mut buf = vec![0u8; READ_CHUNK];
            for src in &paths {
                let mut f = std::fs::File::open(src)?;
                loop {
                    let n = std::io::Read::read(&mut f, &mut buf)?;
                    if n == 0 {
                        break;
                    }
                    digest.update(&buf[..n]);
                    out.write_all(&buf[..n])?;
                }
            }
            sync_file_and_dir(&out, &path)?;
            Ok::<_, StorageError>(digest.finish())
        })
        .await?;
        Ok(WrittenFile {
            id: pending.id.clone(),
            summary,
            file: pending,
        })
    }

    /// Opens a data file for reading `range` (or all of it). The file handle is taken before
    /// returning, so a concurrent replacement cannot remove the bytes being streamed.
    pub async fn open_stream(
        &self,
        id: &str,
        range: Option<ByteRange>,
        size: u64,
    ) -> std::io::Result<BodyStream> {
        let (start, end) = range.map_or((0, size), |r| (r.start, r.end));
        if end - start <= WHOLE_READ {
            // Small reads: open and read in one blocking call instead of one per step.
            let path = self.path_of(id);
            let data = tokio::task::spawn_blocking(move || read_range(&path, start, end))
                .await
                .map_err(std::io::Error::other)??;
            return Ok(Box::pin(futures::stream::once(async move { Ok(data) })));
        }
        let mut file = tokio::fs::File::open(self.path_of(id)).await?;
        if start > 0 {
            file.seek(std::io::SeekFrom::Start(start)).await?;
        }
        let remaining = end - start;
        let stream =
            futures::stream::try_unfold((file, remaining), |(mut file, remaining)| async move {
                if remaining == 0 {
                    return Ok(None);
                }
                let want = usize::try_from(remaining.min(READ_CHUNK as u64)).unwrap_or(READ_CHUNK);
                let mut buf = vec![0u8; want];
                let mut filled = 0;
                while filled < want {
                    let n = file.read(&mut buf[filled..]).await?;
                    if n == 0 {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "data file shorter than its index entry",
                        ));
                    }
                    filled += n;
                }
                Ok(Some((Bytes::from(buf), (file, remaining - want as u64))))
            });
        Ok(Box::pin(
            stream.map(|r: std::io::Result<Bytes>| r.map_err(Into::into)),
        ))
    }

    /// Deletes data files no longer referenced (after the index stopped pointing at them).
    pub async fn remove(&self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        let paths: Vec<PathBuf> = ids.iter().map(|id| self.path_of(id)).collect();
        let _ = tokio::task::spawn_blocking(move || {
            for p in paths {
                if let Err(e) = std::fs::remove_file(&p)
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    tracing::warn!(path = %p.display(), error = %e, "could not remove an unreferenced data file; the cleanup will retry");
                }
            }
        })
        .await;
    }
}

/// Reads `start..end` of a file in one go; a short file means the index and the data disagree.
fn read_range(path: &Path, start: u64, end: u64) -> std::io::Result<Bytes> {
    use std::io::{Read as _, Seek as _};
    let mut file = std::fs::File::open(path)?;
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start))?;
    }
    let mut buf = vec![0u8; usize::try_from(end - start).unwrap_or(0)];
    file.read_exact(&mut buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "data file shorter than its index entry",
            )
        } else {
            e
        }
    })?;
    Ok(Bytes::from(buf))
}

fn sync_file_and_dir(file: &std::fs::File, path: &Path) -> StorageResult<()> {
    file.sync_all()?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> StorageResult<T> + Send + 'static,
) -> StorageResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StorageError::Io(std::io::Error::other(e.to_string())))?
}
