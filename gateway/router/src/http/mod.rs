//! The HTTP edge: GraphQL over HTTP on `/graphql` (POST JSON, GET for queries), plus
//! `/health` and `/ready`. Decodes requests, hands them to the pipeline, encodes responses.
pub mod negotiate;

use std::collections::HashMap;
use std::sync::Arc;

use apollo_compiler::response::JsonMap;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::header::{ALLOW, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, StatusCode};
use tracing::Instrument;

use crate::error::{BAD_REQUEST, GraphqlError};
use crate::pipeline::{Gateway, GraphqlRequest, GraphqlResponse, Handled, Outcome, RequestMeta};
use negotiate::{ResponseFormat, negotiate};

/// The gateway's axum router.
pub fn router(gateway: Arc<Gateway>) -> Router {
    let body_limit = gateway.config().limits.max_body_bytes;
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(gateway)
}

async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn ready(State(gateway): State<Arc<Gateway>>) -> impl IntoResponse {
    let subgraphs = gateway.supergraph().endpoints.len();
    axum::Json(serde_json::json!({"status": "ready", "subgraphs": subgraphs}))
}

async fn graphql_post(
    State(gateway): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(format) = negotiate(&headers) else {
        return not_acceptable();
    };
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return bad_request(
            format,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST bodies must be `application/json`",
        );
    }
    let request: GraphqlRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return bad_request(
                format,
                StatusCode::BAD_REQUEST,
                &format!("The body is not a GraphQL request: {error}"),
            );
        }
    };
    run(&gateway, request, &headers, false, format).await
}

async fn graphql_get(
    State(gateway): State<Arc<Gateway>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(format) = negotiate(&headers) else {
        return not_acceptable();
    };
    let decode_map = |name: &str| -> Result<Option<JsonMap>, String> {
        match params.get(name).map(String::as_str) {
            None | Some("") => Ok(None),
            Some(text) => serde_json::from_str::<Option<JsonMap>>(text)
                .map_err(|e| format!("`{name}` is not a JSON object: {e}")),
        }
    };
    let (variables, extensions) = match (decode_map("variables"), decode_map("extensions")) {
        (Ok(v), Ok(e)) => (v, e),
        (Err(message), _) | (_, Err(message)) => {
            return bad_request(format, StatusCode::BAD_REQUEST, &message);
        }
    };
    let request = GraphqlRequest {
        query: params.get("query").cloned(),
        operation_name: params.get("operationName").cloned(),
        variables,
        extensions,
    };
    run(&gateway, request, &headers, true, format).await
}

async fn run(
    gateway: &Gateway,
    request: GraphqlRequest,
    headers: &HeaderMap,
    is_get: bool,
    format: ResponseFormat,
) -> Response {
    let meta = RequestMeta {
        authorization: headers.get(AUTHORIZATION).cloned(),
        is_get,
    };
    let span = tracing::info_span!(
        "graphql_request",
        operation_name = request.operation_name.as_deref().unwrap_or(""),
        method = if is_get { "GET" } else { "POST" },
    );
    let handled = gateway.execute(request, meta).instrument(span).await;
    respond(format, handled)
}

fn respond(format: ResponseFormat, handled: Handled) -> Response {
    let status = format.status(handled.outcome);
    let body = match serde_json::to_vec(&handled.response) {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "could not serialize a response");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut response = (status, [(CONTENT_TYPE, format.content_type())], body).into_response();
    if handled.outcome == Outcome::MethodNotAllowed {
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

fn bad_request(format: ResponseFormat, status: StatusCode, message: &str) -> Response {
    let response = GraphqlResponse {
        errors: vec![GraphqlError::with_code(message, BAD_REQUEST)],
        ..GraphqlResponse::default()
    };
    let mut out = respond(
        format,
        Handled {
            outcome: Outcome::BadRequest,
            response,
        },
    );
    *out.status_mut() = status;
    out
}

fn not_acceptable() -> Response {
    (
        StatusCode::NOT_ACCEPTABLE,
        [(CONTENT_TYPE, "application/json")],
        r#"{"errors":[{"message":"Accept must allow application/graphql-response+json or application/json","extensions":{"code":"BAD_REQUEST"}}]}"#,
    )
        .into_response()
}
