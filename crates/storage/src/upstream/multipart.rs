//! Multipart uploads on the upstream cluster: started, fed part by part (each part checked
//! against its promise on the way, as whole objects are), completed, aborted, listed. The
//! upload id is the cluster's own; the object a completion makes is read back with HEAD, since
//! some clusters answer the completion with an empty ETag.

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart as UpstreamPart};

use super::body::{for_sdk, settle, verified};
use super::error::{upload_error, upstream_error};
use super::{UpstreamBackend, etag, millis, stored_etag};
use crate::digest::BodyDigest;
use crate::error::{StorageError, StorageResult};
use crate::types::{
    BodyPromise, BodyStream, ChecksumAlgorithm, Checksums, CompletedPart, MIN_PART_SIZE,
    ObjectAttributes, ObjectInfo, PartInfo, Preconditions, UploadInfo, now_millis,
};
use crate::{ObjectBackend as _, PartPage, UploadPage, UploadQuery};

/// Pages of uploads aborted when a bucket is deleted, at most.
const MAX_ABORT_PAGES: usize = 100;
/// Parts listed to check a completion (the most one ListParts page holds).
const MAX_PARTS_CHECKED: usize = 1000;

impl UpstreamBackend {
    pub(super) async fn start_upload(
        &self,
        bucket: &str,
        key: &str,
        attributes: ObjectAttributes,
        checksum_algorithm: Option<ChecksumAlgorithm>,
    ) -> StorageResult<UploadInfo> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(self.upstream(bucket))
            .key(key)
            .set_metadata(Some(attributes.user_metadata.clone().into_iter().collect()))
            .set_content_type(attributes.content_type.clone())
            .set_content_encoding(attributes.content_encoding.clone())
            .set_content_disposition(attributes.content_disposition.clone())
            .set_content_language(attributes.content_language.clone())
            .set_cache_control(attributes.cache_control.clone())
            .send()
            .await
            .map_err(|e| upstream_error(e, bucket, key))?;
        let upload_id = out
            .upload_id()
            .ok_or_else(|| StorageError::Upstream("the upstream gave no upload id".into()))?;
        Ok(UploadInfo {
            upload_id: upload_id.to_owned(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            initiated: now_millis(),
            attributes,
            checksum_algorithm,
        })
    }

    pub(super) async fn send_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: i32,
        body: BodyStream,
        promise: BodyPromise,
    ) -> StorageResult<PartInfo> {
        let length = promise.length;
        let digest = BodyDigest::new(promise.checksums.keys().copied());
        let (stream, verdict) = verified(body, promise, digest);
        let mut request = self
            .client
            .upload_part()
            .bucket(self.upstream(bucket))
            .key(key)
            .upload_id(upload_id)
            .part_number(part_number)
            .body(for_sdk(stream));
        if let Some(length) = length {
            request = request.content_length(i64::try_from(length).unwrap_or(i64::MAX));
        }
        let sent = request.customize().disable_payload_signing().send().await;
        let (out, summary) = settle(sent, &verdict, |e| upload_error(e, bucket, upload_id))?;
        let etag = stored_etag(out.e_tag(), &summary);
        Ok(PartInfo {
            part_number,
            size: summary.size,
            etag,
            last_modified: now_millis(),
            checksums: summary.checksums,
        })
    }

    pub(super) async fn finish_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        preconditions: &Preconditions,
    ) -> StorageResult<ObjectInfo> {
        if parts
            .windows(2)
            .any(|w| w[0].part_number >= w[1].part_number)
        {
            return Err(StorageError::InvalidPartOrder);
        }
        self.check_parts(bucket, key, upload_id, parts).await?;
        self.check_preconditions(bucket, key, preconditions).await?;
        let completed = CompletedMultipartUpload::builder()
            .set_parts(Some(
                parts
                    .iter()
                    .map(|p| {
                        UpstreamPart::builder()
                            .part_number(p.part_number)
                            .e_tag(format!("\"{}\"", p.etag))
                            .build()
                    })
                    .collect(),
            ))
            .build();
        self.client
            .complete_multipart_upload()
            .bucket(self.upstream(bucket))
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(completed)
            .send()
            .await
            .map_err(|e| upload_error(e, bucket, upload_id))?;
        self.head_object(bucket, key).await
    }

    /// The named parts exist with those ETags, and every one but the last is at least 5 MiB
    /// (checked here so the client learns which part, as the embedded backend tells it).
    async fn check_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> StorageResult<()> {
        let page = self
            .parts_page(bucket, key, upload_id, None, MAX_PARTS_CHECKED)
            .await?;
        if page.truncated {
            return Ok(()); // the cluster checks the rest itself
        }
        for (i, named) in parts.iter().enumerate() {
            let Some(stored) = page
                .parts
                .iter()
                .find(|p| p.part_number == named.part_number)
            else {
                return Err(StorageError::InvalidPart(format!(
                    "part {} was not uploaded to this upload",
                    named.part_number
                )));
            };
            if stored.etag != named.etag.trim_matches('"') {
                return Err(StorageError::InvalidPart(format!(
                    "part {}'s ETag is not the one uploaded",
                    named.part_number
                )));
            }
            if i + 1 < parts.len() && stored.size < MIN_PART_SIZE {
                return Err(StorageError::EntityTooSmall {
                    part_number: named.part_number,
                    size: stored.size,
                });
            }
        }
        Ok(())
    }

    pub(super) async fn parts_page(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        after_part: Option<i32>,
        max_parts: usize,
    ) -> StorageResult<PartPage> {
        let out = self
            .client
            .list_parts()
            .bucket(self.upstream(bucket))
            .key(key)
            .upload_id(upload_id)
            .set_part_number_marker(after_part.map(|p| p.to_string()))
            .max_parts(i32::try_from(max_parts).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| upload_error(e, bucket, upload_id))?;
        let parts = out
            .parts()
            .iter()
            .map(|p| PartInfo {
                part_number: p.part_number().unwrap_or_default(),
                size: u64::try_from(p.size().unwrap_or_default()).unwrap_or_default(),
                etag: etag(p.e_tag()),
                last_modified: millis(p.last_modified()),
                checksums: Checksums::new(),
            })
            .collect();
        Ok(PartPage {
            upload: UploadInfo {
                upload_id: upload_id.to_owned(),
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                initiated: 0,
                attributes: ObjectAttributes::default(),
                checksum_algorithm: out
                    .checksum_algorithm()
                    .and_then(|a| ChecksumAlgorithm::from_name(a.as_str())),
            },
            parts,
            truncated: out.is_truncated().unwrap_or(false),
        })
    }

    /// A page of uploads in progress. Keys are grouped at the delimiter here (some clusters
    /// ignore the delimiter of ListMultipartUploads).
    pub(super) async fn uploads_page(
        &self,
        bucket: &str,
        query: &UploadQuery<'_>,
    ) -> StorageResult<UploadPage> {
        let out = self
            .client
            .list_multipart_uploads()
            .bucket(self.upstream(bucket))
            .prefix(query.prefix)
            .set_key_marker(query.key_marker.map(str::to_owned))
            .set_upload_id_marker(query.upload_id_marker.map(str::to_owned))
            .max_uploads(i32::try_from(query.max_uploads).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| upstream_error(e, bucket, ""))?;
        let mut page = UploadPage {
            truncated: out.is_truncated().unwrap_or(false),
            ..UploadPage::default()
        };
        for u in out.uploads() {
            let key = u.key().unwrap_or_default();
            let grouped = query.delimiter.filter(|d| !d.is_empty()).and_then(|d| {
                let rest = key.strip_prefix(query.prefix)?;
                rest.find(d)
                    .map(|at| format!("{}{}", query.prefix, &rest[..at + d.len()]))
            });
            match grouped {
                Some(prefix) => {
                    if !page.common_prefixes.contains(&prefix) {
                        page.common_prefixes.push(prefix);
                    }
                }
                None => page.uploads.push(UploadInfo {
                    upload_id: u.upload_id().unwrap_or_default().to_owned(),
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    initiated: millis(u.initiated()),
                    attributes: ObjectAttributes::default(),
                    checksum_algorithm: u
                        .checksum_algorithm()
                        .and_then(|a| ChecksumAlgorithm::from_name(a.as_str())),
                }),
            }
        }
        Ok(page)
    }

    /// Aborts every upload in progress in `bucket` (before the bucket is deleted).
    pub(super) async fn abort_all_uploads(&self, bucket: &str) -> StorageResult<()> {
        for _ in 0..MAX_ABORT_PAGES {
            let page = self
                .uploads_page(
                    bucket,
                    &UploadQuery {
                        max_uploads: 1000,
                        ..UploadQuery::default()
                    },
                )
                .await?;
            if page.uploads.is_empty() {
                return Ok(());
            }
            for u in &page.uploads {
                self.abort_multipart_upload(bucket, &u.key, &u.upload_id)
                    .await?;
            }
        }
        Ok(())
    }
}
