//! Signing keys as stored: private key as base64 PKCS#8 DER, public JWK as JSON.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::{Db, DbError};

use super::schema::signing_keys as sk;
use crate::tokens::{GeneratedKey, KeyCipher, KeyError, StoredKey};

/// `key_encryption` of a plain base64 PKCS#8 key (no `identity.key_encryption_secret`).
const PLAINTEXT: &str = "none";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sk)]
pub struct KeyRow {
    pub kid: String,
    pub algorithm: String,
    pub private_key: String,
    pub key_encryption: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl KeyRow {
    /// The row for a new key, its private half encrypted when `cipher` is given.
    pub fn new(key: &GeneratedKey, now: i64, cipher: Option<&KeyCipher>) -> Result<Self, KeyError> {
        let (private_key, key_encryption) = match cipher {
            Some(cipher) => (
                cipher.encrypt(&key.kid, &key.private_pkcs8)?,
                crate::tokens::key_cipher_form(),
            ),
            None => (STANDARD.encode(&key.private_pkcs8), PLAINTEXT),
        };
        Ok(Self {
            kid: key.kid.clone(),
            algorithm: "EdDSA".into(),
            private_key,
            key_encryption: key_encryption.into(),
            public_jwk: key.public_jwk.clone(),
            created_at: now,
            retired_at: None,
        })
    }

    /// The key as the ring needs it; an encrypted key needs the cipher it was written with.
    pub fn into_stored(self, cipher: Option<&KeyCipher>) -> Result<StoredKey, KeyError> {
        let private_pkcs8 = match (self.key_encryption.as_str(), cipher) {
            (PLAINTEXT, _) => STANDARD
                .decode(&self.private_key)
                .map_err(|e| KeyError::Stored {
                    kid: self.kid.clone(),
                    reason: e.to_string(),
                })?,
            (form, Some(cipher)) if form == crate::tokens::key_cipher_form() => {
                cipher.decrypt(&self.kid, &self.private_key)?
            }
            (form, None) if form == crate::tokens::key_cipher_form() => {
                return Err(KeyError::Stored {
                    kid: self.kid,
                    reason: "the key is encrypted and identity.key_encryption_secret is not set"
                        .into(),
                });
            }
            (form, _) => {
                return Err(KeyError::Stored {
                    kid: self.kid,
                    reason: format!("unknown key encryption `{form}`"),
                });
            }
        };
        Ok(StoredKey {
            kid: self.kid,
            private_pkcs8,
            public_jwk: self.public_jwk,
            created_at: self.created_at,
            retired_at: self.retired_at,
        })
    }
}

/// Keys not yet past their retirement time.
pub async fn published(db: &Db, now: i64) -> Result<Vec<KeyRow>, DbError> {
    kit::db_run!(db, |conn| async move {
        Ok(sk::table
            .filter(sk::retired_at.is_null().or(sk::retired_at.gt(now)))
            .order(sk::created_at.asc())
            .select(KeyRow::as_select())
            .load(conn)
            .await?)
    })
}

pub async fn active_count(db: &Db) -> Result<i64, DbError> {
    kit::db_run!(db, |conn| async move {
        Ok(sk::table
            .filter(sk::retired_at.is_null())
            .count()
            .get_result(conn)
            .await?)
    })
}

/// Adds `row` as the active key and schedules every other active key to retire at
/// `retire_at`, with a `signing_key.rotated` event. Returns the kids scheduled for retirement.
pub async fn rotate(db: &Db, row: KeyRow, retire_at: i64) -> Result<Vec<String>, DbError> {
    kit::db_tx!(db, |conn| async move {
        let retiring: Vec<String> = sk::table
            .filter(sk::retired_at.is_null())
            .select(sk::kid)
            .load(conn)
            .await?;
        diesel::update(sk::table.filter(sk::retired_at.is_null()))
            .set(sk::retired_at.eq(retire_at))
            .execute(conn)
            .await?;
        diesel::insert_into(sk::table)
            .values(&row)
            .execute(conn)
            .await?;
        let event = crate::events::signing_key_rotated(&row.kid, &retiring);
        super::enqueue_events(conn, &[event]).await?;
        Ok(retiring)
    })
}

/// Inserts `row` only when there is no active key (first start).
pub async fn insert_if_none_active(db: &Db, row: KeyRow) -> Result<bool, DbError> {
    kit::db_tx!(db, |conn| async move {
        let active: i64 = sk::table
            .filter(sk::retired_at.is_null())
            .count()
            .get_result(conn)
            .await?;
        if active > 0 {
            return Ok(false);
        }
        diesel::insert_into(sk::table)
            .values(&row)
            .execute(conn)
            .await?;
        Ok(true)
    })
}
