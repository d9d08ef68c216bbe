//! Outgoing mail: a [`Mailer`] trait with the development outbox and production SMTP.

use futures::future::BoxFuture;
use kit::db::Db;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::config::{MailConfig, MailTransport, SmtpSecurity};
use crate::store;

/// One plain-text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid mail address {address:?}: {reason}")]
    Address { address: String, reason: String },
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("SMTP delivery failed: {0}")]
    Smtp(String),
    #[error("cannot store the mail: {0}")]
    Outbox(#[from] kit::db::DbError),
}

/// Delivers mail. Implementations must not block the runtime.
pub trait Mailer: Send + Sync {
    fn send<'a>(&'a self, mail: Mail) -> BoxFuture<'a, Result<(), MailError>>;
}

/// Development mailer: every message becomes a row of the mail outbox table.
pub struct OutboxMailer {
    db: Db,
}

impl OutboxMailer {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

impl Mailer for OutboxMailer {
    fn send<'a>(&'a self, mail: Mail) -> BoxFuture<'a, Result<(), MailError>> {
        Box::pin(async move {
            let row = store::mail::MailRow {
                id: uuid::Uuid::now_v7().to_string(),
                recipient: mail.to.trim().to_lowercase(),
                subject: mail.subject,
                body: mail.body,
                created_at: store::now_ms(),
            };
            store::mail::insert(&self.db, row).await?;
            Ok(())
        })
    }
}

/// Production mailer over SMTP (STARTTLS, implicit TLS, or plain for a local relay).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(config: &MailConfig) -> Result<Self, MailError> {
        let smtp = config
            .smtp
            .as_ref()
            .ok_or_else(|| MailError::Smtp("identity.mail.smtp is not configured".into()))?;
        let from = parse_mailbox(&config.from)?;
        let builder = match smtp.security {
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                    .map_err(|e| MailError::Smtp(e.to_string()))?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
                .map_err(|e| MailError::Smtp(e.to_string()))?,
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
            }
        };
        let builder = match smtp.port {
            Some(port) => builder.port(port),
            None => builder,
        };
        let builder = match (&smtp.username, &smtp.password) {
            (Some(user), Some(password)) => {
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()))
            }
            _ => builder,
        };
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, mail: Mail) -> BoxFuture<'a, Result<(), MailError>> {
        Box::pin(async move {
            let message = Message::builder()
                .from(self.from.clone())
                .to(parse_mailbox(&mail.to)?)
                .subject(mail.subject)
                .body(mail.body)
                .map_err(|e| MailError::Build(e.to_string()))?;
            self.transport
                .send(message)
                .await
                .map_err(|e| MailError::Smtp(e.to_string()))?;
            Ok(())
        })
    }
}

fn parse_mailbox(address: &str) -> Result<Mailbox, MailError> {
    address
        .parse()
        .map_err(|e: lettre::address::AddressError| MailError::Address {
            address: address.to_owned(),
            reason: e.to_string(),
        })
}

/// The mailer the configuration asks for.
pub fn from_config(config: &MailConfig, db: &Db) -> Result<Box<dyn Mailer>, MailError> {
    Ok(match config.transport {
        MailTransport::Outbox => Box::new(OutboxMailer::new(db.clone())),
        MailTransport::Smtp => Box::new(SmtpMailer::new(config)?),
    })
}

/// Mail in the development outbox, newest first: what `platform mail` prints.
pub async fn dev_outbox(
    db: &Db,
    recipient: Option<&str>,
    limit: i64,
) -> Result<Vec<store::mail::MailRow>, kit::db::DbError> {
    store::mail::list(db, recipient, limit).await
}

/// The verification message for `token`.
pub fn verification_mail(to: &str, link_base: &str, token: &str, valid_hours: u64) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Verify your email address".into(),
        body: format!(
            "Confirm your email address by opening\n\n  {link_base}/verify-email?token={token}\n\n\
             or by entering this code: {token}\n\nThe link is valid for {valid_hours} hours.\n"
        ),
    }
}

/// The password reset message for `token`.
pub fn reset_mail(to: &str, link_base: &str, token: &str, valid_minutes: u64) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Reset your password".into(),
        body: format!(
            "Someone asked to reset the password of this account. If it was you, open\n\n  \
             {link_base}/reset-password?token={token}\n\nor enter this code: {token}\n\n\
             The link is valid for {valid_minutes} minutes. If it was not you, ignore this mail.\n"
        ),
    }
}
