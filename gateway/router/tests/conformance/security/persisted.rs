//! Automatic Persisted Queries (miss, register with hash verification, hit) and the
//! safelist-only mode.
use router::GatewayConfig;
use serde_json::json;

use super::support::{call_count, code, post, shop_supergraph, start};

fn apq(hash: &str) -> serde_json::Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

#[tokio::test]
async fn apq_miss_register_hit() {
    let running = start(GatewayConfig::default(), &shop_supergraph()).await;
    let query = "{ me { name } }";
    let hash = router::persisted::sha256(query);

    let (_, body) = post(&running, json!({"extensions": apq(&hash)})).await;
    assert_eq!(code(&body), Some("PERSISTED_QUERY_NOT_FOUND"), "{body}");
    assert_eq!(call_count(&running), 0);

    let (_, body) = post(
        &running,
        json!({"query": "{ me { id } }", "extensions": apq(&hash)}),
    )
    .await;
    assert_eq!(code(&body), Some("PERSISTED_QUERY_HASH_MISMATCH"), "{body}");

    let (status, body) = post(&running, json!({"query": query, "extensions": apq(&hash)})).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"data": {"me": {"name": "Ada Lovelace"}}}));

    let (status, body) = post(&running, json!({"extensions": apq(&hash)})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"data": {"me": {"name": "Ada Lovelace"}}}));
}

#[tokio::test]
async fn safelist_only_runs_listed_operations() {
    let dir = std::env::temp_dir().join(format!("safelist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let listed = "query Me { me { name } }";
    let hash = router::persisted::sha256(listed);
    let path = dir.join("safelist.json");
    std::fs::write(&path, json!({ hash.clone(): listed }).to_string()).expect("write");
    let mut config = GatewayConfig::default();
    config.persisted.safelist = Some(path);
    config.persisted.safelist_only = true;
    let running = start(config, &shop_supergraph()).await;

    let (status, body) = post(&running, json!({"extensions": apq(&hash)})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["name"], json!("Ada Lovelace"));
    let (status, body) = post(&running, json!({"query": listed})).await;
    assert_eq!(status, 200, "the listed text itself is accepted: {body}");

    let calls = call_count(&running);
    let other = "{ me { id } }";
    let (_, body) = post(&running, json!({"query": other})).await;
    assert_eq!(code(&body), Some("PERSISTED_QUERY_NOT_IN_LIST"), "{body}");
    let other_hash = router::persisted::sha256(other);
    let (_, body) = post(
        &running,
        json!({"query": other, "extensions": apq(&other_hash)}),
    )
    .await;
    assert_eq!(
        code(&body),
        Some("PERSISTED_QUERY_NOT_IN_LIST"),
        "no APQ registration"
    );
    let (_, body) = post(&running, json!({"extensions": apq(&other_hash)})).await;
    assert_eq!(code(&body), Some("PERSISTED_QUERY_NOT_IN_LIST"));
    assert_eq!(call_count(&running), calls);
    let _ = std::fs::remove_dir_all(dir);
}

/// Two gateways sharing APQ entries through Redis (when `REDIS_URL` is set).
#[tokio::test]
async fn apq_entries_are_shared_through_redis() {
    let Ok(redis_url) = std::env::var("REDIS_URL") else {
        eprintln!("REDIS_URL unset: skipping the shared APQ test");
        return;
    };
    let config = || {
        let mut config = GatewayConfig::default();
        config.persisted.redis_url = Some(redis_url.clone());
        config
    };
    let a = start(config(), &shop_supergraph()).await;
    let b = start(config(), &shop_supergraph()).await;
    // A query unique to this run, so an earlier run's entry cannot answer.
    let query = format!(
        "query Run{} {{ me {{ name }} }}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let hash = router::persisted::sha256(&query);
    let (_, body) = post(&b, json!({"extensions": apq(&hash)})).await;
    assert_eq!(code(&body), Some("PERSISTED_QUERY_NOT_FOUND"));
    let (status, _) = post(&a, json!({"query": query, "extensions": apq(&hash)})).await;
    assert_eq!(status, 200);
    let (status, body) = post(&b, json!({"extensions": apq(&hash)})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["name"], json!("Ada Lovelace"));
}
