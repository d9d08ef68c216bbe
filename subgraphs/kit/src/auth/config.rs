use serde::Deserialize;

/// How subgraphs verify forwarded access tokens (the `auth:` section of the platform config).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Identity's JWKS, e.g. `http://127.0.0.1:4001/.well-known/jwks.json`.
    pub jwks_url: Option<String>,
    /// Expected `iss`; must match identity's `identity.issuer`.
    pub issuer: String,
    /// Expected `aud`; must match identity's `identity.audience`.
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway_seconds: u64,
    /// An unknown `kid` triggers a JWKS refetch at most this often.
    pub min_refetch_seconds: u64,
    /// Known keys are refreshed in the background of a request after this long.
    pub max_cache_seconds: u64,
    /// Timeout of one JWKS fetch.
    pub fetch_timeout_ms: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwks_url: None,
            issuer: "platform-identity".into(),
            audience: "platform".into(),
            leeway_seconds: 30,
            min_refetch_seconds: 10,
            max_cache_seconds: 600,
            fetch_timeout_ms: 3_000,
        }
    }
}
