//! One place that turns every failure into the S3 error a client expects: the storage crate's
//! errors, this crate's own request errors, and failures inside request bodies.

use s3s::{S3Error, S3ErrorCode, s3_error};
use tessera_storage::StorageError;

/// Requests the frontend itself refuses before storage is involved.
#[derive(Debug, thiserror::Error)]
pub enum FrontendError {
    #[error(
        "the continuation token is not one this server issued: pass the NextContinuationToken of the previous page"
    )]
    InvalidContinuationToken,
}

impl From<FrontendError> for S3Error {
    fn from(e: FrontendError) -> Self {
        let code = match &e {
            FrontendError::InvalidContinuationToken => S3ErrorCode::InvalidArgument,
        };
        S3Error::with_message(code, e.to_string())
    }
}

/// Maps a storage error to its S3 code. Internal failures are logged here with their detail and
/// reach the client as a generic InternalError.
pub fn storage_to_s3(e: StorageError) -> S3Error {
    let code = match &e {
        StorageError::NoSuchBucket(_) => S3ErrorCode::NoSuchBucket,
        StorageError::BucketAlreadyOwnedByYou(_) => S3ErrorCode::BucketAlreadyOwnedByYou,
        StorageError::BucketNotEmpty(_) => S3ErrorCode::BucketNotEmpty,
        StorageError::NoSuchKey(_) => S3ErrorCode::NoSuchKey,
        StorageError::NoSuchUpload(_) => S3ErrorCode::NoSuchUpload,
        StorageError::InvalidPart(_) => S3ErrorCode::InvalidPart,
        StorageError::InvalidPartOrder => S3ErrorCode::InvalidPartOrder,
        StorageError::EntityTooSmall { .. } => S3ErrorCode::EntityTooSmall,
        StorageError::EntityTooLarge { .. } => S3ErrorCode::EntityTooLarge,
        StorageError::BadDigest | StorageError::ChecksumMismatch { .. } => S3ErrorCode::BadDigest,
        StorageError::IncompleteBody { .. } => S3ErrorCode::IncompleteBody,
        StorageError::PreconditionFailed => S3ErrorCode::PreconditionFailed,
        StorageError::InvalidRange { .. } => S3ErrorCode::InvalidRange,
        StorageError::InvalidArgument(_) => S3ErrorCode::InvalidArgument,
        StorageError::DiskFull => {
            tracing::error!("the data directory's disk is full: writes fail until space is freed");
            let mut err = S3Error::with_message(
                S3ErrorCode::Custom("XMinioStorageFull".into()),
                "the server's disk is full: the write was not stored; reads keep working",
            );
            err.set_status_code(http::StatusCode::INSUFFICIENT_STORAGE);
            return err;
        }
        StorageError::BodyRead(source) => return body_error(source.as_ref()),
        StorageError::Upstream(detail) => {
            tracing::warn!(%detail, "the upstream S3 cluster failed a request");
            let mut err = S3Error::with_message(
                S3ErrorCode::ServiceUnavailable,
                "the object store behind this server is unavailable or failed: the request was not applied, retry it",
            );
            err.set_status_code(http::StatusCode::SERVICE_UNAVAILABLE);
            return err;
        }
        StorageError::Io(_) | StorageError::Index(_) => {
            tracing::error!(error = %e, "internal storage failure");
            return s3_error!(
                InternalError,
                "the server failed to complete the request; it was not applied, retry it"
            );
        }
    };
    S3Error::with_message(code, e.to_string())
}

/// A failure while reading the request body: s3s reports signature problems of aws-chunked
/// uploads this way, which keep their own code; anything else means the body was cut short.
fn body_error(source: &(dyn std::error::Error + Send + Sync + 'static)) -> S3Error {
    if let Some(inner) = source.downcast_ref::<S3Error>() {
        return S3Error::with_message(
            inner.code().clone(),
            inner
                .message()
                .unwrap_or("the request body was rejected")
                .to_owned(),
        );
    }
    // s3s keeps its stream error types private; its payload-hash check is recognised by name.
    if source.to_string().contains("Sha256Mismatch") {
        let mut err = S3Error::with_message(
            S3ErrorCode::Custom("XAmzContentSHA256Mismatch".into()),
            "the body's SHA-256 does not match the x-amz-content-sha256 header that was signed",
        );
        err.set_status_code(http::StatusCode::BAD_REQUEST);
        return err;
    }
    // So is a chunk of a signed aws-chunked body whose signature does not match.
    if source.to_string().contains("SignatureMismatch") {
        return s3_error!(
            SignatureDoesNotMatch,
            "a chunk of the aws-chunked body is not signed with this access key's secret"
        );
    }
    s3_error!(
        IncompleteBody,
        "the request body ended before it was complete: {source}"
    )
}

/// `?`-friendly conversion for storage results.
pub trait StorageResultExt<T> {
    fn or_s3(self) -> Result<T, S3Error>;
}

impl<T> StorageResultExt<T> for Result<T, StorageError> {
    fn or_s3(self) -> Result<T, S3Error> {
        self.map_err(storage_to_s3)
    }
}
