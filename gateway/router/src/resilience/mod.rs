//! Resilience toward subgraphs, applied by the subgraph client around every call: a circuit
//! breaker per subgraph, retries with jittered backoff for queries only, deduplication of
//! identical in-flight queries, and the per-request headers the header rules produce.
pub mod breaker;
pub mod dedup;
pub mod headers;

use std::collections::{BTreeMap, HashMap};
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
    /// Per-subgraph replacements of the settings above, by subgraph name.
    pub subgraphs: BTreeMap<String, SubgraphResilience>,
}

impl Default for ResilienceConfig {
    fn default() -> Self {
        Self {
            retry: RetryConfig::default(),
            circuit_breaker: BreakerConfig::default(),
            dedup_queries: true,
            subgraphs: BTreeMap::new(),
        }
    }
}

/// What one subgraph does differently; absent keys keep the gateway-wide setting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubgraphResilience {
    pub retry: Option<RetryConfig>,
    pub circuit_breaker: Option<BreakerConfig>,
    pub dedup_queries: Option<bool>,
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

    fn overrides(&self, subgraph: &str) -> Option<&SubgraphResilience> {
        self.config.subgraphs.get(subgraph)
    }

    /// The breaker of `subgraph` at `url`; `None` when its breaker is off.
    pub fn breaker(&self, subgraph: &str, url: &str) -> Option<Arc<Breaker>> {
        let config = self
            .overrides(subgraph)
            .and_then(|o| o.circuit_breaker.as_ref())
            .unwrap_or(&self.config.circuit_breaker);
        if !config.enabled {
            return None;
        }
        let mut breakers = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        Some(
            breakers
                .entry(url.to_string())
                .or_insert_with(|| Arc::new(Breaker::new(config)))
                .clone(),
        )
    }

    pub fn retry(&self, subgraph: &str) -> &RetryConfig {
        self.overrides(subgraph)
            .and_then(|o| o.retry.as_ref())
            .unwrap_or(&self.config.retry)
    }

    pub fn dedup_queries(&self, subgraph: &str) -> bool {
        self.overrides(subgraph)
            .and_then(|o| o.dedup_queries)
            .unwrap_or(self.config.dedup_queries)
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
