//! The GraphQL API over real HTTP on 127.0.0.1, with real signed tokens and permission checks.

use std::net::SocketAddr;
use std::sync::Arc;

use audit::AuditSettings;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use kit::auth::{AuthConfig, StaticKeys, TokenVerifier};
use kit::db::Backend;
use kit::events::{Actor, EventBus, EventEnvelope, InProcessBus, Subject};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::support::TestDb;

const KID: &str = "test-key";

/// Signs access tokens the way identity does (EdDSA, `kid`, `scope`).
struct Issuer {
    key: jsonwebtoken::EncodingKey,
    config: AuthConfig,
}

impl Issuer {
    fn new() -> (Self, TokenVerifier) {
        let signing = SigningKey::from_bytes(&[7u8; 32]);
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

    fn token(&self, user: &str, scope: &str) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({
            "sub": user, "scope": scope, "roles": [],
            "iss": self.config.issuer, "aud": self.config.audience,
            "iat": now, "exp": now + 600, "jti": uuid::Uuid::now_v7().to_string(),
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(KID.to_owned());
        jsonwebtoken::encode(&header, &claims, &self.key).expect("sign")
    }
}

struct Server {
    base: String,
    client: reqwest::Client,
    issuer: Issuer,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), audit::AuditError>>,
}

impl Server {
    async fn start(test: &TestDb, bus: &InProcessBus) -> Self {
        let (issuer, verifier) = Issuer::new();
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(audit::serve(
            test.db.clone(),
            Arc::new(bus.clone()),
            AuditSettings::default(),
            verifier,
            listener,
            shutdown.clone(),
        ));
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client
                .get(format!("{base}/health"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Self {
            base,
            client,
            issuer,
            shutdown,
            task,
        }
    }

    /// POSTs a GraphQL request as `user` with `scope` (anonymous when `None`).
    async fn query(
        &self,
        user: Option<(&str, &str)>,
        query: &str,
        variables: Value,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some((user, scope)) = user {
            request = request.bearer_auth(self.issuer.token(user, scope));
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json body"))
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.expect("join").expect("audit ran cleanly");
    }
}

fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

fn event(kind: &str, actor: &str, subject: (&str, &str)) -> EventEnvelope {
    EventEnvelope::new(
        kind,
        Subject::new(subject.0, subject.1),
        json!({ "k": kind }),
    )
    .with_actor(Actor {
        id: Some(actor.to_owned()),
        ip: Some("198.51.100.4".to_owned()),
        user_agent: Some("browser/1".to_owned()),
    })
}

/// 7 entries by alice, 1 by bob, 1 by admin.
fn story() -> Vec<EventEnvelope> {
    let mut events = vec![
        event("platform.user.created", "alice", ("user", "alice")),
        event("blog.post.published", "bob", ("post", "p1")),
        event("authz.role.assigned", "admin", ("user", "bob")),
    ];
    events.extend((0..6).map(|_| event("platform.user.logged_in", "alice", ("user", "alice"))));
    events
}

const ENTRIES: &str = r#"query($filter: AuditEntryFilter, $first: Int!, $after: String) {
  auditEntries(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id sequence eventId userId action resource resourceId ipAddress userAgent metadata timestamp hash prevHash } }
  }
}"#;

const ADMIN: (&str, &str) = ("admin", "audit.entry.read");
const ALICE: (&str, &str) = ("alice", "blog.post.publish");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_over_http_with_permissions() {
    let test = TestDb::audit(Backend::Sqlite).await.expect("audit db");
    let bus = InProcessBus::default();
    let server = Server::start(&test, &bus).await;
    let events = story();
    bus.publish(&events).await.expect("publish");

    // Anonymous: refused. A bad token: refused before execution.
    let (_, body) = server.query(None, ENTRIES, json!({ "first": 5 })).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    let response = server
        .client
        .post(format!("{}/graphql", server.base))
        .bearer_auth("not-a-token")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 401);

    // With `audit.entry.read`: everything, filtered and paginated newest first.
    let (status, body) = server
        .query(Some(ADMIN), ENTRIES, json!({ "first": 4 }))
        .await;
    assert_eq!(status, 200, "{body}");
    let page = &body["data"]["auditEntries"];
    assert_eq!(page["totalCount"], 9, "{body}");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let sequences: Vec<i64> = page["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["sequence"].as_i64().expect("sequence"))
        .collect();
    assert_eq!(sequences, vec![9, 8, 7, 6]);
    let mut seen = sequences;
    let mut after = page["pageInfo"]["endCursor"].clone();
    loop {
        let (_, body) = server
            .query(Some(ADMIN), ENTRIES, json!({ "first": 4, "after": after }))
            .await;
        let page = &body["data"]["auditEntries"];
        assert_eq!(page["pageInfo"]["hasPreviousPage"], true);
        seen.extend(
            page["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"]["sequence"].as_i64().expect("seq")),
        );
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        seen,
        (1..=9).rev().collect::<Vec<i64>>(),
        "pages cover everything once"
    );

    let filter = json!({ "action": "blog.post.published", "resource": "post", "resourceId": "p1" });
    let (_, body) = server
        .query(
            Some(ADMIN),
            ENTRIES,
            json!({ "first": 10, "filter": filter }),
        )
        .await;
    let node = &body["data"]["auditEntries"]["edges"][0]["node"];
    assert_eq!(body["data"]["auditEntries"]["totalCount"], 1, "{body}");
    assert_eq!(node["userId"], "bob");
    assert_eq!(node["eventId"], events[1].id.to_string());
    assert_eq!(node["ipAddress"], "198.51.100.4");
    assert_eq!(node["userAgent"], "browser/1");
    assert_eq!(node["metadata"]["data"]["k"], "blog.post.published");

    // Time bounds apply to when the action happened.
    let future = "2999-01-01T00:00:00Z";
    let (_, body) = server
        .query(
            Some(ADMIN),
            ENTRIES,
            json!({ "first": 10, "filter": { "from": future } }),
        )
        .await;
    assert_eq!(body["data"]["auditEntries"]["totalCount"], 0, "{body}");
    let (_, body) = server
        .query(
            Some(ADMIN),
            ENTRIES,
            json!({ "first": 10, "filter": { "to": future, "userId": "alice" } }),
        )
        .await;
    assert_eq!(body["data"]["auditEntries"]["totalCount"], 7, "{body}");

    // Bad input is the client's error.
    let (_, body) = server
        .query(Some(ADMIN), ENTRIES, json!({ "first": 1000 }))
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    let (_, body) = server
        .query(
            Some(ADMIN),
            ENTRIES,
            json!({ "first": 1, "after": "garbage" }),
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");

    // Without the permission: only one's own trail.
    let (_, body) = server
        .query(
            Some(ALICE),
            ENTRIES,
            json!({ "first": 10, "filter": { "userId": "alice" } }),
        )
        .await;
    assert_eq!(body["data"]["auditEntries"]["totalCount"], 7, "{body}");
    let alice_entry = body["data"]["auditEntries"]["edges"][0]["node"]["id"].clone();
    for filter in [
        json!(null),
        json!({ "userId": "bob" }),
        json!({ "action": "platform.user.created" }),
    ] {
        let (_, body) = server
            .query(
                Some(ALICE),
                ENTRIES,
                json!({ "first": 10, "filter": filter }),
            )
            .await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{filter}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["permission"],
            "audit.entry.read"
        );
    }

    // auditEntry(id): one's own, or with the permission.
    let one = "query($id: ID!) { auditEntry(id: $id) { id userId action } }";
    let (_, body) = server
        .query(Some(ALICE), one, json!({ "id": alice_entry }))
        .await;
    assert_eq!(body["data"]["auditEntry"]["userId"], "alice", "{body}");
    let (_, body) = server
        .query(
            Some(ADMIN),
            ENTRIES,
            json!({ "first": 1, "filter": { "userId": "bob" } }),
        )
        .await;
    let bob_entry = body["data"]["auditEntries"]["edges"][0]["node"]["id"].clone();
    let (_, body) = server
        .query(Some(ALICE), one, json!({ "id": bob_entry }))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = server
        .query(Some(ADMIN), one, json!({ "id": bob_entry }))
        .await;
    assert_eq!(
        body["data"]["auditEntry"]["action"], "blog.post.published",
        "{body}"
    );
    let (_, body) = server
        .query(Some(ADMIN), one, json!({ "id": "no-such-entry" }))
        .await;
    assert_eq!(body["data"]["auditEntry"], Value::Null, "{body}");

    // User.auditTrail through the federation entity entry point.
    let trail = r#"query($r: [_Any!]!) { _entities(representations: $r) {
        ... on User { id auditTrail(first: 3) { totalCount edges { node { action userId } } } } } }"#;
    let alice_ref = json!({ "r": [{ "__typename": "User", "id": "alice" }] });
    let (_, body) = server.query(Some(ALICE), trail, alice_ref.clone()).await;
    let user = &body["data"]["_entities"][0];
    assert_eq!(user["auditTrail"]["totalCount"], 7, "{body}");
    assert_eq!(
        user["auditTrail"]["edges"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(
        user["auditTrail"]["edges"][0]["node"]["action"],
        "platform.user.logged_in"
    );
    let bob_ref = json!({ "r": [{ "__typename": "User", "id": "bob" }] });
    let (_, body) = server.query(Some(ALICE), trail, bob_ref.clone()).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = server.query(Some(ADMIN), trail, bob_ref).await;
    assert_eq!(
        body["data"]["_entities"][0]["auditTrail"]["totalCount"], 1,
        "{body}"
    );

    // verifyAuditChain: the permission only.
    let verify = "{ verifyAuditChain { valid checked firstBrokenEntry { sequence } } }";
    let (_, body) = server.query(Some(ALICE), verify, json!({})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = server.query(Some(ADMIN), verify, json!({})).await;
    assert_eq!(
        body["data"]["verifyAuditChain"],
        json!({ "valid": true, "checked": 9, "firstBrokenEntry": null }),
        "{body}"
    );

    // Tampering below the API shows up in the API.
    let sql = "DROP TRIGGER audit_entries_no_update";
    kit::db_run!(test.db, |conn| async move {
        use diesel_async::RunQueryDsl;
        diesel::sql_query(sql).execute(conn).await?;
        diesel::sql_query("UPDATE audit_entries SET resource_id = 'p2' WHERE seq = 2")
            .execute(conn)
            .await?;
        Ok(())
    })
    .expect("tamper");
    let (_, body) = server.query(Some(ADMIN), verify, json!({})).await;
    assert_eq!(
        body["data"]["verifyAuditChain"],
        json!({ "valid": false, "checked": 2, "firstBrokenEntry": { "sequence": 2 } }),
        "{body}"
    );

    // The schema offers no way to change an entry.
    let (_, body) = server
        .query(Some(ADMIN), "mutation { __typename }", json!({}))
        .await;
    assert!(body["errors"].is_array(), "{body}");

    server.stop().await;
}
