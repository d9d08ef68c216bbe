//! `platform gateway`: the `gateway:` config section served over real HTTP, and the served
//! supergraph replaced while it runs (hot reload through the CLI's wiring).
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{arg, platform, read, repo, stderr};

/// Stops the gateway child even when an assertion fails.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("address").port()
}

async fn ready(client: &reqwest::Client, base: &str) -> Option<Value> {
    let response = client.get(format!("{base}/ready")).send().await.ok()?;
    response.json().await.ok()
}

/// Polls `/ready` until `accept` holds (the gateway may still be starting or reloading).
pub async fn wait_ready(
    client: &reqwest::Client,
    base: &str,
    child: &mut Running,
    accept: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(body) = ready(client, base).await
            && accept(&body)
        {
            return body;
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("the gateway exited: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "the gateway never became ready as expected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post(client: &reqwest::Client, base: &str, query: &str) -> Value {
    client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("the gateway answers")
        .json()
        .await
        .expect("a JSON response")
}

#[tokio::test]
async fn serves_the_configured_supergraph_and_reloads_it_when_the_file_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let supergraph = dir.path().join("supergraph.graphql");
    let committed = read(&repo().join("schema/supergraph.graphql"));
    std::fs::write(&supergraph, &committed).expect("copy the supergraph");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_platform"))
            .arg("gateway")
            .current_dir(repo())
            .env("PLATFORM__GATEWAY__LISTEN", format!("127.0.0.1:{port}"))
            .env("PLATFORM__GATEWAY__SUPERGRAPH", arg(&supergraph))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start `platform gateway`"),
    );
    let client = reqwest::Client::new();
    let hash = router::reload::sha256_hex(&committed);
    let body = wait_ready(&client, &base, &mut child, |_| true).await;
    assert_eq!(body["supergraph"]["sha256"], json!(hash), "{body}");
    let manifest = read(&repo().join("schema/subgraphs.yaml"));
    let composed = federation::check::SubgraphsManifest::from_yaml(&manifest).expect("manifest");
    assert_eq!(body["subgraphs"], json!(composed.subgraphs.len()), "{body}");
    // Answered by the gateway itself: no subgraph needs to run.
    assert_eq!(
        post(&client, &base, "{ __typename }").await,
        json!({"data": {"__typename": "Query"}})
    );
    let before = post(&client, &base, "{ me { username } }").await;
    assert_ne!(
        before["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{before}"
    );

    // Compose a changed schema straight into the served file.
    let changed = crate::schema::schema_without_username();
    let manifest = changed.path().join("subgraphs.yaml");
    let aside = dir.path().join("next.graphql");
    let output = platform(&[
        "schema",
        "compose",
        "--manifest",
        arg(&manifest),
        "--output",
        arg(&aside),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let next = read(&aside);
    std::fs::rename(&aside, &supergraph).expect("swap the served supergraph");
    let next_hash = router::reload::sha256_hex(&next);
    wait_ready(&client, &base, &mut child, |body| {
        body["supergraph"]["sha256"] == json!(next_hash)
    })
    .await;
    let after = post(&client, &base, "{ me { username } }").await;
    assert_eq!(
        after["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{after}"
    );
}
