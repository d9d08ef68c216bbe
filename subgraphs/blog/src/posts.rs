//! The blog's use cases: validate the input, decide with [`crate::policy`], write through
//! [`crate::store`] with the matching event. Resolvers call these and only translate.

use kit::auth::AuthContext;
use kit::db::Db;
use kit::events::{Actor, RelayWaker};

use crate::error::BlogError;
use crate::store::comments::{self, CommentRow};
use crate::store::posts::{self, Change, PostChanges, PostFilter, PostKey, PostRow, PostStatus};
use crate::store::{Page, new_id, now_ms};
use crate::{events, policy, validate};

/// Who is asking: their token's context and the actor recorded on events.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub auth: AuthContext,
    pub actor: Actor,
}

/// Largest page a client may ask for.
pub const MAX_PAGE: i64 = 100;

/// A new post's input.
#[derive(Debug, Clone, Default)]
pub struct NewPost {
    pub title: String,
    pub content: String,
    /// Derived from the title when absent.
    pub slug: Option<String>,
}

/// An edit; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PostEdit {
    pub title: Option<String>,
    pub content: Option<String>,
    pub slug: Option<String>,
}

/// The blog's use cases over one database. Cheap to clone.
#[derive(Clone)]
pub struct Blog {
    db: Db,
    /// Wakes the outbox relay after a commit, so events reach the bus at once.
    relay: Option<RelayWaker>,
}

impl Blog {
    pub fn new(db: Db, relay: Option<RelayWaker>) -> Self {
        Self { db, relay }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    fn committed(&self) {
        if let Some(relay) = &self.relay {
            relay.wake();
        }
    }

    /// A post the caller may see, by id or slug; `None` when missing or hidden.
    pub async fn post(&self, caller: &Caller, key: &PostKey) -> Result<Option<PostRow>, BlogError> {
        Ok(posts::find(&self.db, key)
            .await?
            .filter(|post| policy::may_read(&caller.auth, post)))
    }

    pub async fn posts(
        &self,
        caller: &Caller,
        filter: &PostFilter,
        first: i64,
        after: Option<String>,
    ) -> Result<Page<PostRow>, BlogError> {
        check_page(first)?;
        posts::list(
            &self.db,
            filter,
            &policy::visibility(&caller.auth),
            first,
            after,
        )
        .await
    }

    /// Comments of a post the caller may see (`NOT_FOUND` otherwise), oldest first.
    pub async fn comments(
        &self,
        caller: &Caller,
        post_id: &str,
        first: i64,
        after: Option<String>,
    ) -> Result<Page<CommentRow>, BlogError> {
        check_page(first)?;
        if self
            .post(caller, &PostKey::Id(post_id.to_owned()))
            .await?
            .is_none()
        {
            return Err(BlogError::NotFound("post"));
        }
        comments::list(&self.db, post_id, first, after).await
    }

    /// Writes a draft by the caller (the guard has checked `blog.post.create`).
    pub async fn create_post(&self, caller: &Caller, input: NewPost) -> Result<PostRow, BlogError> {
        let author = policy::require_user(&caller.auth)?.to_owned();
        let title = validate::title(&input.title)?;
        let content = validate::content(&input.content)?;
        let slug = match input.slug {
            Some(slug) => validate::slug(&slug)?,
            None => validate::slug_from_title(&title),
        };
        let now = now_ms();
        let post = PostRow {
            id: new_id(),
            author_id: author,
            title,
            content,
            slug,
            status: PostStatus::Draft.as_str().to_owned(),
            published_at: None,
            created_at: now,
            updated_at: now,
        };
        let event = events::post_created(&post, &caller.actor);
        let post = posts::insert(&self.db, post, vec![event]).await?;
        self.committed();
        Ok(post)
    }

    pub async fn update_post(
        &self,
        caller: &Caller,
        id: &str,
        edit: PostEdit,
    ) -> Result<PostRow, BlogError> {
        let title = edit.title.as_deref().map(validate::title).transpose()?;
        let content = edit.content.as_deref().map(validate::content).transpose()?;
        let slug = edit.slug.as_deref().map(validate::slug).transpose()?;
        let fields: Vec<&str> = [
            ("title", title.is_some()),
            ("content", content.is_some()),
            ("slug", slug.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        if fields.is_empty() {
            return Err(BlogError::invalid("input", "nothing to change"));
        }
        let changes = PostChanges {
            title,
            content,
            slug,
            updated_at: Some(now_ms()),
            ..PostChanges::default()
        };
        let post = posts::change(&self.db, id, |current| {
            policy::check_update(&caller.auth, current)?;
            let after = apply(current, &changes);
            Ok(Change {
                changes: changes.clone(),
                events: vec![events::post_updated(&after, &fields, &caller.actor)],
            })
        })
        .await?;
        self.committed();
        Ok(post)
    }

    pub async fn publish_post(&self, caller: &Caller, id: &str) -> Result<PostRow, BlogError> {
        let now = now_ms();
        let post = posts::change(&self.db, id, |current| {
            policy::check_publish(&caller.auth, current)?;
            let changes = PostChanges {
                status: Some(PostStatus::Published.as_str().to_owned()),
                published_at: Some(Some(now)),
                updated_at: Some(now),
                ..PostChanges::default()
            };
            let after = apply(current, &changes);
            Ok(Change {
                changes,
                events: vec![events::post_published(&after, &caller.actor)],
            })
        })
        .await?;
        self.committed();
        Ok(post)
    }

    pub async fn archive_post(&self, caller: &Caller, id: &str) -> Result<PostRow, BlogError> {
        let now = now_ms();
        let post = posts::change(&self.db, id, |current| {
            policy::check_archive(&caller.auth, current)?;
            let changes = PostChanges {
                status: Some(PostStatus::Archived.as_str().to_owned()),
                updated_at: Some(now),
                ..PostChanges::default()
            };
            let after = apply(current, &changes);
            Ok(Change {
                changes,
                events: vec![events::post_archived(&after, &caller.actor)],
            })
        })
        .await?;
        self.committed();
        Ok(post)
    }

    pub async fn delete_post(&self, caller: &Caller, id: &str) -> Result<PostRow, BlogError> {
        let post = posts::delete(&self.db, id, |current| {
            // A post the caller cannot see is "not found", not "forbidden".
            if !policy::may_read(&caller.auth, current) {
                return Err(BlogError::NotFound("post"));
            }
            policy::check_delete(&caller.auth, current)?;
            Ok(vec![events::post_deleted(current, &caller.actor)])
        })
        .await?;
        self.committed();
        Ok(post)
    }

    /// Comments on a published post (the guard has checked `blog.comment.create`).
    pub async fn add_comment(
        &self,
        caller: &Caller,
        post_id: &str,
        body: &str,
    ) -> Result<CommentRow, BlogError> {
        let author = policy::require_user(&caller.auth)?.to_owned();
        let comment = CommentRow {
            id: new_id(),
            post_id: post_id.to_owned(),
            author_id: author,
            body: validate::comment_body(body)?,
            created_at: now_ms(),
        };
        let event = events::comment_added(&comment, &caller.actor);
        let comment = comments::insert(
            &self.db,
            comment,
            |post| policy::check_comment(&caller.auth, post),
            vec![event],
        )
        .await?;
        self.committed();
        Ok(comment)
    }

    pub async fn delete_comment(&self, caller: &Caller, id: &str) -> Result<CommentRow, BlogError> {
        let comment = comments::delete(&self.db, id, |comment, post| {
            if !policy::may_read(&caller.auth, post) {
                return Err(BlogError::NotFound("comment"));
            }
            policy::check_delete_comment(&caller.auth, comment)?;
            Ok(vec![events::comment_deleted(comment, &caller.actor)])
        })
        .await?;
        self.committed();
        Ok(comment)
    }
}

fn check_page(first: i64) -> Result<(), BlogError> {
    if (0..=MAX_PAGE).contains(&first) {
        Ok(())
    } else {
        Err(BlogError::invalid(
            "first",
            format!("must be between 0 and {MAX_PAGE}"),
        ))
    }
}

/// The row as it will be once `changes` apply (for the event's data).
fn apply(current: &PostRow, changes: &PostChanges) -> PostRow {
    let mut row = current.clone();
    if let Some(title) = &changes.title {
        row.title.clone_from(title);
    }
    if let Some(content) = &changes.content {
        row.content.clone_from(content);
    }
    if let Some(slug) = &changes.slug {
        row.slug.clone_from(slug);
    }
    if let Some(status) = &changes.status {
        row.status.clone_from(status);
    }
    if let Some(published_at) = changes.published_at {
        row.published_at = published_at;
    }
    if let Some(updated_at) = changes.updated_at {
        row.updated_at = updated_at;
    }
    row
}
