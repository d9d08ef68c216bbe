//! Refresh tokens: one row per token, grouped into families (one family per login). Only the
//! SHA-256 of a token is stored.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::{Db, DbError};

use super::attempts::AttemptRow;
use super::schema::{login_attempts, password_credentials, refresh_tokens as rt};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rt)]
pub struct RefreshRow {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub family_id: String,
    pub rotated_from: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
    pub revoked: bool,
}

/// Outcome of exchanging a refresh token.
#[derive(Debug)]
pub enum Rotation {
    Rotated,
    /// The token was already exchanged or revoked: its family is now revoked.
    Reused,
}

/// Records a successful login: the new session's first token, the attempt, an optional
/// password rehash, and `events`.
pub async fn start(
    db: &Db,
    token: RefreshRow,
    attempt: AttemptRow,
    rehash: Option<String>,
    events: Vec<kit::events::EventEnvelope>,
) -> Result<(), DbError> {
    kit::db_tx!(db, |conn| async move {
        diesel::insert_into(rt::table)
            .values(&token)
            .execute(conn)
            .await?;
        diesel::insert_into(login_attempts::table)
            .values(&attempt)
            .execute(conn)
            .await?;
        if let Some(hash) = &rehash {
            diesel::update(password_credentials::table.find(&token.user_id))
                .set((
                    password_credentials::password_hash.eq(hash),
                    password_credentials::updated_at.eq(attempt.created_at),
                ))
                .execute(conn)
                .await?;
        }
        super::enqueue_events(conn, &events).await?;
        Ok(())
    })
}

pub async fn find_by_hash(db: &Db, token_hash: &str) -> Result<Option<RefreshRow>, DbError> {
    let hash = token_hash.to_owned();
    let row = kit::db_run!(db, |conn| async move {
        Ok(rt::table
            .filter(rt::token_hash.eq(&hash))
            .select(RefreshRow::as_select())
            .first(conn)
            .await
            .optional()?)
    })?;
    Ok(row.filter(|row| crate::tokens::secrets_equal(&row.token_hash, token_hash)))
}

/// Exchanges `old` for `new` atomically. If `old` was already exchanged or revoked (also by a
/// concurrent request), the whole family is revoked and `reuse_events` are written instead.
pub async fn rotate(
    db: &Db,
    old: &RefreshRow,
    new: RefreshRow,
    now: i64,
    reuse_events: Vec<kit::events::EventEnvelope>,
) -> Result<Rotation, DbError> {
    let old_id = old.id.clone();
    let family = old.family_id.clone();
    kit::db_tx!(db, |conn| async move {
        let claimed = diesel::update(
            rt::table
                .filter(rt::id.eq(&old_id))
                .filter(rt::rotated_at.is_null())
                .filter(rt::revoked.eq(false)),
        )
        .set(rt::rotated_at.eq(now))
        .execute(conn)
        .await?;
        if claimed == 1 {
            diesel::insert_into(rt::table)
                .values(&new)
                .execute(conn)
                .await?;
            return Ok(Rotation::Rotated);
        }
        diesel::update(rt::table.filter(rt::family_id.eq(&family)))
            .set(rt::revoked.eq(true))
            .execute(conn)
            .await?;
        super::enqueue_events(conn, &reuse_events).await?;
        Ok(Rotation::Reused)
    })
}

/// Revokes one family (one session), with `events`. Returns the number of tokens revoked.
pub async fn revoke_family(
    db: &Db,
    user_id: &str,
    family_id: &str,
    events: Vec<kit::events::EventEnvelope>,
) -> Result<usize, DbError> {
    let user = user_id.to_owned();
    let family = family_id.to_owned();
    kit::db_tx!(db, |conn| async move {
        let n = diesel::update(
            rt::table
                .filter(rt::family_id.eq(&family))
                .filter(rt::user_id.eq(&user))
                .filter(rt::revoked.eq(false)),
        )
        .set(rt::revoked.eq(true))
        .execute(conn)
        .await?;
        super::enqueue_events(conn, &events).await?;
        Ok(n)
    })
}

/// Revokes every session of a user, with `events`.
pub async fn revoke_user(
    db: &Db,
    user_id: &str,
    events: Vec<kit::events::EventEnvelope>,
) -> Result<usize, DbError> {
    let user = user_id.to_owned();
    kit::db_tx!(db, |conn| async move {
        let n = diesel::update(
            rt::table
                .filter(rt::user_id.eq(&user))
                .filter(rt::revoked.eq(false)),
        )
        .set(rt::revoked.eq(true))
        .execute(conn)
        .await?;
        super::enqueue_events(conn, &events).await?;
        Ok(n)
    })
}

/// Whether a session was ended: its family has tokens and all of them are revoked. A family
/// with no rows (pruned after expiry) does not count as ended.
pub async fn family_revoked(db: &Db, family_id: &str) -> Result<bool, DbError> {
    let family = family_id.to_owned();
    kit::db_run!(db, |conn| async move {
        let revoked: Vec<bool> = rt::table
            .filter(rt::family_id.eq(&family))
            .select(rt::revoked)
            .load(conn)
            .await?;
        Ok(!revoked.is_empty() && revoked.iter().all(|r| *r))
    })
}

/// Deletes refresh tokens that expired before `now`: they cannot be used or reused any more.
pub async fn prune_expired(db: &Db, now: i64) -> Result<usize, DbError> {
    kit::db_run!(db, |conn| async move {
        Ok(diesel::delete(rt::table.filter(rt::expires_at.lt(now)))
            .execute(conn)
            .await?)
    })
}
