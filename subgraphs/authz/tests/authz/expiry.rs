//! An assignment with `expiresAt` stops counting at that moment.

use serde_json::json;

use crate::on_both_backends;
use crate::support::{self, Backend};

async fn expired_assignments_stop_granting(backend: Backend) {
    let platform = support::start(backend).await;
    let (admin, _) = platform.login(support::ADMIN_EMAIL).await;
    let user = platform.register("temp@example.org", "temp").await;
    let role = platform
        .authz_ok(
            "mutation { createRole(input: { name: \"temporary\" }) { id } }",
            json!({}),
            Some(&admin),
        )
        .await["createRole"]["id"]
        .clone();
    platform
        .authz_ok(
            "mutation($r: ID!, $p: String!) { grantPermission(roleId: $r, permission: $p) { id } }",
            json!({ "r": role, "p": permissions::BLOG_POST_UPDATE }),
            Some(&admin),
        )
        .await;
    let past = support::rfc3339_in(-1_000);
    let assign = "mutation($u: ID!, $r: ID!, $e: String) { assignRole(userId: $u, roleId: $r, expiresAt: $e) { id } }";
    let body = platform
        .authz(
            assign,
            json!({ "u": user, "r": role, "e": past }),
            Some(&admin),
        )
        .await;
    assert_eq!(support::error_code(&body), "BAD_USER_INPUT");

    let body = platform
        .authz(
            assign,
            json!({ "u": user, "r": role, "e": "tomorrow" }),
            Some(&admin),
        )
        .await;
    assert_eq!(support::error_code(&body), "BAD_USER_INPUT");

    let expires = support::rfc3339_in(1_500);
    platform
        .authz_ok(
            assign,
            json!({ "u": user, "r": role, "e": expires }),
            Some(&admin),
        )
        .await;
    let authorize = "query($u: ID!, $p: String!) { authorize(userId: $u, permission: $p) }";
    let vars = json!({ "u": user, "p": permissions::BLOG_POST_UPDATE });
    let (token, _) = platform.login("temp@example.org").await;
    assert!(
        support::scopes_of(&token)
            .iter()
            .any(|s| s == permissions::BLOG_POST_UPDATE)
    );
    assert_eq!(
        platform
            .authz_ok(authorize, vars.clone(), Some(&admin))
            .await["authorize"],
        true
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_800)).await;
    assert_eq!(
        platform
            .authz_ok(authorize, vars.clone(), Some(&admin))
            .await["authorize"],
        false
    );
    let (token, _) = platform.login("temp@example.org").await;
    assert!(
        !support::scopes_of(&token)
            .iter()
            .any(|s| s == permissions::BLOG_POST_UPDATE)
    );
    assert_eq!(support::claims_of(&token)["roles"], json!(["user"]));
}

on_both_backends!(expired_assignments_stop_granting);
