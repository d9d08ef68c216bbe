use super::{Identity, IdentityError, RequestMeta, actor_of, seconds_to_ms};
use crate::events;
use crate::store::one_time::{self, OneTimeRow};
use crate::store::users::{self, CredentialRow, UserRow};
use crate::store::{self, now_ms};
use crate::tokens::{random_token, token_hash};
use crate::validate::{self, InvalidInput};

/// `register` arguments, unvalidated.
#[derive(Debug, Clone, Default)]
pub struct RegisterInput {
    pub email: String,
    pub username: String,
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// `register` arguments after validation.
pub(super) struct NewUser {
    pub email: String,
    pub username: String,
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl Identity {
    pub(super) fn validate_new_user(&self, input: &RegisterInput) -> Result<NewUser, InvalidInput> {
        let policy = &self.config().password;
        let email = validate::email(&input.email).map_err(|m| InvalidInput::new("email", m))?;
        let username =
            validate::username(&input.username).map_err(|m| InvalidInput::new("username", m))?;
        validate::password(&input.password, policy.min_length, policy.max_length)
            .map_err(|m| InvalidInput::new("password", m))?;
        let first_name = validate::person_name(input.first_name.as_deref())
            .map_err(|m| InvalidInput::new("firstName", m))?;
        let last_name = validate::person_name(input.last_name.as_deref())
            .map_err(|m| InvalidInput::new("lastName", m))?;
        Ok(NewUser {
            email,
            username,
            password: input.password.clone(),
            first_name,
            last_name,
        })
    }

    /// Creates an account and mails a verification link. Nothing is written for bad input; a
    /// taken email or username is reported on its field (also when two registrations race:
    /// the unique indexes decide).
    pub async fn register(
        &self,
        input: RegisterInput,
        meta: &RequestMeta,
    ) -> Result<UserRow, IdentityError> {
        let new = self.validate_new_user(&input)?;
        let user = self
            .create_user(new, false, meta, serde_json::Value::Null)
            .await?;
        Ok(user)
    }

    /// Inserts a validated user; `verified` users (the bootstrap admin) get no verification mail.
    pub(super) async fn create_user(
        &self,
        new: NewUser,
        verified: bool,
        meta: &RequestMeta,
        extra: serde_json::Value,
    ) -> Result<UserRow, IdentityError> {
        let db = self.db();
        let email_normalized = validate::normalize_email(&new.email);
        // Cheap checks first, so a taken email costs no password hashing; the unique indexes
        // still decide under concurrency.
        if users::email_taken(db, &email_normalized).await? {
            return Err(IdentityError::invalid("email", "is already registered"));
        }
        if users::username_taken(db, &new.username, None).await? {
            return Err(IdentityError::invalid("username", "is already taken"));
        }
        let password_hash = self.passwords().hash(&new.password).await?;
        let now = now_ms();
        let user = UserRow {
            id: uuid::Uuid::now_v7().to_string(),
            email: new.email,
            email_normalized,
            username: new.username,
            first_name: new.first_name,
            last_name: new.last_name,
            email_verified: verified,
            disabled: false,
            created_at: now,
            updated_at: now,
        };
        let credential = CredentialRow {
            user_id: user.id.clone(),
            password_hash,
            updated_at: now,
        };
        let verification = (!verified).then(|| {
            let token = random_token();
            let row = OneTimeRow {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: user.id.clone(),
                purpose: one_time::VERIFY_EMAIL.into(),
                token_hash: token_hash(&token),
                created_at: now,
                expires_at: now.saturating_add(seconds_to_ms(
                    self.config().tokens.email_verification_seconds,
                )),
                used_at: None,
            };
            (token, row)
        });
        let mut actor = actor_of(meta);
        actor.id.get_or_insert_with(|| user.id.clone());
        let mut created = events::user_created(&user.id, &user.email, &user.username, &actor);
        if let serde_json::Value::Object(extra) = extra
            && let serde_json::Value::Object(data) = &mut created.data
        {
            data.extend(extra);
        }
        let (token, row) = verification.unzip();
        users::insert(db, user.clone(), credential, row, vec![created])
            .await
            .map_err(|e| match e {
                store::WriteError::Taken { field: "username" } => {
                    IdentityError::invalid("username", "is already taken")
                }
                other => other.into(),
            })?;
        if let Some(token) = token {
            self.send_verification(&user.email, &token).await;
        }
        Ok(user)
    }
}
