//! Operation limits: each one refuses with `OPERATION_LIMIT_EXCEEDED`, names the limit, and
//! sends nothing to subgraphs. Batches run in order and are capped.
use router::GatewayConfig;
use serde_json::json;

use super::support::{call_count, code, post, shop_supergraph, start};

async fn refused(config: GatewayConfig, query: &str, limit: &str) {
    let running = start(config, &shop_supergraph()).await;
    let (status, body) = post(&running, json!({"query": query})).await;
    assert_eq!(status, 400, "{limit}: {body}");
    assert_eq!(
        code(&body),
        Some("OPERATION_LIMIT_EXCEEDED"),
        "{limit}: {body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["limit"], json!(limit));
    assert!(body.get("data").is_none());
    assert_eq!(
        call_count(&running),
        0,
        "{limit}: nothing reaches a subgraph"
    );
}

#[tokio::test]
async fn depth() {
    let mut config = GatewayConfig::default();
    config.limits.max_depth = Some(3);
    // Through a fragment: me(1) reviews(2) product(3) name(4).
    refused(
        config.clone(),
        "{ me { ...R } } fragment R on User { reviews { product { name } } }",
        "max_depth",
    )
    .await;
    let running = start(config, &shop_supergraph()).await;
    let (status, body) = post(&running, json!({"query": "{ me { reviews { body } } }"})).await;
    assert_eq!(status, 200, "depth 3 is allowed: {body}");
}

#[tokio::test]
async fn aliases() {
    let mut config = GatewayConfig::default();
    config.limits.max_aliases = Some(2);
    refused(
        config,
        "{ a: me { id } b: me { id } c: me { id } }",
        "max_aliases",
    )
    .await;
}

#[tokio::test]
async fn root_fields() {
    let mut config = GatewayConfig::default();
    config.limits.max_root_fields = Some(1);
    refused(
        config,
        "{ me { id } topProducts { upc } }",
        "max_root_fields",
    )
    .await;
}

#[tokio::test]
async fn directives() {
    let mut config = GatewayConfig::default();
    config.limits.max_directives = Some(2);
    refused(
        config,
        "{ me { id @include(if: true) name @include(if: true) username @skip(if: false) } }",
        "max_directives",
    )
    .await;
}

#[tokio::test]
async fn cost_uses_slicing_arguments_and_default_list_size() {
    // No @listSize in the shop: 10 products × (1 + 10 reviews × (1 + 0)) = 110.
    let mut config = GatewayConfig::default();
    config.limits.max_cost = Some(50);
    config.limits.default_list_size = 10;
    refused(
        config.clone(),
        "{ topProducts { reviews { body } } }",
        "max_cost",
    )
    .await;
    let running = start(config, &shop_supergraph()).await;
    let (status, body) = post(&running, json!({"query": "{ topProducts { name } }"})).await;
    assert_eq!(status, 200, "cheap operations run: {body}");
}

#[tokio::test]
async fn tokens_are_counted_before_parsing() {
    let mut config = GatewayConfig::default();
    config.limits.max_tokens = 50;
    // Unparseable garbage still reports the token limit, not a parse error.
    let huge = format!("{{ me {{ {} }}", "name ".repeat(100));
    refused(config, &huge, "max_tokens").await;
}

#[tokio::test]
async fn batches_run_in_order_and_are_capped() {
    let mut config = GatewayConfig::default();
    config.limits.max_batch = 2;
    let running = start(config, &shop_supergraph()).await;
    let (status, body) = post(
        &running,
        json!([
            {"query": "{ me { name } }"},
            {"query": "query($id: ID!) { user(id: $id) { name } }", "variables": {"id": "2"}}
        ]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!([
            {"data": {"me": {"name": "Ada Lovelace"}}},
            {"data": {"user": {"name": "Alan Turing"}}}
        ])
    );
    let before = call_count(&running);
    let (status, body) = post(
        &running,
        json!([{"query": "{ me { id } }"}, {"query": "{ me { id } }"}, {"query": "{ me { id } }"}]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], json!("max_batch"));
    assert_eq!(call_count(&running), before);
}

#[tokio::test]
async fn cost_reads_list_size_from_the_supergraph() {
    // `media: [Media!]! @listSize(assumedSize: 20)`: 20 × (Media 1 + id 0) = 20.
    let supergraph = super::support::supergraph_of("media");
    for (max, allowed) in [(19, false), (20, true)] {
        let mut config = GatewayConfig::default();
        config.limits.max_cost = Some(max);
        let running = super::support::start_base(config, "media", &supergraph).await;
        let (status, body) = post(&running, json!({"query": "{ media { id } }"})).await;
        assert_eq!(status == 200, allowed, "max {max}: {body}");
        if !allowed {
            assert_eq!(body["errors"][0]["extensions"]["actual"], json!(20.0));
            assert_eq!(call_count(&running), 0);
        }
    }
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let config = GatewayConfig {
        introspection: false,
        ..GatewayConfig::default()
    };
    let running = start(config, &shop_supergraph()).await;
    let (_, body) = post(
        &running,
        json!({"query": "{ __schema { queryType { name } } }"}),
    )
    .await;
    assert!(
        body["errors"].as_array().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    assert!(body["data"]["__schema"].is_null(), "{body}");
    let (_, body) = post(&running, json!({"query": "{ __typename }"})).await;
    assert_eq!(body, json!({"data": {"__typename": "Query"}}));
}
