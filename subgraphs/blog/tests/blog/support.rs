//! A blog server on port 0 with its database, a token issuer, and a bus listener that
//! collects every event the blog's outbox relays.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel_async::RunQueryDsl;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use kit::auth::{AuthConfig, StaticKeys, TokenVerifier};
use kit::db::{Backend, Db, DbOptions};
use kit::events::{EventBus, EventEnvelope, InProcessBus, InProcessSettings, Subscription};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const KID: &str = "blog-test";

/// Signs access tokens the way identity does (EdDSA, `kid`, `scope`).
pub struct Issuer {
    key: jsonwebtoken::EncodingKey,
    config: AuthConfig,
}

impl Issuer {
    fn new() -> (Self, TokenVerifier) {
        let signing = SigningKey::from_bytes(&[9u8; 32]);
        let der = signing.to_pkcs8_der().expect("pkcs8");
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(json!({
            "keys": [{
                "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": KID,
                "x": URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes()),
            }]
        }))
        .expect("jwks");
        let config = AuthConfig::default();
        let verifier = TokenVerifier::new(Arc::new(StaticKeys::from_jwks(&jwks)), &config);
        let issuer = Self {
            key: jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()),
            config,
        };
        (issuer, verifier)
    }

    pub fn token(&self, user: &str, scopes: &[&str]) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({
            "sub": user, "scope": scopes.join(" "), "roles": [],
            "iss": self.config.issuer, "aud": self.config.audience,
            "iat": now, "exp": now + 600, "jti": uuid::Uuid::now_v7().to_string(),
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(KID.to_owned());
        jsonwebtoken::encode(&header, &claims, &self.key).expect("sign")
    }
}

/// Someone calling the API: a user id and the permission codes in their token.
#[derive(Clone, Copy)]
pub struct As<'a> {
    pub user: &'a str,
    pub scopes: &'a [&'a str],
}

pub struct Server {
    base: String,
    client: reqwest::Client,
    issuer: Issuer,
    db: Db,
    events: Arc<Delivered>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), kit::service::ServiceError>>,
    _subscription: Subscription,
    _dir: Option<tempfile::TempDir>,
}

/// The events the bus delivered, in order (a std mutex: never held across an await).
#[derive(Default)]
struct Delivered(std::sync::Mutex<Vec<EventEnvelope>>);

async fn open(backend: Backend) -> Option<(Db, Option<tempfile::TempDir>)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/blog.db", dir.path().display());
            let db = Db::connect(&url, DbOptions::new("blog"))
                .await
                .expect("open sqlite");
            Some((db, Some(dir)))
        }
        Backend::Postgres => {
            let url = std::env::var("DATABASE_URL")
                .ok()
                .filter(|u| !u.is_empty())?;
            let schema = format!("blog_test_{}", uuid::Uuid::now_v7().simple());
            let db = Db::connect(&url, DbOptions::new(schema))
                .await
                .expect("connect to DATABASE_URL");
            Some((db, None))
        }
    }
}

impl Server {
    /// A migrated blog on `backend`; `None` for PostgreSQL without `DATABASE_URL`.
    pub async fn start(backend: Backend) -> Option<Self> {
        let (db, dir) = open(backend).await?;
        assert!(!blog::migrate(&db).await.expect("migrate").is_empty());
        assert!(
            blog::migrate(&db).await.expect("migrate again").is_empty(),
            "migrating twice is a no-op"
        );
        let bus = InProcessBus::new(InProcessSettings::default());
        let events = Arc::new(Delivered::default());
        let sink = events.clone();
        let subscription = bus
            .subscribe(
                "blog-test",
                "collector",
                kit::events::handler_fn(move |event: EventEnvelope| {
                    let sink = sink.clone();
                    async move {
                        sink.0.lock().expect("events lock").push(event);
                        Ok(())
                    }
                }),
            )
            .await
            .expect("subscribe");
        let (issuer, verifier) = Issuer::new();
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(blog::serve(
            db.clone(),
            Arc::new(bus),
            verifier,
            listener,
            shutdown.clone(),
        ));
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client
                .get(format!("{base}/ready"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Some(Self {
            base,
            client,
            issuer,
            db,
            events,
            shutdown,
            task,
            _subscription: subscription,
            _dir: dir,
        })
    }

    /// POSTs a GraphQL request, anonymous when `caller` is `None`; returns the JSON body.
    pub async fn gql(&self, caller: Option<As<'_>>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(caller) = caller {
            request = request.bearer_auth(self.issuer.token(caller.user, caller.scopes));
        }
        let response = request.send().await.expect("send");
        response.json().await.expect("json body")
    }

    /// Waits until the bus has delivered `count` events, and returns all delivered so far.
    pub async fn events(&self, count: usize) -> Vec<EventEnvelope> {
        for _ in 0..250 {
            let events = self.events.0.lock().expect("events lock").clone();
            if events.len() >= count {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let events = self.events.0.lock().expect("events lock").clone();
        panic!(
            "expected {count} events, got {:?}",
            events.iter().map(|e| &e.event_type).collect::<Vec<_>>()
        );
    }

    /// Event types in the outbox table, in the order written.
    pub async fn outbox_types(&self) -> Vec<String> {
        use diesel::{ExpressionMethods as _, QueryDsl as _};
        use kit::events::outbox::outbox;
        kit::db_run!(self.db, |conn| async move {
            Ok(outbox::table
                .order(outbox::seq.asc())
                .select(outbox::event_type)
                .load::<String>(conn)
                .await?)
        })
        .expect("read outbox")
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.expect("join").expect("serve");
        if self.db.backend() == Backend::Postgres {
            let schema = self.db.schema().to_owned();
            let _ = kit::db_run!(self.db, |conn| async move {
                diesel::sql_query(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                    .execute(conn)
                    .await?;
                Ok(())
            });
        }
    }
}

/// The first error's `extensions.code`.
pub fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// The first error's `extensions.field`.
pub fn field(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["field"].as_str()
}

/// `data` of a response that must have no errors.
pub fn data(body: &Value) -> &Value {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    &body["data"]
}
