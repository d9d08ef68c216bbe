//! Development-only queries. Part of the development schema only (see `dev_schema`), so the
//! field does not exist at all in other environments.

use async_graphql::{Context, Object, SimpleObject};

use super::types::rfc3339_ms;
use super::{IntoGraphql as _, identity};
use crate::accounts::IdentityError;

/// A message the development mailer "sent".
#[derive(SimpleObject)]
pub struct DevMail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// RFC 3339.
    pub created_at: String,
}

#[derive(Default)]
pub struct DevMailQuery;

#[Object]
impl DevMailQuery {
    /// Mail in the development outbox, newest first.
    async fn dev_mails(
        &self,
        ctx: &Context<'_>,
        to: Option<String>,
        #[graphql(desc = "1 to 100; default 20")] first: Option<i32>,
    ) -> async_graphql::Result<Vec<DevMail>> {
        let first = first.unwrap_or(20);
        if !(1..=100).contains(&first) {
            return Err(IdentityError::invalid("first", "must be between 1 and 100").to_graphql());
        }
        let identity = identity(ctx)?;
        let rows = crate::mail::dev_outbox(identity.db(), to.as_deref(), i64::from(first))
            .await
            .map_err(IdentityError::from)
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|row| DevMail {
                id: row.id,
                to: row.recipient,
                subject: row.subject,
                body: row.body,
                created_at: rfc3339_ms(row.created_at),
            })
            .collect())
    }
}
