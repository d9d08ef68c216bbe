//! The registry follows the manifests: added codes appear, changed descriptions update,
//! removed codes disappear together with their grants.

use authz::{Manifest, ManifestPermission};
use serde_json::json;

use crate::on_both_backends;
use crate::support::{self, Backend};

const PERMISSIONS: &str =
    "query($m: String) { permissions(module: $m) { code module description } }";

fn with_blog(manifests: &mut [Manifest], edit: impl FnOnce(&mut Vec<ManifestPermission>)) {
    let blog = manifests
        .iter_mut()
        .find(|m| m.module == "blog")
        .expect("blog manifest");
    edit(&mut blog.permissions);
}

async fn manifest_changes_reach_the_registry(backend: Backend) {
    let platform = support::start(backend).await;
    let (admin, _) = platform.login(support::ADMIN_EMAIL).await;
    let blog = platform
        .authz_ok(PERMISSIONS, json!({ "m": "blog" }), Some(&admin))
        .await;
    let codes: Vec<&str> = blog["permissions"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["code"].as_str())
        .collect();
    assert!(codes.contains(&permissions::BLOG_POST_PUBLISH), "{blog:#}");
    assert!(codes.iter().all(|c| c.starts_with("blog.")));

    // A custom role holding the code that is about to disappear.
    let role = platform
        .authz_ok(
            "mutation { createRole(input: { name: \"moderator\" }) { id } }",
            json!({}),
            Some(&admin),
        )
        .await["createRole"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    platform
        .authz_ok(
            "mutation($r: ID!, $p: String!) { grantPermission(roleId: $r, permission: $p) { id } }",
            json!({ "r": role, "p": permissions::BLOG_COMMENT_MODERATE }),
            Some(&admin),
        )
        .await;

    let mut manifests = Manifest::compiled();
    with_blog(&mut manifests, |ps| {
        ps.retain(|p| p.code != permissions::BLOG_COMMENT_MODERATE);
        ps.push(ManifestPermission {
            code: "blog.tag.manage".into(),
            description: "Manage tags.".into(),
        });
        let publish = ps
            .iter_mut()
            .find(|p| p.code == permissions::BLOG_POST_PUBLISH)
            .expect("publish");
        publish.description = "Publish, now with scheduling.".into();
    });
    let report = authz::registry::seed(&platform.authz_db, &manifests, &[])
        .await
        .expect("reseed");
    assert_eq!(report.added, vec!["blog.tag.manage".to_owned()]);
    assert_eq!(
        report.updated,
        vec![permissions::BLOG_POST_PUBLISH.to_owned()]
    );
    assert_eq!(
        report.removed,
        vec![permissions::BLOG_COMMENT_MODERATE.to_owned()]
    );
    // Seeding the same manifests again changes nothing.
    let again = authz::registry::seed(&platform.authz_db, &manifests, &[])
        .await
        .expect("reseed");
    assert_eq!(again, Default::default());

    let blog = platform
        .authz_ok(PERMISSIONS, json!({ "m": "blog" }), Some(&admin))
        .await;
    let list = blog["permissions"].as_array().expect("list");
    let find = |code: &str| list.iter().find(|p| p["code"] == code).cloned();
    assert!(find(permissions::BLOG_COMMENT_MODERATE).is_none());
    assert_eq!(find("blog.tag.manage").expect("added")["module"], "blog");
    assert_eq!(
        find(permissions::BLOG_POST_PUBLISH).expect("kept")["description"],
        "Publish, now with scheduling."
    );
    let role_now = platform
        .authz_ok(
            "query($id: ID!) { role(id: $id) { permissions } }",
            json!({ "id": role }),
            Some(&admin),
        )
        .await;
    assert_eq!(role_now["role"]["permissions"], json!([]));
    // The admin role is kept complete: it got the new code.
    let admin_role = platform
        .authz_ok("{ roles { name permissions } }", json!({}), Some(&admin))
        .await;
    let admin_perms = admin_role["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["name"] == "admin")
        .expect("admin")["permissions"]
        .clone();
    assert!(
        admin_perms
            .as_array()
            .expect("codes")
            .contains(&json!("blog.tag.manage"))
    );

    // Granting a code that no manifest declares is an input error.
    let body = platform
        .authz(
            "mutation($r: ID!, $p: String!) { grantPermission(roleId: $r, permission: $p) { id } }",
            json!({ "r": role, "p": permissions::BLOG_COMMENT_MODERATE }),
            Some(&admin),
        )
        .await;
    assert_eq!(support::error_code(&body), "BAD_USER_INPUT");
}

async fn migrated_db(backend: Backend) -> (tempfile::TempDir, kit::db::Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = support::open_db(backend, dir.path(), "authz").await;
    db.migrate(&authz::store::MIGRATIONS)
        .await
        .expect("migrate");
    (dir, db)
}

async fn unknown_default_permission_stops_startup_after_migration(backend: Backend) {
    let (_dir, db) = migrated_db(backend).await;
    let result = authz::registry::seed(&db, &Manifest::compiled(), &["nope.x.y".to_owned()]).await;
    assert!(result.is_err());
    // Nothing was seeded.
    assert!(
        authz::store::registry::list(&db, None)
            .await
            .expect("list")
            .is_empty()
    );
}

on_both_backends!(
    manifest_changes_reach_the_registry,
    unknown_default_permission_stops_startup_after_migration,
);
