//! The HTTP edge: GraphQL over HTTP on `/graphql` (POST JSON, GET for queries), plus
//! `/health` and `/ready`. Decodes requests, hands them to the pipeline, encodes responses.
//!
//! Edge stages in order: CORS (layer) → body limit → CSRF → decoding (single or batched) →
//! authentication → rate limiting → inbound deduplication (single requests, when on) →
//! pipeline.
pub mod cors;
pub mod csrf;
pub mod inbound_dedup;
pub mod negotiate;
pub mod playground;

use std::collections::HashMap;
use std::sync::Arc;

use apollo_compiler::response::JsonMap;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use http::header::{ALLOW, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode};
use tracing::Instrument;

use crate::auth::Claims;
use crate::error::{BAD_REQUEST, CSRF_PREVENTED, GraphqlError, RATE_LIMITED, UNAUTHENTICATED};
use crate::pipeline::{Gateway, GraphqlRequest, GraphqlResponse, Handled, Outcome, RequestMeta};
use crate::rate_limit::{RateSubject, Refusal};
use inbound_dedup::InboundDedup;
use negotiate::{ResponseFormat, negotiate};

/// Renders the process's metrics in the Prometheus text format.
pub type MetricsRenderer = Arc<dyn Fn() -> String + Send + Sync>;

/// The gateway's axum router.
pub fn router(gateway: Arc<Gateway>) -> Router {
    let body_limit = gateway.config().limits.max_body_bytes;
    // An invalid CORS config already fails the edge (see `Edge::new`): no layer here.
    let cors = cors::layer(&gateway.config().cors).ok().flatten();
    let playground = gateway.config().playground;
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .layer(DefaultBodyLimit::max(body_limit));
    if let Some(render) = gateway.metrics().cloned() {
        router = router.route(
            "/metrics",
            get(move || {
                let render = render.clone();
                async move { ([(CONTENT_TYPE, "text/plain; version=0.0.4")], render()) }
            }),
        );
    }
    if playground {
        router = router
            .route("/", get(playground::page))
            .route("/playground", get(playground::page));
    }
    // One in-flight map per served router, reaching the handlers as a request extension.
    if gateway.config().inbound_dedup.enabled {
        let inbound = Arc::new(InboundDedup::new(gateway.config()));
        router = router.layer(Extension(inbound));
    }
    let router = router.with_state(gateway);
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn ready(State(gateway): State<Arc<Gateway>>) -> impl IntoResponse {
    let state = gateway.supergraph();
    axum::Json(serde_json::json!({
        "status": "ready",
        "subgraphs": state.endpoints.len(),
        // Which supergraph is served: changes after a hot reload (see `crate::reload`).
        "supergraph": {"sha256": state.sha256},
    }))
}

async fn graphql_post(
    State(gateway): State<Arc<Gateway>>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(format) = negotiate(&headers) else {
        return not_acceptable();
    };
    if csrf::is_blocked(&gateway.config().csrf, &Method::POST, &headers) {
        return csrf_blocked(format);
    }
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
    let peer = peer(&extensions);
    // A JSON array body is a batch: one response per operation, in order.
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        let requests: Vec<GraphqlRequest> = match serde_json::from_slice(&body) {
            Ok(requests) => requests,
            Err(error) => {
                return bad_request(
                    format,
                    StatusCode::BAD_REQUEST,
                    &format!("The body is not a batch of GraphQL requests: {error}"),
                );
            }
        };
        let max = gateway.config().limits.max_batch;
        if requests.len() > max {
            let mut response = bad_request(
                format,
                StatusCode::BAD_REQUEST,
                &format!(
                    "The batch has {} operations; at most {max} are accepted",
                    requests.len()
                ),
            );
            *response.body_mut() = axum::body::Body::from(
                serde_json::json!({"errors": [crate::limits::exceeded("max_batch", requests.len() as f64, max as f64)]})
                    .to_string(),
            );
            return response;
        }
        return run_batch(&gateway, requests, &headers, peer, format).await;
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
    let inbound = extensions.get::<Arc<InboundDedup>>().map(Arc::as_ref);
    run(&gateway, inbound, request, &headers, false, peer, format).await
}

async fn graphql_get(
    State(gateway): State<Arc<Gateway>>,
    parts: Extensions,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(format) = negotiate(&headers) else {
        return not_acceptable();
    };
    if csrf::is_blocked(&gateway.config().csrf, &Method::GET, &headers) {
        return csrf_blocked(format);
    }
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
    let inbound = parts.get::<Arc<InboundDedup>>().map(Arc::as_ref);
    run(
        &gateway,
        inbound,
        request,
        &headers,
        true,
        peer(&parts),
        format,
    )
    .await
}

fn peer(extensions: &Extensions) -> Option<std::net::IpAddr> {
    extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
}

/// Authentication: `Ok(None)` anonymous, `Err` the response refusing a bad token.
async fn authenticate(
    gateway: &Gateway,
    headers: &HeaderMap,
    format: ResponseFormat,
) -> Result<Option<Claims>, Response> {
    let Ok(edge) = gateway.edge() else {
        return Ok(None);
    };
    match edge.authenticator.authenticate(headers).await {
        Ok(claims) => Ok(claims),
        Err(error) => {
            tracing::info!(%error, "token refused");
            record(UNAUTHENTICATED);
            let handled = Handled {
                outcome: Outcome::RequestError,
                response: GraphqlResponse {
                    errors: vec![GraphqlError::with_code(
                        "The request's token is invalid",
                        UNAUTHENTICATED,
                    )],
                    ..GraphqlResponse::default()
                },
            };
            let mut response = respond(format, handled);
            if edge.authenticator.invalid_token_is_http_401() {
                *response.status_mut() = StatusCode::UNAUTHORIZED;
                response
                    .headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Err(response)
        }
    }
}

/// Rate limiting: `Err` is the refusal as a response.
async fn rate_limit(
    gateway: &Gateway,
    request: &GraphqlRequest,
    headers: &HeaderMap,
    claims: Option<&Claims>,
    peer: Option<std::net::IpAddr>,
    format: ResponseFormat,
) -> Result<(), Response> {
    let Ok(edge) = gateway.edge() else {
        return Ok(());
    };
    if edge.rate_limits.is_empty() {
        return Ok(());
    }
    let subject = RateSubject {
        ip: edge.rate_limits.client_ip(peer, headers),
        user: claims.and_then(|c| c.get("sub")).and_then(|s| s.as_str()),
        operation: request.operation_name.as_deref().filter(|n| !n.is_empty()),
    };
    let refusal = match edge.rate_limits.check(&subject).await {
        Ok(()) => return Ok(()),
        Err(refusal) => refusal,
    };
    record(RATE_LIMITED);
    let (status, message, retry_after) = match refusal {
        Refusal::Limited { scope, retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!("Rate limit exceeded ({scope})"),
            Some(retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)),
        ),
        Refusal::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Rate limiting is unavailable".to_string(),
            None,
        ),
    };
    let handled = Handled {
        outcome: Outcome::RequestError,
        response: GraphqlResponse {
            errors: vec![GraphqlError::with_code(message, RATE_LIMITED)],
            ..GraphqlResponse::default()
        },
    };
    let mut response = respond(format, handled);
    *response.status_mut() = status;
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    }
    Err(response)
}

fn meta(headers: &HeaderMap, claims: Option<Claims>, is_get: bool) -> RequestMeta {
    RequestMeta {
        authorization: headers.get(AUTHORIZATION).cloned(),
        is_get,
        claims,
        headers: headers.clone(),
    }
}

async fn run(
    gateway: &Arc<Gateway>,
    inbound: Option<&InboundDedup>,
    request: GraphqlRequest,
    headers: &HeaderMap,
    is_get: bool,
    peer: Option<std::net::IpAddr>,
    format: ResponseFormat,
) -> Response {
    let started = std::time::Instant::now();
    let claims = match authenticate(gateway, headers, format).await {
        Ok(claims) => claims,
        Err(response) => return response,
    };
    if let Err(response) =
        rate_limit(gateway, &request, headers, claims.as_ref(), peer, format).await
    {
        return response;
    }
    let span = tracing::info_span!(
        "graphql_request",
        operation_name = request.operation_name.as_deref().unwrap_or(""),
        method = if is_get { "GET" } else { "POST" },
    );
    if let Some(inbound) = inbound
        && let Some(key) = inbound.key(&gateway.supergraph(), is_get, &request, headers)
    {
        let gateway = gateway.clone();
        let meta = meta(headers, claims, is_get);
        let (shared, _) = inbound
            .run(key, move || {
                async move {
                    let handled = gateway.execute(request, meta).await;
                    inbound_dedup::SharedResponse::from_handled(&handled)
                }
                .instrument(span)
            })
            .await;
        count(
            shared.error_codes.iter().map(String::as_str),
            shared.error_codes.is_empty(),
            started,
        );
        return match &shared.body {
            Some(body) => respond_bytes(format, shared.outcome, body.clone()),
            None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
    }
    let handled = gateway
        .execute(request, meta(headers, claims, is_get))
        .instrument(span)
        .await;
    observe(&handled, started);
    respond(format, handled)
}

/// A batch: authenticated once, each operation rate limited and run on its own; a refused
/// operation gets its error in its slot.
async fn run_batch(
    gateway: &Gateway,
    requests: Vec<GraphqlRequest>,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
    format: ResponseFormat,
) -> Response {
    let started = std::time::Instant::now();
    let claims = match authenticate(gateway, headers, format).await {
        Ok(claims) => claims,
        Err(response) => return response,
    };
    let mut bodies = Vec::with_capacity(requests.len());
    for request in requests {
        if let Err(refused) =
            rate_limit(gateway, &request, headers, claims.as_ref(), peer, format).await
        {
            let bytes = axum::body::to_bytes(refused.into_body(), usize::MAX)
                .await
                .unwrap_or_default();
            bodies.push(serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null));
            continue;
        }
        let handled = gateway
            .execute(request, meta(headers, claims.clone(), false))
            .await;
        observe(&handled, started);
        bodies.push(serde_json::to_value(&handled.response).unwrap_or(serde_json::Value::Null));
    }
    (
        StatusCode::OK,
        [(CONTENT_TYPE, format.content_type())],
        serde_json::Value::Array(bodies).to_string(),
    )
        .into_response()
}

fn record(code: &str) {
    metrics::counter!("gateway_errors_total", "code" => code.to_string()).increment(1);
    metrics::counter!("gateway_requests_total", "outcome" => "error").increment(1);
}

fn observe(handled: &Handled, started: std::time::Instant) {
    count(
        handled
            .response
            .errors
            .iter()
            .map(|e| e.code().unwrap_or("UNKNOWN")),
        handled.response.errors.is_empty(),
        started,
    );
}

fn count<'a>(codes: impl Iterator<Item = &'a str>, ok: bool, started: std::time::Instant) {
    let outcome = if ok { "ok" } else { "error" };
    metrics::counter!("gateway_requests_total", "outcome" => outcome).increment(1);
    for code in codes {
        metrics::counter!("gateway_errors_total", "code" => code.to_string()).increment(1);
    }
    metrics::histogram!("gateway_request_duration_seconds").record(started.elapsed().as_secs_f64());
}

fn csrf_blocked(format: ResponseFormat) -> Response {
    record(CSRF_PREVENTED);
    let handled = Handled {
        outcome: Outcome::BadRequest,
        response: GraphqlResponse {
            errors: vec![GraphqlError::with_code(
                "This request looks like a cross-site request: send it with `Content-Type: \
                 application/json` or an `apollo-require-preflight` header",
                CSRF_PREVENTED,
            )],
            ..GraphqlResponse::default()
        },
    };
    let mut response = respond(format, handled);
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
}

fn respond(format: ResponseFormat, handled: Handled) -> Response {
    let body = match handled.response.to_json() {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "could not serialize a response");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    respond_bytes(format, handled.outcome, Bytes::from(body))
}

/// The HTTP response for a serialized GraphQL response: status and content type per the
/// client's media type.
fn respond_bytes(format: ResponseFormat, outcome: Outcome, body: Bytes) -> Response {
    let status = format.status(outcome);
    let mut response = (status, [(CONTENT_TYPE, format.content_type())], body).into_response();
    if outcome == Outcome::MethodNotAllowed {
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
