//! The authz use cases, independent of GraphQL and HTTP: resolvers and the internal endpoint
//! translate their input, call one method here, and translate the result.

use std::collections::BTreeSet;
use std::sync::Arc;

use kit::db::Db;
use kit::events::Actor;

use crate::config::AuthzConfig;
use crate::errors::AuthzError;
use crate::events;
use crate::store::{self, ADMIN, AssignmentRow, RoleRow, USER, assignments, now_ms, roles};

/// A user's effective roles and permission codes, as they go into a token.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UserGrants {
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

/// The authz service's state. Cheap to clone.
#[derive(Clone)]
pub struct Authz {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    config: AuthzConfig,
}

impl Authz {
    pub fn new(db: Db, config: AuthzConfig) -> Self {
        Self {
            inner: Arc::new(Inner { db, config }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn config(&self) -> &AuthzConfig {
        &self.inner.config
    }

    /// The roles `user_id` holds now: `user` (implicit) and every unexpired assignment.
    pub async fn roles_of(&self, user_id: &str) -> Result<Vec<RoleRow>, AuthzError> {
        let mut held = assignments::roles_of(self.db(), user_id, now_ms()).await?;
        if !held.iter().any(|r| r.name == USER)
            && let Some(user) = roles::find_by_name(self.db(), USER).await?
        {
            held.insert(0, user);
        }
        Ok(held)
    }

    /// Role names and the union of their permission codes, both sorted.
    pub async fn grants(&self, user_id: &str) -> Result<UserGrants, AuthzError> {
        let held = self.roles_of(user_id).await?;
        let ids = held.iter().map(|r| r.id.clone()).collect();
        let codes: BTreeSet<String> = roles::grants_of(self.db(), ids)
            .await?
            .into_iter()
            .map(|(_, code)| code)
            .collect();
        let mut names: Vec<String> = held.into_iter().map(|r| r.name).collect();
        names.sort();
        Ok(UserGrants {
            roles: names,
            permissions: codes.into_iter().collect(),
        })
    }

    /// Whether `user_id` holds `code` now (by the database, not a token). Unknown codes are
    /// an input error.
    pub async fn authorize(&self, user_id: &str, code: &str) -> Result<bool, AuthzError> {
        self.known(code).await?;
        Ok(self
            .grants(user_id)
            .await?
            .permissions
            .iter()
            .any(|c| c == code))
    }

    /// The grants identity puts into a token. For the configured bootstrap admin's email,
    /// while nobody holds `admin`, first assigns `admin` (so the first administrator needs no
    /// one to grant it).
    pub async fn token_grants(
        &self,
        user_id: &str,
        email: Option<&str>,
    ) -> Result<UserGrants, AuthzError> {
        let bootstrap = self.config().bootstrap_admin_email.as_deref();
        if let (Some(email), Some(admin_email)) = (email, bootstrap)
            && email.trim().eq_ignore_ascii_case(admin_email.trim())
        {
            let now = now_ms();
            let row = AssignmentRow {
                user_id: user_id.to_owned(),
                role_id: String::new(),
                granted_by: Some("bootstrap".into()),
                granted_at: now,
                expires_at: None,
            };
            let event = events::role_assigned(user_id, ADMIN, None, &Actor::default());
            if assignments::assign_first_admin(self.db(), row, now, event).await? {
                tracing::info!(%user_id, "assigned admin to the bootstrap admin");
            }
        }
        self.grants(user_id).await
    }

    async fn known(&self, code: &str) -> Result<(), AuthzError> {
        if store::registry::exists(self.db(), code).await? {
            Ok(())
        } else {
            Err(AuthzError::UnknownPermission(code.to_owned()))
        }
    }

    pub async fn create_role(
        &self,
        name: &str,
        description: Option<String>,
        actor: &Actor,
    ) -> Result<RoleRow, AuthzError> {
        let name = validate_role_name(name)?;
        let now = now_ms();
        let row = RoleRow {
            id: uuid::Uuid::now_v7().to_string(),
            name: name.clone(),
            description: description.unwrap_or_default(),
            built_in: false,
            created_at: now,
            updated_at: now,
        };
        let event = events::role_created(&row.id, &name, actor);
        roles::create(self.db(), row, event).await
    }

    pub async fn update_role(
        &self,
        id: &str,
        name: Option<String>,
        description: Option<String>,
        actor: &Actor,
    ) -> Result<RoleRow, AuthzError> {
        let name = name.as_deref().map(validate_role_name).transpose()?;
        let actor = actor.clone();
        roles::update(self.db(), id, name, description, now_ms(), move |role| {
            events::role_updated(&role.id, &role.name, &actor)
        })
        .await
    }

    pub async fn delete_role(&self, id: &str, actor: &Actor) -> Result<(), AuthzError> {
        let actor = actor.clone();
        roles::delete(self.db(), id, move |role| {
            events::role_deleted(&role.id, &role.name, &actor)
        })
        .await
    }

    pub async fn grant(
        &self,
        role_id: &str,
        code: &str,
        actor: &Actor,
    ) -> Result<RoleRow, AuthzError> {
        let (actor, c) = (actor.clone(), code.to_owned());
        roles::set_grant(self.db(), role_id, code, true, move |role| {
            events::permission_granted(&role.id, &role.name, &c, &actor)
        })
        .await
    }

    pub async fn revoke(
        &self,
        role_id: &str,
        code: &str,
        actor: &Actor,
    ) -> Result<RoleRow, AuthzError> {
        let (actor, c) = (actor.clone(), code.to_owned());
        roles::set_grant(self.db(), role_id, code, false, move |role| {
            events::permission_revoked(&role.id, &role.name, &c, &actor)
        })
        .await
    }

    /// Assigns a role until `expires_at` (unix ms) or for good. The implicit `user` role
    /// cannot be assigned; an expiry in the past is refused.
    pub async fn assign(
        &self,
        user_id: &str,
        role_id: &str,
        expires_at: Option<i64>,
        actor: &Actor,
    ) -> Result<RoleRow, AuthzError> {
        let user_id = validate_user_id(user_id)?;
        let role = roles::find(self.db(), role_id)
            .await?
            .ok_or(AuthzError::NotFound("role"))?;
        if role.name == USER {
            return Err(AuthzError::BuiltIn(
                role.name,
                "assigned (every user holds it)",
            ));
        }
        let now = now_ms();
        if expires_at.is_some_and(|at| at <= now) {
            return Err(AuthzError::invalid("expiresAt must be in the future"));
        }
        let row = AssignmentRow {
            user_id: user_id.clone(),
            role_id: role.id.clone(),
            granted_by: actor.id.clone(),
            granted_at: now,
            expires_at,
        };
        let event = events::role_assigned(&user_id, &role.name, expires_at, actor);
        assignments::assign(self.db(), row, event).await?;
        Ok(role)
    }

    /// Revokes an assignment; refuses to remove the last admin. Returns whether the user held
    /// the role.
    pub async fn revoke_role(
        &self,
        user_id: &str,
        role_id: &str,
        actor: &Actor,
    ) -> Result<bool, AuthzError> {
        let role = roles::find(self.db(), role_id)
            .await?
            .ok_or(AuthzError::NotFound("role"))?;
        let event = events::role_revoked(user_id, &role.name, actor);
        assignments::revoke(self.db(), user_id, &role, now_ms(), event).await
    }
}

fn validate_role_name(name: &str) -> Result<String, AuthzError> {
    let name = name.trim();
    let ok = (2..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(AuthzError::invalid(
            "name must be 2-64 characters of a-z, 0-9, `_` or `-`, starting with a letter",
        ))
    }
}

fn validate_user_id(id: &str) -> Result<String, AuthzError> {
    uuid::Uuid::parse_str(id.trim())
        .map(|u| u.to_string())
        .map_err(|_| AuthzError::invalid("userId is not a user id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_checked() {
        assert!(validate_role_name("editor").is_ok());
        assert!(validate_role_name("blog-moderator_2").is_ok());
        assert!(validate_role_name("E").is_err());
        assert!(validate_role_name("1abc").is_err());
        assert!(validate_role_name("has space").is_err());
    }
}
