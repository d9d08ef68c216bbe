//! Logs, traces and metrics, the same way in every binary.
//!
//! [`init`] installs the global subscriber: pretty or JSON logs, plus OpenTelemetry OTLP trace
//! export when an endpoint is configured. [`HttpTelemetryLayer`] gives each request an id, a
//! trace (continuing an incoming W3C `traceparent`), a span that every log line inside carries,
//! and Prometheus metrics; [`render_metrics`] serves them. Nothing here knows about GraphQL or
//! databases, so the gateway can use it as well as the subgraphs.
mod http;
mod metrics;
mod trace_context;

use opentelemetry::trace::TracerProvider as _;
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

pub use self::http::{HttpTelemetry, HttpTelemetryLayer, REQUEST_ID, RequestId};
pub use self::metrics::{
    DB_POOL_CONNECTIONS, DB_POOL_IDLE, DB_POOL_MAX, GRAPHQL_ERRORS, HTTP_DURATION, HTTP_ERRORS,
    HTTP_REQUESTS, prometheus, render as render_metrics,
};
pub use self::trace_context::{TRACEPARENT, TraceContext, inject_trace_context};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, coloured when the output is a terminal (development).
    Pretty,
    /// One JSON object per line (production).
    Json,
}

/// What [`init`] needs; `kit::config` builds it from the `log` and `telemetry` sections.
#[derive(Debug, Clone)]
pub struct TelemetrySettings {
    /// `tracing` filter directives, e.g. `info` or `info,kit=debug`.
    pub log_level: String,
    pub log_format: LogFormat,
    /// OTLP/HTTP traces endpoint (e.g. `http://127.0.0.1:4318/v1/traces`); none disables export.
    pub otlp_endpoint: Option<String>,
    /// `service.name` on exported spans.
    pub service_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("invalid log level `{level}`: {reason}")]
    InvalidLevel { level: String, reason: String },
    #[error("cannot set up the OTLP exporter for {endpoint}: {reason}")]
    Exporter { endpoint: String, reason: String },
    #[error("telemetry is already initialized in this process")]
    AlreadyInitialized,
}

/// Flushes exported spans when dropped: keep it alive until the process ends.
#[must_use = "dropping the guard stops trace export"]
pub struct TelemetryGuard {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("flushing traces failed: {e}");
        }
    }
}

/// Parses a log level / filter directive string.
pub fn parse_filter(level: &str) -> Result<EnvFilter, TelemetryError> {
    EnvFilter::try_new(level).map_err(|e| TelemetryError::InvalidLevel {
        level: level.to_owned(),
        reason: e.to_string(),
    })
}

/// Installs the global subscriber and metrics recorder. Call once, from a tokio runtime when
/// an OTLP endpoint is set (the exporter runs on it).
pub fn init(settings: &TelemetrySettings) -> Result<TelemetryGuard, TelemetryError> {
    let filter = parse_filter(&settings.log_level)?;
    let (otel, provider) = match &settings.otlp_endpoint {
        Some(endpoint) => {
            let provider = otlp_provider(endpoint, &settings.service_name)?;
            let tracer = provider.tracer("platform");
            (
                Some(tracing_opentelemetry::layer().with_tracer(tracer)),
                Some(provider),
            )
        }
        None => (None, None),
    };
    let (pretty, json) = match settings.log_format {
        LogFormat::Pretty => (
            Some(tracing_subscriber::fmt::layer().with_target(true)),
            None,
        ),
        LogFormat::Json => (
            None,
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(false)
                    .with_span_list(true),
            ),
        ),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(pretty)
        .with(json)
        .with(otel)
        .try_init()
        .map_err(|_| TelemetryError::AlreadyInitialized)?;
    if let Some(provider) = &provider {
        opentelemetry::global::set_tracer_provider(provider.clone());
    }
    prometheus();
    Ok(TelemetryGuard { provider })
}

fn otlp_provider(
    endpoint: &str,
    service_name: &str,
) -> Result<opentelemetry_sdk::trace::SdkTracerProvider, TelemetryError> {
    use opentelemetry_otlp::WithExportConfig as _;
    use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| TelemetryError::Exporter {
            endpoint: endpoint.to_owned(),
            reason: e.to_string(),
        })?;
    // The async reqwest client needs a tokio runtime: export from a tokio task, not the SDK's
    // own blocking thread.
    let processor =
        BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build();
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service_name.to_owned())
        .build();
    Ok(opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource)
        .build())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ::http::HeaderMap;
    use axum::Router;
    use axum::body::Bytes;
    use axum::routing::post;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;

    use super::*;

    #[test]
    fn bad_log_levels_are_refused() {
        assert!(parse_filter("info,kit=debug").is_ok());
        assert!(matches!(
            parse_filter("info,kit=loud"),
            Err(TelemetryError::InvalidLevel { .. })
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spans_export_over_otlp_and_continue_the_callers_trace() {
        // A stand-in collector that hands over what it receives.
        let (sent, mut received) = tokio::sync::mpsc::unbounded_channel::<(String, Bytes)>();
        let collector = Router::new().route(
            "/v1/traces",
            post(move |headers: HeaderMap, body: Bytes| {
                let content_type = headers
                    .get(::http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let _ = sent.send((content_type, body));
                async { "" }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let endpoint = format!("http://{}/v1/traces", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, collector).await });

        let provider = otlp_provider(&endpoint, "kit-otlp-test").expect("exporter");
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let caller = TraceContext::from_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .expect("valid");
        let exported = tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("exported_request");
            span.set_parent(caller.otel_parent())
                .expect("otel layer installed");
            let exported = TraceContext::from_otel_span(&span).expect("span is exported");
            drop(span);
            exported
        });
        assert_eq!(
            exported.trace_id, caller.trace_id,
            "joins the caller's trace"
        );
        assert_ne!(exported.span_id, caller.span_id, "as a new span");

        let flushed = tokio::task::spawn_blocking(move || provider.shutdown())
            .await
            .expect("join");
        flushed.expect("flush to the collector");
        let (content_type, body) = tokio::time::timeout(Duration::from_secs(5), received.recv())
            .await
            .expect("the collector hears from us")
            .expect("a request");
        assert_eq!(content_type, "application/x-protobuf");
        let contains = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
        assert!(contains(b"exported_request"), "span name in the export");
        assert!(contains(b"kit-otlp-test"), "service.name in the export");
        assert!(contains(&caller.trace_id), "trace id in the export");
    }
}
