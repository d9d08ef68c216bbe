//! Login, refresh-token rotation and logout.

use super::{Identity, IdentityError, RequestMeta, actor_of, seconds_to_ms};
use crate::events;
use crate::password::Verified;
use crate::store::attempts::{self, AttemptRow};
use crate::store::now_ms;
use crate::store::sessions::{self, RefreshRow, Rotation};
use crate::store::users::{self, UserRow};
use crate::throttle;
use crate::tokens::{TokenSubject, issue_access_token, random_token, token_hash};
use crate::validate;

/// What `login` and `refreshToken` return.
#[derive(Debug, Clone)]
pub struct AuthPayload {
    pub access_token: String,
    pub refresh_token: String,
    /// When the access token expires, unix seconds.
    pub expires_at: i64,
    pub user: UserRow,
}

impl Identity {
    /// Checks credentials under brute-force throttling. The answer for a wrong password, an
    /// unknown email and a disabled account is the same, and costs the same time.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<AuthPayload, IdentityError> {
        if email.trim().is_empty() {
            return Err(IdentityError::invalid("email", "is required"));
        }
        if password.is_empty() {
            return Err(IdentityError::invalid("password", "is required"));
        }
        let db = self.db();
        let policy = &self.config().lockout;
        let account_key = validate::normalize_email(email);
        let ip = meta.client_ip().unwrap_or_default().to_owned();
        let now = now_ms();
        let window_start = now.saturating_sub(seconds_to_ms(policy.window_seconds));
        let (account, by_ip) = attempts::stats(db, &account_key, &ip, window_start).await?;
        let by_ip = if ip.is_empty() {
            throttle::FailureStats::default()
        } else {
            by_ip
        };
        let verdicts = [
            throttle::evaluate(policy, account, policy.max_account_failures, now),
            throttle::evaluate(policy, by_ip, policy.max_ip_failures, now),
        ];
        if let Some(retry_at) = verdicts.iter().filter_map(|v| v.retry_at()).max() {
            return Err(IdentityError::Throttled {
                retry_after_ms: retry_at.saturating_sub(now),
            });
        }

        let found = users::find_with_password(db, &account_key).await?;
        let stored = found.as_ref().and_then(|(_, hash)| hash.as_deref());
        let verified = self.passwords().verify(password, stored).await?;
        let user = match found {
            Some((user, _)) if verified.ok() && !user.disabled => user,
            found => {
                let user_id = found.as_ref().map(|(user, _)| user.id.clone());
                let reason = match &found {
                    None => "unknown_account",
                    Some((user, _)) if user.disabled && verified.ok() => "disabled",
                    Some(_) => "wrong_password",
                };
                self.record_failure(
                    &account_key,
                    &ip,
                    user_id.as_deref(),
                    reason,
                    (account.failures + 1, by_ip.failures + 1),
                    meta,
                )
                .await?;
                return Err(IdentityError::InvalidCredentials);
            }
        };

        let rehash = if verified == Verified::YesRehash {
            Some(self.passwords().hash(password).await?)
        } else {
            None
        };
        let family_id = uuid::Uuid::now_v7().to_string();
        let (refresh_token, row) = self.new_refresh_row(&user.id, &family_id, None);
        let access = self.access_token(&user, &family_id).await?;
        let attempt = AttemptRow {
            id: uuid::Uuid::now_v7().to_string(),
            account_key,
            client_ip: ip,
            succeeded: true,
            created_at: now_ms(),
        };
        let mut actor = actor_of(meta);
        actor.id = Some(user.id.clone());
        let event = events::user_logged_in(&user.id, &family_id, &actor);
        sessions::start(db, row, attempt, rehash, vec![event]).await?;
        Ok(AuthPayload {
            access_token: access.token,
            refresh_token,
            expires_at: access.expires_at,
            user,
        })
    }

    async fn record_failure(
        &self,
        account_key: &str,
        ip: &str,
        user_id: Option<&str>,
        reason: &str,
        (account_failures, ip_failures): (u32, u32),
        meta: &RequestMeta,
    ) -> Result<(), IdentityError> {
        let policy = &self.config().lockout;
        let now = now_ms();
        let actor = actor_of(meta);
        let until = now.saturating_add(seconds_to_ms(policy.lockout_seconds));
        let mut events = vec![events::login_failed(user_id, account_key, reason, &actor)];
        if throttle::locks_now(account_failures, policy.max_account_failures) {
            events.push(events::locked_out(
                user_id,
                account_key,
                "account",
                until,
                &actor,
            ));
        }
        if !ip.is_empty() && throttle::locks_now(ip_failures, policy.max_ip_failures) {
            events.push(events::locked_out(
                user_id,
                account_key,
                "ip",
                until,
                &actor,
            ));
        }
        let attempt = AttemptRow {
            id: uuid::Uuid::now_v7().to_string(),
            account_key: account_key.to_owned(),
            client_ip: ip.to_owned(),
            succeeded: false,
            created_at: now,
        };
        attempts::record_failure(self.db(), attempt, events).await?;
        Ok(())
    }

    /// Exchanges a refresh token for a new pair. The old token stops working; presenting it
    /// again revokes its whole family (whoever holds a copy loses the session too).
    pub async fn refresh(
        &self,
        refresh_token: &str,
        meta: &RequestMeta,
    ) -> Result<AuthPayload, IdentityError> {
        let refresh_token = refresh_token.trim();
        if refresh_token.is_empty() {
            return Err(IdentityError::invalid("refreshToken", "is required"));
        }
        let db = self.db();
        let now = now_ms();
        let Some(old) = sessions::find_by_hash(db, &token_hash(refresh_token)).await? else {
            return Err(IdentityError::InvalidRefreshToken);
        };
        let reused = old.rotated_at.is_some();
        if !reused && (old.revoked || old.expires_at <= now) {
            return Err(IdentityError::InvalidRefreshToken);
        }
        let user = users::find_by_id(db, &old.user_id)
            .await?
            .filter(|user| !user.disabled);
        let (new_token, new_row) =
            self.new_refresh_row(&old.user_id, &old.family_id, Some(old.id.clone()));
        let mut actor = actor_of(meta);
        actor.id = Some(old.user_id.clone());
        let reuse_event = events::session_reuse_detected(&old.user_id, &old.family_id, &actor);
        let Some(user) = user else {
            sessions::revoke_family(db, &old.user_id, &old.family_id, Vec::new()).await?;
            return Err(IdentityError::InvalidRefreshToken);
        };
        match sessions::rotate(db, &old, new_row, now, vec![reuse_event]).await? {
            Rotation::Rotated => {}
            Rotation::Reused => {
                tracing::warn!(
                    user_id = %old.user_id,
                    family_id = %old.family_id,
                    "refresh token reuse: session revoked"
                );
                return Err(IdentityError::InvalidRefreshToken);
            }
        }
        let access = self.access_token(&user, &old.family_id).await?;
        Ok(AuthPayload {
            access_token: access.token,
            refresh_token: new_token,
            expires_at: access.expires_at,
            user,
        })
    }

    /// Ends this session (the family of `refresh_token`, or the access token's session), or
    /// every session of the caller with `all`.
    pub async fn logout(
        &self,
        refresh_token: Option<&str>,
        all: bool,
        meta: &RequestMeta,
    ) -> Result<bool, IdentityError> {
        let db = self.db();
        let actor = actor_of(meta);
        if all {
            let user_id = meta.user()?;
            let event = events::logged_out(user_id, true, &actor);
            sessions::revoke_user(db, user_id, vec![event]).await?;
            return Ok(true);
        }
        let refresh_token = refresh_token.map(str::trim).filter(|t| !t.is_empty());
        let (user_id, family_id) = match (refresh_token, &meta.auth.session_id) {
            (Some(token), _) => {
                let row = sessions::find_by_hash(db, &token_hash(token))
                    .await?
                    .ok_or_else(|| IdentityError::invalid("refreshToken", "is not valid"))?;
                // A caller who is signed in may only end their own sessions.
                if meta
                    .auth
                    .user_id
                    .as_ref()
                    .is_some_and(|id| *id != row.user_id)
                {
                    return Err(IdentityError::invalid("refreshToken", "is not valid"));
                }
                (row.user_id, row.family_id)
            }
            (None, Some(session)) => (meta.user()?.to_owned(), session.clone()),
            (None, None) => {
                meta.user()?;
                return Err(IdentityError::invalid(
                    "refreshToken",
                    "is required when the access token names no session",
                ));
            }
        };
        let event = events::logged_out(&user_id, false, &actor);
        sessions::revoke_family(db, &user_id, &family_id, vec![event]).await?;
        Ok(true)
    }

    fn new_refresh_row(
        &self,
        user_id: &str,
        family_id: &str,
        rotated_from: Option<String>,
    ) -> (String, RefreshRow) {
        let token = random_token();
        let now = now_ms();
        let row = RefreshRow {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: user_id.to_owned(),
            token_hash: token_hash(&token),
            family_id: family_id.to_owned(),
            rotated_from,
            created_at: now,
            expires_at: now.saturating_add(seconds_to_ms(self.config().tokens.refresh_seconds)),
            rotated_at: None,
            revoked: false,
        };
        (token, row)
    }

    async fn access_token(
        &self,
        user: &UserRow,
        session_id: &str,
    ) -> Result<crate::tokens::AccessToken, IdentityError> {
        let grants = self.inner.roles.grants(&user.id).await?;
        let config = self.config();
        let subject = TokenSubject {
            user_id: &user.id,
            email: &user.email,
            session_id,
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Ok(issue_access_token(
            self.keys(),
            &subject,
            &grants,
            &config.issuer,
            &config.audience,
            config.tokens.access_seconds,
            now,
        )?)
    }
}
