//! The `User` entity (owned by identity), extended with the user's audit trail.

use async_graphql::{Context, ID, Object, Result};

use super::access::require_read_user;
use super::connection::{AuditConnection, page};
use crate::query::EntryFilter;

pub struct User {
    pub id: ID,
}

#[Object]
impl User {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// What this user did, newest first. The user themself, or `audit.entry.read`.
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<AuditConnection> {
        require_read_user(ctx, Some(self.id.as_str()))?;
        let filter = EntryFilter {
            user_id: Some(self.id.0.clone()),
            ..EntryFilter::default()
        };
        page(ctx, filter, first, after).await
    }
}
