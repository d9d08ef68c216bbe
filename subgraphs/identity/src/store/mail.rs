//! The development mail outbox: mail the dev mailer "sent", readable by `devMails` and
//! `platform mail`.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::{Db, DbError};

use super::schema::mail_outbox as mo;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = mo)]
pub struct MailRow {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
}

pub async fn insert(db: &Db, row: MailRow) -> Result<(), DbError> {
    kit::db_run!(db, |conn| async move {
        diesel::insert_into(mo::table)
            .values(&row)
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// Newest first; only mail to `recipient` (case-insensitive) when given.
pub async fn list(db: &Db, recipient: Option<&str>, limit: i64) -> Result<Vec<MailRow>, DbError> {
    let recipient = recipient.map(|r| r.trim().to_lowercase());
    kit::db_run!(db, |conn| async move {
        let mut query = mo::table
            .select(MailRow::as_select())
            .order((mo::created_at.desc(), mo::id.desc()))
            .limit(limit)
            .into_boxed();
        if let Some(recipient) = &recipient {
            query = query.filter(mo::recipient.eq(recipient.clone()));
        }
        Ok(query.load(conn).await?)
    })
}
