//! Multipart uploads: the happy path with its ETag, and every way a completion can be wrong.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use crate::common::{TestServer, bytes, code, md5_hex};

const MIB: usize = 1024 * 1024;

fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .iter()
                .map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(*e).build())
                .collect(),
        ))
        .build()
}

#[tokio::test]
async fn upload_list_complete_and_read_back() {
    let server = TestServer::start();
    let s3 = server.client();
    s3.create_bucket().bucket("multipart").send().await.unwrap();
    let up = s3
        .create_multipart_upload()
        .bucket("multipart")
        .key("big")
        .content_type("video/mp4")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    let chunks = [bytes(5 * MIB, 1), bytes(5 * MIB, 2), bytes(1000, 3)];
    let mut etags = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let p = s3
            .upload_part()
            .bucket("multipart")
            .key("big")
            .upload_id(&id)
            .part_number(i as i32 + 1)
            .body(ByteStream::from(c.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(p.e_tag(), Some(format!("\"{}\"", md5_hex(c)).as_str()));
        etags.push(p.e_tag().unwrap().to_owned());
    }
    let uploads = s3
        .list_multipart_uploads()
        .bucket("multipart")
        .send()
        .await
        .unwrap();
    assert_eq!(
        uploads.uploads().first().and_then(|u| u.upload_id()),
        Some(id.as_str())
    );
    let parts = s3
        .list_parts()
        .bucket("multipart")
        .key("big")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        parts
            .parts()
            .iter()
            .filter_map(|p| p.size())
            .collect::<Vec<_>>(),
        [5 * MIB as i64, 5 * MIB as i64, 1000]
    );

    // Wrong orders and sizes first: each refused, the upload left intact.
    let out_of_order = s3
        .complete_multipart_upload()
        .bucket("multipart")
        .key("big")
        .upload_id(&id)
        .multipart_upload(completed(&[(2, &etags[1]), (1, &etags[0])]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&out_of_order), "InvalidPartOrder");
    let wrong_etag = s3
        .complete_multipart_upload()
        .bucket("multipart")
        .key("big")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, "\"00000000000000000000000000000000\"")]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&wrong_etag), "InvalidPart");
    let missing = s3
        .complete_multipart_upload()
        .bucket("multipart")
        .key("big")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &etags[0]), (7, &etags[1])]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "InvalidPart");
    let up = s3
        .create_multipart_upload()
        .bucket("multipart")
        .key("big2")
        .send()
        .await
        .unwrap();
    let id2 = up.upload_id().unwrap().to_owned();
    let small = s3
        .upload_part()
        .bucket("multipart")
        .key("big2")
        .upload_id(&id2)
        .part_number(1)
        .body(ByteStream::from(vec![1u8; 10]))
        .send()
        .await
        .unwrap();
    let big = s3
        .upload_part()
        .bucket("multipart")
        .key("big2")
        .upload_id(&id2)
        .part_number(2)
        .body(ByteStream::from(vec![2u8; 10]))
        .send()
        .await
        .unwrap();
    // Every part but the last must be at least 5 MiB.
    let e = s3
        .complete_multipart_upload()
        .bucket("multipart")
        .key("big2")
        .upload_id(&id2)
        .multipart_upload(completed(&[
            (1, small.e_tag().unwrap()),
            (2, big.e_tag().unwrap()),
        ]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "EntityTooSmall");
    s3.abort_multipart_upload()
        .bucket("multipart")
        .key("big2")
        .upload_id(&id2)
        .send()
        .await
        .unwrap();
    let gone = s3
        .list_parts()
        .bucket("multipart")
        .key("big2")
        .upload_id(&id2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone), "NoSuchUpload");
}

#[tokio::test]
async fn completed_object_has_multipart_etag_and_bytes() {
    let server = TestServer::start();
    let s3 = server.client();
    s3.create_bucket().bucket("multipart").send().await.unwrap();
    let up = s3
        .create_multipart_upload()
        .bucket("multipart")
        .key("obj")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    let chunks = [bytes(5 * MIB, 7), bytes(5 * MIB, 8), bytes(123, 9)];
    let mut parts = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let p = s3
            .upload_part()
            .bucket("multipart")
            .key("obj")
            .upload_id(&id)
            .part_number(i as i32 + 1)
            .body(ByteStream::from(c.clone()))
            .send()
            .await
            .unwrap();
        parts.push((i as i32 + 1, p.e_tag().unwrap().to_owned()));
    }
    let refs: Vec<(i32, &str)> = parts.iter().map(|(n, e)| (*n, e.as_str())).collect();
    let done = s3
        .complete_multipart_upload()
        .bucket("multipart")
        .key("obj")
        .upload_id(&id)
        .multipart_upload(completed(&refs))
        .send()
        .await
        .unwrap();
    assert!(
        done.e_tag().unwrap().ends_with("-3\""),
        "{:?}",
        done.e_tag()
    );
    let got = s3
        .get_object()
        .bucket("multipart")
        .key("obj")
        .send()
        .await
        .unwrap();
    let data = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(data.len(), 10 * MIB + 123);
    assert_eq!(md5_hex(&data), md5_hex(&chunks.concat()));

    // Upload part copy: a range of the finished object becomes a part of a new upload.
    let up = s3
        .create_multipart_upload()
        .bucket("multipart")
        .key("copy")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    let p = s3
        .upload_part_copy()
        .bucket("multipart")
        .key("copy")
        .upload_id(&id)
        .part_number(1)
        .copy_source("multipart/obj")
        .copy_source_range("bytes=0-99")
        .send()
        .await
        .unwrap();
    let etag = p
        .copy_part_result()
        .and_then(|r| r.e_tag())
        .unwrap()
        .to_owned();
    s3.complete_multipart_upload()
        .bucket("multipart")
        .key("copy")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &etag)]))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("multipart")
        .key("copy")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        &chunks[0][..100]
    );
    assert_eq!(
        crate::common::data_files(&server.dir).len(),
        2,
        "parts are removed once completed"
    );
}
