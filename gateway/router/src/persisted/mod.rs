//! Stage: persisted operations, before the document stage. Automatic Persisted Queries
//! (`extensions.persistedQuery.sha256Hash`: a miss answers `PERSISTED_QUERY_NOT_FOUND`, a
//! hash plus its query registers it after the hash is verified) and a safelist manifest
//! (`{"<sha256>": "<operation>"}`) with a mode that runs nothing else.
pub mod store;

use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{
    GraphqlError, PERSISTED_QUERY_HASH_MISMATCH, PERSISTED_QUERY_NOT_FOUND,
    PERSISTED_QUERY_NOT_IN_LIST, PERSISTED_QUERY_NOT_SUPPORTED,
};
use crate::pipeline::GraphqlRequest;
use store::ApqStore;

/// `gateway.persisted`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PersistedConfig {
    /// Accept Automatic Persisted Queries.
    pub apq: bool,
    /// Operations kept in memory for APQ.
    pub capacity: u64,
    /// Keep APQ operations in Redis (shared by replicas) instead of memory.
    pub redis_url: Option<String>,
    /// How long an APQ operation lives in Redis, in seconds.
    pub redis_ttl_seconds: u64,
    /// A JSON manifest `{"<sha256>": "<operation text>"}`.
    pub safelist: Option<PathBuf>,
    /// Run only operations of the safelist (by hash, or by text whose hash is listed).
    pub safelist_only: bool,
}

impl Default for PersistedConfig {
    fn default() -> Self {
        Self {
            apq: true,
            capacity: 10_000,
            redis_url: None,
            redis_ttl_seconds: 86_400,
            safelist: None,
            safelist_only: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PersistedError {
    #[error("cannot read the safelist {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the safelist {path} is not a JSON object of hash to operation: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid Redis URL: {0}")]
    Redis(#[from] redis::RedisError),
}

pub struct PersistedOperations {
    config: PersistedConfig,
    safelist: HashMap<String, String>,
    apq: ApqStore,
}

impl PersistedOperations {
    pub fn new(config: &PersistedConfig) -> Result<Self, PersistedError> {
        let safelist = match &config.safelist {
            None => HashMap::new(),
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| PersistedError::Read {
                        path: path.clone(),
                        source,
                    })?;
                let list: HashMap<String, String> =
                    serde_json::from_str(&text).map_err(|source| PersistedError::Parse {
                        path: path.clone(),
                        source,
                    })?;
                list.into_iter()
                    .map(|(hash, query)| (hash.to_ascii_lowercase(), query))
                    .collect()
            }
        };
        Ok(Self {
            apq: ApqStore::new(config)?,
            config: config.clone(),
            safelist,
        })
    }

    /// Fills `request.query` from its persisted hash, registers a new APQ operation, and
    /// enforces safelist-only mode.
    pub async fn resolve(&self, request: &mut GraphqlRequest) -> Result<(), Box<GraphqlError>> {
        let hash = request
            .extensions
            .as_ref()
            .and_then(|e| e.get("persistedQuery"))
            .and_then(|p| p.get("sha256Hash"))
            .and_then(|h| h.as_str())
            .map(str::to_ascii_lowercase);
        let query = request.query.as_deref().filter(|q| !q.is_empty());
        match (hash, query) {
            (None, None) => Ok(()),
            (None, Some(query)) => self.check_listed(&sha256(query)),
            (Some(hash), Some(query)) => {
                let actual = sha256(query);
                if actual != hash {
                    return Err(Box::new(GraphqlError::with_code(
                        "The query does not match `persistedQuery.sha256Hash`",
                        PERSISTED_QUERY_HASH_MISMATCH,
                    )));
                }
                if self.safelist.contains_key(&hash) {
                    return Ok(());
                }
                self.check_listed(&hash)?;
                if self.config.apq {
                    self.apq.insert(&hash, query).await;
                }
                Ok(())
            }
            (Some(hash), None) => {
                if let Some(query) = self.safelist.get(&hash) {
                    request.query = Some(query.clone());
                    return Ok(());
                }
                if self.config.safelist_only {
                    return Err(Box::new(not_in_list()));
                }
                if !self.config.apq {
                    return Err(Box::new(GraphqlError::with_code(
                        "Persisted queries are not supported",
                        PERSISTED_QUERY_NOT_SUPPORTED,
                    )));
                }
                match self.apq.get(&hash).await {
                    Some(query) => {
                        metrics::counter!("gateway_cache_hits_total", "cache" => "apq")
                            .increment(1);
                        request.query = Some(query);
                        Ok(())
                    }
                    None => {
                        metrics::counter!("gateway_cache_misses_total", "cache" => "apq")
                            .increment(1);
                        Err(Box::new(GraphqlError::with_code(
                            "PersistedQueryNotFound",
                            PERSISTED_QUERY_NOT_FOUND,
                        )))
                    }
                }
            }
        }
    }

    fn check_listed(&self, hash: &str) -> Result<(), Box<GraphqlError>> {
        if self.config.safelist_only && !self.safelist.contains_key(hash) {
            return Err(Box::new(not_in_list()));
        }
        Ok(())
    }
}

fn not_in_list() -> GraphqlError {
    GraphqlError::with_code(
        "Only persisted operations from the safelist may run",
        PERSISTED_QUERY_NOT_IN_LIST,
    )
}

/// Lowercase hex SHA-256, as APQ clients send it.
pub fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}
