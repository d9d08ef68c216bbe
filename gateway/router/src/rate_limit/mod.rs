//! Stage: rate limiting, after authentication (rules may key on the user). Rules key on the
//! client IP (`X-Forwarded-For` only from trusted proxies), the user (`sub`), the operation
//! name, or nothing (global). In-process GCRA (governor) by default; one GCRA Lua script in
//! Redis when `redis_url` is set, so every replica shares one budget.
pub mod redis_gcra;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::HeaderMap;
use serde::{Deserialize, Serialize};

use redis_gcra::RedisGcra;

/// `gateway.rate_limit`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    pub rules: Vec<RateRule>,
    /// Peers whose `X-Forwarded-For` is believed (exact IPs).
    pub trusted_proxies: Vec<IpAddr>,
    /// Share budgets through Redis.
    pub redis_url: Option<String>,
    /// When Redis is unreachable: `true` lets requests through, `false` rejects them.
    pub fail_open: bool,
    /// Prefix of the Redis keys (separates deployments sharing one Redis).
    pub redis_prefix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateKey {
    Ip,
    User,
    Operation,
    Global,
}

impl RateKey {
    fn scope(self) -> &'static str {
        match self {
            Self::Ip => "ip",
            Self::User => "user",
            Self::Operation => "operation",
            Self::Global => "global",
        }
    }
}

/// `limit` requests per `window_ms`, per distinct key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateRule {
    pub key: RateKey,
    pub limit: u32,
    pub window_ms: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            trusted_proxies: Vec::new(),
            redis_url: None,
            fail_open: true,
            redis_prefix: "gateway:rate:".to_string(),
        }
    }
}

/// What a request is keyed by.
pub struct RateSubject<'a> {
    pub ip: Option<IpAddr>,
    pub user: Option<&'a str>,
    pub operation: Option<&'a str>,
}

/// Why a request was refused.
#[derive(Debug)]
pub enum Refusal {
    Limited {
        scope: &'static str,
        retry_after: Duration,
    },
    /// Redis failed and the limiter fails closed.
    Unavailable,
}

enum Backend {
    Local(Vec<DefaultKeyedRateLimiter<String>>),
    Redis(Box<RedisGcra>),
}

pub struct RateLimiterSet {
    config: RateLimitConfig,
    backend: Backend,
}

#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("rate rule {0}: `limit` and `window_ms` must be positive")]
    Rule(usize),
    #[error("invalid Redis URL: {0}")]
    Redis(#[from] redis::RedisError),
}

impl RateLimiterSet {
    pub fn new(config: &RateLimitConfig) -> Result<Self, RateLimitError> {
        for (i, rule) in config.rules.iter().enumerate() {
            if rule.limit == 0 || rule.window_ms == 0 {
                return Err(RateLimitError::Rule(i));
            }
        }
        let backend = match &config.redis_url {
            Some(url) => Backend::Redis(Box::new(RedisGcra::new(url)?)),
            None => Backend::Local(
                config
                    .rules
                    .iter()
                    .map(|rule| RateLimiter::keyed(quota(rule)))
                    .collect(),
            ),
        };
        Ok(Self {
            config: config.clone(),
            backend,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.config.rules.is_empty()
    }

    /// The client address: the peer, or the first untrusted hop of `X-Forwarded-For` when
    /// the peer is a trusted proxy.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.config.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|hop| hop.trim().parse().ok())
            .collect();
        Some(
            hops.into_iter()
                .rev()
                .find(|hop| !self.config.trusted_proxies.contains(hop))
                .unwrap_or(peer),
        )
    }

    /// Spends one unit of every applicable rule; the first exhausted rule refuses.
    pub async fn check(&self, subject: &RateSubject<'_>) -> Result<(), Refusal> {
        for (index, rule) in self.config.rules.iter().enumerate() {
            let key = match rule.key {
                RateKey::Ip => subject.ip.map(|ip| ip.to_string()),
                RateKey::User => subject.user.map(str::to_string),
                RateKey::Operation => subject.operation.map(str::to_string),
                RateKey::Global => Some(String::new()),
            };
            let Some(key) = key else {
                continue;
            };
            let verdict = match &self.backend {
                Backend::Local(limiters) => match limiters[index].check_key(&key) {
                    Ok(()) => Ok(()),
                    Err(not_until) => Err(not_until.wait_time_from(DefaultClock::default().now())),
                },
                Backend::Redis(redis) => {
                    let redis_key = format!(
                        "{}{index}:{}:{key}",
                        self.config.redis_prefix,
                        rule.key.scope()
                    );
                    match redis.check(&redis_key, rule).await {
                        Ok(verdict) => verdict,
                        Err(error) => {
                            metrics::counter!("gateway_rate_limit_redis_errors_total").increment(1);
                            tracing::warn!(%error, fail_open = self.config.fail_open, "rate limit store unreachable");
                            if self.config.fail_open {
                                continue;
                            }
                            return Err(Refusal::Unavailable);
                        }
                    }
                }
            };
            if let Err(retry_after) = verdict {
                metrics::counter!("gateway_rate_limited_total", "scope" => rule.key.scope())
                    .increment(1);
                return Err(Refusal::Limited {
                    scope: rule.key.scope(),
                    retry_after,
                });
            }
        }
        Ok(())
    }
}

/// `limit` per window as GCRA: one cell every `window / limit`, bursts up to `limit`.
fn quota(rule: &RateRule) -> Quota {
    let limit = NonZeroU32::new(rule.limit).unwrap_or(NonZeroU32::MIN);
    let period = Duration::from_millis(rule.window_ms) / limit.get();
    Quota::with_period(period.max(Duration::from_nanos(1)))
        .unwrap_or_else(|| Quota::per_second(limit))
        .allow_burst(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rules: Vec<RateRule>, trusted: Vec<IpAddr>) -> RateLimiterSet {
        RateLimiterSet::new(&RateLimitConfig {
            rules,
            trusted_proxies: trusted,
            ..RateLimitConfig::default()
        })
        .expect("limiter")
    }

    #[tokio::test]
    async fn per_user_budget_and_anonymous_skip() {
        let set = limiter(
            vec![RateRule {
                key: RateKey::User,
                limit: 2,
                window_ms: 60_000,
            }],
            vec![],
        );
        let subject = |user| RateSubject {
            ip: None,
            user,
            operation: None,
        };
        assert!(set.check(&subject(Some("a"))).await.is_ok());
        assert!(set.check(&subject(Some("a"))).await.is_ok());
        match set.check(&subject(Some("a"))).await {
            Err(Refusal::Limited { scope, retry_after }) => {
                assert_eq!(scope, "user");
                assert!(retry_after > Duration::from_secs(1), "{retry_after:?}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(set.check(&subject(Some("b"))).await.is_ok());
        assert!(set.check(&subject(None)).await.is_ok());
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let set = limiter(vec![], vec![proxy]);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "1.2.3.4, 10.0.0.1".parse().expect("header"),
        );
        assert_eq!(
            set.client_ip(Some(proxy), &headers),
            Some("1.2.3.4".parse().expect("ip"))
        );
        let other: IpAddr = "9.9.9.9".parse().expect("ip");
        assert_eq!(set.client_ip(Some(other), &headers), Some(other));
    }
}
