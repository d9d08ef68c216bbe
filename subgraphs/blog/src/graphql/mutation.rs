//! `Mutation`: post lifecycle and comments. Fields whose rule is only a permission carry the
//! kit's `RequirePermission` guard and `@requiresScopes`; the others mix ownership with
//! permissions and decide in [`crate::policy`].

use async_graphql::{Context, ID, InputObject, Object, Result};
use kit::auth::RequirePermission;

use super::types::{Comment, Post};
use super::{IntoGraphql, blog, caller};
use crate::posts::{NewPost, PostEdit};

#[derive(InputObject)]
pub struct CreatePostInput {
    pub title: String,
    #[graphql(default)]
    pub content: String,
    /// Lowercase letters, digits and hyphens; derived from the title when absent.
    pub slug: Option<String>,
}

/// Fields to change; absent ones stay as they are.
#[derive(InputObject)]
pub struct UpdatePostInput {
    pub title: Option<String>,
    pub content: Option<String>,
    pub slug: Option<String>,
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Writes a draft authored by the caller.
    #[graphql(
        guard = "RequirePermission(permissions::BLOG_POST_CREATE)",
        requires_scopes = "blog.post.create"
    )]
    async fn create_post(&self, ctx: &Context<'_>, input: CreatePostInput) -> Result<Post> {
        let input = NewPost {
            title: input.title,
            content: input.content,
            slug: input.slug,
        };
        blog(ctx)?
            .create_post(&caller(ctx), input)
            .await
            .gql()
            .map(Post)
    }

    /// The author edits their own drafts; `blog.post.update` edits any post.
    async fn update_post(&self, ctx: &Context<'_>, id: ID, input: UpdatePostInput) -> Result<Post> {
        let edit = PostEdit {
            title: input.title,
            content: input.content,
            slug: input.slug,
        };
        blog(ctx)?
            .update_post(&caller(ctx), &id, edit)
            .await
            .gql()
            .map(Post)
    }

    #[graphql(
        guard = "RequirePermission(permissions::BLOG_POST_PUBLISH)",
        requires_scopes = "blog.post.publish"
    )]
    async fn publish_post(&self, ctx: &Context<'_>, id: ID) -> Result<Post> {
        blog(ctx)?
            .publish_post(&caller(ctx), &id)
            .await
            .gql()
            .map(Post)
    }

    /// The author, or `blog.post.publish`.
    async fn archive_post(&self, ctx: &Context<'_>, id: ID) -> Result<Post> {
        blog(ctx)?
            .archive_post(&caller(ctx), &id)
            .await
            .gql()
            .map(Post)
    }

    /// The author deletes their own drafts; `blog.post.delete` deletes any post. Returns the
    /// deleted post's id.
    async fn delete_post(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let post = blog(ctx)?.delete_post(&caller(ctx), &id).await.gql()?;
        Ok(ID(post.id))
    }

    /// Comments on a published post.
    #[graphql(
        guard = "RequirePermission(permissions::BLOG_COMMENT_CREATE)",
        requires_scopes = "blog.comment.create"
    )]
    async fn add_comment(&self, ctx: &Context<'_>, post_id: ID, body: String) -> Result<Comment> {
        blog(ctx)?
            .add_comment(&caller(ctx), &post_id, &body)
            .await
            .gql()
            .map(Comment)
    }

    /// The comment's author, or `blog.comment.delete` / `blog.comment.moderate`. Returns the
    /// deleted comment's id.
    async fn delete_comment(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let comment = blog(ctx)?.delete_comment(&caller(ctx), &id).await.gql()?;
        Ok(ID(comment.id))
    }
}
