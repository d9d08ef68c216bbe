//! An audit entry, its canonical form, and its hash.
//!
//! # Canonical form (version 1)
//!
//! The bytes hashed for an entry are, in this order, one field per line (`\n` after each):
//!
//! ```text
//! audit-entry/v1
//! seq=<decimal>
//! id=<text>
//! event_id=<text>
//! user_id=<text or null>
//! action=<text>
//! resource=<text>
//! resource_id=<text or null>
//! ip_address=<text or null>
//! user_agent=<text or null>
//! metadata=<text>
//! timestamp=<decimal>
//! recorded_at=<decimal>
//! ```
//!
//! where `<text>` is the UTF-8 byte length in decimal, a colon, then the bytes exactly as stored
//! (so `action=21:platform.user.created`), `<text or null>` is that or `~` for NULL, and
//! `<decimal>` is a base-10 integer with an optional leading `-` (timestamps are unix ms).
//! The length prefix makes every field boundary unambiguous whatever the text contains.
//! `metadata` is hashed as the stored JSON text, not re-serialized.
//!
//! `hash = lowercase_hex(SHA-256(prev_hash ‖ "\n" ‖ canonical_form))`, with `prev_hash` the
//! 64 hex characters of the previous entry's hash, or [`GENESIS_HASH`] for the first entry.

use diesel::prelude::{Insertable, Queryable, Selectable};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::schema::audit_entries;

/// `prev_hash` of the first entry of a chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One stored audit entry.
#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize, Deserialize,
)]
#[diesel(table_name = audit_entries)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub seq: i64,
    pub id: String,
    pub event_id: String,
    pub user_id: Option<String>,
    pub action: String,
    pub resource: String,
    pub resource_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// JSON text: `{"data": <event data>, "schemaVersion": n, "traceId": "..."}`.
    pub metadata: String,
    /// When the audited action happened (the event's `occurred_at`), unix ms.
    pub timestamp: i64,
    /// When audit appended the entry, unix ms; never decreases along the chain.
    pub recorded_at: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// What an entry says, before the chain gives it a position and a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryContent {
    pub event_id: String,
    pub user_id: Option<String>,
    pub action: String,
    pub resource: String,
    pub resource_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub metadata: String,
    pub timestamp: i64,
}

impl EntryContent {
    /// The entry recording a domain event: the actor is the user, the event type the action,
    /// the subject the resource.
    pub fn from_event(event: &kit::events::EventEnvelope) -> Self {
        let metadata = serde_json::json!({
            "data": event.data,
            "schemaVersion": event.schema_version,
            "traceId": event.trace_id,
        });
        Self {
            event_id: event.id.to_string(),
            user_id: event.actor.id.clone(),
            action: event.event_type.clone(),
            resource: event.subject.kind.clone(),
            resource_id: Some(event.subject.id.clone()).filter(|id| !id.is_empty()),
            ip_address: event.actor.ip.clone(),
            user_agent: event.actor.user_agent.clone(),
            metadata: metadata.to_string(),
            timestamp: event.occurred_at_millis(),
        }
    }

    /// The entry at position `seq` after `prev_hash`, hashed.
    pub(crate) fn seal(self, seq: i64, recorded_at: i64, prev_hash: String) -> AuditEntry {
        let mut entry = AuditEntry {
            seq,
            id: uuid::Uuid::now_v7().to_string(),
            event_id: self.event_id,
            user_id: self.user_id,
            action: self.action,
            resource: self.resource,
            resource_id: self.resource_id,
            ip_address: self.ip_address,
            user_agent: self.user_agent,
            metadata: self.metadata,
            timestamp: self.timestamp,
            recorded_at,
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }
}

impl AuditEntry {
    /// The canonical form defined in the module documentation.
    pub fn canonical_form(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.metadata.len());
        out.extend_from_slice(b"audit-entry/v1\n");
        int_field(&mut out, "seq", self.seq);
        text_field(&mut out, "id", Some(&self.id));
        text_field(&mut out, "event_id", Some(&self.event_id));
        text_field(&mut out, "user_id", self.user_id.as_deref());
        text_field(&mut out, "action", Some(&self.action));
        text_field(&mut out, "resource", Some(&self.resource));
        text_field(&mut out, "resource_id", self.resource_id.as_deref());
        text_field(&mut out, "ip_address", self.ip_address.as_deref());
        text_field(&mut out, "user_agent", self.user_agent.as_deref());
        text_field(&mut out, "metadata", Some(&self.metadata));
        int_field(&mut out, "timestamp", self.timestamp);
        int_field(&mut out, "recorded_at", self.recorded_at);
        out
    }

    /// The hash this entry should carry given its `prev_hash` and content.
    pub fn compute_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(self.canonical_form());
        hex::encode(hasher.finalize())
    }

    /// Whether the stored hash matches the content.
    pub fn hash_is_valid(&self) -> bool {
        self.compute_hash() == self.hash
    }
}

fn int_field(out: &mut Vec<u8>, name: &str, value: i64) {
    out.extend_from_slice(name.as_bytes());
    out.push(b'=');
    out.extend_from_slice(value.to_string().as_bytes());
    out.push(b'\n');
}

fn text_field(out: &mut Vec<u8>, name: &str, value: Option<&str>) {
    out.extend_from_slice(name.as_bytes());
    out.push(b'=');
    match value {
        Some(text) => {
            out.extend_from_slice(text.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(text.as_bytes());
        }
        None => out.push(b'~'),
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AuditEntry {
        EntryContent {
            event_id: "e1".into(),
            user_id: Some("u1".into()),
            action: "platform.user.created".into(),
            resource: "user".into(),
            resource_id: Some("u2".into()),
            ip_address: None,
            user_agent: Some("curl/8".into()),
            metadata: r#"{"data":{}}"#.into(),
            timestamp: 1_700_000_000_000,
        }
        .seal(1, 1_700_000_000_001, GENESIS_HASH.into())
    }

    #[test]
    fn canonical_form_is_exactly_as_documented() {
        let mut entry = sample();
        entry.id = "id-1".into();
        let expected = "audit-entry/v1\nseq=1\nid=4:id-1\nevent_id=2:e1\nuser_id=2:u1\n\
            action=21:platform.user.created\nresource=4:user\nresource_id=2:u2\nip_address=~\n\
            user_agent=6:curl/8\nmetadata=11:{\"data\":{}}\ntimestamp=1700000000000\n\
            recorded_at=1700000000001\n";
        assert_eq!(
            String::from_utf8(entry.canonical_form()).expect("utf8"),
            expected
        );
        let mut hasher = Sha256::new();
        hasher.update(format!("{GENESIS_HASH}\n{expected}"));
        assert_eq!(entry.compute_hash(), hex::encode(hasher.finalize()));
    }

    #[test]
    fn any_changed_field_changes_the_hash() {
        let entry = sample();
        assert!(entry.hash_is_valid());
        type Change = Box<dyn Fn(&mut AuditEntry)>;
        let changes: Vec<Change> = vec![
            Box::new(|e| e.seq = 2),
            Box::new(|e| e.user_id = None),
            Box::new(|e| e.user_id = Some(String::new())),
            Box::new(|e| e.action.push('x')),
            Box::new(|e| e.resource_id = None),
            Box::new(|e| e.ip_address = Some("127.0.0.1".into())),
            Box::new(|e| e.metadata = r#"{"data":{"a":1}}"#.into()),
            Box::new(|e| e.timestamp += 1),
            Box::new(|e| e.recorded_at += 1),
            Box::new(|e| e.prev_hash = "1".repeat(64)),
        ];
        for change in changes {
            let mut altered = entry.clone();
            change(&mut altered);
            assert!(!altered.hash_is_valid(), "{altered:?}");
        }
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        // Moving text between adjacent fields must not give the same canonical form.
        let mut a = sample();
        let mut b = sample();
        a.resource = "user".into();
        a.resource_id = Some("x".into());
        b.resource = "user\nresource_id=1:x".into();
        b.resource_id = None;
        b.id = a.id.clone();
        assert_ne!(a.canonical_form(), b.canonical_form());
    }
}
