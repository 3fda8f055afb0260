//! Whole-object operations: PUT, GET (ranges, conditions), HEAD, DELETE, DeleteObjects and
//! CopyObject (metadata directive COPY or REPLACE).

use std::sync::Arc;

use futures::TryStreamExt as _;
use s3s::dto::{
    CopyObjectInput, CopyObjectOutput, CopyObjectResult, CopySource, DeleteObjectInput,
    DeleteObjectOutput, DeleteObjectsInput, DeleteObjectsOutput, DeletedObject, GetObjectInput,
    GetObjectOutput, HeadObjectInput, HeadObjectOutput, MetadataDirective, PutObjectInput,
    PutObjectOutput, StreamingBlob,
};
use s3s::{S3Request, S3Response, S3Result, s3_error};
use tessera_storage::{
    BodyStream, LateChecksums, ObjectInfo, ObjectWrite, PreconditionOutcome, Preconditions,
};

use crate::Tessera;
use crate::convert::{self, ChecksumHeaders};
use crate::error::{StorageResultExt as _, storage_to_s3};

/// Fills the `checksum_*` fields of an output from stored checksums.
macro_rules! set_checksums {
    ($out:expr, $checksums:expr) => {{
        let f = $crate::convert::checksum_fields($checksums);
        $out.checksum_crc32 = f.crc32;
        $out.checksum_crc32c = f.crc32c;
        $out.checksum_crc64nvme = f.crc64nvme;
        $out.checksum_sha1 = f.sha1;
        $out.checksum_sha256 = f.sha256;
    }};
}
pub(crate) use set_checksums;

/// What a PUT or a part upload promises about its body: its length, Content-MD5 and checksums,
/// from headers and from aws-chunked trailers. Both inputs share these field names.
macro_rules! write_promise {
    ($tessera:expr, $req:expr) => {{
        let trailer_algorithms = $crate::convert::trailer_algorithms(&$req.headers);
        let input = &$req.input;
        let mut promise = $crate::convert::promise(
            input.content_length,
            input.content_md5.as_deref(),
            $crate::convert::checksum_algorithm(input.checksum_algorithm.as_ref())?,
            $crate::convert::ChecksumHeaders {
                crc32: input.checksum_crc32.clone(),
                crc32c: input.checksum_crc32c.clone(),
                crc64nvme: input.checksum_crc64nvme.clone(),
                sha1: input.checksum_sha1.clone(),
                sha256: input.checksum_sha256.clone(),
            },
            &trailer_algorithms,
            $tessera.options.max_object_size,
        )?;
        promise.late_checksums = $crate::objects::late_checksums($req.trailing_headers.take());
        promise
    }};
}
pub(crate) use write_promise;

/// The answer to GET or HEAD of an object: its stored headers, the range served, the
/// request's `response-*` overrides, and its checksums when the whole object is asked for with
/// `x-amz-checksum-mode`. Both outputs share these field names.
macro_rules! object_output {
    ($output:ident { $($field:ident: $value:expr),* }, $info:expr, $input:ident, $range:expr) => {{
        let info = $info;
        let range: Option<tessera_storage::ByteRange> = $range;
        let (length, content_range) = match range {
            Some(r) => (r.end - r.start, Some(format!("bytes {}-{}/{}", r.start, r.end - 1, info.size))),
            None => (info.size, None),
        };
        let whole = content_range.is_none();
        let a = &info.attributes;
        let mut out = $output {
            $($field: $value,)*
            accept_ranges: Some("bytes".into()),
            content_length: Some(i64::try_from(length).unwrap_or(i64::MAX)),
            content_range,
            e_tag: Some(convert::etag(&info.etag)),
            last_modified: Some(convert::timestamp(info.last_modified)),
            metadata: convert::metadata(a),
            content_type: $input.response_content_type.or_else(|| a.content_type.clone()),
            content_encoding: $input.response_content_encoding.or_else(|| a.content_encoding.clone()),
            content_disposition: $input.response_content_disposition.or_else(|| a.content_disposition.clone()),
            content_language: $input.response_content_language.or_else(|| a.content_language.clone()),
            cache_control: $input.response_cache_control.or_else(|| a.cache_control.clone()),
            expires: $input.response_expires.or_else(|| a.expires.map(convert::timestamp)),
            parts_count: info.parts_count.map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
            ..Default::default()
        };
        if whole && $input.checksum_mode.is_some() {
            set_checksums!(out, &info.checksums);
        }
        out
    }};
}

/// A request body as a storage stream (an absent body is an empty one).
pub fn body_stream(body: Option<StreamingBlob>) -> BodyStream {
    match body {
        Some(b) => Box::pin(b),
        None => Box::pin(futures::stream::empty()),
    }
}

/// Checksums that an aws-chunked upload sends after its body, read once the body has ended.
pub fn late_checksums(trailers: Option<s3s::TrailingHeaders>) -> Option<LateChecksums> {
    trailers.map(|t| {
        LateChecksums(Arc::new(move || {
            t.take()
                .map(|h| ChecksumHeaders::from_trailers(&h).present())
                .unwrap_or_default()
        }))
    })
}

/// The bucket and key a copy reads from; access points and outposts are not served.
pub fn copy_source_path(source: &CopySource) -> S3Result<(&str, &str)> {
    match source {
        CopySource::Bucket { bucket, key, .. } => Ok((bucket, key)),
        _ => Err(s3_error!(
            NotImplemented,
            "copying from access points or outposts is not supported"
        )),
    }
}

impl Tessera {
    /// Opens the source of a copy (or a range of it), held to the `x-amz-copy-source-if-*`
    /// conditions, which fail with 412 either way.
    pub(crate) async fn read_copy_source(
        &self,
        (bucket, key): (&str, &str),
        range: Option<tessera_storage::RangeRequest>,
        conditions: &Preconditions,
    ) -> S3Result<tessera_storage::ObjectRead> {
        let read = self.backend.get_object(bucket, key, range).await.or_s3()?;
        if conditions.evaluate_read(&read.info) != PreconditionOutcome::Proceed {
            return Err(s3_error!(
                PreconditionFailed,
                "the copy source does not satisfy the x-amz-copy-source-if-* conditions"
            ));
        }
        Ok(read)
    }
}

fn check_read(pre: &Preconditions, info: &ObjectInfo) -> S3Result<()> {
    match pre.evaluate_read(info) {
        PreconditionOutcome::Proceed => Ok(()),
        PreconditionOutcome::NotModified => Err(s3_error!(NotModified)),
        PreconditionOutcome::Failed => Err(s3_error!(
            PreconditionFailed,
            "the object's ETag or modification time does not satisfy the request's conditions"
        )),
    }
}

impl Tessera {
    pub(crate) async fn put_object_op(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let mut req = req;
        if req.input.sse_customer_key.is_some() {
            return Err(s3_error!(
                NotImplemented,
                "server-side encryption with customer keys is not supported"
            ));
        }
        let promise = write_promise!(self, req);
        let input = req.input;
        let attributes = convert::attributes(
            input.content_type,
            input.content_encoding,
            input.content_disposition,
            input.content_language,
            input.cache_control,
            input.expires.as_ref(),
            input.metadata,
        );
        let preconditions = convert::preconditions(input.if_match, input.if_none_match, None, None);
        let info = self
            .backend
            .put_object(
                &input.bucket,
                &input.key,
                body_stream(input.body),
                ObjectWrite {
                    attributes,
                    promise,
                    preconditions,
                },
            )
            .await
            .or_s3()?;
        let mut out = PutObjectOutput {
            e_tag: Some(convert::etag(&info.etag)),
            ..Default::default()
        };
        set_checksums!(out, &info.checksums);
        Ok(S3Response::new(out))
    }

    pub(crate) async fn get_object_op(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        if input.part_number.is_some() {
            return Err(s3_error!(
                NotImplemented,
                "GET with partNumber is not supported: use a Range header"
            ));
        }
        let pre = convert::preconditions(
            input.if_match,
            input.if_none_match,
            input.if_modified_since.as_ref(),
            input.if_unmodified_since.as_ref(),
        );
        let read = self
            .backend
            .get_object(&input.bucket, &input.key, convert::range(input.range))
            .await
            .or_s3()?;
        check_read(&pre, &read.info)?;
        let body = StreamingBlob::wrap(read.body.map_err(std::io::Error::other));
        let out = object_output!(
            GetObjectOutput { body: Some(body) },
            read.info,
            input,
            read.range
        );
        Ok(S3Response::new(out))
    }

    pub(crate) async fn head_object_op(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = req.input;
        let pre = convert::preconditions(
            input.if_match,
            input.if_none_match,
            input.if_modified_since.as_ref(),
            input.if_unmodified_since.as_ref(),
        );
        let info = self
            .backend
            .head_object(&input.bucket, &input.key)
            .await
            .or_s3()?;
        check_read(&pre, &info)?;
        let range = match convert::range(input.range) {
            Some(r) => Some(r.resolve(info.size).ok_or_else(|| {
                s3_error!(
                    InvalidRange,
                    "the range does not overlap the object ({} bytes)",
                    info.size
                )
            })?),
            None => None,
        };
        let out = object_output!(HeadObjectOutput {}, info, input, range);
        Ok(S3Response::new(out))
    }

    pub(crate) async fn delete_object_op(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let input = req.input;
        self.backend
            .delete_object(&input.bucket, &input.key)
            .await
            .or_s3()?;
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    pub(crate) async fn delete_objects_op(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        if input.delete.objects.len() > 1000 {
            return Err(s3_error!(
                MalformedXML,
                "DeleteObjects takes at most 1000 keys per request"
            ));
        }
        self.backend.head_bucket(&input.bucket).await.or_s3()?;
        let quiet = input.delete.quiet.unwrap_or(false);
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for object in input.delete.objects {
            if let Err(e) = self.authorize_also(
                &req.extensions,
                &req.headers,
                "s3:DeleteObject",
                &input.bucket,
                &object.key,
            ) {
                errors.push(s3s::dto::Error {
                    code: Some(e.code().as_str().to_owned()),
                    message: e.message().map(str::to_owned),
                    key: Some(object.key),
                    version_id: None,
                });
                continue;
            }
            match self.backend.delete_object(&input.bucket, &object.key).await {
                Ok(()) => {
                    if !quiet {
                        deleted.push(DeletedObject {
                            key: Some(object.key),
                            ..Default::default()
                        });
                    }
                }
                Err(e) => {
                    let e = storage_to_s3(e);
                    errors.push(s3s::dto::Error {
                        code: Some(e.code().as_str().to_owned()),
                        message: e.message().map(str::to_owned),
                        key: Some(object.key),
                        version_id: None,
                    });
                }
            }
        }
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: (!deleted.is_empty()).then_some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            request_charged: None,
        }))
    }

    pub(crate) async fn copy_object_op(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let input = req.input;
        let (src_bucket, src_key) = copy_source_path(&input.copy_source)?;
        self.authorize_also(
            &req.extensions,
            &req.headers,
            "s3:GetObject",
            src_bucket,
            src_key,
        )?;
        let replace = input
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
        if src_bucket == input.bucket && src_key == input.key && !replace {
            return Err(s3_error!(
                InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."
            ));
        }
        let pre = convert::preconditions(
            input.copy_source_if_match,
            input.copy_source_if_none_match,
            input.copy_source_if_modified_since.as_ref(),
            input.copy_source_if_unmodified_since.as_ref(),
        );
        let read = self
            .read_copy_source((src_bucket, src_key), None, &pre)
            .await?;
        let attributes = if replace {
            convert::attributes(
                input.content_type,
                input.content_encoding,
                input.content_disposition,
                input.content_language,
                input.cache_control,
                input.expires.as_ref(),
                input.metadata,
            )
        } else {
            read.info.attributes.clone()
        };
        let mut promise = tessera_storage::BodyPromise {
            length: Some(read.info.size),
            max_length: Some(self.options.max_object_size.max(read.info.size)),
            ..Default::default()
        };
        for a in read.info.checksums.keys() {
            promise.checksums.insert(*a, None);
        }
        if let Some(a) = convert::checksum_algorithm(input.checksum_algorithm.as_ref())? {
            promise.checksums.insert(a, None);
        }
        let info = self
            .backend
            .put_object(
                &input.bucket,
                &input.key,
                read.body,
                ObjectWrite {
                    attributes,
                    promise,
                    preconditions: Preconditions::default(),
                },
            )
            .await
            .or_s3()?;
        let mut result = CopyObjectResult {
            e_tag: Some(convert::etag(&info.etag)),
            last_modified: Some(convert::timestamp(info.last_modified)),
            ..Default::default()
        };
        set_checksums!(result, &info.checksums);
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(result),
            ..Default::default()
        }))
    }
}
