//! The benchmark harness end to end: the committed supergraph is current, and a real gateway
//! in front of the real subgraphs (HTTP on 127.0.0.1) answers both operations exactly as
//! computed from the data, in the intended size.
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bench::serve;
use router::{Gateway, GatewayConfig, SupergraphState};
use serde_json::{Value, json};

#[test]
fn committed_supergraph_is_current() {
    let composed = bench::supergraph::compose(&bench::supergraph::default_urls())
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        bench::SUPERGRAPH.trim_end(),
        composed.trim_end(),
        "bench/supergraph.graphql is stale: run `cargo run -p bench --bin bench-subgraphs -- --print-supergraph > bench/supergraph.graphql`"
    );
}

async fn start_gateway(supergraph: &str) -> SocketAddr {
    let config = GatewayConfig::default();
    let state = SupergraphState::from_sdl(supergraph, &config).expect("supergraph loads");
    let gateway = Arc::new(Gateway::new(state, config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(router::serve_on(listener, gateway, std::future::pending()));
    addr
}

async fn post(client: &reqwest::Client, addr: SocketAddr, query: &str) -> (Value, usize) {
    let body = client
        .post(format!("http://{addr}/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("gateway answers")
        .bytes()
        .await
        .expect("body");
    (serde_json::from_slice(&body).expect("JSON"), body.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_answers_the_operations_from_the_data() {
    let subgraphs = serve::start([0; 4]).await.expect("subgraphs start");
    let urls: [String; 4] = std::array::from_fn(|i| subgraphs[i].url());
    let supergraph = bench::supergraph::compose(&urls).expect("compose");
    let gateway = start_gateway(&supergraph).await;
    let client = reqwest::Client::new();

    let (large, size) = post(&client, gateway, bench::LARGE_OPERATION).await;
    assert!(large.get("errors").is_none(), "errors: {large}");
    assert_eq!(large, bench::expected::large());
    assert!(
        (85_000..=90_000).contains(&size),
        "the large response is {size} bytes, outside 85-90 KB"
    );
    // The @requires field was computed from values the gateway forwarded.
    assert!(
        large["data"]["topProducts"][0]["shippingEstimate"].is_i64(),
        "{}",
        large["data"]["topProducts"][0]
    );

    let before: Vec<u64> = subgraphs
        .iter()
        .map(|s| s.requests.load(Ordering::Relaxed))
        .collect();
    let (small, _) = post(&client, gateway, bench::SMALL_OPERATION).await;
    assert_eq!(small, bench::expected::small());
    let fetched: Vec<(&str, u64)> = subgraphs
        .iter()
        .zip(before)
        .map(|(s, before)| (s.name, s.requests.load(Ordering::Relaxed) - before))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        fetched,
        vec![("products", 1)],
        "the small operation is one fetch"
    );
}

#[tokio::test]
async fn subgraphs_count_their_requests() {
    let subgraphs = serve::start([0; 4]).await.expect("subgraphs start");
    let accounts = &subgraphs[0];
    let client = reqwest::Client::new();
    for _ in 0..2 {
        client
            .post(accounts.url())
            .json(&json!({ "query": "{ users { id } }" }))
            .send()
            .await
            .expect("accounts answers");
    }
    let count = client
        .get(format!("{}count", accounts.url()))
        .send()
        .await
        .expect("count")
        .text()
        .await
        .expect("text");
    assert_eq!(count, "2");
}
