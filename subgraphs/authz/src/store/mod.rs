//! Authz's persistence, written once for PostgreSQL and SQLite through `kit::db_run!` /
//! `kit::db_tx!`. Each write runs in one transaction together with its outbox events; checks
//! that must not race (the last admin) run inside that transaction.

pub mod assignments;
pub mod registry;
pub mod roles;
pub mod schema;

use diesel::prelude::*;
use kit::db::Migrations;

/// The built-in role holding every permission.
pub const ADMIN: &str = "admin";
/// The built-in role every user holds implicitly.
pub const USER: &str = "user";

/// Authz's embedded migrations for both backends.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("../../migrations/authz/postgres"),
    sqlite: diesel_migrations::embed_migrations!("../../migrations/authz/sqlite"),
};

/// Current time in unix milliseconds, the unit of every timestamp column.
pub fn now_ms() -> i64 {
    kit::events::unix_millis(time::OffsetDateTime::now_utc())
}

/// A role as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = schema::roles)]
pub struct RoleRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub built_in: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A registered permission.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = schema::permissions)]
pub struct PermissionRow {
    pub code: String,
    pub module: String,
    pub description: String,
}

/// One user's holding of one role.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = schema::user_roles)]
pub struct AssignmentRow {
    pub user_id: String,
    pub role_id: String,
    pub granted_by: Option<String>,
    pub granted_at: i64,
    pub expires_at: Option<i64>,
}

/// Writes events to the outbox inside the caller's transaction.
pub(crate) async fn enqueue<C: kit::events::OutboxConnection>(
    conn: &mut C,
    events: &[kit::events::EventEnvelope],
) -> Result<(), diesel::result::Error> {
    if events.is_empty() {
        return Ok(());
    }
    kit::events::enqueue_all(conn, events).await
}
