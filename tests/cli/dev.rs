//! `platform dev` (what `cargo run` runs): the gateway in front of the subgraphs, driven over
//! HTTP through the gateway only, with every port and database moved to temp places.
use std::process::{Command, Stdio};

use federation::check::SubgraphsManifest;
use serde_json::{Value, json};

use crate::gateway::{Running, free_port, wait_ready};
use crate::{arg, read, repo};

async fn graphql(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("the gateway answers")
        .json()
        .await
        .expect("a JSON response")
}

#[tokio::test]
async fn the_gateway_fronts_the_subgraphs_with_the_committed_supergraph() {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = SubgraphsManifest::from_yaml(&read(&repo().join("schema/subgraphs.yaml")))
        .expect("manifest");
    // The committed config, every loopback port moved to a free one (listen addresses and
    // the JWKS URLs the gateway and subgraphs verify tokens against).
    let ports: Vec<(String, u16)> = ["identity", "authz", "audit", "blog"]
        .into_iter()
        .map(|name| (name.to_owned(), free_port()))
        .collect();
    let gateway_port = free_port();
    let config_dir = dir.path().join("config");
    std::fs::create_dir(&config_dir).expect("config dir");
    for entry in std::fs::read_dir(repo().join("config")).expect("config/") {
        let path = entry.expect("config entry").path();
        let mut text = read(&path).replace("127.0.0.1:4000", &format!("127.0.0.1:{gateway_port}"));
        for (default, (_, port)) in [4001, 4002, 4003, 4004].into_iter().zip(&ports) {
            text = text.replace(
                &format!("127.0.0.1:{default}"),
                &format!("127.0.0.1:{port}"),
            );
        }
        let text = text.replace(
            "sqlite://data/",
            &format!("sqlite://{}/", dir.path().display()),
        );
        std::fs::write(config_dir.join(path.file_name().expect("file name")), text)
            .expect("write config");
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_platform"));
    command
        .args(["--config-dir", arg(&config_dir), "dev"])
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // The config overrides the supergraph's routing URLs (only composed subgraphs may be named).
    for (name, port) in &ports {
        if manifest.subgraphs.iter().any(|s| s.name == *name) {
            command.env(
                format!("PLATFORM__GATEWAY__SUBGRAPHS__{}__URL", name.to_uppercase()),
                format!("http://127.0.0.1:{port}/graphql"),
            );
        }
    }
    let mut child = Running(command.spawn().expect("start `platform dev`"));
    let base = format!("http://127.0.0.1:{gateway_port}");
    let client = reqwest::Client::new();
    let committed = read(&repo().join("schema/supergraph.graphql"));
    let ready = wait_ready(&client, &base, &mut child, |_| true).await;
    assert_eq!(
        ready["supergraph"]["sha256"],
        json!(router::reload::sha256_hex(&committed))
    );

    // Subgraphs may still be starting when the gateway is ready: retry the first call.
    let register = "mutation($input: RegisterInput!) { register(input: $input) { id username } }";
    let input = json!({"input": {"email": "alice@example.com", "username": "alice", "password": "correct horse battery"}});
    let mut registered = Value::Null;
    for _ in 0..100 {
        registered = graphql(&client, &base, None, register, input.clone()).await;
        if registered["errors"].is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        registered["data"]["register"]["username"], "alice",
        "{registered}"
    );

    let login = read(&repo().join("schema/operations/identity/login.graphql"));
    let logged_in = graphql(
        &client,
        &base,
        None,
        &login,
        json!({"email": "alice@example.com", "password": "correct horse battery"}),
    )
    .await;
    let token = logged_in["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {logged_in}"))
        .to_owned();

    // One operation across identity (me) and audit (auditTrail) through the gateway.
    let activity = read(&repo().join("schema/operations/audit/my_activity.graphql"));
    // The gateway may have fetched identity's JWKS before identity listened; it refetches on
    // an unknown key id at most every `min_refetch` (see router::auth::jwks): retry meanwhile.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut mine = graphql(&client, &base, Some(&token), &activity, json!({})).await;
    while mine["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        mine = graphql(&client, &base, Some(&token), &activity, json!({})).await;
    }
    assert!(mine["errors"].is_null(), "{mine}");
    assert_eq!(mine["data"]["me"]["username"], "alice", "{mine}");
    assert!(
        mine["data"]["me"]["auditTrail"]["totalCount"].is_u64(),
        "{mine}"
    );
}
