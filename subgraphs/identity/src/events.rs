//! Identity's domain events. Each is built here and written by the store inside the same
//! transaction as the change it describes (see [`enqueue`]).

use kit::events::{Actor, EventEnvelope, Subject};
use serde_json::json;

// The event types come from identity's `module.yaml` through the `permissions` crate, so the
// manifest audit and authz read and the events emitted cannot drift apart.
pub use permissions::events::{
    PLATFORM_SESSION_REUSE_DETECTED as SESSION_REUSE_DETECTED,
    PLATFORM_SIGNING_KEY_ROTATED as SIGNING_KEY_ROTATED, PLATFORM_USER_CREATED as USER_CREATED,
    PLATFORM_USER_DELETED as USER_DELETED, PLATFORM_USER_EMAIL_VERIFIED as USER_EMAIL_VERIFIED,
    PLATFORM_USER_LOCKED_OUT as USER_LOCKED_OUT, PLATFORM_USER_LOGGED_IN as USER_LOGGED_IN,
    PLATFORM_USER_LOGGED_OUT as USER_LOGGED_OUT, PLATFORM_USER_LOGIN_FAILED as USER_LOGIN_FAILED,
    PLATFORM_USER_PASSWORD_CHANGED as USER_PASSWORD_CHANGED,
    PLATFORM_USER_PASSWORD_RESET_REQUESTED as USER_PASSWORD_RESET_REQUESTED,
    PLATFORM_USER_UPDATED as USER_UPDATED,
};

fn user_event(kind: &str, user_id: &str, actor: &Actor, data: serde_json::Value) -> EventEnvelope {
    EventEnvelope::new(kind, Subject::new("user", user_id), data).with_actor(actor.clone())
}

pub fn user_created(user_id: &str, email: &str, username: &str, actor: &Actor) -> EventEnvelope {
    user_event(
        USER_CREATED,
        user_id,
        actor,
        json!({ "email": email, "username": username }),
    )
}

pub fn user_logged_in(user_id: &str, session_id: &str, actor: &Actor) -> EventEnvelope {
    user_event(
        USER_LOGGED_IN,
        user_id,
        actor,
        json!({ "sessionId": session_id }),
    )
}

/// A failed login. The subject is the account when it exists; otherwise the attempt is about
/// the email typed (never stored in plain text beyond what the login attempt row keeps).
pub fn login_failed(
    user_id: Option<&str>,
    account_key: &str,
    reason: &str,
    actor: &Actor,
) -> EventEnvelope {
    let subject = match user_id {
        Some(id) => Subject::new("user", id),
        None => Subject::new("login", account_key),
    };
    EventEnvelope::new(USER_LOGIN_FAILED, subject, json!({ "reason": reason }))
        .with_actor(actor.clone())
}

pub fn locked_out(
    user_id: Option<&str>,
    account_key: &str,
    scope: &str,
    until_ms: i64,
    actor: &Actor,
) -> EventEnvelope {
    let subject = match user_id {
        Some(id) => Subject::new("user", id),
        None => Subject::new("login", account_key),
    };
    EventEnvelope::new(
        USER_LOCKED_OUT,
        subject,
        json!({ "scope": scope, "untilMs": until_ms }),
    )
    .with_actor(actor.clone())
}

pub fn user_updated(user_id: &str, fields: &[&str], actor: &Actor) -> EventEnvelope {
    user_event(USER_UPDATED, user_id, actor, json!({ "fields": fields }))
}

pub fn user_deleted(user_id: &str, actor: &Actor) -> EventEnvelope {
    user_event(USER_DELETED, user_id, actor, json!({}))
}

pub fn password_changed(user_id: &str, via: &str, actor: &Actor) -> EventEnvelope {
    user_event(USER_PASSWORD_CHANGED, user_id, actor, json!({ "via": via }))
}

pub fn password_reset_requested(user_id: &str, actor: &Actor) -> EventEnvelope {
    user_event(USER_PASSWORD_RESET_REQUESTED, user_id, actor, json!({}))
}

pub fn email_verified(user_id: &str, actor: &Actor) -> EventEnvelope {
    user_event(USER_EMAIL_VERIFIED, user_id, actor, json!({}))
}

pub fn logged_out(user_id: &str, all_sessions: bool, actor: &Actor) -> EventEnvelope {
    user_event(
        USER_LOGGED_OUT,
        user_id,
        actor,
        json!({ "allSessions": all_sessions }),
    )
}

pub fn session_reuse_detected(user_id: &str, family_id: &str, actor: &Actor) -> EventEnvelope {
    user_event(
        SESSION_REUSE_DETECTED,
        user_id,
        actor,
        json!({ "familyId": family_id }),
    )
}

pub fn signing_key_rotated(new_kid: &str, retired: &[String]) -> EventEnvelope {
    EventEnvelope::new(
        SIGNING_KEY_ROTATED,
        Subject::new("signing_key", new_kid),
        json!({ "retiredKids": retired }),
    )
}
