//! The permission registry and the built-in roles, brought in line with the manifests at
//! startup.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::Db;

use super::schema::{permissions, role_permissions, roles};
use super::{ADMIN, PermissionRow, RoleRow, USER, now_ms};
use crate::errors::AuthzError;

/// What a seed changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
}

/// Makes the registry equal `declared` (insert new codes, update changed descriptions, delete
/// removed codes with their grants), creates the built-in roles when missing, grants `admin`
/// every code and `user` the `user_defaults`. One transaction, so replicas starting together
/// see either the old registry or the new one.
pub async fn seed(
    db: &Db,
    declared: Vec<PermissionRow>,
    user_defaults: Vec<String>,
) -> Result<SeedReport, AuthzError> {
    let now = now_ms();
    let builtins = [
        (ADMIN, "Every permission; kept complete at each start."),
        (USER, "Held implicitly by every user."),
    ];
    kit::db_tx!(db, |conn| -> AuthzError, async move {
        let existing: Vec<PermissionRow> = permissions::table
            .select(PermissionRow::as_select())
            .load(conn)
            .await?;
        let mut report = SeedReport::default();
        for row in &declared {
            match existing.iter().find(|e| e.code == row.code) {
                None => {
                    diesel::insert_into(permissions::table)
                        .values(row)
                        .execute(conn)
                        .await?;
                    report.added.push(row.code.clone());
                }
                Some(old) if old.description != row.description || old.module != row.module => {
                    diesel::update(permissions::table.find(&row.code))
                        .set((
                            permissions::description.eq(&row.description),
                            permissions::module.eq(&row.module),
                        ))
                        .execute(conn)
                        .await?;
                    report.updated.push(row.code.clone());
                }
                Some(_) => {}
            }
        }
        for old in &existing {
            if !declared.iter().any(|d| d.code == old.code) {
                diesel::delete(
                    role_permissions::table.filter(role_permissions::permission_code.eq(&old.code)),
                )
                .execute(conn)
                .await?;
                diesel::delete(permissions::table.find(&old.code))
                    .execute(conn)
                    .await?;
                report.removed.push(old.code.clone());
            }
        }
        for (name, description) in builtins {
            let found: Option<String> = roles::table
                .filter(roles::name.eq(name))
                .select(roles::id)
                .first(conn)
                .await
                .optional()?;
            let role_id = match found {
                Some(id) => {
                    diesel::update(roles::table.find(&id))
                        .set(roles::built_in.eq(true))
                        .execute(conn)
                        .await?;
                    id
                }
                None => {
                    let row = RoleRow {
                        id: uuid::Uuid::now_v7().to_string(),
                        name: name.to_owned(),
                        description: description.to_owned(),
                        built_in: true,
                        created_at: now,
                        updated_at: now,
                    };
                    diesel::insert_into(roles::table)
                        .values(&row)
                        .execute(conn)
                        .await?;
                    row.id
                }
            };
            let wanted: Vec<&String> = if name == ADMIN {
                declared.iter().map(|d| &d.code).collect()
            } else {
                user_defaults.iter().collect()
            };
            let held: Vec<String> = role_permissions::table
                .filter(role_permissions::role_id.eq(&role_id))
                .select(role_permissions::permission_code)
                .load(conn)
                .await?;
            for code in wanted {
                if !held.contains(code) {
                    diesel::insert_into(role_permissions::table)
                        .values((
                            role_permissions::role_id.eq(&role_id),
                            role_permissions::permission_code.eq(code),
                        ))
                        .execute(conn)
                        .await?;
                }
            }
        }
        Ok(report)
    })
}

/// Every registered permission, optionally of one module, by code.
pub async fn list(db: &Db, module: Option<String>) -> Result<Vec<PermissionRow>, AuthzError> {
    Ok(kit::db_run!(db, |conn| async move {
        let mut query = permissions::table
            .select(PermissionRow::as_select())
            .order(permissions::code)
            .into_boxed();
        if let Some(module) = module {
            query = query.filter(permissions::module.eq(module));
        }
        Ok(query.load(conn).await?)
    })?)
}

/// Whether `code` is registered.
pub async fn exists(db: &Db, code: &str) -> Result<bool, AuthzError> {
    let code = code.to_owned();
    Ok(kit::db_run!(db, |conn| async move {
        let n: i64 = permissions::table
            .filter(permissions::code.eq(code))
            .count()
            .get_result(conn)
            .await?;
        Ok(n > 0)
    })?)
}
