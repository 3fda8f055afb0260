//! Plain data that crosses the `ObjectBackend` boundary: object and bucket descriptions, listing
//! queries and pages, multipart upload state, and the promises a writer makes about a body.

use std::collections::BTreeMap;
use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;
use serde::{Deserialize, Serialize};

/// Boxed error type carried by body streams (hyper, s3s and file readers all fit into it).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A body flowing into or out of a backend, chunk by chunk; never buffered whole.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send + Sync + 'static>>;

/// Milliseconds since the Unix epoch, the precision S3 timestamps carry.
pub type UnixMillis = i64;

/// The current time in [`UnixMillis`].
#[must_use]
pub fn now_millis() -> UnixMillis {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// A bucket as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketInfo {
    pub name: String,
    pub created: UnixMillis,
}

/// The checksum algorithms S3 defines; values travel base64-encoded, big-endian, as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    pub const ALL: [Self; 5] = [
        Self::Crc32,
        Self::Crc32c,
        Self::Crc64Nvme,
        Self::Sha1,
        Self::Sha256,
    ];

    /// The name S3 uses in `x-amz-checksum-algorithm` (`CRC32`, `SHA256`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }
}

/// Checksum values by algorithm (base64 text as on the wire).
pub type Checksums = BTreeMap<ChecksumAlgorithm, String>;

/// HTTP-level attributes stored with an object and returned on GET/HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectAttributes {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    /// `Expires`, as a time.
    pub expires: Option<UnixMillis>,
    /// `x-amz-meta-*` values, keyed by the lower-cased name without the prefix.
    pub user_metadata: BTreeMap<String, String>,
}

/// One stored object version (Tessera keeps only the latest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// The ETag without quotes: hex MD5, or `md5-of-md5s-N` for multipart objects.
    pub etag: String,
    pub last_modified: UnixMillis,
    pub attributes: ObjectAttributes,
    pub checksums: Checksums,
    /// Number of parts for an object made by a multipart upload.
    pub parts_count: Option<u32>,
}

/// What a writer promises about a body; the backend checks each promise before the object
/// becomes visible, and stores nothing when one is broken.
#[derive(Debug, Clone, Default)]
pub struct BodyPromise {
    /// Exact length announced by `Content-Length` (or `x-amz-decoded-content-length`).
    pub length: Option<u64>,
    /// Raw 16-byte MD5 from `Content-MD5`.
    pub md5: Option<[u8; 16]>,
    /// Checksums to compute and store; a value present here must match the body.
    pub checksums: BTreeMap<ChecksumAlgorithm, Option<String>>,
    /// Largest body accepted.
    pub max_length: Option<u64>,
    /// Checksum values that arrive after the body (aws-chunked trailers), read once it ended.
    pub late_checksums: Option<LateChecksums>,
}

/// A source of checksum values known only once the body has been read.
#[derive(Clone)]
pub struct LateChecksums(
    pub std::sync::Arc<dyn Fn() -> Vec<(ChecksumAlgorithm, String)> + Send + Sync>,
);

impl std::fmt::Debug for LateChecksums {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LateChecksums")
    }
}

/// A conditional write or read (`If-Match`, `If-None-Match`, dates).
#[derive(Debug, Clone, Default)]
pub struct Preconditions {
    /// `If-Match`: `Some(None)` means `*`.
    pub if_match: Option<Option<Vec<String>>>,
    /// `If-None-Match`: `Some(None)` means `*`.
    pub if_none_match: Option<Option<Vec<String>>>,
    pub if_modified_since: Option<UnixMillis>,
    pub if_unmodified_since: Option<UnixMillis>,
}

/// Outcome of evaluating read preconditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreconditionOutcome {
    Proceed,
    /// 304: the client's copy is current.
    NotModified,
    /// 412.
    Failed,
}

impl Preconditions {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none()
            && self.if_none_match.is_none()
            && self.if_modified_since.is_none()
            && self.if_unmodified_since.is_none()
    }

    /// RFC 7232 §6 evaluation order for GET/HEAD against an existing object.
    #[must_use]
    pub fn evaluate_read(&self, info: &ObjectInfo) -> PreconditionOutcome {
        let modified_secs = info.last_modified / 1000;
        if let Some(m) = &self.if_match {
            if !etag_matches(m.as_deref(), &info.etag) {
                return PreconditionOutcome::Failed;
            }
        } else if let Some(t) = self.if_unmodified_since
            && modified_secs > t / 1000
        {
            return PreconditionOutcome::Failed;
        }
        if let Some(m) = &self.if_none_match {
            if etag_matches(m.as_deref(), &info.etag) {
                return PreconditionOutcome::NotModified;
            }
        } else if let Some(t) = self.if_modified_since
            && modified_secs <= t / 1000
        {
            return PreconditionOutcome::NotModified;
        }
        PreconditionOutcome::Proceed
    }

    /// Evaluation for a write (PutObject with `If-Match` / `If-None-Match`): `current` is the
    /// object the write would replace. Returns false when the write must fail with 412.
    #[must_use]
    pub fn allows_write(&self, current: Option<&ObjectInfo>) -> bool {
        if let Some(m) = &self.if_match {
            match current {
                None => return false,
                Some(info) if !etag_matches(m.as_deref(), &info.etag) => return false,
                Some(_) => {}
            }
        }
        if let Some(m) = &self.if_none_match
            && let Some(info) = current
            && etag_matches(m.as_deref(), &info.etag)
        {
            return false;
        }
        true
    }
}

/// `None` is the wildcard `*`; ETags compare without quotes or a weak prefix.
fn etag_matches(candidates: Option<&[String]>, etag: &str) -> bool {
    match candidates {
        None => true,
        Some(list) => list.iter().any(|c| {
            let c = c.trim();
            let c = c.strip_prefix("W/").unwrap_or(c);
            c.trim_matches('"') == etag || c == "*"
        }),
    }
}

/// A byte range already resolved against an object's size: `start..end`, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

/// A requested range before the object's size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// `bytes=first-` or `bytes=first-last` (last inclusive).
    FromTo { first: u64, last: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Suffix { length: u64 },
}

impl RangeRequest {
    /// Resolves against `size`; `None` means 416 Requested Range Not Satisfiable.
    #[must_use]
    pub fn resolve(self, size: u64) -> Option<ByteRange> {
        match self {
            Self::FromTo { first, last } => {
                if first >= size {
                    return None;
                }
                let end = last.map_or(size, |l| l.saturating_add(1).min(size));
                (end > first).then_some(ByteRange { start: first, end })
            }
            Self::Suffix { length } => {
                if length == 0 || size == 0 {
                    return None;
                }
                Some(ByteRange {
                    start: size.saturating_sub(length),
                    end: size,
                })
            }
        }
    }
}

/// A listing request over one bucket, common to ListObjects v1 and v2.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// List strictly after this key (v1 `marker`, v2 `start-after` or continuation).
    pub after: Option<String>,
    pub max_keys: usize,
}

/// One page of a listing, in UTF-8 binary order of keys and common prefixes together.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub objects: Vec<ObjectInfo>,
    pub common_prefixes: Vec<String>,
    /// Set when the page was cut short: the last key or prefix returned, to list after.
    pub next_after: Option<String>,
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadInfo {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub initiated: UnixMillis,
    pub attributes: ObjectAttributes,
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
}

/// One uploaded part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartInfo {
    pub part_number: i32,
    pub size: u64,
    pub etag: String,
    pub last_modified: UnixMillis,
    pub checksums: Checksums,
}

/// A part named by the client in CompleteMultipartUpload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: i32,
    pub etag: String,
}

/// Smallest part S3 accepts, except for the last one.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Highest part number S3 accepts.
pub const MAX_PART_NUMBER: i32 = 10_000;
