//! Login attempts, the record brute-force throttling counts.

use diesel::dsl::max;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::{Db, DbError};

use super::schema::login_attempts as la;
use crate::throttle::FailureStats;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = la)]
pub struct AttemptRow {
    pub id: String,
    pub account_key: String,
    pub client_ip: String,
    pub succeeded: bool,
    pub created_at: i64,
}

/// Failure statistics for an account and for a client IP since `since` (unix ms).
pub async fn stats(
    db: &Db,
    account_key: &str,
    client_ip: &str,
    since: i64,
) -> Result<(FailureStats, FailureStats), DbError> {
    let account = account_key.to_owned();
    let ip = client_ip.to_owned();
    kit::db_run!(db, |conn| async move {
        // Per account: failures after the last success. Per IP: every failure in the window,
        // since one success must not reset a password-spraying address.
        let last_success: Option<i64> = la::table
            .filter(la::account_key.eq(&account))
            .filter(la::succeeded.eq(true))
            .select(max(la::created_at))
            .first(conn)
            .await?;
        let account_since = last_success.map_or(since, |at| at.max(since));
        let (account_failures, account_last): (i64, Option<i64>) = la::table
            .filter(la::account_key.eq(&account))
            .filter(la::succeeded.eq(false))
            .filter(la::created_at.gt(account_since))
            .select((diesel::dsl::count_star(), max(la::created_at)))
            .first(conn)
            .await?;
        let (ip_failures, ip_last): (i64, Option<i64>) = la::table
            .filter(la::client_ip.eq(&ip))
            .filter(la::succeeded.eq(false))
            .filter(la::created_at.gt(since))
            .select((diesel::dsl::count_star(), max(la::created_at)))
            .first(conn)
            .await?;
        Ok((
            FailureStats {
                failures: u32::try_from(account_failures).unwrap_or(u32::MAX),
                last_failure_at: account_last,
            },
            FailureStats {
                failures: u32::try_from(ip_failures).unwrap_or(u32::MAX),
                last_failure_at: ip_last,
            },
        ))
    })
}

/// Records a failed attempt with its events.
pub async fn record_failure(
    db: &Db,
    attempt: AttemptRow,
    events: Vec<kit::events::EventEnvelope>,
) -> Result<(), DbError> {
    kit::db_tx!(db, |conn| async move {
        diesel::insert_into(la::table)
            .values(&attempt)
            .execute(conn)
            .await?;
        super::enqueue_events(conn, &events).await?;
        Ok(())
    })
}

/// Deletes attempts older than `before`, which no policy window can reach any more.
pub async fn prune(db: &Db, before: i64) -> Result<usize, DbError> {
    kit::db_run!(db, |conn| async move {
        Ok(diesel::delete(la::table.filter(la::created_at.lt(before)))
            .execute(conn)
            .await?)
    })
}
