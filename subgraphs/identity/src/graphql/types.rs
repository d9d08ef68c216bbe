use async_graphql::{ComplexObject, ErrorExtensions, ID, Object, SimpleObject};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::accounts;
use crate::store::users::UserRow;

/// An account. `id`, `username` and the names are public (other subgraphs show authors);
/// `email` and the account state only to the user themself or with `identity.user.read`.
pub struct User {
    row: UserRow,
    /// The caller just proved they own this account (registered it, logged in, verified it),
    /// so private fields are shown even without a token.
    owner: bool,
}

impl User {
    /// A user seen by whoever is asking; private fields are checked per request.
    pub fn new(row: UserRow) -> Self {
        Self { row, owner: false }
    }

    /// A user returned to the person who just proved they own the account.
    pub fn owned(row: UserRow) -> Self {
        Self { row, owner: true }
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.row.id.clone())
    }

    async fn username(&self) -> &str {
        &self.row.username
    }

    async fn first_name(&self) -> Option<&str> {
        self.row.first_name.as_deref()
    }

    async fn last_name(&self) -> Option<&str> {
        self.row.last_name.as_deref()
    }

    /// RFC 3339.
    async fn created_at(&self) -> String {
        rfc3339_ms(self.row.created_at)
    }

    async fn email(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<&str> {
        self.private(ctx)?;
        Ok(&self.row.email)
    }

    async fn email_verified(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<bool> {
        self.private(ctx)?;
        Ok(self.row.email_verified)
    }

    async fn disabled(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<bool> {
        self.private(ctx)?;
        Ok(self.row.disabled)
    }

    /// RFC 3339.
    async fn updated_at(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<String> {
        self.private(ctx)?;
        Ok(rfc3339_ms(self.row.updated_at))
    }
}

impl User {
    fn private(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<()> {
        let meta = super::request_meta(ctx);
        if self.owner || super::identity(ctx)?.may_read(&meta, &self.row.id) {
            Ok(())
        } else {
            Err(
                async_graphql::Error::new("only the user or identity.user.read may see this field")
                    .extend_with(|_, e| {
                        e.set("code", "FORBIDDEN");
                        e.set("permission", accounts::USER_READ);
                    }),
            )
        }
    }
}

/// Tokens for a signed-in session.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AuthPayload {
    /// EdDSA JWT; send as `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque; exchange with `refreshToken` before it expires. Single use.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Access token expiry, unix seconds.
    pub expires_at: i64,
    #[graphql(skip)]
    pub user_row: UserRow,
}

#[ComplexObject]
impl AuthPayload {
    async fn user(&self) -> User {
        User::owned(self.user_row.clone())
    }
}

impl From<accounts::AuthPayload> for AuthPayload {
    fn from(payload: accounts::AuthPayload) -> Self {
        Self {
            access_token: payload.access_token,
            refresh_token: payload.refresh_token,
            token_type: "Bearer",
            expires_at: payload.expires_at,
            user_row: payload.user,
        }
    }
}

pub(crate) fn rfc3339_ms(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}
