//! A provider whose endpoints hang or fail: fetching gives up after the timeout with an error
//! that names the URL, a provider that is down reports itself as not ready, and none of it
//! touches another provider.

use std::time::{Duration, Instant};

use tessera_idp::openid::{FetchError, Fetcher, OpenIdConfig, Providers, TokenError};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// A listener that accepts connections and never answers; returns its address.
async fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        // Bounded: a test opens a handful of connections.
        for _ in 0..32 {
            match listener.accept().await {
                Ok((socket, _)) => held.push(socket),
                Err(_) => break,
            }
        }
    });
    format!("http://{addr}")
}

/// A server that answers every request with `body` (HTTP 200, JSON).
async fn answering_server(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for _ in 0..32 {
            let Ok((mut socket, _)) = listener.accept().await else {
                break;
            };
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

fn config(name: &str, url: String, client_id: &str) -> OpenIdConfig {
    OpenIdConfig {
        name: name.into(),
        config_url: url,
        client_id: client_id.into(),
        client_secret: None,
        claim_name: "policy".into(),
        role_policy: if name.is_empty() {
            Vec::new()
        } else {
            vec!["readonly".into()]
        },
        claim_userinfo: false,
    }
}

#[tokio::test]
async fn a_hanging_endpoint_times_out_with_its_url_named() {
    let url = format!("{}/.well-known/openid-configuration", silent_server().await);
    let fetcher = Fetcher::new(Duration::from_millis(500)).unwrap();
    let started = Instant::now();
    let err = fetcher.get_json(&url).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains(&url), "{err}");
}

#[tokio::test]
async fn a_provider_whose_jwks_hangs_does_not_hold_up_another() {
    // One provider's discovery works but its JWKS endpoint never answers; the other is fine.
    let hanging_jwks = format!("{}/jwks", silent_server().await);
    let slow = answering_server(format!(
        r#"{{"issuer":"http://slow.example","jwks_uri":"{hanging_jwks}"}}"#
    ))
    .await;
    let good_jwks = answering_server(r#"{"keys":[]}"#.into()).await;
    let good = answering_server(format!(
        r#"{{"issuer":"http://good.example","jwks_uri":"{good_jwks}/jwks"}}"#
    ))
    .await;
    let fetcher = Fetcher::new(Duration::from_millis(500)).unwrap();
    let providers = Providers::new(
        vec![
            config(
                "",
                format!("{good}/.well-known/openid-configuration"),
                "good",
            ),
            config(
                "slow",
                format!("{slow}/.well-known/openid-configuration"),
                "slow",
            ),
        ],
        None,
        &fetcher,
    );
    let [good_provider, slow_provider] = providers.all() else {
        panic!("two providers")
    };
    assert!(good_provider.discover().await.is_ok());
    let started = Instant::now();
    let err = slow_provider.discover().await.unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(good_provider.is_available());

    // A token for the slow provider names the check that failed; the good one answers at once.
    let token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ4In0.c2ln";
    let started = Instant::now();
    let refused = good_provider.verify(token).await.unwrap_err();
    assert!(
        matches!(refused, TokenError::UnknownKey { .. }),
        "{refused}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_provider_that_is_down_is_not_ready() {
    let fetcher = Fetcher::new(Duration::from_millis(300)).unwrap();
    let providers = Providers::new(
        vec![config(
            "",
            "http://127.0.0.1:9/.well-known/openid-configuration".into(),
            "x",
        )],
        None,
        &fetcher,
    );
    let provider = &providers.all()[0];
    assert!(provider.discover().await.is_err());
    assert!(!provider.is_available());
    assert_eq!(
        provider.verify("a.b.c").await.unwrap_err(),
        TokenError::ProviderNotReady("default".into())
    );
}
