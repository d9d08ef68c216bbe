//! What readers see: published posts only; drafts for their author and `blog.post.read`.
//! And input errors that name their field.

use kit::db::Backend;
use permissions as p;
use serde_json::{Value, json};

use crate::support::{As, Server, code, data, field};

const AUTHOR: As<'static> = As {
    user: "alice",
    scopes: &[p::BLOG_POST_CREATE],
};
const EDITOR: As<'static> = As {
    user: "erin",
    scopes: &[p::BLOG_POST_READ, p::BLOG_POST_PUBLISH],
};
const READER: As<'static> = As {
    user: "rita",
    scopes: &[],
};

const POSTS: &str = "query($filter: PostsFilter, $first: Int!, $after: String) {
    posts(filter: $filter, first: $first, after: $after) {
        edges { cursor node { id slug status } }
        pageInfo { hasNextPage }
    }
}";

async fn create(server: &Server, title: &str) -> String {
    let body = server
        .gql(
            Some(AUTHOR),
            "mutation($input: CreatePostInput!) { createPost(input: $input) { id } }",
            json!({ "input": { "title": title } }),
        )
        .await;
    data(&body)["createPost"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn publish(server: &Server, id: &str) {
    let body = server
        .gql(
            Some(EDITOR),
            "mutation($id: ID!) { publishPost(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    data(&body);
}

fn slugs(body: &Value) -> Vec<String> {
    data(body)["posts"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["slug"].as_str().expect("slug").to_owned())
        .collect()
}

#[tokio::test]
// Was flaky (publishPost's deferred transaction hit SQLITE_BUSY when the outbox relay wrote
// between its read and its write); the kit's SQLite transactions now begin IMMEDIATE.
async fn readers_never_see_drafts_on_sqlite() {
    let server = Server::start(Backend::Sqlite).await.expect("sqlite");
    visibility(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn readers_never_see_drafts_on_postgres() {
    let Some(server) = Server::start(Backend::Postgres).await else {
        eprintln!("DATABASE_URL not set; skipping");
        return;
    };
    visibility(&server).await;
    server.stop().await;
}

async fn visibility(server: &Server) {
    let first = create(server, "First").await;
    let _draft = create(server, "Draft").await;
    let third = create(server, "Third").await;
    publish(server, &first).await;
    publish(server, &third).await;
    let all = json!({ "first": 10 });

    // Lists, newest first.
    let anonymous = server.gql(None, POSTS, all.clone()).await;
    assert_eq!(slugs(&anonymous), ["third", "first"]);
    let reader = server.gql(Some(READER), POSTS, all.clone()).await;
    assert_eq!(slugs(&reader), ["third", "first"]);
    let author = server.gql(Some(AUTHOR), POSTS, all.clone()).await;
    assert_eq!(slugs(&author), ["third", "draft", "first"]);
    let editor = server.gql(Some(EDITOR), POSTS, all).await;
    assert_eq!(slugs(&editor), ["third", "draft", "first"]);

    // Filtering by status does not let a reader ask for drafts.
    let drafts = json!({ "first": 10, "filter": { "status": "DRAFT" } });
    assert!(slugs(&server.gql(Some(READER), POSTS, drafts.clone()).await).is_empty());
    assert_eq!(
        slugs(&server.gql(Some(EDITOR), POSTS, drafts).await),
        ["draft"]
    );
    let by_author = json!({ "first": 10, "filter": { "authorId": "alice" } });
    assert_eq!(
        slugs(&server.gql(None, POSTS, by_author).await),
        ["third", "first"]
    );

    // One post by slug: null for a reader, visible to its author.
    let by_slug = "query($slug: String!) { post(slug: $slug) { slug status } }";
    let body = server
        .gql(Some(READER), by_slug, json!({ "slug": "draft" }))
        .await;
    assert_eq!(data(&body)["post"], json!(null));
    let body = server
        .gql(Some(AUTHOR), by_slug, json!({ "slug": "draft" }))
        .await;
    assert_eq!(data(&body)["post"]["status"], "DRAFT");

    // The User entity lists the same posts (as the gateway asks through `_entities`).
    let entities = "query($reps: [_Any!]!) {
        _entities(representations: $reps) { ... on User { posts(first: 10) { edges { node { slug } } } } }
    }";
    let reps = json!({ "reps": [{ "__typename": "User", "id": "alice" }] });
    let body = server.gql(None, entities, reps.clone()).await;
    let listed: Vec<&str> = data(&body)["_entities"][0]["posts"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["slug"].as_str())
        .collect();
    assert_eq!(listed, ["third", "first"]);

    // Pages: one at a time, following the cursor.
    let page1 = server.gql(None, POSTS, json!({ "first": 1 })).await;
    assert_eq!(slugs(&page1), ["third"]);
    assert_eq!(data(&page1)["posts"]["pageInfo"]["hasNextPage"], true);
    let cursor = data(&page1)["posts"]["edges"][0]["cursor"].clone();
    let page2 = server
        .gql(None, POSTS, json!({ "first": 1, "after": cursor }))
        .await;
    assert_eq!(slugs(&page2), ["first"]);
    assert_eq!(data(&page2)["posts"]["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let server = Server::start(Backend::Sqlite).await.expect("sqlite");
    let create = "mutation($input: CreatePostInput!) { createPost(input: $input) { id } }";
    let cases = [
        (json!({ "title": "   " }), "title"),
        (json!({ "title": "x".repeat(201) }), "title"),
        (json!({ "title": "ok", "slug": "Not A Slug" }), "slug"),
    ];
    for (input, expected) in cases {
        let body = server
            .gql(Some(AUTHOR), create, json!({ "input": input }))
            .await;
        assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
        assert_eq!(field(&body), Some(expected), "{body}");
    }
    let body = server
        .gql(
            None,
            "query { post(id: \"a\", slug: \"b\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    let body = server.gql(None, POSTS, json!({ "first": 1000 })).await;
    assert_eq!(field(&body), Some("first"), "{body}");
    let body = server
        .gql(None, POSTS, json!({ "first": 1, "after": "bogus" }))
        .await;
    assert_eq!(field(&body), Some("after"), "{body}");
    let body = server
        .gql(
            None,
            "query { comments(postId: \"nope\") { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    assert!(
        server.outbox_types().await.is_empty(),
        "refused input writes nothing"
    );
    server.stop().await;
}
