//! Encryption at rest for signing keys: ChaCha20-Poly1305 under a key derived from
//! `identity.key_encryption_secret`, so a database dump alone does not yield a key that can
//! mint tokens. The kid is the associated data: a ciphertext cannot be moved to another row.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use super::keys::KeyError;

/// The `key_encryption` column value of keys this cipher wrote.
pub const FORM: &str = "chacha20poly1305";

/// Encrypts and decrypts stored private keys.
#[derive(Clone)]
pub struct KeyCipher {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for KeyCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCipher(***)")
    }
}

impl KeyCipher {
    pub fn from_secret(secret: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(b"platform identity signing-key encryption v1\0")
            .chain_update(secret.as_bytes())
            .finalize();
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&digest)),
        }
    }

    /// `base64(nonce || ciphertext)`.
    pub fn encrypt(&self, kid: &str, plaintext: &[u8]) -> Result<String, KeyError> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: kid.as_bytes(),
                },
            )
            .map_err(|_| KeyError::Encode("cannot encrypt the private key".into()))?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(STANDARD.encode(out))
    }

    pub fn decrypt(&self, kid: &str, stored: &str) -> Result<Vec<u8>, KeyError> {
        let fail = |reason: &str| KeyError::Stored {
            kid: kid.to_owned(),
            reason: reason.to_owned(),
        };
        let bytes = STANDARD
            .decode(stored)
            .map_err(|_| fail("private key is not base64"))?;
        if bytes.len() < 12 {
            return Err(fail("encrypted private key is truncated"));
        }
        let (nonce, sealed) = bytes.split_at(12);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: kid.as_bytes(),
                },
            )
            .map_err(|_| fail("cannot decrypt: wrong identity.key_encryption_secret?"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_bound_to_secret_and_kid() {
        let cipher = KeyCipher::from_secret("s3cret");
        let sealed = cipher.encrypt("kid-1", b"private key").expect("encrypt");
        assert_eq!(
            cipher.decrypt("kid-1", &sealed).expect("decrypt"),
            b"private key"
        );
        assert!(
            cipher.decrypt("kid-2", &sealed).is_err(),
            "moved to another kid"
        );
        let other = KeyCipher::from_secret("other");
        assert!(other.decrypt("kid-1", &sealed).is_err(), "wrong secret");
        assert_ne!(
            sealed,
            cipher.encrypt("kid-1", b"private key").expect("encrypt"),
            "fresh nonce per encryption"
        );
    }
}
