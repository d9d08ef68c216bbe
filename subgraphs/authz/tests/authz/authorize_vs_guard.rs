//! `authorize` (the database's answer) agrees with `RequirePermission` (the token's answer)
//! for tokens freshly issued by identity, on a table of users and codes.

use std::sync::Arc;

use kit::auth::{AuthConfig, AuthContext, RequirePermission, StaticKeys, TokenVerifier};
use serde_json::json;

use crate::on_both_backends;
use crate::support::{self, Backend};

async fn authorize_agrees_with_the_guard(backend: Backend) {
    let platform = support::start(backend).await;
    let (admin, _) = platform.login(support::ADMIN_EMAIL).await;
    let create = |name: &'static str| {
        let platform = &platform;
        let admin = admin.clone();
        async move {
            platform
                .authz_ok(
                    "mutation($n: String!) { createRole(input: { name: $n }) { id } }",
                    json!({ "n": name }),
                    Some(&admin),
                )
                .await["createRole"]["id"]
                .clone()
        }
    };
    let reader = create("role-reader").await;
    let moderator = create("moderator").await;
    for (role, code) in [
        (&reader, permissions::AUTHZ_ROLE_READ),
        (&moderator, permissions::BLOG_COMMENT_MODERATE),
        (&moderator, permissions::BLOG_COMMENT_DELETE),
    ] {
        platform
            .authz_ok(
                "mutation($r: ID!, $p: String!) { grantPermission(roleId: $r, permission: $p) { id } }",
                json!({ "r": role, "p": code }),
                Some(&admin),
            )
            .await;
    }
    // (email, roles to assign)
    let users = [
        ("plain@example.org", vec![]),
        ("reader@example.org", vec![reader.clone()]),
        ("mod@example.org", vec![moderator.clone()]),
        ("both@example.org", vec![reader.clone(), moderator.clone()]),
    ];
    let codes = [
        permissions::AUTHZ_ROLE_READ,
        permissions::AUTHZ_ROLE_CREATE,
        permissions::BLOG_COMMENT_MODERATE,
        permissions::BLOG_COMMENT_DELETE,
        permissions::BLOG_POST_READ,
        permissions::BLOG_POST_PUBLISH,
        permissions::IDENTITY_USER_READ,
    ];
    let verifier = TokenVerifier::new(
        Arc::new(StaticKeys::from_jwks(
            &platform.identity.identity.keys().jwks(),
        )),
        &AuthConfig {
            issuer: support::ISSUER.into(),
            audience: support::AUDIENCE.into(),
            ..AuthConfig::default()
        },
    );
    let mut checked = 0;
    for (i, (email, roles)) in users.iter().enumerate() {
        let user = platform.register(email, &format!("user{i}")).await;
        for role in roles {
            platform
                .authz_ok(
                    "mutation($u: ID!, $r: ID!) { assignRole(userId: $u, roleId: $r) { id } }",
                    json!({ "u": user, "r": role }),
                    Some(&admin),
                )
                .await;
        }
        let (token, _) = platform.login(email).await;
        let auth = AuthContext::from_claims(verifier.verify(&token).await.expect("valid token"));
        for code in codes {
            let by_db = platform
                .authz_ok(
                    "query($u: ID!, $p: String!) { authorize(userId: $u, permission: $p) }",
                    json!({ "u": user, "p": code }),
                    Some(&admin),
                )
                .await["authorize"]
                .as_bool()
                .expect("bool");
            let by_guard = RequirePermission(code).allows(&auth);
            assert_eq!(by_db, by_guard, "{email} {code}");
            checked += usize::from(by_db);
        }
        // And the guard as resolvers run it: `roles` needs authz.role.read.
        let listed = platform
            .authz("{ roles { id } }", json!({}), Some(&token))
            .await;
        let may_read = RequirePermission(permissions::AUTHZ_ROLE_READ).allows(&auth);
        assert_eq!(
            listed.get("errors").is_none(),
            may_read,
            "{email}: {listed:#}"
        );
        // Oneself may always ask.
        let own = platform
            .authz(
                "query($u: ID!) { authorize(userId: $u, permission: \"blog.post.read\") }",
                json!({ "u": user }),
                Some(&token),
            )
            .await;
        assert_eq!(own["data"]["authorize"], true, "{own:#}");
    }
    // The table is not trivially all-false or all-true.
    assert!(checked > users.len() && checked < users.len() * codes.len());
}

on_both_backends!(authorize_agrees_with_the_guard);
