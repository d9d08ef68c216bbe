//! Prometheus metrics: one recorder per process, rendered by every service's `/metrics`.
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "http_server_requests_total";
pub const HTTP_ERRORS: &str = "http_server_errors_total";
pub const HTTP_DURATION: &str = "http_server_request_duration_seconds";
pub const GRAPHQL_ERRORS: &str = "graphql_errors_total";
pub const DB_POOL_CONNECTIONS: &str = "db_pool_connections";
pub const DB_POOL_IDLE: &str = "db_pool_idle_connections";
pub const DB_POOL_MAX: &str = "db_pool_max_connections";

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus handle, installing the global recorder on first use. If another
/// recorder is already installed, metrics go there and this handle renders nothing.
pub fn prometheus() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_ok() {
            describe();
        } else {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        handle
    })
}

/// The Prometheus text exposition of every metric recorded so far.
pub fn render() -> String {
    prometheus().render()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(HTTP_REQUESTS, "HTTP requests served, by route and status.");
    describe_counter!(HTTP_ERRORS, "HTTP requests answered with a 5xx status.");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "HTTP request latency.");
    describe_counter!(
        GRAPHQL_ERRORS,
        "GraphQL errors returned, by extensions.code."
    );
    describe_gauge!(DB_POOL_CONNECTIONS, "Open database connections.");
    describe_gauge!(DB_POOL_IDLE, "Idle database connections.");
    describe_gauge!(DB_POOL_MAX, "Maximum database connections.");
}
