//! Rate limiting over real HTTP: in-process per IP (429, `Retry-After`, `RATE_LIMITED`),
//! and one budget shared through Redis by two gateways (when `REDIS_URL` is set).
use router::GatewayConfig;
use router::rate_limit::{RateKey, RateRule};
use serde_json::json;

use super::support::{call_count, code, post_with, shop_supergraph, start};

#[tokio::test]
async fn per_ip_budget_answers_429_with_retry_after() {
    let mut config = GatewayConfig::default();
    config.rate_limit.rules = vec![RateRule {
        key: RateKey::Ip,
        limit: 3,
        window_ms: 60_000,
    }];
    let running = start(config, &shop_supergraph()).await;
    for _ in 0..3 {
        let (status, _, body) = post_with(&running, json!({"query": "{ me { name } }"}), &[]).await;
        assert_eq!(status, 200, "{body}");
    }
    let calls = call_count(&running);
    let (status, headers, body) =
        post_with(&running, json!({"query": "{ me { name } }"}), &[]).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(code(&body), Some("RATE_LIMITED"));
    let retry_after: u64 = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(
        call_count(&running),
        calls,
        "refused requests reach no subgraph"
    );
    // X-Forwarded-For from an untrusted peer does not reset the budget.
    let (status, _, _) = post_with(
        &running,
        json!({"query": "{ me { name } }"}),
        &[("x-forwarded-for", "203.0.113.9")],
    )
    .await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn per_operation_budget() {
    let mut config = GatewayConfig::default();
    config.rate_limit.rules = vec![RateRule {
        key: RateKey::Operation,
        limit: 1,
        window_ms: 60_000,
    }];
    let running = start(config, &shop_supergraph()).await;
    let named = |name: &str| json!({"query": format!("query {name} {{ me {{ id }} }}"), "operationName": name});
    assert_eq!(post_with(&running, named("A"), &[]).await.0, 200);
    assert_eq!(post_with(&running, named("A"), &[]).await.0, 429);
    assert_eq!(post_with(&running, named("B"), &[]).await.0, 200);
}

/// Two gateways, one Redis budget of N per window: together they accept N (within 1%).
#[tokio::test]
async fn two_gateways_share_one_redis_budget() {
    let Ok(redis_url) = std::env::var("REDIS_URL") else {
        eprintln!("REDIS_URL unset: skipping the shared Redis budget test");
        return;
    };
    const N: u32 = 100;
    let prefix = format!(
        "gateway-test:{}:{}:",
        std::process::id(),
        super::support::now()
    );
    let config = || {
        let mut config = GatewayConfig::default();
        config.rate_limit.redis_url = Some(redis_url.clone());
        config.rate_limit.redis_prefix = prefix.clone();
        config.rate_limit.fail_open = false;
        config.rate_limit.rules = vec![RateRule {
            key: RateKey::Global,
            limit: N,
            window_ms: 3_600_000,
        }];
        config
    };
    let a = start(config(), &shop_supergraph()).await;
    let b = start(config(), &shop_supergraph()).await;
    let body = json!({"query": "{ __typename }"});
    let mut tasks = Vec::new();
    for i in 0..(3 * N) {
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/graphql"))
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut accepted = 0u32;
    let mut limited = 0u32;
    for task in tasks {
        match task.await.unwrap_or(0) {
            200 => accepted += 1,
            429 => limited += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    let tolerance = N / 100;
    assert!(
        accepted.abs_diff(N) <= tolerance.max(1),
        "accepted {accepted} of a budget of {N} (limited {limited})"
    );
    assert_eq!(accepted + limited, 3 * N);
}

/// Redis unreachable: fail open lets requests through, fail closed answers 503.
#[tokio::test]
async fn unreachable_redis_fails_open_or_closed() {
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    for (fail_open, expected) in [(true, 200), (false, 503)] {
        let mut config = GatewayConfig::default();
        config.rate_limit.redis_url = Some(format!("redis://127.0.0.1:{closed_port}"));
        config.rate_limit.fail_open = fail_open;
        config.rate_limit.rules = vec![RateRule {
            key: RateKey::Global,
            limit: 10,
            window_ms: 1_000,
        }];
        let running = start(config, &shop_supergraph()).await;
        let (status, _, body) = post_with(&running, json!({"query": "{ me { name } }"}), &[]).await;
        assert_eq!(status, expected, "fail_open {fail_open}: {body}");
        if !fail_open {
            assert_eq!(code(&body), Some("RATE_LIMITED"));
            assert_eq!(call_count(&running), 0);
        }
    }
}
