//! The `events:` config section: which bus, and how the relay and consumers pace themselves.
//!
//! ```yaml
//! events:
//!   bus: redis                  # in_process (default: one process) or redis
//!   redis:
//!     url: redis://127.0.0.1:6379
//!     stream: platform:events
//!   retry: { max_attempts: 8, initial_backoff_ms: 100, max_backoff_ms: 10000 }
//!   relay: { batch_size: 200, poll_interval_ms: 250, keep_sent_days: 7 }
//! ```
//!
//! `platform dev` runs every service in one process with one [`InProcessBus`] shared by all;
//! [`EventsConfig::connect`] builds a new bus, so call it once per process and share the `Arc`.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::bus::{BusError, EventBus, RetryPolicy};
use super::in_process::{InProcessBus, InProcessSettings};
use super::redis_streams::{RedisStreamsBus, RedisStreamsSettings};
use super::relay::RelaySettings;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    pub bus: BusKind,
    pub redis: RedisBusConfig,
    pub retry: RetryConfig,
    pub relay: RelayConfig,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusKind {
    /// In memory, within one process (the embedded default).
    #[default]
    InProcess,
    /// Redis Streams, shared by every process.
    Redis,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisBusConfig {
    /// Required when `bus: redis`.
    pub url: Option<String>,
    pub stream: String,
    /// Defaults to `<stream>:dead-letter`.
    pub dead_letter_stream: Option<String>,
    /// Approximate cap on the stream length; unset keeps every entry.
    pub max_len: Option<usize>,
    pub batch_size: usize,
    pub block_ms: u64,
    /// Entries pending this long on a consumer are taken over by another.
    pub claim_idle_ms: u64,
    pub claim_interval_ms: u64,
    pub max_deliveries: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    pub max_attempts: u32,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelayConfig {
    pub batch_size: i64,
    pub poll_interval_ms: u64,
    /// Sent outbox rows are deleted after this many days; unset keeps them.
    pub keep_sent_days: Option<u32>,
}

impl Default for RedisBusConfig {
    fn default() -> Self {
        let defaults = RedisStreamsSettings::default();
        Self {
            url: None,
            stream: defaults.stream,
            dead_letter_stream: None,
            max_len: None,
            batch_size: defaults.batch_size,
            block_ms: millis(defaults.block),
            claim_idle_ms: millis(defaults.claim_idle),
            claim_interval_ms: millis(defaults.claim_interval),
            max_deliveries: defaults.max_deliveries,
        }
    }
}

impl Default for RetryConfig {
    fn default() -> Self {
        let defaults = RetryPolicy::default();
        Self {
            max_attempts: defaults.max_attempts,
            initial_backoff_ms: millis(defaults.initial_backoff),
            max_backoff_ms: millis(defaults.max_backoff),
        }
    }
}

impl Default for RelayConfig {
    fn default() -> Self {
        let defaults = RelaySettings::default();
        Self {
            batch_size: defaults.batch_size,
            poll_interval_ms: millis(defaults.poll_interval),
            keep_sent_days: Some(7),
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl EventsConfig {
    /// Checks what serde cannot; the error names the key (`events.redis.url`) and why.
    pub fn validate(&self) -> Result<(), BusError> {
        let fail = |key: &str, why: &str| Err(BusError::Config(format!("events.{key}: {why}")));
        if self.bus == BusKind::Redis {
            match self.redis.url.as_deref() {
                None | Some("") => return fail("redis.url", "required when events.bus is redis"),
                Some(url) if !url.starts_with("redis://") && !url.starts_with("rediss://") => {
                    return fail("redis.url", "must start with redis:// or rediss://");
                }
                Some(_) => {}
            }
            if self.redis.stream.is_empty() {
                return fail("redis.stream", "must not be empty");
            }
            if self.redis.batch_size == 0 {
                return fail("redis.batch_size", "must be at least 1");
            }
            if self.redis.block_ms == 0 {
                return fail("redis.block_ms", "must be at least 1");
            }
            if self.redis.claim_idle_ms == 0 {
                return fail("redis.claim_idle_ms", "must be at least 1");
            }
        }
        if self.retry.max_attempts == 0 {
            return fail("retry.max_attempts", "must be at least 1");
        }
        if self.relay.batch_size < 1 {
            return fail("relay.batch_size", "must be at least 1");
        }
        if self.relay.poll_interval_ms == 0 {
            return fail("relay.poll_interval_ms", "must be at least 1");
        }
        Ok(())
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.retry.max_attempts,
            initial_backoff: Duration::from_millis(self.retry.initial_backoff_ms),
            max_backoff: Duration::from_millis(self.retry.max_backoff_ms),
        }
    }

    pub fn relay_settings(&self) -> RelaySettings {
        RelaySettings {
            batch_size: self.relay.batch_size,
            poll_interval: Duration::from_millis(self.relay.poll_interval_ms),
            keep_sent: self
                .relay
                .keep_sent_days
                .map(|days| Duration::from_secs(u64::from(days) * 86_400)),
            ..RelaySettings::default()
        }
    }

    pub fn redis_settings(&self) -> RedisStreamsSettings {
        let redis = &self.redis;
        RedisStreamsSettings {
            stream: redis.stream.clone(),
            dead_letter_stream: redis.dead_letter_stream.clone(),
            max_len: redis.max_len,
            batch_size: redis.batch_size,
            block: Duration::from_millis(redis.block_ms),
            claim_idle: Duration::from_millis(redis.claim_idle_ms),
            claim_interval: Duration::from_millis(redis.claim_interval_ms),
            max_deliveries: redis.max_deliveries,
            retry: self.retry_policy(),
        }
    }

    /// Validates, then builds the configured bus (connecting to Redis when it is one).
    pub async fn connect(&self) -> Result<Arc<dyn EventBus>, BusError> {
        self.validate()?;
        Ok(match self.bus {
            BusKind::InProcess => Arc::new(InProcessBus::new(InProcessSettings {
                retry: self.retry_policy(),
                ..InProcessSettings::default()
            })),
            BusKind::Redis => {
                let url = self.redis.url.as_deref().unwrap_or_default();
                Arc::new(RedisStreamsBus::connect(url, self.redis_settings()).await?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<EventsConfig, serde_yaml::Error> {
        serde_yaml::from_str(yaml)
    }

    #[test]
    fn defaults_are_the_in_process_bus() {
        let config = parse("{}").expect("parse");
        assert_eq!(config, EventsConfig::default());
        assert_eq!(config.bus, BusKind::InProcess);
        config.validate().expect("valid");
        assert_eq!(
            config.relay_settings().keep_sent,
            Some(Duration::from_secs(7 * 86_400))
        );
    }

    #[test]
    fn redis_needs_a_url_and_errors_name_the_key() {
        let config = parse("bus: redis").expect("parse");
        let error = config.validate().expect_err("no url").to_string();
        assert!(error.contains("events.redis.url"), "{error}");

        let config = parse("bus: redis\nredis: { url: 'http://x' }").expect("parse");
        assert!(config.validate().is_err());

        let config =
            parse("bus: redis\nredis: { url: 'redis://h:6379', stream: s, claim_idle_ms: 500 }")
                .expect("parse");
        config.validate().expect("valid");
        let settings = config.redis_settings();
        assert_eq!(settings.stream, "s");
        assert_eq!(settings.claim_idle, Duration::from_millis(500));
        assert_eq!(settings.dead_letter_stream(), "s:dead-letter");
    }

    #[test]
    fn unknown_keys_and_kinds_are_refused() {
        assert!(parse("bus: kafka").is_err());
        assert!(parse("redis: { hostname: x }").is_err());
        assert!(parse("relya: {}").is_err());
    }

    #[tokio::test]
    async fn connect_builds_the_configured_bus() {
        let bus = EventsConfig::default()
            .connect()
            .await
            .expect("in-process bus");
        bus.publish(&[]).await.expect("publish nothing");
        let bad = EventsConfig {
            bus: BusKind::Redis,
            ..EventsConfig::default()
        };
        assert!(bad.connect().await.is_err());
    }
}
