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

/// `platform dev` on the committed config with every port and database moved to temp places.
struct Dev {
    base: String,
    child: Running,
    _dir: tempfile::TempDir,
}

fn start_dev(env: &[(&str, &str)]) -> Dev {
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
    for (key, value) in env {
        command.env(key, value);
    }
    let child = Running(command.spawn().expect("start `platform dev`"));
    Dev {
        base: format!("http://127.0.0.1:{gateway_port}"),
        child,
        _dir: dir,
    }
}

#[tokio::test]
async fn the_gateway_fronts_the_subgraphs_with_the_committed_supergraph() {
    let Dev {
        base,
        mut child,
        _dir,
    } = start_dev(&[]);
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

/// The payload of a JWT, as JSON (the signature is the gateway's and subgraphs' business).
fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

fn scopes(token: &str) -> Vec<String> {
    claims(token)["scope"]
        .as_str()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// One client of the platform, through the gateway only.
struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    /// Runs `query` and fails the test on any GraphQL error.
    async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = graphql(&self.http, &self.base, token, query, variables).await;
        assert!(response["errors"].is_null(), "{query}: {response}");
        response["data"].clone()
    }

    async fn register(&self, email: &str, username: &str) -> String {
        let data = self
            .ok(
                None,
                "mutation($input: RegisterInput!) { register(input: $input) { id } }",
                json!({"input": {"email": email, "username": username, "password": "correct horse battery"}}),
            )
            .await;
        data["register"]["id"].as_str().expect("user id").to_owned()
    }

    /// (access token, refresh token)
    async fn login(&self, email: &str, password: &str) -> (String, String) {
        let data = self
            .ok(
                None,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }",
                json!({"e": email, "p": password}),
            )
            .await;
        let text = |k: &str| data["login"][k].as_str().expect("token").to_owned();
        (text("accessToken"), text("refreshToken"))
    }

    /// Audit entries of `action` about `resource_id`, waiting for the event to be relayed.
    async fn audited(&self, admin: &str, action: &str, resource_id: &str) -> Vec<Value> {
        let query = "query($f: AuditEntryFilter) { auditEntries(filter: $f, first: 50) { edges { node { userId action resource resourceId } } } }";
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let data = self
                .ok(
                    Some(admin),
                    query,
                    json!({"f": {"action": action, "resourceId": resource_id}}),
                )
                .await;
            let entries: Vec<Value> = data["auditEntries"]["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"].clone())
                .collect();
            if !entries.is_empty() || std::time::Instant::now() > deadline {
                return entries;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test]
async fn an_admin_grants_publishing_and_the_blog_lifecycle_is_enforced_and_audited() {
    let admin_password = "dev-e2e-admin-password";
    let Dev {
        base,
        mut child,
        _dir,
    } = start_dev(&[
        (
            "PLATFORM__IDENTITY__BOOTSTRAP_ADMIN__EMAIL",
            "admin@example.com",
        ),
        (
            "PLATFORM__IDENTITY__BOOTSTRAP_ADMIN__PASSWORD",
            admin_password,
        ),
    ]);
    let http = reqwest::Client::new();
    wait_ready(&http, &base, &mut child, |_| true).await;
    let client = Client { http, base };

    // The subgraphs may still be starting when the gateway is ready.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (admin, _) = loop {
        let response = graphql(
            &client.http,
            &client.base,
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }",
            json!({"e": "admin@example.com", "p": admin_password}),
        )
        .await;
        if response["errors"].is_null() || std::time::Instant::now() > deadline {
            break client.login("admin@example.com", admin_password).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(scopes(&admin).iter().any(|s| s == "authz.role.create"));

    let bob_id = client.register("bob@example.com", "bob").await;
    client.register("carol@example.com", "carol").await;
    let (bob, bob_refresh) = client
        .login("bob@example.com", "correct horse battery")
        .await;
    let (carol, _) = client
        .login("carol@example.com", "correct horse battery")
        .await;
    assert!(!scopes(&bob).iter().any(|s| s == "blog.post.publish"));
    // The gateway may have tried identity's JWKS before identity listened; it refetches on an
    // unknown key id (see router::auth::jwks): wait until it accepts identity's tokens.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let me = graphql(
            &client.http,
            &client.base,
            Some(&bob),
            "{ me { id } }",
            json!({}),
        )
        .await;
        if me["errors"].is_null() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{me}");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }

    // Without the permission the gateway refuses publishing before any subgraph sees it.
    let draft = client
        .ok(
            Some(&bob),
            "mutation { createPost(input: {title: \"Hello federation\", content: \"draft\"}) { id status } }",
            json!({}),
        )
        .await;
    let post_id = draft["createPost"]["id"]
        .as_str()
        .expect("post id")
        .to_owned();
    assert_eq!(draft["createPost"]["status"], "DRAFT");
    let publish = "mutation($id: ID!) { publishPost(id: $id) { id status publishedAt } }";
    let refused = graphql(
        &client.http,
        &client.base,
        Some(&bob),
        publish,
        json!({"id": post_id}),
    )
    .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );

    // The admin creates a role with blog.post.publish and assigns it to bob.
    let role = client
        .ok(
            Some(&admin),
            "mutation { createRole(input: {name: \"publisher\", description: \"may publish\"}) { id } }",
            json!({}),
        )
        .await;
    let role_id = role["createRole"]["id"]
        .as_str()
        .expect("role id")
        .to_owned();
    client
        .ok(
            Some(&admin),
            "mutation($r: ID!) { grantPermission(roleId: $r, permission: \"blog.post.publish\") { id } }",
            json!({"r": role_id}),
        )
        .await;
    client
        .ok(
            Some(&admin),
            "mutation($u: ID!, $r: ID!) { assignRole(userId: $u, roleId: $r) { id } }",
            json!({"u": bob_id, "r": role_id}),
        )
        .await;

    // Bob refreshes: the new access token carries the new scope.
    let refreshed = client
        .ok(
            None,
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            json!({"t": bob_refresh}),
        )
        .await;
    let bob = refreshed["refreshToken"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    assert!(
        scopes(&bob).iter().any(|s| s == "blog.post.publish"),
        "{:?}",
        scopes(&bob)
    );
    assert!(
        claims(&bob)["roles"]
            .as_array()
            .expect("roles")
            .contains(&json!("publisher"))
    );

    // A reader cannot see the draft; its author can.
    let by_id = "query($id: ID!) { post(id: $id) { id status author { username } } }";
    let hidden = graphql(
        &client.http,
        &client.base,
        Some(&carol),
        by_id,
        json!({"id": post_id}),
    )
    .await;
    assert!(hidden["data"]["post"].is_null(), "{hidden}");
    let mine = client.ok(Some(&bob), by_id, json!({"id": post_id})).await;
    assert_eq!(mine["post"]["author"]["username"], "bob", "{mine}");

    // Update, publish, comment (as another user), archive.
    client
        .ok(
            Some(&bob),
            "mutation($id: ID!) { updatePost(id: $id, input: {content: \"final\"}) { id } }",
            json!({"id": post_id}),
        )
        .await;
    let published = client.ok(Some(&bob), publish, json!({"id": post_id})).await;
    assert_eq!(published["publishPost"]["status"], "PUBLISHED");
    let seen = client.ok(Some(&carol), by_id, json!({"id": post_id})).await;
    assert_eq!(seen["post"]["status"], "PUBLISHED", "{seen}");
    client
        .ok(
            Some(&carol),
            "mutation($id: ID!) { addComment(postId: $id, body: \"Nice\") { id } }",
            json!({"id": post_id}),
        )
        .await;
    let archived = client
        .ok(
            Some(&bob),
            "mutation($id: ID!) { archivePost(id: $id) { status } }",
            json!({"id": post_id}),
        )
        .await;
    assert_eq!(archived["archivePost"]["status"], "ARCHIVED");

    // Every step is in the audit log with its actor.
    let admin_id = claims(&admin)["sub"].as_str().expect("sub").to_owned();
    let assigned = client.audited(&admin, "authz.role.assigned", &bob_id).await;
    assert_eq!(assigned.len(), 1, "{assigned:?}");
    assert_eq!(assigned[0]["userId"], json!(admin_id));
    for action in [
        "blog.post.created",
        "blog.post.updated",
        "blog.post.published",
        "blog.post.archived",
    ] {
        let entries = client.audited(&admin, action, &post_id).await;
        assert_eq!(entries.len(), 1, "{action}: {entries:?}");
        assert_eq!(entries[0]["userId"], json!(bob_id), "{action}");
    }
}
