//! The identity subgraph schema (async-graphql, Apollo Federation v2): the `User` entity,
//! `me`/`user`/`users`, and the account mutations. Resolvers only translate; the use cases
//! live in [`crate::accounts`].

mod dev;
mod mutation;
mod query;
mod types;

use async_graphql::{EmptySubscription, MergedObject, SDLExportOptions, Schema};
use kit::auth::AuthContext;
use kit::events::Actor;

use crate::accounts::{Identity, IdentityError, RequestMeta};

pub use mutation::Mutation;
pub use query::UserQuery;
pub use types::{AuthPayload, User};

/// The root query served outside development.
#[derive(MergedObject, Default)]
pub struct Query(UserQuery);

/// The development root query: adds `devMails`.
#[derive(MergedObject, Default)]
pub struct DevQuery(UserQuery, dev::DevMailQuery);

pub type IdentitySchema = Schema<Query, Mutation, EmptySubscription>;
pub type DevIdentitySchema = Schema<DevQuery, Mutation, EmptySubscription>;

/// The production schema, with `identity` in its data.
pub fn schema(identity: Identity) -> IdentitySchema {
    Schema::build(Query::default(), Mutation, EmptySubscription)
        .enable_federation()
        .data(identity)
        .finish()
}

/// The development schema: the production one plus `devMails`.
pub fn dev_schema(identity: Identity) -> DevIdentitySchema {
    Schema::build(DevQuery::default(), Mutation, EmptySubscription)
        .enable_federation()
        .data(identity)
        .finish()
}

/// The subgraph SDL as composition sees it (production schema, federation directives).
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation, EmptySubscription)
        .enable_federation()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation())
}

/// The caller, from the per-request data the service attached.
pub(crate) fn request_meta(ctx: &async_graphql::Context<'_>) -> RequestMeta {
    RequestMeta {
        auth: AuthContext::of(ctx).clone(),
        actor: ctx.data_opt::<Actor>().cloned().unwrap_or_default(),
    }
}

pub(crate) fn identity<'a>(
    ctx: &async_graphql::Context<'a>,
) -> async_graphql::Result<&'a Identity> {
    ctx.data::<Identity>()
}

pub(crate) trait IntoGraphql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> IntoGraphql<T> for Result<T, IdentityError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.to_graphql())
    }
}
