use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, InputObject, Object};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::types::User;
use super::{IntoGraphql as _, identity, request_meta};
use crate::accounts::IdentityError;
use crate::store::users::{self, UserFilter};

/// Filters for `users`.
#[derive(InputObject, Default)]
pub struct UserFilterInput {
    /// Case-insensitive substring of the email or username.
    pub search: Option<String>,
    pub email_verified: Option<bool>,
    pub disabled: Option<bool>,
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user; null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let identity = identity(ctx)?;
        Ok(identity.me(&request_meta(ctx)).await.gql()?.map(User::new))
    }

    /// One user: oneself, or anyone with `identity.user.read`.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<User>> {
        let identity = identity(ctx)?;
        Ok(identity
            .user(&id, &request_meta(ctx))
            .await
            .gql()?
            .map(User::new))
    }

    /// All users, by creation order; requires `identity.user.read`.
    async fn users(
        &self,
        ctx: &Context<'_>,
        filter: Option<UserFilterInput>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, User>> {
        let identity = identity(ctx)?;
        let after = after
            .map(|cursor| decode_cursor(&cursor))
            .transpose()
            .gql()?;
        let filter = filter.unwrap_or_default();
        let filter = UserFilter {
            search: filter.search.filter(|s| !s.trim().is_empty()),
            email_verified: filter.email_verified,
            disabled: filter.disabled,
        };
        let page = identity
            .users(&filter, first, after.as_deref(), &request_meta(ctx))
            .await
            .gql()?;
        let mut connection = Connection::new(after.is_some(), page.has_next);
        connection.edges.extend(
            page.users
                .into_iter()
                .map(|user| Edge::new(URL_SAFE_NO_PAD.encode(&user.id), User::new(user))),
        );
        Ok(connection)
    }

    /// Federation entity resolver: any subgraph may reference a user by id. Private fields
    /// still check the caller.
    #[graphql(entity)]
    async fn find_user_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<User>> {
        let identity = identity(ctx)?;
        Ok(users::find_by_id(identity.db(), &id)
            .await
            .map_err(IdentityError::from)
            .gql()?
            .map(User::new))
    }
}

fn decode_cursor(cursor: &str) -> Result<String, IdentityError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .ok_or_else(|| IdentityError::invalid("after", "is not a cursor from this list"))
}
