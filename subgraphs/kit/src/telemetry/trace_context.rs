//! W3C trace context: the `traceparent` header in and out, and the trace a request belongs to.
use http::HeaderMap;
use opentelemetry::trace::TraceContextExt as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

pub const TRACEPARENT: &str = "traceparent";

/// The trace and span a piece of work runs in (W3C `traceparent` fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub sampled: bool,
}

tokio::task_local! {
    /// The server span of the request being handled, set by the HTTP telemetry layer.
    static CURRENT: TraceContext;
}

impl TraceContext {
    /// Parses `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`; `None` when malformed or
    /// all-zero ids, in which case the request starts a new trace.
    pub fn from_traceparent(value: &str) -> Option<Self> {
        let mut parts = value.trim().split('-');
        let version = parts.next()?;
        let trace = parts.next()?;
        let span = parts.next()?;
        let flags = parts.next()?;
        // Version 00 has exactly four fields; later versions may append more.
        if version.len() != 2 || version == "ff" || (version == "00" && parts.next().is_some()) {
            return None;
        }
        let trace_id: [u8; 16] = decode_hex(trace)?;
        let span_id: [u8; 8] = decode_hex(span)?;
        let [flags]: [u8; 1] = decode_hex(flags)?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(Self {
            trace_id,
            span_id,
            sampled: flags & 1 == 1,
        })
    }

    /// A new trace with a random id.
    pub fn new_root() -> Self {
        let trace_id = *uuid::Uuid::new_v4().as_bytes();
        Self {
            trace_id,
            span_id: random_span_id(),
            sampled: true,
        }
    }

    /// A new span in the same trace.
    pub fn child(&self) -> Self {
        Self {
            span_id: random_span_id(),
            ..*self
        }
    }

    pub fn traceparent(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            self.trace_id_hex(),
            hex(&self.span_id),
            u8::from(self.sampled)
        )
    }

    pub fn trace_id_hex(&self) -> String {
        hex(&self.trace_id)
    }

    /// The trace context of the current OpenTelemetry span, when one is being exported.
    pub fn from_otel_span(span: &tracing::Span) -> Option<Self> {
        let cx = span.context();
        let span_ref = cx.span();
        let sc = span_ref.span_context();
        sc.is_valid().then(|| Self {
            trace_id: sc.trace_id().to_bytes(),
            span_id: sc.span_id().to_bytes(),
            sampled: sc.is_sampled(),
        })
    }

    /// The context to continue from in code that runs inside a request: the current
    /// OpenTelemetry span if exporting, else the request's server span.
    pub fn current() -> Option<Self> {
        Self::from_otel_span(&tracing::Span::current()).or_else(|| CURRENT.try_with(|c| *c).ok())
    }

    /// Runs `future` with `self` as the request's trace context.
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        CURRENT.scope(self, future).await
    }

    pub(crate) fn otel_parent(&self) -> opentelemetry::Context {
        use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
        let flags = if self.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        opentelemetry::Context::new().with_remote_span_context(SpanContext::new(
            TraceId::from_bytes(self.trace_id),
            SpanId::from_bytes(self.span_id),
            flags,
            true,
            TraceState::default(),
        ))
    }
}

/// Adds `traceparent` for the current request's trace to an outgoing request's headers, so
/// the callee's spans join this trace. Does nothing outside a traced request.
pub fn inject_trace_context(headers: &mut HeaderMap) {
    if let Some(cx) = TraceContext::current()
        && let Ok(value) = http::HeaderValue::from_str(&cx.traceparent())
    {
        headers.insert(TRACEPARENT, value);
    }
}

fn random_span_id() -> [u8; 8] {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut id = [0; 8];
    id.copy_from_slice(&bytes[8..]);
    if id == [0; 8] {
        id[7] = 1;
    }
    id
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != N * 2 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn parses_and_prints_traceparent() {
        let cx = TraceContext::from_traceparent(SAMPLE).expect("valid");
        assert_eq!(cx.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(cx.sampled);
        assert_eq!(cx.traceparent(), SAMPLE);
    }

    #[test]
    fn rejects_malformed_traceparent() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert_eq!(TraceContext::from_traceparent(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn child_keeps_the_trace_and_changes_the_span() {
        let parent = TraceContext::from_traceparent(SAMPLE).expect("valid");
        let child = parent.child();
        assert_eq!(child.trace_id, parent.trace_id);
        assert_ne!(child.span_id, parent.span_id);
    }

    #[tokio::test]
    async fn inject_uses_the_request_scope() {
        let mut headers = HeaderMap::new();
        inject_trace_context(&mut headers);
        assert!(headers.is_empty(), "nothing outside a request");

        let cx = TraceContext::new_root();
        cx.scope(async { inject_trace_context(&mut headers) }).await;
        let sent = headers[TRACEPARENT].to_str().expect("ascii");
        assert_eq!(TraceContext::from_traceparent(sent), Some(cx));
    }
}
