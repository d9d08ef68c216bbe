use jsonwebtoken::jwk::JwkSet;
use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, ME, PASSWORD, start, test_config, try_start_on};

on_both_backends!(jwks_and_rotation_overlap, keys_encrypted_at_rest);

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .expect("header")
        .kid
        .expect("kid")
}

async fn jwks_and_rotation_overlap(backend: Backend) {
    let server = start(backend, |_| {}).await;
    let jwks_url = format!("{}/.well-known/jwks.json", server.url);
    let before: JwkSet = server
        .http
        .get(&jwks_url)
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    assert_eq!(before.keys.len(), 1);
    let jwk = &before.keys[0];
    let jwk_json = serde_json::to_value(jwk).expect("jwk");
    assert_eq!(jwk_json["kty"], "OKP");
    assert_eq!(jwk_json["crv"], "Ed25519");
    assert_eq!(jwk_json["alg"], "EdDSA");
    assert!(jwk_json.get("d").is_none(), "no private part in the JWKS");

    server.register("kim@example.org", "kim").await;
    let (old_access, _) = server.login_ok("kim@example.org", PASSWORD).await;
    let old_kid = kid_of(&old_access);
    assert_eq!(jwk.common.key_id.as_deref(), Some(old_kid.as_str()));

    // Rotate (what `platform keys rotate` runs), then reload as the periodic refresh would.
    let report = identity::signing::rotate_signing_key(&server.db, server.app.identity.config())
        .await
        .expect("rotate");
    assert_eq!(report.retiring, vec![old_kid.clone()]);
    identity::signing::reload(
        &server.db,
        server.app.identity.keys(),
        server.app.identity.config(),
    )
    .await
    .expect("reload");

    // Both keys are published during the overlap; new tokens use the new key; old still verify.
    let after: JwkSet = server
        .http
        .get(&jwks_url)
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    let kids: Vec<_> = after
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect();
    assert!(
        kids.contains(&old_kid) && kids.contains(&report.new_kid),
        "{kids:?}"
    );
    let (new_access, _) = server.login_ok("kim@example.org", PASSWORD).await;
    assert_eq!(kid_of(&new_access), report.new_kid);
    for token in [&old_access, &new_access] {
        let me = server.ok(ME, json!({}), Some(token)).await;
        assert_eq!(me["me"]["username"], "kim");
    }

    // Once past retirement, the old key leaves the JWKS and its tokens stop verifying.
    let ring = server.app.identity.keys();
    let rows = identity::store::keys::published(&server.db, report.retire_at + 1)
        .await
        .expect("keys");
    let stored = rows
        .into_iter()
        .map(|row| {
            row.into_stored(identity::signing::key_cipher(server.app.identity.config()).as_ref())
                .expect("stored")
        })
        .collect();
    ring.load(stored, report.retire_at + 1).expect("load");
    assert_eq!(ring.jwks().keys.len(), 1);
    let body = server.gql(ME, json!({}), Some(&old_access)).await;
    assert_eq!(crate::support::error_of(&body).0, "UNAUTHENTICATED");
}

async fn keys_encrypted_at_rest(backend: Backend) {
    let secret = "a real key encryption secret";
    let server = start(backend, |c| {
        c.key_encryption_secret = Some(kit::config::Secret::new(secret));
    })
    .await;
    let rows = identity::store::keys::published(&server.db, 0)
        .await
        .expect("keys");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].key_encryption, "chacha20poly1305");
    // Unreadable without the secret; readable with it.
    assert!(rows[0].clone().into_stored(None).is_err());
    let cipher = identity::tokens::KeyCipher::from_secret(secret);
    rows[0]
        .clone()
        .into_stored(Some(&cipher))
        .expect("decrypts");

    server.register("lea@example.org", "lea").await;
    let (access, _) = server.login_ok("lea@example.org", PASSWORD).await;
    assert_eq!(
        server.ok(ME, json!({}), Some(&access)).await["me"]["username"],
        "lea"
    );

    // The same database with another secret refuses to start rather than mint bad tokens.
    let mut config = test_config();
    config.key_encryption_secret = Some(kit::config::Secret::new("the wrong secret"));
    let refused = try_start_on(
        server.db.clone(),
        tempfile::tempdir().expect("dir"),
        config,
        true,
    )
    .await;
    assert!(matches!(
        refused,
        Err(identity::service::StartError::Signing(_))
    ));
}
