//! Stage (edge): choosing the response media type from `Accept`, and the HTTP status that
//! GraphQL-over-HTTP prescribes for each outcome under it.
use http::{HeaderMap, StatusCode, header::ACCEPT};

use crate::pipeline::Outcome;

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
pub const APPLICATION_JSON: &str = "application/json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    GraphqlResponseJson,
    /// Legacy: every well-formed request answers 200.
    Json,
}

impl ResponseFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }

    pub fn status(self, outcome: Outcome) -> StatusCode {
        match (self, outcome) {
            (_, Outcome::Executed) => StatusCode::OK,
            (_, Outcome::BadRequest) => StatusCode::BAD_REQUEST,
            (_, Outcome::MethodNotAllowed) => StatusCode::METHOD_NOT_ALLOWED,
            (_, Outcome::InternalError) => StatusCode::INTERNAL_SERVER_ERROR,
            (Self::GraphqlResponseJson, Outcome::RequestError) => StatusCode::BAD_REQUEST,
            (Self::Json, Outcome::RequestError) => StatusCode::OK,
        }
    }
}

/// The format the client accepts best; `None` when it accepts neither (406). No `Accept`
/// means `application/json`, as the spec asks for legacy clients.
pub fn negotiate(headers: &HeaderMap) -> Option<ResponseFormat> {
    let values: Vec<&str> = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return Some(ResponseFormat::Json);
    }
    let mut best: Option<(f32, ResponseFormat)> = None;
    for range in values.iter().flat_map(|v| v.split(',')) {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let format = match media.as_str() {
            GRAPHQL_RESPONSE_JSON => ResponseFormat::GraphqlResponseJson,
            APPLICATION_JSON | "*/*" | "application/*" => ResponseFormat::Json,
            _ => continue,
        };
        if quality <= 0.0 {
            continue;
        }
        // Ties go to the first listed, except that graphql-response+json wins a tie.
        let better = match best {
            None => true,
            Some((q, f)) => {
                quality > q
                    || (quality == q
                        && format == ResponseFormat::GraphqlResponseJson
                        && f != ResponseFormat::GraphqlResponseJson)
            }
        };
        if better {
            best = Some((quality, format));
        }
    }
    best.map(|(_, format)| format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<ResponseFormat> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, value.parse().expect("header"));
        negotiate(&headers)
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(ResponseFormat::Json));
        assert_eq!(accept("*/*"), Some(ResponseFormat::Json));
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Some(ResponseFormat::GraphqlResponseJson)
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json;q=0.5"),
            Some(ResponseFormat::Json)
        );
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json;q=0"), None);
    }

    #[test]
    fn statuses() {
        use ResponseFormat::*;
        assert_eq!(Json.status(Outcome::RequestError), StatusCode::OK);
        assert_eq!(
            GraphqlResponseJson.status(Outcome::RequestError),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            GraphqlResponseJson.status(Outcome::Executed),
            StatusCode::OK
        );
        assert_eq!(
            Json.status(Outcome::MethodNotAllowed),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }
}
