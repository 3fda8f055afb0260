//! Conversions between s3s's DTO types and the storage crate's: timestamps, ETags,
//! preconditions, ranges, object attributes, checksums and the promises a body comes with.

use base64::Engine as _;
use s3s::dto::{self, ETag, ETagCondition, Timestamp};
use s3s::{S3Error, s3_error};
use tessera_storage::{
    BodyPromise, ChecksumAlgorithm, Checksums, ObjectAttributes, Preconditions, RangeRequest,
    UnixMillis,
};

pub fn timestamp(ms: UnixMillis) -> Timestamp {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::from(t)
}

pub fn millis(t: &Timestamp) -> UnixMillis {
    let t: time::OffsetDateTime = t.clone().into();
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub fn etag(value: &str) -> ETag {
    ETag::Strong(value.to_owned())
}

fn condition(c: Option<ETagCondition>) -> Option<Option<Vec<String>>> {
    c.map(|c| match c {
        ETagCondition::Any => None,
        ETagCondition::ETag(e) => Some(vec![e.value().to_owned()]),
    })
}

pub fn preconditions(
    if_match: Option<ETagCondition>,
    if_none_match: Option<ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> Preconditions {
    Preconditions {
        if_match: condition(if_match),
        if_none_match: condition(if_none_match),
        if_modified_since: if_modified_since.map(millis),
        if_unmodified_since: if_unmodified_since.map(millis),
    }
}

pub fn range(r: Option<dto::Range>) -> Option<RangeRequest> {
    r.map(|r| match r {
        dto::Range::Int { first, last } => RangeRequest::FromTo { first, last },
        dto::Range::Suffix { length } => RangeRequest::Suffix { length },
    })
}

/// `x-amz-copy-source-range: bytes=first-last` (both required, last inclusive).
pub fn copy_source_range(s: &str) -> Result<RangeRequest, S3Error> {
    let bad = || {
        s3_error!(
            InvalidArgument,
            "x-amz-copy-source-range must look like bytes=FIRST-LAST, got `{s}`"
        )
    };
    let spec = s.strip_prefix("bytes=").ok_or_else(bad)?;
    let (a, b) = spec.split_once('-').ok_or_else(bad)?;
    let first: u64 = a.parse().map_err(|_| bad())?;
    let last: u64 = b.parse().map_err(|_| bad())?;
    if last < first {
        return Err(bad());
    }
    Ok(RangeRequest::FromTo {
        first,
        last: Some(last),
    })
}

#[allow(clippy::too_many_arguments)]
pub fn attributes(
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    cache_control: Option<String>,
    expires: Option<&Timestamp>,
    metadata: Option<dto::Metadata>,
) -> ObjectAttributes {
    ObjectAttributes {
        content_type,
        content_encoding,
        content_disposition,
        content_language,
        cache_control,
        expires: expires.map(millis),
        user_metadata: metadata
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
    }
}

pub fn metadata(a: &ObjectAttributes) -> Option<dto::Metadata> {
    (!a.user_metadata.is_empty()).then(|| {
        a.user_metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
}

pub fn checksum_algorithm(
    a: Option<&dto::ChecksumAlgorithm>,
) -> Result<Option<ChecksumAlgorithm>, S3Error> {
    a.map(|a| {
        ChecksumAlgorithm::from_name(a.as_str()).ok_or_else(|| {
            s3_error!(
                InvalidArgument,
                "unknown checksum algorithm `{}`",
                a.as_str()
            )
        })
    })
    .transpose()
}

/// The fields of `x-amz-checksum-*` request headers, in one place.
#[derive(Default)]
pub struct ChecksumHeaders {
    pub crc32: Option<String>,
    pub crc32c: Option<String>,
    pub crc64nvme: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
}

impl ChecksumHeaders {
    fn entries(self) -> [(ChecksumAlgorithm, Option<String>); 5] {
        [
            (ChecksumAlgorithm::Crc32, self.crc32),
            (ChecksumAlgorithm::Crc32c, self.crc32c),
            (ChecksumAlgorithm::Crc64Nvme, self.crc64nvme),
            (ChecksumAlgorithm::Sha1, self.sha1),
            (ChecksumAlgorithm::Sha256, self.sha256),
        ]
    }

    /// The values present, by algorithm.
    pub fn present(self) -> Vec<(ChecksumAlgorithm, String)> {
        self.entries()
            .into_iter()
            .filter_map(|(a, v)| v.map(|v| (a, v)))
            .collect()
    }

    /// The same from trailing headers of an aws-chunked upload.
    pub fn from_trailers(headers: &http::HeaderMap) -> Self {
        let get = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            crc32: get("x-amz-checksum-crc32"),
            crc32c: get("x-amz-checksum-crc32c"),
            crc64nvme: get("x-amz-checksum-crc64nvme"),
            sha1: get("x-amz-checksum-sha1"),
            sha256: get("x-amz-checksum-sha256"),
        }
    }
}

/// What a PUT or part upload promises: its length, Content-MD5 and checksums.
pub fn promise(
    content_length: Option<i64>,
    content_md5: Option<&str>,
    algorithm: Option<ChecksumAlgorithm>,
    headers: ChecksumHeaders,
    trailer_algorithms: &[ChecksumAlgorithm],
    max_length: u64,
) -> Result<BodyPromise, S3Error> {
    let mut p = BodyPromise {
        max_length: Some(max_length),
        ..Default::default()
    };
    if let Some(len) = content_length {
        let len = u64::try_from(len)
            .map_err(|_| s3_error!(InvalidArgument, "Content-Length must not be negative"))?;
        if len > max_length {
            return Err(s3_error!(
                EntityTooLarge,
                "the body is {len} bytes, over this server's limit of {max_length} bytes: use a multipart upload"
            ));
        }
        p.length = Some(len);
    }
    if let Some(md5) = content_md5 {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(md5.trim())
            .ok()
            .and_then(|v| <[u8; 16]>::try_from(v).ok())
            .ok_or_else(|| {
                s3_error!(
                    InvalidDigest,
                    "Content-MD5 must be the base64 of a 16-byte MD5 digest"
                )
            })?;
        p.md5 = Some(raw);
    }
    if let Some(a) = algorithm {
        p.checksums.insert(a, None);
    }
    for a in trailer_algorithms {
        p.checksums.insert(*a, None);
    }
    for (a, v) in headers.entries() {
        if let Some(v) = v {
            p.checksums.insert(a, Some(v));
        }
    }
    Ok(p)
}

/// Algorithms announced in `x-amz-trailer` for an aws-chunked upload.
pub fn trailer_algorithms(headers: &http::HeaderMap) -> Vec<ChecksumAlgorithm> {
    headers
        .get_all("x-amz-trailer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| n.trim().strip_prefix("x-amz-checksum-"))
        .filter_map(ChecksumAlgorithm::from_name)
        .collect()
}

/// Checksum values to return, by DTO field.
pub struct ChecksumFields {
    pub crc32: Option<String>,
    pub crc32c: Option<String>,
    pub crc64nvme: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
}

pub fn checksum_fields(c: &Checksums) -> ChecksumFields {
    let get = |a| c.get(&a).cloned();
    ChecksumFields {
        crc32: get(ChecksumAlgorithm::Crc32),
        crc32c: get(ChecksumAlgorithm::Crc32c),
        crc64nvme: get(ChecksumAlgorithm::Crc64Nvme),
        sha1: get(ChecksumAlgorithm::Sha1),
        sha256: get(ChecksumAlgorithm::Sha256),
    }
}

/// Most entries one listing page holds, as S3 caps it.
pub const MAX_PAGE: i32 = 1000;

/// A page size parameter (`max-keys`, `max-parts`, `max-uploads`): absent means 1000, larger
/// values are capped at 1000, negative ones refused.
pub fn page_size(requested: Option<i32>, name: &str) -> Result<usize, S3Error> {
    match requested {
        None => Ok(MAX_PAGE as usize),
        Some(n) if n < 0 => Err(s3_error!(
            InvalidArgument,
            "{name} must be between 0 and 1000, got {n}"
        )),
        Some(n) => Ok(usize::try_from(n.min(MAX_PAGE)).unwrap_or(0)),
    }
}
