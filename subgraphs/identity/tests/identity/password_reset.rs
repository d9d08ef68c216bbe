use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, PASSWORD, error_of, start, token_from_mail};

const REQUEST: &str = "mutation($e: String!) { requestPasswordReset(email: $e) }";
const RESET: &str =
    "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";

on_both_backends!(
    reset_through_the_dev_mailer,
    reset_tokens_expire,
    change_password
);

async fn reset_through_the_dev_mailer(backend: Backend) {
    let server = start(backend, |_| {}).await;
    server.register("cy@example.org", "cyd").await;
    let (_, old_refresh) = server.login_ok("cy@example.org", PASSWORD).await;

    // Same answer for a known and an unknown email; only the known one gets mail.
    let known = server
        .ok(REQUEST, json!({ "e": "CY@example.org" }), None)
        .await;
    let unknown = server
        .ok(REQUEST, json!({ "e": "nobody@example.org" }), None)
        .await;
    assert_eq!(known, unknown);
    assert_eq!(server.mail_count("nobody@example.org").await, 0);

    // The mail is sent in the background: wait for it.
    let mut mail = serde_json::Value::Null;
    for _ in 0..50 {
        mail = server.latest_mail("cy@example.org").await;
        if mail["subject"] == "Reset your password" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(mail["subject"], "Reset your password");
    let token = token_from_mail(&mail);

    let new_password = "a brand new passphrase";
    let reset = server
        .ok(RESET, json!({ "t": token, "p": new_password }), None)
        .await;
    assert_eq!(reset["resetPassword"], true);

    // Single use; the old password is gone, the new one works, old sessions are revoked.
    let again = server
        .gql(
            RESET,
            json!({ "t": token, "p": "yet another passphrase" }),
            None,
        )
        .await;
    assert_eq!(
        error_of(&again),
        ("BAD_USER_INPUT".into(), Some("token".into()))
    );
    assert_eq!(
        error_of(&server.login("cy@example.org", PASSWORD).await).0,
        "UNAUTHENTICATED"
    );
    server.login_ok("cy@example.org", new_password).await;
    let refresh = server
        .gql(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            json!({ "t": old_refresh }),
            None,
        )
        .await;
    assert_eq!(error_of(&refresh).0, "UNAUTHENTICATED");
}

async fn reset_tokens_expire(backend: Backend) {
    let server = start(backend, |c| c.tokens.password_reset_seconds = 1).await;
    server.register("di@example.org", "dia").await;
    server
        .ok(REQUEST, json!({ "e": "di@example.org" }), None)
        .await;
    let mut token = None;
    for _ in 0..50 {
        let mail = server.latest_mail("di@example.org").await;
        if mail["subject"] == "Reset your password" {
            token = Some(token_from_mail(&mail));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = token.expect("reset mail");
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let body = server
        .gql(
            RESET,
            json!({ "t": token, "p": "a brand new passphrase" }),
            None,
        )
        .await;
    assert_eq!(
        error_of(&body),
        ("BAD_USER_INPUT".into(), Some("token".into()))
    );
    server.login_ok("di@example.org", PASSWORD).await;
}

async fn change_password(backend: Backend) {
    let server = start(backend, |_| {}).await;
    server.register("ed@example.org", "eddy").await;
    let (access, refresh) = server.login_ok("ed@example.org", PASSWORD).await;
    let (_, other_refresh) = server.login_ok("ed@example.org", PASSWORD).await;
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

    let wrong = server
        .gql(
            change,
            json!({ "c": "not my password", "n": "a brand new passphrase" }),
            Some(&access),
        )
        .await;
    assert_eq!(
        error_of(&wrong),
        ("BAD_USER_INPUT".into(), Some("currentPassword".into()))
    );
    server
        .ok(
            change,
            json!({ "c": PASSWORD, "n": "a brand new passphrase" }),
            Some(&access),
        )
        .await;
    server
        .login_ok("ed@example.org", "a brand new passphrase")
        .await;

    // The session that changed the password lives on; the other one ends.
    let refresh_query = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }";
    server
        .ok(refresh_query, json!({ "t": refresh }), None)
        .await;
    let other = server
        .gql(refresh_query, json!({ "t": other_refresh }), None)
        .await;
    assert_eq!(error_of(&other).0, "UNAUTHENTICATED");
}
