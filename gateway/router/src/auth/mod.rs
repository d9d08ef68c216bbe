//! Stage: authentication. Finds the request's token (a header or a cookie), verifies it
//! against the configured JWT providers and yields the claims the authorization stage and the
//! header rules read. No token means anonymous; a bad token is `UNAUTHENTICATED`.
pub mod directives;
pub mod jwks;
pub mod requirements;

use std::sync::Arc;

use http::HeaderMap;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use jwks::{JwksError, KeySet, RemoteJwks};

/// The verified claims of the request's token.
pub type Claims = Map<String, Value>;

/// `gateway.auth`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub jwt: JwtConfig,
    /// Named claim rules that `@policy(policies:)` refers to.
    pub policies: Vec<requirements::PolicyRule>,
    /// The claim holding scopes for `@requiresScopes` (space-separated string or array).
    pub scope_claim: Option<String>,
    /// Reject the whole operation when any field is unauthorized, instead of removing the
    /// fields and running the rest.
    pub reject_unauthorized: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    pub providers: Vec<JwtProvider>,
    /// Header carrying the token.
    pub header_name: String,
    /// Scheme before the token in that header (`Bearer`); empty for a bare token.
    pub header_prefix: String,
    /// Cookie carrying the token, tried when the header is absent.
    pub cookie: Option<String>,
    /// Allowed clock skew for `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
    /// `true`: an invalid token answers HTTP 401; `false`: a GraphQL error (HTTP per the
    /// response media type).
    pub invalid_token_is_http_401: bool,
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            providers: Vec::new(),
            header_name: "authorization".to_string(),
            header_prefix: "Bearer".to_string(),
            cookie: None,
            leeway_seconds: 60,
            invalid_token_is_http_401: true,
        }
    }
}

/// One issuer of tokens: a remote JWKS, a local JWKS or an HMAC secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtProvider {
    pub name: String,
    /// JWKS fetched at start, refetched when a token names an unknown `kid`.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// A JWKS document given inline.
    #[serde(default)]
    pub jwks: Option<Value>,
    /// A shared HS256/384/512 secret.
    #[serde(default)]
    pub secret: Option<String>,
    /// Accepted `iss` values; empty accepts any.
    #[serde(default)]
    pub issuers: Vec<String>,
    /// Accepted `aud` values; empty does not check `aud`.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Algorithms this provider accepts (`none` cannot be named).
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<Algorithm>,
    /// Smallest interval between two JWKS refetches, in milliseconds.
    #[serde(default = "default_refetch_floor_ms")]
    pub refetch_floor_ms: u64,
    /// Refetch the JWKS this often even without unknown `kid`s (so removed keys stop
    /// verifying), in seconds; 0 turns it off.
    #[serde(default = "default_refresh_interval_seconds")]
    pub refresh_interval_seconds: u64,
}

fn default_refresh_interval_seconds() -> u64 {
    300
}

fn default_algorithms() -> Vec<Algorithm> {
    vec![Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256]
}

fn default_refetch_floor_ms() -> u64 {
    10_000
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    #[error("no key matches the token")]
    UnknownKey,
    #[error("the token is invalid: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("provider `{provider}`: {source}")]
    Config {
        provider: String,
        #[source]
        source: JwksError,
    },
}

enum Keys {
    Secret(DecodingKey),
    Static(Arc<KeySet>),
    Remote(Arc<RemoteJwks>),
}

struct Provider {
    config: JwtProvider,
    keys: Keys,
}

/// Verifies tokens against every configured provider.
pub struct Authenticator {
    config: JwtConfig,
    providers: Vec<Provider>,
}

impl Authenticator {
    /// Builds the providers; remote JWKS are fetched in the background right away when a
    /// runtime is running (else on first use).
    pub fn new(config: &JwtConfig) -> Result<Self, AuthError> {
        let mut providers = Vec::new();
        for provider in &config.providers {
            let error = |source| AuthError::Config {
                provider: provider.name.clone(),
                source,
            };
            let keys = if let Some(secret) = &provider.secret {
                Keys::Secret(DecodingKey::from_secret(secret.as_bytes()))
            } else if let Some(jwks) = &provider.jwks {
                Keys::Static(Arc::new(KeySet::from_value(jwks).map_err(error)?))
            } else if let Some(url) = &provider.jwks_url {
                let remote =
                    Arc::new(RemoteJwks::new(url, provider.refetch_floor_ms).map_err(error)?);
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    handle.spawn(jwks::keep_fresh(
                        Arc::downgrade(&remote),
                        std::time::Duration::from_secs(provider.refresh_interval_seconds),
                    ));
                }
                Keys::Remote(remote)
            } else {
                return Err(error(JwksError::NoKeys));
            };
            providers.push(Provider {
                config: provider.clone(),
                keys,
            });
        }
        Ok(Self {
            config: config.clone(),
            providers,
        })
    }

    pub fn invalid_token_is_http_401(&self) -> bool {
        self.config.invalid_token_is_http_401
    }

    /// The raw token of the request: the configured header, else the cookie.
    pub fn token<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        if let Some(value) = headers
            .get(self.config.header_name.as_str())
            .and_then(|v| v.to_str().ok())
        {
            let prefix = self.config.header_prefix.as_str();
            let token = if prefix.is_empty() {
                Some(value.trim())
            } else {
                value
                    .split_once(' ')
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case(prefix))
                    .map(|(_, token)| token.trim())
            };
            return token.filter(|t| !t.is_empty());
        }
        let cookie = self.config.cookie.as_deref()?;
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == cookie)
            .map(|(_, value)| value)
    }

    /// `Ok(None)`: anonymous (no token, or no provider configured). `Err`: a token was sent
    /// and no provider accepts it.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Option<Claims>, AuthError> {
        if self.providers.is_empty() {
            return Ok(None);
        }
        let Some(token) = self.token(headers) else {
            return Ok(None);
        };
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        let mut last = AuthError::Algorithm;
        for provider in &self.providers {
            match self.verify(provider, token, &header).await {
                Ok(claims) => return Ok(Some(claims)),
                Err(error) => last = error,
            }
        }
        Err(last)
    }

    async fn verify(
        &self,
        provider: &Provider,
        token: &str,
        header: &jsonwebtoken::Header,
    ) -> Result<Claims, AuthError> {
        let alg = header.alg;
        if !provider.config.algorithms.contains(&alg) {
            return Err(AuthError::Algorithm);
        }
        let key = match &provider.keys {
            Keys::Secret(key) => {
                if !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
                    return Err(AuthError::Algorithm);
                }
                key.clone()
            }
            Keys::Static(set) => set.key_for(header.kid.as_deref(), alg)?,
            Keys::Remote(remote) => remote.key_for(header.kid.as_deref(), alg).await?,
        };
        let mut validation = Validation::new(alg);
        validation.leeway = self.config.leeway_seconds;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp"]);
        if provider.config.issuers.is_empty() {
            validation.iss = None;
        } else {
            validation.set_issuer(&provider.config.issuers);
        }
        if provider.config.audiences.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&provider.config.audiences);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)?;
        Ok(data.claims)
    }
}
