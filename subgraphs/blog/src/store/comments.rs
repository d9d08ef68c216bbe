//! Comments: add, find, delete, list.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::Db;
use kit::events::EventEnvelope;

use super::Page;
use super::posts::PostRow;
use super::schema::{comments, posts};
use crate::error::BlogError;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = comments)]
pub struct CommentRow {
    pub id: String,
    pub post_id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: i64,
}

/// Loads the comment's post, lets `check` accept it (the post must exist and take
/// comments), then inserts the comment and its events. One transaction.
pub async fn insert<F>(
    db: &Db,
    comment: CommentRow,
    check: F,
    events: Vec<EventEnvelope>,
) -> Result<CommentRow, BlogError>
where
    F: Fn(&PostRow) -> Result<(), BlogError> + Send + Sync,
{
    let check = &check;
    kit::db_tx!(db, |conn| -> BlogError, async move {
        let post: PostRow = posts::table
            .find(&comment.post_id)
            .select(PostRow::as_select())
            .first(conn)
            .await
            .optional()?
            .ok_or(BlogError::NotFound("post"))?;
        check(&post)?;
        diesel::insert_into(comments::table)
            .values(&comment)
            .execute(conn)
            .await?;
        kit::events::enqueue_all(conn, &events).await?;
        Ok(comment)
    })
}

/// Loads comment `id` with its post, lets `decide` check them and name the events, deletes
/// the comment and writes the events. One transaction.
pub async fn delete<F>(db: &Db, id: &str, decide: F) -> Result<CommentRow, BlogError>
where
    F: Fn(&CommentRow, &PostRow) -> Result<Vec<EventEnvelope>, BlogError> + Send + Sync,
{
    let id = id.to_owned();
    let decide = &decide;
    kit::db_tx!(db, |conn| -> BlogError, async move {
        let found: Option<(CommentRow, PostRow)> = comments::table
            .inner_join(posts::table)
            .filter(comments::id.eq(&id))
            .select((CommentRow::as_select(), PostRow::as_select()))
            .first(conn)
            .await
            .optional()?;
        let (comment, post) = found.ok_or(BlogError::NotFound("comment"))?;
        let events = decide(&comment, &post)?;
        diesel::delete(comments::table.find(&id))
            .execute(conn)
            .await?;
        kit::events::enqueue_all(conn, &events).await?;
        Ok(comment)
    })
}

/// A post's comments, oldest first, `first` at most, after the comment with id `after`.
pub async fn list(
    db: &Db,
    post_id: &str,
    first: i64,
    after: Option<String>,
) -> Result<Page<CommentRow>, BlogError> {
    let post_id = post_id.to_owned();
    let rows = kit::db_run!(db, |conn| -> BlogError, async move {
        let mut query = comments::table
            .filter(comments::post_id.eq(post_id))
            .select(CommentRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            query = query.filter(comments::id.gt(after));
        }
        Ok(query
            .order(comments::id.asc())
            .limit(first + 1)
            .load(conn)
            .await?)
    })?;
    Ok(Page::from_overfetch(rows, first))
}
