//! CSRF prevention and CORS.
use router::GatewayConfig;

use super::support::{call_count, shop_supergraph, start};

#[tokio::test]
async fn csrf_blocks_simple_requests_without_a_preflight_header() {
    let mut config = GatewayConfig::default();
    config.csrf.enabled = true;
    let running = start(config, &shop_supergraph()).await;
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", running.base);
    let get = |extra: Option<(&'static str, &'static str)>| {
        let mut request = client
            .get(&url)
            .query(&[("query", "{ me { name } }")])
            .header("accept", "application/graphql-response+json");
        if let Some((k, v)) = extra {
            request = request.header(k, v);
        }
        request.send()
    };
    let blocked = get(None).await.expect("get");
    assert_eq!(blocked.status().as_u16(), 400);
    let body: serde_json::Value = blocked.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "CSRF_PREVENTED");
    assert_eq!(call_count(&running), 0);
    let allowed = get(Some(("apollo-require-preflight", "true")))
        .await
        .expect("get");
    assert_eq!(allowed.status().as_u16(), 200);

    let form = client
        .post(&url)
        .header("content-type", "text/plain")
        .body(r#"{"query":"{ me { name } }"}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(form.status().as_u16(), 400);
    let json_post = client
        .post(&url)
        .header("content-type", "application/json")
        .body(r#"{"query":"{ me { name } }"}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(
        json_post.status().as_u16(),
        200,
        "JSON needs a preflight already"
    );
}

#[tokio::test]
async fn cors_answers_configured_origins_only() {
    let mut config = GatewayConfig::default();
    config.cors.origins = vec!["https://app.example".to_string()];
    config.cors.allow_credentials = true;
    let running = start(config, &shop_supergraph()).await;
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", running.base);
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, authorization",
            )
            .send()
    };
    let allowed = preflight("https://app.example").await.expect("preflight");
    let headers = allowed.headers();
    assert_eq!(
        headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://app.example")
    );
    assert_eq!(
        headers
            .get("access-control-allow-credentials")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let allowed_headers = headers
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(
        allowed_headers.contains("authorization"),
        "{allowed_headers}"
    );

    let denied = preflight("https://evil.example").await.expect("preflight");
    assert!(
        denied
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // Without configured origins the gateway sends no CORS headers at all.
    let plain = start(GatewayConfig::default(), &shop_supergraph()).await;
    let response = client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", plain.base))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
