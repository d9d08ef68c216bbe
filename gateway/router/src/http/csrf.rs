//! CSRF prevention: a browser sends a cross-site GET, or a POST with a "simple" content
//! type, without a CORS preflight. Such requests must carry a header no simple request can
//! (`x-apollo-operation-name`, `apollo-require-preflight`, `x-graphql-client-name`, ...).
use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method};
use serde::{Deserialize, Serialize};

/// `gateway.csrf`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsrfConfig {
    pub enabled: bool,
    /// Any one of these headers proves the request was preflighted.
    pub required_headers: Vec<String>,
}

impl Default for CsrfConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            required_headers: vec![
                "x-apollo-operation-name".to_string(),
                "apollo-require-preflight".to_string(),
                "x-graphql-client-name".to_string(),
            ],
        }
    }
}

/// Whether the request could have been sent by a browser without a preflight and lacks
/// the proof header.
pub fn is_blocked(config: &CsrfConfig, method: &Method, headers: &HeaderMap) -> bool {
    if !config.enabled {
        return false;
    }
    let simple_content_type = match headers.get(CONTENT_TYPE) {
        // Only a POST carries a content type that matters; a GET has none to preflight.
        None => true,
        Some(value) => {
            let media = value
                .to_str()
                .ok()
                .and_then(|v| v.split(';').next())
                .map(|m| m.trim().to_ascii_lowercase());
            matches!(
                media.as_deref(),
                None | Some(
                    "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
                )
            )
        }
    };
    let simple = *method == Method::GET || simple_content_type;
    simple
        && !config
            .required_headers
            .iter()
            .any(|name| headers.contains_key(name.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_static(k),
                    http::HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn simple_requests_need_a_proof_header() {
        let config = CsrfConfig {
            enabled: true,
            ..CsrfConfig::default()
        };
        assert!(is_blocked(&config, &Method::GET, &headers(&[])));
        assert!(!is_blocked(
            &config,
            &Method::GET,
            &headers(&[("apollo-require-preflight", "true")])
        ));
        assert!(is_blocked(
            &config,
            &Method::POST,
            &headers(&[("content-type", "text/plain")])
        ));
        assert!(!is_blocked(
            &config,
            &Method::POST,
            &headers(&[("content-type", "application/json; charset=utf-8")])
        ));
        assert!(!is_blocked(
            &CsrfConfig::default(),
            &Method::GET,
            &headers(&[])
        ));
    }
}
