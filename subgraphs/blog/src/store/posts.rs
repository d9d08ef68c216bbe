//! Posts: insert, find, change, list.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::Db;
use kit::events::EventEnvelope;

use super::schema::posts;
use super::{Page, is_slug_taken};
use crate::error::BlogError;

/// Post lifecycle states, stored as their GraphQL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostStatus {
    Draft,
    Published,
    Archived,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::Published => "PUBLISHED",
            Self::Archived => "ARCHIVED",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "DRAFT" => Some(Self::Draft),
            "PUBLISHED" => Some(Self::Published),
            "ARCHIVED" => Some(Self::Archived),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = posts)]
pub struct PostRow {
    pub id: String,
    pub author_id: String,
    pub title: String,
    pub content: String,
    pub slug: String,
    pub status: String,
    pub published_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl PostRow {
    /// The stored status; an unknown value (written by hand) reads as a draft, the most hidden.
    pub fn status(&self) -> PostStatus {
        PostStatus::parse(&self.status).unwrap_or(PostStatus::Draft)
    }
}

/// The editable fields; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = posts)]
pub struct PostChanges {
    pub title: Option<String>,
    pub content: Option<String>,
    pub slug: Option<String>,
    pub status: Option<String>,
    pub published_at: Option<Option<i64>>,
    pub updated_at: Option<i64>,
}

/// How to find one post.
#[derive(Debug, Clone)]
pub enum PostKey {
    Id(String),
    Slug(String),
}

/// Which posts a listing may return: everything, or published posts plus the caller's own.
#[derive(Debug, Clone)]
pub enum Visibility {
    All,
    PublishedOr { author_id: Option<String> },
}

#[derive(Debug, Clone, Default)]
pub struct PostFilter {
    pub status: Option<PostStatus>,
    pub author_id: Option<String>,
}

fn slug_error(error: diesel::result::Error) -> BlogError {
    if is_slug_taken(&error) {
        BlogError::invalid("slug", "is already taken")
    } else {
        error.into()
    }
}

/// Inserts `post` and its events in one transaction.
pub async fn insert(
    db: &Db,
    post: PostRow,
    events: Vec<EventEnvelope>,
) -> Result<PostRow, BlogError> {
    kit::db_tx!(db, |conn| -> BlogError, async move {
        diesel::insert_into(posts::table)
            .values(&post)
            .execute(conn)
            .await
            .map_err(slug_error)?;
        kit::events::enqueue_all(conn, &events).await?;
        Ok(post)
    })
}

pub async fn find(db: &Db, key: &PostKey) -> Result<Option<PostRow>, BlogError> {
    let key = key.clone();
    kit::db_run!(db, |conn| -> BlogError, async move {
        let query = posts::table.select(PostRow::as_select()).into_boxed();
        let query = match key {
            PostKey::Id(id) => query.filter(posts::id.eq(id)),
            PostKey::Slug(slug) => query.filter(posts::slug.eq(slug)),
        };
        Ok(query.first(conn).await.optional()?)
    })
}

/// What a change to an existing post does, decided by the caller from the current row
/// (inside the transaction, so the decision and the write see the same row).
pub struct Change {
    pub changes: PostChanges,
    pub events: Vec<EventEnvelope>,
}

/// Loads post `id`, lets `decide` check it and describe the change, applies it with its
/// events, and returns the updated row. All in one transaction.
pub async fn change<F>(db: &Db, id: &str, decide: F) -> Result<PostRow, BlogError>
where
    F: Fn(&PostRow) -> Result<Change, BlogError> + Send + Sync,
{
    let id = id.to_owned();
    let decide = &decide;
    kit::db_tx!(db, |conn| -> BlogError, async move {
        let current: PostRow = posts::table
            .find(&id)
            .select(PostRow::as_select())
            .first(conn)
            .await
            .optional()?
            .ok_or(BlogError::NotFound("post"))?;
        let Change { changes, events } = decide(&current)?;
        let updated: PostRow = diesel::update(posts::table.find(&id))
            .set(&changes)
            .returning(PostRow::as_returning())
            .get_result(conn)
            .await
            .map_err(slug_error)?;
        kit::events::enqueue_all(conn, &events).await?;
        Ok(updated)
    })
}

/// Loads post `id`, lets `decide` check it and name the events, then deletes it (its comments
/// go with it) and writes the events. One transaction.
pub async fn delete<F>(db: &Db, id: &str, decide: F) -> Result<PostRow, BlogError>
where
    F: Fn(&PostRow) -> Result<Vec<EventEnvelope>, BlogError> + Send + Sync,
{
    let id = id.to_owned();
    let decide = &decide;
    kit::db_tx!(db, |conn| -> BlogError, async move {
        let current: PostRow = posts::table
            .find(&id)
            .select(PostRow::as_select())
            .first(conn)
            .await
            .optional()?
            .ok_or(BlogError::NotFound("post"))?;
        let events = decide(&current)?;
        // Explicit rather than relying on ON DELETE CASCADE being enabled on the connection.
        diesel::delete(
            super::schema::comments::table.filter(super::schema::comments::post_id.eq(&id)),
        )
        .execute(conn)
        .await?;
        diesel::delete(posts::table.find(&id)).execute(conn).await?;
        kit::events::enqueue_all(conn, &events).await?;
        Ok(current)
    })
}

/// Posts newest first, `first` at most, after the post with id `after`.
pub async fn list(
    db: &Db,
    filter: &PostFilter,
    visibility: &Visibility,
    first: i64,
    after: Option<String>,
) -> Result<Page<PostRow>, BlogError> {
    let (filter, visibility) = (filter.clone(), visibility.clone());
    let rows = kit::db_run!(db, |conn| -> BlogError, async move {
        let mut query = posts::table.select(PostRow::as_select()).into_boxed();
        if let Some(status) = filter.status {
            query = query.filter(posts::status.eq(status.as_str()));
        }
        if let Some(author) = filter.author_id {
            query = query.filter(posts::author_id.eq(author));
        }
        match visibility {
            Visibility::All => {}
            Visibility::PublishedOr { author_id: None } => {
                query = query.filter(posts::status.eq(PostStatus::Published.as_str()));
            }
            Visibility::PublishedOr {
                author_id: Some(me),
            } => {
                query = query.filter(
                    posts::status
                        .eq(PostStatus::Published.as_str())
                        .or(posts::author_id.eq(me)),
                );
            }
        }
        if let Some(after) = after {
            query = query.filter(posts::id.lt(after));
        }
        Ok(query
            .order(posts::id.desc())
            .limit(first + 1)
            .load(conn)
            .await?)
    })?;
    Ok(Page::from_overfetch(rows, first))
}
