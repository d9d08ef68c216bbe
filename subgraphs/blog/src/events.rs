//! Blog's domain events, built here and written by the store in the transaction of the change
//! they describe. The types are the manifest's (`module.yaml`), as `permissions::events`.

use kit::events::{Actor, EventEnvelope, Subject};
use permissions::events as types;
use serde_json::json;

use crate::store::comments::CommentRow;
use crate::store::posts::PostRow;

fn post_event(
    kind: &str,
    post: &PostRow,
    actor: &Actor,
    extra: serde_json::Value,
) -> EventEnvelope {
    let mut data = json!({
        "title": post.title,
        "slug": post.slug,
        "status": post.status,
        "authorId": post.author_id,
    });
    if let (Some(data), serde_json::Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    EventEnvelope::new(kind, Subject::new("post", &post.id), data).with_actor(actor.clone())
}

pub fn post_created(post: &PostRow, actor: &Actor) -> EventEnvelope {
    post_event(types::BLOG_POST_CREATED, post, actor, json!({}))
}

/// `fields`: the names of the fields the update changed.
pub fn post_updated(post: &PostRow, fields: &[&str], actor: &Actor) -> EventEnvelope {
    post_event(
        types::BLOG_POST_UPDATED,
        post,
        actor,
        json!({ "fields": fields }),
    )
}

pub fn post_published(post: &PostRow, actor: &Actor) -> EventEnvelope {
    post_event(types::BLOG_POST_PUBLISHED, post, actor, json!({}))
}

pub fn post_archived(post: &PostRow, actor: &Actor) -> EventEnvelope {
    post_event(types::BLOG_POST_ARCHIVED, post, actor, json!({}))
}

pub fn post_deleted(post: &PostRow, actor: &Actor) -> EventEnvelope {
    post_event(types::BLOG_POST_DELETED, post, actor, json!({}))
}

pub fn comment_added(comment: &CommentRow, actor: &Actor) -> EventEnvelope {
    comment_event(types::BLOG_COMMENT_ADDED, comment, actor)
}

pub fn comment_deleted(comment: &CommentRow, actor: &Actor) -> EventEnvelope {
    comment_event(types::BLOG_COMMENT_DELETED, comment, actor)
}

fn comment_event(kind: &str, comment: &CommentRow, actor: &Actor) -> EventEnvelope {
    EventEnvelope::new(
        kind,
        Subject::new("comment", &comment.id),
        json!({ "postId": comment.post_id, "authorId": comment.author_id }),
    )
    .with_actor(actor.clone())
}
