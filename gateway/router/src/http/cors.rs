//! CORS from config, as a tower-http layer: no layer (no CORS headers) when no origin is
//! configured.
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use serde::{Deserialize, Serialize};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// `gateway.cors`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    /// Exact origins allowed (`https://app.example.com`); `["*"]` allows any origin
    /// (not combinable with `allow_credentials`).
    pub origins: Vec<String>,
    pub allow_credentials: bool,
    pub allow_headers: Vec<String>,
    pub methods: Vec<String>,
    pub max_age_seconds: u64,
}

impl Default for CorsConfig {
    fn default() -> Self {
        Self {
            origins: Vec::new(),
            allow_credentials: false,
            allow_headers: vec![
                "content-type".to_string(),
                "authorization".to_string(),
                "apollo-require-preflight".to_string(),
                "x-apollo-operation-name".to_string(),
                "x-graphql-client-name".to_string(),
            ],
            methods: vec!["GET".to_string(), "POST".to_string()],
            max_age_seconds: 600,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CorsError {
    #[error("invalid CORS {what} `{value}`")]
    Invalid { what: &'static str, value: String },
    #[error("CORS cannot allow credentials for any origin (`*`)")]
    CredentialsWithWildcard,
}

pub fn layer(config: &CorsConfig) -> Result<Option<CorsLayer>, CorsError> {
    if config.origins.is_empty() {
        return Ok(None);
    }
    let invalid = |what, value: &String| CorsError::Invalid {
        what,
        value: value.clone(),
    };
    let origin = if config.origins.iter().any(|o| o == "*") {
        if config.allow_credentials {
            return Err(CorsError::CredentialsWithWildcard);
        }
        AllowOrigin::any()
    } else {
        let origins = config
            .origins
            .iter()
            .map(|o| HeaderValue::from_str(o).map_err(|_| invalid("origin", o)))
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(origins)
    };
    let headers = config
        .allow_headers
        .iter()
        .map(|h| HeaderName::from_bytes(h.as_bytes()).map_err(|_| invalid("header", h)))
        .collect::<Result<Vec<_>, _>>()?;
    let methods = config
        .methods
        .iter()
        .map(|m| Method::from_bytes(m.as_bytes()).map_err(|_| invalid("method", m)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(origin)
            .allow_credentials(config.allow_credentials)
            .allow_headers(headers)
            .allow_methods(methods)
            .max_age(Duration::from_secs(config.max_age_seconds)),
    ))
}
