//! Who may see and change what. Pure functions of the caller's token and the row, so the
//! same decision is made wherever it is needed (and tested without a database).
//!
//! - Reading: published posts are public; drafts and archived posts only to their author and
//!   holders of `blog.post.read`.
//! - Editing: the author edits their own drafts; `blog.post.update` (editors) edits any post.
//! - Publishing: `blog.post.publish` only. Archiving: the author, or `blog.post.publish`.
//! - Deleting a post: the author deletes their own drafts; `blog.post.delete` any post.
//! - Commenting: `blog.comment.create`, on published posts. Deleting a comment: its author,
//!   or `blog.comment.delete` / `blog.comment.moderate`.

use kit::auth::AuthContext;
use permissions as codes;

use crate::error::BlogError;
use crate::store::comments::CommentRow;
use crate::store::posts::{PostRow, PostStatus, Visibility};

fn is_author(auth: &AuthContext, post: &PostRow) -> bool {
    auth.user_id.as_deref() == Some(post.author_id.as_str())
}

fn forbidden(code: &str, what: &str) -> BlogError {
    BlogError::Forbidden(format!("{what} needs {code} or being the author"))
}

/// The caller's user id, or `UNAUTHENTICATED`.
pub fn require_user(auth: &AuthContext) -> Result<&str, BlogError> {
    auth.user_id.as_deref().ok_or(BlogError::Unauthenticated)
}

pub fn may_read(auth: &AuthContext, post: &PostRow) -> bool {
    post.status() == PostStatus::Published
        || is_author(auth, post)
        || auth.has_scope(codes::BLOG_POST_READ)
}

/// The rows a listing may include for this caller.
pub fn visibility(auth: &AuthContext) -> Visibility {
    if auth.is_authenticated() && auth.has_scope(codes::BLOG_POST_READ) {
        Visibility::All
    } else {
        Visibility::PublishedOr {
            author_id: auth.user_id.clone(),
        }
    }
}

pub fn check_update(auth: &AuthContext, post: &PostRow) -> Result<(), BlogError> {
    require_user(auth)?;
    if auth.has_scope(codes::BLOG_POST_UPDATE) {
        return Ok(());
    }
    if is_author(auth, post) {
        return match post.status() {
            PostStatus::Draft => Ok(()),
            _ => Err(BlogError::Forbidden(format!(
                "only drafts can be edited by their author; editing a {} post needs {}",
                post.status.to_lowercase(),
                codes::BLOG_POST_UPDATE
            ))),
        };
    }
    Err(forbidden(
        codes::BLOG_POST_UPDATE,
        "editing another author's post",
    ))
}

pub fn check_publish(auth: &AuthContext, post: &PostRow) -> Result<(), BlogError> {
    require_user(auth)?;
    if !auth.has_scope(codes::BLOG_POST_PUBLISH) {
        return Err(BlogError::Forbidden(format!(
            "publishing needs {}",
            codes::BLOG_POST_PUBLISH
        )));
    }
    match post.status() {
        PostStatus::Published => Err(BlogError::invalid("id", "the post is already published")),
        _ => Ok(()),
    }
}

pub fn check_archive(auth: &AuthContext, post: &PostRow) -> Result<(), BlogError> {
    require_user(auth)?;
    if !(is_author(auth, post) || auth.has_scope(codes::BLOG_POST_PUBLISH)) {
        return Err(forbidden(
            codes::BLOG_POST_PUBLISH,
            "archiving another author's post",
        ));
    }
    match post.status() {
        PostStatus::Archived => Err(BlogError::invalid("id", "the post is already archived")),
        _ => Ok(()),
    }
}

pub fn check_delete(auth: &AuthContext, post: &PostRow) -> Result<(), BlogError> {
    require_user(auth)?;
    if auth.has_scope(codes::BLOG_POST_DELETE)
        || (is_author(auth, post) && post.status() == PostStatus::Draft)
    {
        Ok(())
    } else {
        Err(BlogError::Forbidden(format!(
            "deleting needs {} (authors may delete their own drafts)",
            codes::BLOG_POST_DELETE
        )))
    }
}

/// Comments go on published posts the caller can see; others read as not found.
pub fn check_comment(auth: &AuthContext, post: &PostRow) -> Result<(), BlogError> {
    if !may_read(auth, post) {
        return Err(BlogError::NotFound("post"));
    }
    if post.status() != PostStatus::Published {
        return Err(BlogError::invalid(
            "postId",
            "comments are open only on published posts",
        ));
    }
    Ok(())
}

pub fn check_delete_comment(auth: &AuthContext, comment: &CommentRow) -> Result<(), BlogError> {
    let me = require_user(auth)?;
    if me == comment.author_id
        || auth.has_scope(codes::BLOG_COMMENT_DELETE)
        || auth.has_scope(codes::BLOG_COMMENT_MODERATE)
    {
        Ok(())
    } else {
        Err(BlogError::Forbidden(format!(
            "deleting another user's comment needs {} or {}",
            codes::BLOG_COMMENT_DELETE,
            codes::BLOG_COMMENT_MODERATE
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, scopes: &[&str]) -> AuthContext {
        AuthContext {
            user_id: Some(id.into()),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            ..AuthContext::default()
        }
    }

    fn post(author: &str, status: PostStatus) -> PostRow {
        PostRow {
            id: "p".into(),
            author_id: author.into(),
            title: "t".into(),
            content: String::new(),
            slug: "t".into(),
            status: status.as_str().into(),
            published_at: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn drafts_are_hidden_from_readers_but_not_from_authors_or_readers_with_the_permission() {
        let draft = post("alice", PostStatus::Draft);
        assert!(!may_read(&AuthContext::anonymous(), &draft));
        assert!(!may_read(&user("bob", &[]), &draft));
        assert!(may_read(&user("alice", &[]), &draft));
        assert!(may_read(&user("bob", &[codes::BLOG_POST_READ]), &draft));
        assert!(may_read(
            &AuthContext::anonymous(),
            &post("alice", PostStatus::Published)
        ));
    }

    #[test]
    fn authors_edit_their_drafts_and_editors_edit_anything() {
        let draft = post("alice", PostStatus::Draft);
        let published = post("alice", PostStatus::Published);
        assert!(check_update(&user("alice", &[]), &draft).is_ok());
        assert!(matches!(
            check_update(&user("alice", &[]), &published),
            Err(BlogError::Forbidden(_))
        ));
        assert!(matches!(
            check_update(&user("bob", &[codes::BLOG_POST_CREATE]), &draft),
            Err(BlogError::Forbidden(_))
        ));
        assert!(check_update(&user("eve", &[codes::BLOG_POST_UPDATE]), &published).is_ok());
        assert!(matches!(
            check_update(&AuthContext::anonymous(), &draft),
            Err(BlogError::Unauthenticated)
        ));
    }

    #[test]
    fn deleting_comments_takes_authorship_or_a_moderation_permission() {
        let comment = CommentRow {
            id: "c".into(),
            post_id: "p".into(),
            author_id: "bob".into(),
            body: "hi".into(),
            created_at: 0,
        };
        assert!(check_delete_comment(&user("bob", &[]), &comment).is_ok());
        assert!(check_delete_comment(&user("alice", &[]), &comment).is_err());
        assert!(
            check_delete_comment(&user("m", &[codes::BLOG_COMMENT_MODERATE]), &comment).is_ok()
        );
        assert!(check_delete_comment(&user("m", &[codes::BLOG_COMMENT_DELETE]), &comment).is_ok());
    }
}
