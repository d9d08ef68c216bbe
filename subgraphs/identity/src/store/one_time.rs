//! Single-use tokens for email verification and password reset; only their hash is stored.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::{Db, DbError};

use super::schema::{one_time_tokens as ott, password_credentials, refresh_tokens, users};

pub const VERIFY_EMAIL: &str = "verify_email";
pub const RESET_PASSWORD: &str = "reset_password";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ott)]
pub struct OneTimeRow {
    pub id: String,
    pub user_id: String,
    pub purpose: String,
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// What redeeming a token does, in the same transaction.
#[derive(Debug, Clone)]
pub enum Redemption {
    VerifyEmail,
    /// Sets this password hash and revokes every session.
    ResetPassword {
        password_hash: String,
    },
}

pub async fn insert(
    db: &Db,
    row: OneTimeRow,
    events: Vec<kit::events::EventEnvelope>,
) -> Result<(), DbError> {
    kit::db_tx!(db, |conn| async move {
        diesel::insert_into(ott::table)
            .values(&row)
            .execute(conn)
            .await?;
        super::enqueue_events(conn, &events).await?;
        Ok(())
    })
}

/// The unused, unexpired token with this hash and purpose.
pub async fn find_valid(
    db: &Db,
    purpose: &str,
    token_hash: &str,
    now: i64,
) -> Result<Option<OneTimeRow>, DbError> {
    let purpose = purpose.to_owned();
    let hash = token_hash.to_owned();
    let row = kit::db_run!(db, |conn| async move {
        Ok(ott::table
            .filter(ott::token_hash.eq(&hash))
            .filter(ott::purpose.eq(&purpose))
            .filter(ott::used_at.is_null())
            .filter(ott::expires_at.gt(now))
            .select(OneTimeRow::as_select())
            .first(conn)
            .await
            .optional()?)
    })?;
    // The index lookup found the row by hash; compare again in constant time.
    Ok(row.filter(|row| crate::tokens::secrets_equal(&row.token_hash, token_hash)))
}

/// Marks `token` used (and every other open token of its purpose for the user) and applies
/// `redemption`, with `events`. `false` when a concurrent request redeemed it first.
pub async fn redeem(
    db: &Db,
    token: &OneTimeRow,
    redemption: Redemption,
    now: i64,
    events: Vec<kit::events::EventEnvelope>,
) -> Result<bool, DbError> {
    let id = token.id.clone();
    let user_id = token.user_id.clone();
    let purpose = token.purpose.clone();
    kit::db_tx!(db, |conn| async move {
        let claimed = diesel::update(
            ott::table
                .filter(ott::id.eq(&id))
                .filter(ott::used_at.is_null())
                .filter(ott::expires_at.gt(now)),
        )
        .set(ott::used_at.eq(now))
        .execute(conn)
        .await?;
        if claimed != 1 {
            return Ok(false);
        }
        diesel::update(
            ott::table
                .filter(ott::user_id.eq(&user_id))
                .filter(ott::purpose.eq(&purpose))
                .filter(ott::used_at.is_null()),
        )
        .set(ott::used_at.eq(now))
        .execute(conn)
        .await?;
        match &redemption {
            Redemption::VerifyEmail => {
                diesel::update(users::table.find(&user_id))
                    .set((users::email_verified.eq(true), users::updated_at.eq(now)))
                    .execute(conn)
                    .await?;
            }
            Redemption::ResetPassword { password_hash } => {
                diesel::update(password_credentials::table.find(&user_id))
                    .set((
                        password_credentials::password_hash.eq(password_hash),
                        password_credentials::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
                diesel::update(refresh_tokens::table.filter(refresh_tokens::user_id.eq(&user_id)))
                    .set(refresh_tokens::revoked.eq(true))
                    .execute(conn)
                    .await?;
            }
        }
        super::enqueue_events(conn, &events).await?;
        Ok(true)
    })
}

/// Deletes one-time tokens that expired before `now`.
pub async fn prune_expired(db: &Db, now: i64) -> Result<usize, DbError> {
    kit::db_run!(db, |conn| async move {
        Ok(diesel::delete(ott::table.filter(ott::expires_at.lt(now)))
            .execute(conn)
            .await?)
    })
}
