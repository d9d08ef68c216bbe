//! Identity's typed configuration: the `identity:` section of the platform config.
//!
//! Every field has a default so a development setup needs nothing; `validate` rejects values
//! that would make the service unsafe or unusable, naming the key.

use kit::config::Secret;
use serde::Deserialize;

/// The `identity:` section.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// `iss` claim of access tokens; verifiers must expect the same value.
    pub issuer: String,
    /// `aud` claim of access tokens.
    pub audience: String,
    pub tokens: TokenLifetimes,
    pub password: PasswordConfig,
    pub lockout: LockoutPolicy,
    pub mail: MailConfig,
    pub bootstrap_admin: Option<BootstrapAdmin>,
    /// Encrypts signing keys at rest (ChaCha20-Poly1305). Recommended in production; changing
    /// it makes existing keys unreadable (rotate keys first, or keep the old secret).
    pub key_encryption_secret: Option<Secret>,
    /// How often (seconds) the signing-key snapshot is reloaded from the database, so a key
    /// rotated by another process is picked up.
    pub key_refresh_seconds: u64,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            issuer: "platform-identity".into(),
            audience: "platform".into(),
            tokens: TokenLifetimes::default(),
            password: PasswordConfig::default(),
            lockout: LockoutPolicy::default(),
            mail: MailConfig::default(),
            bootstrap_admin: None,
            key_encryption_secret: None,
            key_refresh_seconds: 30,
        }
    }
}

/// Token lifetimes in seconds.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenLifetimes {
    pub access_seconds: u64,
    pub refresh_seconds: u64,
    pub email_verification_seconds: u64,
    pub password_reset_seconds: u64,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            access_seconds: 15 * 60,
            refresh_seconds: 7 * 24 * 3600,
            email_verification_seconds: 24 * 3600,
            password_reset_seconds: 3600,
        }
    }
}

/// Argon2id cost parameters and password rules. Defaults are the argon2 crate's defaults
/// (19 MiB, 2 passes, 1 lane); tests configure cheaper ones.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordConfig {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub min_length: usize,
    pub max_length: usize,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        Self {
            memory_kib: argon2::Params::DEFAULT_M_COST,
            iterations: argon2::Params::DEFAULT_T_COST,
            parallelism: argon2::Params::DEFAULT_P_COST,
            min_length: 10,
            max_length: 256,
        }
    }
}

/// Brute-force protection for `login`, applied per account (normalized email) and per client IP.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LockoutPolicy {
    /// Failures counted are those newer than this window (and newer than the last success).
    pub window_seconds: u64,
    /// Failures for one account before it is locked.
    pub max_account_failures: u32,
    /// Failures from one IP before it is locked.
    pub max_ip_failures: u32,
    /// How long a lockout lasts after the failure that triggered it.
    pub lockout_seconds: u64,
    /// Backoff after the n-th failure is `backoff_base_ms * 2^(n-1)`, capped; 0 disables it.
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            window_seconds: 15 * 60,
            max_account_failures: 5,
            max_ip_failures: 50,
            lockout_seconds: 15 * 60,
            backoff_base_ms: 250,
            backoff_max_ms: 30_000,
        }
    }
}

/// Which mailer delivers verification and reset mail.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// `outbox` (dev: rows in the mail outbox table) or `smtp`.
    pub transport: MailTransport,
    pub from: String,
    /// Base URL of the web page that receives `?token=` links.
    pub link_base_url: String,
    pub smtp: Option<SmtpConfig>,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            transport: MailTransport::Outbox,
            from: "Platform <no-reply@localhost>".into(),
            link_base_url: "http://localhost:4000".into(),
            smtp: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MailTransport {
    Outbox,
    Smtp,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// `starttls` (default), `tls` (implicit TLS) or `none` (local relays only).
    #[serde(default)]
    pub security: SmtpSecurity,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    #[default]
    Starttls,
    Tls,
    None,
}

/// The first administrator, created at startup when the user table is empty.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapAdmin {
    pub email: String,
    /// No default: set it in config or `PLATFORM__IDENTITY__BOOTSTRAP_ADMIN__PASSWORD`.
    pub password: Secret,
    #[serde(default)]
    pub username: Option<String>,
}

/// A configuration value that cannot be used, named by its key.
#[derive(Debug, thiserror::Error)]
#[error("identity.{key}: {reason}")]
pub struct ConfigError {
    pub key: &'static str,
    pub reason: String,
}

impl IdentityConfig {
    /// Checks values the types cannot express; in production also refuses development-only
    /// secrets (`dev-...`).
    pub fn validate(&self, production: bool) -> Result<(), ConfigError> {
        let err = |key, reason: &str| {
            Err(ConfigError {
                key,
                reason: reason.into(),
            })
        };
        if self.issuer.trim().is_empty() {
            return err("issuer", "must not be empty");
        }
        if self.audience.trim().is_empty() {
            return err("audience", "must not be empty");
        }
        if self.tokens.access_seconds == 0 {
            return err("tokens.access_seconds", "must be positive");
        }
        if self.tokens.refresh_seconds < self.tokens.access_seconds {
            return err(
                "tokens.refresh_seconds",
                "must not be shorter than tokens.access_seconds",
            );
        }
        if self.tokens.email_verification_seconds == 0 {
            return err("tokens.email_verification_seconds", "must be positive");
        }
        if self.tokens.password_reset_seconds == 0 {
            return err("tokens.password_reset_seconds", "must be positive");
        }
        if let Err(e) = argon2::Params::new(
            self.password.memory_kib,
            self.password.iterations,
            self.password.parallelism,
            None,
        ) {
            return err("password", &format!("invalid argon2 parameters: {e}"));
        }
        if self.password.min_length < 8 {
            return err("password.min_length", "must be at least 8");
        }
        if self.password.max_length < self.password.min_length {
            return err(
                "password.max_length",
                "must not be below password.min_length",
            );
        }
        if self.lockout.max_account_failures == 0 {
            return err("lockout.max_account_failures", "must be positive");
        }
        if self.lockout.max_ip_failures == 0 {
            return err("lockout.max_ip_failures", "must be positive");
        }
        if self.mail.transport == MailTransport::Smtp && self.mail.smtp.is_none() {
            return err("mail.smtp", "required when mail.transport is smtp");
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return err("mail.from", "is not a valid mailbox");
        }
        if let Some(admin) = &self.bootstrap_admin {
            if crate::validate::email(&admin.email).is_err() {
                return err("bootstrap_admin.email", "is not a valid email address");
            }
            if admin.password.expose().chars().count() < self.password.min_length {
                return err(
                    "bootstrap_admin.password",
                    "is shorter than password.min_length",
                );
            }
            if production && admin.password.is_dev_only() {
                return err(
                    "bootstrap_admin.password",
                    "is a development-only secret (dev-...); set a real one in production",
                );
            }
        }
        if production
            && self
                .key_encryption_secret
                .as_ref()
                .is_some_and(Secret::is_dev_only)
        {
            return err(
                "key_encryption_secret",
                "is a development-only secret (dev-...); set a real one in production",
            );
        }
        let smtp_password = self.mail.smtp.as_ref().and_then(|s| s.password.as_ref());
        if production && smtp_password.is_some_and(Secret::is_dev_only) {
            return err(
                "mail.smtp.password",
                "is a development-only secret (dev-...); set a real one in production",
            );
        }
        Ok(())
    }

    /// The longest lifetime of any JWT identity signs: a retired key stays in the JWKS this long.
    pub fn longest_jwt_seconds(&self) -> u64 {
        self.tokens.access_seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        IdentityConfig::default()
            .validate(true)
            .expect("defaults valid");
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut config = IdentityConfig::default();
        config.password.min_length = 3;
        let error = config.validate(false).expect_err("too short");
        assert_eq!(error.key, "password.min_length");

        let mut config = IdentityConfig::default();
        config.mail.transport = MailTransport::Smtp;
        assert_eq!(
            config.validate(false).expect_err("no smtp").key,
            "mail.smtp"
        );
    }

    #[test]
    fn production_refuses_development_secrets() {
        let config = IdentityConfig {
            bootstrap_admin: Some(BootstrapAdmin {
                email: "admin@example.org".into(),
                password: Secret::new("dev-admin-password"),
                username: None,
            }),
            ..IdentityConfig::default()
        };
        assert!(config.validate(false).is_ok());
        let error = config.validate(true).expect_err("dev secret in production");
        assert_eq!(error.key, "bootstrap_admin.password");
    }

    #[test]
    fn parses_yaml_section() {
        let config: IdentityConfig =
            serde_yaml::from_str("issuer: https://id.example\nlockout:\n  lockout_seconds: 2\n")
                .expect("valid section");
        assert_eq!(config.issuer, "https://id.example");
        assert_eq!(config.lockout.lockout_seconds, 2);
        assert_eq!(config.lockout.max_account_failures, 5);
    }
}
