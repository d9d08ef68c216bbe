use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, ME, PASSWORD, error_of, start, token_from_mail};

const REFRESH: &str = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken user { id } } }";

on_both_backends!(register_verify_login_refresh_logout, logout_all_sessions);

async fn register_verify_login_refresh_logout(backend: Backend) {
    let server = start(backend, |_| {}).await;

    // Register: unverified, and a verification mail is in the dev outbox.
    let user = server.register("Ada@Example.org", "ada").await;
    assert_eq!(user["emailVerified"], false);
    let mail = server.latest_mail("ada@example.org").await;
    assert_eq!(mail["subject"], "Verify your email address");
    let token = token_from_mail(&mail);

    // Verify once; the same token does not work twice.
    let verify = "mutation($t: String!) { verifyEmail(token: $t) { id emailVerified } }";
    let data = server.ok(verify, json!({ "t": token }), None).await;
    assert_eq!(data["verifyEmail"]["emailVerified"], true);
    let again = server.gql(verify, json!({ "t": token }), None).await;
    assert_eq!(
        error_of(&again),
        ("BAD_USER_INPUT".into(), Some("token".into()))
    );

    // Login (email is case-insensitive) and read `me` with the access token.
    let (access, refresh) = server.login_ok("ADA@example.org", PASSWORD).await;
    let me = server.ok(ME, json!({}), Some(&access)).await;
    assert_eq!(me["me"]["id"], user["id"]);
    assert_eq!(me["me"]["email"], "Ada@Example.org");
    assert_eq!(me["me"]["emailVerified"], true);
    // Anonymous `me` is null, not an error.
    assert!(server.ok(ME, json!({}), None).await["me"].is_null());

    // Refresh rotates: a new refresh token, and the new access token works.
    let rotated = server.ok(REFRESH, json!({ "t": refresh }), None).await;
    let refresh2 = rotated["refreshToken"]["refreshToken"]
        .as_str()
        .expect("new refresh")
        .to_owned();
    let access2 = rotated["refreshToken"]["accessToken"]
        .as_str()
        .expect("new access")
        .to_owned();
    assert_ne!(refresh2, refresh);
    assert_eq!(
        server.ok(ME, json!({}), Some(&access2)).await["me"]["id"],
        user["id"]
    );

    // Reusing the spent token fails and revokes the family: the successor dies too.
    let reuse = server.gql(REFRESH, json!({ "t": refresh }), None).await;
    assert_eq!(error_of(&reuse).0, "UNAUTHENTICATED");
    let successor = server.gql(REFRESH, json!({ "t": refresh2 }), None).await;
    assert_eq!(error_of(&successor).0, "UNAUTHENTICATED");
    // Identity also stops accepting the family's access tokens at once.
    let revoked_access = server.gql(ME, json!({}), Some(&access2)).await;
    assert_eq!(error_of(&revoked_access).0, "UNAUTHENTICATED");

    // A new login is a new family; logout of this session ends it.
    let (access3, refresh3) = server.login_ok("ada@example.org", PASSWORD).await;
    let logout = server
        .ok("mutation { logout }", json!({}), Some(&access3))
        .await;
    assert_eq!(logout["logout"], true);
    let after_logout = server.gql(REFRESH, json!({ "t": refresh3 }), None).await;
    assert_eq!(error_of(&after_logout).0, "UNAUTHENTICATED");
    let me_after_logout = server.gql(ME, json!({}), Some(&access3)).await;
    assert_eq!(error_of(&me_after_logout).0, "UNAUTHENTICATED");
}

async fn logout_all_sessions(backend: Backend) {
    let server = start(backend, |_| {}).await;
    server.register("bo@example.org", "bob").await;
    let (access_a, refresh_a) = server.login_ok("bo@example.org", PASSWORD).await;
    let (_, refresh_b) = server.login_ok("bo@example.org", PASSWORD).await;

    // Logout by refresh token ends only that session.
    let by_token = server
        .ok(
            "mutation($t: String) { logout(refreshToken: $t) }",
            json!({ "t": refresh_b }),
            None,
        )
        .await;
    assert_eq!(by_token["logout"], true);
    assert!(
        server
            .gql(REFRESH, json!({ "t": refresh_b }), None)
            .await
            .get("errors")
            .is_some()
    );
    let (_, refresh_c) = server.login_ok("bo@example.org", PASSWORD).await;

    // `all: true` needs a signed-in caller and ends every session.
    let anonymous = server
        .gql("mutation { logout(all: true) }", json!({}), None)
        .await;
    assert_eq!(error_of(&anonymous).0, "UNAUTHENTICATED");
    server
        .ok("mutation { logout(all: true) }", json!({}), Some(&access_a))
        .await;
    for token in [refresh_a, refresh_c] {
        let body = server.gql(REFRESH, json!({ "t": token }), None).await;
        assert_eq!(error_of(&body).0, "UNAUTHENTICATED");
    }
}
