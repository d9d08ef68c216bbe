use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use identity::tokens::{
    Grants, KeyRing, StoredKey, TokenSubject, generate_key, issue_access_token,
};
use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, ME, PASSWORD, Server, error_of, start};

on_both_backends!(bad_tokens_are_rejected);

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn assert_rejected(server: &Server, token: &str, what: &str) {
    let body = server.gql(ME, json!({}), Some(token)).await;
    assert_eq!(error_of(&body).0, "UNAUTHENTICATED", "{what}: {body:#}");
    assert!(
        body["data"].is_null(),
        "{what}: no data for a rejected token"
    );
}

/// A ring holding one key with `kid` but other key material.
fn foreign_ring(kid: Option<&str>) -> KeyRing {
    let key = generate_key().expect("key");
    let ring = KeyRing::default();
    let mut jwk: serde_json::Value = serde_json::from_str(&key.public_jwk).expect("jwk");
    let kid = kid.map_or_else(|| key.kid.clone(), str::to_owned);
    jwk["kid"] = json!(kid);
    ring.load(
        vec![StoredKey {
            kid,
            private_pkcs8: key.private_pkcs8,
            public_jwk: jwk.to_string(),
            created_at: 1,
            retired_at: None,
        }],
        2,
    )
    .expect("load");
    ring
}

async fn bad_tokens_are_rejected(backend: Backend) {
    let server = start(backend, |_| {}).await;
    let user = server.register("jo@example.org", "joe").await;
    let user_id = user["id"].as_str().expect("id");
    let (access, _) = server.login_ok("jo@example.org", PASSWORD).await;
    let config = server.app.identity.config().clone();
    let subject = TokenSubject {
        user_id,
        email: "jo@example.org",
        session_id: "s",
    };
    let issue = |ring: &KeyRing, iss: &str, aud: &str, lifetime: u64, at: i64| {
        issue_access_token(ring, &subject, &Grants::default(), iss, aud, lifetime, at)
            .expect("issue")
            .token
    };
    let ring = server.app.identity.keys();

    // Control: a token from the service's own key and claims is accepted.
    let good = issue(ring, &config.issuer, &config.audience, 60, now());
    assert_eq!(
        server.ok(ME, json!({}), Some(&good)).await["me"]["id"],
        user["id"]
    );

    assert_rejected(&server, "not-a-jwt", "garbage").await;
    let expired = issue(ring, &config.issuer, &config.audience, 60, now() - 3_600);
    assert_rejected(&server, &expired, "expired").await;
    let other_issuer = issue(ring, "someone-else", &config.audience, 60, now());
    assert_rejected(&server, &other_issuer, "wrong issuer").await;
    let other_audience = issue(ring, &config.issuer, "another-audience", 60, now());
    assert_rejected(&server, &other_audience, "wrong audience").await;

    // Tampered: claims changed after signing (another user's id).
    let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).expect("b64")).expect("json");
    claims["sub"] = json!("01900000-0000-7000-8000-000000000000");
    claims["scope"] = json!("identity.user.read");
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    assert_rejected(&server, &parts.join("."), "tampered claims").await;

    // A kid the service never published.
    let unknown_kid = issue(
        &foreign_ring(None),
        &config.issuer,
        &config.audience,
        60,
        now(),
    );
    assert_rejected(&server, &unknown_kid, "unknown kid").await;
    // The service's kid, but signed by another key.
    let current_kid = ring.signing_key().expect("signing key").kid;
    let forged = issue(
        &foreign_ring(Some(&current_kid)),
        &config.issuer,
        &config.audience,
        60,
        now(),
    );
    assert_rejected(&server, &forged, "wrong key for kid").await;

    // `alg: none` with the right kid.
    let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "kid": current_kid }).to_string());
    let unsigned = format!("{header}.{}.", parts[1]);
    assert_rejected(&server, &unsigned, "alg none").await;

    // A malformed Authorization header is an error, not anonymous.
    let response = server
        .http
        .post(format!("{}/graphql", server.url))
        .header("authorization", "Basic abc")
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": ME }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), reqwest::StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(error_of(&body).0, "UNAUTHENTICATED");
}
