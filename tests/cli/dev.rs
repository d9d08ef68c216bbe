//! `platform dev` (what `cargo run` runs): the gateway in front of the subgraphs, driven over
//! HTTP through the gateway only, with every port and database moved to temp places.
use std::process::{Command, Stdio};

use federation::check::SubgraphsManifest;
use serde_json::{Value, json};

use crate::gateway::{Running, free_port, wait_ready};
use crate::{read, repo};

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
    let gateway_port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_platform"));
    command
        .arg("dev")
        .current_dir(repo())
        .env(
            "PLATFORM__GATEWAY__LISTEN",
            format!("127.0.0.1:{gateway_port}"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut identity_port = 0;
    for name in ["identity", "authz", "audit", "blog"] {
        let port = free_port();
        let upper = name.to_uppercase();
        command
            .env(
                format!("PLATFORM__SUBGRAPHS__{upper}__LISTEN"),
                format!("127.0.0.1:{port}"),
            )
            .env(
                format!("PLATFORM__SUBGRAPHS__{upper}__DATABASE_URL"),
                format!("sqlite://{}/{name}.db", dir.path().display()),
            );
        // The config overrides the manifest's routing URLs (only for composed subgraphs).
        if manifest.subgraphs.iter().any(|s| s.name == name) {
            command.env(
                format!("PLATFORM__GATEWAY__SUBGRAPHS__{upper}__URL"),
                format!("http://127.0.0.1:{port}/graphql"),
            );
        }
        if name == "identity" {
            identity_port = port;
        }
    }
    command.env(
        "PLATFORM__AUTH__JWKS_URL",
        format!("http://127.0.0.1:{identity_port}/.well-known/jwks.json"),
    );
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
    let mine = graphql(&client, &base, Some(&token), &activity, json!({})).await;
    assert!(mine["errors"].is_null(), "{mine}");
    assert_eq!(mine["data"]["me"]["username"], "alice", "{mine}");
    assert!(
        mine["data"]["me"]["auditTrail"]["totalCount"].is_u64(),
        "{mine}"
    );
}
