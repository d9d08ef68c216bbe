//! The events authz emits; type names come from its manifest.

use kit::events::{Actor, EventEnvelope, Subject};
use permissions::events as types;
use serde_json::json;

pub fn role_created(role_id: &str, name: &str, actor: &Actor) -> EventEnvelope {
    role_event(
        types::AUTHZ_ROLE_CREATED,
        role_id,
        json!({ "name": name }),
        actor,
    )
}

pub fn role_updated(role_id: &str, name: &str, actor: &Actor) -> EventEnvelope {
    role_event(
        types::AUTHZ_ROLE_UPDATED,
        role_id,
        json!({ "name": name }),
        actor,
    )
}

pub fn role_deleted(role_id: &str, name: &str, actor: &Actor) -> EventEnvelope {
    role_event(
        types::AUTHZ_ROLE_DELETED,
        role_id,
        json!({ "name": name }),
        actor,
    )
}

pub fn permission_granted(role_id: &str, role: &str, code: &str, actor: &Actor) -> EventEnvelope {
    role_event(
        types::AUTHZ_PERMISSION_GRANTED,
        role_id,
        json!({ "role": role, "permission": code }),
        actor,
    )
}

pub fn permission_revoked(role_id: &str, role: &str, code: &str, actor: &Actor) -> EventEnvelope {
    role_event(
        types::AUTHZ_PERMISSION_REVOKED,
        role_id,
        json!({ "role": role, "permission": code }),
        actor,
    )
}

/// `data.revokeSessions` is true when the role was `admin`: identity revokes the user's
/// refresh-token families on it (see `identity::authz_roles`).
pub fn role_assigned(
    user_id: &str,
    role: &str,
    expires_at: Option<i64>,
    actor: &Actor,
) -> EventEnvelope {
    EventEnvelope::new(
        types::AUTHZ_ROLE_ASSIGNED,
        Subject::new("user", user_id),
        json!({ "role": role, "expiresAt": expires_at }),
    )
    .with_actor(actor.clone())
}

pub fn role_revoked(user_id: &str, role: &str, actor: &Actor) -> EventEnvelope {
    EventEnvelope::new(
        types::AUTHZ_ROLE_REVOKED,
        Subject::new("user", user_id),
        json!({ "role": role, "revokeSessions": role == crate::store::ADMIN }),
    )
    .with_actor(actor.clone())
}

fn role_event(kind: &str, role_id: &str, data: serde_json::Value, actor: &Actor) -> EventEnvelope {
    EventEnvelope::new(kind, Subject::new("role", role_id), data).with_actor(actor.clone())
}
