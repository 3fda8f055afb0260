//! Providers at run time: discovery fetched at start and retried with backoff while the
//! provider is down (the others keep working), the JWKS cached, refreshed every hour, and
//! re-fetched on an unknown `kid` at most once per [`MIN_REFETCH_INTERVAL`], so a flood of
//! tokens with random key ids costs a handful of fetches, never one per token.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::config::OpenIdConfig;
use super::fetch::{FetchError, Fetcher};
use super::keys::KeySet;
use super::verify::{TokenError, VerifiedToken, verify};

/// Shortest time between two JWKS fetches caused by unknown key ids.
pub const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// The JWKS is refreshed this often regardless.
const REFRESH_EVERY: Duration = Duration::from_secs(3600);
/// Longest wait between two discovery attempts of a provider that is down.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What discovery says.
#[derive(Debug, Clone)]
struct Discovered {
    issuer: String,
    jwks_uri: String,
    userinfo_endpoint: Option<String>,
}

/// One provider.
pub struct Provider {
    config: OpenIdConfig,
    role_arn: Option<String>,
    fetcher: Fetcher,
    discovered: RwLock<Option<Discovered>>,
    keys: RwLock<Arc<KeySet>>,
    last_fetch: Mutex<Option<Instant>>,
    /// The first discovery attempt has ended (well or not).
    tried: AtomicBool,
    jwks_fetches: AtomicU64,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("config", &self.config)
            .field("role_arn", &self.role_arn)
            .finish_non_exhaustive()
    }
}

impl Provider {
    fn new(config: OpenIdConfig, region: Option<&str>, fetcher: Fetcher) -> Self {
        let role_arn = config.is_role_based().then(|| config.role_arn(region));
        Self {
            config,
            role_arn,
            fetcher,
            discovered: RwLock::new(None),
            keys: RwLock::new(Arc::new(KeySet::default())),
            last_fetch: Mutex::new(None),
            tried: AtomicBool::new(false),
            jwks_fetches: AtomicU64::new(0),
        }
    }

    #[must_use]
    pub fn config(&self) -> &OpenIdConfig {
        &self.config
    }

    /// The role ARN of a role-based provider.
    #[must_use]
    pub fn role_arn(&self) -> Option<&str> {
        self.role_arn.as_deref()
    }

    /// Whether discovery succeeded.
    #[must_use]
    pub fn is_available(&self) -> bool {
        self.discovered
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some()
    }

    /// How many times the JWKS was fetched (for tests and benchmarks).
    #[must_use]
    pub fn jwks_fetches(&self) -> u64 {
        self.jwks_fetches.load(Ordering::Relaxed)
    }

    fn discovered(&self) -> Option<Discovered> {
        self.discovered
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Fetches the discovery document, then the keys.
    pub async fn discover(&self) -> Result<(), FetchError> {
        let doc = self.fetcher.get_json(&self.config.config_url).await?;
        let field = |name: &str| {
            doc.get(name)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| FetchError::NotJson {
                    url: self.config.config_url.clone(),
                    reason: format!("the discovery document has no `{name}`"),
                })
        };
        let discovered = Discovered {
            issuer: field("issuer")?,
            jwks_uri: field("jwks_uri")?,
            userinfo_endpoint: field("userinfo_endpoint").ok(),
        };
        if self.config.claim_userinfo && discovered.userinfo_endpoint.is_none() {
            return Err(FetchError::NotJson {
                url: self.config.config_url.clone(),
                reason:
                    "CLAIM_USERINFO is on but the discovery document has no `userinfo_endpoint`"
                        .into(),
            });
        }
        *self
            .discovered
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(discovered);
        self.fetch_keys().await
    }

    async fn fetch_keys(&self) -> Result<(), FetchError> {
        let Some(discovered) = self.discovered() else {
            return Ok(());
        };
        *self
            .last_fetch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
        self.jwks_fetches.fetch_add(1, Ordering::Relaxed);
        let jwks = self.fetcher.get_json(&discovered.jwks_uri).await?;
        let (set, skipped) = KeySet::parse(&jwks);
        tracing::info!(
            provider = self.config.label(),
            keys = set.keys.len(),
            fetches = self.jwks_fetches(),
            "JWKS fetched"
        );
        for why in &skipped {
            tracing::warn!(
                provider = self.config.label(),
                "skipping a key of the JWKS: {why}"
            );
        }
        if set.keys.is_empty() {
            tracing::error!(
                provider = self.config.label(),
                "the provider's JWKS holds no usable key"
            );
        }
        *self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(set);
        Ok(())
    }

    /// Whether an unknown `kid` may trigger a fetch now (at most once per interval).
    fn may_refetch(&self) -> bool {
        let mut last = self
            .last_fetch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match *last {
            Some(t) if t.elapsed() < MIN_REFETCH_INTERVAL => false,
            _ => {
                *last = Some(Instant::now());
                true
            }
        }
    }

    /// The claims the provider's UserInfo endpoint answers for `access_token`, which must be
    /// about `subject` (OpenID Connect Core 5.3.2: a UserInfo `sub` that differs from the ID
    /// token's is refused).
    pub async fn userinfo(
        &self,
        access_token: &str,
        subject: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, TokenError> {
        let endpoint = self
            .discovered()
            .and_then(|d| d.userinfo_endpoint)
            .ok_or_else(|| TokenError::ProviderNotReady(self.config.label().to_owned()))?;
        let answer = self
            .fetcher
            .get_json_as(&endpoint, Some(access_token))
            .await
            .map_err(|e| TokenError::UserInfo(e.to_string()))?;
        let serde_json::Value::Object(claims) = answer else {
            return Err(TokenError::UserInfo(
                "the answer is not a JSON object".into(),
            ));
        };
        match claims.get("sub").and_then(serde_json::Value::as_str) {
            Some(sub) if sub == subject => Ok(claims),
            _ => Err(TokenError::UserInfo(
                "its `sub` is not the ID token's: the access token belongs to someone else".into(),
            )),
        }
    }

    /// Verifies a token signed by this provider.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        let Some(discovered) = self.discovered() else {
            return Err(TokenError::ProviderNotReady(self.config.label().to_owned()));
        };
        let attempt = |keys: &KeySet| {
            verify(
                token,
                keys,
                self.config.label(),
                &discovered.issuer,
                &self.config.client_id,
                self.config.client_secret.as_deref(),
            )
        };
        let keys = Arc::clone(
            &self
                .keys
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        match attempt(&keys) {
            Err(TokenError::UnknownKey { .. }) if self.may_refetch() => {
                if let Err(e) = self.fetch_keys().await {
                    tracing::warn!(provider = self.config.label(), error = %e, "refreshing the JWKS failed");
                }
                let keys = Arc::clone(
                    &self
                        .keys
                        .read()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                attempt(&keys)
            }
            other => other,
        }
    }
}

/// Every configured provider.
#[derive(Debug)]
pub struct Providers {
    list: Vec<Arc<Provider>>,
}

impl Providers {
    /// The providers of `configs`; nothing is fetched until [`Providers::start`].
    #[must_use]
    pub fn new(configs: Vec<OpenIdConfig>, region: Option<&str>, fetcher: &Fetcher) -> Self {
        Self {
            list: configs
                .into_iter()
                .map(|c| Arc::new(Provider::new(c, region, fetcher.clone())))
                .collect(),
        }
    }

    /// No provider: the WebIdentity and ClientGrants flows answer that none is configured.
    #[must_use]
    pub fn none() -> Self {
        Self { list: Vec::new() }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    #[must_use]
    pub fn all(&self) -> &[Arc<Provider>] {
        &self.list
    }

    /// Discovers every provider in the background: a provider that is down is retried with
    /// backoff and reported; keys are refreshed every hour.
    pub fn start(&self) {
        for provider in &self.list {
            let provider = Arc::clone(provider);
            tokio::spawn(async move {
                let mut backoff = Duration::from_secs(1);
                loop {
                    match provider.discover().await {
                        Ok(()) => {
                            provider.tried.store(true, Ordering::Release);
                            tracing::info!(
                                provider = provider.config.label(),
                                role_arn = provider.role_arn().unwrap_or("-"),
                                "OpenID provider ready"
                            );
                            break;
                        }
                        Err(e) => {
                            provider.tried.store(true, Ordering::Release);
                            tracing::error!(provider = provider.config.label(), error = %e, retry_in_secs = backoff.as_secs(), "OpenID provider unavailable");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                        }
                    }
                }
                loop {
                    tokio::time::sleep(REFRESH_EVERY).await;
                    if let Err(e) = provider.fetch_keys().await {
                        tracing::warn!(provider = provider.config.label(), error = %e, "refreshing the JWKS failed");
                    }
                }
            });
        }
    }

    /// Whether every provider has had its first discovery attempt (ready or reported down).
    #[must_use]
    pub fn first_attempts_done(&self) -> bool {
        self.list.iter().all(|p| p.tried.load(Ordering::Acquire))
    }

    /// The role-based provider with this role ARN.
    #[must_use]
    pub fn by_role_arn(&self, arn: &str) -> Option<&Arc<Provider>> {
        self.list.iter().find(|p| p.role_arn() == Some(arn))
    }

    /// The claim-based provider (there is at most one).
    #[must_use]
    pub fn claim_based(&self) -> Option<&Arc<Provider>> {
        self.list.iter().find(|p| !p.config.is_role_based())
    }
}
