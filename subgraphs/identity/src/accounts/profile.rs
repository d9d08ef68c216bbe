//! Reading users, changing one's profile and password, deleting accounts.

use super::{Identity, IdentityError, RequestMeta, actor_of};
use crate::events;
use crate::password::Verified;
use crate::store::now_ms;
use crate::store::users::{self, ProfileChange, UserFilter, UserPage, UserRow};
use crate::validate;

/// The permission to read any user.
pub const USER_READ: &str = permissions::IDENTITY_USER_READ;
/// The permission to delete any user.
pub const USER_DELETE: &str = permissions::IDENTITY_USER_DELETE;

/// `updateProfile` arguments: absent fields stay as they are; an empty name clears it.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl Identity {
    /// Whether the caller may see `user_id`'s private fields and read them directly.
    pub fn may_read(&self, meta: &RequestMeta, user_id: &str) -> bool {
        meta.auth.user_id.as_deref() == Some(user_id) || meta.auth.has_scope(USER_READ)
    }

    /// `user(id)`: oneself, or anyone with `identity.user.read`.
    pub async fn user(
        &self,
        id: &str,
        meta: &RequestMeta,
    ) -> Result<Option<UserRow>, IdentityError> {
        meta.user()?;
        user_id_arg(id)?;
        if !self.may_read(meta, id) {
            return Err(IdentityError::Forbidden(USER_READ));
        }
        Ok(users::find_by_id(self.db(), id).await?)
    }

    /// `users(...)`: requires `identity.user.read`. `first` is 1..=100.
    pub async fn users(
        &self,
        filter: &UserFilter,
        first: i32,
        after: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<UserPage, IdentityError> {
        meta.user()?;
        if !meta.auth.has_scope(USER_READ) {
            return Err(IdentityError::Forbidden(USER_READ));
        }
        if !(1..=100).contains(&first) {
            return Err(IdentityError::invalid("first", "must be between 1 and 100"));
        }
        Ok(users::list(self.db(), filter, i64::from(first), after).await?)
    }

    pub async fn me(&self, meta: &RequestMeta) -> Result<Option<UserRow>, IdentityError> {
        match meta.auth.user_id.as_deref() {
            None => Ok(None),
            Some(id) => Ok(users::find_by_id(self.db(), id).await?),
        }
    }

    pub async fn update_profile(
        &self,
        input: ProfileInput,
        meta: &RequestMeta,
    ) -> Result<UserRow, IdentityError> {
        let user_id = meta.user()?.to_owned();
        let mut change = ProfileChange::default();
        let mut fields = Vec::new();
        if let Some(username) = &input.username {
            let username =
                validate::username(username).map_err(|m| IdentityError::invalid("username", m))?;
            change.username = Some(username);
            fields.push("username");
        }
        if let Some(name) = &input.first_name {
            change.first_name = Some(
                validate::person_name(Some(name))
                    .map_err(|m| IdentityError::invalid("firstName", m))?,
            );
            fields.push("firstName");
        }
        if let Some(name) = &input.last_name {
            change.last_name = Some(
                validate::person_name(Some(name))
                    .map_err(|m| IdentityError::invalid("lastName", m))?,
            );
            fields.push("lastName");
        }
        if fields.is_empty() {
            return Err(IdentityError::invalid("input", "names no field to change"));
        }
        let db = self.db();
        if let Some(username) = &change.username
            && users::username_taken(db, username, Some(&user_id)).await?
        {
            return Err(IdentityError::invalid("username", "is already taken"));
        }
        let event = events::user_updated(&user_id, &fields, &actor_of(meta));
        users::update_profile(db, &user_id, change, now_ms(), vec![event])
            .await
            .map_err(|e| match e {
                crate::store::WriteError::Taken { .. } => {
                    IdentityError::invalid("username", "is already taken")
                }
                other => other.into(),
            })?
            .ok_or(IdentityError::Unauthenticated)
    }

    /// Changes the caller's password after checking the current one; every other session ends.
    pub async fn change_password(
        &self,
        current: &str,
        new: &str,
        meta: &RequestMeta,
    ) -> Result<bool, IdentityError> {
        let user_id = meta.user()?.to_owned();
        if current.is_empty() {
            return Err(IdentityError::invalid("currentPassword", "is required"));
        }
        let policy = &self.config().password;
        validate::password(new, policy.min_length, policy.max_length)
            .map_err(|m| IdentityError::invalid("newPassword", m))?;
        let db = self.db();
        let stored = users::password_hash(db, &user_id).await?;
        if self.passwords().verify(current, stored.as_deref()).await? == Verified::No {
            return Err(IdentityError::invalid("currentPassword", "is incorrect"));
        }
        let hash = self.passwords().hash(new).await?;
        let event = events::password_changed(&user_id, "change", &actor_of(meta));
        users::set_password(
            db,
            &user_id,
            hash,
            now_ms(),
            meta.auth.session_id.clone(),
            vec![event],
        )
        .await?;
        Ok(true)
    }

    /// Deletes an account: one's own, or any with `identity.user.delete`.
    pub async fn delete_user(&self, id: &str, meta: &RequestMeta) -> Result<bool, IdentityError> {
        let caller = meta.user()?;
        user_id_arg(id)?;
        if caller != id && !meta.auth.has_scope(USER_DELETE) {
            return Err(IdentityError::Forbidden(USER_DELETE));
        }
        let event = events::user_deleted(id, &actor_of(meta));
        if !users::delete(self.db(), id, vec![event]).await? {
            return Err(IdentityError::invalid("id", "names no user"));
        }
        Ok(true)
    }
}

/// User ids are UUIDs; anything else is bad input rather than "not found".
fn user_id_arg(id: &str) -> Result<(), IdentityError> {
    uuid::Uuid::parse_str(id)
        .map(|_| ())
        .map_err(|_| IdentityError::invalid("id", "is not a user id"))
}
