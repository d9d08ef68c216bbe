//! GraphQL object and input types.

use async_graphql::{ID, InputObject, Json, Object, SimpleObject};
use time::OffsetDateTime;

use crate::entry::AuditEntry;
use crate::query::EntryFilter;

/// One audit entry.
pub struct AuditEntryNode(pub AuditEntry);

#[Object(name = "AuditEntry")]
impl AuditEntryNode {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Position in the hash chain (1 for the first entry ever recorded).
    async fn sequence(&self) -> i64 {
        self.0.seq
    }

    /// The id of the domain event this entry records.
    async fn event_id(&self) -> ID {
        ID(self.0.event_id.clone())
    }

    /// The user who acted, when there was one.
    async fn user_id(&self) -> Option<ID> {
        self.0.user_id.clone().map(ID)
    }

    /// The event type, e.g. `platform.user.created`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// The type of what was acted on, e.g. `user`.
    async fn resource(&self) -> &str {
        &self.0.resource
    }

    async fn resource_id(&self) -> Option<&str> {
        self.0.resource_id.as_deref()
    }

    async fn ip_address(&self) -> Option<&str> {
        self.0.ip_address.as_deref()
    }

    async fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }

    /// `{data, schemaVersion, traceId}` of the event.
    async fn metadata(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.metadata).unwrap_or(serde_json::Value::Null))
    }

    /// When the action happened.
    async fn timestamp(&self) -> OffsetDateTime {
        from_millis(self.0.timestamp)
    }

    /// When audit recorded it.
    async fn recorded_at(&self) -> OffsetDateTime {
        from_millis(self.0.recorded_at)
    }

    async fn prev_hash(&self) -> &str {
        &self.0.prev_hash
    }

    /// SHA-256 over `prevHash` and the entry's canonical form (see the audit crate docs).
    async fn hash(&self) -> &str {
        &self.0.hash
    }
}

/// Which entries to list; every field given must match.
#[derive(InputObject, Default)]
pub struct AuditEntryFilter {
    pub user_id: Option<ID>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub resource_id: Option<String>,
    /// Entries whose action happened at or after this instant.
    pub from: Option<OffsetDateTime>,
    /// Entries whose action happened at or before this instant.
    pub to: Option<OffsetDateTime>,
}

impl AuditEntryFilter {
    pub(crate) fn into_filter(self) -> EntryFilter {
        EntryFilter {
            user_id: self.user_id.map(|id| id.0),
            action: self.action,
            resource: self.resource,
            resource_id: self.resource_id,
            from: self.from.map(kit::events::unix_millis),
            to: self.to.map(kit::events::unix_millis),
        }
    }
}

/// The outcome of `verifyAuditChain`.
#[derive(SimpleObject)]
pub struct ChainVerification {
    /// Whether every checked entry holds.
    pub valid: bool,
    /// Entries checked (up to and including the first broken one).
    pub checked: i64,
    /// The first entry whose hash or link to its predecessor is wrong.
    pub first_broken_entry: Option<AuditEntryNode>,
}

pub(crate) fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
