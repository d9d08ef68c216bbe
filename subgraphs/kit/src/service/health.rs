//! `/health` (the process is up), `/ready` (and its database answers), `/metrics`.
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use serde_json::json;

use super::ServiceState;
use crate::telemetry;

/// Longer than a healthy round trip, shorter than a load balancer's probe timeout.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

pub(super) async fn ready(State(state): State<ServiceState>) -> Response {
    let result = tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await;
    let failure = match result {
        Ok(Ok(())) => return Json(json!({ "status": "ready" })).into_response(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {READY_TIMEOUT:?}"),
    };
    tracing::warn!(service = %state.name, reason = %failure, "not ready: database unavailable");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unready", "reason": "database unavailable" })),
    )
        .into_response()
}

pub(super) async fn metrics(State(state): State<ServiceState>) -> Response {
    let stats = state.db.pool_stats();
    let labels = [("service", state.name.to_string())];
    metrics::gauge!(telemetry::DB_POOL_CONNECTIONS, &labels).set(stats.connections);
    metrics::gauge!(telemetry::DB_POOL_IDLE, &labels).set(stats.idle);
    metrics::gauge!(telemetry::DB_POOL_MAX, &labels).set(stats.max);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        telemetry::render_metrics(),
    )
        .into_response()
}
