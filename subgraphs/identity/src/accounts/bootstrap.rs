//! The first administrator, from `identity.bootstrap_admin`.

use super::register::RegisterInput;
use super::{Identity, IdentityError, RequestMeta};
use crate::store::users::{self, UserRow};

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(
        "refusing to start in production: there is no user and no identity.bootstrap_admin \
         (set PLATFORM__IDENTITY__BOOTSTRAP_ADMIN__EMAIL and __PASSWORD)"
    )]
    NoAdmin,
    #[error("identity.bootstrap_admin is invalid: {0}")]
    Invalid(String),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl Identity {
    /// Creates the bootstrap admin when there is no user yet. There is no default password:
    /// without a configured admin an empty production database is refused, and development
    /// starts with no user (register one).
    ///
    /// The `platform.user.created` event carries `"bootstrap": true`, so authz can grant the
    /// admin role to that user.
    pub async fn bootstrap(&self, production: bool) -> Result<Option<UserRow>, BootstrapError> {
        if users::count(self.db()).await.map_err(IdentityError::from)? > 0 {
            return Ok(None);
        }
        let Some(admin) = self.config().bootstrap_admin.clone() else {
            if production {
                return Err(BootstrapError::NoAdmin);
            }
            tracing::warn!("no users and no identity.bootstrap_admin: register the first user");
            return Ok(None);
        };
        let input = RegisterInput {
            email: admin.email,
            username: admin.username.unwrap_or_else(|| "admin".into()),
            password: admin.password.expose().to_owned(),
            first_name: None,
            last_name: None,
        };
        let new = self
            .validate_new_user(&input)
            .map_err(|e| BootstrapError::Invalid(e.to_string()))?;
        let meta = RequestMeta::default();
        match self
            .create_user(new, true, &meta, serde_json::json!({ "bootstrap": true }))
            .await
        {
            Ok(user) => {
                tracing::info!(user_id = %user.id, email = %user.email, "created the bootstrap admin");
                Ok(Some(user))
            }
            // Another replica created it first.
            Err(IdentityError::Invalid(input)) if input.field == "email" => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
