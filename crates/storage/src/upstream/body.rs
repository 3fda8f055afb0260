//! Bodies crossing to and from the upstream cluster. An upload streams through [`verified`],
//! which hashes every chunk and holds back the last one until the writer's promises (length,
//! Content-MD5, checksums, trailers) are known to hold: a broken promise makes the stream fail
//! before the upstream has received the whole announced body, so the upstream stores nothing.
//! Downloads do not pass through here (see `object_requests`).

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt as _;
use http_body_util::StreamBody;
use hyper::body::Frame;

use crate::digest::{BodyDigest, BodySummary};
use crate::error::StorageError;
use crate::types::{BodyPromise, BodyStream, BoxError};

/// Where the verifying stream leaves its verdict: the summary of a body that kept every
/// promise, or why it did not.
pub(crate) type Verdict = Arc<Mutex<Option<Result<BodySummary, StorageError>>>>;

/// An upload's body as the frames an HTTP request body is made of.
pub(crate) type UploadFrames = std::pin::Pin<
    Box<dyn futures::Stream<Item = Result<Frame<Bytes>, BoxError>> + Send + Sync + 'static>,
>;

/// An error that stops the upload; the reason itself is in the verdict.
#[derive(Debug, thiserror::Error)]
#[error("the upload was stopped: {0}")]
struct Stopped(String);

/// `body` checked against `promise` as it streams, as an upstream request body; the verdict
/// is set once the body ended or failed.
pub(crate) fn verified(
    body: BodyStream,
    promise: BodyPromise,
    digest: BodyDigest,
) -> (UploadFrames, Verdict) {
    let verdict: Verdict = Arc::new(Mutex::new(None));
    let state = (
        body,
        promise,
        Some(digest),
        None::<Bytes>,
        Arc::clone(&verdict),
    );
    let stream = futures::stream::unfold(
        state,
        |(mut body, promise, mut digest, mut held, verdict)| async move {
            let settle = |result: Result<BodySummary, StorageError>| {
                *verdict
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(result);
            };
            digest.as_ref()?;
            loop {
                match body.next().await {
                    Some(Ok(chunk)) => {
                        if let Some(d) = digest.as_mut() {
                            d.update(&chunk);
                            if let Err(e) = promise.check_growing(d.size()) {
                                let why = e.to_string();
                                settle(Err(e));
                                let failed: Result<Frame<Bytes>, BoxError> =
                                    Err(Box::new(Stopped(why)));
                                return Some((failed, (body, promise, None, None, verdict)));
                            }
                        }
                        if chunk.is_empty() {
                            continue;
                        }
                        // Send the chunk before this one; keep this one until more comes.
                        if let Some(previous) = held.replace(chunk) {
                            return Some((
                                Ok(Frame::data(previous)),
                                (body, promise, digest, held, verdict),
                            ));
                        }
                    }
                    Some(Err(e)) => {
                        let why = e.to_string();
                        settle(Err(StorageError::BodyRead(e)));
                        let failed: Result<Frame<Bytes>, BoxError> = Err(Box::new(Stopped(why)));
                        return Some((failed, (body, promise, None, None, verdict)));
                    }
                    None => {
                        let summary = digest.take()?.finish();
                        if let Err(e) = promise.check_finished(&summary) {
                            let why = e.to_string();
                            settle(Err(e));
                            let failed: Result<Frame<Bytes>, BoxError> =
                                Err(Box::new(Stopped(why)));
                            return Some((failed, (body, promise, None, None, verdict)));
                        }
                        settle(Ok(summary));
                        let last = held.take()?;
                        return Some((Ok(Frame::data(last)), (body, promise, None, None, verdict)));
                    }
                }
            }
        },
    );
    (Box::pin(stream), verdict)
}

/// A verified body as the SDK sends it (parts of multipart uploads).
pub(crate) fn for_sdk(frames: UploadFrames) -> aws_sdk_s3::primitives::ByteStream {
    aws_sdk_s3::primitives::ByteStream::from_body_1_x(StreamBody::new(frames))
}

/// An empty body, checked against `promise` before anything is sent (a zero-length streaming
/// body is refused by some clusters; an empty one is sent as such).
pub(crate) async fn verified_empty(
    mut body: BodyStream,
    promise: &BodyPromise,
    mut digest: BodyDigest,
) -> Result<BodySummary, StorageError> {
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(StorageError::BodyRead)?;
        digest.update(&chunk);
        promise.check_growing(digest.size())?;
    }
    let summary = digest.finish();
    promise.check_finished(&summary)?;
    Ok(summary)
}

/// The outcome of sending a verified body: the cluster's answer and the body's summary, or why
/// nothing was stored (a broken promise wins over the cluster's own complaint about the body
/// cut short; `refused` turns the cluster's errors into storage errors).
pub(crate) fn settle<T, E>(
    sent: Result<T, E>,
    verdict: &Verdict,
    refused: impl FnOnce(E) -> StorageError,
) -> Result<(T, BodySummary), StorageError> {
    match (sent, verdict_of(verdict)) {
        (_, Some(Err(e))) => Err(e),
        (Ok(out), Some(Ok(summary))) => Ok((out, summary)),
        (Err(e), _) => Err(refused(e)),
        (Ok(_), None) => Err(StorageError::Upstream(
            "the upstream stored an upload whose body did not end".into(),
        )),
    }
}

/// The verdict of a finished upload (a stream that never finished is an incomplete body).
fn verdict_of(verdict: &Verdict) -> Option<Result<BodySummary, StorageError>> {
    verdict
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ChecksumAlgorithm;

    fn chunks(parts: &[&'static [u8]]) -> BodyStream {
        let items: Vec<Result<Bytes, BoxError>> =
            parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        Box::pin(futures::stream::iter(items))
    }

    async fn drain(stream: UploadFrames) -> Result<Vec<u8>, String> {
        let stream = for_sdk(stream);
        stream
            .collect()
            .await
            .map(|b| b.into_bytes().to_vec())
            .map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn a_kept_promise_passes_every_byte_and_a_summary() {
        let promise = BodyPromise {
            length: Some(6),
            ..BodyPromise::default()
        };
        let (stream, verdict) = verified(
            chunks(&[b"ab", b"", b"cd", b"ef"]),
            promise,
            BodyDigest::new([ChecksumAlgorithm::Crc32]),
        );
        assert_eq!(drain(stream).await.unwrap(), b"abcdef");
        let summary = verdict_of(&verdict).unwrap().unwrap();
        assert_eq!(summary.size, 6);
        assert!(summary.checksums.contains_key(&ChecksumAlgorithm::Crc32));
    }

    #[tokio::test]
    async fn a_broken_promise_fails_before_the_last_chunk_is_sent() {
        for promise in [
            BodyPromise {
                length: Some(7),
                ..BodyPromise::default()
            },
            BodyPromise {
                md5: Some([0; 16]),
                ..BodyPromise::default()
            },
        ] {
            let (stream, verdict) =
                verified(chunks(&[b"ab", b"cd", b"ef"]), promise, BodyDigest::new([]));
            assert!(drain(stream).await.is_err());
            assert!(verdict_of(&verdict).unwrap().is_err());
        }
        let too_long = BodyPromise {
            length: Some(3),
            ..BodyPromise::default()
        };
        let (stream, verdict) = verified(chunks(&[b"ab", b"cd"]), too_long, BodyDigest::new([]));
        assert!(drain(stream).await.is_err());
        assert!(matches!(
            verdict_of(&verdict),
            Some(Err(StorageError::IncompleteBody { .. }))
        ));
    }
}
