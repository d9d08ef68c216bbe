//! The authz subgraph schema (async-graphql, Apollo Federation v2). Resolvers only translate;
//! the use cases live in [`crate::access`]. Every guarded field carries the same code in its
//! guard (`kit::auth::RequirePermission`) and in the SDL (`@requiresScopes`).

mod mutation;
mod query;
mod types;

use async_graphql::{EmptySubscription, ErrorExtensions, SDLExportOptions, Schema};
use kit::auth::AuthContext;
use kit::events::Actor;

use crate::access::Authz;
use crate::errors::AuthzError;

pub use mutation::Mutation;
pub use query::Query;
pub use types::{Permission, Role, User};

pub type AuthzSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn schema(authz: Authz) -> AuthzSchema {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .data(authz)
        .finish()
}

/// The subgraph SDL as composition sees it.
pub fn sdl() -> String {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation())
}

pub(crate) fn authz<'a>(ctx: &async_graphql::Context<'a>) -> async_graphql::Result<&'a Authz> {
    ctx.data::<Authz>()
}

pub(crate) fn gql<T>(result: Result<T, AuthzError>) -> async_graphql::Result<T> {
    result.map_err(|e| e.extend())
}

/// The event actor: the token's user, the request's address.
pub(crate) fn actor(ctx: &async_graphql::Context<'_>) -> Actor {
    let mut actor = ctx.data_opt::<Actor>().cloned().unwrap_or_default();
    if actor.id.is_none() {
        actor.id = AuthContext::of(ctx).user_id.clone();
    }
    actor
}

/// Oneself, or anyone with `authz.role.read`.
pub(crate) fn require_self_or_read(auth: &AuthContext, user_id: &str) -> async_graphql::Result<()> {
    if auth.require_user()? == user_id {
        return Ok(());
    }
    auth.require_scope(permissions::AUTHZ_ROLE_READ)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn sdl_scopes_are_declared_codes() {
        let sdl = super::sdl();
        let scoped: BTreeSet<&str> = sdl
            .split("@requiresScopes(scopes: [[\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        let expected: BTreeSet<&str> = permissions::MODULES
            .iter()
            .find(|m| m.module == "authz")
            .map(|m| m.permissions.iter().map(|p| p.code).collect())
            .unwrap_or_default();
        assert_eq!(scoped, expected, "{sdl}");
    }
}
