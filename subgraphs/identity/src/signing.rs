//! Signing-key lifecycle: the first key at startup, periodic reload of the ring, and rotation
//! (`platform keys rotate`).

use kit::db::Db;

use crate::config::IdentityConfig;
use crate::store::keys::{self, KeyRow};
use crate::store::now_ms;
use crate::tokens::{KeyCipher, KeyError, KeyRing, generate_key};

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("signing key storage failed: {0}")]
    Db(#[from] kit::db::DbError),
}

/// What a rotation did.
#[derive(Debug, Clone)]
pub struct RotationReport {
    pub new_kid: String,
    /// Keys that stop signing now and leave the JWKS at `retire_at` (unix ms).
    pub retiring: Vec<String>,
    pub retire_at: i64,
}

/// The cipher for stored private keys, when `identity.key_encryption_secret` is set.
pub fn key_cipher(config: &IdentityConfig) -> Option<KeyCipher> {
    config
        .key_encryption_secret
        .as_ref()
        .map(|secret| KeyCipher::from_secret(secret.expose()))
}

/// Creates a key when there is no active one (first start).
pub async fn ensure_signing_key(db: &Db, config: &IdentityConfig) -> Result<(), SigningError> {
    if keys::active_count(db).await? > 0 {
        return Ok(());
    }
    let key = generate_key()?;
    let row = KeyRow::new(&key, now_ms(), key_cipher(config).as_ref())?;
    if keys::insert_if_none_active(db, row).await? {
        tracing::info!(kid = %key.kid, "created the first signing key");
    }
    Ok(())
}

/// Reloads `ring` from the database.
pub async fn reload(db: &Db, ring: &KeyRing, config: &IdentityConfig) -> Result<(), SigningError> {
    let now = now_ms();
    let cipher = key_cipher(config);
    let stored = keys::published(db, now)
        .await?
        .into_iter()
        .map(|row| row.into_stored(cipher.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    ring.load(stored, now)?;
    Ok(())
}

/// Adds a new signing key and retires the current ones after the longest token lifetime, so
/// every token they signed still verifies: the JWKS serves old and new keys until then.
/// Running services pick the new key up within `identity.key_refresh_seconds`.
///
/// This is the library side of `platform keys rotate`.
pub async fn rotate_signing_key(
    db: &Db,
    config: &IdentityConfig,
) -> Result<RotationReport, SigningError> {
    let key = generate_key()?;
    let now = now_ms();
    // Also cover services that have not yet reloaded and still sign with the old key.
    let overlap_seconds = config
        .longest_jwt_seconds()
        .saturating_add(config.key_refresh_seconds);
    let retire_at =
        now.saturating_add(i64::try_from(overlap_seconds.saturating_mul(1000)).unwrap_or(i64::MAX));
    let new_kid = key.kid.clone();
    let row = KeyRow::new(&key, now, key_cipher(config).as_ref())?;
    let retiring = keys::rotate(db, row, retire_at).await?;
    tracing::info!(kid = %new_kid, retiring = ?retiring, "rotated signing key");
    Ok(RotationReport {
        new_kid,
        retiring,
        retire_at,
    })
}
