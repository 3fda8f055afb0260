//! Buckets: create, head, list, location, delete only when empty, and AWS's naming rules.

use aws_sdk_s3::primitives::ByteStream;

use crate::common::{TestServer, code, raw_request};

#[tokio::test]
async fn bucket_lifecycle() {
    let server = TestServer::start();
    let s3 = server.client();
    s3.create_bucket().bucket("photos").send().await.unwrap();
    s3.head_bucket().bucket("photos").send().await.unwrap();
    let again = s3
        .create_bucket()
        .bucket("photos")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&again), "BucketAlreadyOwnedByYou");

    let listed = s3.list_buckets().send().await.unwrap();
    let names: Vec<_> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["photos"]);

    let loc = s3
        .get_bucket_location()
        .bucket("photos")
        .send()
        .await
        .unwrap();
    assert!(
        loc.location_constraint()
            .is_none_or(|c| c.as_str().is_empty())
    );

    s3.put_object()
        .bucket("photos")
        .key("a.jpg")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let busy = s3
        .delete_bucket()
        .bucket("photos")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&busy), "BucketNotEmpty");
    s3.delete_object()
        .bucket("photos")
        .key("a.jpg")
        .send()
        .await
        .unwrap();
    s3.delete_bucket().bucket("photos").send().await.unwrap();
    let gone = s3.head_bucket().bucket("photos").send().await.unwrap_err();
    assert_eq!(gone.raw_response().map(|r| r.status().as_u16()), Some(404));
    let missing = s3
        .delete_bucket()
        .bucket("photos")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "NoSuchBucket");
}

#[tokio::test]
async fn invalid_bucket_names_are_refused() {
    let server = TestServer::start();
    let s3 = server.client();
    for name in [
        "ab",
        "Upper",
        "under_score",
        "-lead",
        "192.168.1.1",
        &"x".repeat(64),
    ] {
        let (status, body) = raw_request(
            server.port,
            &format!("PUT /{name} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert_eq!(status, 400, "bucket name {name:?}: {body}");
        assert!(
            body.contains("InvalidBucketName"),
            "bucket name {name:?}: {body}"
        );
    }
    assert!(s3.list_buckets().send().await.unwrap().buckets().is_empty());
}
