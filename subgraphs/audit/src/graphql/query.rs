//! `Query` of the audit subgraph.

use async_graphql::{Context, ID, Object, Result};
use time::OffsetDateTime;

use super::access::{require_read_all, require_read_user};
use super::connection::{AuditConnection, page};
use super::errors::{bad_input, internal};
use super::types::{AuditEntryFilter, AuditEntryNode, ChainVerification};
use super::user::User;
use crate::chain::{AuditChain, VerifyRange};

pub struct QueryRoot;

#[Object(name = "Query")]
impl QueryRoot {
    /// Audit entries matching `filter`, newest first. Needs `audit.entry.read`, unless the
    /// filter's `userId` is the caller's own id.
    async fn audit_entries(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEntryFilter>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<AuditConnection> {
        let filter = filter.unwrap_or_default().into_filter();
        require_read_user(ctx, filter.user_id.as_deref())?;
        page(ctx, filter, first, after).await
    }

    /// One entry by id. Needs `audit.entry.read`, unless the caller is the entry's actor.
    async fn audit_entry(&self, ctx: &Context<'_>, id: ID) -> Result<Option<AuditEntryNode>> {
        let chain = ctx.data::<AuditChain>()?;
        // Fail early for anonymous callers, before touching the database.
        kit::auth::AuthContext::of(ctx).require_user()?;
        let entry = crate::query::get(chain.db(), &id).await.map_err(internal)?;
        match entry {
            None => {
                require_read_all(ctx)?;
                Ok(None)
            }
            Some(entry) => {
                require_read_user(ctx, entry.user_id.as_deref())?;
                Ok(Some(AuditEntryNode(entry)))
            }
        }
    }

    /// Recomputes the hash chain over the entries recorded between `from` and `to` (when audit
    /// recorded them; both optional, inclusive). Needs `audit.entry.read`.
    async fn verify_audit_chain(
        &self,
        ctx: &Context<'_>,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> Result<ChainVerification> {
        require_read_all(ctx)?;
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(bad_input("`from` is after `to`"));
        }
        let chain = ctx.data::<AuditChain>()?;
        let report = chain
            .verify(VerifyRange {
                from: from.map(kit::events::unix_millis),
                to: to.map(kit::events::unix_millis),
            })
            .await
            .map_err(internal)?;
        Ok(ChainVerification {
            valid: report.valid,
            checked: i64::try_from(report.checked).unwrap_or(i64::MAX),
            first_broken_entry: report.first_broken.map(AuditEntryNode),
        })
    }

    /// Federation entity resolver: any `User` reference resolves (identity owns users).
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }
}
