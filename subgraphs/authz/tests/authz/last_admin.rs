//! The bootstrap admin gets `admin`; the last admin cannot be removed.

use serde_json::json;

use crate::on_both_backends;
use crate::support::{self, Backend};

const REVOKE: &str = "mutation($u: ID!, $r: ID!) { revokeRole(userId: $u, roleId: $r) }";
const ASSIGN: &str = "mutation($u: ID!, $r: ID!, $e: String) { assignRole(userId: $u, roleId: $r, expiresAt: $e) { id } }";

async fn last_admin_is_kept(backend: Backend) {
    let platform = support::start(backend).await;
    let (admin, _) = platform.login(support::ADMIN_EMAIL).await;
    let (_, session) = platform.login(support::ADMIN_EMAIL).await;
    let claims = support::claims_of(&admin);
    assert_eq!(claims["roles"], json!(["admin", "user"]), "{claims:#}");
    let admin_id = claims["sub"].as_str().expect("sub").to_owned();
    let scopes = support::scopes_of(&admin);
    for code in permissions::all_codes() {
        assert!(scopes.iter().any(|s| s == code), "admin token lacks {code}");
    }
    let roles = platform
        .authz_ok("{ roles { id name } }", json!({}), Some(&admin))
        .await;
    let admin_role = roles["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["name"] == "admin")
        .expect("admin role")["id"]
        .clone();

    let before = platform.table_counts().await;
    let body = platform
        .authz(
            REVOKE,
            json!({ "u": admin_id, "r": admin_role }),
            Some(&admin),
        )
        .await;
    assert_eq!(support::error_code(&body), "BAD_USER_INPUT", "{body:#}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("last admin")
    );
    assert_eq!(platform.table_counts().await, before);

    // An admin whose assignment has expired does not count as another admin.
    let second = platform.register("second@example.org", "second").await;
    let soon = support::rfc3339_in(300);
    platform
        .authz_ok(
            ASSIGN,
            json!({ "u": second, "r": admin_role, "e": soon }),
            Some(&admin),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let body = platform
        .authz(
            REVOKE,
            json!({ "u": admin_id, "r": admin_role }),
            Some(&admin),
        )
        .await;
    assert_eq!(support::error_code(&body), "BAD_USER_INPUT", "{body:#}");

    // With a second (permanent) admin, the first may go; then the second is the last.
    platform
        .authz_ok(
            ASSIGN,
            json!({ "u": second, "r": admin_role, "e": null }),
            Some(&admin),
        )
        .await;
    let revoked = platform
        .authz_ok(
            REVOKE,
            json!({ "u": admin_id, "r": admin_role }),
            Some(&admin),
        )
        .await;
    assert_eq!(revoked["revokeRole"], true);
    // Revoking admin ends the ex-admin's sessions (identity consumes authz.role.revoked).
    let mut ended = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let families_revoked = identity::store::sessions::find_by_hash(
            platform.identity.identity.db(),
            &identity::tokens::token_hash(&session),
        )
        .await
        .expect("session lookup")
        .is_some_and(|row| row.revoked);
        if families_revoked {
            ended = true;
            break;
        }
    }
    assert!(ended, "the ex-admin's refresh token family was not revoked");
    assert!(!platform.refresh_works(&session).await);
    let body = platform
        .authz(
            REVOKE,
            json!({ "u": second, "r": admin_role }),
            Some(&admin),
        )
        .await;
    assert_eq!(support::error_code(&body), "BAD_USER_INPUT");

    // The bootstrap admin's next login no longer carries admin, and is not re-granted it.
    let (again, _) = platform.login(support::ADMIN_EMAIL).await;
    assert_eq!(support::claims_of(&again)["roles"], json!(["user"]));
}

on_both_backends!(last_admin_is_kept);
