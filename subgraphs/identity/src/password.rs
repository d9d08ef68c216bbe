//! Argon2id password hashing. Hashing and verification are CPU-heavy, so they run on tokio's
//! blocking pool, never on a runtime worker.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::PasswordConfig;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("invalid argon2 parameters: {0}")]
    Params(argon2::Error),
    #[error("password hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
    #[error("stored password hash is malformed: {0}")]
    Stored(argon2::password_hash::Error),
    #[error("password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Outcome of checking a password against a stored PHC string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, but the stored hash uses other parameters than configured: store a new one.
    YesRehash,
}

impl Verified {
    pub fn ok(self) -> bool {
        self != Verified::No
    }
}

/// Hashes and verifies passwords with the configured argon2id parameters.
#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// A hash of a random password, verified against when an account does not exist so that
    /// a login for an unknown email costs the same time as one for a known email.
    dummy_hash: Arc<String>,
}

impl Passwords {
    pub fn new(config: &PasswordConfig) -> Result<Self, PasswordError> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            None,
        )
        .map_err(PasswordError::Params)?;
        let dummy = crate::tokens::random_token();
        let dummy_hash = hash_with(&params, dummy.as_bytes())?;
        Ok(Self {
            params,
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    /// Argon2id PHC string for `password`, with a fresh random salt.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let params = self.params.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_with(&params, password.as_bytes())).await?
    }

    /// Checks `password` against `stored`; `None` for `stored` burns the same work and fails.
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&str>,
    ) -> Result<Verified, PasswordError> {
        let known = stored.is_some();
        let stored = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.to_owned();
        let wanted = self.params.clone();
        let verified = tokio::task::spawn_blocking(move || -> Result<Verified, PasswordError> {
            let parsed = PasswordHash::new(&stored).map_err(PasswordError::Stored)?;
            // Verification takes the algorithm and parameters from the PHC string itself.
            let matches = Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            if !matches {
                return Ok(Verified::No);
            }
            let current = Params::try_from(&parsed).ok();
            let same_algorithm = parsed.algorithm == argon2::ARGON2ID_IDENT
                && parsed.version == Some(Version::V0x13.into());
            let same_params = current.is_some_and(|p| {
                p.m_cost() == wanted.m_cost()
                    && p.t_cost() == wanted.t_cost()
                    && p.p_cost() == wanted.p_cost()
            });
            Ok(if same_algorithm && same_params {
                Verified::Yes
            } else {
                Verified::YesRehash
            })
        })
        .await??;
        Ok(if known { verified } else { Verified::No })
    }
}

fn hash_with(params: &Params, password: &[u8]) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(PasswordError::Hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap(memory_kib: u32) -> Passwords {
        Passwords::new(&PasswordConfig {
            memory_kib,
            iterations: 1,
            parallelism: 1,
            ..PasswordConfig::default()
        })
        .expect("params")
    }

    #[tokio::test]
    async fn hash_verify_and_rehash() {
        let passwords = cheap(64);
        let hash = passwords.hash("correct horse").await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert_eq!(
            passwords
                .verify("correct horse", Some(&hash))
                .await
                .expect("verify"),
            Verified::Yes
        );
        assert_eq!(
            passwords
                .verify("wrong horse", Some(&hash))
                .await
                .expect("verify"),
            Verified::No
        );
        // Changed parameters: still verifies, asks for a rehash.
        let stronger = cheap(128);
        assert_eq!(
            stronger
                .verify("correct horse", Some(&hash))
                .await
                .expect("verify"),
            Verified::YesRehash
        );
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        let passwords = cheap(64);
        assert_eq!(
            passwords.verify("anything", None).await.expect("verify"),
            Verified::No
        );
    }

    #[tokio::test]
    async fn malformed_stored_hash_is_an_error() {
        let passwords = cheap(64);
        assert!(passwords.verify("x", Some("not a phc")).await.is_err());
    }
}
