use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::verifier::AuthError;

/// One public key a token may be signed with.
#[derive(Clone)]
pub struct VerificationKey {
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

impl std::fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl VerificationKey {
    /// The key a JWK describes, for the algorithms the platform accepts (EdDSA, ES256, RS256).
    /// The algorithm comes from `alg` when present, else from the key type and curve.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, AuthError> {
        let inferred = match &jwk.algorithm {
            AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
                Algorithm::EdDSA
            }
            AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                Algorithm::ES256
            }
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            _ => return Err(AuthError::UnsupportedKey),
        };
        let algorithm = match jwk.common.key_algorithm {
            None => inferred,
            Some(KeyAlgorithm::EdDSA) if inferred == Algorithm::EdDSA => Algorithm::EdDSA,
            Some(KeyAlgorithm::ES256) if inferred == Algorithm::ES256 => Algorithm::ES256,
            Some(KeyAlgorithm::RS256) if inferred == Algorithm::RS256 => Algorithm::RS256,
            Some(_) => return Err(AuthError::UnsupportedKey),
        };
        let key = DecodingKey::from_jwk(jwk).map_err(|_| AuthError::UnsupportedKey)?;
        Ok(Self { algorithm, key })
    }
}

/// Where a verifier finds the key for a token's `kid`.
pub trait KeySource: Send + Sync {
    /// The key with this `kid`, or `None` when the source does not know it.
    fn key<'a>(&'a self, kid: &'a str)
    -> BoxFuture<'a, Result<Option<VerificationKey>, AuthError>>;
}

/// A fixed set of keys held in process (identity verifying its own tokens, tests).
#[derive(Clone, Default)]
pub struct StaticKeys {
    keys: Arc<HashMap<String, VerificationKey>>,
}

impl StaticKeys {
    /// Keys of a JWKS document; keys without `kid` or of unsupported types are skipped.
    pub fn from_jwks(set: &JwkSet) -> Self {
        Self {
            keys: Arc::new(keys_by_kid(set)),
        }
    }
}

impl KeySource for StaticKeys {
    fn key<'a>(
        &'a self,
        kid: &'a str,
    ) -> BoxFuture<'a, Result<Option<VerificationKey>, AuthError>> {
        Box::pin(async move { Ok(self.keys.get(kid).cloned()) })
    }
}

pub(super) fn keys_by_kid(set: &JwkSet) -> HashMap<String, VerificationKey> {
    set.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            match VerificationKey::from_jwk(jwk) {
                Ok(key) => Some((kid, key)),
                Err(_) => {
                    tracing::warn!(kid, "skipping JWKS key of an unsupported type");
                    None
                }
            }
        })
        .collect()
}
