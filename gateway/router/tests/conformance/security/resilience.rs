//! Resilience toward subgraphs over real HTTP: the circuit breaker opening, failing fast,
//! probing and closing against a subgraph that dies and comes back; retries for queries
//! only; deduplication of identical in-flight queries; header rules.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use router::GatewayConfig;
use router::config::SubgraphOverride;
use serde_json::{Value as Json, json};

use super::support::{claims, code, post, post_with, serve, shop_supergraph, start};

/// A stand-in subgraph: answers `me { name }` (or a mutation) unless told to fail.
#[derive(Clone, Default)]
struct Flaky {
    down: Arc<AtomicBool>,
    fail_next: Arc<AtomicUsize>,
    hits: Arc<AtomicUsize>,
    delay_ms: u64,
    headers: Arc<Mutex<Vec<http::HeaderMap>>>,
}

impl Flaky {
    async fn url(&self) -> String {
        let flaky = self.clone();
        let addr = serve(move |headers, body: String| {
            let flaky = flaky.clone();
            async move {
                flaky.hits.fetch_add(1, Ordering::SeqCst);
                flaky.headers.lock().expect("headers").push(headers);
                if flaky.delay_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(flaky.delay_ms)).await;
                }
                let failing = flaky.down.load(Ordering::SeqCst)
                    || flaky
                        .fail_next
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                if failing {
                    return (503, json!({"message": "unavailable"}));
                }
                if body.contains("createProduct") {
                    (200, json!({"data": {"createProduct": {"upc": "4"}}}))
                } else {
                    (200, json!({"data": {"me": {"name": "Ada"}}}))
                }
            }
        })
        .await;
        format!("http://{addr}/graphql")
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn with_subgraph(mut config: GatewayConfig, name: &str, url: String) -> GatewayConfig {
    config.subgraphs.insert(
        name.to_string(),
        SubgraphOverride {
            url: Some(url),
            timeout_ms: Some(2_000),
        },
    );
    config
}

const ME: &str = "{ me { name } }";

#[tokio::test]
async fn circuit_breaker_opens_fails_fast_probes_and_closes() {
    let accounts = Flaky::default();
    let mut config = GatewayConfig::default();
    config.resilience.circuit_breaker.failure_threshold = 2;
    config.resilience.circuit_breaker.cooldown_ms = 300;
    let config = with_subgraph(config, "accounts", accounts.url().await);
    let running = start(config, &shop_supergraph()).await;

    accounts.down.store(true, Ordering::SeqCst);
    for expected_hits in [1, 2] {
        let (_, body) = post(&running, json!({"query": ME})).await;
        assert_eq!(code(&body), Some("SUBGRAPH_REQUEST_FAILED"), "{body}");
        assert_eq!(accounts.hits(), expected_hits);
    }
    // Open: fails fast without calling the subgraph.
    let (_, body) = post(&running, json!({"query": ME})).await;
    assert_eq!(code(&body), Some("SUBGRAPH_REQUEST_FAILED"), "{body}");
    assert_eq!(body["data"]["me"], Json::Null);
    assert_eq!(accounts.hits(), 2, "open breaker sends nothing");

    // The subgraph comes back, but the breaker stays open until the cooldown ends.
    accounts.down.store(false, Ordering::SeqCst);
    let (_, body) = post(&running, json!({"query": ME})).await;
    assert_eq!(code(&body), Some("SUBGRAPH_REQUEST_FAILED"));
    assert_eq!(accounts.hits(), 2);

    tokio::time::sleep(Duration::from_millis(350)).await;
    let (_, body) = post(&running, json!({"query": ME})).await;
    assert_eq!(
        body,
        json!({"data": {"me": {"name": "Ada"}}}),
        "half-open probe"
    );
    assert_eq!(accounts.hits(), 3);
    let (_, body) = post(&running, json!({"query": ME})).await;
    assert_eq!(
        body,
        json!({"data": {"me": {"name": "Ada"}}}),
        "closed again"
    );
    assert_eq!(accounts.hits(), 4);

    // A failed probe reopens it.
    accounts.down.store(true, Ordering::SeqCst);
    post(&running, json!({"query": ME})).await;
    post(&running, json!({"query": ME})).await;
    assert_eq!(accounts.hits(), 6);
    tokio::time::sleep(Duration::from_millis(350)).await;
    post(&running, json!({"query": ME})).await;
    assert_eq!(accounts.hits(), 7, "probe");
    post(&running, json!({"query": ME})).await;
    assert_eq!(accounts.hits(), 7, "reopened by the failed probe");
}

#[tokio::test]
async fn queries_are_retried_and_mutations_are_not() {
    let accounts = Flaky::default();
    let products = Flaky::default();
    let mut config = GatewayConfig::default();
    config.resilience.retry.attempts = 2;
    config.resilience.retry.base_delay_ms = 10;
    let config = with_subgraph(config, "accounts", accounts.url().await);
    let config = with_subgraph(config, "products", products.url().await);
    let running = start(config, &shop_supergraph()).await;

    accounts.fail_next.store(2, Ordering::SeqCst);
    let (_, body) = post(&running, json!({"query": ME})).await;
    assert_eq!(body, json!({"data": {"me": {"name": "Ada"}}}));
    assert_eq!(accounts.hits(), 3);

    // A per-subgraph override turns retries off for one subgraph only.
    let strict = Flaky::default();
    let mut config: GatewayConfig = serde_json::from_value(json!({
        "resilience": {
            "retry": {"attempts": 2, "base_delay_ms": 10},
            "subgraphs": {"accounts": {"retry": {"attempts": 0}}}
        }
    }))
    .expect("config");
    config = with_subgraph(config, "accounts", strict.url().await);
    let overridden = start(config, &shop_supergraph()).await;
    strict.fail_next.store(1, Ordering::SeqCst);
    let (_, body) = post(&overridden, json!({"query": ME})).await;
    assert_eq!(code(&body), Some("SUBGRAPH_REQUEST_FAILED"), "{body}");
    assert_eq!(strict.hits(), 1);

    products.down.store(true, Ordering::SeqCst);
    let (_, body) = post(
        &running,
        json!({"query": "mutation { createProduct(upc: \"4\", name: \"Lamp\") { upc } }"}),
    )
    .await;
    assert_eq!(code(&body), Some("SUBGRAPH_REQUEST_FAILED"), "{body}");
    assert_eq!(products.hits(), 1, "a mutation is sent once");
}

#[tokio::test]
async fn identical_queries_in_flight_share_one_call() {
    for (dedup, expected) in [(true, 1), (false, 2)] {
        let accounts = Flaky {
            delay_ms: 300,
            ..Flaky::default()
        };
        let mut config = GatewayConfig::default();
        config.resilience.dedup_queries = dedup;
        let config = with_subgraph(config, "accounts", accounts.url().await);
        let running = start(config, &shop_supergraph()).await;
        let (a, b) = tokio::join!(
            post(&running, json!({"query": ME})),
            post(&running, json!({"query": ME}))
        );
        assert_eq!(a.1, json!({"data": {"me": {"name": "Ada"}}}));
        assert_eq!(b.1, a.1);
        assert_eq!(accounts.hits(), expected, "dedup {dedup}");
    }
}

#[tokio::test]
async fn header_rules_propagate_insert_from_claims_and_remove() {
    let accounts = Flaky::default();
    let mut config: GatewayConfig = serde_json::from_value(json!({
        "auth": {"jwt": {"providers": [{
            "name": "hs", "secret": "0123456789abcdef0123456789abcdef",
            "algorithms": ["HS256"]
        }]}},
        "headers": {"rules": [
            {"propagate": {"named": "x-tenant", "rename": "x-org"}},
            {"insert": {"name": "x-user", "from_claim": "sub"}},
            {"remove": {"named": "authorization"}}
        ]}
    }))
    .expect("config");
    config = with_subgraph(config, "accounts", accounts.url().await);
    let running = start(config, &shop_supergraph()).await;
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(json!({"sub": "user-42"})),
        &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
    )
    .expect("token");
    let auth = format!("Bearer {token}");
    let (status, _, body) = post_with(
        &running,
        json!({"query": ME}),
        &[("authorization", &auth), ("x-tenant", "acme")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let seen = accounts.headers.lock().expect("headers");
    let headers = seen.last().expect("one call");
    assert_eq!(
        headers.get("x-org").and_then(|v| v.to_str().ok()),
        Some("acme")
    );
    assert_eq!(
        headers.get("x-user").and_then(|v| v.to_str().ok()),
        Some("user-42")
    );
    assert!(headers.get("authorization").is_none());
    assert!(headers.get("x-tenant").is_none());
}
