//! Where APQ operations live: a bounded in-memory cache, or Redis shared by replicas.
use std::time::Duration;

use moka::sync::Cache;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use tokio::sync::OnceCell;

use super::{PersistedConfig, PersistedError};

pub enum ApqStore {
    Memory(Cache<String, String>),
    Redis {
        client: redis::Client,
        connection: OnceCell<ConnectionManager>,
        ttl: u64,
    },
}

const PREFIX: &str = "gateway:apq:";

impl ApqStore {
    pub fn new(config: &PersistedConfig) -> Result<Self, PersistedError> {
        Ok(match &config.redis_url {
            None => Self::Memory(Cache::new(config.capacity)),
            Some(url) => Self::Redis {
                client: redis::Client::open(url.as_str())?,
                connection: OnceCell::new(),
                ttl: config.redis_ttl_seconds,
            },
        })
    }

    pub async fn get(&self, hash: &str) -> Option<String> {
        match self {
            Self::Memory(cache) => cache.get(hash),
            Self::Redis { .. } => {
                let mut connection = self.connection().await?;
                match connection
                    .get::<_, Option<String>>(format!("{PREFIX}{hash}"))
                    .await
                {
                    Ok(value) => value,
                    Err(error) => {
                        tracing::warn!(%error, "APQ lookup in Redis failed");
                        None
                    }
                }
            }
        }
    }

    pub async fn insert(&self, hash: &str, query: &str) {
        match self {
            Self::Memory(cache) => cache.insert(hash.to_string(), query.to_string()),
            Self::Redis { ttl, .. } => {
                let Some(mut connection) = self.connection().await else {
                    return;
                };
                let result: Result<(), _> = connection
                    .set_ex(format!("{PREFIX}{hash}"), query, *ttl)
                    .await;
                if let Err(error) = result {
                    tracing::warn!(%error, "APQ registration in Redis failed");
                }
            }
        }
    }

    async fn connection(&self) -> Option<ConnectionManager> {
        let Self::Redis {
            client, connection, ..
        } = self
        else {
            return None;
        };
        let connect = async {
            tokio::time::timeout(
                Duration::from_secs(2),
                ConnectionManager::new_with_config(
                    client.clone(),
                    redis::aio::ConnectionManagerConfig::new()
                        .set_number_of_retries(1)
                        .set_connection_timeout(Some(Duration::from_secs(2))),
                ),
            )
            .await
            .map_err(|_| "timed out".to_string())?
            .map_err(|e| e.to_string())
        };
        match connection.get_or_try_init(|| connect).await {
            Ok(manager) => Some(manager.clone()),
            Err(error) => {
                tracing::warn!(%error, "cannot connect to Redis for APQ");
                None
            }
        }
    }
}
