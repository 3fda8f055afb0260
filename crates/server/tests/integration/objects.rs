//! Objects: put/get/head/delete with metadata, ranges, conditions, copies, checksums and the
//! hostile inputs that must store nothing.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, Delete, MetadataDirective, ObjectIdentifier,
};
use base64::Engine as _;

use crate::common::{ROOT_USER, TestServer, bytes, client_for, code, md5_hex, raw_request};

async fn bucket(server: &TestServer, name: &str) -> aws_sdk_s3::Client {
    let s3 = server.client();
    s3.create_bucket().bucket(name).send().await.unwrap();
    s3
}

#[tokio::test]
async fn put_get_head_round_trip() {
    let server = TestServer::start();
    let s3 = bucket(&server, "docs").await;
    let body = bytes(100_000, 1);
    let put = s3
        .put_object()
        .bucket("docs")
        .key("dir/report.pdf")
        .content_type("application/pdf")
        .metadata("owner", "alice")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.e_tag(),
        Some(format!("\"{}\"", md5_hex(&body)).as_str())
    );

    let got = s3
        .get_object()
        .bucket("docs")
        .key("dir/report.pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/pdf"));
    assert_eq!(
        got.metadata()
            .and_then(|m| m.get("owner"))
            .map(String::as_str),
        Some("alice")
    );
    assert_eq!(got.content_length(), Some(100_000));
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        body.as_slice()
    );

    let head = s3
        .head_object()
        .bucket("docs")
        .key("dir/report.pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(100_000));
    assert_eq!(head.e_tag(), put.e_tag());

    let missing = s3
        .get_object()
        .bucket("docs")
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "NoSuchKey");
    let no_bucket = s3
        .put_object()
        .bucket("absent")
        .key("k")
        .body(ByteStream::from_static(b"1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&no_bucket), "NoSuchBucket");
}

#[tokio::test]
async fn ranges_and_conditions() {
    let server = TestServer::start();
    let s3 = bucket(&server, "ranges").await;
    let body: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let put = s3
        .put_object()
        .bucket("ranges")
        .key("k")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let etag = put.e_tag().unwrap().to_owned();

    let part = s3
        .get_object()
        .bucket("ranges")
        .key("k")
        .range("bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(part.content_range(), Some("bytes 10-19/1000"));
    assert_eq!(
        part.body.collect().await.unwrap().into_bytes().as_ref(),
        &body[10..20]
    );
    let tail = s3
        .get_object()
        .bucket("ranges")
        .key("k")
        .range("bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tail.body.collect().await.unwrap().into_bytes().as_ref(),
        &body[995..]
    );
    let open = s3
        .get_object()
        .bucket("ranges")
        .key("k")
        .range("bytes=990-")
        .send()
        .await
        .unwrap();
    assert_eq!(open.content_length(), Some(10));

    let past = s3
        .get_object()
        .bucket("ranges")
        .key("k")
        .range("bytes=1000-1010")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&past), "InvalidRange");

    let not_modified = s3
        .get_object()
        .bucket("ranges")
        .key("k")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        not_modified.raw_response().map(|r| r.status().as_u16()),
        Some(304)
    );
    let failed = s3
        .get_object()
        .bucket("ranges")
        .key("k")
        .if_match("\"0000\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failed.raw_response().map(|r| r.status().as_u16()),
        Some(412)
    );
    s3.get_object()
        .bucket("ranges")
        .key("k")
        .if_match(&etag)
        .send()
        .await
        .unwrap();

    // Conditional writes: If-None-Match: * refuses to overwrite.
    let exists = s3
        .put_object()
        .bucket("ranges")
        .key("k")
        .if_none_match("*")
        .body(ByteStream::from_static(b"new"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        exists.raw_response().map(|r| r.status().as_u16()),
        Some(412)
    );
    let after = s3
        .get_object()
        .bucket("ranges")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(after.content_length(), Some(1000));
}

#[tokio::test]
async fn copy_with_metadata_directives() {
    let server = TestServer::start();
    let s3 = bucket(&server, "copies").await;
    s3.put_object()
        .bucket("copies")
        .key("src")
        .content_type("text/plain")
        .metadata("a", "1")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();

    s3.copy_object()
        .bucket("copies")
        .key("copy")
        .copy_source("copies/src")
        .send()
        .await
        .unwrap();
    let copy = s3
        .head_object()
        .bucket("copies")
        .key("copy")
        .send()
        .await
        .unwrap();
    assert_eq!(copy.content_type(), Some("text/plain"));
    assert_eq!(
        copy.metadata().and_then(|m| m.get("a")).map(String::as_str),
        Some("1")
    );

    s3.copy_object()
        .bucket("copies")
        .key("replaced")
        .copy_source("copies/src")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/markdown")
        .metadata("b", "2")
        .send()
        .await
        .unwrap();
    let replaced = s3
        .head_object()
        .bucket("copies")
        .key("replaced")
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.content_type(), Some("text/markdown"));
    assert!(replaced.metadata().and_then(|m| m.get("a")).is_none());
    assert_eq!(
        replaced
            .metadata()
            .and_then(|m| m.get("b"))
            .map(String::as_str),
        Some("2")
    );

    let to_itself = s3
        .copy_object()
        .bucket("copies")
        .key("src")
        .copy_source("copies/src")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&to_itself), "InvalidRequest");
    let no_source = s3
        .copy_object()
        .bucket("copies")
        .key("x")
        .copy_source("copies/absent")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&no_source), "NoSuchKey");
}

#[tokio::test]
async fn delete_objects_reports_each_key() {
    let server = TestServer::start();
    let s3 = bucket(&server, "deletes").await;
    for k in ["a", "b", "c"] {
        s3.put_object()
            .bucket("deletes")
            .key(k)
            .body(ByteStream::from_static(b"1"))
            .send()
            .await
            .unwrap();
    }
    let ids: Vec<ObjectIdentifier> = ["a", "b", "missing"]
        .iter()
        .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
        .collect();
    let out = s3
        .delete_objects()
        .bucket("deletes")
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted().len(), 3);
    let left = s3.list_objects_v2().bucket("deletes").send().await.unwrap();
    let keys: Vec<_> = left.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["c"]);
}

#[tokio::test]
async fn checksums_are_verified_and_returned() {
    let server = TestServer::start();
    let s3 = bucket(&server, "sums").await;
    // The SDK sends the CRC32 in an aws-chunked trailer.
    s3.put_object()
        .bucket("sums")
        .key("k")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from_static(b"hello world"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("sums")
        .key("k")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc32(), Some("DUoRhQ=="));

    let wrong_md5 = base64::engine::general_purpose::STANDARD.encode([0u8; 16]);
    let bad = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .content_md5(wrong_md5)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad), "BadDigest");
    let bad_crc = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad_crc), "BadDigest");
    let stored = s3
        .head_object()
        .bucket("sums")
        .key("bad")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        stored.raw_response().map(|r| r.status().as_u16()),
        Some(404)
    );
}

#[tokio::test]
async fn keys_never_become_paths() {
    let server = TestServer::start();
    let s3 = bucket(&server, "keys").await;
    let keys = [
        "../../etc/passwd",
        "a//b",
        "/lead",
        "dot/./seg",
        "ünï cödé+plus",
        &"k".repeat(1024),
    ];
    for (i, k) in keys.iter().enumerate() {
        s3.put_object()
            .bucket("keys")
            .key(*k)
            .body(ByteStream::from(vec![i as u8; 3]))
            .send()
            .await
            .unwrap();
    }
    for (i, k) in keys.iter().enumerate() {
        let got = s3.get_object().bucket("keys").key(*k).send().await.unwrap();
        assert_eq!(
            got.body.collect().await.unwrap().into_bytes().as_ref(),
            &[i as u8; 3],
            "key {k:?}"
        );
    }
    let listed = s3.list_objects_v2().bucket("keys").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(keys.len() as i32));
    assert!(!server.dir.parent().unwrap().join("etc").exists());

    let too_long = s3
        .put_object()
        .bucket("keys")
        .key("k".repeat(1025))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        too_long.raw_response().map(|r| r.status().as_u16()),
        Some(400)
    );
    let control = s3
        .put_object()
        .bucket("keys")
        .key("bad\u{1}key")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&control), "InvalidArgument");
}

#[tokio::test]
async fn bad_credentials_and_anonymous_requests_are_refused() {
    let server = TestServer::start();
    let s3 = bucket(&server, "auth").await;
    s3.put_object()
        .bucket("auth")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();

    let wrong_secret = client_for(&server.endpoint(), ROOT_USER, "not-the-secret");
    let e = wrong_secret
        .get_object()
        .bucket("auth")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "SignatureDoesNotMatch");
    let unknown = client_for(&server.endpoint(), "NOSUCHKEY", "whatever-secret");
    let e = unknown.list_buckets().send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidAccessKeyId");

    let (status, body) = raw_request(
        server.port,
        "GET /auth/k HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("AccessDenied"), "{body}");

    let sig_v2 = format!(
        "GET /auth/k HTTP/1.1\r\nHost: 127.0.0.1\r\nDate: Sun, 29 Nov 2026 06:00:00 GMT\r\nAuthorization: AWS {ROOT_USER}:c2lnbmF0dXJlPQ==\r\nConnection: close\r\n\r\n"
    );
    let (status, body) = raw_request(server.port, &sig_v2).await;
    assert!(status == 400 || status == 403, "SigV2 got {status}: {body}");
    assert!(
        body.contains("AWS4-HMAC-SHA256") || body.contains("SignatureDoesNotMatch"),
        "{body}"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_store_nothing() {
    let server = TestServer::start_with(&[("TESSERA_MAX_OBJECT_SIZE", "1000")], None);
    let s3 = server.client();
    s3.create_bucket().bucket("lim").send().await.unwrap();
    s3.put_object()
        .bucket("lim")
        .key("ok")
        .body(ByteStream::from(vec![1u8; 1000]))
        .send()
        .await
        .unwrap();
    let big = s3
        .put_object()
        .bucket("lim")
        .key("big")
        .body(ByteStream::from(vec![1u8; 1001]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&big), "EntityTooLarge");
    let e = s3
        .head_object()
        .bucket("lim")
        .key("big")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));
}

#[tokio::test]
async fn short_body_stores_nothing() {
    let server = TestServer::start();
    let s3 = bucket(&server, "short").await;
    // Announce 100 bytes, send 10, close: the server must not store a 10-byte object.
    // The request is unsigned-payload with a valid signature is out of reach here, so use the
    // root key through the SDK for a presigned PUT URL instead.
    let presigned = s3
        .put_object()
        .bucket("short")
        .key("k")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(
                60,
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    let uri: http::Uri = presigned.uri().parse().unwrap();
    let path = uri.path_and_query().unwrap().as_str();
    let req = format!(
        "PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 100\r\n\r\n0123456789",
        server.port
    );
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stream, req.as_bytes())
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::shutdown(&mut stream)
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut buf),
    )
    .await;
    let e = s3
        .head_object()
        .bucket("short")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));

    // The same presigned URL with the whole body works.
    let (status, _) = raw_request(
        server.port,
        &format!("PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789", server.port),
    )
    .await;
    assert_eq!(status, 200);
    let got = s3
        .get_object()
        .bucket("short")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"0123456789"
    );
}

#[tokio::test]
async fn concurrent_puts_of_one_key_leave_one_whole_object() {
    let server = TestServer::start();
    let s3 = bucket(&server, "race").await;
    let bodies: Vec<Vec<u8>> = (0..8)
        .map(|i| bytes(256 * 1024 + i * 1000, i as u64))
        .collect();
    let mut tasks = Vec::new();
    for b in bodies.clone() {
        let s3 = s3.clone();
        tasks.push(tokio::spawn(async move {
            s3.put_object()
                .bucket("race")
                .key("same")
                .body(ByteStream::from(b))
                .send()
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let got = s3
        .get_object()
        .bucket("race")
        .key("same")
        .send()
        .await
        .unwrap();
    let etag = got.e_tag().unwrap().trim_matches('"').to_owned();
    let data = got.body.collect().await.unwrap().into_bytes();
    assert!(
        bodies.iter().any(|b| b.as_slice() == data.as_ref()),
        "the object is not any one writer's body"
    );
    assert_eq!(etag, md5_hex(&data));
    assert_eq!(
        crate::common::data_files(&server.dir).len(),
        1,
        "replaced versions must be deleted"
    );
}

#[tokio::test]
async fn replacing_small_and_large_objects_frees_old_data() {
    let server = TestServer::start();
    let s3 = bucket(&server, "sizes").await;
    let small = bytes(1000, 1);
    let large = bytes(300 * 1024, 2);
    for (body, files_after) in [
        (&small, 0),
        (&large, 1),
        (&small, 0),
        (&large, 1),
        (&large, 1),
    ] {
        s3.put_object()
            .bucket("sizes")
            .key("k")
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
        let got = s3
            .get_object()
            .bucket("sizes")
            .key("k")
            .send()
            .await
            .unwrap();
        assert_eq!(
            got.body.collect().await.unwrap().into_bytes().as_ref(),
            body.as_slice()
        );
        assert_eq!(crate::common::data_files(&server.dir).len(), files_after);
    }
    s3.delete_object()
        .bucket("sizes")
        .key("k")
        .send()
        .await
        .unwrap();
    assert!(crate::common::data_files(&server.dir).is_empty());
}

/// A request refused before its body was read gets `Connection: close`: the client's next
/// request must not be read from the middle of the unread body.
#[tokio::test]
async fn a_refused_request_with_an_unread_body_closes_the_connection() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let server = TestServer::start();
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    let body = "x".repeat(1000);
    let request = format!(
        "PUT /nobucket/key HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n\r\n{body}GET /nobucket/other HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        server.port,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await;
    let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 403"), "{text}");
    assert!(text.contains("connection: close"), "{text}");
    assert_eq!(
        text.matches("http/1.1 ").count(),
        1,
        "one answer, then the close: {text}"
    );
}
