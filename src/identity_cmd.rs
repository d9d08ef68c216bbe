//! `platform keys rotate` and `platform mail`: identity's operator commands.
use anyhow::Context as _;
use clap::Subcommand;
use kit::config::extract_section;

use crate::cli::Loaded;
use crate::subgraphs;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a signing key; the current one stops signing and leaves the JWKS once every token
    /// it signed has expired.
    Rotate,
}

/// Identity's database, migrated (rotation and the mail outbox need its tables).
async fn identity_db(loaded: &Loaded) -> anyhow::Result<kit::db::Db> {
    let db = subgraphs::open_for_migration(loaded, "identity").await?;
    subgraphs::migrate_db("identity", &db).await?;
    Ok(db)
}

pub async fn keys(loaded: &Loaded, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Rotate => {
            let config: identity::IdentityConfig = extract_section(&loaded.figment, "identity")?;
            let db = identity_db(loaded).await?;
            let report = identity::signing::rotate_signing_key(&db, &config)
                .await
                .context("cannot rotate the signing key")?;
            println!("new signing key: {}", report.new_kid);
            for kid in &report.retiring {
                println!(
                    "retiring: {kid} (leaves the JWKS at unix ms {})",
                    report.retire_at
                );
            }
            Ok(())
        }
    }
}

/// Prints the development mail outbox (verification and reset links), newest first.
pub async fn mail(loaded: &Loaded, to: Option<&str>, limit: i64) -> anyhow::Result<()> {
    let db = identity_db(loaded).await?;
    let mails = identity::mail::dev_outbox(&db, to, limit)
        .await
        .context("cannot read the mail outbox")?;
    if mails.is_empty() {
        println!("no mail");
    }
    for mail in mails {
        println!(
            "--- to {} at unix ms {}\nsubject: {}\n\n{}\n",
            mail.recipient, mail.created_at, mail.subject, mail.body
        );
    }
    Ok(())
}
