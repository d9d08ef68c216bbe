//! Starting a gateway in front of the shop fixtures, tokens and keys, small HTTP servers.
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use router::{Gateway, GatewayConfig, SupergraphState};
use serde_json::{Value as Json, json};

use crate::fixture::{self, CallLog, FixtureSubgraph};

pub struct Running {
    pub base: String,
    pub calls: CallLog,
    _subgraphs: Vec<FixtureSubgraph>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn base_dir(base: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/conformance/bases/{base}"))
}

pub fn supergraph_of(base: &str) -> String {
    std::fs::read_to_string(base_dir(base).join("supergraph.graphql")).expect("supergraph")
}

pub fn shop_supergraph() -> String {
    supergraph_of("shop")
}

/// The shop supergraph with authorization directives: `User.birthDate` and
/// `User.numberOfReviews: Int!` need authentication, `Product.price` the `read:price` or
/// `admin` scope, `Review.body` the `reviewer` policy.
pub fn secure_supergraph() -> String {
    let sdl = shop_supergraph();
    let edits = [
        (
            "  @link(url: \"https://specs.apollo.dev/join/v0.3\", for: EXECUTION)\n",
            "  @link(url: \"https://specs.apollo.dev/join/v0.3\", for: EXECUTION)\n  @link(url: \"https://specs.apollo.dev/authenticated/v0.1\", for: SECURITY)\n  @link(url: \"https://specs.apollo.dev/requiresScopes/v0.1\", for: SECURITY)\n  @link(url: \"https://specs.apollo.dev/policy/v0.1\", for: SECURITY)\n",
        ),
        (
            "scalar join__FieldSet\n",
            "scalar join__FieldSet\n\ndirective @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\n\ndirective @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\n\nscalar requiresScopes__Scope\n\ndirective @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\n\nscalar policy__Policy\n",
        ),
        (
            "birthDate: String @join__field(graph: ACCOUNTS)",
            "birthDate: String @join__field(graph: ACCOUNTS) @authenticated",
        ),
        (
            "numberOfReviews: Int! @join__field(graph: REVIEWS)",
            "numberOfReviews: Int! @join__field(graph: REVIEWS) @authenticated",
        ),
        (
            "price: Int @join__field(graph: INVENTORY, external: true) @join__field(graph: PRODUCTS)",
            "price: Int @join__field(graph: INVENTORY, external: true) @join__field(graph: PRODUCTS) @requiresScopes(scopes: [[\"read:price\"], [\"admin\"]])",
        ),
        (
            "  body: String\n",
            "  body: String @policy(policies: [[\"reviewer\"]])\n",
        ),
    ];
    let mut out = sdl;
    for (from, to) in edits {
        assert!(out.contains(from), "supergraph edit anchor missing: {from}");
        out = out.replacen(from, to, 1);
    }
    out
}

/// The gateway serving `supergraph` with the four shop fixtures behind it. Subgraphs the
/// config already overrides keep their URL.
pub async fn start(config: GatewayConfig, supergraph: &str) -> Running {
    start_base(config, "shop", supergraph).await
}

/// The gateway serving `supergraph` in front of every fixture subgraph of `base`.
pub async fn start_base(config: GatewayConfig, base: &str, supergraph: &str) -> Running {
    let dir = base_dir(base);
    let calls: CallLog = Arc::new(Mutex::new(Vec::new()));
    let mut config = config;
    let mut subgraphs = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(dir.join("subgraphs"))
        .expect("subgraphs dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|f| f.strip_suffix(".graphql"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    for name in &names {
        let name = name.as_str();
        if config.subgraphs.contains_key(name) {
            continue;
        }
        let sdl =
            std::fs::read_to_string(dir.join(format!("subgraphs/{name}.graphql"))).expect("sdl");
        let data: Json = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("subgraphs/{name}.json"))).expect("data"),
        )
        .expect("data json");
        let server = fixture::start(name, &sdl, data, calls.clone())
            .await
            .expect("fixture");
        config.subgraphs.insert(
            name.to_string(),
            router::config::SubgraphOverride {
                url: Some(server.url.clone()),
                timeout_ms: None,
            },
        );
        subgraphs.push(server);
    }
    let state = SupergraphState::from_sdl(supergraph, &config).expect("state");
    let gateway = Arc::new(Gateway::new(state, config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(router::serve_on(listener, gateway, async {
        let _ = stopped.await;
    }));
    Running {
        base: format!("http://{addr}"),
        calls,
        _subgraphs: subgraphs,
        stop: Some(stop),
    }
}

/// POSTs a GraphQL body; answers (status, headers, JSON body).
pub async fn post_with(
    running: &Running,
    body: Json,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Json) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/graphql", running.base))
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let json = response.json().await.unwrap_or(Json::Null);
    (status, headers, json)
}

pub async fn post(running: &Running, body: Json) -> (u16, Json) {
    let (status, _, json) = post_with(running, body, &[]).await;
    (status, json)
}

pub fn code(response: &Json) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

pub fn call_count(running: &Running) -> usize {
    running.calls.lock().expect("calls").len()
}

/// An Ed25519 key pair for signing test tokens.
pub struct TestKey {
    pub kid: String,
    signing: SigningKey,
}

impl TestKey {
    pub fn new(kid: &str, seed: u8) -> Self {
        Self {
            kid: kid.to_string(),
            signing: SigningKey::from_bytes(&[seed; 32]),
        }
    }

    pub fn public_bytes(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    pub fn jwk(&self) -> Json {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.public_bytes()),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig"
        })
    }

    pub fn sign(&self, claims: &Json) -> String {
        let der = self.signing.to_pkcs8_der().expect("pkcs8");
        let key = EncodingKey::from_ed_der(der.as_bytes());
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &key).expect("sign")
    }
}

pub fn jwks(keys: &[&TestKey]) -> Json {
    json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()})
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub const ISSUER: &str = "https://issuer.test";

/// Claims valid for ten minutes from the test issuer for the `gateway` audience.
pub fn claims(extra: Json) -> Json {
    let mut claims = json!({
        "sub": "user-1",
        "iss": ISSUER,
        "aud": "gateway",
        "iat": now(),
        "exp": now() + 600,
    });
    if let (Some(map), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            map.insert(k.clone(), v.clone());
        }
    }
    claims
}

/// A tiny HTTP server answering every request through `answer`, on 127.0.0.1:0.
pub async fn serve<F, Fut>(answer: F) -> SocketAddr
where
    F: Fn(http::HeaderMap, String) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = (u16, Json)> + Send + 'static,
{
    let app = axum::Router::new().fallback(move |headers: http::HeaderMap, body: String| {
        let answer = answer.clone();
        async move {
            let (status, json) = answer(headers, body).await;
            (
                http::StatusCode::from_u16(status)
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
                [(http::header::CONTENT_TYPE, "application/json")],
                json.to_string(),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}
