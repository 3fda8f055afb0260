//! Crash safety: SIGKILL the server while a large PUT streams and while multipart completions run,
//! restart it on the same directory, and check that every listed object reads back whole with
//! its ETag and that no unreferenced data file survives the start-up cleanup. Also a graceful
//! SIGTERM that lets an in-flight upload finish.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use crate::common::{TestServer, bytes, data_files, md5_hex};

const MIB: usize = 1024 * 1024;

/// Every listed object must read back with the MD5 its single-part ETag promises (or, for a
/// multipart ETag, with the length listed).
async fn assert_consistent(s3: &aws_sdk_s3::Client, bucket: &str) -> usize {
    let listed = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    for o in listed.contents() {
        let key = o.key().unwrap();
        let got = s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        let data = got.body.collect().await.unwrap().into_bytes();
        assert_eq!(
            data.len() as i64,
            o.size().unwrap(),
            "{key}: listed size differs from bytes read"
        );
        let etag = o.e_tag().unwrap().trim_matches('"');
        if !etag.contains('-') {
            assert_eq!(etag, md5_hex(&data), "{key}: ETag does not match the bytes");
        }
    }
    listed.contents().len()
}

#[tokio::test]
async fn kill_during_large_put_and_multipart_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut server = TestServer::start_in(&dir, &[], None);
    let s3 = server.client();
    s3.create_bucket().bucket("crash").send().await.unwrap();
    let old = bytes(100 * 1024, 1);
    s3.put_object()
        .bucket("crash")
        .key("large")
        .body(ByteStream::from(old.clone()))
        .send()
        .await
        .unwrap();
    let small = bytes(2000, 2);
    s3.put_object()
        .bucket("crash")
        .key("small")
        .body(ByteStream::from(small.clone()))
        .send()
        .await
        .unwrap();

    // Several multipart uploads ready to complete.
    let mut uploads = Vec::new();
    for n in 0..3 {
        let key = format!("mp{n}");
        let id = s3
            .create_multipart_upload()
            .bucket("crash")
            .key(&key)
            .send()
            .await
            .unwrap()
            .upload_id()
            .unwrap()
            .to_owned();
        let mut parts = Vec::new();
        for p in 1..=2 {
            let body = bytes(if p == 1 { 5 * MIB } else { 1000 }, n * 10 + p as u64);
            let e = s3
                .upload_part()
                .bucket("crash")
                .key(&key)
                .upload_id(&id)
                .part_number(p)
                .body(ByteStream::from(body))
                .send()
                .await
                .unwrap();
            parts.push(
                CompletedPart::builder()
                    .part_number(p)
                    .e_tag(e.e_tag().unwrap())
                    .build(),
            );
        }
        uploads.push((
            key,
            id,
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        ));
    }

    // In flight at the moment of the kill: a 64 MiB PUT replacing "large", and the completions.
    let big = bytes(64 * MIB, 99);
    let put = tokio::spawn({
        let s3 = s3.clone();
        async move {
            s3.put_object()
                .bucket("crash")
                .key("large")
                .body(ByteStream::from(big))
                .send()
                .await
        }
    });
    let mut completions = Vec::new();
    for (key, id, done) in uploads {
        let s3 = s3.clone();
        completions.push(tokio::spawn(async move {
            s3.complete_multipart_upload()
                .bucket("crash")
                .key(key)
                .upload_id(id)
                .multipart_upload(done)
                .send()
                .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    server.kill_hard();
    let _ = put.await;
    for c in completions {
        let _ = c.await;
    }

    let server = TestServer::start_in(&dir, &[], None);
    let s3 = server.client();
    let objects = assert_consistent(&s3, "crash").await;
    assert!(
        objects >= 1,
        "the old \"large\" or its replacement must still be there"
    );
    let large = s3
        .get_object()
        .bucket("crash")
        .key("large")
        .send()
        .await
        .unwrap();
    let data = large.body.collect().await.unwrap().into_bytes();
    assert!(
        data.len() == old.len() || data.len() == 64 * MIB,
        "\"large\" is torn: {} bytes",
        data.len()
    );

    let got = s3
        .get_object()
        .bucket("crash")
        .key("small")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        small.as_slice()
    );

    // After the start-up cleanup, data files are exactly the listed objects (less the small
    // one, whose bytes live in its index record) plus the parts of uploads still open.
    let uploads = s3
        .list_multipart_uploads()
        .bucket("crash")
        .send()
        .await
        .unwrap();
    let mut part_files = 0;
    for u in uploads.uploads() {
        let parts = s3
            .list_parts()
            .bucket("crash")
            .key(u.key().unwrap())
            .upload_id(u.upload_id().unwrap())
            .send()
            .await
            .unwrap();
        part_files += parts.parts().len();
    }
    assert_eq!(
        data_files(&dir).len(),
        objects - 1 + part_files,
        "unreferenced data files survived the cleanup"
    );
}

#[tokio::test]
async fn sigterm_lets_an_inflight_upload_finish() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut server = TestServer::start_in(&dir, &[], None);
    let s3 = server.client();
    s3.create_bucket().bucket("drain").send().await.unwrap();
    let body = bytes(48 * MIB, 5);
    let expected = md5_hex(&body);
    let put = tokio::spawn({
        let s3 = s3.clone();
        async move {
            s3.put_object()
                .bucket("drain")
                .key("k")
                .body(ByteStream::from(body))
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let exited_cleanly = tokio::task::spawn_blocking(move || {
        let ok = server.terminate();
        drop(server);
        ok
    })
    .await
    .unwrap();
    assert!(exited_cleanly, "tessera did not exit cleanly on SIGTERM");
    let outcome = put.await.unwrap();

    let server = TestServer::start_in(&dir, &[], None);
    let s3 = server.client();
    match outcome {
        Ok(_) => {
            let got = s3
                .get_object()
                .bucket("drain")
                .key("k")
                .send()
                .await
                .unwrap();
            assert_eq!(
                md5_hex(&got.body.collect().await.unwrap().into_bytes()),
                expected
            );
        }
        Err(_) => {
            // Not acknowledged: then it must not be visible at all.
            assert!(
                s3.head_object()
                    .bucket("drain")
                    .key("k")
                    .send()
                    .await
                    .is_err()
            );
        }
    }
    assert_consistent(&s3, "drain").await;
}
