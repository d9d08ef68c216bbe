//! Email verification and password reset: single-use tokens delivered by mail.

use super::{Identity, IdentityError, RequestMeta, actor_of, seconds_to_ms};
use crate::events;
use crate::mail::{reset_mail, verification_mail};
use crate::store::now_ms;
use crate::store::one_time::{self, OneTimeRow, Redemption};
use crate::store::users::{self, UserRow};
use crate::tokens::{random_token, token_hash};
use crate::validate;

impl Identity {
    /// Mails a verification link. Delivery failures are logged, not returned: the account
    /// exists either way, and the user can ask for another mail.
    pub(super) async fn send_verification(&self, email: &str, token: &str) {
        let config = self.config();
        let mail = verification_mail(
            email,
            &config.mail.link_base_url,
            token,
            config.tokens.email_verification_seconds / 3600,
        );
        if let Err(error) = self.inner.mailer.send(mail).await {
            tracing::error!(%error, "cannot send the verification mail");
        }
    }

    fn one_time_row(
        &self,
        user_id: &str,
        purpose: &str,
        lifetime_seconds: u64,
    ) -> (String, OneTimeRow) {
        let token = random_token();
        let now = now_ms();
        let row = OneTimeRow {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: user_id.to_owned(),
            purpose: purpose.to_owned(),
            token_hash: token_hash(&token),
            created_at: now,
            expires_at: now.saturating_add(seconds_to_ms(lifetime_seconds)),
            used_at: None,
        };
        (token, row)
    }

    /// Sends the signed-in user a new verification link (nothing when already verified).
    pub async fn request_email_verification(
        &self,
        meta: &RequestMeta,
    ) -> Result<bool, IdentityError> {
        let user_id = meta.user()?;
        let user = users::find_by_id(self.db(), user_id)
            .await?
            .ok_or(IdentityError::Unauthenticated)?;
        if user.email_verified {
            return Ok(true);
        }
        let (token, row) = self.one_time_row(
            &user.id,
            one_time::VERIFY_EMAIL,
            self.config().tokens.email_verification_seconds,
        );
        one_time::insert(self.db(), row, Vec::new()).await?;
        self.send_verification(&user.email, &token).await;
        Ok(true)
    }

    /// Marks the token's user verified. The token works once.
    pub async fn verify_email(
        &self,
        token: &str,
        meta: &RequestMeta,
    ) -> Result<UserRow, IdentityError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(IdentityError::invalid("token", "is required"));
        }
        let db = self.db();
        let now = now_ms();
        let row = one_time::find_valid(db, one_time::VERIFY_EMAIL, &token_hash(token), now)
            .await?
            .ok_or_else(|| IdentityError::invalid("token", "is invalid or expired"))?;
        let mut actor = actor_of(meta);
        actor.id.get_or_insert_with(|| row.user_id.clone());
        let event = events::email_verified(&row.user_id, &actor);
        if !one_time::redeem(db, &row, Redemption::VerifyEmail, now, vec![event]).await? {
            return Err(IdentityError::invalid("token", "is invalid or expired"));
        }
        users::find_by_id(db, &row.user_id)
            .await?
            .ok_or_else(|| IdentityError::invalid("token", "is invalid or expired"))
    }

    /// Mails a reset link when the account exists. The answer is the same either way, and the
    /// mail is sent in the background so the response time does not tell either.
    pub async fn request_password_reset(
        &self,
        email: &str,
        meta: &RequestMeta,
    ) -> Result<bool, IdentityError> {
        let email = validate::email(email).map_err(|m| IdentityError::invalid("email", m))?;
        let db = self.db();
        let Some((user, _)) =
            users::find_with_password(db, &validate::normalize_email(&email)).await?
        else {
            return Ok(true);
        };
        if user.disabled {
            return Ok(true);
        }
        let lifetime = self.config().tokens.password_reset_seconds;
        let (token, row) = self.one_time_row(&user.id, one_time::RESET_PASSWORD, lifetime);
        let event = events::password_reset_requested(&user.id, &actor_of(meta));
        one_time::insert(db, row, vec![event]).await?;
        let mail = reset_mail(
            &user.email,
            &self.config().mail.link_base_url,
            &token,
            lifetime / 60,
        );
        let identity = self.clone();
        tokio::spawn(async move {
            if let Err(error) = identity.inner.mailer.send(mail).await {
                tracing::error!(%error, "cannot send the password reset mail");
            }
        });
        Ok(true)
    }

    /// Sets a new password with a reset token and ends every session of the account.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        meta: &RequestMeta,
    ) -> Result<bool, IdentityError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(IdentityError::invalid("token", "is required"));
        }
        let policy = &self.config().password;
        validate::password(new_password, policy.min_length, policy.max_length)
            .map_err(|m| IdentityError::invalid("newPassword", m))?;
        let db = self.db();
        let now = now_ms();
        let row = one_time::find_valid(db, one_time::RESET_PASSWORD, &token_hash(token), now)
            .await?
            .ok_or_else(|| IdentityError::invalid("token", "is invalid or expired"))?;
        let password_hash = self.passwords().hash(new_password).await?;
        let mut actor = actor_of(meta);
        actor.id.get_or_insert_with(|| row.user_id.clone());
        let event = events::password_changed(&row.user_id, "reset", &actor);
        let redeemed = one_time::redeem(
            db,
            &row,
            Redemption::ResetPassword { password_hash },
            now_ms(),
            vec![event],
        )
        .await?;
        if !redeemed {
            return Err(IdentityError::invalid("token", "is invalid or expired"));
        }
        Ok(true)
    }
}
