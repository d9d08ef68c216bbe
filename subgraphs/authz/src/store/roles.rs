//! Roles and the permissions they grant.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::Db;
use kit::events::EventEnvelope;

use super::schema::{permissions, role_permissions, roles, user_roles};
use super::{RoleRow, enqueue};
use crate::errors::AuthzError;

pub async fn list(db: &Db) -> Result<Vec<RoleRow>, AuthzError> {
    Ok(kit::db_run!(db, |conn| async move {
        Ok(roles::table
            .select(RoleRow::as_select())
            .order(roles::name)
            .load(conn)
            .await?)
    })?)
}

pub async fn find(db: &Db, id: &str) -> Result<Option<RoleRow>, AuthzError> {
    let id = id.to_owned();
    Ok(kit::db_run!(db, |conn| async move {
        Ok(roles::table
            .find(id)
            .select(RoleRow::as_select())
            .first(conn)
            .await
            .optional()?)
    })?)
}

pub async fn find_by_name(db: &Db, name: &str) -> Result<Option<RoleRow>, AuthzError> {
    let name = name.to_owned();
    Ok(kit::db_run!(db, |conn| async move {
        Ok(roles::table
            .filter(roles::name.eq(name))
            .select(RoleRow::as_select())
            .first(conn)
            .await
            .optional()?)
    })?)
}

/// `(role_id, code)` for every grant of the given roles.
pub async fn grants_of(
    db: &Db,
    role_ids: Vec<String>,
) -> Result<Vec<(String, String)>, AuthzError> {
    Ok(kit::db_run!(db, |conn| async move {
        Ok(role_permissions::table
            .filter(role_permissions::role_id.eq_any(role_ids))
            .select((role_permissions::role_id, role_permissions::permission_code))
            .order(role_permissions::permission_code)
            .load(conn)
            .await?)
    })?)
}

/// Inserts a role; a taken name is `Invalid`.
pub async fn create(db: &Db, row: RoleRow, event: EventEnvelope) -> Result<RoleRow, AuthzError> {
    kit::db_tx!(db, |conn| -> AuthzError, async move {
        let taken: i64 = roles::table
            .filter(roles::name.eq(&row.name))
            .count()
            .get_result(conn)
            .await?;
        if taken > 0 {
            return Err(AuthzError::invalid(format!("role name `{}` is taken", row.name)));
        }
        diesel::insert_into(roles::table).values(&row).execute(conn).await?;
        enqueue(conn, &[event]).await?;
        Ok(row)
    })
}

/// Renames or redescribes a role; built-in roles keep their names.
pub async fn update(
    db: &Db,
    id: &str,
    name: Option<String>,
    description: Option<String>,
    now: i64,
    event: impl FnOnce(&RoleRow) -> EventEnvelope + Send,
) -> Result<RoleRow, AuthzError> {
    let id = id.to_owned();
    kit::db_tx!(db, |conn| -> AuthzError, async move {
        let mut role: RoleRow = roles::table
            .find(&id)
            .select(RoleRow::as_select())
            .first(conn)
            .await
            .optional()?
            .ok_or(AuthzError::NotFound("role"))?;
        if let Some(name) = name.filter(|n| *n != role.name) {
            if role.built_in {
                return Err(AuthzError::BuiltIn(role.name, "renamed"));
            }
            let taken: i64 = roles::table
                .filter(roles::name.eq(&name))
                .count()
                .get_result(conn)
                .await?;
            if taken > 0 {
                return Err(AuthzError::invalid(format!("role name `{name}` is taken")));
            }
            role.name = name;
        }
        if let Some(description) = description {
            role.description = description;
        }
        role.updated_at = now;
        diesel::update(roles::table.find(&id))
            .set((
                roles::name.eq(&role.name),
                roles::description.eq(&role.description),
                roles::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        enqueue(conn, &[event(&role)]).await?;
        Ok(role)
    })
}

/// Deletes a role that is not built in, with its grants and assignments.
pub async fn delete(
    db: &Db,
    id: &str,
    event: impl FnOnce(&RoleRow) -> EventEnvelope + Send,
) -> Result<(), AuthzError> {
    let id = id.to_owned();
    kit::db_tx!(db, |conn| -> AuthzError, async move {
        let role: RoleRow = roles::table
            .find(&id)
            .select(RoleRow::as_select())
            .first(conn)
            .await
            .optional()?
            .ok_or(AuthzError::NotFound("role"))?;
        if role.built_in {
            return Err(AuthzError::BuiltIn(role.name, "deleted"));
        }
        diesel::delete(role_permissions::table.filter(role_permissions::role_id.eq(&id)))
            .execute(conn)
            .await?;
        diesel::delete(user_roles::table.filter(user_roles::role_id.eq(&id)))
            .execute(conn)
            .await?;
        diesel::delete(roles::table.find(&id)).execute(conn).await?;
        enqueue(conn, &[event(&role)]).await?;
        Ok(())
    })
}

/// Grants or revokes one registered permission on a role. `grant` of a held code and revoke
/// of an absent one change nothing and emit nothing; returns whether anything changed.
pub async fn set_grant(
    db: &Db,
    role_id: &str,
    code: &str,
    grant: bool,
    event: impl FnOnce(&RoleRow) -> EventEnvelope + Send,
) -> Result<RoleRow, AuthzError> {
    let (role_id, code) = (role_id.to_owned(), code.to_owned());
    kit::db_tx!(db, |conn| -> AuthzError, async move {
        let role: RoleRow = roles::table
            .find(&role_id)
            .select(RoleRow::as_select())
            .first(conn)
            .await
            .optional()?
            .ok_or(AuthzError::NotFound("role"))?;
        let known: i64 = permissions::table
            .filter(permissions::code.eq(&code))
            .count()
            .get_result(conn)
            .await?;
        if known == 0 {
            return Err(AuthzError::UnknownPermission(code));
        }
        if !grant && role.name == super::ADMIN {
            return Err(AuthzError::BuiltIn(role.name, "stripped of a permission"));
        }
        let held = role_permissions::table
            .filter(role_permissions::role_id.eq(&role_id))
            .filter(role_permissions::permission_code.eq(&code));
        let held_now: i64 = held.count().get_result(conn).await?;
        let changed = if grant && held_now == 0 {
            diesel::insert_into(role_permissions::table)
                .values((
                    role_permissions::role_id.eq(&role_id),
                    role_permissions::permission_code.eq(&code),
                ))
                .execute(conn)
                .await?;
            true
        } else if !grant && held_now > 0 {
            diesel::delete(
                role_permissions::table
                    .filter(role_permissions::role_id.eq(&role_id))
                    .filter(role_permissions::permission_code.eq(&code)),
            )
            .execute(conn)
            .await?;
            true
        } else {
            false
        };
        if changed {
            enqueue(conn, &[event(&role)]).await?;
        }
        Ok(role)
    })
}
