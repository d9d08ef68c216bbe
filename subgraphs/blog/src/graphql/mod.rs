//! The blog subgraph schema (async-graphql, Apollo Federation v2): `Post`, `Comment`, and the
//! `User` entity (`@key(fields: "id")`, owned by identity) extended with `posts`. Resolvers
//! only translate; the rules live in [`crate::posts`] and [`crate::policy`].

mod connection;
mod mutation;
mod query;
mod types;

use async_graphql::{Context, EmptySubscription, ErrorExtensions, SDLExportOptions, Schema};
use kit::auth::AuthContext;
use kit::events::Actor;

use crate::error::BlogError;
use crate::posts::{Blog, Caller};

pub use mutation::Mutation;
pub use query::Query;
pub use types::{Comment, Post, PostStatus, User};

pub type BlogSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema with `blog` as data; the per-request auth context comes from the service.
pub fn schema(blog: Blog) -> BlogSchema {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .data(blog)
        .finish()
}

/// The subgraph SDL as composition sees it (federation directives included).
pub fn sdl() -> String {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation())
}

pub(crate) fn caller(ctx: &Context<'_>) -> Caller {
    Caller {
        auth: AuthContext::of(ctx).clone(),
        actor: ctx.data_opt::<Actor>().cloned().unwrap_or_default(),
    }
}

pub(crate) fn blog<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Blog> {
    ctx.data::<Blog>()
}

/// `?` on a blog result inside a resolver.
pub(crate) trait IntoGraphql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> IntoGraphql<T> for Result<T, BlogError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.extend())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_sdl_matches_the_code() {
        let committed = include_str!("../../../../schema/blog.graphql");
        assert_eq!(
            committed.trim_end(),
            super::sdl().trim_end(),
            "schema/blog.graphql is stale: `cargo run -- schema print blog > schema/blog.graphql`"
        );
    }

    #[test]
    fn sdl_extends_user_and_marks_guarded_fields_with_required_scopes() {
        let sdl = super::sdl();
        assert!(sdl.contains(r#"type User @key(fields: "id")"#), "{sdl}");
        assert!(sdl.contains(r#"type Post @key(fields: "id")"#), "{sdl}");
        assert!(
            sdl.contains(r#"createPost(input: CreatePostInput!): Post! @requiresScopes(scopes: [["blog.post.create"]])"#),
            "{sdl}"
        );
        assert!(
            sdl.contains(
                r#"publishPost(id: ID!): Post! @requiresScopes(scopes: [["blog.post.publish"]])"#
            ),
            "{sdl}"
        );
        assert!(sdl.contains("enum PostStatus"), "{sdl}");
    }
}
