use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, PASSWORD, error_of, start};

on_both_backends!(
    concurrent_registrations_of_one_email,
    reading_users_needs_permission,
    entities_resolve_with_private_fields_guarded,
    profile_update_and_delete,
);

const REGISTER: &str = "mutation($i: RegisterInput!) { register(input: $i) { id } }";

async fn concurrent_registrations_of_one_email(backend: Backend) {
    let server = std::sync::Arc::new(start(backend, |_| {}).await);
    // Eight racing registrations, same email in different cases, different usernames.
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let server = server.clone();
            tokio::spawn(async move {
                let email = if n % 2 == 0 { "Race@Example.org" } else { "race@example.ORG" };
                server
                    .gql(
                        REGISTER,
                        json!({ "i": { "email": email, "username": format!("racer{n}"), "password": PASSWORD } }),
                        None,
                    )
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        let body = task.await.expect("task");
        if body.get("errors").is_none() {
            created += 1;
        } else {
            assert_eq!(
                error_of(&body),
                ("BAD_USER_INPUT".into(), Some("email".into())),
                "{body:#}"
            );
        }
    }
    assert_eq!(created, 1);
    assert_eq!(server.user_count().await, 1);

    // Usernames are unique too.
    let body = server
        .gql(
            REGISTER,
            json!({ "i": { "email": "first@example.org", "username": "unique", "password": PASSWORD } }),
            None,
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let body = server
        .gql(
            REGISTER,
            json!({ "i": { "email": "second@example.org", "username": "unique", "password": PASSWORD } }),
            None,
        )
        .await;
    assert_eq!(
        error_of(&body),
        ("BAD_USER_INPUT".into(), Some("username".into()))
    );
    assert_eq!(server.user_count().await, 2);
}

async fn reading_users_needs_permission(backend: Backend) {
    let server = start(backend, |_| {}).await;
    let lu = server.register("lu@example.org", "lux").await;
    let mo = server.register("mo@example.org", "moe").await;
    let (access, _) = server.login_ok("lu@example.org", PASSWORD).await;
    let user = "query($id: ID!) { user(id: $id) { id email } }";

    let own = server
        .ok(user, json!({ "id": lu["id"] }), Some(&access))
        .await;
    assert_eq!(own["user"]["email"], "lu@example.org");
    let other = server
        .gql(user, json!({ "id": mo["id"] }), Some(&access))
        .await;
    assert_eq!(error_of(&other).0, "FORBIDDEN");
    let anonymous = server.gql(user, json!({ "id": lu["id"] }), None).await;
    assert_eq!(error_of(&anonymous).0, "UNAUTHENTICATED");
    let list = server
        .gql(
            "{ users { edges { node { id } } } }",
            json!({}),
            Some(&access),
        )
        .await;
    assert_eq!(error_of(&list).0, "FORBIDDEN");
}

async fn entities_resolve_with_private_fields_guarded(backend: Backend) {
    let server = start(backend, |_| {}).await;
    let nia = server.register("nia@example.org", "nia").await;
    let entities = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id username email } } }";
    let reps = json!({ "r": [{ "__typename": "User", "id": nia["id"] }] });

    // Anyone resolves public fields; `email` is refused to strangers.
    let anonymous = server.gql(entities, reps.clone(), None).await;
    assert_eq!(anonymous["data"]["_entities"][0]["username"], "nia");
    assert_eq!(error_of(&anonymous).0, "FORBIDDEN");

    let (access, _) = server.login_ok("nia@example.org", PASSWORD).await;
    let own = server.ok(entities, reps, Some(&access)).await;
    assert_eq!(own["_entities"][0]["email"], "nia@example.org");

    let sdl = server.ok("{ _service { sdl } }", json!({}), None).await;
    let sdl = sdl["_service"]["sdl"].as_str().expect("sdl");
    assert!(sdl.contains("@key(fields: \"id\")"), "{sdl}");
    assert!(!identity::graphql::sdl().contains("devMails"));
}

async fn profile_update_and_delete(backend: Backend) {
    let server = start(backend, |_| {}).await;
    let oz = server.register("oz@example.org", "oz1").await;
    server.register("pia@example.org", "pia").await;
    let (access, refresh) = server.login_ok("oz@example.org", PASSWORD).await;
    let update = "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { username firstName lastName } }";

    let data = server
        .ok(
            update,
            json!({ "i": { "username": "oz2", "firstName": " Oz " } }),
            Some(&access),
        )
        .await;
    assert_eq!(data["updateProfile"]["username"], "oz2");
    assert_eq!(data["updateProfile"]["firstName"], "Oz");
    let taken = server
        .gql(update, json!({ "i": { "username": "pia" } }), Some(&access))
        .await;
    assert_eq!(
        error_of(&taken),
        ("BAD_USER_INPUT".into(), Some("username".into()))
    );

    let delete = "mutation($id: ID!) { deleteUser(id: $id) }";
    let pia_id = identity::store::users::find_with_password(&server.db, "pia@example.org")
        .await
        .expect("query")
        .expect("pia")
        .0
        .id;
    let other = server
        .gql(delete, json!({ "id": pia_id }), Some(&access))
        .await;
    assert_eq!(error_of(&other).0, "FORBIDDEN");
    server
        .ok(delete, json!({ "id": oz["id"] }), Some(&access))
        .await;
    assert_eq!(server.user_count().await, 1);
    // The account's sessions are gone with it.
    let body = server
        .gql(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            json!({ "t": refresh }),
            None,
        )
        .await;
    assert_eq!(error_of(&body).0, "UNAUTHENTICATED");
}
