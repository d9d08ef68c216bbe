//! Identity's domain events. Each is built here and written by the store inside the same
//! transaction as the change it describes (see [`enqueue`]).

use kit::events::{Actor, EventEnvelope, Subject};
use serde_json::json;

pub const USER_CREATED: &str = "platform.user.created";
pub const USER_LOGGED_IN: &str = "platform.user.logged_in";
pub const USER_LOGIN_FAILED: &str = "platform.user.login_failed";
pub const USER_LOCKED_OUT: &str = "platform.user.locked_out";
pub const USER_UPDATED: &str = "platform.user.updated";
pub const USER_DELETED: &str = "platform.user.deleted";
pub const USER_PASSWORD_CHANGED: &str = "platform.user.password_changed";
pub const USER_PASSWORD_RESET_REQUESTED: &str = "platform.user.password_reset_requested";
pub const USER_EMAIL_VERIFIED: &str = "platform.user.email_verified";
pub const USER_LOGGED_OUT: &str = "platform.user.logged_out";
pub const SESSION_REUSE_DETECTED: &str = "platform.session.reuse_detected";
pub const SIGNING_KEY_ROTATED: &str = "platform.signing_key.rotated";

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
