use std::sync::Arc;

use async_graphql::ErrorExtensions;
use http::HeaderMap;
use jsonwebtoken::{Algorithm, Validation};

use super::claims::AccessClaims;
use super::config::AuthConfig;
use super::context::AuthContext;
use super::keys::KeySource;

/// Why a request's credentials were refused. Clients see one `UNAUTHENTICATED` message; the
/// variant is for logs.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the Authorization header is not a Bearer token")]
    MalformedHeader,
    #[error("the token is not a well-formed JWT: {0}")]
    Malformed(String),
    #[error("the token has no kid header")]
    MissingKid,
    #[error("the token's kid is not a known signing key")]
    UnknownKid,
    #[error("the token's algorithm does not match its key")]
    AlgorithmMismatch,
    #[error("the key type or algorithm is not supported")]
    UnsupportedKey,
    #[error("the token is expired")]
    Expired,
    #[error("the token is not valid: {0}")]
    Invalid(String),
    #[error("signing keys are unavailable: {0}")]
    KeysUnavailable(String),
}

impl AuthError {
    /// The GraphQL error a client receives: code `UNAUTHENTICATED`, no internal detail.
    pub fn to_graphql_error(&self) -> async_graphql::Error {
        async_graphql::Error::new(super::request_data::client_message(self))
            .extend_with(|_, e| e.set("code", "UNAUTHENTICATED"))
    }
}

/// The token of an `Authorization: Bearer <token>` header; `None` when there is no header.
pub fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, AuthError> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| AuthError::MalformedHeader)?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or(AuthError::MalformedHeader)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::MalformedHeader);
    }
    Ok(Some(token))
}

/// Verifies access tokens: signature by the `kid`'s key (EdDSA, ES256 or RS256 only), then
/// `exp`, `nbf`, `iss` and `aud` with leeway.
#[derive(Clone)]
pub struct TokenVerifier {
    keys: Arc<dyn KeySource>,
    issuer: String,
    audience: String,
    leeway_seconds: u64,
}

impl TokenVerifier {
    pub fn new(keys: Arc<dyn KeySource>, config: &AuthConfig) -> Self {
        Self {
            keys,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway_seconds: config.leeway_seconds,
        }
    }

    /// The verifier a subgraph uses: identity's JWKS at `auth.jwks_url`.
    pub fn from_config(config: &AuthConfig) -> Result<Self, AuthError> {
        let url = config
            .jwks_url
            .as_deref()
            .ok_or_else(|| AuthError::KeysUnavailable("auth.jwks_url is not set".into()))?;
        let client = super::jwks::JwksClient::new(url, config)?;
        Ok(Self::new(Arc::new(client), config))
    }

    /// The claims of a valid token.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Malformed(e.to_string()))?;
        if !matches!(
            header.alg,
            Algorithm::EdDSA | Algorithm::ES256 | Algorithm::RS256
        ) {
            return Err(AuthError::UnsupportedKey);
        }
        let kid = header.kid.as_deref().ok_or(AuthError::MissingKid)?;
        let key = self.keys.key(kid).await?.ok_or(AuthError::UnknownKid)?;
        // The key decides the algorithm, never the token: no algorithm confusion.
        if key.algorithm != header.alg {
            return Err(AuthError::AlgorithmMismatch);
        }
        let mut validation = Validation::new(key.algorithm);
        validation.leeway = self.leeway_seconds;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key.key, &validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid(e.to_string()),
            },
        )?;
        Ok(data.claims)
    }

    /// The request's auth context: anonymous without an `Authorization` header, an error for
    /// a header that does not hold a valid token.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<AuthContext, AuthError> {
        match bearer_token(headers)? {
            None => Ok(AuthContext::anonymous()),
            Some(token) => Ok(AuthContext::from_claims(self.verify(token).await?)),
        }
    }
}
