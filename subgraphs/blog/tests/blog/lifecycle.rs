//! create draft -> update -> publish -> comment -> archive, with who may do each step, and
//! the event each step leaves in the outbox and on the bus.

use kit::db::Backend;
use permissions as p;
use serde_json::json;

use crate::support::{As, Server, code, data, field};

const ALICE: As<'static> = As {
    user: "alice",
    scopes: &[p::BLOG_POST_CREATE, p::BLOG_COMMENT_CREATE],
};
const BOB: As<'static> = As {
    user: "bob",
    scopes: &[p::BLOG_POST_CREATE, p::BLOG_COMMENT_CREATE],
};
const EDITOR: As<'static> = As {
    user: "erin",
    scopes: &[
        p::BLOG_POST_READ,
        p::BLOG_POST_UPDATE,
        p::BLOG_POST_PUBLISH,
        p::BLOG_POST_DELETE,
        p::BLOG_COMMENT_MODERATE,
    ],
};
const READER: As<'static> = As {
    user: "rita",
    scopes: &[],
};

const CREATE: &str = "mutation($input: CreatePostInput!) {
    createPost(input: $input) { id slug status title author { id } publishedAt }
}";
const UPDATE: &str = "mutation($id: ID!, $input: UpdatePostInput!) {
    updatePost(id: $id, input: $input) { id title content slug status }
}";
const PUBLISH: &str = "mutation($id: ID!) { publishPost(id: $id) { id status publishedAt } }";
const ARCHIVE: &str = "mutation($id: ID!) { archivePost(id: $id) { id status } }";
const DELETE: &str = "mutation($id: ID!) { deletePost(id: $id) }";
const COMMENT: &str = "mutation($postId: ID!, $body: String!) {
    addComment(postId: $postId, body: $body) { id body author { id } post { id } }
}";
const DELETE_COMMENT: &str = "mutation($id: ID!) { deleteComment(id: $id) }";

#[tokio::test]
async fn lifecycle_on_sqlite() {
    let server = Server::start(Backend::Sqlite).await.expect("sqlite");
    lifecycle(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn lifecycle_on_postgres() {
    let Some(server) = Server::start(Backend::Postgres).await else {
        eprintln!("DATABASE_URL not set; skipping");
        return;
    };
    lifecycle(&server).await;
    server.stop().await;
}

async fn lifecycle(server: &Server) {
    // Create: needs blog.post.create; anonymous and scope-less callers are refused.
    let input = json!({ "input": { "title": "Hello, World!", "content": "first" } });
    let body = server.gql(None, CREATE, input.clone()).await;
    assert_eq!(code(&body), Some("UNAUTHENTICATED"), "{body}");
    let body = server.gql(Some(READER), CREATE, input.clone()).await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");

    let body = server.gql(Some(ALICE), CREATE, input.clone()).await;
    let post = &data(&body)["createPost"];
    let id = post["id"].as_str().expect("id").to_owned();
    assert_eq!(post["slug"], "hello-world");
    assert_eq!(post["status"], "DRAFT");
    assert_eq!(post["author"]["id"], "alice");
    assert_eq!(post["publishedAt"], json!(null));

    // The same slug again is bad input naming the field.
    let body = server.gql(Some(BOB), CREATE, input).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("slug"), "{body}");

    // Update: the author may edit her draft; another author may not.
    let edit = json!({ "id": id, "input": { "title": "Hello again", "content": "second" } });
    let body = server.gql(Some(BOB), UPDATE, edit.clone()).await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let body = server.gql(Some(ALICE), UPDATE, edit).await;
    let post = &data(&body)["updatePost"];
    assert_eq!(post["title"], "Hello again");
    assert_eq!(post["content"], "second");
    assert_eq!(post["slug"], "hello-world", "the slug stays unless given");

    // Publish: the editor's permission, not the author's.
    let body = server.gql(Some(ALICE), PUBLISH, json!({ "id": id })).await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let body = server.gql(Some(EDITOR), PUBLISH, json!({ "id": id })).await;
    let post = &data(&body)["publishPost"];
    assert_eq!(post["status"], "PUBLISHED");
    assert!(
        post["publishedAt"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z')),
        "{post}"
    );

    // Published: the author no longer edits it; the editor does.
    let fix = json!({ "id": id, "input": { "content": "fixed typo" } });
    let body = server.gql(Some(ALICE), UPDATE, fix.clone()).await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let body = server.gql(Some(EDITOR), UPDATE, fix).await;
    assert_eq!(data(&body)["updatePost"]["content"], "fixed typo");

    // Comment: anyone with blog.comment.create, on the published post.
    let body = server
        .gql(
            Some(READER),
            COMMENT,
            json!({ "postId": id, "body": "nice" }),
        )
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let body = server
        .gql(Some(BOB), COMMENT, json!({ "postId": id, "body": "  " }))
        .await;
    assert_eq!(field(&body), Some("body"), "{body}");
    let body = server
        .gql(
            Some(BOB),
            COMMENT,
            json!({ "postId": id, "body": "nice post" }),
        )
        .await;
    let comment = &data(&body)["addComment"];
    let comment_id = comment["id"].as_str().expect("comment id").to_owned();
    assert_eq!(comment["author"]["id"], "bob");
    assert_eq!(comment["post"]["id"], id.as_str());
    let body = server
        .gql(
            Some(ALICE),
            COMMENT,
            json!({ "postId": id, "body": "thanks" }),
        )
        .await;
    let reply_id = data(&body)["addComment"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // Deleting a comment: its author or a moderator; not someone else.
    let body = server
        .gql(Some(ALICE), DELETE_COMMENT, json!({ "id": comment_id }))
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let body = server
        .gql(Some(BOB), DELETE_COMMENT, json!({ "id": comment_id }))
        .await;
    assert_eq!(data(&body)["deleteComment"], comment_id.as_str());
    let body = server
        .gql(Some(EDITOR), DELETE_COMMENT, json!({ "id": reply_id }))
        .await;
    assert_eq!(data(&body)["deleteComment"], reply_id.as_str());

    // Archive: another author may not; the author may.
    let body = server.gql(Some(BOB), ARCHIVE, json!({ "id": id })).await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let body = server.gql(Some(ALICE), ARCHIVE, json!({ "id": id })).await;
    assert_eq!(data(&body)["archivePost"]["status"], "ARCHIVED");
    // An archived post takes no comments and is hidden from readers again.
    let body = server
        .gql(Some(BOB), COMMENT, json!({ "postId": id, "body": "late" }))
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");

    // Delete: the author only deletes drafts; the editor deletes anything.
    let body = server.gql(Some(ALICE), DELETE, json!({ "id": id })).await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let body = server.gql(Some(EDITOR), DELETE, json!({ "id": id })).await;
    assert_eq!(data(&body)["deletePost"], id.as_str());
    let body = server
        .gql(
            Some(EDITOR),
            "query($id: ID!) { post(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data(&body)["post"], json!(null));

    // Every successful change left exactly its event, in order, and refused ones none.
    let expected = [
        "blog.post.created",
        "blog.post.updated",
        "blog.post.published",
        "blog.post.updated",
        "blog.comment.added",
        "blog.comment.added",
        "blog.comment.deleted",
        "blog.comment.deleted",
        "blog.post.archived",
        "blog.post.deleted",
    ];
    assert_eq!(server.outbox_types().await, expected);
    let events = server.events(expected.len()).await;
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types, expected,
        "the relay delivers the outbox to the bus in order"
    );
    let published = &events[2];
    assert_eq!(published.subject.kind, "post");
    assert_eq!(published.subject.id, id);
    assert_eq!(published.actor.id.as_deref(), Some("erin"));
    assert_eq!(published.data["status"], "PUBLISHED");
    assert_eq!(events[1].data["fields"], json!(["title", "content"]));
    assert_eq!(events[4].data["postId"], id.as_str());
    assert_eq!(events[4].actor.id.as_deref(), Some("bob"));
}

#[tokio::test]
async fn authors_delete_their_own_drafts_only() {
    let server = Server::start(Backend::Sqlite).await.expect("sqlite");
    let body = server
        .gql(
            Some(ALICE),
            CREATE,
            json!({ "input": { "title": "Scratch", "slug": "scratch-1" } }),
        )
        .await;
    let id = data(&body)["createPost"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let body = server.gql(Some(BOB), DELETE, json!({ "id": id })).await;
    assert_eq!(
        code(&body),
        Some("NOT_FOUND"),
        "bob cannot see alice's draft: {body}"
    );
    let body = server.gql(Some(ALICE), DELETE, json!({ "id": id })).await;
    assert_eq!(data(&body)["deletePost"], id.as_str());
    assert_eq!(
        server.outbox_types().await,
        ["blog.post.created", "blog.post.deleted"]
    );
    server.stop().await;
}
