//! Identity's tokens carry authz's grants: after `assignRole`, the next login (and refresh)
//! has the new scope; the internal endpoint refuses anything but identity's service token.

use serde_json::json;

use crate::on_both_backends;
use crate::support::{self, Backend};

async fn login_after_assign_carries_the_new_scope(backend: Backend) {
    let platform = support::start(backend).await;
    let (admin, _) = platform.login(support::ADMIN_EMAIL).await;
    let user = platform.register("writer@example.org", "writer").await;
    let (before, _) = platform.login("writer@example.org").await;
    assert_eq!(support::claims_of(&before)["roles"], json!(["user"]));
    // The `user` role's defaults from config.
    let mut expected = vec![
        permissions::BLOG_COMMENT_CREATE.to_owned(),
        permissions::BLOG_POST_READ.to_owned(),
    ];
    assert_eq!(support::scopes_of(&before), expected);

    let role = platform
        .authz_ok(
            "mutation { createRole(input: { name: \"publisher\" }) { id } }",
            json!({}),
            Some(&admin),
        )
        .await["createRole"]["id"]
        .clone();
    platform
        .authz_ok(
            "mutation($r: ID!, $p: String!) { grantPermission(roleId: $r, permission: $p) { id } }",
            json!({ "r": role, "p": permissions::BLOG_POST_PUBLISH }),
            Some(&admin),
        )
        .await;
    platform
        .authz_ok(
            "mutation($u: ID!, $r: ID!) { assignRole(userId: $u, roleId: $r) { id } }",
            json!({ "u": user, "r": role }),
            Some(&admin),
        )
        .await;

    // The token issued before still says what it said (until it expires)...
    assert!(!support::scopes_of(&before).contains(&permissions::BLOG_POST_PUBLISH.to_owned()));
    // ...the next login carries the new role and scope.
    let (after, refresh) = platform.login("writer@example.org").await;
    expected.push(permissions::BLOG_POST_PUBLISH.to_owned());
    expected.sort();
    assert_eq!(support::scopes_of(&after), expected);
    assert_eq!(
        support::claims_of(&after)["roles"],
        json!(["publisher", "user"])
    );
    let mine = platform
        .authz_ok("{ myPermissions }", json!({}), Some(&after))
        .await;
    assert_eq!(mine["myPermissions"], json!(expected));

    // Revoked: the next refresh drops it.
    platform
        .authz_ok(
            "mutation($u: ID!, $r: ID!) { revokeRole(userId: $u, roleId: $r) }",
            json!({ "u": user, "r": role }),
            Some(&admin),
        )
        .await;
    let refreshed = platform
        .identity(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            json!({ "t": refresh }),
            None,
        )
        .await;
    let token = refreshed["data"]["refreshToken"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("refresh failed: {refreshed:#}"));
    assert!(!support::scopes_of(token).contains(&permissions::BLOG_POST_PUBLISH.to_owned()));
}

async fn internal_grants_need_identity_service_token(backend: Backend) {
    let platform = support::start(backend).await;
    let url = format!("{}/internal/grants", platform.authz_url);
    let user = uuid::Uuid::now_v7().to_string();
    let body = json!({ "userId": user });
    let anonymous = platform
        .http
        .post(&url)
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);
    // A user's access token (platform audience) is not a service token, however privileged.
    let (admin, _) = platform.login(support::ADMIN_EMAIL).await;
    let with_user_token = platform
        .http
        .post(&url)
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(with_user_token.status(), reqwest::StatusCode::UNAUTHORIZED);
}

on_both_backends!(
    login_after_assign_carries_the_new_scope,
    internal_grants_need_identity_service_token
);
