//! `platform dev` (what `cargo run` runs): the gateway in front of the subgraphs, driven over
//! HTTP through the gateway only, with every port and database moved to temp places.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use federation::check::SubgraphsManifest;
use serde_json::{Value, json};

use crate::gateway::{Running, free_port, wait_ready};
use crate::{arg, read, repo};

pub async fn graphql(
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

/// `platform dev`'s configuration: a workspace's `config/`, every loopback port moved to a
/// free one and every SQLite file to a temp folder.
pub struct DevConfig {
    /// Holds the config and the databases for as long as the platform runs.
    _dir: tempfile::TempDir,
    pub config_dir: PathBuf,
    pub base: String,
    /// `PLATFORM__GATEWAY__SUBGRAPHS__<NAME>__URL` for every composed subgraph.
    gateway_urls: Vec<(String, String)>,
}

impl DevConfig {
    /// The ports moved are the gateway's (4000) and every routing URL's in the workspace's
    /// `schema/subgraphs.yaml` (listen addresses, and the JWKS URLs on identity's port).
    pub fn new(root: &Path) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest = SubgraphsManifest::from_yaml(&read(&root.join("schema/subgraphs.yaml")))
            .expect("manifest");
        let mut moves = vec![(4000, free_port())];
        let mut gateway_urls = Vec::new();
        for subgraph in &manifest.subgraphs {
            let port: u16 = subgraph
                .routing_url
                .strip_prefix("http://127.0.0.1:")
                .and_then(|rest| rest.split('/').next())
                .and_then(|port| port.parse().ok())
                .unwrap_or_else(|| panic!("{}: not a loopback routing URL", subgraph.name));
            let free = free_port();
            moves.push((port, free));
            gateway_urls.push((
                format!(
                    "PLATFORM__GATEWAY__SUBGRAPHS__{}__URL",
                    subgraph.name.to_uppercase()
                ),
                format!("http://127.0.0.1:{free}/graphql"),
            ));
        }
        let config_dir = dir.path().join("config");
        std::fs::create_dir(&config_dir).expect("config dir");
        for entry in std::fs::read_dir(root.join("config")).expect("config/") {
            let path = entry.expect("config entry").path();
            let mut text = read(&path);
            for (from, to) in &moves {
                text = text.replace(&format!("127.0.0.1:{from}"), &format!("127.0.0.1:{to}"));
            }
            let text = text.replace(
                "sqlite://data/",
                &format!("sqlite://{}/", dir.path().display()),
            );
            std::fs::write(config_dir.join(path.file_name().expect("file name")), text)
                .expect("write config");
        }
        Self {
            base: format!("http://127.0.0.1:{}", moves[0].1),
            _dir: dir,
            config_dir,
            gateway_urls,
        }
    }

    /// `<bin> --config-dir <this> <args>` run in `root`, its output discarded.
    pub fn command(&self, bin: &Path, root: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(bin);
        command
            .args(["--config-dir", arg(&self.config_dir)])
            .args(args)
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// Starts `<bin> dev` in `root` (the gateway serves `root`'s `schema/supergraph.graphql`);
    /// its stderr goes to [`DevConfig::log_tail`].
    pub fn spawn(&self, bin: &Path, root: &Path, env: &[(&str, &str)]) -> Running {
        let mut command = self.command(bin, root, &["dev"]);
        // The config overrides the supergraph's routing URLs.
        command.envs(self.gateway_urls.iter().map(|(k, v)| (k, v)));
        command.envs(env.iter().copied());
        if let Ok(log) = std::fs::File::create(self.log_path()) {
            command.stderr(log);
        }
        Running(command.spawn().expect("start `platform dev`"))
    }

    fn log_path(&self) -> PathBuf {
        self._dir.path().join("platform-dev.log")
    }

    /// The last lines `platform dev` wrote to stderr.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// A fresh config and `<bin> dev` started on it, ready (its `/ready` answers). A port
    /// probed free can be taken before the platform binds it (other tests run alongside):
    /// if the platform exits while starting, it is retried on new ports, twice at most.
    pub async fn start_ready(
        root: &Path,
        bin: &Path,
        env: &[(&str, &str)],
    ) -> (DevConfig, Running, Value) {
        let http = reqwest::Client::new();
        let mut last_log = String::new();
        for attempt in 1..=3 {
            let config = DevConfig::new(root);
            let mut child = config.spawn(bin, root, env);
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if let Ok(response) = http.get(format!("{}/ready", config.base)).send().await
                    && let Ok(body) = response.json::<Value>().await
                {
                    return (config, child, body);
                }
                if let Ok(Some(status)) = child.0.try_wait() {
                    last_log = config.log_tail();
                    eprintln!("platform dev exited ({status}) on attempt {attempt}:\n{last_log}");
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if Instant::now() >= deadline {
                panic!("platform dev never became ready:\n{}", config.log_tail());
            }
        }
        panic!("platform dev did not start in three attempts:\n{last_log}");
    }
}

/// `platform dev` on the committed config with every port and database moved to temp places.
struct Dev {
    base: String,
    child: Running,
    _config: DevConfig,
}

fn start_dev(env: &[(&str, &str)]) -> Dev {
    let config = DevConfig::new(&repo());
    let child = config.spawn(Path::new(env!("CARGO_BIN_EXE_platform")), &repo(), env);
    Dev {
        base: config.base.clone(),
        child,
        _config: config,
    }
}

/// Polls `{ me { id } }` with `token` until the gateway accepts it. The gateway may have
/// fetched identity's JWKS before identity listened; it refetches on an unknown key id at most
/// every `min_refetch` (see router::auth::jwks).
pub async fn wait_until_token_accepted(client: &reqwest::Client, base: &str, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let me = graphql(client, base, Some(token), "{ me { id } }", json!({})).await;
        if me["errors"].is_null() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the gateway never accepted identity's token: {me}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn the_gateway_fronts_the_subgraphs_with_the_committed_supergraph() {
    let Dev {
        base,
        mut child,
        _config,
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
    wait_until_token_accepted(&client, &base, &token).await;
    let mine = graphql(&client, &base, Some(&token), &activity, json!({})).await;
    assert!(mine["errors"].is_null(), "{mine}");
    assert_eq!(mine["data"]["me"]["username"], "alice", "{mine}");
    assert!(
        mine["data"]["me"]["auditTrail"]["totalCount"].is_u64(),
        "{mine}"
    );
}

/// The payload of a JWT, as JSON (the signature is the gateway's and subgraphs' business).
pub fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

pub fn scopes(token: &str) -> Vec<String> {
    claims(token)["scope"]
        .as_str()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// One client of the platform, through the gateway only.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    /// Runs `query` and fails the test on any GraphQL error.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = graphql(&self.http, &self.base, token, query, variables).await;
        assert!(response["errors"].is_null(), "{query}: {response}");
        response["data"].clone()
    }

    pub async fn register(&self, email: &str, username: &str) -> String {
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
    pub async fn login(&self, email: &str, password: &str) -> (String, String) {
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

    /// (access token, refresh token), retrying while the subgraphs behind a ready gateway are
    /// still starting.
    pub async fn login_when_up(&self, email: &str, password: &str) -> (String, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let response = graphql(
                &self.http,
                &self.base,
                None,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
                json!({"e": email, "p": password}),
            )
            .await;
            if response["errors"].is_null() || Instant::now() > deadline {
                return self.login(email, password).await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The new access token for `refresh_token` (carrying roles granted since login).
    pub async fn refresh(&self, refresh_token: &str) -> String {
        let refreshed = self
            .ok(
                None,
                "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
                json!({"t": refresh_token}),
            )
            .await;
        refreshed["refreshToken"]["accessToken"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// Creates role `name` holding `permission` and assigns it to `user_id`, as `admin`.
    pub async fn grant_role(&self, admin: &str, name: &str, permission: &str, user_id: &str) {
        let role = self
            .ok(
                Some(admin),
                "mutation($n: String!) { createRole(input: {name: $n, description: \"granted by a test\"}) { id } }",
                json!({"n": name}),
            )
            .await;
        let role_id = role["createRole"]["id"]
            .as_str()
            .expect("role id")
            .to_owned();
        self.ok(
            Some(admin),
            "mutation($r: ID!, $p: String!) { grantPermission(roleId: $r, permission: $p) { id } }",
            json!({"r": role_id, "p": permission}),
        )
        .await;
        self.ok(
            Some(admin),
            "mutation($u: ID!, $r: ID!) { assignRole(userId: $u, roleId: $r) { id } }",
            json!({"u": user_id, "r": role_id}),
        )
        .await;
    }

    /// Audit entries of `action` about `resource_id`, waiting for the event to be relayed.
    pub async fn audited(&self, admin: &str, action: &str, resource_id: &str) -> Vec<Value> {
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
        _config,
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

    let (admin, _) = client
        .login_when_up("admin@example.com", admin_password)
        .await;
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
    wait_until_token_accepted(&client.http, &client.base, &bob).await;

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

    // The admin creates a role with blog.post.publish and assigns it to bob; bob refreshes:
    // the new access token carries the new scope.
    client
        .grant_role(&admin, "publisher", "blog.post.publish", &bob_id)
        .await;
    let bob = client.refresh(&bob_refresh).await;
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
