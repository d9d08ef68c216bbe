use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use jsonwebtoken::jwk::JwkSet;
use parking_lot::RwLock;

use super::config::AuthConfig;
use super::keys::{KeySource, VerificationKey, keys_by_kid};
use super::verifier::AuthError;

/// Identity's JWKS fetched over HTTP and cached.
///
/// A token with an unknown `kid` (a key rotated in since the last fetch) triggers a refetch, but
/// at most once per `min_refetch` so a flood of forged `kid`s cannot turn into a flood of
/// requests to identity. The whole set is also refetched once it is older than `max_age`.
#[derive(Clone)]
pub struct JwksClient {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    http: reqwest::Client,
    min_refetch: Duration,
    max_age: Duration,
    cache: RwLock<Cache>,
    /// Serializes fetches: concurrent misses wait for one request instead of sending many.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, VerificationKey>,
    fetched_at: Option<Instant>,
}

impl JwksClient {
    pub fn new(url: impl Into<String>, config: &AuthConfig) -> Result<Self, AuthError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.fetch_timeout_ms))
            .build()
            .map_err(|e| AuthError::KeysUnavailable(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                url: url.into(),
                http,
                min_refetch: Duration::from_secs(config.min_refetch_seconds),
                max_age: Duration::from_secs(config.max_cache_seconds),
                cache: RwLock::new(Cache::default()),
                fetching: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Fetches the set now, replacing the cache.
    pub async fn refresh(&self) -> Result<(), AuthError> {
        let response = self
            .inner
            .http
            .get(&self.inner.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| AuthError::KeysUnavailable(e.to_string()))?;
        let set: JwkSet = response
            .json()
            .await
            .map_err(|e| AuthError::KeysUnavailable(format!("malformed JWKS: {e}")))?;
        let keys = keys_by_kid(&set);
        tracing::debug!(url = %self.inner.url, keys = keys.len(), "fetched JWKS");
        let mut cache = self.inner.cache.write();
        cache.keys = keys;
        cache.fetched_at = Some(Instant::now());
        Ok(())
    }

    fn cached(&self, kid: &str) -> (Option<VerificationKey>, Option<Instant>) {
        let cache = self.inner.cache.read();
        (cache.keys.get(kid).cloned(), cache.fetched_at)
    }

    async fn lookup(&self, kid: &str) -> Result<Option<VerificationKey>, AuthError> {
        let (key, fetched_at) = self.cached(kid);
        let age = fetched_at.map(|at| at.elapsed());
        let stale = age.is_none_or(|age| age >= self.inner.max_age);
        if key.is_some() && !stale {
            return Ok(key);
        }
        // A miss refetches only when the last fetch is old enough; a stale hit always may.
        let may_fetch = age.is_none_or(|age| age >= self.inner.min_refetch) || stale;
        if !may_fetch {
            return Ok(key);
        }
        let _guard = self.inner.fetching.lock().await;
        // Another request may have fetched while this one waited.
        let (again, fetched_again) = self.cached(kid);
        if fetched_again != fetched_at {
            return Ok(again);
        }
        match self.refresh().await {
            Ok(()) => Ok(self.cached(kid).0),
            Err(error) => {
                // Count the attempt as a fetch so an unreachable identity is retried once per
                // interval, not on every request; keys already known keep working meanwhile.
                self.inner.cache.write().fetched_at = Some(Instant::now());
                if key.is_some() {
                    tracing::warn!(%error, "JWKS refresh failed; using cached keys");
                    Ok(key)
                } else {
                    Err(error)
                }
            }
        }
    }
}

impl KeySource for JwksClient {
    fn key<'a>(
        &'a self,
        kid: &'a str,
    ) -> BoxFuture<'a, Result<Option<VerificationKey>, AuthError>> {
        Box::pin(self.lookup(kid))
    }
}
