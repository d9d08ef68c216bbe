//! Ed25519 signing keys: generation, the JWK of the public half, and the in-memory ring the
//! service signs with and serves as JWKS. Keys live in the database (see `store::keys`); the
//! ring is a snapshot reloaded periodically so a rotation by another process is picked up.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use jsonwebtoken::EncodingKey;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use parking_lot::RwLock;
use rand::RngCore as _;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot encode the private key: {0}")]
    Encode(String),
    #[error("stored key {kid} is unusable: {reason}")]
    Stored { kid: String, reason: String },
    #[error("there is no active signing key")]
    NoActiveKey,
}

/// A freshly generated key, in the forms the database stores.
pub struct GeneratedKey {
    pub kid: String,
    /// PKCS#8 DER of the private key.
    pub private_pkcs8: Vec<u8>,
    /// The public JWK (`kty: OKP, crv: Ed25519, alg: EdDSA, use: sig, kid`) as JSON.
    pub public_jwk: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A new Ed25519 key with a UUIDv7 `kid`.
pub fn generate_key() -> Result<GeneratedKey, KeyError> {
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
    let kid = uuid::Uuid::now_v7().to_string();
    let der = signing
        .to_pkcs8_der()
        .map_err(|e| KeyError::Encode(e.to_string()))?;
    let x = URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes());
    let public_jwk = serde_json::json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": x,
        "kid": kid,
        "alg": "EdDSA",
        "use": "sig",
    })
    .to_string();
    Ok(GeneratedKey {
        kid,
        private_pkcs8: der.as_bytes().to_vec(),
        public_jwk,
    })
}

/// The key tokens are signed with.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
}

/// One stored key as the ring needs it.
pub struct StoredKey {
    pub kid: String,
    pub private_pkcs8: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

struct Snapshot {
    signing: Option<SigningKey>,
    jwks: JwkSet,
    loaded_at: i64,
}

/// The keys in use: the newest active key signs, every key not yet past its retirement is
/// published so tokens it signed still verify during the overlap.
#[derive(Clone)]
pub struct KeyRing {
    snapshot: Arc<RwLock<Arc<Snapshot>>>,
}

impl Default for KeyRing {
    fn default() -> Self {
        Self {
            snapshot: Arc::new(RwLock::new(Arc::new(Snapshot {
                signing: None,
                jwks: JwkSet { keys: Vec::new() },
                loaded_at: i64::MIN,
            }))),
        }
    }
}

impl KeyRing {
    /// Replaces the snapshot with `keys` as of `now` (unix ms).
    pub fn load(&self, keys: Vec<StoredKey>, now: i64) -> Result<(), KeyError> {
        let mut published = Vec::new();
        let mut signing: Option<(i64, SigningKey)> = None;
        for key in keys {
            if key.retired_at.is_some_and(|at| at <= now) {
                continue;
            }
            let jwk: Jwk = serde_json::from_str(&key.public_jwk).map_err(|e| KeyError::Stored {
                kid: key.kid.clone(),
                reason: e.to_string(),
            })?;
            published.push(jwk);
            let active = key.retired_at.is_none();
            let newer = signing.as_ref().is_none_or(|(at, _)| key.created_at > *at);
            if active && newer {
                // Fail at load, not at the first login, when a stored key is corrupt.
                use ed25519_dalek::pkcs8::DecodePrivateKey as _;
                ed25519_dalek::SigningKey::from_pkcs8_der(&key.private_pkcs8).map_err(|e| {
                    KeyError::Stored {
                        kid: key.kid.clone(),
                        reason: e.to_string(),
                    }
                })?;
                let encoding = EncodingKey::from_ed_der(&key.private_pkcs8);
                signing = Some((
                    key.created_at,
                    SigningKey {
                        kid: key.kid,
                        encoding,
                    },
                ));
            }
        }
        *self.snapshot.write() = Arc::new(Snapshot {
            signing: signing.map(|(_, key)| key),
            jwks: JwkSet { keys: published },
            loaded_at: now,
        });
        Ok(())
    }

    /// When the snapshot was loaded (unix ms); `i64::MIN` before the first load.
    pub fn loaded_at(&self) -> i64 {
        self.snapshot.read().loaded_at
    }

    pub fn signing_key(&self) -> Result<SigningKey, KeyError> {
        self.snapshot
            .read()
            .signing
            .clone()
            .ok_or(KeyError::NoActiveKey)
    }

    /// The public keys to publish at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> JwkSet {
        self.snapshot.read().jwks.clone()
    }
}

/// Identity verifies its own tokens against the ring directly, without fetching its JWKS.
impl kit::auth::KeySource for KeyRing {
    fn key<'a>(
        &'a self,
        kid: &'a str,
    ) -> futures::future::BoxFuture<
        'a,
        Result<Option<kit::auth::VerificationKey>, kit::auth::AuthError>,
    > {
        Box::pin(async move {
            let snapshot = self.snapshot.read().clone();
            snapshot
                .jwks
                .find(kid)
                .map(kit::auth::VerificationKey::from_jwk)
                .transpose()
        })
    }
}
