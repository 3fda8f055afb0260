//! Connections to the directory: the URL and TLS settings (system roots plus the configured CA
//! file, or no verification when asked), connect and operation timeouts, and the one lookup
//! connection that searches run on, bound as the lookup account, re-established when it drops.

use std::sync::Arc;
use std::time::Duration;

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings};
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use tokio::sync::Mutex;

use super::LdapError;
use super::config::{LdapConfig, Transport};

/// LDAP result code of a bind with a wrong password or an unknown DN.
pub(crate) const INVALID_CREDENTIALS: u32 = 49;

/// Dials the directory.
pub(crate) struct Connector {
    url: String,
    settings: LdapConnSettings,
    connect_timeout: Duration,
    pub(crate) operation_timeout: Duration,
}

impl Connector {
    pub(crate) fn new(config: &LdapConfig) -> Result<Self, LdapError> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(config.connect_timeout)
            .set_starttls(config.transport == Transport::StartTls);
        if config.transport != Transport::Plain {
            if config.tls_skip_verify {
                settings = settings.set_no_tls_verify(true);
            } else {
                settings = settings.set_config(Arc::new(tls_config(config)?));
            }
        }
        Ok(Self {
            url: config.url(),
            settings,
            connect_timeout: config.connect_timeout,
            operation_timeout: config.operation_timeout,
        })
    }

    /// A new connection, its I/O driven by a task of its own.
    pub(crate) async fn connect(&self) -> Result<Ldap, LdapError> {
        let dial = LdapConnAsync::with_settings(self.settings.clone(), &self.url);
        // StartTLS's exchange comes after the TCP connect that `conn_timeout` bounds.
        let (conn, ldap) = tokio::time::timeout(self.connect_timeout * 2, dial)
            .await
            .map_err(|_| LdapError::Timeout {
                operation: "connection",
                secs: self.connect_timeout.as_secs() * 2,
            })?
            .map_err(|e| LdapError::Unavailable(format!("cannot connect to {}: {e}", self.url)))?;
        tokio::spawn(async move {
            if let Err(e) = conn.drive().await {
                tracing::debug!(error = %e, "an LDAP connection ended");
            }
        });
        Ok(ldap)
    }

    /// `op` bounded by the operation timeout.
    pub(crate) async fn timed<T>(
        &self,
        operation: &'static str,
        op: impl std::future::Future<Output = ldap3::result::Result<T>>,
    ) -> Result<T, LdapError> {
        tokio::time::timeout(self.operation_timeout, op)
            .await
            .map_err(|_| LdapError::Timeout {
                operation,
                secs: self.operation_timeout.as_secs(),
            })?
            .map_err(|e| LdapError::Operation {
                operation,
                message: e.to_string(),
            })
    }

    /// A simple bind on `ldap`: `Ok(false)` for invalid credentials.
    pub(crate) async fn bind(
        &self,
        ldap: &mut Ldap,
        operation: &'static str,
        dn: &str,
        password: &str,
    ) -> Result<bool, LdapError> {
        let result = self
            .timed(operation, ldap.simple_bind(dn, password))
            .await?;
        match result.rc {
            0 => Ok(true),
            INVALID_CREDENTIALS => Ok(false),
            rc => Err(LdapError::Operation {
                operation,
                message: format!("result code {rc} {}", result.text),
            }),
        }
    }
}

/// The system's roots plus the configured CA file.
fn tls_config(config: &LdapConfig) -> Result<rustls::ClientConfig, LdapError> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = &config.ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(Iterator::collect)
            .map_err(|e| {
                LdapError::Config(format!("CA_FILE {}: not readable PEM: {e}", path.display()))
            })?;
        if certs.is_empty() {
            return Err(LdapError::Config(format!(
                "CA_FILE {} holds no certificate",
                path.display()
            )));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| LdapError::Config(format!("CA_FILE {}: {e}", path.display())))?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LdapError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The connection searches run on, bound as the lookup account; made on first use and again
/// whenever it has dropped.
pub(crate) struct LookupConnection {
    bind_dn: String,
    bind_password: zeroize::Zeroizing<String>,
    current: Mutex<Option<Ldap>>,
}

impl LookupConnection {
    pub(crate) fn new(config: &LdapConfig) -> Self {
        Self {
            bind_dn: config.lookup_bind_dn.clone(),
            bind_password: config.lookup_bind_password.clone(),
            current: Mutex::new(None),
        }
    }

    /// A handle on the bound lookup connection. While one caller dials, the others wait for
    /// it, at most one operation timeout (a directory that hangs must not queue every login
    /// behind the previous one's full wait).
    pub(crate) async fn handle(&self, connector: &Connector) -> Result<Ldap, LdapError> {
        let mut current = tokio::time::timeout(connector.operation_timeout, self.current.lock())
            .await
            .map_err(|_| LdapError::Timeout {
                operation: "lookup connection",
                secs: connector.operation_timeout.as_secs(),
            })?;
        if let Some(ldap) = current.as_mut()
            && !ldap.is_closed()
        {
            return Ok(ldap.clone());
        }
        *current = None;
        let mut ldap = connector.connect().await?;
        match connector
            .bind(&mut ldap, "lookup bind", &self.bind_dn, &self.bind_password)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Err(LdapError::LookupBindFailed("invalid credentials".into())),
            Err(LdapError::Operation { message, .. }) => {
                return Err(LdapError::LookupBindFailed(message));
            }
            Err(e) => return Err(e),
        }
        *current = Some(ldap.clone());
        Ok(ldap)
    }

    /// Forgets the connection (after an operation on it failed), so the next use dials anew.
    pub(crate) async fn reset(&self) {
        if let Some(ldap) = self.current.lock().await.take() {
            close_in_background(ldap);
        }
    }
}

/// Unbinds `ldap` without waiting for it: a server that hangs must not hold up the caller,
/// and the unbind itself gives up after a moment (dropping the last handle ends the
/// connection's task).
pub(crate) fn close_in_background(mut ldap: Ldap) {
    tokio::spawn(async move {
        let _ = tokio::time::timeout(Duration::from_secs(1), ldap.unbind()).await;
    });
}
