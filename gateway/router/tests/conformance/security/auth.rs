//! JWT authentication (valid, expired, wrong issuer, unknown `kid`, `alg: none`, an HS token
//! signed with the public key, JWKS rotation) and the authorization directives (nested,
//! fragment and entity fields with partial results, or whole-operation rejection).
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use router::GatewayConfig;
use router::auth::JwtProvider;
use router::auth::requirements::PolicyRule;
use serde_json::{Value as Json, json};

use super::support::{
    ISSUER, TestKey, call_count, claims, code, jwks, post, post_with, secure_supergraph, serve,
    shop_supergraph, start,
};

fn provider(jwks_url: Option<String>, inline: Option<Json>) -> JwtProvider {
    JwtProvider {
        name: "test".to_string(),
        jwks_url,
        jwks: inline,
        secret: None,
        issuers: vec![ISSUER.to_string()],
        audiences: vec!["gateway".to_string()],
        algorithms: vec![Algorithm::EdDSA],
        refetch_floor_ms: 0,
        refresh_interval_seconds: 300,
    }
}

fn config_with(providers: Vec<JwtProvider>) -> GatewayConfig {
    let mut config = GatewayConfig::default();
    config.auth.jwt.providers = providers;
    config.auth.policies = vec![PolicyRule {
        name: "reviewer".to_string(),
        claim: "roles".to_string(),
        contains: Some("reviewer".to_string()),
        equals: None,
    }];
    config
}

async fn me_with(running: &super::support::Running, token: Option<&str>) -> (u16, Json) {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer
        .as_deref()
        .map(|b| vec![("authorization", b)])
        .unwrap_or_default();
    let (status, _, json) = post_with(running, json!({"query": "{ me { name } }"}), &headers).await;
    (status, json)
}

#[tokio::test]
async fn tokens_are_verified_or_refused() {
    let key = TestKey::new("k1", 7);
    let config = config_with(vec![provider(None, Some(jwks(&[&key])))]);
    let running = start(config, &shop_supergraph()).await;

    let (status, body) = me_with(&running, Some(&key.sign(&claims(json!({}))))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["name"], json!("Ada Lovelace"));
    let (status, body) = me_with(&running, None).await;
    assert_eq!(status, 200, "anonymous requests run: {body}");

    let expired = key.sign(&claims(json!({"exp": super::support::now() - 3600})));
    let wrong_issuer = key.sign(&claims(json!({"iss": "https://evil.test"})));
    let wrong_audience = key.sign(&claims(json!({"aud": "other"})));
    let not_yet = key.sign(&claims(json!({"nbf": super::support::now() + 3600})));
    let unknown_kid = TestKey::new("k-unknown", 9).sign(&claims(json!({})));
    let forged_kid = TestKey::new("k1", 9).sign(&claims(json!({})));
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims(json!({})).to_string())
    );
    // The classic confusion attack: an HS256 token whose secret is the public key.
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some("k1".to_string());
    let hs_with_public = jsonwebtoken::encode(
        &hs_header,
        &claims(json!({})),
        &EncodingKey::from_secret(&key.public_bytes()),
    )
    .expect("hs token");
    for (name, token) in [
        ("expired", expired),
        ("wrong issuer", wrong_issuer),
        ("wrong audience", wrong_audience),
        ("not yet valid", not_yet),
        ("unknown kid", unknown_kid),
        ("kid of another key", forged_kid),
        ("alg none", alg_none),
        ("hs with public key", hs_with_public),
        ("garbage", "abc.def".to_string()),
    ] {
        let (status, body) = me_with(&running, Some(&token)).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(code(&body), Some("UNAUTHENTICATED"), "{name}");
        assert!(body.get("data").is_none(), "{name}");
    }
    assert_eq!(
        call_count(&running),
        2,
        "only the two accepted requests reached a subgraph"
    );
}

#[tokio::test]
async fn invalid_token_can_be_a_graphql_error_and_hs_secrets_work() {
    let mut hs = provider(None, None);
    hs.secret = Some("s3cret-s3cret-s3cret-s3cret-s3cret".to_string());
    hs.algorithms = vec![Algorithm::HS256];
    let mut config = config_with(vec![hs]);
    config.auth.jwt.invalid_token_is_http_401 = false;
    let running = start(config, &shop_supergraph()).await;
    let good = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(json!({})),
        &EncodingKey::from_secret(b"s3cret-s3cret-s3cret-s3cret-s3cret"),
    )
    .expect("token");
    let (status, body) = me_with(&running, Some(&good)).await;
    assert_eq!(status, 200, "{body}");
    let bad = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(json!({})),
        &EncodingKey::from_secret(b"another-secret-another-secret"),
    )
    .expect("token");
    let (status, body) = me_with(&running, Some(&bad)).await;
    assert_ne!(status, 401);
    assert_eq!(code(&body), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn jwks_rotation_is_picked_up_and_the_last_good_set_survives_failures() {
    let old = TestKey::new("old", 1);
    let new = TestKey::new("new", 2);
    let served = Arc::new(std::sync::Mutex::new(Some(jwks(&[&old]))));
    let hits = Arc::new(AtomicUsize::new(0));
    let addr = {
        let served = served.clone();
        let hits = hits.clone();
        serve(move |_, _| {
            let served = served.clone();
            let hits = hits.clone();
            async move {
                hits.fetch_add(1, Ordering::SeqCst);
                match served.lock().expect("jwks").clone() {
                    Some(set) => (200, set),
                    None => (503, json!({"error": "down"})),
                }
            }
        })
        .await
    };
    let config = config_with(vec![provider(Some(format!("http://{addr}/jwks")), None)]);
    let running = start(config, &shop_supergraph()).await;

    let (status, body) = me_with(&running, Some(&old.sign(&claims(json!({}))))).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = me_with(&running, Some(&new.sign(&claims(json!({}))))).await;
    assert_eq!(status, 401, "the new key is not published yet");

    *served.lock().expect("jwks") = Some(jwks(&[&old, &new]));
    let (status, body) = me_with(&running, Some(&new.sign(&claims(json!({}))))).await;
    assert_eq!(status, 200, "rotation picked up without restart: {body}");

    // The JWKS URL fails: known keys keep working.
    *served.lock().expect("jwks") = None;
    let before = hits.load(Ordering::SeqCst);
    let (status, _) = me_with(
        &running,
        Some(&TestKey::new("x", 3).sign(&claims(json!({})))),
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        hits.load(Ordering::SeqCst) > before,
        "unknown kid refetched"
    );
    let (status, _) = me_with(&running, Some(&old.sign(&claims(json!({}))))).await;
    assert_eq!(status, 200, "last good set kept");
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_floor() {
    let key = TestKey::new("k1", 1);
    let hits = Arc::new(AtomicUsize::new(0));
    let addr = {
        let hits = hits.clone();
        let set = jwks(&[&key]);
        serve(move |_, _| {
            let hits = hits.clone();
            let set = set.clone();
            async move {
                hits.fetch_add(1, Ordering::SeqCst);
                (200, set)
            }
        })
        .await
    };
    let mut p = provider(Some(format!("http://{addr}/jwks")), None);
    p.refetch_floor_ms = 60_000;
    let running = start(config_with(vec![p]), &shop_supergraph()).await;
    let (status, _) = me_with(&running, Some(&key.sign(&claims(json!({}))))).await;
    assert_eq!(status, 200);
    let stranger = TestKey::new("stranger", 5);
    for _ in 0..5 {
        let (status, _) = me_with(&running, Some(&stranger.sign(&claims(json!({}))))).await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the floor stops refetch storms"
    );
}

const NESTED: &str =
    "{ me { name birthDate } topProducts(first: 2) { name price reviews { body } } }";

fn error_at(body: &Json, path: Json) -> Option<&Json> {
    body["errors"]
        .as_array()?
        .iter()
        .find(|e| e["path"] == path)
}

#[tokio::test]
async fn unauthorized_fields_are_removed_and_reported_for_anonymous_requests() {
    let key = TestKey::new("k1", 7);
    let running = start(
        config_with(vec![provider(None, Some(jwks(&[&key])))]),
        &secure_supergraph(),
    )
    .await;
    let (status, body) = post(&running, json!({"query": NESTED})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["me"],
        json!({"name": "Ada Lovelace", "birthDate": null})
    );
    assert_eq!(body["data"]["topProducts"][0]["name"], json!("Table"));
    assert_eq!(body["data"]["topProducts"][0]["price"], json!(null));
    assert_eq!(
        body["data"]["topProducts"][1]["reviews"][0]["body"],
        json!(null)
    );
    for path in [
        json!(["me", "birthDate"]),
        json!(["topProducts", "@", "price"]),
        json!(["topProducts", "@", "reviews", "@", "body"]),
    ] {
        let error = error_at(&body, path.clone()).unwrap_or_else(|| panic!("{path}: {body}"));
        assert_eq!(error["extensions"]["code"], json!("UNAUTHENTICATED"));
    }
    let calls = running.calls.lock().expect("calls");
    assert!(!calls.is_empty());
    for call in calls.iter() {
        for removed in ["birthDate", "price", "body"] {
            assert!(
                !call.query.contains(removed),
                "{removed} sent: {}",
                call.query
            );
        }
    }
}

#[tokio::test]
async fn scopes_and_policies_decide_per_field() {
    let key = TestKey::new("k1", 7);
    let running = start(
        config_with(vec![provider(None, Some(jwks(&[&key])))]),
        &secure_supergraph(),
    )
    .await;
    let reviewer = key.sign(&claims(
        json!({"scope": "read:other", "roles": ["reviewer"]}),
    ));
    let auth = format!("Bearer {reviewer}");
    let (status, _, body) = post_with(
        &running,
        json!({"query": NESTED}),
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["birthDate"], json!("1815-12-10"));
    assert_eq!(body["data"]["topProducts"][0]["price"], json!(null));
    assert_eq!(
        body["data"]["topProducts"][0]["reviews"][0]["body"],
        json!("Love it!")
    );
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["path"], json!(["topProducts", "@", "price"]));
    assert_eq!(errors[0]["extensions"]["code"], json!("FORBIDDEN"));

    // Either scope list of the OR is enough; the plan cache keys on the decision.
    let admin = key.sign(&claims(json!({"scope": ["admin"], "roles": []})));
    let auth = format!("Bearer {admin}");
    let (_, _, body) = post_with(
        &running,
        json!({"query": NESTED}),
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(
        body["data"]["topProducts"][0]["price"],
        json!(899),
        "{body}"
    );
    assert_eq!(
        body["data"]["topProducts"][0]["reviews"][0]["body"],
        json!(null)
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], json!("FORBIDDEN"));
}

#[tokio::test]
async fn fragment_and_entity_fields_null_their_parent_when_non_null() {
    let key = TestKey::new("k1", 7);
    let running = start(
        config_with(vec![provider(None, Some(jwks(&[&key])))]),
        &secure_supergraph(),
    )
    .await;
    let query = "{ me { ...U } } fragment U on User { name numberOfReviews }";
    let (status, body) = post(&running, json!({"query": query})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["me"],
        json!(null),
        "non-null removal nulls the parent"
    );
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["path"], json!(["me", "numberOfReviews"]));
    assert_eq!(errors[0]["extensions"]["code"], json!("UNAUTHENTICATED"));
    let reviews_calls = running
        .calls
        .lock()
        .expect("calls")
        .iter()
        .filter(|c| c.subgraph == "reviews")
        .count();
    assert_eq!(
        reviews_calls, 0,
        "the entity fetch for the removed field never runs"
    );

    let token = key.sign(&claims(json!({})));
    let auth = format!("Bearer {token}");
    let (_, _, body) = post_with(
        &running,
        json!({"query": query}),
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"me": {"name": "Ada Lovelace", "numberOfReviews": 2}}})
    );
}

#[tokio::test]
async fn reject_unauthorized_refuses_the_whole_operation() {
    let key = TestKey::new("k1", 7);
    let mut config = config_with(vec![provider(None, Some(jwks(&[&key])))]);
    config.auth.reject_unauthorized = true;
    let running = start(config, &secure_supergraph()).await;
    let (status, body) = post(&running, json!({"query": NESTED})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("data").is_none());
    assert_eq!(code(&body), Some("UNAUTHENTICATED"));
    assert_eq!(call_count(&running), 0);
    let (status, body) = post(&running, json!({"query": "{ me { name } }"})).await;
    assert_eq!(status, 200, "authorized operations still run: {body}");
}

/// The media supergraph (interface `Media` of `Book` and `Movie`) with `Movie.runtime`
/// needing a token and `Movie.title` the `read:title` scope.
fn secure_media() -> String {
    let sdl = super::support::supergraph_of("media");
    let anchor = "  title: String\n  likes: Int @join__field\n  runtime: Int\n";
    assert_eq!(sdl.matches(anchor).count(), 1, "media supergraph anchor");
    sdl.replacen(
        anchor,
        "  title: String @requiresScopes(scopes: [[\"read:title\"]])\n  likes: Int @join__field\n  runtime: Int @authenticated\n",
        1,
    )
}

#[tokio::test]
async fn abstract_types_inline_fragments_and_interface_fields() {
    let key = TestKey::new("k1", 7);
    let running = super::support::start_base(
        config_with(vec![provider(None, Some(jwks(&[&key])))]),
        "media",
        &secure_media(),
    )
    .await;
    // Through an inline fragment on the implementation.
    let (status, body) = post(
        &running,
        json!({"query": "{ media { id ... on Movie { runtime } } }"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["media"][1],
        json!({"id": "10", "runtime": null})
    );
    assert_eq!(body["errors"][0]["path"], json!(["media", "@", "runtime"]));
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        json!("UNAUTHENTICATED")
    );

    // An interface field is only as open as its strictest implementation.
    let token = key.sign(&claims(json!({"scope": "other"})));
    let auth = format!("Bearer {token}");
    let (status, _, body) = post_with(
        &running,
        json!({"query": "{ media { id title ... on Movie { runtime } } }"}),
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["media"][0], json!({"id": "1", "title": null}));
    assert_eq!(
        body["data"]["media"][1],
        json!({"id": "10", "title": null, "runtime": 117})
    );
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["path"], json!(["media", "@", "title"]));
    assert_eq!(errors[0]["extensions"]["code"], json!("FORBIDDEN"));

    let token = key.sign(&claims(json!({"scope": "read:title"})));
    let auth = format!("Bearer {token}");
    let (_, _, body) = post_with(
        &running,
        json!({"query": "{ media { title } }"}),
        &[("authorization", &auth)],
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["media"][1]["title"], json!("Alien"));
}

#[tokio::test]
async fn token_from_a_cookie_when_no_header() {
    let key = TestKey::new("k1", 7);
    let mut config = config_with(vec![provider(None, Some(jwks(&[&key])))]);
    config.auth.jwt.cookie = Some("session".to_string());
    let running = start(config, &secure_supergraph()).await;
    let query = json!({"query": "{ me { birthDate } }"});
    let token = key.sign(&claims(json!({})));
    let cookie = format!("theme=dark; session={token}");
    let (status, _, body) = post_with(&running, query.clone(), &[("cookie", &cookie)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"data": {"me": {"birthDate": "1815-12-10"}}}));
    let (status, _, _) = post_with(&running, query, &[("cookie", "session=not-a-token")]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn removed_non_null_fields_inside_lists_report_once() {
    let key = TestKey::new("k1", 7);
    let running = start(
        config_with(vec![provider(None, Some(jwks(&[&key])))]),
        &secure_supergraph(),
    )
    .await;
    let query = "{ topProducts(first: 1) { reviews { id author { numberOfReviews } } } }";
    let (status, body) = post(&running, json!({"query": query})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["topProducts"][0]["reviews"],
        json!([{"id": "r1", "author": null}, {"id": "r4", "author": null}])
    );
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(
        errors[0]["path"],
        json!([
            "topProducts",
            "@",
            "reviews",
            "@",
            "author",
            "numberOfReviews"
        ])
    );
}

#[tokio::test]
async fn an_invalid_edge_config_fails_closed() {
    let mut config = GatewayConfig::default();
    config.persisted.safelist = Some(std::path::PathBuf::from("/nonexistent/safelist.json"));
    assert!(router::edge::Edge::new(&config).is_err());
    let running = start(config, &shop_supergraph()).await;
    let (status, body) = post(&running, json!({"query": "{ me { name } }"})).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(call_count(&running), 0);
}
