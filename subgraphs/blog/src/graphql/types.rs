//! The output types: `Post`, `Comment`, `PostStatus`, and `User` (identity's entity, here
//! only its key and `posts`).

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, Object, Result};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::connection::{decode_cursor, page};
use super::{IntoGraphql, blog, caller};
use crate::store::comments::CommentRow;
use crate::store::posts::{self, PostFilter, PostKey, PostRow};

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum PostStatus {
    Draft,
    Published,
    Archived,
}

impl From<posts::PostStatus> for PostStatus {
    fn from(status: posts::PostStatus) -> Self {
        match status {
            posts::PostStatus::Draft => Self::Draft,
            posts::PostStatus::Published => Self::Published,
            posts::PostStatus::Archived => Self::Archived,
        }
    }
}

impl From<PostStatus> for posts::PostStatus {
    fn from(status: PostStatus) -> Self {
        match status {
            PostStatus::Draft => Self::Draft,
            PostStatus::Published => Self::Published,
            PostStatus::Archived => Self::Archived,
        }
    }
}

/// RFC 3339 with milliseconds, UTC.
pub(crate) fn rfc3339_ms(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_default()
}

pub struct Post(pub PostRow);

#[Object]
impl Post {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn content(&self) -> &str {
        &self.0.content
    }

    /// Unique; the post's address in URLs.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn status(&self) -> PostStatus {
        self.0.status().into()
    }

    async fn author(&self) -> User {
        User {
            id: ID(self.0.author_id.clone()),
        }
    }

    /// RFC 3339; set when the post was (last) published.
    async fn published_at(&self) -> Option<String> {
        self.0.published_at.map(rfc3339_ms)
    }

    /// RFC 3339.
    async fn created_at(&self) -> String {
        rfc3339_ms(self.0.created_at)
    }

    /// RFC 3339.
    async fn updated_at(&self) -> String {
        rfc3339_ms(self.0.updated_at)
    }

    /// Comments, oldest first.
    async fn comments(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, Comment>> {
        comments_page(ctx, &self.0.id, first, after).await
    }
}

pub struct Comment(pub CommentRow);

#[Object]
impl Comment {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn body(&self) -> &str {
        &self.0.body
    }

    async fn author(&self) -> User {
        User {
            id: ID(self.0.author_id.clone()),
        }
    }

    /// The post commented on; null when the caller may no longer see it.
    async fn post(&self, ctx: &Context<'_>) -> Result<Option<Post>> {
        let key = PostKey::Id(self.0.post_id.clone());
        Ok(blog(ctx)?.post(&caller(ctx), &key).await.gql()?.map(Post))
    }

    /// RFC 3339.
    async fn created_at(&self) -> String {
        rfc3339_ms(self.0.created_at)
    }
}

/// Identity's user, extended with the posts they wrote.
pub struct User {
    pub id: ID,
}

#[Object]
impl User {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// Posts by this user, newest first: published ones, plus drafts and archived posts when
    /// the caller is this user or holds `blog.post.read`.
    async fn posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, Post>> {
        let filter = PostFilter {
            status: None,
            author_id: Some(self.id.0.clone()),
        };
        posts_page(ctx, filter, first, after).await
    }
}

pub(crate) async fn posts_page(
    ctx: &Context<'_>,
    filter: PostFilter,
    first: i32,
    after: Option<String>,
) -> Result<Connection<String, Post>> {
    let after = decode_cursor("post", after)?;
    let had_cursor = after.is_some();
    let rows = blog(ctx)?
        .posts(&caller(ctx), &filter, i64::from(first), after)
        .await
        .gql()?;
    Ok(page("post", rows, had_cursor, |r| r.id.as_str(), Post))
}

pub(crate) async fn comments_page(
    ctx: &Context<'_>,
    post_id: &str,
    first: i32,
    after: Option<String>,
) -> Result<Connection<String, Comment>> {
    let after = decode_cursor("comment", after)?;
    let had_cursor = after.is_some();
    let rows = blog(ctx)?
        .comments(&caller(ctx), post_id, i64::from(first), after)
        .await
        .gql()?;
    Ok(page(
        "comment",
        rows,
        had_cursor,
        |r| r.id.as_str(),
        Comment,
    ))
}
