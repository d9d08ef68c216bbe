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

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

    use super::*;
    use crate::config::SmtpConfig;

    /// A minimal SMTP server on loopback: accepts one message and returns its envelope and data.
    async fn fake_smtp() -> (u16, tokio::task::JoinHandle<(Vec<String>, String)>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let task = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.expect("accept");
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 fake ESMTP\r\n").await.expect("greet");
            let mut commands = Vec::new();
            let mut data = String::new();
            while let Some(line) = lines.next_line().await.expect("read") {
                let verb = line
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_uppercase();
                commands.push(line.clone());
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 fake\r\n",
                    "DATA" => {
                        write.write_all(b"354 go on\r\n").await.expect("354");
                        while let Some(body) = lines.next_line().await.expect("data") {
                            if body == "." {
                                break;
                            }
                            data.push_str(&body);
                            data.push('\n');
                        }
                        b"250 queued\r\n"
                    }
                    "QUIT" => {
                        write.write_all(b"221 bye\r\n").await.expect("221");
                        break;
                    }
                    _ => b"250 ok\r\n",
                };
                write.write_all(reply).await.expect("reply");
                if verb == "DATA" {
                    break;
                }
            }
            (commands, data)
        });
        (port, task)
    }

    #[tokio::test]
    async fn smtp_mailer_delivers_to_the_relay() {
        let (port, server) = fake_smtp().await;
        let config = MailConfig {
            transport: MailTransport::Smtp,
            from: "Platform <no-reply@example.org>".into(),
            link_base_url: "http://localhost".into(),
            smtp: Some(SmtpConfig {
                host: "127.0.0.1".into(),
                port: Some(port),
                username: None,
                password: None,
                security: SmtpSecurity::None,
            }),
        };
        let mailer = SmtpMailer::new(&config).expect("mailer");
        mailer
            .send(verification_mail(
                "ada@example.org",
                "http://app",
                "TOKEN123",
                24,
            ))
            .await
            .expect("sent");
        let (commands, data) = server.await.expect("server");
        assert!(
            commands
                .iter()
                .any(|c| c == "MAIL FROM:<no-reply@example.org>"),
            "{commands:?}"
        );
        assert!(
            commands.iter().any(|c| c == "RCPT TO:<ada@example.org>"),
            "{commands:?}"
        );
        assert!(
            data.contains("Subject: Verify your email address"),
            "{data}"
        );
        assert!(data.contains("TOKEN123"), "{data}");
    }

    #[test]
    fn smtp_needs_its_settings_and_valid_addresses() {
        let mut config = MailConfig {
            transport: MailTransport::Smtp,
            ..MailConfig::default()
        };
        assert!(SmtpMailer::new(&config).is_err());
        config.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: None,
            username: None,
            password: None,
            security: SmtpSecurity::Starttls,
        });
        config.from = "not an address".into();
        assert!(matches!(
            SmtpMailer::new(&config),
            Err(MailError::Address { .. })
        ));
    }
}
