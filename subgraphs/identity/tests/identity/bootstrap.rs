use identity::config::BootstrapAdmin;
use identity::service::StartError;
use kit::config::Secret;
use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, PASSWORD, error_of, open_db, start, test_config, try_start_on};

on_both_backends!(
    production_needs_an_admin,
    rehash_on_login_after_parameter_change
);

async fn production_needs_an_admin(backend: Backend) {
    // An empty production database without a bootstrap admin: refused.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open_db(backend, &dir).await;
    let refused = try_start_on(db.clone(), dir, test_config(), false).await;
    assert!(
        matches!(refused, Err(StartError::Bootstrap(_))),
        "production started without any admin"
    );

    // With one: created verified, can log in; the production schema has no `devMails`.
    let mut config = test_config();
    config.bootstrap_admin = Some(BootstrapAdmin {
        email: "root@example.org".into(),
        password: Secret::new(PASSWORD),
        username: None,
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let server = try_start_on(db, dir, config, false).await.expect("starts");
    let (access, _) = server.login_ok("root@example.org", PASSWORD).await;
    let me = server
        .ok(
            "{ me { username emailVerified } }",
            json!({}),
            Some(&access),
        )
        .await;
    assert_eq!(
        me["me"],
        json!({ "username": "admin", "emailVerified": true })
    );
    let dev = server.gql("{ devMails { id } }", json!({}), None).await;
    assert_eq!(error_of(&dev).0, "GRAPHQL_VALIDATION_FAILED", "{dev:#}");
}

async fn rehash_on_login_after_parameter_change(backend: Backend) {
    let server = start(backend, |_| {}).await;
    let user = server.register("rex@example.org", "rex").await;
    let user_id = user["id"].as_str().expect("id").to_owned();
    let before = identity::store::users::password_hash(&server.db, &user_id)
        .await
        .expect("query")
        .expect("hash");
    assert!(before.contains("m=64,t=1,p=1"), "{before}");

    // Same database, stronger parameters: the next login stores a new hash.
    let mut config = test_config();
    config.password.memory_kib = 128;
    config.password.iterations = 2;
    let db = server.db.clone();
    let stronger = try_start_on(db, tempfile::tempdir().expect("tempdir"), config, true)
        .await
        .expect("starts");
    stronger.login_ok("rex@example.org", PASSWORD).await;
    let after = identity::store::users::password_hash(&stronger.db, &user_id)
        .await
        .expect("query")
        .expect("hash");
    assert!(after.contains("m=128,t=2,p=1"), "{after}");
    stronger.login_ok("rex@example.org", PASSWORD).await;
}
