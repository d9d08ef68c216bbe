//! The gateway's configuration: the `gateway:` section of the platform config, or the
//! standalone binary's flags. Every field has a default so the gateway starts with none.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// Address the gateway listens on.
    pub listen: SocketAddr,
    /// Path of the supergraph SDL file.
    pub supergraph: PathBuf,
    /// Per-subgraph settings, keyed by the subgraph's name in the supergraph.
    pub subgraphs: BTreeMap<String, SubgraphOverride>,
    /// The pooled HTTP client used for every subgraph.
    pub pool: PoolConfig,
    pub limits: LimitsConfig,
    pub caches: CachesConfig,
    /// Answer a request that sends `x-query-plan: include` with its query plan in
    /// `extensions.queryPlan` (`{text, tree}`). Off in production: plans reveal the subgraphs.
    pub expose_query_plan: bool,
    /// Serve the web playground at `/` and `/playground` to browsers (GET, `Accept: text/html`).
    pub playground: bool,
    /// Answer `__schema` and `__type`. `__typename` is always answered.
    pub introspection: bool,
    /// Custom progressive-override labels (`@override(label:)`) that are on. `percent(N)`
    /// labels are drawn per request instead.
    pub enabled_override_labels: Vec<String>,
    /// JWT authentication and the authorization directives.
    pub auth: crate::auth::AuthConfig,
    pub rate_limit: crate::rate_limit::RateLimitConfig,
    pub persisted: crate::persisted::PersistedConfig,
    pub csrf: crate::http::csrf::CsrfConfig,
    pub cors: crate::http::cors::CorsConfig,
    /// Timeouts aside (see `subgraphs`), how subgraph calls are protected.
    pub resilience: crate::resilience::ResilienceConfig,
    /// Headers sent to subgraphs.
    pub headers: crate::resilience::headers::HeaderRules,
    /// Identical client queries in flight share one execution (off by default).
    pub inbound_dedup: crate::http::inbound_dedup::InboundDedupConfig,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            supergraph: PathBuf::from("schema/supergraph.graphql"),
            subgraphs: BTreeMap::new(),
            pool: PoolConfig::default(),
            limits: LimitsConfig::default(),
            caches: CachesConfig::default(),
            expose_query_plan: false,
            playground: false,
            introspection: true,
            enabled_override_labels: Vec::new(),
            auth: Default::default(),
            rate_limit: Default::default(),
            persisted: Default::default(),
            csrf: Default::default(),
            cors: Default::default(),
            resilience: Default::default(),
            headers: Default::default(),
            inbound_dedup: Default::default(),
        }
    }
}

impl GatewayConfig {
    /// The request timeout for `subgraph`: its override, else the pool's default.
    pub fn subgraph_timeout(&self, subgraph: &str) -> Duration {
        self.subgraphs
            .get(subgraph)
            .and_then(|o| o.timeout_ms)
            .map_or(
                Duration::from_millis(self.pool.timeout_ms),
                Duration::from_millis,
            )
    }
}

/// Replaces what the supergraph says about one subgraph.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubgraphOverride {
    /// Use this URL instead of the one in `@join__graph(url:)`.
    pub url: Option<String>,
    /// Request timeout in milliseconds for this subgraph.
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolConfig {
    /// Default request timeout for subgraph calls, in milliseconds.
    pub timeout_ms: u64,
    /// Idle keep-alive connections kept per subgraph host.
    pub max_idle_per_host: usize,
    /// How long an idle connection is kept, in milliseconds.
    pub idle_timeout_ms: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            timeout_ms: 30_000,
            max_idle_per_host: 32,
            idle_timeout_ms: 90_000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest accepted number of lexical tokens in an operation.
    pub max_tokens: usize,
    /// Deepest accepted parser recursion (nesting of selections and values).
    pub max_recursion: usize,
    /// Deepest field nesting of an operation (through fragments).
    pub max_depth: Option<u32>,
    /// Most aliased fields in an operation.
    pub max_aliases: Option<u32>,
    /// Most fields selected at the root.
    pub max_root_fields: Option<u32>,
    /// Most directive applications in an operation.
    pub max_directives: Option<u32>,
    /// Highest `@cost`/`@listSize` cost of an operation.
    pub max_cost: Option<u32>,
    /// Items assumed for a list field without `@listSize` or a slicing argument.
    pub default_list_size: u32,
    /// Most operations in one batched (JSON array) request.
    pub max_batch: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 2 * 1024 * 1024,
            max_tokens: 15_000,
            max_recursion: 500,
            max_depth: None,
            max_aliases: None,
            max_root_fields: None,
            max_directives: None,
            max_cost: None,
            default_list_size: 10,
            max_batch: 16,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CachesConfig {
    /// Parsed and validated documents kept.
    pub documents: u64,
    /// Query plans kept.
    pub plans: u64,
}

impl Default for CachesConfig {
    fn default() -> Self {
        Self {
            documents: 1_000,
            plans: 1_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_section_takes_defaults() {
        let config: GatewayConfig = serde_json::from_str("{}").expect("empty config");
        assert_eq!(config.listen.port(), 4000);
        assert!(config.introspection);
        assert_eq!(config.subgraph_timeout("any"), Duration::from_secs(30));
    }

    #[test]
    fn subgraph_override_and_unknown_keys() {
        let config: GatewayConfig = serde_json::from_str(
            r#"{"subgraphs": {"products": {"url": "http://x/graphql", "timeout_ms": 50}}}"#,
        )
        .expect("config");
        assert_eq!(
            config.subgraph_timeout("products"),
            Duration::from_millis(50)
        );
        assert_eq!(config.subgraph_timeout("other"), Duration::from_secs(30));
        let err = serde_json::from_str::<GatewayConfig>(r#"{"pool": {"timeout": 1}}"#)
            .expect_err("unknown key");
        assert!(err.to_string().contains("unknown field `timeout`"), "{err}");
    }
}
