//! HTTPS: when the certificates directory holds `public.crt` and `private.key` (MinIO's names),
//! the listener speaks TLS with them (HTTP/2 and HTTP/1.1 by ALPN).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The TLS acceptor for `certs_dir`, or `None` when it holds no certificate pair.
pub fn acceptor(certs_dir: Option<&Path>) -> anyhow::Result<Option<tokio_rustls::TlsAcceptor>> {
    let Some(dir) = certs_dir else {
        return Ok(None);
    };
    let cert_path = dir.join("public.crt");
    let key_path = dir.join("private.key");
    match (cert_path.exists(), key_path.exists()) {
        (false, false) => return Ok(None),
        (true, false) => bail!(
            "{} exists but {} does not: add the private key or remove the certificate",
            cert_path.display(),
            key_path.display()
        ),
        (false, true) => bail!(
            "{} exists but {} does not: add the certificate or remove the key",
            key_path.display(),
            cert_path.display()
        ),
        (true, true) => {}
    }
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
        .with_context(|| format!("cannot read {}", cert_path.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", cert_path.display()))?;
    if certs.is_empty() {
        bail!("{} holds no certificate", cert_path.display());
    }
    let key = PrivateKeyDer::from_pem_file(&key_path)
        .with_context(|| format!("{} is not a PEM private key", key_path.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and the private key do not belong together")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))))
}
