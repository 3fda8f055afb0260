//! The storage crate's error type: what can go wrong keeping buckets, objects and uploads.

use std::io;

/// Everything the object backends can report. The frontend maps each variant to one S3 error
/// code in a single place.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the bucket `{0}` does not exist")]
    NoSuchBucket(String),
    #[error("the bucket `{0}` already exists and is owned by you")]
    BucketAlreadyOwnedByYou(String),
    #[error("the bucket `{0}` is not empty: delete its objects first")]
    BucketNotEmpty(String),
    #[error("the key `{0}` does not exist")]
    NoSuchKey(String),
    #[error(
        "the multipart upload `{0}` does not exist: it was completed, aborted or never created"
    )]
    NoSuchUpload(String),
    #[error("{0}")]
    InvalidPart(String),
    #[error("the parts of a multipart upload must be listed in ascending order of part number")]
    InvalidPartOrder,
    #[error("part {part_number} is {size} bytes: every part but the last must be at least 5 MiB")]
    EntityTooSmall { part_number: i32, size: u64 },
    #[error("the body is {size} bytes, over the limit of {limit} bytes")]
    EntityTooLarge { size: u64, limit: u64 },
    #[error("the Content-MD5 you sent does not match the MD5 of the body received")]
    BadDigest,
    #[error("the {algorithm} checksum you sent does not match the body received")]
    ChecksumMismatch { algorithm: &'static str },
    #[error("the body was {received} bytes but Content-Length announced {declared}")]
    IncompleteBody { declared: u64, received: u64 },
    #[error("the precondition on the object's ETag or modification time does not hold")]
    PreconditionFailed,
    #[error("the requested range does not overlap the object ({size} bytes)")]
    InvalidRange { size: u64 },
    #[error("{0}")]
    InvalidArgument(String),
    #[error("the disk holding the data directory is full")]
    DiskFull,
    #[error("reading the request body failed: {0}")]
    BodyRead(#[source] crate::types::BoxError),
    #[error("storage I/O failed: {0}")]
    Io(#[source] io::Error),
    #[error("the metadata index failed: {0}")]
    Index(String),
    /// The upstream S3 cluster cannot be reached, answered late or answered nonsense.
    #[error("{0}")]
    Upstream(String),
}

impl StorageError {
    /// True when the error comes from the index or the disk rather than from the request: a write
    /// batch that saw it is abandoned as a whole.
    #[must_use]
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Io(_) | Self::Index(_) | Self::DiskFull)
    }
}

impl From<io::Error> for StorageError {
    fn from(e: io::Error) -> Self {
        // ENOSPC (28) and EDQUOT (122) on Linux: the disk or the quota is full.
        match e.raw_os_error() {
            Some(28 | 122) => Self::DiskFull,
            _ if e.kind() == io::ErrorKind::StorageFull => Self::DiskFull,
            _ => Self::Io(e),
        }
    }
}

macro_rules! index_error {
    ($($t:ty),*) => {$(
        impl From<$t> for StorageError {
            fn from(e: $t) -> Self {
                Self::Index(e.to_string())
            }
        }
    )*};
}

index_error!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    serde_json::Error
);

pub type StorageResult<T> = Result<T, StorageError>;
