//! The HTTP edge over real HTTP: methods, content negotiation, status codes, request errors,
//! health and readiness, header forwarding. Uses the `shop` fixture subgraphs.
use std::path::Path;
use std::sync::{Arc, Mutex};

use router::{Gateway, GatewayConfig, SupergraphState};
use serde_json::{Value as Json, json};

use crate::fixture::{self, CallLog, FixtureSubgraph};

struct Edge {
    base: String,
    gateway: Arc<Gateway>,
    calls: CallLog,
    _subgraphs: Vec<FixtureSubgraph>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Edge {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start(config: GatewayConfig) -> Edge {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/bases/shop");
    let calls: CallLog = Arc::new(Mutex::new(Vec::new()));
    let mut config = config;
    let mut subgraphs = Vec::new();
    for name in ["accounts", "inventory", "products", "reviews"] {
        let sdl =
            std::fs::read_to_string(dir.join(format!("subgraphs/{name}.graphql"))).expect("sdl");
        let data: Json = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("subgraphs/{name}.json"))).expect("data"),
        )
        .expect("data json");
        let server = fixture::start(name, &sdl, data, calls.clone())
            .await
            .expect("fixture");
        config.subgraphs.insert(
            name.to_string(),
            router::config::SubgraphOverride {
                url: Some(server.url.clone()),
                timeout_ms: None,
            },
        );
        subgraphs.push(server);
    }
    let sdl = std::fs::read_to_string(dir.join("supergraph.graphql")).expect("supergraph");
    let state = SupergraphState::from_sdl(&sdl, &config).expect("state");
    let gateway = Arc::new(Gateway::new(state, config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(router::serve_on(listener, gateway.clone(), async {
        let _ = stopped.await;
    }));
    Edge {
        base: format!("http://{addr}"),
        gateway,
        calls,
        _subgraphs: subgraphs,
        stop: Some(stop),
    }
}

const GQL_RESPONSE: &str = "application/graphql-response+json";

async fn post(edge: &Edge, accept: Option<&str>, body: Json) -> (u16, String, Json) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/graphql", edge.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let json = response.json().await.unwrap_or(Json::Null);
    (status, content_type, json)
}

fn code(response: &Json) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

#[tokio::test]
async fn post_query_with_both_media_types() {
    let edge = start(GatewayConfig::default()).await;
    let body = json!({"query": "{ me { name } }"});
    let (status, content_type, response) = post(&edge, Some(GQL_RESPONSE), body.clone()).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with(GQL_RESPONSE), "{content_type}");
    assert_eq!(response, json!({"data": {"me": {"name": "Ada Lovelace"}}}));
    let (status, content_type, _) = post(&edge, None, body).await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    let edge = start(GatewayConfig::default()).await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/graphql", edge.base))
        .query(&[
            ("query", "query($id: ID!) { user(id: $id) { name } }"),
            ("variables", r#"{"id":"2"}"#),
        ])
        .header("accept", GQL_RESPONSE)
        .send()
        .await
        .expect("get");
    assert_eq!(response.status().as_u16(), 200);
    let json: Json = response.json().await.expect("json");
    assert_eq!(json, json!({"data": {"user": {"name": "Alan Turing"}}}));

    let response = client
        .get(format!("{}/graphql", edge.base))
        .query(&[(
            "query",
            "mutation { createProduct(upc: \"4\", name: \"Lamp\") { upc } }",
        )])
        .header("accept", GQL_RESPONSE)
        .send()
        .await
        .expect("get");
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    let calls = edge.calls.lock().expect("calls");
    assert!(
        calls.iter().all(|c| !c.query.contains("createProduct")),
        "mutation must not run"
    );
}

#[tokio::test]
async fn parse_and_validation_errors_are_request_errors() {
    let edge = start(GatewayConfig::default()).await;
    let (status, _, response) =
        post(&edge, Some(GQL_RESPONSE), json!({"query": "{ me { name "})).await;
    assert_eq!(status, 400);
    assert_eq!(code(&response), Some("GRAPHQL_PARSE_FAILED"));
    assert!(response.get("data").is_none());

    let (status, _, response) = post(
        &edge,
        Some(GQL_RESPONSE),
        json!({"query": "{\n  me { nope }\n}"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(code(&response), Some("GRAPHQL_VALIDATION_FAILED"));
    assert_eq!(response["errors"][0]["locations"][0]["line"], json!(2));
    assert!(response.get("data").is_none());

    // Legacy media type: the same request error answers 200.
    let (status, _, response) = post(
        &edge,
        Some("application/json"),
        json!({"query": "{ nope }"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(code(&response), Some("GRAPHQL_VALIDATION_FAILED"));
    assert!(
        edge.calls.lock().expect("calls").is_empty(),
        "no subgraph call for bad documents"
    );
}

#[tokio::test]
async fn bad_variables_are_rejected_before_any_fetch() {
    let edge = start(GatewayConfig::default()).await;
    let query = "query($id: ID!) { user(id: $id) { name } }";
    let (status, _, response) = post(
        &edge,
        Some(GQL_RESPONSE),
        json!({"query": query, "variables": {"id": {"x": 1}}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(code(&response), Some("BAD_USER_INPUT"));
    assert!(response.get("data").is_none());
    let (status, _, response) = post(&edge, Some(GQL_RESPONSE), json!({"query": query})).await;
    assert_eq!(status, 400);
    assert_eq!(code(&response), Some("BAD_USER_INPUT"));
    assert!(edge.calls.lock().expect("calls").is_empty());
}

#[tokio::test]
async fn malformed_requests() {
    let edge = start(GatewayConfig::default()).await;
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", edge.base);
    let status = |r: reqwest::Response| r.status().as_u16();

    let not_json = client
        .post(&url)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("send");
    assert_eq!(status(not_json), 400);
    let wrong_type = client
        .post(&url)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(status(wrong_type), 415);
    let no_query = client
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", GQL_RESPONSE)
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(status(no_query), 400);
    let unacceptable = client
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "text/html")
        .body(r#"{"query":"{ me { id } }"}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(status(unacceptable), 406);
}

#[tokio::test]
async fn body_size_is_limited() {
    let mut config = GatewayConfig::default();
    config.limits.max_body_bytes = 256;
    let edge = start(config).await;
    let query = format!("{{ me {{ {} }} }}", "name ".repeat(100));
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", edge.base))
        .header("content-type", "application/json")
        .body(json!({"query": query}).to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 413);
}

#[tokio::test]
async fn health_and_ready() {
    let edge = start(GatewayConfig::default()).await;
    for path in ["/health", "/ready"] {
        let response = reqwest::get(format!("{}{path}", edge.base))
            .await
            .expect("get");
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
}

#[tokio::test]
async fn authorization_is_forwarded_to_every_subgraph() {
    let edge = start(GatewayConfig::default()).await;
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", edge.base))
        .header("content-type", "application/json")
        .header("authorization", "Bearer token-1")
        .body(json!({"query": "{ me { name reviews { body } } }"}).to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    let calls = edge.calls.lock().expect("calls");
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls
            .iter()
            .all(|c| c.authorization.as_deref() == Some("Bearer token-1"))
    );
}

#[tokio::test]
async fn query_plan_is_exposed_when_configured() {
    let config = GatewayConfig {
        expose_query_plan: true,
        ..GatewayConfig::default()
    };
    let edge = start(config).await;
    // Not asked: no plan.
    let (_, _, response) = post(&edge, None, json!({"query": "{ me { name } }"})).await;
    assert!(response.get("extensions").is_none(), "{response}");
    let response: Json = reqwest::Client::new()
        .post(format!("{}/graphql", edge.base))
        .header("content-type", "application/json")
        .header("x-query-plan", "include")
        .body(json!({"query": "{ me { name } }"}).to_string())
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let plan = &response["extensions"]["queryPlan"];
    assert_eq!(plan["tree"]["node"]["kind"], json!("Fetch"));
    assert!(
        plan["text"]
            .as_str()
            .is_some_and(|t| t.contains("Fetch(service: \"accounts\")")),
        "{plan}"
    );
}

#[tokio::test]
async fn query_plan_is_not_exposed_when_off_even_if_asked() {
    let edge = start(GatewayConfig::default()).await;
    let response: Json = reqwest::Client::new()
        .post(format!("{}/graphql", edge.base))
        .header("content-type", "application/json")
        .header("x-query-plan", "include")
        .body(json!({"query": "{ me { name } }"}).to_string())
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert!(response.get("extensions").is_none(), "{response}");
}

#[tokio::test]
async fn playground_is_served_to_browsers_only_when_enabled() {
    let html = |base: String| async move {
        reqwest::Client::new()
            .get(format!("{base}/playground"))
            .header("accept", "text/html")
            .send()
            .await
            .expect("send")
    };
    let off = start(GatewayConfig::default()).await;
    assert_eq!(html(off.base.clone()).await.status().as_u16(), 404);
    let on = start(GatewayConfig {
        playground: true,
        ..GatewayConfig::default()
    })
    .await;
    let response = html(on.base.clone()).await;
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.expect("body");
    assert!(body.contains("<html"), "not the playground page");
    // A non-browser GET of `/` is not answered with the page.
    let root = reqwest::Client::new()
        .get(format!("{}/", on.base))
        .header("accept", "application/json")
        .send()
        .await
        .expect("send");
    assert_eq!(root.status().as_u16(), 406);
}

#[tokio::test]
async fn swapping_the_supergraph_takes_effect_for_new_requests() {
    let edge = start(GatewayConfig::default()).await;
    let query = json!({"query": "{ me { name } }"});
    let (_, _, before) = post(&edge, None, query.clone()).await;
    assert_eq!(before["data"]["me"]["name"], json!("Ada Lovelace"));

    // A supergraph without `Query.me`: the same operation no longer validates.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/bases/shop");
    let sdl = std::fs::read_to_string(dir.join("supergraph.graphql"))
        .expect("supergraph")
        .replace("  me: User @join__field(graph: ACCOUNTS)\n", "");
    assert!(!sdl.contains("me: User"), "the test must remove the field");
    let mut config = GatewayConfig::default();
    for (name, url) in edge_subgraph_urls(&edge) {
        config.subgraphs.insert(
            name,
            router::config::SubgraphOverride {
                url: Some(url),
                timeout_ms: None,
            },
        );
    }
    let state = SupergraphState::from_sdl(&sdl, &config).expect("new state");
    edge.gateway.swap_supergraph(state);
    let (_, _, after) = post(&edge, None, query).await;
    assert_eq!(code(&after), Some("GRAPHQL_VALIDATION_FAILED"), "{after}");
    let (_, _, still) = post(
        &edge,
        None,
        json!({"query": "{ topProducts(first: 1) { name } }"}),
    )
    .await;
    assert_eq!(still["data"]["topProducts"][0]["name"], json!("Table"));
}

fn edge_subgraph_urls(edge: &Edge) -> Vec<(String, String)> {
    edge.gateway
        .supergraph()
        .endpoints
        .iter()
        .map(|(name, endpoint)| (name.clone(), endpoint.url.to_string()))
        .collect()
}

#[test]
fn query_plan_for_the_cli() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/bases/shop");
    let sdl = std::fs::read_to_string(dir.join("supergraph.graphql")).expect("supergraph");
    let plan =
        router::query_plan(&sdl, "{ topProducts { name reviews { body } } }", None).expect("plan");
    let printed = plan.to_string();
    assert!(
        printed.contains("Fetch(service: \"products\")"),
        "{printed}"
    );
    assert!(
        printed.contains("Flatten(path: \"topProducts.@\")"),
        "{printed}"
    );
    let error = router::query_plan(&sdl, "{ nope }", None).expect_err("invalid operation");
    assert!(
        error.to_string().contains("GRAPHQL_VALIDATION_FAILED"),
        "{error}"
    );
}

/// The `gateway` binary starts from a supergraph file alone and serves until SIGTERM.
#[tokio::test]
async fn gateway_binary_serves_a_supergraph_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/bases/shop");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
        probe.local_addr().expect("addr").port()
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gateway"))
        .arg("--supergraph")
        .arg(dir.join("supergraph.graphql"))
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("spawn gateway");
    let url = format!("http://127.0.0.1:{port}/health");
    let mut healthy = false;
    for _ in 0..100 {
        if reqwest::get(&url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(healthy, "the gateway binary never answered /health");
}

/// The `gateway` binary serves `/metrics`, and its counters show that subgraph connections
/// are reused: sequential requests open one connection per subgraph, not one per fetch.
#[tokio::test]
async fn gateway_binary_reports_metrics_and_reuses_connections() {
    let edge = start(GatewayConfig::default()).await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/bases/shop");
    let mut sdl = std::fs::read_to_string(dir.join("supergraph.graphql")).expect("supergraph");
    for (name, over) in &edge.gateway.config().subgraphs {
        let url = over.url.as_deref().expect("fixture url");
        let port = 4001
            + ["accounts", "inventory", "products", "reviews"]
                .iter()
                .position(|n| n == name)
                .expect("known subgraph");
        sdl = sdl.replace(&format!("http://{name}:{port}/graphql"), url);
    }
    let file = std::env::temp_dir().join(format!("metrics-{}.graphql", std::process::id()));
    std::fs::write(&file, sdl).expect("write supergraph");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
        probe.local_addr().expect("addr").port()
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gateway"))
        .arg("--supergraph")
        .arg(&file)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("spawn gateway");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if client
            .get(format!("{base}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let query = json!({"query": "{ topProducts { name reviews { body author { name } } } }"});
    let mut answered = 0;
    for _ in 0..if ready { 10 } else { 0 } {
        let response = client
            .post(format!("{base}/graphql"))
            .json(&query)
            .send()
            .await
            .expect("post");
        let body: Json = response.json().await.expect("json");
        if body.get("errors").is_none() && body["data"]["topProducts"].is_array() {
            answered += 1;
        }
    }
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&file);
    assert!(ready, "the gateway binary never answered /health");
    assert_eq!(answered, 10, "every query answered without errors");
    let sum = |name: &str| -> f64 {
        metrics
            .lines()
            .filter(|l| l.starts_with(name) && !l.starts_with('#'))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let fetches = sum("gateway_subgraph_request_duration_seconds_count");
    let opened = sum("gateway_subgraph_connections_opened_total");
    assert!(
        fetches >= 30.0,
        "three fetches per query: {fetches}\n{metrics}"
    );
    assert!(
        (1.0..=4.0).contains(&opened),
        "one connection per subgraph at most, got {opened} for {fetches} fetches\n{metrics}"
    );
    assert!(metrics.contains("gateway_requests_total"), "{metrics}");
}
