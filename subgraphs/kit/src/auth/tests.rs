//! Verification with ES256 and RS256 test keys (`testdata/`, generated with openssl for these
//! tests only), through static keys and through a JWKS served over real HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::HeaderMap;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use parking_lot::Mutex;

use super::*;

const ES256_PEM: &[u8] = include_bytes!("testdata/es256.pem");
const RS256_PEM: &[u8] = include_bytes!("testdata/rs256.pem");
const JWKS: &str = include_str!("testdata/jwks.json");

fn config() -> AuthConfig {
    AuthConfig {
        issuer: "iss".into(),
        audience: "aud".into(),
        leeway_seconds: 5,
        min_refetch_seconds: 1,
        ..AuthConfig::default()
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn claims(exp: i64) -> AccessClaims {
    AccessClaims {
        sub: "user-1".into(),
        email: Some("a@example.org".into()),
        roles: vec!["editor".into()],
        scope: "blog.post.publish".into(),
        iss: "iss".into(),
        aud: "aud".into(),
        iat: now(),
        exp,
        nbf: None,
        jti: "jti-1".into(),
        sid: None,
    }
}

fn sign(alg: Algorithm, kid: &str, claims: &AccessClaims) -> String {
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(ES256_PEM).expect("es256 pem"),
        Algorithm::RS256 => EncodingKey::from_rsa_pem(RS256_PEM).expect("rs256 pem"),
        Algorithm::HS256 => EncodingKey::from_secret(b"shared"),
        other => panic!("no test key for {other:?}"),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

fn static_verifier() -> TokenVerifier {
    let set: JwkSet = serde_json::from_str(JWKS).expect("jwks");
    TokenVerifier::new(Arc::new(StaticKeys::from_jwks(&set)), &config())
}

#[tokio::test]
async fn es256_and_rs256_tokens_verify() {
    let verifier = static_verifier();
    for (alg, kid) in [
        (Algorithm::ES256, "es256-test"),
        (Algorithm::RS256, "rs256-test"),
    ] {
        let token = sign(alg, kid, &claims(now() + 60));
        let verified = verifier.verify(&token).await.expect("valid token");
        assert_eq!(verified.sub, "user-1");
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("header"),
        );
        let ctx = verifier
            .authenticate(&headers)
            .await
            .expect("authenticated");
        assert_eq!(ctx.user_id.as_deref(), Some("user-1"));
        assert!(ctx.has_scope("blog.post.publish"));
        assert_eq!(ctx.token_id.as_deref(), Some("jti-1"));
    }
}

#[tokio::test]
async fn claims_are_checked_with_leeway() {
    let verifier = static_verifier();
    // Expired 2 s ago: inside the 5 s leeway. 60 s ago: rejected as expired.
    let recent = sign(Algorithm::ES256, "es256-test", &claims(now() - 2));
    assert!(verifier.verify(&recent).await.is_ok());
    let old = sign(Algorithm::ES256, "es256-test", &claims(now() - 60));
    assert!(matches!(
        verifier.verify(&old).await,
        Err(AuthError::Expired)
    ));

    let mut early = claims(now() + 600);
    early.nbf = Some(now() + 300);
    let early = sign(Algorithm::ES256, "es256-test", &early);
    assert!(matches!(
        verifier.verify(&early).await,
        Err(AuthError::Invalid(_))
    ));

    let mut wrong_aud = claims(now() + 60);
    wrong_aud.aud = "other".into();
    let wrong_aud = sign(Algorithm::RS256, "rs256-test", &wrong_aud);
    assert!(verifier.verify(&wrong_aud).await.is_err());
}

#[tokio::test]
async fn algorithm_must_match_the_key() {
    let verifier = static_verifier();
    // RS256 signature presented under the ES256 key's kid.
    let confused = sign(Algorithm::RS256, "es256-test", &claims(now() + 60));
    assert!(matches!(
        verifier.verify(&confused).await,
        Err(AuthError::AlgorithmMismatch)
    ));
    // Symmetric algorithms are never accepted from a JWKS verifier.
    let hs = sign(Algorithm::HS256, "es256-test", &claims(now() + 60));
    assert!(matches!(
        verifier.verify(&hs).await,
        Err(AuthError::UnsupportedKey)
    ));
    let unknown = sign(Algorithm::ES256, "nope", &claims(now() + 60));
    assert!(matches!(
        verifier.verify(&unknown).await,
        Err(AuthError::UnknownKid)
    ));
}

#[tokio::test]
async fn headers_anonymous_or_bearer() {
    let verifier = static_verifier();
    let ctx = verifier
        .authenticate(&HeaderMap::new())
        .await
        .expect("anonymous");
    assert!(!ctx.is_authenticated());
    for bad in ["Basic abc", "Bearer", "Bearer  ", "token"] {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, bad.parse().expect("header"));
        assert!(
            verifier.authenticate(&headers).await.is_err(),
            "{bad:?} accepted"
        );
    }
}

/// A JWKS endpoint on 127.0.0.1 whose key set can change, counting fetches.
struct JwksServer {
    url: String,
    keys: Arc<Mutex<JwkSet>>,
    fetches: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn jwks_server(initial: JwkSet) -> JwksServer {
    let keys = Arc::new(Mutex::new(initial));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (served, counter) = (keys.clone(), fetches.clone());
    let app = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || {
            let (served, counter) = (served.clone(), counter.clone());
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                axum::Json(served.lock().clone())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    JwksServer {
        url: format!("http://{addr}/.well-known/jwks.json"),
        keys,
        fetches,
        task,
    }
}

#[tokio::test]
async fn jwks_is_cached_and_refetched_for_new_kids_at_most_once_per_interval() {
    let full: JwkSet = serde_json::from_str(JWKS).expect("jwks");
    let es_only = JwkSet {
        keys: vec![full.keys[0].clone()],
    };
    let server = jwks_server(es_only).await;
    let client = JwksClient::new(&server.url, &config()).expect("client");
    let verifier = TokenVerifier::new(Arc::new(client), &config());
    let fetches = || server.fetches.load(Ordering::SeqCst);

    let es = sign(Algorithm::ES256, "es256-test", &claims(now() + 60));
    verifier.verify(&es).await.expect("es256 via jwks");
    verifier.verify(&es).await.expect("cached");
    assert_eq!(fetches(), 1, "known keys come from the cache");

    // A kid rotated in right after the fetch: not refetched within the interval.
    let rs = sign(Algorithm::RS256, "rs256-test", &claims(now() + 60));
    *server.keys.lock() = full;
    assert!(matches!(
        verifier.verify(&rs).await,
        Err(AuthError::UnknownKid)
    ));
    assert_eq!(fetches(), 1);

    // After the interval, an unknown kid triggers one refetch and then verifies.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    verifier.verify(&rs).await.expect("rs256 after refetch");
    assert_eq!(fetches(), 2);

    // A flood of forged kids costs at most one fetch per interval.
    for n in 0..20 {
        let forged = sign(
            Algorithm::ES256,
            &format!("forged-{n}"),
            &claims(now() + 60),
        );
        assert!(verifier.verify(&forged).await.is_err());
    }
    assert_eq!(fetches(), 2);
}

#[tokio::test]
async fn unreachable_jwks_is_reported_not_anonymous() {
    let client =
        JwksClient::new("http://127.0.0.1:9/.well-known/jwks.json", &config()).expect("client");
    let verifier = TokenVerifier::new(Arc::new(client), &config());
    let token = sign(Algorithm::ES256, "es256-test", &claims(now() + 60));
    assert!(matches!(
        verifier.verify(&token).await,
        Err(AuthError::KeysUnavailable(_))
    ));
}
