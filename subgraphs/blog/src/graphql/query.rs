//! `Query`: `post`, `posts`, `comments`, and the entity resolvers for `User` and `Post`.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result};

use super::types::{Comment, Post, PostStatus, User, comments_page, posts_page};
use super::{IntoGraphql, blog, caller};
use crate::error::BlogError;
use crate::store::posts::{PostFilter, PostKey};

/// Narrows `posts`; every field is optional.
#[derive(InputObject, Default)]
pub struct PostsFilter {
    pub status: Option<PostStatus>,
    pub author_id: Option<ID>,
}

pub struct Query;

#[Object]
impl Query {
    /// One post by `id` or by `slug` (exactly one of them). Null when there is no such post
    /// or the caller may not see it (drafts: their author and `blog.post.read` only).
    async fn post(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Post>> {
        let key = match (id, slug) {
            (Some(id), None) => PostKey::Id(id.0),
            (None, Some(slug)) => PostKey::Slug(slug),
            _ => {
                return Err(BlogError::invalid(
                    "id",
                    "give exactly one of `id` and `slug`",
                ))
                .gql();
            }
        };
        Ok(blog(ctx)?.post(&caller(ctx), &key).await.gql()?.map(Post))
    }

    /// Posts, newest first. Without `blog.post.read`, only published posts and the caller's own.
    async fn posts(
        &self,
        ctx: &Context<'_>,
        filter: Option<PostsFilter>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, Post>> {
        let filter = filter.unwrap_or_default();
        let filter = PostFilter {
            status: filter.status.map(Into::into),
            author_id: filter.author_id.map(|id| id.0),
        };
        posts_page(ctx, filter, first, after).await
    }

    /// A visible post's comments, oldest first.
    async fn comments(
        &self,
        ctx: &Context<'_>,
        post_id: ID,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, Comment>> {
        comments_page(ctx, &post_id, first, after).await
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }

    #[graphql(entity)]
    async fn find_post_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Post>> {
        let key = PostKey::Id(id.0);
        Ok(blog(ctx)?.post(&caller(ctx), &key).await.gql()?.map(Post))
    }
}
