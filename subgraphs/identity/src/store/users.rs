//! Users and their password credentials.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::{Db, DbError};

use super::schema::{password_credentials, users};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub email_normalized: String,
    pub username: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email_verified: bool,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = password_credentials)]
pub struct CredentialRow {
    pub user_id: String,
    pub password_hash: String,
    pub updated_at: i64,
}

/// Filters for listing users; absent fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Substring of the normalized email or the username.
    pub search: Option<String>,
    pub email_verified: Option<bool>,
    pub disabled: Option<bool>,
}

/// A page of users ordered by id (UUIDv7, so by creation time).
#[derive(Debug, Clone)]
pub struct UserPage {
    pub users: Vec<UserRow>,
    pub has_next: bool,
}

/// Profile fields to change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub username: Option<String>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
}

pub async fn find_by_id(db: &Db, id: &str) -> Result<Option<UserRow>, DbError> {
    let id = id.to_owned();
    kit::db_run!(db, |conn| async move {
        Ok(users::table
            .find(&id)
            .select(UserRow::as_select())
            .first(conn)
            .await
            .optional()?)
    })
}

pub async fn find_many(db: &Db, ids: &[String]) -> Result<Vec<UserRow>, DbError> {
    let ids = ids.to_vec();
    kit::db_run!(db, |conn| async move {
        Ok(users::table
            .filter(users::id.eq_any(&ids))
            .select(UserRow::as_select())
            .load(conn)
            .await?)
    })
}

/// The user with this normalized email and their password hash, if any.
pub async fn find_with_password(
    db: &Db,
    email_normalized: &str,
) -> Result<Option<(UserRow, Option<String>)>, DbError> {
    let email = email_normalized.to_owned();
    kit::db_run!(db, |conn| async move {
        Ok(users::table
            .left_join(password_credentials::table)
            .filter(users::email_normalized.eq(&email))
            .select((
                UserRow::as_select(),
                password_credentials::password_hash.nullable(),
            ))
            .first(conn)
            .await
            .optional()?)
    })
}

pub async fn password_hash(db: &Db, user_id: &str) -> Result<Option<String>, DbError> {
    let id = user_id.to_owned();
    kit::db_run!(db, |conn| async move {
        Ok(password_credentials::table
            .find(&id)
            .select(password_credentials::password_hash)
            .first(conn)
            .await
            .optional()?)
    })
}

pub async fn count(db: &Db) -> Result<i64, DbError> {
    kit::db_run!(db, |conn| async move {
        Ok(users::table.count().get_result(conn).await?)
    })
}

pub async fn list(
    db: &Db,
    filter: &UserFilter,
    first: i64,
    after: Option<&str>,
) -> Result<UserPage, DbError> {
    let filter = filter.clone();
    let after = after.map(str::to_owned);
    let mut users = kit::db_run!(db, |conn| async move {
        let mut query = users::table
            .select(UserRow::as_select())
            .order(users::id.asc())
            .limit(first + 1)
            .into_boxed();
        if let Some(after) = &after {
            query = query.filter(users::id.gt(after.clone()));
        }
        if let Some(search) = &filter.search {
            let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
            query = query.filter(
                users::email_normalized
                    .like(pattern.clone())
                    .escape('\\')
                    .or(users::username.like(pattern).escape('\\')),
            );
        }
        if let Some(verified) = filter.email_verified {
            query = query.filter(users::email_verified.eq(verified));
        }
        if let Some(disabled) = filter.disabled {
            query = query.filter(users::disabled.eq(disabled));
        }
        Ok(query.load(conn).await?)
    })?;
    let has_next = users.len() as i64 > first;
    users.truncate(usize::try_from(first).unwrap_or(0));
    Ok(UserPage { users, has_next })
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Case-insensitive username taken check used before writes, for a precise error.
pub async fn username_taken(
    db: &Db,
    username: &str,
    except_user: Option<&str>,
) -> Result<bool, DbError> {
    let username = username.to_owned();
    let except = except_user.unwrap_or_default().to_owned();
    kit::db_run!(db, |conn| async move {
        let n: i64 = users::table
            .filter(users::username.eq(&username))
            .filter(users::id.ne(&except))
            .count()
            .get_result(conn)
            .await?;
        Ok(n > 0)
    })
}

pub async fn email_taken(db: &Db, email_normalized: &str) -> Result<bool, DbError> {
    let email = email_normalized.to_owned();
    kit::db_run!(db, |conn| async move {
        let n: i64 = users::table
            .filter(users::email_normalized.eq(&email))
            .count()
            .get_result(conn)
            .await?;
        Ok(n > 0)
    })
}

/// Inserts a user with their password (and optionally a first one-time token) and `events`,
/// in one transaction. A duplicate email or username is `WriteError::Taken`, also when two
/// registrations race.
pub async fn insert(
    db: &Db,
    user: UserRow,
    credential: CredentialRow,
    token: Option<super::one_time::OneTimeRow>,
    events: Vec<kit::events::EventEnvelope>,
) -> Result<(), super::WriteError> {
    kit::db_tx!(db, |conn| -> super::WriteError, async move {
        diesel::insert_into(users::table)
            .values(&user)
            .execute(conn)
            .await?;
        diesel::insert_into(password_credentials::table)
            .values(&credential)
            .execute(conn)
            .await?;
        if let Some(token) = &token {
            diesel::insert_into(super::schema::one_time_tokens::table)
                .values(token)
                .execute(conn)
                .await?;
        }
        super::enqueue_events(conn, &events).await?;
        Ok(())
    })
}

/// Applies a profile change; `None` when the user does not exist.
pub async fn update_profile(
    db: &Db,
    user_id: &str,
    change: ProfileChange,
    now: i64,
    events: Vec<kit::events::EventEnvelope>,
) -> Result<Option<UserRow>, super::WriteError> {
    let id = user_id.to_owned();
    kit::db_tx!(db, |conn| -> super::WriteError, async move {
        let target = users::table.find(&id);
        if let Some(username) = &change.username {
            diesel::update(target)
                .set(users::username.eq(username))
                .execute(conn)
                .await?;
        }
        if let Some(first_name) = &change.first_name {
            diesel::update(target)
                .set(users::first_name.eq(first_name))
                .execute(conn)
                .await?;
        }
        if let Some(last_name) = &change.last_name {
            diesel::update(target)
                .set(users::last_name.eq(last_name))
                .execute(conn)
                .await?;
        }
        let touched = diesel::update(target)
            .set(users::updated_at.eq(now))
            .execute(conn)
            .await?;
        if touched == 0 {
            return Ok(None);
        }
        super::enqueue_events(conn, &events).await?;
        Ok(Some(
            target.select(UserRow::as_select()).first(conn).await?,
        ))
    })
}

/// Stores a new password hash and revokes every session except `keep_session`, with `events`.
pub async fn set_password(
    db: &Db,
    user_id: &str,
    password_hash: String,
    now: i64,
    keep_session: Option<String>,
    events: Vec<kit::events::EventEnvelope>,
) -> Result<(), DbError> {
    let id = user_id.to_owned();
    kit::db_tx!(db, |conn| async move {
        diesel::update(password_credentials::table.find(&id))
            .set((
                password_credentials::password_hash.eq(&password_hash),
                password_credentials::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        use super::schema::refresh_tokens as rt;
        let keep = keep_session.clone().unwrap_or_default();
        diesel::update(
            rt::table
                .filter(rt::user_id.eq(&id))
                .filter(rt::family_id.ne(&keep)),
        )
        .set(rt::revoked.eq(true))
        .execute(conn)
        .await?;
        super::enqueue_events(conn, &events).await?;
        Ok(())
    })
}

/// Deletes a user and everything identity holds for them; `false` when there was no such user.
pub async fn delete(
    db: &Db,
    user_id: &str,
    events: Vec<kit::events::EventEnvelope>,
) -> Result<bool, DbError> {
    let id = user_id.to_owned();
    kit::db_tx!(db, |conn| async move {
        use super::schema::{one_time_tokens as ott, refresh_tokens as rt};
        // Dependents first: SQLite enforces the foreign keys only when the pragma is on.
        diesel::delete(rt::table.filter(rt::user_id.eq(&id)))
            .execute(conn)
            .await?;
        diesel::delete(ott::table.filter(ott::user_id.eq(&id)))
            .execute(conn)
            .await?;
        diesel::delete(password_credentials::table.find(&id))
            .execute(conn)
            .await?;
        let deleted = diesel::delete(users::table.find(&id)).execute(conn).await?;
        if deleted > 0 {
            super::enqueue_events(conn, &events).await?;
        }
        Ok(deleted > 0)
    })
}
