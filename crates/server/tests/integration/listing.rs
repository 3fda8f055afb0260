//! ListObjects v1 and v2: order, prefixes, delimiters, paging and start-after.

use aws_sdk_s3::primitives::ByteStream;

use crate::common::TestServer;

const KEYS: [&str; 9] = ["a/1", "a/2", "a/b/3", "b", "c/1", "c/2", "d one", "z+", "é"];

async fn seeded(server: &TestServer) -> aws_sdk_s3::Client {
    let s3 = server.client();
    s3.create_bucket().bucket("listing").send().await.unwrap();
    for k in KEYS {
        s3.put_object()
            .bucket("listing")
            .key(k)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    s3
}

#[tokio::test]
async fn v2_delimiter_groups_and_paging() {
    let server = TestServer::start();
    let s3 = seeded(&server).await;

    let all = s3.list_objects_v2().bucket("listing").send().await.unwrap();
    let keys: Vec<_> = all.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, KEYS);

    let top = s3
        .list_objects_v2()
        .bucket("listing")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let prefixes: Vec<_> = top
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    let keys: Vec<_> = top.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(prefixes, ["a/", "c/"]);
    assert_eq!(keys, ["b", "d one", "z+", "é"]);
    assert_eq!(top.key_count(), Some(6));

    let inner = s3
        .list_objects_v2()
        .bucket("listing")
        .prefix("a/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    assert_eq!(
        inner
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .collect::<Vec<_>>(),
        ["a/1", "a/2"]
    );
    assert_eq!(
        inner
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .collect::<Vec<_>>(),
        ["a/b/"]
    );

    // Paging two at a time with the delimiter: prefixes and keys interleave in key order.
    let mut seen = Vec::new();
    let mut token = None;
    for _ in 0..10 {
        let page = s3
            .list_objects_v2()
            .bucket("listing")
            .delimiter("/")
            .max_keys(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        seen.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix())
                .map(str::to_owned),
        );
        seen.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key())
                .map(str::to_owned),
        );
        token = page.next_continuation_token().map(str::to_owned);
        if page.is_truncated() != Some(true) {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, ["a/", "b", "c/", "d one", "z+", "é"]);

    let after = s3
        .list_objects_v2()
        .bucket("listing")
        .start_after("c/1")
        .send()
        .await
        .unwrap();
    assert_eq!(after.contents().first().and_then(|o| o.key()), Some("c/2"));

    let bad = s3
        .list_objects_v2()
        .bucket("listing")
        .continuation_token("!!not-a-token!!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(crate::common::code(&bad), "InvalidArgument");
}

#[tokio::test]
async fn v1_markers_and_url_encoding() {
    let server = TestServer::start();
    let s3 = seeded(&server).await;
    let page = s3
        .list_objects()
        .bucket("listing")
        .max_keys(3)
        .send()
        .await
        .unwrap();
    assert_eq!(page.is_truncated(), Some(true));
    assert_eq!(page.contents().len(), 3);
    let marker = page.next_marker().unwrap().to_owned();
    assert_eq!(marker, "a/b/3");
    let rest = s3
        .list_objects()
        .bucket("listing")
        .marker(&marker)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.contents().len(), KEYS.len() - 3);
    assert_eq!(rest.is_truncated(), Some(false));

    let encoded = s3
        .list_objects_v2()
        .bucket("listing")
        .prefix("d")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert_eq!(
        encoded.contents().first().and_then(|o| o.key()),
        Some("d%20one")
    );
}
