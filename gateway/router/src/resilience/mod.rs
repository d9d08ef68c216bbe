//! Resilience toward subgraphs, applied by the subgraph client around every call: a circuit
//! breaker per subgraph, retries with jittered backoff for queries only, deduplication of
//! identical in-flight queries, and the per-request headers the header rules produce.
pub mod breaker;
pub mod dedup;
pub mod headers;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use breaker::Breaker;

/// `gateway.resilience`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResilienceConfig {
    pub retry: RetryConfig,
    pub circuit_breaker: BreakerConfig,
    /// Share one subgraph call between identical queries in flight at the same time.
    pub dedup_queries: bool,
}

impl Default for ResilienceConfig {
    fn default() -> Self {
        Self {
            retry: RetryConfig::default(),
            circuit_breaker: BreakerConfig::default(),
            dedup_queries: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Extra attempts after a failed query (transport error, timeout, HTTP 5xx). Mutations
    /// are never retried.
    pub attempts: u32,
    /// First backoff, doubled per attempt, each with full jitter.
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            attempts: 0,
            base_delay_ms: 50,
            max_delay_ms: 1_000,
        }
    }
}

impl RetryConfig {
    /// The pause before retry number `attempt` (1-based): uniform in `[0, base·2^(n-1)]`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay_ms
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
            .min(self.max_delay_ms);
        Duration::from_millis(rand::random_range(0..=ceiling))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    pub enabled: bool,
    /// Consecutive failures that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before one probe is let through (half-open).
    pub cooldown_ms: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            failure_threshold: 5,
            cooldown_ms: 10_000,
        }
    }
}

/// The shared resilience state of one gateway.
pub struct Resilience {
    pub config: ResilienceConfig,
    breakers: Mutex<HashMap<String, Arc<Breaker>>>,
    pub dedup: dedup::InFlight,
    /// Subgraph names by URL, for metric labels.
    names: Mutex<HashMap<String, String>>,
}

impl Resilience {
    pub fn new(config: &ResilienceConfig) -> Self {
        Self {
            config: config.clone(),
            breakers: Mutex::new(HashMap::new()),
            dedup: dedup::InFlight::default(),
            names: Mutex::new(HashMap::new()),
        }
    }

    /// The breaker of the subgraph at `url`; `None` when breakers are off.
    pub fn breaker(&self, url: &str) -> Option<Arc<Breaker>> {
        if !self.config.circuit_breaker.enabled {
            return None;
        }
        let mut breakers = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        Some(
            breakers
                .entry(url.to_string())
                .or_insert_with(|| Arc::new(Breaker::new(&self.config.circuit_breaker)))
                .clone(),
        )
    }

    pub fn set_names(&self, names: impl IntoIterator<Item = (String, String)>) {
        let mut map = self.names.lock().unwrap_or_else(|p| p.into_inner());
        map.clear();
        map.extend(names);
    }

    /// The subgraph name for `url` (the URL itself when unknown).
    pub fn name(&self, url: &str) -> String {
        self.names
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(url)
            .cloned()
            .unwrap_or_else(|| url.to_string())
    }
}
