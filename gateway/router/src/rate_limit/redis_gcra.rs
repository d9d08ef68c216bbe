//! GCRA in one Redis Lua script: the theoretical arrival time per key, read and advanced
//! atomically with Redis' own clock, so every replica spends the same budget.
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;
use tokio::sync::OnceCell;

use super::RateRule;

/// KEYS[1]: the budget; ARGV[1]: emission interval (µs); ARGV[2]: burst tolerance (µs).
/// Returns `{allowed, retry_after_µs}`.
const GCRA: &str = r"
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local emission = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now_us)
if tat < now_us then tat = now_us end
local new_tat = tat + emission
local allow_at = new_tat - tolerance
if allow_at > now_us then
  return {0, allow_at - now_us}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now_us) / 1000) + 1)
return {1, 0}
";

pub struct RedisGcra {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    script: Script,
    /// After a failed connect, requests skip Redis until then instead of each waiting on
    /// a connect timeout.
    retry_connect_at: std::sync::Mutex<Option<std::time::Instant>>,
}

/// How long a connect may take, and how long to wait after one failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_BACKOFF: Duration = Duration::from_secs(1);

impl RedisGcra {
    pub fn new(url: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            connection: OnceCell::new(),
            script: Script::new(GCRA),
            retry_connect_at: std::sync::Mutex::new(None),
        })
    }

    /// `Ok(Ok(()))` allowed, `Ok(Err(retry_after))` limited, `Err` Redis failed.
    pub async fn check(
        &self,
        key: &str,
        rule: &RateRule,
    ) -> Result<Result<(), Duration>, redis::RedisError> {
        let mut connection = self.connection().await?;
        let window_us = rule.window_ms.saturating_mul(1000);
        let emission = window_us / u64::from(rule.limit.max(1));
        let (allowed, retry_us): (i64, i64) = tokio::time::timeout(
            Duration::from_secs(2),
            self.script
                .key(key)
                .arg(emission)
                .arg(window_us)
                .invoke_async(&mut connection),
        )
        .await
        .map_err(|_| redis::RedisError::from((redis::ErrorKind::Io, "timed out")))??;
        Ok(if allowed == 1 {
            Ok(())
        } else {
            Err(Duration::from_micros(retry_us.max(0).unsigned_abs()))
        })
    }

    async fn connection(&self) -> Result<ConnectionManager, redis::RedisError> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection.clone());
        }
        let unavailable = || redis::RedisError::from((redis::ErrorKind::Io, "Redis unavailable"));
        {
            let retry_at = self
                .retry_connect_at
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if retry_at.is_some_and(|at| std::time::Instant::now() < at) {
                return Err(unavailable());
            }
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_connection_timeout(Some(CONNECT_TIMEOUT));
        let connected = self
            .connection
            .get_or_try_init(|| async {
                tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    ConnectionManager::new_with_config(self.client.clone(), config),
                )
                .await
                .map_err(|_| unavailable())?
            })
            .await;
        match connected {
            Ok(connection) => Ok(connection.clone()),
            Err(error) => {
                *self
                    .retry_connect_at
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) =
                    Some(std::time::Instant::now() + CONNECT_BACKOFF);
                Err(error)
            }
        }
    }
}
