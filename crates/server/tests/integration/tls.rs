//! HTTPS: a certificate pair in the certs directory turns the listener to TLS.

use std::sync::Arc;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::common::{TestServer, parse_response};

#[tokio::test]
async fn serves_https_with_the_certificate_pair() {
    let certs = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(certs.path().join("public.crt"), cert.pem()).unwrap();
    std::fs::write(certs.path().join("private.key"), key.serialize_pem()).unwrap();

    let server = TestServer::start_with(&[], Some(certs.path()));
    assert_eq!(server.scheme, "https");

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));

    for (request, want_status, want_body) in [
        (
            "GET /minio/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            200,
            "",
        ),
        (
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            403,
            "AccessDenied",
        ),
    ] {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
            .await
            .unwrap();
        let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        tls.write_all(request.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        let _ = tls.read_to_end(&mut buf).await;
        let (status, body) = parse_response(&buf);
        assert_eq!(status, want_status, "{body}");
        assert!(body.contains(want_body), "{body}");
    }

    // A plain-HTTP request to the TLS port gets no S3 answer.
    let (status, _) = crate::common::raw_request(
        server.port,
        "GET /minio/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_ne!(status, 200);

    // And the SDK works over TLS when it trusts the certificate: checked by the Python suite with
    // a CA bundle; here the raw exchange above proves the listener serves S3 over TLS.
}
