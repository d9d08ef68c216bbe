//! Hot reload under load: clients keep querying a real gateway over HTTP while its supergraph
//! file is swapped for a valid then an invalid one.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_graphql::{EmptyMutation, EmptySubscription, Object};
use federation::compose::{SubgraphInput, compose};
use serde_json::{Value, json};

use super::{ReloadOutcome, SupergraphWatcher, sha256_hex};
use crate::{Gateway, GatewayConfig, SupergraphState};

struct Query;

#[Object]
impl Query {
    async fn hello(&self) -> &str {
        "world"
    }
    async fn added(&self) -> &str {
        "new"
    }
}

/// A subgraph that resolves both fields; the supergraph decides which ones clients see.
async fn start_subgraph() -> String {
    let schema = async_graphql::Schema::new(Query, EmptyMutation, EmptySubscription);
    let app = axum::Router::new().route_service("/", async_graphql_axum::GraphQL::new(schema));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the subgraph");
    let addr = listener.local_addr().expect("subgraph address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

fn supergraph(url: &str, fields: &str) -> String {
    let sdl = format!(
        "extend schema @link(url: \"https://specs.apollo.dev/federation/v2.3\", import: [\"@shareable\"])\n\
         type Query {{ {fields} }}\n"
    );
    compose(&[SubgraphInput {
        name: "greetings".into(),
        url: url.into(),
        sdl,
    }])
    .expect("the fixture subgraph composes")
    .sdl
}

/// Replaces the file the way deployments do (write aside, rename over), so the watcher never
/// sees a half-written file.
fn replace(path: &std::path::Path, content: &str) {
    let aside = path.with_extension("next");
    std::fs::write(&aside, content).expect("write the next supergraph");
    std::fs::rename(&aside, path).expect("swap the supergraph file");
}

async fn post(client: &reqwest::Client, addr: &str, query: &str) -> Result<Value, String> {
    let response = client
        .post(format!("http://{addr}/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("bad body: {e}"))?;
    if !status.is_success() || body.get("errors").is_some() {
        return Err(format!("{status}: {body}"));
    }
    Ok(body["data"].clone())
}

async fn ready_hash(client: &reqwest::Client, addr: &str) -> Value {
    let body: Value = client
        .get(format!("http://{addr}/ready"))
        .send()
        .await
        .expect("/ready answers")
        .json()
        .await
        .expect("/ready is JSON");
    body["supergraph"]["sha256"].clone()
}

async fn wait_for(
    outcomes: &mut tokio::sync::watch::Receiver<ReloadOutcome>,
    accept: impl Fn(&ReloadOutcome) -> bool,
) -> ReloadOutcome {
    tokio::time::timeout(Duration::from_secs(20), outcomes.wait_for(|o| accept(o)))
        .await
        .expect("the watcher reacts within 20s")
        .expect("the watcher is running")
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaps_under_load_and_keeps_serving_when_the_new_file_is_invalid() {
    let url = start_subgraph().await;
    let v1 = supergraph(&url, "hello: String");
    let v2 = supergraph(&url, "hello: String added: String");
    let dir = std::env::temp_dir().join(format!(
        "router-reload-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("supergraph.graphql");
    std::fs::write(&path, &v1).expect("write the first supergraph");

    let config = GatewayConfig::default();
    let state = SupergraphState::from_sdl(&v1, &config).expect("v1 loads");
    let gateway = Arc::new(Gateway::new(state, config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the gateway");
    let addr = listener.local_addr().expect("gateway address").to_string();
    tokio::spawn(crate::serve_on(
        listener,
        gateway.clone(),
        std::future::pending(),
    ));
    let watcher = SupergraphWatcher::new(gateway.clone(), &path, &v1)
        .with_interval(Duration::from_millis(20));
    let mut outcomes = watcher.subscribe();
    let (stop_watcher, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(watcher.run(async {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::new();
    assert_eq!(ready_hash(&client, &addr).await, json!(sha256_hex(&v1)));
    assert!(
        post(&client, &addr, "{ added }").await.is_err(),
        "v1 has no `added`"
    );

    // The load: clients querying without pause through both swaps.
    let running = Arc::new(AtomicBool::new(true));
    let served = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (client, addr) = (client.clone(), addr.clone());
        let (running, served) = (running.clone(), served.clone());
        clients.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            while running.load(Ordering::Relaxed) {
                match post(&client, &addr, "{ hello }").await {
                    Ok(data) if data == json!({"hello": "world"}) => {
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(data) => failures.push(format!("unexpected data {data}")),
                    Err(e) => failures.push(e),
                }
            }
            failures
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;

    replace(&path, &v2);
    let v2_hash = sha256_hex(&v2);
    let outcome = wait_for(
        &mut outcomes,
        |o| matches!(o, ReloadOutcome::Serving { sha256 } if *sha256 == v2_hash),
    )
    .await;
    assert_eq!(
        outcome,
        ReloadOutcome::Serving {
            sha256: v2_hash.clone()
        }
    );
    assert_eq!(
        post(&client, &addr, "{ added }").await,
        Ok(json!({"added": "new"})),
        "the new schema's field is served after the swap"
    );
    assert_eq!(ready_hash(&client, &addr).await, json!(v2_hash));
    tokio::time::sleep(Duration::from_millis(100)).await;

    let invalid = "type Query { hello: String";
    replace(&path, invalid);
    let outcome = wait_for(&mut outcomes, |o| {
        matches!(o, ReloadOutcome::Rejected { .. })
    })
    .await;
    let ReloadOutcome::Rejected { sha256, error } = outcome else {
        unreachable!("waited for a rejection")
    };
    assert_eq!(sha256, sha256_hex(invalid));
    assert!(error.contains("invalid supergraph"), "{error}");
    assert_eq!(
        post(&client, &addr, "{ hello added }").await,
        Ok(json!({"hello": "world", "added": "new"})),
        "the previous supergraph keeps serving"
    );
    assert_eq!(ready_hash(&client, &addr).await, json!(v2_hash));
    tokio::time::sleep(Duration::from_millis(100)).await;

    running.store(false, Ordering::Relaxed);
    let mut failures = Vec::new();
    for client in clients {
        failures.extend(client.await.expect("client task"));
    }
    let _ = stop_watcher.send(());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "requests failed during reloads: {failures:?}"
    );
    assert!(served.load(Ordering::Relaxed) > 10, "the load actually ran");
}

#[tokio::test]
async fn a_forced_reload_of_a_missing_file_is_an_error_and_changes_nothing() {
    let url = start_subgraph().await;
    let v1 = supergraph(&url, "hello: String");
    let config = GatewayConfig::default();
    let state = SupergraphState::from_sdl(&v1, &config).expect("v1 loads");
    let gateway = Arc::new(Gateway::new(state, config));
    let missing = std::env::temp_dir().join("router-reload-does-not-exist.graphql");
    let mut watcher = SupergraphWatcher::new(gateway.clone(), &missing, &v1);
    assert!(
        matches!(watcher.check(false).await, Ok(None)),
        "polling skips a missing file"
    );
    assert!(matches!(
        watcher.check(true).await,
        Err(super::ReloadError::Read { .. })
    ));
    assert_eq!(
        gateway.supergraph().sha256.as_deref(),
        Some(sha256_hex(&v1).as_str())
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sighup_reloads_without_waiting_for_the_poll() {
    use tokio::signal::unix::{SignalKind, signal};
    // Installed before anything sends SIGHUP, so the signal can never take the default action
    // (ending the test process); tokio keeps it installed for the process's lifetime.
    let _installed = signal(SignalKind::hangup()).expect("install a SIGHUP handler");
    let url = start_subgraph().await;
    let v1 = supergraph(&url, "hello: String");
    let v2 = supergraph(&url, "hello: String added: String");
    let dir = std::env::temp_dir().join(format!(
        "router-sighup-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("supergraph.graphql");
    std::fs::write(&path, &v1).expect("write v1");
    let config = GatewayConfig::default();
    let state = SupergraphState::from_sdl(&v1, &config).expect("v1 loads");
    let gateway = Arc::new(Gateway::new(state, config));
    // Polls once at start, then not for an hour: only SIGHUP can pick up v2.
    let watcher = SupergraphWatcher::new(gateway.clone(), &path, &v1)
        .with_interval(Duration::from_secs(3600));
    let mut outcomes = watcher.subscribe();
    tokio::spawn(watcher.run(std::future::pending()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    replace(&path, &v2);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        gateway.supergraph().sha256.as_deref(),
        Some(sha256_hex(&v1).as_str()),
        "nothing polls in between"
    );
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let v2_hash = sha256_hex(&v2);
    wait_for(
        &mut outcomes,
        |o| matches!(o, ReloadOutcome::Serving { sha256 } if *sha256 == v2_hash),
    )
    .await;
    assert_eq!(gateway.supergraph().sha256, Some(v2_hash));
    let _ = std::fs::remove_dir_all(&dir);
}
