//! Secrets identity hands out: opaque random tokens (refresh, verification, reset) stored only
//! as hashes, and signed access JWTs.

mod access;
mod key_cipher;
mod keys;

pub use access::{
    AccessToken, Grants, NoRoles, RoleSource, RoleSourceError, TokenSubject, issue_access_token,
};
pub use key_cipher::KeyCipher;
pub use keys::{GeneratedKey, KeyError, KeyRing, SigningKey, StoredKey, generate_key};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// The `key_encryption` value of keys encrypted by [`KeyCipher`].
pub fn key_cipher_form() -> &'static str {
    key_cipher::FORM
}

/// 32 random bytes, base64url without padding: the form of every opaque token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token, hex: the only form in which opaque tokens are stored.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets (or their hashes) in time independent of where they differ.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_are_32_bytes_and_distinct() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).expect("base64url").len(), 32);
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(secrets_equal(&token_hash("x"), &token_hash("x")));
        assert!(!secrets_equal(&token_hash("x"), &token_hash("y")));
        assert!(!secrets_equal("abc", "abcd"));
    }
}
