//! JSON Web Key Sets: a parsed set of verification keys, and a remote set that is fetched
//! over HTTP, refetched when a token names an unknown `kid` (at most once per floor
//! interval), and kept when the URL fails.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::Uri;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::AuthError;

#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("no `jwks_url`, `jwks` or `secret`")]
    NoKeys,
    #[error("invalid JWKS: {0}")]
    Parse(#[source] serde_json::Error),
    #[error("invalid JWKS URL: {0}")]
    Url(#[source] http::uri::InvalidUri),
    #[error("fetching the JWKS failed: {0}")]
    Fetch(String),
}

/// One usable key: the algorithm family it verifies and the key.
#[derive(Clone)]
struct Key {
    algorithms: &'static [Algorithm],
    key: DecodingKey,
}

/// Keys by `kid`; keys without `kid` are kept aside for tokens without one.
#[derive(Clone, Default)]
pub struct KeySet {
    by_kid: HashMap<String, Key>,
    anonymous: Vec<Key>,
}

impl KeySet {
    pub fn from_value(value: &serde_json::Value) -> Result<Self, JwksError> {
        let set: JwkSet = serde_json::from_value(value.clone()).map_err(JwksError::Parse)?;
        Ok(Self::from_set(&set))
    }

    pub fn from_set(set: &JwkSet) -> Self {
        let mut keys = Self::default();
        for jwk in &set.keys {
            let Some(key) = usable(jwk) else {
                continue;
            };
            match &jwk.common.key_id {
                Some(kid) => {
                    keys.by_kid.insert(kid.clone(), key);
                }
                None => keys.anonymous.push(key),
            }
        }
        keys
    }

    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
        let candidates: Vec<&Key> = match kid {
            Some(kid) => self.by_kid.get(kid).into_iter().collect(),
            None => self.anonymous.iter().collect(),
        };
        // A token's `alg` must belong to the key's own family: an HS token "signed" with a
        // public key, or an RS token against an Ed key, never verifies.
        candidates
            .into_iter()
            .find(|k| k.algorithms.contains(&alg))
            .map(|k| k.key.clone())
    }

    pub fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, AuthError> {
        self.find(kid, alg).ok_or(AuthError::UnknownKey)
    }
}

/// The algorithms a JWK can verify (narrowed by its `alg` when present), or `None` for
/// symmetric or unsupported keys: a JWKS never carries HMAC secrets for us.
fn usable(jwk: &Jwk) -> Option<Key> {
    let family: &'static [Algorithm] = match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(_) => &[Algorithm::EdDSA],
        AlgorithmParameters::EllipticCurve(_) => &[Algorithm::ES256, Algorithm::ES384],
        AlgorithmParameters::RSA(_) => &[
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ],
        AlgorithmParameters::OctetKey(_) => return None,
    };
    let algorithms = match jwk.common.key_algorithm {
        None => family,
        Some(declared) => {
            let declared = match declared {
                KeyAlgorithm::EdDSA => Algorithm::EdDSA,
                KeyAlgorithm::ES256 => Algorithm::ES256,
                KeyAlgorithm::ES384 => Algorithm::ES384,
                KeyAlgorithm::RS256 => Algorithm::RS256,
                KeyAlgorithm::RS384 => Algorithm::RS384,
                KeyAlgorithm::RS512 => Algorithm::RS512,
                KeyAlgorithm::PS256 => Algorithm::PS256,
                KeyAlgorithm::PS384 => Algorithm::PS384,
                KeyAlgorithm::PS512 => Algorithm::PS512,
                _ => return None,
            };
            let index = family.iter().position(|a| *a == declared)?;
            &family[index..=index]
        }
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(Key { algorithms, key })
}

/// Fetches `remote` now, then every `interval` (never when zero), until the gateway that
/// owns it is gone.
pub async fn keep_fresh(remote: std::sync::Weak<RemoteJwks>, interval: Duration) {
    loop {
        {
            let Some(remote) = remote.upgrade() else {
                return;
            };
            remote.refresh().await;
        }
        if interval.is_zero() {
            return;
        }
        tokio::time::sleep(interval).await;
    }
}

/// The refetch floor after a failed fetch, when shorter than the configured one.
const FAILED_FETCH_FLOOR: Duration = Duration::from_secs(1);

/// A JWKS behind a URL.
pub struct RemoteJwks {
    url: Uri,
    floor: Duration,
    keys: ArcSwap<KeySet>,
    /// When the last fetch started and whether it succeeded; `None` before the first.
    last_fetch: tokio::sync::Mutex<Option<(Instant, bool)>>,
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl RemoteJwks {
    pub fn new(url: &str, floor_ms: u64) -> Result<Self, JwksError> {
        Ok(Self {
            url: url.parse().map_err(JwksError::Url)?,
            floor: Duration::from_millis(floor_ms),
            keys: ArcSwap::new(Arc::new(KeySet::default())),
            last_fetch: tokio::sync::Mutex::new(None),
            client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
        })
    }

    /// The key for `kid`; an unknown `kid` triggers a refetch unless one ran within the
    /// floor interval.
    pub async fn key_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<DecodingKey, AuthError> {
        if let Some(key) = self.keys.load().find(kid, alg) {
            metrics::counter!("gateway_cache_hits_total", "cache" => "jwks").increment(1);
            return Ok(key);
        }
        metrics::counter!("gateway_cache_misses_total", "cache" => "jwks").increment(1);
        self.refresh().await;
        self.keys.load().key_for(kid, alg)
    }

    /// Refetches unless the floor forbids it. Concurrent callers wait for one fetch.
    pub async fn refresh(&self) {
        let mut last = self.last_fetch.lock().await;
        // After a failure (say the issuer was still starting) retry sooner: a token with a
        // key we have never seen would otherwise be refused for the whole floor.
        let wait = |ok: bool| {
            if ok {
                self.floor
            } else {
                self.floor.min(FAILED_FETCH_FLOOR)
            }
        };
        if last.is_some_and(|(at, ok)| at.elapsed() < wait(ok)) {
            return;
        }
        let started = Instant::now();
        let fetched = self.fetch().await;
        *last = Some((started, fetched.is_ok()));
        match fetched {
            Ok(set) => self.keys.store(Arc::new(set)),
            Err(error) => {
                metrics::counter!("gateway_jwks_fetch_failures_total").increment(1);
                tracing::warn!(url = %self.url, %error, "JWKS fetch failed; keeping the last good key set");
            }
        }
    }

    async fn fetch(&self) -> Result<KeySet, JwksError> {
        let request = http::Request::get(self.url.clone())
            .header(http::header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|e| JwksError::Fetch(e.to_string()))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| JwksError::Fetch(e.to_string()))?;
            if !response.status().is_success() {
                return Err(JwksError::Fetch(format!("HTTP {}", response.status())));
            }
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| JwksError::Fetch(e.to_string()))?
                .to_bytes();
            let set: JwkSet = serde_json::from_slice(&body).map_err(JwksError::Parse)?;
            Ok(KeySet::from_set(&set))
        };
        tokio::time::timeout(Duration::from_secs(10), exchange)
            .await
            .map_err(|_| JwksError::Fetch("timed out".to_string()))?
    }
}
