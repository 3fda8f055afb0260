//! Multipart uploads: create, upload part, upload part copy, complete, abort, list parts and
//! list uploads.

use s3s::dto::{
    AbortMultipartUploadInput, AbortMultipartUploadOutput, CommonPrefix,
    CompleteMultipartUploadInput, CompleteMultipartUploadOutput, CopyPartResult,
    CreateMultipartUploadInput, CreateMultipartUploadOutput, ListMultipartUploadsInput,
    ListMultipartUploadsOutput, ListPartsInput, ListPartsOutput, MultipartUpload, Part,
    UploadPartCopyInput, UploadPartCopyOutput, UploadPartInput, UploadPartOutput,
};
use s3s::{S3Request, S3Response, S3Result, s3_error};
use tessera_storage::{BodyPromise, CompletedPart, UploadQuery};

use crate::Tessera;
use crate::convert;
use crate::error::StorageResultExt as _;
use crate::objects::{body_stream, copy_source_path, set_checksums, write_promise};

impl Tessera {
    pub(crate) async fn create_multipart_upload_op(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        let algorithm = convert::checksum_algorithm(input.checksum_algorithm.as_ref())?;
        let attributes = convert::attributes(
            input.content_type,
            input.content_encoding,
            input.content_disposition,
            input.content_language,
            input.cache_control,
            input.expires.as_ref(),
            input.metadata,
        );
        let upload = self
            .backend
            .create_multipart_upload(&input.bucket, &input.key, attributes, algorithm)
            .await
            .or_s3()?;
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload.upload_id),
            checksum_algorithm: input.checksum_algorithm,
            ..Default::default()
        }))
    }

    pub(crate) async fn upload_part_op(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let mut req = req;
        let promise = write_promise!(self, req);
        let input = req.input;
        let part = self
            .backend
            .upload_part(
                &input.bucket,
                &input.key,
                &input.upload_id,
                input.part_number,
                body_stream(input.body),
                promise,
            )
            .await
            .or_s3()?;
        let mut out = UploadPartOutput {
            e_tag: Some(convert::etag(&part.etag)),
            ..Default::default()
        };
        set_checksums!(out, &part.checksums);
        Ok(S3Response::new(out))
    }

    pub(crate) async fn upload_part_copy_op(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let input = req.input;
        let source = copy_source_path(&input.copy_source)?;
        self.authorize_also(
            &req.extensions,
            &req.headers,
            "s3:GetObject",
            source.0,
            source.1,
        )?;
        let range = input
            .copy_source_range
            .as_deref()
            .map(convert::copy_source_range)
            .transpose()?;
        let pre = convert::preconditions(
            input.copy_source_if_match,
            input.copy_source_if_none_match,
            input.copy_source_if_modified_since.as_ref(),
            input.copy_source_if_unmodified_since.as_ref(),
        );
        let read = self.read_copy_source(source, range, &pre).await?;
        let length = read.range.map_or(read.info.size, |r| r.end - r.start);
        let promise = BodyPromise {
            length: Some(length),
            ..Default::default()
        };
        let part = self
            .backend
            .upload_part(
                &input.bucket,
                &input.key,
                &input.upload_id,
                input.part_number,
                read.body,
                promise,
            )
            .await
            .or_s3()?;
        Ok(S3Response::new(UploadPartCopyOutput {
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(convert::etag(&part.etag)),
                last_modified: Some(convert::timestamp(part.last_modified)),
                ..Default::default()
            }),
            ..Default::default()
        }))
    }

    pub(crate) async fn complete_multipart_upload_op(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        let listed = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default();
        let mut parts = Vec::with_capacity(listed.len());
        for p in listed {
            let part_number = p
                .part_number
                .ok_or_else(|| s3_error!(MalformedXML, "every <Part> needs a <PartNumber>"))?;
            let etag = p
                .e_tag
                .ok_or_else(|| s3_error!(MalformedXML, "every <Part> needs an <ETag>"))?;
            parts.push(CompletedPart {
                part_number,
                etag: etag.value().to_owned(),
            });
        }
        let preconditions = convert::preconditions(input.if_match, input.if_none_match, None, None);
        let info = self
            .backend
            .complete_multipart_upload(
                &input.bucket,
                &input.key,
                &input.upload_id,
                &parts,
                &preconditions,
            )
            .await
            .or_s3()?;
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            location: Some(format!("/{}/{}", input.bucket, input.key)),
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(convert::etag(&info.etag)),
            ..Default::default()
        }))
    }

    pub(crate) async fn abort_multipart_upload_op(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = req.input;
        self.backend
            .abort_multipart_upload(&input.bucket, &input.key, &input.upload_id)
            .await
            .or_s3()?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    pub(crate) async fn list_parts_op(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let input = req.input;
        let max = convert::page_size(input.max_parts, "max-parts")?;
        let after = input.part_number_marker.filter(|n| *n > 0);
        let page = self
            .backend
            .list_parts(&input.bucket, &input.key, &input.upload_id, after, max)
            .await
            .or_s3()?;
        let next = page.parts.last().map(|p| p.part_number);
        let parts = page
            .parts
            .into_iter()
            .map(|p| {
                let mut part = Part {
                    part_number: Some(p.part_number),
                    e_tag: Some(convert::etag(&p.etag)),
                    size: Some(i64::try_from(p.size).unwrap_or(i64::MAX)),
                    last_modified: Some(convert::timestamp(p.last_modified)),
                    ..Default::default()
                };
                set_checksums!(part, &p.checksums);
                part
            })
            .collect();
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            parts: Some(parts),
            is_truncated: Some(page.truncated),
            next_part_number_marker: if page.truncated { next } else { None },
            part_number_marker: after,
            max_parts: Some(i32::try_from(max).unwrap_or(1000)),
            owner: Some(crate::buckets::owner()),
            ..Default::default()
        }))
    }

    pub(crate) async fn list_multipart_uploads_op(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = req.input;
        let max = convert::page_size(input.max_uploads, "max-uploads")?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let query = UploadQuery {
            prefix: &prefix,
            delimiter: input.delimiter.as_deref(),
            key_marker: input.key_marker.as_deref().filter(|k| !k.is_empty()),
            upload_id_marker: input.upload_id_marker.as_deref(),
            max_uploads: max,
        };
        let page = self
            .backend
            .list_multipart_uploads(&input.bucket, &query)
            .await
            .or_s3()?;
        // The next markers name the last entry returned, upload or common prefix.
        let last_upload = page
            .uploads
            .last()
            .map(|u| (u.key.clone(), Some(u.upload_id.clone())));
        let last_prefix = page.common_prefixes.last().map(|p| (p.clone(), None));
        let last = match (last_upload, last_prefix) {
            (Some(u), Some(p)) => Some(if p.0 > u.0 { p } else { u }),
            (u, p) => u.or(p),
        };
        let uploads = page
            .uploads
            .into_iter()
            .map(|u| MultipartUpload {
                key: Some(u.key),
                upload_id: Some(u.upload_id),
                initiated: Some(convert::timestamp(u.initiated)),
                owner: Some(crate::buckets::owner()),
                ..Default::default()
            })
            .collect();
        let common_prefixes: Vec<CommonPrefix> = page
            .common_prefixes
            .into_iter()
            .map(|p| CommonPrefix { prefix: Some(p) })
            .collect();
        let (next_key_marker, next_upload_id_marker) = match (page.truncated, last) {
            (true, Some((k, id))) => (Some(k), id),
            _ => (None, None),
        };
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: Some(prefix),
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            max_uploads: Some(i32::try_from(max).unwrap_or(1000)),
            is_truncated: Some(page.truncated),
            next_key_marker,
            next_upload_id_marker,
            uploads: Some(uploads),
            common_prefixes: (!common_prefixes.is_empty()).then_some(common_prefixes),
            delimiter: input.delimiter,
            ..Default::default()
        }))
    }
}
