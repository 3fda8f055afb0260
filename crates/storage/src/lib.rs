//! Where object data lives. `ObjectBackend` is the contract every backend keeps (buckets,
//! objects, listings, multipart uploads); `DiskBackend` is the embedded default: object bytes in
//! files made durable before they are referenced, the index and metadata in redb;
//! `UpstreamBackend` keeps them in an upstream S3 cluster (scale-out).
//! This crate knows nothing about identities, HTTP or S3's wire format.

#![forbid(unsafe_code)]

mod digest;
mod disk;
mod error;
mod types;
mod upstream;

pub use digest::{BodyDigest, BodySummary, multipart_etag};
pub use disk::{DiskBackend, DiskOptions};
pub use error::{StorageError, StorageResult};
pub use types::*;
pub use upstream::{UpstreamBackend, UpstreamOptions};

/// An object being read: its description, the range served (if any) and the bytes.
pub struct ObjectRead {
    pub info: ObjectInfo,
    pub range: Option<ByteRange>,
    pub body: BodyStream,
}

/// A page of multipart uploads in progress, keys grouped at the delimiter as in ListObjects.
#[derive(Debug, Clone, Default)]
pub struct UploadPage {
    pub uploads: Vec<UploadInfo>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
}

/// A ListMultipartUploads request.
#[derive(Debug, Clone, Copy, Default)]
pub struct UploadQuery<'a> {
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    pub key_marker: Option<&'a str>,
    pub upload_id_marker: Option<&'a str>,
    pub max_uploads: usize,
}

/// A page of one upload's parts.
#[derive(Debug, Clone)]
pub struct PartPage {
    pub upload: UploadInfo,
    pub parts: Vec<PartInfo>,
    pub truncated: bool,
}

/// The operations the S3 frontend needs from wherever objects are kept. Every write is
/// all-or-nothing: after an error (or a crash) the previous state is what readers see.
#[async_trait::async_trait]
pub trait ObjectBackend: Send + Sync + 'static {
    async fn create_bucket(&self, name: &str) -> StorageResult<BucketInfo>;
    async fn head_bucket(&self, name: &str) -> StorageResult<BucketInfo>;
    async fn list_buckets(&self) -> StorageResult<Vec<BucketInfo>>;
    /// Refuses with `BucketNotEmpty` while objects remain; aborts uploads in progress.
    async fn delete_bucket(&self, name: &str) -> StorageResult<()>;

    /// Stores a whole object, replacing any previous one at the key once the body is complete and
    /// every promise holds.
    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: BodyStream,
        write: ObjectWrite,
    ) -> StorageResult<ObjectInfo>;
    async fn head_object(&self, bucket: &str, key: &str) -> StorageResult<ObjectInfo>;
    /// Reads an object (or a range of it). Preconditions are evaluated against the same version
    /// that is streamed; a failed one yields `PreconditionFailed` (or `NotModified` via the
    /// outcome the caller computes from `head_object`).
    async fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<RangeRequest>,
    ) -> StorageResult<ObjectRead>;
    /// Removes an object; removing a missing key succeeds, as in S3.
    async fn delete_object(&self, bucket: &str, key: &str) -> StorageResult<()>;
    async fn list_objects(&self, bucket: &str, query: &ListQuery) -> StorageResult<ListPage>;

    async fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        attributes: ObjectAttributes,
        checksum_algorithm: Option<ChecksumAlgorithm>,
    ) -> StorageResult<UploadInfo>;
    async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: i32,
        body: BodyStream,
        promise: BodyPromise,
    ) -> StorageResult<PartInfo>;
    async fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        preconditions: &Preconditions,
    ) -> StorageResult<ObjectInfo>;
    async fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> StorageResult<()>;
    async fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        after_part: Option<i32>,
        max_parts: usize,
    ) -> StorageResult<PartPage>;
    async fn list_multipart_uploads(
        &self,
        bucket: &str,
        query: &UploadQuery<'_>,
    ) -> StorageResult<UploadPage>;
}

/// Everything about a whole-object write besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct ObjectWrite {
    pub attributes: ObjectAttributes,
    pub promise: BodyPromise,
    pub preconditions: Preconditions,
}
