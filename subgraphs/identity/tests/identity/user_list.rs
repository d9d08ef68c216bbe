use identity::tokens::{Grants, TokenSubject, issue_access_token};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{Backend, Server, error_of, start};

on_both_backends!(users_are_paginated_and_filtered_for_readers);

const USERS: &str = "query($f: UserFilterInput, $first: Int! = 20, $after: String) {
    users(filter: $f, first: $first, after: $after) {
        edges { cursor node { username email } }
        pageInfo { hasNextPage hasPreviousPage endCursor }
    }
}";

/// A token for `user_id` granting `identity.user.read`, signed by the service's own key, as
/// identity will issue once authz grants the permission.
fn reader_token(server: &Server, user_id: &str) -> String {
    let config = server.app.identity.config();
    let grants = Grants {
        roles: vec!["admin".into()],
        scopes: vec![permissions::IDENTITY_USER_READ.into()],
    };
    let subject = TokenSubject {
        user_id,
        email: "reader@example.org",
        session_id: "s",
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    issue_access_token(
        server.app.identity.keys(),
        &subject,
        &grants,
        &config.issuer,
        &config.audience,
        60,
        now,
    )
    .expect("token")
    .token
}

fn usernames(page: &Value) -> Vec<String> {
    page["users"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["username"].as_str().expect("username").to_owned())
        .collect()
}

async fn users_are_paginated_and_filtered_for_readers(backend: Backend) {
    let server = start(backend, |_| {}).await;
    let reader = server.register("reader@example.org", "reader").await;
    for name in ["amy", "ben", "cat", "dan"] {
        server.register(&format!("{name}@example.org"), name).await;
    }
    let token = reader_token(&server, reader["id"].as_str().expect("id"));

    // Pages of two in creation order, the cursor carrying on where the last page ended.
    let first = server.ok(USERS, json!({ "first": 2 }), Some(&token)).await;
    assert_eq!(usernames(&first), ["reader", "amy"]);
    assert_eq!(first["users"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        first["users"]["edges"][1]["node"]["email"],
        "amy@example.org"
    );
    let cursor = first["users"]["pageInfo"]["endCursor"].clone();
    let second = server
        .ok(USERS, json!({ "first": 2, "after": cursor }), Some(&token))
        .await;
    assert_eq!(usernames(&second), ["ben", "cat"]);
    assert_eq!(second["users"]["pageInfo"]["hasPreviousPage"], true);
    let cursor = second["users"]["pageInfo"]["endCursor"].clone();
    let last = server
        .ok(USERS, json!({ "first": 2, "after": cursor }), Some(&token))
        .await;
    assert_eq!(usernames(&last), ["dan"]);
    assert_eq!(last["users"]["pageInfo"]["hasNextPage"], false);

    // Filters: a search over email and username (case-insensitive), and account state.
    let found = server
        .ok(
            USERS,
            json!({ "f": { "search": "N@EX" }, "first": 10 }),
            Some(&token),
        )
        .await;
    assert_eq!(usernames(&found), ["ben", "dan"]);
    let percent = server
        .ok(
            USERS,
            json!({ "f": { "search": "%" }, "first": 10 }),
            Some(&token),
        )
        .await;
    assert!(usernames(&percent).is_empty(), "LIKE wildcards are literal");
    let verified = server
        .ok(
            USERS,
            json!({ "f": { "emailVerified": true } }),
            Some(&token),
        )
        .await;
    assert!(usernames(&verified).is_empty());

    // The reader may read anyone directly too; a bad cursor names its argument.
    let amy_id = first["users"]["edges"][1]["cursor"].clone();
    assert!(amy_id.is_string());
    let bad = server
        .gql(USERS, json!({ "after": "not-a-cursor" }), Some(&token))
        .await;
    assert_eq!(
        error_of(&bad),
        ("BAD_USER_INPUT".into(), Some("after".into()))
    );
}
