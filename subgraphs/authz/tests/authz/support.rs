//! Identity and authz, each on its own loopback port with its own database, wired as in
//! `platform dev`: identity's tokens carry authz's grants through `/internal/grants`, authz
//! verifies tokens through identity's JWKS over HTTP.

use std::net::SocketAddr;
use std::sync::Arc;

use authz::service::{AuthzApp, AuthzOptions};
use authz::{AuthzConfig, Manifest};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use identity::IdentityConfig;
use identity::authz_roles::AuthzRoles;
use identity::config::BootstrapAdmin;
use identity::service::{IdentityApp, IdentityOptions};
use kit::auth::AuthConfig;
use kit::config::Secret;
use kit::db::{Db, DbOptions};
use kit::events::{EventBus, InProcessBus, InProcessSettings, Subscription};
use serde_json::{Value, json};
use tokio::net::TcpListener;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// `<case>::sqlite` and `<case>::postgres` for `async fn case(Backend)`; the PostgreSQL one
/// passes without running when `DATABASE_URL` is unset.
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

pub const ADMIN_EMAIL: &str = "admin@example.org";
pub const PASSWORD: &str = "correct horse battery";
pub const ISSUER: &str = "test-identity";
pub const AUDIENCE: &str = "test-platform";

pub struct Platform {
    pub identity_url: String,
    pub authz_url: String,
    pub http: reqwest::Client,
    pub identity: IdentityApp,
    _authz: AuthzApp,
    pub authz_db: Db,
    _revocations: Subscription,
    _dirs: tempfile::TempDir,
    servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Platform {
    fn drop(&mut self) {
        for server in &self.servers {
            server.abort();
        }
    }
}

pub async fn open_db(backend: Backend, dir: &std::path::Path, name: &str) -> Db {
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
            Db::connect(&url, DbOptions::new(name))
                .await
                .expect("open sqlite")
        }
        Backend::Postgres => {
            let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
            let schema = format!("{name}_t{}", uuid::Uuid::now_v7().simple());
            Db::connect(&url, DbOptions::new(schema))
                .await
                .expect("open postgres")
        }
    }
}

fn identity_config() -> IdentityConfig {
    let mut config = IdentityConfig {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        ..IdentityConfig::default()
    };
    config.password.memory_kib = 64;
    config.password.iterations = 1;
    config.password.parallelism = 1;
    config.lockout.backoff_base_ms = 0;
    config.bootstrap_admin = Some(BootstrapAdmin {
        email: ADMIN_EMAIL.into(),
        password: Secret::new(PASSWORD),
        username: Some("admin".into()),
    });
    config
}

pub fn authz_config() -> AuthzConfig {
    AuthzConfig {
        default_user_permissions: vec![
            permissions::BLOG_POST_READ.into(),
            permissions::BLOG_COMMENT_CREATE.into(),
        ],
        bootstrap_admin_email: Some(ADMIN_EMAIL.into()),
        ..AuthzConfig::default()
    }
}

fn serve(listener: TcpListener, router: axum::Router) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    })
}

/// Both services with the compiled manifests.
pub async fn start(backend: Backend) -> Platform {
    start_with(backend, Manifest::compiled(), authz_config()).await
}

pub async fn start_with(
    backend: Backend,
    manifests: Vec<Manifest>,
    config: AuthzConfig,
) -> Platform {
    let dirs = tempfile::tempdir().expect("tempdir");
    let identity_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let authz_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let identity_url = format!("http://{}", identity_listener.local_addr().expect("addr"));
    let authz_url = format!("http://{}", authz_listener.local_addr().expect("addr"));

    let roles = Arc::new(AuthzRoles::new(&authz_url, &config.service_audience).expect("client"));
    let identity_db = open_db(backend, dirs.path(), "identity").await;
    let identity = IdentityApp::start(
        identity_db,
        IdentityOptions {
            config: identity_config(),
            development: true,
            roles: roles.clone(),
        },
    )
    .await
    .expect("identity starts");
    roles.attach(&identity.identity);

    // As in `platform dev`: authz's events reach identity, which ends an ex-admin's sessions.
    let bus: Arc<dyn EventBus> = Arc::new(InProcessBus::new(InProcessSettings::default()));
    let revocations = bus
        .subscribe(
            "identity",
            "identity",
            identity::authz_roles::admin_revocation_handler(identity.identity.db().clone()),
        )
        .await
        .expect("subscribe");
    let authz_db = open_db(backend, dirs.path(), "authz").await;
    let authz = start_authz(&authz_db, &identity_url, manifests, config, Some(bus)).await;
    let servers = vec![
        serve(identity_listener, identity.router()),
        serve(authz_listener, authz.router()),
    ];
    Platform {
        identity_url,
        authz_url,
        http: reqwest::Client::new(),
        identity,
        _authz: authz,
        authz_db,
        _revocations: revocations,
        _dirs: dirs,
        servers,
    }
}

pub async fn start_authz(
    db: &Db,
    identity_url: &str,
    manifests: Vec<Manifest>,
    config: AuthzConfig,
    bus: Option<Arc<dyn EventBus>>,
) -> AuthzApp {
    let auth = AuthConfig {
        jwks_url: Some(format!("{identity_url}/.well-known/jwks.json")),
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        min_refetch_seconds: 0,
        ..AuthConfig::default()
    };
    AuthzApp::start(
        db.clone(),
        AuthzOptions {
            config,
            auth,
            manifests,
            bus,
        },
    )
    .await
    .expect("authz starts")
}

impl Platform {
    async fn post(&self, url: &str, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = self
            .http
            .post(format!("{url}/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        response.json().await.expect("json body")
    }

    /// A GraphQL request to authz; the whole response body.
    pub async fn authz(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.post(&self.authz_url, query, variables, token).await
    }

    /// `data` of an authz request that must succeed.
    pub async fn authz_ok(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let body = self.authz(query, variables, token).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    pub async fn identity(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.post(&self.identity_url, query, variables, token).await
    }

    /// Registers a user through identity; returns the id.
    pub async fn register(&self, email: &str, username: &str) -> String {
        let body = self
            .identity(
                "mutation($i: RegisterInput!) { register(input: $i) { id } }",
                json!({ "i": { "email": email, "username": username, "password": PASSWORD } }),
                None,
            )
            .await;
        body["data"]["register"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("register failed: {body:#}"))
            .to_owned()
    }

    /// Logs in through identity; (access token, refresh token).
    pub async fn login(&self, email: &str) -> (String, String) {
        let body = self
            .identity(
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }",
                json!({ "e": email, "p": PASSWORD }),
                None,
            )
            .await;
        let login = &body["data"]["login"];
        assert!(login.is_object(), "login failed: {body:#}");
        (
            login["accessToken"].as_str().expect("access").to_owned(),
            login["refreshToken"].as_str().expect("refresh").to_owned(),
        )
    }

    /// A token identity signs for `user_id` with exactly these permission codes (not from
    /// authz), to call guarded fields with chosen scopes.
    pub fn token_with(&self, user_id: &str, scopes: &[&str]) -> String {
        let grants = identity::Grants {
            roles: Vec::new(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        };
        let subject = identity::tokens::TokenSubject {
            user_id,
            email: "someone@example.org",
            session_id: "test-session",
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        identity::tokens::issue_access_token(
            self.identity.identity.keys(),
            &subject,
            &grants,
            ISSUER,
            AUDIENCE,
            900,
            now,
        )
        .expect("issue token")
        .token
    }

    /// Row counts of every authz table and the outbox: equal before and after means nothing
    /// was written.
    pub async fn table_counts(&self) -> [i64; 5] {
        use authz::store::schema::{permissions, role_permissions, roles, user_roles};
        use kit::events::outbox::outbox;
        kit::db_run!(self.authz_db, |conn| async move {
            Ok([
                permissions::table.count().get_result(conn).await?,
                roles::table.count().get_result(conn).await?,
                role_permissions::table.count().get_result(conn).await?,
                user_roles::table.count().get_result(conn).await?,
                outbox::table.count().get_result(conn).await?,
            ])
        })
        .expect("counts")
    }

    /// Event types in authz's outbox, oldest first.
    pub async fn outbox_types(&self) -> Vec<String> {
        use kit::events::outbox::outbox;
        kit::db_run!(self.authz_db, |conn| async move {
            Ok(outbox::table
                .select(outbox::event_type)
                .order(outbox::seq)
                .load::<String>(conn)
                .await?)
        })
        .expect("outbox")
    }
}

/// The scopes of an access token (decoded without verification: the test only reads them).
pub fn scopes_of(token: &str) -> Vec<String> {
    claims_of(token)["scope"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

pub fn claims_of(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("JWT payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("claims JSON")
}

/// The first error's `extensions.code`.
pub fn error_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error: {body:#}"))
        .to_owned()
}

impl Platform {
    /// Whether identity still accepts `refresh_token` (it is consumed when it is).
    pub async fn refresh_works(&self, refresh_token: &str) -> bool {
        let body = self
            .identity(
                "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
                json!({ "t": refresh_token }),
                None,
            )
            .await;
        body["data"]["refreshToken"]["accessToken"].is_string()
    }
}

/// An RFC 3339 timestamp `offset_ms` from now.
pub fn rfc3339_in(offset_ms: i64) -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::milliseconds(offset_ms);
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("format timestamp")
}
