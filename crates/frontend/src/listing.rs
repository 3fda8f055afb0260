//! ListObjects v1 and v2: parameters checked and turned into one storage query, pages turned
//! back into S3's shapes, with `encoding-type=url` and opaque v2 continuation tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use s3s::dto::{
    CommonPrefix, EncodingType, ListObjectsInput, ListObjectsOutput, ListObjectsV2Input,
    ListObjectsV2Output, Object, ObjectStorageClass,
};
use s3s::{S3Request, S3Response, S3Result, s3_error};
use tessera_storage::{ListPage, ListQuery};

use crate::Tessera;
use crate::convert;
use crate::error::{FrontendError, StorageResultExt as _};

/// Characters left as they are by `encoding-type=url`: unreserved ones and `/`.
const KEY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

const MAX_KEYS: i32 = convert::MAX_PAGE;

fn max_keys(requested: Option<i32>) -> S3Result<usize> {
    convert::page_size(requested, "max-keys")
}

fn url_encoding(e: Option<&EncodingType>) -> S3Result<bool> {
    match e.map(EncodingType::as_str) {
        None => Ok(false),
        Some(s) if s.eq_ignore_ascii_case("url") => Ok(true),
        Some(s) => Err(s3_error!(
            InvalidArgument,
            "encoding-type must be `url`, got `{s}`"
        )),
    }
}

/// Applies `encoding-type=url` to a name in a listing.
fn encoded(s: String, url: bool) -> String {
    if url {
        utf8_percent_encode(&s, KEY_ENCODE).to_string()
    } else {
        s
    }
}

fn contents(page: &mut ListPage, url: bool) -> (Vec<Object>, Vec<CommonPrefix>) {
    let objects = std::mem::take(&mut page.objects)
        .into_iter()
        .map(|o| Object {
            e_tag: Some(convert::etag(&o.etag)),
            last_modified: Some(convert::timestamp(o.last_modified)),
            size: Some(i64::try_from(o.size).unwrap_or(i64::MAX)),
            storage_class: Some(ObjectStorageClass::from_static(
                ObjectStorageClass::STANDARD,
            )),
            key: Some(encoded(o.key, url)),
            ..Default::default()
        })
        .collect();
    let prefixes = std::mem::take(&mut page.common_prefixes)
        .into_iter()
        .map(|p| CommonPrefix {
            prefix: Some(encoded(p, url)),
        })
        .collect();
    (objects, prefixes)
}

fn encode_token(after: &str) -> String {
    URL_SAFE_NO_PAD.encode(after.as_bytes())
}

fn decode_token(token: &str) -> Result<String, FrontendError> {
    URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(FrontendError::InvalidContinuationToken)
}

impl Tessera {
    pub(crate) async fn list_objects_op(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        let url = url_encoding(input.encoding_type.as_ref())?;
        let max = max_keys(input.max_keys)?;
        let query = ListQuery {
            prefix: input.prefix.clone().unwrap_or_default(),
            delimiter: input.delimiter.clone(),
            after: input.marker.clone().filter(|m| !m.is_empty()),
            max_keys: max,
        };
        let mut page = self
            .backend
            .list_objects(&input.bucket, &query)
            .await
            .or_s3()?;
        let next = page.next_after.take();
        let (objects, prefixes) = contents(&mut page, url);
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(encoded(query.prefix, url)),
            marker: Some(encoded(input.marker.unwrap_or_default(), url)),
            max_keys: Some(i32::try_from(max).unwrap_or(MAX_KEYS)),
            is_truncated: Some(next.is_some()),
            next_marker: next.map(|n| encoded(n, url)),
            contents: Some(objects),
            common_prefixes: Some(prefixes),
            delimiter: query.delimiter.map(|d| encoded(d, url)),
            encoding_type: input.encoding_type,
            request_charged: None,
        }))
    }

    pub(crate) async fn list_objects_v2_op(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let url = url_encoding(input.encoding_type.as_ref())?;
        let max = max_keys(input.max_keys)?;
        let after = match &input.continuation_token {
            Some(t) => Some(decode_token(t)?),
            None => input.start_after.clone().filter(|s| !s.is_empty()),
        };
        let query = ListQuery {
            prefix: input.prefix.clone().unwrap_or_default(),
            delimiter: input.delimiter.clone(),
            after,
            max_keys: max,
        };
        let mut page = self
            .backend
            .list_objects(&input.bucket, &query)
            .await
            .or_s3()?;
        let next = page.next_after.take();
        let (mut objects, prefixes) = contents(&mut page, url);
        if input.fetch_owner == Some(true) {
            for o in &mut objects {
                o.owner = Some(crate::buckets::owner());
            }
        }
        let key_count = objects.len() + prefixes.len();
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(encoded(query.prefix, url)),
            max_keys: Some(i32::try_from(max).unwrap_or(MAX_KEYS)),
            key_count: Some(i32::try_from(key_count).unwrap_or(i32::MAX)),
            continuation_token: input.continuation_token,
            is_truncated: Some(next.is_some()),
            next_continuation_token: next.as_deref().map(encode_token),
            contents: Some(objects),
            common_prefixes: Some(prefixes),
            delimiter: query.delimiter.map(|d| encoded(d, url)),
            encoding_type: input.encoding_type,
            start_after: input.start_after.map(|s| encoded(s, url)),
            request_charged: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let t = encode_token("photos/2024/ü.jpg");
        assert_eq!(decode_token(&t).unwrap(), "photos/2024/ü.jpg");
        assert!(decode_token("%%%").is_err());
    }

    #[test]
    fn url_encoding_keeps_slashes() {
        assert_eq!(encoded("a b/c+d".into(), true), "a%20b/c%2Bd");
        assert_eq!(encoded("a b".into(), false), "a b");
    }

    #[test]
    fn max_keys_bounds() {
        assert_eq!(max_keys(None).unwrap(), 1000);
        assert_eq!(max_keys(Some(5000)).unwrap(), 1000);
        assert_eq!(max_keys(Some(0)).unwrap(), 0);
        assert!(max_keys(Some(-1)).is_err());
    }
}
