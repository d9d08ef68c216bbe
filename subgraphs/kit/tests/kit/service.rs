use std::net::SocketAddr;
use std::time::Duration;

use async_graphql::{Context, EmptySubscription, ErrorExtensions as _, Object, Schema};
use kit::db::prelude::*;
use kit::db::{Db, DbOptions};
use kit::error::KitError;
use kit::service::Service;
use kit::telemetry::{RequestId, TraceContext};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::support::{TEST_MIGRATIONS, TestDb, notes};

const GQL_JSON: &str = "application/graphql-response+json";

/// Who the per-request seam says is calling.
#[derive(Clone)]
struct Caller(String);

struct Query;

#[Object]
impl Query {
    async fn note_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let db = ctx.data::<Db>()?;
        kit::db_run!(db, |conn| async move {
            Ok(notes::table.count().get_result::<i64>(conn).await?)
        })
        .map_err(|e| KitError::from(e).extend())
    }

    async fn slow(&self, ms: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }

    async fn caller(&self, ctx: &Context<'_>) -> Option<String> {
        ctx.data_opt::<Caller>().map(|c| c.0.clone())
    }

    async fn request_id(&self, ctx: &Context<'_>) -> Option<String> {
        ctx.data_opt::<RequestId>().map(|id| id.as_str().to_owned())
    }

    async fn trace_id(&self, ctx: &Context<'_>) -> Option<String> {
        ctx.data_opt::<TraceContext>()
            .map(TraceContext::trace_id_hex)
    }

    async fn forbidden(&self) -> async_graphql::Result<bool> {
        Err(KitError::Forbidden("needs notes.note.read".into()).extend())
    }

    async fn leaky(&self) -> async_graphql::Result<bool> {
        // A resolver that forgot KitError: its message must not reach the client.
        Err("duplicate key value violates constraint notes_pkey on 10.0.0.5".into())
    }
}

struct Mutation;

#[Object]
impl Mutation {
    async fn add_note(&self, ctx: &Context<'_>, body: String) -> async_graphql::Result<bool> {
        if body.is_empty() {
            return Err(KitError::BadUserInput("body must not be empty".into()).extend());
        }
        let db = ctx.data::<Db>()?;
        kit::db_run!(db, |conn| async move {
            diesel::insert_into(notes::table)
                .values((
                    notes::id.eq(uuid::Uuid::now_v7().to_string()),
                    notes::body.eq(body),
                    notes::created_at.eq(0_i64),
                ))
                .execute(conn)
                .await?;
            Ok(true)
        })
        .map_err(|e| KitError::from(e).extend())
    }
}

type NotesSchema = Schema<Query, Mutation, EmptySubscription>;

fn schema(db: &Db) -> NotesSchema {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .data(db.clone())
        .finish()
}

struct Running {
    base: String,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<Result<(), kit::service::ServiceError>>,
    client: reqwest::Client,
}

impl Running {
    async fn start(service: Service<NotesSchema>) -> Self {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(service.serve(listener, shutdown.clone()));
        Self {
            base,
            shutdown,
            server,
            client: reqwest::Client::new(),
        }
    }

    async fn with_db(db: &Db) -> Self {
        Self::start(Service::new("notes", schema(db), db.clone())).await
    }

    async fn post(&self, accept: &str, body: Value) -> (u16, String, Value) {
        let response = self
            .client
            .post(format!("{}/graphql", self.base))
            .header("accept", accept)
            .json(&body)
            .send()
            .await
            .expect("send");
        split(response).await
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("send")
    }
}

async fn split(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, content_type, body)
}

async fn migrated_sqlite() -> TestDb {
    let t = TestDb::sqlite().await;
    t.db.migrate(&TEST_MIGRATIONS).await.expect("migrate");
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_over_http_post_and_get() {
    let t = migrated_sqlite().await;
    let app = Running::with_db(&t.db).await;

    let (status, content_type, body) = app
        .post(
            GQL_JSON,
            json!({ "query": "mutation { addNote(body: \"hi\") }" }),
        )
        .await;
    assert_eq!(
        (status, body),
        (200, json!({ "data": { "addNote": true } }))
    );
    assert!(content_type.starts_with(GQL_JSON), "{content_type}");

    let (status, content_type, body) = app
        .post("application/json", json!({ "query": "{ noteCount }" }))
        .await;
    assert_eq!((status, body), (200, json!({ "data": { "noteCount": 1 } })));
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );

    let response = app.get("/graphql?query=%7B%20noteCount%20%7D").await;
    assert_eq!(
        split(response).await.2,
        json!({ "data": { "noteCount": 1 } })
    );

    let response = app
        .get("/graphql?query=mutation%20%7B%20addNote(body%3A%20%22x%22)%20%7D")
        .await;
    assert_eq!(response.status().as_u16(), 405, "no mutations over GET");
    assert_eq!(response.headers()["allow"], "POST");

    // Federation is on: the gateway can fetch the SDL.
    let (_, _, body) = app
        .post(GQL_JSON, json!({ "query": "{ _service { sdl } }" }))
        .await;
    let sdl = body["data"]["_service"]["sdl"].as_str().expect("sdl");
    assert!(sdl.contains("noteCount"), "{sdl}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_errors_get_codes_and_status() {
    let t = migrated_sqlite().await;
    let app = Running::with_db(&t.db).await;

    let (status, _, body) = app.post(GQL_JSON, json!({ "query": "{ noteCount" })).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );
    assert!(body.get("data").is_none(), "{body}");

    let (status, _, body) = app.post(GQL_JSON, json!({ "query": "{ nope }" })).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );

    // With plain application/json the status stays 200 and the errors carry the news.
    let (status, _, body) = app
        .post("application/json", json!({ "query": "{ nope }" }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );

    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", "text/plain")
        .body("{ noteCount }")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 415);

    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("accept", "text/html")
        .json(&json!({ "query": "{ noteCount }" }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 406);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_errors_carry_codes_and_hide_internals() {
    let t = migrated_sqlite().await;
    let app = Running::with_db(&t.db).await;

    let (status, _, body) = app
        .post(
            GQL_JSON,
            json!({ "query": "mutation { addNote(body: \"\") }" }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["message"], "body must not be empty");

    let (_, _, body) = app
        .post(GQL_JSON, json!({ "query": "{ forbidden }" }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(body["errors"][0]["path"], json!(["forbidden"]));

    let (_, _, body) = app.post(GQL_JSON, json!({ "query": "{ leaky }" })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "INTERNAL_SERVER_ERROR"
    );
    assert_eq!(body["errors"][0]["message"], "internal server error");
    assert!(!body.to_string().contains("10.0.0.5"), "{body}");

    // A database failure inside a resolver: the table is gone.
    kit::db_run!(t.db, |conn| async move {
        diesel::sql_query("DROP TABLE tags").execute(conn).await?;
        diesel::sql_query("DROP TABLE notes").execute(conn).await?;
        Ok(())
    })
    .expect("drop tables");
    let (_, _, body) = app
        .post(GQL_JSON, json!({ "query": "{ noteCount }" }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "INTERNAL_SERVER_ERROR"
    );
    assert_eq!(body["errors"][0]["message"], "internal server error");
    assert!(!body.to_string().contains("notes"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_data_seam_feeds_the_graphql_context() {
    let t = migrated_sqlite().await;
    let service = Service::new("notes", schema(&t.db), t.db.clone()).request_data(
        |parts: http::request::Parts, request: async_graphql::Request| async move {
            match parts.headers.get("x-caller").map(|v| v.to_str()) {
                None => Ok(request),
                Some(Ok("mallory")) => Err(KitError::Unauthenticated("token revoked".into())),
                Some(Ok(name)) => Ok(request.data(Caller(name.to_owned()))),
                Some(Err(_)) => Err(KitError::BadUserInput("bad header".into())),
            }
        },
    );
    let app = Running::start(service).await;
    let call = |caller: Option<&'static str>| {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.base))
            .header("accept", GQL_JSON)
            .json(&json!({ "query": "{ caller }" }));
        if let Some(caller) = caller {
            request = request.header("x-caller", caller);
        }
        async move { split(request.send().await.expect("send")).await }
    };
    assert_eq!(
        call(Some("alice")).await.2,
        json!({ "data": { "caller": "alice" } })
    );
    assert_eq!(call(None).await.2, json!({ "data": { "caller": null } }));
    let (status, _, body) = call(Some("mallory")).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(body["errors"][0]["message"], "token revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_id_and_trace_context() {
    let t = migrated_sqlite().await;
    let app = Running::with_db(&t.db).await;
    let query = json!({ "query": "{ requestId traceId }" });

    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("x-request-id", "req-123")
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .json(&query)
        .send()
        .await
        .expect("send");
    assert_eq!(response.headers()["x-request-id"], "req-123");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["data"]["requestId"], "req-123");
    assert_eq!(body["data"]["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");

    // Without either header, the service makes both up.
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&query)
        .send()
        .await
        .expect("send");
    let echoed = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["data"]["requestId"], echoed.as_str());
    let trace = body["data"]["traceId"].as_str().expect("trace id");
    assert_eq!(trace.len(), 32);
    assert_ne!(trace, "4bf92f3577b34da6a3ce929d0e0e4736");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_ready_and_metrics() {
    let t = migrated_sqlite().await;
    let app = Running::with_db(&t.db).await;

    assert_eq!(app.get("/health").await.status().as_u16(), 200);
    assert_eq!(app.get("/ready").await.status().as_u16(), 200);
    app.post(GQL_JSON, json!({ "query": "{ noteCount }" }))
        .await;

    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("http_server_requests_total{")
                && l.contains("service=\"notes\"")
                && l.contains("route=\"/graphql\"")
                && l.contains("status=\"200\"")),
        "{metrics}"
    );
    assert!(
        metrics.contains("http_server_request_duration_seconds_bucket"),
        "{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("db_pool_max_connections{service=\"notes\"}")),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_turns_503_when_the_database_is_gone() {
    let t = migrated_sqlite().await;
    let app = Running::with_db(&t.db).await;
    assert_eq!(app.get("/ready").await.status().as_u16(), 200);

    let dir = std::path::Path::new(t.url.trim_start_matches("sqlite://"))
        .parent()
        .expect("db dir")
        .to_owned();
    std::fs::remove_dir_all(&dir).expect("remove database dir");
    let response = app.get("/ready").await;
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "unready");
    assert_eq!(
        app.get("/health").await.status().as_u16(),
        200,
        "still live"
    );

    // A PostgreSQL server that does not answer.
    let mut options = DbOptions::new("notes");
    options.connect_timeout = Duration::from_millis(500);
    let unreachable =
        Db::connect_lazy("postgres://app@127.0.0.1:1/platform", options).expect("lazy");
    let app = Running::with_db(&unreachable).await;
    assert_eq!(app.get("/ready").await.status().as_u16(), 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused() {
    let t = migrated_sqlite().await;
    let service = Service::new("notes", schema(&t.db), t.db.clone()).body_limit(1024);
    let app = Running::start(service).await;
    let padding = "x".repeat(4096);
    let (status, _, _) = app
        .post(
            GQL_JSON,
            json!({ "query": format!("{{ noteCount }} # {padding}") }),
        )
        .await;
    assert_eq!(status, 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_in_flight_requests() {
    let t = migrated_sqlite().await;
    let app = Running::with_db(&t.db).await;
    let slow = {
        let request = app
            .client
            .post(format!("{}/graphql", app.base))
            .json(&json!({ "query": "{ slow(ms: 700) }" }));
        tokio::spawn(async move { request.send().await })
    };
    // Let the slow request reach the resolver, then ask the server to stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.shutdown.cancel();

    let response = slow
        .await
        .expect("join")
        .expect("in-flight request completes");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body, json!({ "data": { "slow": 700 } }));

    tokio::time::timeout(Duration::from_secs(5), app.server)
        .await
        .expect("server stops after draining")
        .expect("join")
        .expect("clean stop");
    // Nothing listens any more.
    let after = reqwest::Client::new()
        .get(format!("{}/health", app.base))
        .send()
        .await;
    assert!(after.is_err(), "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_request_does_not_block_shutdown_forever() {
    let t = migrated_sqlite().await;
    let service = Service::new("notes", schema(&t.db), t.db.clone())
        .drain_timeout(Duration::from_millis(300));
    let app = Running::start(service).await;
    let stuck = {
        let request = app
            .client
            .post(format!("{}/graphql", app.base))
            .json(&json!({ "query": "{ slow(ms: 60000) }" }));
        tokio::spawn(async move { request.send().await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), app.server)
        .await
        .expect("stops at the drain timeout")
        .expect("join")
        .expect("clean stop");
    stuck.abort();
}
