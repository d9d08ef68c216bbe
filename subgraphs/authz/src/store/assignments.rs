//! Who holds which role, and until when.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::Db;
use kit::events::EventEnvelope;

use super::schema::{roles, user_roles};
use super::{ADMIN, AssignmentRow, RoleRow, enqueue};
use crate::errors::AuthzError;

/// The roles `user_id` holds at `now` through assignments (expired ones excluded); the
/// implicit `user` role is not among them.
pub async fn roles_of(db: &Db, user_id: &str, now: i64) -> Result<Vec<RoleRow>, AuthzError> {
    let user_id = user_id.to_owned();
    Ok(kit::db_run!(db, |conn| async move {
        Ok(user_roles::table
            .inner_join(roles::table)
            .filter(user_roles::user_id.eq(user_id))
            .filter(
                user_roles::expires_at
                    .is_null()
                    .or(user_roles::expires_at.gt(now)),
            )
            .select(RoleRow::as_select())
            .order(roles::name)
            .load(conn)
            .await?)
    })?)
}

/// Assigns a role (replacing an earlier assignment of the same role, e.g. to change its
/// expiry).
pub async fn assign(db: &Db, row: AssignmentRow, event: EventEnvelope) -> Result<(), AuthzError> {
    kit::db_tx!(db, |conn| -> AuthzError, async move {
        diesel::delete(
            user_roles::table
                .filter(user_roles::user_id.eq(&row.user_id))
                .filter(user_roles::role_id.eq(&row.role_id)),
        )
        .execute(conn)
        .await?;
        diesel::insert_into(user_roles::table)
            .values(&row)
            .execute(conn)
            .await?;
        enqueue(conn, &[event]).await?;
        Ok(())
    })
}

/// Removes an assignment. Refuses to remove the last unexpired `admin` assignment; returns
/// whether there was one to remove.
pub async fn revoke(
    db: &Db,
    user_id: &str,
    role: &RoleRow,
    now: i64,
    event: EventEnvelope,
) -> Result<bool, AuthzError> {
    let (user_id, role) = (user_id.to_owned(), role.clone());
    kit::db_tx!(db, |conn| -> AuthzError, async move {
        if role.name == ADMIN {
            let other_admins: i64 = user_roles::table
                .filter(user_roles::role_id.eq(&role.id))
                .filter(user_roles::user_id.ne(&user_id))
                .filter(
                    user_roles::expires_at
                        .is_null()
                        .or(user_roles::expires_at.gt(now)),
                )
                .count()
                .get_result(conn)
                .await?;
            if other_admins == 0 {
                return Err(AuthzError::LastAdmin);
            }
        }
        let removed = diesel::delete(
            user_roles::table
                .filter(user_roles::user_id.eq(&user_id))
                .filter(user_roles::role_id.eq(&role.id)),
        )
        .execute(conn)
        .await?;
        if removed > 0 {
            enqueue(conn, &[event]).await?;
        }
        Ok(removed > 0)
    })
}

/// Assigns `admin` to `row.user_id` only when nobody holds an unexpired `admin` assignment
/// (the bootstrap admin's first token); returns whether it did.
pub async fn assign_first_admin(
    db: &Db,
    row: AssignmentRow,
    now: i64,
    event: EventEnvelope,
) -> Result<bool, AuthzError> {
    kit::db_tx!(db, |conn| -> AuthzError, async move {
        let admin_id: String = roles::table
            .filter(roles::name.eq(ADMIN))
            .select(roles::id)
            .first(conn)
            .await?;
        let holders: i64 = user_roles::table
            .filter(user_roles::role_id.eq(&admin_id))
            .filter(
                user_roles::expires_at
                    .is_null()
                    .or(user_roles::expires_at.gt(now)),
            )
            .count()
            .get_result(conn)
            .await?;
        if holders > 0 {
            return Ok(false);
        }
        diesel::delete(
            user_roles::table
                .filter(user_roles::user_id.eq(&row.user_id))
                .filter(user_roles::role_id.eq(&admin_id)),
        )
        .execute(conn)
        .await?;
        let row = AssignmentRow {
            role_id: admin_id,
            ..row
        };
        diesel::insert_into(user_roles::table)
            .values(&row)
            .execute(conn)
            .await?;
        enqueue(conn, &[event]).await?;
        Ok(true)
    })
}
