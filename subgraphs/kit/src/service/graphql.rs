//! `/graphql` over HTTP, per the GraphQL-over-HTTP spec: POST with a JSON body, GET with query
//! parameters (queries only), answered as `application/graphql-response+json` or
//! `application/json` depending on `Accept`.
use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Executor, ServerError, Value};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode, header};

use super::request_data::RequestData;
use crate::telemetry::{self, RequestId, TraceContext};

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

pub(super) struct GraphqlEndpoint<E> {
    pub schema: E,
    pub request_data: Option<Arc<dyn RequestData>>,
    pub service: Arc<str>,
    pub body_limit: usize,
}

/// The response media type the client accepts; `None` when it accepts neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponseJson,
    Json,
}

impl MediaType {
    fn negotiate(accept: Option<&HeaderValue>) -> Option<Self> {
        // The spec: a request without Accept is treated as `Accept: application/json`.
        let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
            return Some(Self::Json);
        };
        let types: Vec<&str> = accept
            .split(',')
            .map(|t| t.split(';').next().unwrap_or("").trim())
            .collect();
        if types.iter().any(|t| {
            t.eq_ignore_ascii_case(GRAPHQL_RESPONSE_JSON) || *t == "*/*" || *t == "application/*"
        }) {
            Some(Self::GraphqlResponseJson)
        } else if types.iter().any(|t| t.eq_ignore_ascii_case(JSON)) {
            Some(Self::Json)
        } else {
            None
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

pub(super) async fn handle<E: Executor>(
    State(endpoint): State<Arc<GraphqlEndpoint<E>>>,
    request: Request,
) -> Response {
    let Some(media) = MediaType::negotiate(request.headers().get(header::ACCEPT)) else {
        return (
            StatusCode::NOT_ACCEPTABLE,
            format!("accepts {GRAPHQL_RESPONSE_JSON} or {JSON}"),
        )
            .into_response();
    };
    let (parts, body) = request.into_parts();
    let gql = match read_request(&parts, body, endpoint.body_limit).await {
        Ok(gql) => gql,
        Err(rejection) => return rejection.respond(media, &endpoint.service),
    };
    let document = match async_graphql::parser::parse_query(&gql.query) {
        Ok(document) => document,
        Err(e) => {
            return Rejection::graphql(
                "GRAPHQL_PARSE_FAILED",
                e.to_string(),
                StatusCode::BAD_REQUEST,
            )
            .respond(media, &endpoint.service);
        }
    };
    if parts.method == Method::GET
        && operation_type(&document, gql.operation_name.as_deref()) == Some(OperationType::Mutation)
    {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "mutations need POST",
        )
            .into_response();
    }

    let mut gql = gql;
    if let Some(id) = parts.extensions.get::<RequestId>() {
        gql = gql.data(id.clone());
    }
    if let Some(trace) = parts.extensions.get::<TraceContext>() {
        gql = gql.data(*trace);
    }
    if let Some(hook) = &endpoint.request_data {
        gql = match hook.prepare(&parts, gql).await {
            Ok(gql) => gql,
            Err(e) => {
                let status = e.status();
                return Rejection::Graphql(
                    e.into_graphql().into_server_error(Default::default()),
                    status,
                )
                .respond(media, &endpoint.service);
            }
        };
    }

    let mut response = endpoint.schema.execute(gql).await;
    let request_error = response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    for error in &mut response.errors {
        classify(error, request_error);
        count_error(&endpoint.service, error);
    }
    let status = match media {
        MediaType::GraphqlResponseJson if request_error => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let body = if request_error {
        // A request error has no `data` entry at all (not `null`).
        serde_json::to_vec(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_vec(&response)
    };
    let mut http_response = match body {
        Ok(bytes) => (
            status,
            [(header::CONTENT_TYPE, media.content_type())],
            Bytes::from(bytes),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "serializing a GraphQL response failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    for (name, value) in response.http_headers.iter() {
        http_response.headers_mut().append(name, value.clone());
    }
    http_response
}

async fn read_request(
    parts: &http::request::Parts,
    body: Body,
    limit: usize,
) -> Result<async_graphql::Request, Rejection> {
    match parts.method {
        Method::GET => {
            let query = parts.uri.query().unwrap_or("");
            async_graphql::http::parse_query_string(query).map_err(|e| {
                Rejection::graphql("BAD_REQUEST", e.to_string(), StatusCode::BAD_REQUEST)
            })
        }
        Method::POST => {
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(str::trim);
            if !content_type.is_some_and(|t| t.eq_ignore_ascii_case(JSON)) {
                return Err(Rejection::Http(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "POST bodies must be application/json",
                ));
            }
            let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
                Rejection::Http(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
            })?;
            serde_json::from_slice(&bytes).map_err(|e| {
                Rejection::graphql(
                    "BAD_REQUEST",
                    format!("invalid request body: {e}"),
                    StatusCode::BAD_REQUEST,
                )
            })
        }
        _ => Err(Rejection::Http(
            StatusCode::METHOD_NOT_ALLOWED,
            "use GET or POST",
        )),
    }
}

enum Rejection {
    /// Not a GraphQL request at all: plain HTTP error.
    Http(StatusCode, &'static str),
    /// A GraphQL request that fails before execution.
    Graphql(ServerError, StatusCode),
}

impl Rejection {
    fn graphql(code: &str, message: String, status: StatusCode) -> Self {
        let mut error = ServerError::new(message, None);
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
        Self::Graphql(error, status)
    }

    fn respond(self, media: MediaType, service: &str) -> Response {
        match self {
            Self::Http(status, message) => (status, message).into_response(),
            Self::Graphql(error, status) => {
                count_error(service, &error);
                let status = match media {
                    MediaType::GraphqlResponseJson => status,
                    MediaType::Json => StatusCode::OK,
                };
                let body = serde_json::json!({ "errors": [error] });
                (
                    status,
                    [(header::CONTENT_TYPE, media.content_type())],
                    body.to_string(),
                )
                    .into_response()
            }
        }
    }
}

fn operation_type(document: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

fn code_of(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code),
        _ => None,
    }
}

/// Gives every error a code, and hides messages that were not written for clients: an error a
/// resolver raised without a code (not through `KitError`) may carry internals.
fn classify(error: &mut ServerError, request_error: bool) {
    if code_of(error).is_some() {
        return;
    }
    let code = if request_error {
        "GRAPHQL_VALIDATION_FAILED"
    } else if error.message.starts_with("Failed to parse")
        || error.message.starts_with("Invalid value")
    {
        // async-graphql's own input coercion errors: about the client's input, safe to show.
        "BAD_USER_INPUT"
    } else {
        tracing::error!(message = %error.message, path = ?error.path, "resolver error without a code");
        error.message = "internal server error".to_owned();
        "INTERNAL_SERVER_ERROR"
    };
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}

fn count_error(service: &str, error: &ServerError) {
    let code = code_of(error).unwrap_or("UNKNOWN").to_owned();
    metrics::counter!(telemetry::GRAPHQL_ERRORS, "service" => service.to_owned(), "code" => code)
        .increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_the_response_media_type() {
        let neg = |v: &'static str| MediaType::negotiate(Some(&HeaderValue::from_static(v)));
        assert_eq!(MediaType::negotiate(None), Some(MediaType::Json));
        assert_eq!(neg("application/json"), Some(MediaType::Json));
        assert_eq!(
            neg("application/graphql-response+json, application/json;q=0.9"),
            Some(MediaType::GraphqlResponseJson)
        );
        assert_eq!(neg("*/*"), Some(MediaType::GraphqlResponseJson));
        assert_eq!(neg("text/html"), None);
    }
}
