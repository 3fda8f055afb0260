//! The upstream cluster's errors as the storage errors the frontend knows: its S3 error codes
//! map one to one; a cluster that cannot be reached, answers late or answers nonsense becomes
//! `Upstream`, which clients see as 503 rather than as a hang.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::error::StorageError;

/// A failed call on a multipart upload: an unknown key there means an unknown upload.
pub(crate) fn upload_error<E, R>(e: SdkError<E, R>, bucket: &str, upload_id: &str) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match upstream_error(e, bucket, upload_id) {
        StorageError::NoSuchKey(_) => StorageError::NoSuchUpload(upload_id.to_owned()),
        other => other,
    }
}

/// What a failed upstream call means for the client.
pub(crate) fn upstream_error<E, R>(e: SdkError<E, R>, bucket: &str, key: &str) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match &e {
        SdkError::ServiceError(service) => code_error(
            service.err().code().unwrap_or_default(),
            service.err().message().unwrap_or_default(),
            bucket,
            key,
            || format!("the upstream answered {e:?}"),
        ),
        SdkError::TimeoutError(_) => {
            StorageError::Upstream("the upstream S3 cluster did not answer in time".into())
        }
        SdkError::DispatchFailure(f) => StorageError::Upstream(format!(
            "the upstream S3 cluster cannot be reached: {:?}",
            f.as_connector_error().map(ToString::to_string)
        )),
        SdkError::ResponseError(_) => StorageError::Upstream(
            "the upstream S3 cluster sent an answer that is not valid S3".into(),
        ),
        _ => StorageError::Upstream(format!("the upstream request failed: {e}")),
    }
}

/// What the cluster's S3 error `code` (with its `message`) means for the client; `no_code`
/// says what happened when the answer carried none.
pub(crate) fn code_error(
    code: &str,
    message: &str,
    bucket: &str,
    key: &str,
    no_code: impl FnOnce() -> String,
) -> StorageError {
    match code {
        "NoSuchBucket" => StorageError::NoSuchBucket(bucket.to_owned()),
        "NoSuchKey" | "NotFound" if !key.is_empty() => StorageError::NoSuchKey(key.to_owned()),
        "NotFound" => StorageError::NoSuchBucket(bucket.to_owned()),
        "NoSuchUpload" => StorageError::NoSuchUpload(key.to_owned()),
        "BucketAlreadyOwnedByYou" | "BucketAlreadyExists" => {
            StorageError::BucketAlreadyOwnedByYou(bucket.to_owned())
        }
        "BucketNotEmpty" => StorageError::BucketNotEmpty(bucket.to_owned()),
        "InvalidPart" => StorageError::InvalidPart(message.to_owned()),
        "InvalidPartOrder" => StorageError::InvalidPartOrder,
        "EntityTooSmall" => StorageError::InvalidPart(format!(
            "every part but the last must be at least 5 MiB ({message})"
        )),
        "PreconditionFailed" => StorageError::PreconditionFailed,
        "BadDigest" => StorageError::BadDigest,
        "InvalidRange" => StorageError::InvalidRange { size: 0 },
        "" => StorageError::Upstream(no_code()),
        other => StorageError::Upstream(format!(
            "the upstream refused the request: {other}: {message}"
        )),
    }
}
