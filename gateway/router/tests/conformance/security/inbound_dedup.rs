//! Inbound request deduplication over real HTTP: identical concurrent client queries share
//! one execution, requests that differ in Authorization or are mutations never do, the
//! feature is off by default, and followers are answered when the leader's client goes away.
//!
//! The subgraph behind the gateway holds every request at a gate until the test opens it, so
//! "concurrent" is certain rather than timed; subgraph-level dedup is off so each execution
//! shows up as one subgraph call.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use router::GatewayConfig;
use router::config::SubgraphOverride;
use serde_json::{Value as Json, json};
use tokio::sync::Semaphore;

use super::metrics::{counters, read};
use super::support::{Running, post_with, serve, shop_supergraph, start};

const ME: &str = "{ me { name } }";
const CREATE: &str = "mutation { createProduct(upc: \"4\", name: \"Lamp\") { upc } }";
const FOLLOWERS: &str = "gateway_inbound_dedup_total{}";

/// Tests that read the process-wide follower counter take turns.
static COUNTER_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A stand-in for `accounts` and `products` that records each call and answers only once
/// the gate opens.
#[derive(Clone)]
struct Gated {
    hits: Arc<AtomicUsize>,
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
    gate: Arc<Semaphore>,
}

impl Gated {
    async fn start() -> (Self, String) {
        let gated = Self {
            hits: Arc::default(),
            authorizations: Arc::default(),
            gate: Arc::new(Semaphore::new(0)),
        };
        let server = gated.clone();
        let addr = serve(move |headers: http::HeaderMap, body: String| {
            let server = server.clone();
            async move {
                server.authorizations.lock().expect("log").push(
                    headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string),
                );
                server.hits.fetch_add(1, Ordering::SeqCst);
                let _pass = server.gate.acquire().await;
                if body.contains("createProduct") {
                    (200, json!({"data": {"createProduct": {"upc": "4"}}}))
                } else {
                    (200, json!({"data": {"me": {"name": "Ada"}}}))
                }
            }
        })
        .await;
        (gated, format!("http://{addr}/graphql"))
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    fn open(&self) {
        self.gate.add_permits(1_000);
    }
}

async fn gateway(inbound_dedup: Option<bool>) -> (Running, Gated) {
    let (gated, url) = Gated::start().await;
    let mut config = GatewayConfig::default();
    if let Some(enabled) = inbound_dedup {
        config.inbound_dedup.enabled = enabled;
    }
    config.resilience.dedup_queries = false;
    for name in ["accounts", "products"] {
        config.subgraphs.insert(
            name.to_string(),
            SubgraphOverride {
                url: Some(url.clone()),
                timeout_ms: Some(10_000),
            },
        );
    }
    (start(config, &shop_supergraph()).await, gated)
}

/// Polls `ready` every few milliseconds for up to 10 s.
async fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !ready() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn send(
    running: &Arc<Running>,
    query: &str,
    authorization: Option<&str>,
) -> tokio::task::JoinHandle<(u16, Json)> {
    let running = running.clone();
    let body = json!({"query": query});
    let authorization = authorization.map(str::to_string);
    tokio::spawn(async move {
        let headers: Vec<(&str, &str)> = authorization
            .as_deref()
            .map(|a| vec![("authorization", a)])
            .unwrap_or_default();
        let (status, _, json) = post_with(&running, body, &headers).await;
        (status, json)
    })
}

async fn answers(requests: Vec<tokio::task::JoinHandle<(u16, Json)>>) -> Vec<(u16, Json)> {
    let mut out = Vec::new();
    for request in requests {
        out.push(request.await.expect("request task"));
    }
    out
}

#[tokio::test]
async fn identical_concurrent_queries_share_one_execution() {
    let _turn = COUNTER_TURN.lock().await;
    counters();
    let before = read(FOLLOWERS);
    let (running, gated) = gateway(Some(true)).await;
    let running = Arc::new(running);
    let requests: Vec<_> = (0..8).map(|_| send(&running, ME, None)).collect();
    wait_until("seven followers joined", || read(FOLLOWERS) >= before + 7).await;
    gated.open();
    for (status, body) in answers(requests).await {
        assert_eq!(status, 200);
        assert_eq!(body, json!({"data": {"me": {"name": "Ada"}}}));
    }
    assert_eq!(gated.hits(), 1, "one execution for eight requests");
    // Nothing is cached: the next identical request executes again.
    gated.open();
    let (_, _, body) = post_with(&running, json!({"query": ME}), &[]).await;
    assert_eq!(body, json!({"data": {"me": {"name": "Ada"}}}));
    assert_eq!(gated.hits(), 2);
}

#[tokio::test]
async fn requests_with_different_authorization_are_not_shared() {
    let (running, gated) = gateway(Some(true)).await;
    let running = Arc::new(running);
    let requests = vec![
        send(&running, ME, Some("Bearer alice")),
        send(&running, ME, Some("Bearer bob")),
    ];
    // Both are held at the subgraph at once: two executions in flight.
    wait_until("two executions", || gated.hits() == 2).await;
    gated.open();
    for (status, body) in answers(requests).await {
        assert_eq!(
            (status, body),
            (200, json!({"data": {"me": {"name": "Ada"}}}))
        );
    }
    let mut seen = gated.authorizations.lock().expect("log").clone();
    seen.sort();
    assert_eq!(
        seen,
        [
            Some("Bearer alice".to_string()),
            Some("Bearer bob".to_string())
        ]
    );
}

#[tokio::test]
async fn mutations_are_never_shared() {
    let (running, gated) = gateway(Some(true)).await;
    let running = Arc::new(running);
    let requests: Vec<_> = (0..3).map(|_| send(&running, CREATE, None)).collect();
    wait_until("three mutations at the subgraph", || gated.hits() == 3).await;
    gated.open();
    for (status, body) in answers(requests).await {
        assert_eq!(
            (status, body),
            (200, json!({"data": {"createProduct": {"upc": "4"}}}))
        );
    }
}

#[tokio::test]
async fn off_by_default_every_request_executes() {
    assert!(!GatewayConfig::default().inbound_dedup.enabled);
    let (running, gated) = gateway(None).await;
    let running = Arc::new(running);
    let requests: Vec<_> = (0..4).map(|_| send(&running, ME, None)).collect();
    wait_until("four executions", || gated.hits() == 4).await;
    gated.open();
    for (status, body) in answers(requests).await {
        assert_eq!(
            (status, body),
            (200, json!({"data": {"me": {"name": "Ada"}}}))
        );
    }
}

#[tokio::test]
async fn followers_are_answered_when_the_leaders_client_disconnects() {
    let _turn = COUNTER_TURN.lock().await;
    counters();
    let before = read(FOLLOWERS);
    let (running, gated) = gateway(Some(true)).await;
    let running = Arc::new(running);
    let leader = send(&running, ME, None);
    wait_until("the leader reached the subgraph", || gated.hits() == 1).await;
    let followers: Vec<_> = (0..3).map(|_| send(&running, ME, None)).collect();
    wait_until("three followers joined", || read(FOLLOWERS) >= before + 3).await;
    // Dropping the client's request future closes its connection.
    leader.abort();
    assert!(leader.await.is_err_and(|e| e.is_cancelled()));
    gated.open();
    for (status, body) in answers(followers).await {
        assert_eq!(
            (status, body),
            (200, json!({"data": {"me": {"name": "Ada"}}}))
        );
    }
    assert_eq!(gated.hits(), 1);
}
