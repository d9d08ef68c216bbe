use std::net::SocketAddr;
use std::sync::Arc;

use identity::IdentityConfig;
use identity::NoRoles;
use identity::service::{IdentityApp, IdentityOptions};
use kit::db::{Db, DbOptions};
use serde_json::{Value, json};

/// Which database a case runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares `<case>_sqlite` and `<case>_postgres` tests for `async fn case(Backend)`; the
/// PostgreSQL one returns early (passing) when `DATABASE_URL` is unset.
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$case($crate::support::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if std::env::var("DATABASE_URL").is_err() {
                        eprintln!("DATABASE_URL unset: skipping the PostgreSQL variant");
                        return;
                    }
                    super::$case($crate::support::Backend::Postgres).await;
                }
            }
        )*
    };
}

pub const PASSWORD: &str = "correct horse battery";

pub struct Server {
    pub url: String,
    pub http: reqwest::Client,
    pub app: IdentityApp,
    pub db: Db,
    _dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Cheap argon2 and no backoff, so cases run fast; `tweak` adjusts further.
pub fn test_config() -> IdentityConfig {
    let mut config = IdentityConfig {
        issuer: "test-identity".into(),
        audience: "test-platform".into(),
        ..IdentityConfig::default()
    };
    config.password.memory_kib = 64;
    config.password.iterations = 1;
    config.password.parallelism = 1;
    config.lockout.backoff_base_ms = 0;
    config
}

pub async fn start(backend: Backend, tweak: impl FnOnce(&mut IdentityConfig)) -> Server {
    let mut config = test_config();
    tweak(&mut config);
    start_with(backend, config, true).await
}

pub async fn open_db(backend: Backend, dir: &tempfile::TempDir) -> Db {
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}", dir.path().join("identity.db").display());
            Db::connect(&url, DbOptions::new("identity"))
                .await
                .expect("open sqlite")
        }
        Backend::Postgres => {
            let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
            // A schema per case keeps cases independent.
            let schema = format!("identity_t{}", uuid::Uuid::now_v7().simple());
            Db::connect(&url, DbOptions::new(schema))
                .await
                .expect("open postgres")
        }
    }
}

pub async fn start_with(backend: Backend, config: IdentityConfig, development: bool) -> Server {
    // Server-side logs (with causes of internal errors) show with `--nocapture`.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open_db(backend, &dir).await;
    try_start_on(db, dir, config, development)
        .await
        .expect("identity starts")
}

/// Starts identity on an open database (kept in `dir`), or returns why it refused.
pub async fn try_start_on(
    db: Db,
    dir: tempfile::TempDir,
    config: IdentityConfig,
    development: bool,
) -> Result<Server, identity::service::StartError> {
    let app = IdentityApp::start(
        db.clone(),
        IdentityOptions {
            config,
            development,
            roles: Arc::new(NoRoles),
        },
    )
    .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = app.router();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    Ok(Server {
        url: format!("http://{addr}"),
        http: reqwest::Client::new(),
        app,
        db,
        _dir: dir,
        server,
    })
}

impl Server {
    /// Posts a GraphQL request; returns the whole response body.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let body: Value = response.json().await.expect("json body");
        // GraphQL-over-HTTP: a request refused as a whole (e.g. a bad token) is a 4xx.
        assert!(
            status == reqwest::StatusCode::OK
                || (status.is_client_error() && body.get("errors").is_some()),
            "HTTP {status}: {body:#}"
        );
        body
    }

    /// `data`, asserting there are no errors.
    pub async fn ok(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let body = self.gql(query, variables, token).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    pub async fn register(&self, email: &str, username: &str) -> Value {
        self.ok(
            "mutation($i: RegisterInput!) { register(input: $i) { id username email emailVerified } }",
            json!({ "i": { "email": email, "username": username, "password": PASSWORD } }),
            None,
        )
        .await["register"]
            .clone()
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        self.gql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken tokenType expiresAt user { id email } } }",
            json!({ "e": email, "p": password }),
            None,
        )
        .await
    }

    /// Access and refresh token of a successful login.
    pub async fn login_ok(&self, email: &str, password: &str) -> (String, String) {
        let body = self.login(email, password).await;
        assert!(body.get("errors").is_none(), "login failed: {body:#}");
        let login = &body["data"]["login"];
        (
            login["accessToken"].as_str().expect("access").to_owned(),
            login["refreshToken"].as_str().expect("refresh").to_owned(),
        )
    }

    /// The newest dev mail to `to`, read through the `devMails` query.
    pub async fn latest_mail(&self, to: &str) -> Value {
        let data = self
            .ok(
                "query($to: String) { devMails(to: $to, first: 1) { to subject body } }",
                json!({ "to": to }),
                None,
            )
            .await;
        data["devMails"][0].clone()
    }

    pub async fn mail_count(&self, to: &str) -> usize {
        let data = self
            .ok(
                "query($to: String) { devMails(to: $to, first: 100) { id } }",
                json!({ "to": to }),
                None,
            )
            .await;
        data["devMails"].as_array().map_or(0, Vec::len)
    }

    pub async fn user_count(&self) -> i64 {
        identity::store::users::count(&self.db)
            .await
            .expect("count")
    }
}

/// The token in a mail body (`code: <token>`).
pub fn token_from_mail(mail: &Value) -> String {
    let body = mail["body"].as_str().expect("mail body");
    let (_, rest) = body.split_once("code: ").expect("mail carries a code");
    rest.split_whitespace().next().expect("token").to_owned()
}

/// The first error's `extensions.code` and `extensions.field`.
pub fn error_of(body: &Value) -> (String, Option<String>) {
    let error = &body["errors"][0];
    assert!(!error.is_null(), "expected an error: {body:#}");
    (
        error["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        error["extensions"]["field"].as_str().map(str::to_owned),
    )
}

pub const ME: &str = "{ me { id username email emailVerified } }";
