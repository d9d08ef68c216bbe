//! The event envelope: what every domain event looks like on the outbox and on the bus.

use std::net::IpAddr;

use http::HeaderMap;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// One domain event, as written to the outbox and carried by the bus.
///
/// Serialized as JSON with these field names (the wire format other services read):
/// `id`, `type`, `schemaVersion`, `occurredAt` (RFC 3339), `actor {id, ip, userAgent}`,
/// `subject {type, id}`, `data`, `traceId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventEnvelope {
    /// UUIDv7: unique, and sorts by creation time.
    pub id: Uuid,
    /// `{module}.{resource}.{past-tense verb}`, e.g. `platform.user.created`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Version of the `data` shape for this event type; consumers branch on it.
    pub schema_version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    #[serde(default)]
    pub actor: Actor,
    pub subject: Subject,
    /// Event-specific payload.
    #[serde(default)]
    pub data: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// Who caused the event, as seen by the request that caused it. All parts are optional:
/// system jobs have no user, and internal calls have no client address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// What the event is about: a resource type (`user`, `role`, `post`) and its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

impl EventEnvelope {
    /// A new event with a fresh UUIDv7, schema version 1, `occurred_at` now, no actor, and the
    /// trace id of the current OpenTelemetry span when there is one.
    pub fn new(event_type: impl Into<String>, subject: Subject, data: serde_json::Value) -> Self {
        Self {
            id: Uuid::now_v7(),
            event_type: event_type.into(),
            schema_version: 1,
            occurred_at: OffsetDateTime::now_utc(),
            actor: Actor::default(),
            subject,
            data,
            trace_id: current_trace_id(),
        }
    }

    pub fn with_actor(mut self, actor: Actor) -> Self {
        self.actor = actor;
        self
    }

    pub fn with_schema_version(mut self, version: u32) -> Self {
        self.schema_version = version;
        self
    }

    pub fn with_trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.trace_id = Some(trace_id.into());
        self
    }

    pub fn with_occurred_at(mut self, at: OffsetDateTime) -> Self {
        self.occurred_at = at;
        self
    }

    /// `occurred_at` as unix milliseconds, the database convention for timestamps.
    pub fn occurred_at_millis(&self) -> i64 {
        unix_millis(self.occurred_at)
    }
}

impl Subject {
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            id: id.into(),
        }
    }
}

impl Actor {
    /// A user acting without request details (background jobs acting for a user, tests).
    pub fn user(id: impl Into<String>) -> Self {
        Self {
            id: Some(id.into()),
            ..Self::default()
        }
    }

    /// The actor of an HTTP request: the user id from the caller's auth context, the client
    /// address, and the `User-Agent` header.
    ///
    /// The client address is the first `X-Forwarded-For` hop when present (subgraphs sit behind
    /// the gateway, which sets it), otherwise `peer`, the TCP peer address.
    pub fn from_request(
        user_id: Option<String>,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
    ) -> Self {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<IpAddr>().is_ok())
            .map(str::to_owned);
        let user_agent = headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Self {
            id: user_id,
            ip: forwarded.or_else(|| peer.map(|p| p.to_string())),
            user_agent,
        }
    }
}

/// Unix milliseconds of a timestamp (saturating far outside the representable range).
pub fn unix_millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The trace id of the current span, when OpenTelemetry tracing is active.
fn current_trace_id() -> Option<String> {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    let context = tracing::Span::current().context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_round_trips_with_documented_names() {
        let event = EventEnvelope::new(
            "platform.user.created",
            Subject::new("user", "u1"),
            serde_json::json!({"email": "a@example.com"}),
        )
        .with_actor(Actor::user("admin"))
        .with_trace_id("abc");
        let json = serde_json::to_value(&event).expect("serialize");
        assert_eq!(json["type"], "platform.user.created");
        assert_eq!(json["schemaVersion"], 1);
        assert_eq!(json["subject"]["type"], "user");
        assert_eq!(json["actor"]["id"], "admin");
        assert_eq!(json["traceId"], "abc");
        assert!(
            json["occurredAt"]
                .as_str()
                .is_some_and(|s| s.ends_with('Z'))
        );
        let back: EventEnvelope = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, event);
    }

    #[test]
    fn ids_are_v7_and_increase() {
        let a = EventEnvelope::new("x.y.z", Subject::new("y", "1"), serde_json::Value::Null);
        let b = EventEnvelope::new("x.y.z", Subject::new("y", "1"), serde_json::Value::Null);
        assert_eq!(a.id.get_version_num(), 7);
        assert!(a.id < b.id);
    }

    #[test]
    fn actor_prefers_first_forwarded_hop_over_peer() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.7, 10.0.0.1".parse().expect("header"),
        );
        headers.insert(http::header::USER_AGENT, "curl/8".parse().expect("header"));
        let actor = Actor::from_request(Some("u1".into()), &headers, "127.0.0.1".parse().ok());
        assert_eq!(actor.ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(actor.user_agent.as_deref(), Some("curl/8"));

        let actor = Actor::from_request(None, &HeaderMap::new(), "127.0.0.1".parse().ok());
        assert_eq!(actor.ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(actor.id, None);
    }

    #[test]
    fn millis_match_timestamp() {
        let at = time::macros::datetime!(2024-01-02 03:04:05.678 UTC);
        let event = EventEnvelope::new("a.b.c", Subject::new("b", "1"), serde_json::Value::Null)
            .with_occurred_at(at);
        assert_eq!(event.occurred_at_millis(), 1_704_164_645_678);
    }
}
