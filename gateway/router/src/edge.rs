//! What the edge stages share for the life of a gateway: the authenticator (JWKS caches),
//! the rate limiters, the persisted operations. Built from the config; a configuration the
//! edge cannot honour makes every request fail (fail closed) rather than run unprotected.
use crate::auth::{AuthError, Authenticator};
use crate::config::GatewayConfig;
use crate::http::cors::{self, CorsError};
use crate::persisted::{PersistedError, PersistedOperations};
use crate::rate_limit::{RateLimitError, RateLimiterSet};

#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error("gateway.auth: {0}")]
    Auth(#[from] AuthError),
    #[error("gateway.rate_limit: {0}")]
    RateLimit(#[from] RateLimitError),
    #[error("gateway.persisted: {0}")]
    Persisted(#[from] PersistedError),
    #[error("gateway.cors: {0}")]
    Cors(#[from] CorsError),
}

pub struct Edge {
    pub authenticator: Authenticator,
    pub rate_limits: RateLimiterSet,
    pub persisted: PersistedOperations,
}

impl Edge {
    pub fn new(config: &GatewayConfig) -> Result<Self, EdgeError> {
        cors::layer(&config.cors)?;
        Ok(Self {
            authenticator: Authenticator::new(&config.auth.jwt)?,
            rate_limits: RateLimiterSet::new(&config.rate_limit)?,
            persisted: PersistedOperations::new(&config.persisted)?,
        })
    }
}
