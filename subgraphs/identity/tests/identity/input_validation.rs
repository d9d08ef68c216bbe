//! Every mutation's bad input: a `BAD_USER_INPUT` error naming the field, and no change.

use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{Backend, ME, PASSWORD, Server, error_of, start};

on_both_backends!(bad_input_names_the_field_and_changes_nothing);

async fn expect_field(
    server: &Server,
    query: &str,
    variables: Value,
    token: Option<&str>,
    field: &str,
) {
    let body = server.gql(query, variables.clone(), token).await;
    assert_eq!(
        error_of(&body),
        ("BAD_USER_INPUT".into(), Some(field.to_owned())),
        "{query} {variables}: {body:#}"
    );
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(field),
        "the message names the field: {message}"
    );
}

/// What the cases must not change: users, mails, the account's profile and password.
async fn snapshot(server: &Server, token: &str) -> (i64, usize, Value) {
    let me = server.ok(ME, json!({}), Some(token)).await;
    (
        server.user_count().await,
        server.mail_count("vi@example.org").await + server.mail_count("new@example.org").await,
        me,
    )
}

async fn bad_input_names_the_field_and_changes_nothing(backend: Backend) {
    let server = start(backend, |_| {}).await;
    let vi = server.register("vi@example.org", "vik").await;
    let (access, _) = server.login_ok("vi@example.org", PASSWORD).await;
    let before = snapshot(&server, &access).await;

    let register = "mutation($i: RegisterInput!) { register(input: $i) { id } }";
    let good = json!({ "email": "new@example.org", "username": "newbie", "password": PASSWORD });
    for (field, value, expected) in [
        ("email", json!("not-an-email"), "email"),
        ("email", json!("VI@example.org"), "email"),
        ("username", json!("No Spaces"), "username"),
        ("username", json!("vik"), "username"),
        ("password", json!("short"), "password"),
        ("firstName", json!("x".repeat(101)), "firstName"),
    ] {
        let mut input = good.clone();
        input[field] = value;
        expect_field(&server, register, json!({ "i": input }), None, expected).await;
    }

    let login =
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";
    expect_field(
        &server,
        login,
        json!({ "e": " ", "p": PASSWORD }),
        None,
        "email",
    )
    .await;
    expect_field(
        &server,
        login,
        json!({ "e": "vi@example.org", "p": "" }),
        None,
        "password",
    )
    .await;

    let refresh = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }";
    expect_field(&server, refresh, json!({ "t": "" }), None, "refreshToken").await;
    let logout = "mutation($t: String) { logout(refreshToken: $t) }";
    expect_field(
        &server,
        logout,
        json!({ "t": "not-a-token" }),
        Some(&access),
        "refreshToken",
    )
    .await;

    let verify = "mutation($t: String!) { verifyEmail(token: $t) { id } }";
    expect_field(&server, verify, json!({ "t": "" }), None, "token").await;
    expect_field(&server, verify, json!({ "t": "bogus" }), None, "token").await;

    let request_reset = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    expect_field(
        &server,
        request_reset,
        json!({ "e": "nope" }),
        None,
        "email",
    )
    .await;
    let reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";
    expect_field(
        &server,
        reset,
        json!({ "t": "bogus", "p": "long enough passphrase" }),
        None,
        "token",
    )
    .await;
    expect_field(
        &server,
        reset,
        json!({ "t": "bogus", "p": "short" }),
        None,
        "newPassword",
    )
    .await;

    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    expect_field(
        &server,
        change,
        json!({ "c": "", "n": "long enough passphrase" }),
        Some(&access),
        "currentPassword",
    )
    .await;
    expect_field(
        &server,
        change,
        json!({ "c": PASSWORD, "n": "short" }),
        Some(&access),
        "newPassword",
    )
    .await;

    let update = "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }";
    expect_field(
        &server,
        update,
        json!({ "i": { "username": "Bad Name" } }),
        Some(&access),
        "username",
    )
    .await;
    expect_field(
        &server,
        update,
        json!({ "i": { "firstName": "ok", "lastName": "x".repeat(101) } }),
        Some(&access),
        "lastName",
    )
    .await;
    expect_field(&server, update, json!({ "i": {} }), Some(&access), "input").await;

    let delete = "mutation($id: ID!) { deleteUser(id: $id) }";
    expect_field(
        &server,
        delete,
        json!({ "id": "not-a-uuid" }),
        Some(&access),
        "id",
    )
    .await;

    expect_field(
        &server,
        "{ devMails(first: 0) { id } }",
        json!({}),
        None,
        "first",
    )
    .await;

    // Nothing changed: same users, no new mail, same profile, the password still works.
    assert_eq!(snapshot(&server, &access).await, before);
    assert_eq!(before.2["me"]["id"], vi["id"]);
    server.login_ok("vi@example.org", PASSWORD).await;
    // No failed attempt was recorded for the bad login input.
    let (account, _) = identity::store::attempts::stats(&server.db, "vi@example.org", "unknown", 0)
        .await
        .expect("stats");
    assert_eq!(account.failures, 0);
}
