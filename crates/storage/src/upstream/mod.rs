//! The scale-out object backend: buckets and objects live in an upstream S3 cluster (Ceph's
//! radosgw, MinIO, AWS), reached with Tessera's own service key after Tessera has
//! authenticated and authorised the client. Client bucket names map to upstream names with an
//! optional prefix, so Tessera's buckets stay apart from others in the cluster; objects are
//! plain objects upstream. Bodies stream both ways; an upload is checked against the writer's
//! promises on its way (see `body`), so a broken promise stores nothing. Checksums a client
//! sent as headers are kept as upstream metadata (`x-amz-meta-tessera-checksum-*`) and
//! returned from there.

mod body;
mod error;
mod multipart;
mod object_requests;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    StalledStreamProtectionConfig, retry::RetryConfig, timeout::TimeoutConfig,
};
use aws_sdk_s3::primitives::DateTime;
use zeroize::Zeroizing;

use crate::digest::BodyDigest;
use crate::error::{StorageError, StorageResult};
use crate::types::{
    BodyStream, BucketInfo, ByteRange, ChecksumAlgorithm, Checksums, ListPage, ListQuery,
    ObjectAttributes, ObjectInfo, RangeRequest, UnixMillis,
};
use crate::{ObjectRead, ObjectWrite};

use self::body::{settle, verified, verified_empty};
use self::error::upstream_error;

/// The user-metadata prefix under which Tessera keeps checksums upstream.
const CHECKSUM_META: &str = "tessera-checksum-";

/// Where the upstream cluster is and how Tessera signs in to it.
#[derive(Clone)]
pub struct UpstreamOptions {
    /// `http(s)://host:port`.
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: Zeroizing<String>,
    /// Put before every bucket name upstream (`""`: none).
    pub bucket_prefix: String,
    /// Bound on connecting and on each upstream operation's first byte.
    pub timeout: Duration,
}

impl std::fmt::Debug for UpstreamOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamOptions")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("bucket_prefix", &self.bucket_prefix)
            .finish_non_exhaustive()
    }
}

/// The upstream S3 backend.
pub struct UpstreamBackend {
    client: Client,
    /// GetObject, HeadObject and PutObject, without the SDK (see `object_requests`).
    requests: object_requests::ObjectRequests,
    prefix: String,
}

impl UpstreamBackend {
    /// The backend for the cluster `options` name; an error says what is wrong with them (an
    /// endpoint that is not a URL, system roots that cannot be loaded).
    pub fn new(options: &UpstreamOptions) -> StorageResult<Self> {
        let requests =
            object_requests::ObjectRequests::new(options).map_err(StorageError::Upstream)?;
        let credentials = Credentials::new(
            options.access_key.clone(),
            options.secret_key.as_str(),
            None,
            None,
            "tessera-upstream",
        );
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&options.endpoint)
            .region(Region::new(options.region.clone()))
            .credentials_provider(credentials)
            .force_path_style(true)
            // The client's own checksums are checked by Tessera; the cluster need not know them.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            // One attempt: a client retries on its own, and an upstream that hangs must turn
            // into a prompt 503, not into several timeouts in a row.
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(options.timeout)
                    .read_timeout(options.timeout)
                    .build(),
            )
            .build();
        Ok(Self {
            client: Client::from_conf(config),
            requests,
            prefix: options.bucket_prefix.clone(),
        })
    }

    fn upstream(&self, bucket: &str) -> String {
        format!("{}{bucket}", self.prefix)
    }

    /// Checks a write's `If-Match`/`If-None-Match` against the object as the cluster has it
    /// now (a HEAD just before the write: not atomic with it).
    async fn check_preconditions(
        &self,
        bucket: &str,
        key: &str,
        preconditions: &crate::Preconditions,
    ) -> StorageResult<()> {
        if preconditions.is_empty() {
            return Ok(());
        }
        let current = match crate::ObjectBackend::head_object(self, bucket, key).await {
            Ok(info) => Some(info),
            Err(StorageError::NoSuchKey(_)) => None,
            Err(e) => return Err(e),
        };
        if preconditions.allows_write(current.as_ref()) {
            Ok(())
        } else {
            Err(StorageError::PreconditionFailed)
        }
    }
}

/// The headers a PutObject carries for `attributes` and the writer's `checksums` (kept as
/// `x-amz-meta-tessera-checksum-*`), names lower-case.
fn upload_headers(
    attributes: &ObjectAttributes,
    checksums: &BTreeMap<ChecksumAlgorithm, Option<String>>,
) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    for (name, value) in [
        ("content-type", &attributes.content_type),
        ("content-encoding", &attributes.content_encoding),
        ("content-disposition", &attributes.content_disposition),
        ("content-language", &attributes.content_language),
        ("cache-control", &attributes.cache_control),
    ] {
        if let Some(value) = value {
            headers.push((name.to_owned(), value.clone()));
        }
    }
    if let Some(expires) = attributes.expires
        && let Ok(text) =
            DateTime::from_millis(expires).fmt(aws_sdk_s3::primitives::DateTimeFormat::HttpDate)
    {
        headers.push(("expires".to_owned(), text));
    }
    // A client's own `x-amz-meta-tessera-checksum-*` would read back as a checksum: not kept.
    for (name, value) in &attributes.user_metadata {
        if !name.starts_with(CHECKSUM_META) {
            headers.push((format!("x-amz-meta-{name}"), value.clone()));
        }
    }
    for (algorithm, value) in checksums {
        if let Some(value) = value {
            headers.push((
                format!(
                    "x-amz-meta-{CHECKSUM_META}{}",
                    algorithm.name().to_ascii_lowercase()
                ),
                value.clone(),
            ));
        }
    }
    headers
}

fn millis(t: Option<&DateTime>) -> UnixMillis {
    t.and_then(|t| t.to_millis().ok()).unwrap_or_default()
}

fn etag(raw: Option<&str>) -> String {
    raw.unwrap_or_default().trim_matches('"').to_owned()
}

/// The ETag the cluster gave an upload, or the body's MD5 when it gave none.
fn stored_etag(raw: Option<&str>, summary: &crate::BodySummary) -> String {
    match etag(raw) {
        e if e.is_empty() => summary.etag(),
        e => e,
    }
}

/// The parts count an ETag names (`…-N`).
fn parts_of(etag: &str) -> Option<u32> {
    etag.rsplit_once('-').and_then(|(_, n)| n.parse().ok())
}

/// User metadata (names without `x-amz-meta-`) and kept checksums apart.
fn split_metadata<'a>(
    meta: impl IntoIterator<Item = (&'a str, String)>,
) -> (BTreeMap<String, String>, Checksums) {
    let mut user = BTreeMap::new();
    let mut checksums = Checksums::new();
    for (k, v) in meta {
        let k = k.to_ascii_lowercase();
        match k
            .strip_prefix(CHECKSUM_META)
            .and_then(ChecksumAlgorithm::from_name)
        {
            Some(a) => {
                checksums.insert(a, v);
            }
            None => {
                user.insert(k, v);
            }
        }
    }
    (user, checksums)
}

fn range_header(range: RangeRequest) -> String {
    match range {
        RangeRequest::FromTo { first, last } => match last {
            Some(last) => format!("bytes={first}-{last}"),
            None => format!("bytes={first}-"),
        },
        RangeRequest::Suffix { length } => format!("bytes=-{length}"),
    }
}

/// `bytes START-END/SIZE` → the range served and the object's size.
fn content_range(text: &str) -> Option<(ByteRange, u64)> {
    let rest = text.trim().strip_prefix("bytes ")?;
    let (span, size) = rest.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let (start, end, size): (u64, u64, u64) =
        (start.parse().ok()?, end.parse().ok()?, size.parse().ok()?);
    Some((
        ByteRange {
            start,
            end: end + 1,
        },
        size,
    ))
}

#[async_trait::async_trait]
impl crate::ObjectBackend for UpstreamBackend {
    async fn create_bucket(&self, name: &str) -> StorageResult<BucketInfo> {
        // Some clusters answer 200 to their owner's second create: ask first.
        match self.head_bucket(name).await {
            Ok(_) => return Err(StorageError::BucketAlreadyOwnedByYou(name.to_owned())),
            Err(StorageError::NoSuchBucket(_)) => {}
            Err(e) => return Err(e),
        }
        self.client
            .create_bucket()
            .bucket(self.upstream(name))
            .send()
            .await
            .map_err(|e| upstream_error(e, name, ""))?;
        self.head_bucket(name).await
    }

    async fn head_bucket(&self, name: &str) -> StorageResult<BucketInfo> {
        // HEAD carries no creation date: the listing does.
        self.client
            .head_bucket()
            .bucket(self.upstream(name))
            .send()
            .await
            .map_err(|e| upstream_error(e, name, ""))?;
        let created = self
            .list_buckets()
            .await?
            .into_iter()
            .find(|b| b.name == name)
            .map_or(0, |b| b.created);
        Ok(BucketInfo {
            name: name.to_owned(),
            created,
        })
    }

    async fn list_buckets(&self) -> StorageResult<Vec<BucketInfo>> {
        let out = self
            .client
            .list_buckets()
            .send()
            .await
            .map_err(|e| upstream_error(e, "", ""))?;
        let mut buckets: Vec<BucketInfo> = out
            .buckets()
            .iter()
            .filter_map(|b| {
                let name = b.name()?.strip_prefix(&self.prefix)?;
                (!name.is_empty()).then(|| BucketInfo {
                    name: name.to_owned(),
                    created: millis(b.creation_date()),
                })
            })
            .collect();
        buckets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(buckets)
    }

    async fn delete_bucket(&self, name: &str) -> StorageResult<()> {
        self.abort_all_uploads(name).await?;
        self.client
            .delete_bucket()
            .bucket(self.upstream(name))
            .send()
            .await
            .map_err(|e| upstream_error(e, name, ""))?;
        Ok(())
    }

    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: BodyStream,
        write: ObjectWrite,
    ) -> StorageResult<ObjectInfo> {
        self.check_preconditions(bucket, key, &write.preconditions)
            .await?;
        let promise = write.promise;
        let attributes = write.attributes;
        let headers = upload_headers(&attributes, &promise.checksums);
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let length = promise.length;
        let digest = BodyDigest::new(promise.checksums.keys().copied());
        let (frames, verdict) = if length == Some(0) {
            let summary = verified_empty(body, &promise, digest).await?;
            let verdict: body::Verdict =
                std::sync::Arc::new(std::sync::Mutex::new(Some(Ok(summary))));
            (None, verdict)
        } else {
            let (frames, verdict) = verified(body, promise, digest);
            (Some(frames), verdict)
        };
        let sent = self
            .requests
            .put(
                &self.upstream(bucket),
                bucket,
                key,
                &headers,
                length,
                frames,
            )
            .await;
        let (stored, summary) = settle(sent, &verdict, |e| e)?;
        // Everything the answer needs is known here: no second request to the cluster.
        let etag = stored_etag(stored.as_deref(), &summary);
        Ok(ObjectInfo {
            key: key.to_owned(),
            size: summary.size,
            parts_count: None,
            etag,
            last_modified: crate::types::now_millis(),
            attributes,
            checksums: summary.checksums,
        })
    }

    async fn head_object(&self, bucket: &str, key: &str) -> StorageResult<ObjectInfo> {
        self.requests
            .head(&self.upstream(bucket), bucket, key)
            .await
    }

    async fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<RangeRequest>,
    ) -> StorageResult<ObjectRead> {
        self.requests
            .get(&self.upstream(bucket), bucket, key, range)
            .await
    }

    async fn delete_object(&self, bucket: &str, key: &str) -> StorageResult<()> {
        self.client
            .delete_object()
            .bucket(self.upstream(bucket))
            .key(key)
            .send()
            .await
            .map_err(|e| upstream_error(e, bucket, key))?;
        Ok(())
    }

    async fn list_objects(&self, bucket: &str, query: &ListQuery) -> StorageResult<ListPage> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(self.upstream(bucket))
            .prefix(&query.prefix)
            .set_delimiter(query.delimiter.clone())
            .set_start_after(query.after.clone())
            .max_keys(i32::try_from(query.max_keys).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| upstream_error(e, bucket, ""))?;
        let objects: Vec<ObjectInfo> = out
            .contents()
            .iter()
            .map(|o| {
                let etag = etag(o.e_tag());
                ObjectInfo {
                    key: o.key().unwrap_or_default().to_owned(),
                    size: u64::try_from(o.size().unwrap_or_default()).unwrap_or_default(),
                    parts_count: parts_of(&etag),
                    etag,
                    last_modified: millis(o.last_modified()),
                    attributes: ObjectAttributes::default(),
                    checksums: Checksums::new(),
                }
            })
            .collect();
        let common_prefixes: Vec<String> = out
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix().map(str::to_owned))
            .collect();
        let next_after = if out.is_truncated().unwrap_or(false) {
            objects
                .last()
                .map(|o| o.key.clone())
                .into_iter()
                .chain(common_prefixes.last().cloned())
                .max()
        } else {
            None
        };
        Ok(ListPage {
            objects,
            common_prefixes,
            next_after,
        })
    }

    async fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        attributes: ObjectAttributes,
        checksum_algorithm: Option<ChecksumAlgorithm>,
    ) -> StorageResult<crate::UploadInfo> {
        self.start_upload(bucket, key, attributes, checksum_algorithm)
            .await
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
        self.send_part(bucket, key, upload_id, part_number, body, promise)
            .await
    }

    async fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[crate::CompletedPart],
        preconditions: &crate::Preconditions,
    ) -> StorageResult<ObjectInfo> {
        self.finish_upload(bucket, key, upload_id, parts, preconditions)
            .await
    }

    async fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> StorageResult<()> {
        self.client
            .abort_multipart_upload()
            .bucket(self.upstream(bucket))
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map_err(|e| error::upload_error(e, bucket, upload_id))?;
        Ok(())
    }

    async fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        after_part: Option<i32>,
        max_parts: usize,
    ) -> StorageResult<crate::PartPage> {
        self.parts_page(bucket, key, upload_id, after_part, max_parts)
            .await
    }

    async fn list_multipart_uploads(
        &self,
        bucket: &str,
        query: &crate::UploadQuery<'_>,
    ) -> StorageResult<crate::UploadPage> {
        self.uploads_page(bucket, query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_carry_their_attributes_and_checksums_but_no_forged_checksum() {
        let attributes = ObjectAttributes {
            content_type: Some("text/plain".into()),
            cache_control: Some("no-cache".into()),
            expires: Some(1_795_996_800_000),
            user_metadata: BTreeMap::from([
                ("colour".to_owned(), "blue".to_owned()),
                ("tessera-checksum-crc32".to_owned(), "forged".to_owned()),
            ]),
            ..ObjectAttributes::default()
        };
        let checksums = BTreeMap::from([
            (ChecksumAlgorithm::Crc32, Some("AAAAAA==".to_owned())),
            (ChecksumAlgorithm::Sha256, None),
        ]);
        let headers = upload_headers(&attributes, &checksums);
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("content-type", "text/plain"),
                ("cache-control", "no-cache"),
                ("expires", "Mon, 30 Nov 2026 00:00:00 GMT"),
                ("x-amz-meta-colour", "blue"),
                ("x-amz-meta-tessera-checksum-crc32", "AAAAAA=="),
            ]
        );
    }

    #[test]
    fn ranges_and_etags() {
        assert_eq!(
            range_header(RangeRequest::FromTo {
                first: 5,
                last: Some(9)
            }),
            "bytes=5-9"
        );
        assert_eq!(range_header(RangeRequest::Suffix { length: 3 }), "bytes=-3");
        assert_eq!(
            content_range("bytes 5-9/100"),
            Some((ByteRange { start: 5, end: 10 }, 100))
        );
        assert_eq!(content_range("garbage"), None);
        assert_eq!(parts_of("abc-3"), Some(3));
        assert_eq!(parts_of("abc"), None);
        assert_eq!(etag(Some("\"abc\"")), "abc");
    }

    #[test]
    fn kept_checksums_are_not_user_metadata() {
        let meta: std::collections::HashMap<String, String> = [
            ("color".to_owned(), "blue".to_owned()),
            ("tessera-checksum-crc32".to_owned(), "AAAAAA==".to_owned()),
        ]
        .into_iter()
        .collect();
        let (user, checksums) = split_metadata(meta.iter().map(|(k, v)| (k.as_str(), v.clone())));
        assert_eq!(user.len(), 1);
        assert_eq!(checksums[&ChecksumAlgorithm::Crc32], "AAAAAA==");
    }
}
