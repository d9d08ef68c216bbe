//! The HTTP telemetry layer: request id, trace context, a span per request, request metrics.
//!
//! Apply with `Router::layer` (so axum's `MatchedPath` is known and metrics use the route
//! template, not the raw path). Knows nothing of GraphQL or databases: the gateway uses it too.
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::MatchedPath;
use http::{HeaderValue, Request, Response};
use tower::{Layer, Service};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use super::metrics::{HTTP_DURATION, HTTP_ERRORS, HTTP_REQUESTS};
use super::trace_context::{TRACEPARENT, TraceContext};

pub const REQUEST_ID: &str = "x-request-id";

/// The id of the request being served: the caller's `x-request-id` when sensible, else a new
/// UUIDv7. Found in request extensions (and in the GraphQL context on subgraphs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub Arc<str>);

impl RequestId {
    fn from_header(value: Option<&HeaderValue>) -> Self {
        let accepted = value
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .filter(|v| v.bytes().all(|b| b.is_ascii_graphic()));
        match accepted {
            Some(id) => Self(id.into()),
            None => Self(uuid::Uuid::now_v7().to_string().into()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Wraps a service with request telemetry; `service` names it in spans and metric labels.
#[derive(Debug, Clone)]
pub struct HttpTelemetryLayer {
    service: Arc<str>,
}

impl HttpTelemetryLayer {
    /// Also installs the process's metrics recorder, so nothing recorded is lost.
    pub fn new(service: impl Into<Arc<str>>) -> Self {
        super::metrics::prometheus();
        Self {
            service: service.into(),
        }
    }
}

impl<S> Layer<S> for HttpTelemetryLayer {
    type Service = HttpTelemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpTelemetry {
            inner,
            service: self.service.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpTelemetry<S> {
    inner: S,
    service: Arc<str>,
}

impl<S, B, RB> Service<Request<B>> for HttpTelemetry<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone is fresh; the ready one is taken (tower's "clone then swap" rule).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);

        let started = Instant::now();
        let service = self.service.clone();
        let method = request.method().as_str().to_owned();
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
        let request_id = RequestId::from_header(request.headers().get(REQUEST_ID));
        let incoming = request
            .headers()
            .get(TRACEPARENT)
            .and_then(|v| v.to_str().ok())
            .and_then(TraceContext::from_traceparent);

        let span = tracing::info_span!(
            "request",
            service = %service,
            method = %method,
            route = %route,
            request_id = %request_id.as_str(),
            trace_id = tracing::field::Empty,
        );
        if let Some(parent) = incoming {
            // Only fails when no OpenTelemetry layer is installed, which is fine.
            let _ = span.set_parent(parent.otel_parent());
        }
        // Exported spans decide the ids; otherwise continue the caller's trace or start one.
        let trace = TraceContext::from_otel_span(&span)
            .or_else(|| incoming.map(|p| p.child()))
            .unwrap_or_else(TraceContext::new_root);
        span.record("trace_id", trace.trace_id_hex());

        request.extensions_mut().insert(request_id.clone());
        request.extensions_mut().insert(trace);

        let quiet = matches!(route.as_str(), "/health" | "/ready" | "/metrics");
        Box::pin(
            async move {
                let result = trace.scope(inner.call(request)).await;
                let elapsed = started.elapsed();
                if let Ok(response) = &result {
                    let status = response.status();
                    let labels = [
                        ("service", service.to_string()),
                        ("method", method),
                        ("route", route),
                    ];
                    metrics::histogram!(HTTP_DURATION, &labels).record(elapsed.as_secs_f64());
                    let mut with_status = labels.to_vec();
                    with_status.push(("status", status.as_u16().to_string()));
                    metrics::counter!(HTTP_REQUESTS, &with_status).increment(1);
                    if status.is_server_error() {
                        metrics::counter!(HTTP_ERRORS, &labels).increment(1);
                        tracing::warn!(status = status.as_u16(), ?elapsed, "request failed");
                    } else if quiet {
                        tracing::debug!(status = status.as_u16(), ?elapsed, "request finished");
                    } else {
                        tracing::info!(status = status.as_u16(), ?elapsed, "request finished");
                    }
                }
                result.map(|mut response| {
                    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
                        response.headers_mut().insert(REQUEST_ID, value);
                    }
                    response
                })
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;

    /// Collects everything the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn every_log_line_in_a_request_carries_its_ids() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(false)
            .with_span_list(true)
            .with_writer(move || writer.clone())
            .finish();
        // Current-thread runtime: the thread-local default covers the whole request.
        let _guard = tracing::subscriber::set_default(subscriber);

        let app = Router::new()
            .route(
                "/work",
                get(|| async {
                    tracing::info!("inside the handler");
                    "done"
                }),
            )
            .layer(HttpTelemetryLayer::new("test"));
        let request = Request::get("/work")
            .header(REQUEST_ID, "req-42")
            .header(
                TRACEPARENT,
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )
            .body(Body::empty())
            .expect("request");
        let response = app.oneshot(request).await.expect("response");
        assert_eq!(response.headers()[REQUEST_ID], "req-42");

        let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        let inside = lines
            .iter()
            .find(|l| l["fields"]["message"] == "inside the handler")
            .unwrap_or_else(|| panic!("no handler line in {text}"));
        let span = &inside["spans"][0];
        assert_eq!(span["request_id"], "req-42", "{inside}");
        assert_eq!(
            span["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736",
            "{inside}"
        );
        assert_eq!(span["route"], "/work", "{inside}");
        assert!(
            lines
                .iter()
                .any(|l| l["fields"]["message"] == "request finished"),
            "{text}"
        );
    }
}
