//! Access tokens: short-lived EdDSA JWTs carrying who the user is and what they may do.

use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, Header};
use kit::auth::AccessClaims;

use super::keys::{KeyError, KeyRing};

/// Roles and permission codes granted to a user, as they go into a token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    pub roles: Vec<String>,
    /// Permission codes (`{module}.{resource}.{action}`).
    pub scopes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot load the user's roles: {0}")]
pub struct RoleSourceError(pub String);

/// Where a user's roles and permissions come from when a token is issued. Authz implements
/// this; until it is wired in, [`NoRoles`] grants nothing.
pub trait RoleSource: Send + Sync {
    fn grants<'a>(&'a self, user_id: &'a str) -> BoxFuture<'a, Result<Grants, RoleSourceError>>;
}

/// Grants no role and no permission.
pub struct NoRoles;

impl RoleSource for NoRoles {
    fn grants<'a>(&'a self, _user_id: &'a str) -> BoxFuture<'a, Result<Grants, RoleSourceError>> {
        Box::pin(async { Ok(Grants::default()) })
    }
}

/// A signed access token and when it expires.
#[derive(Clone, Debug)]
pub struct AccessToken {
    pub token: String,
    pub jti: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// What goes into one token besides the grants.
pub struct TokenSubject<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    /// The refresh-token family this token belongs to.
    pub session_id: &'a str,
}

/// Signs an access token with the ring's current key (`kid` in the header).
pub fn issue_access_token(
    ring: &KeyRing,
    subject: &TokenSubject<'_>,
    grants: &Grants,
    issuer: &str,
    audience: &str,
    lifetime_seconds: u64,
    now_seconds: i64,
) -> Result<AccessToken, KeyError> {
    let key = ring.signing_key()?;
    let jti = uuid::Uuid::now_v7().to_string();
    let lifetime = i64::try_from(lifetime_seconds).unwrap_or(i64::MAX / 2);
    let claims = AccessClaims {
        sub: subject.user_id.to_owned(),
        email: Some(subject.email.to_owned()),
        roles: grants.roles.clone(),
        scope: grants.scopes.join(" "),
        iss: issuer.to_owned(),
        aud: audience.to_owned(),
        iat: now_seconds,
        exp: now_seconds.saturating_add(lifetime),
        nbf: None,
        jti: jti.clone(),
        sid: Some(subject.session_id.to_owned()),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    let token = jsonwebtoken::encode(&header, &claims, &key.encoding)
        .map_err(|e| KeyError::Encode(e.to_string()))?;
    Ok(AccessToken {
        token,
        jti,
        expires_at: claims.exp,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kit::auth::{AuthConfig, AuthError, StaticKeys, TokenVerifier};

    use super::super::keys::{StoredKey, generate_key};
    use super::*;

    fn ring_with(keys: &[(&super::super::GeneratedKey, i64, Option<i64>)]) -> KeyRing {
        let ring = KeyRing::default();
        let stored = keys
            .iter()
            .map(|(key, created_at, retired_at)| StoredKey {
                kid: key.kid.clone(),
                private_pkcs8: key.private_pkcs8.clone(),
                public_jwk: key.public_jwk.clone(),
                created_at: *created_at,
                retired_at: *retired_at,
            })
            .collect();
        ring.load(stored, 1_000).expect("load");
        ring
    }

    fn verifier(ring: &KeyRing) -> TokenVerifier {
        let config = AuthConfig {
            issuer: "iss".into(),
            audience: "aud".into(),
            leeway_seconds: 0,
            ..AuthConfig::default()
        };
        TokenVerifier::new(Arc::new(StaticKeys::from_jwks(&ring.jwks())), &config)
    }

    fn subject() -> TokenSubject<'static> {
        TokenSubject {
            user_id: "user-1",
            email: "a@example.org",
            session_id: "family-1",
        }
    }

    #[tokio::test]
    async fn issued_tokens_verify_with_the_published_keys() {
        let old = generate_key().expect("key");
        let new = generate_key().expect("key");
        // The old key is retiring but still published; the newest active key signs.
        let ring = ring_with(&[(&old, 1, Some(5_000)), (&new, 2, None)]);
        assert_eq!(ring.signing_key().expect("signing").kid, new.kid);
        assert_eq!(ring.jwks().keys.len(), 2);

        let grants = Grants {
            roles: vec!["admin".into()],
            scopes: vec!["identity.user.read".into(), "blog.post.publish".into()],
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let token =
            issue_access_token(&ring, &subject(), &grants, "iss", "aud", 900, now).expect("issue");
        let claims = verifier(&ring).verify(&token.token).await.expect("valid");
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.scope, "identity.user.read blog.post.publish");
        assert_eq!(claims.exp - claims.iat, 900);
        assert_eq!(claims.jti, token.jti);
        assert_eq!(claims.sid.as_deref(), Some("family-1"));
    }

    #[tokio::test]
    async fn retired_keys_leave_the_jwks() {
        let old = generate_key().expect("key");
        let ring = ring_with(&[(&old, 1, Some(500))]);
        assert!(ring.jwks().keys.is_empty());
        assert!(ring.signing_key().is_err());
    }

    #[tokio::test]
    async fn wrong_issuer_audience_expiry_and_key_are_rejected() {
        let key = generate_key().expect("key");
        let ring = ring_with(&[(&key, 1, None)]);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let grants = Grants::default();
        let verifier = verifier(&ring);

        let other_iss =
            issue_access_token(&ring, &subject(), &grants, "x", "aud", 900, now).expect("issue");
        assert!(matches!(
            verifier.verify(&other_iss.token).await,
            Err(AuthError::Invalid(_))
        ));
        let other_aud =
            issue_access_token(&ring, &subject(), &grants, "iss", "x", 900, now).expect("issue");
        assert!(verifier.verify(&other_aud.token).await.is_err());
        let expired = issue_access_token(&ring, &subject(), &grants, "iss", "aud", 60, now - 120)
            .expect("issue");
        assert!(matches!(
            verifier.verify(&expired.token).await,
            Err(AuthError::Expired)
        ));

        // Same kid, different key material: the signature does not verify.
        let impostor = generate_key().expect("key");
        let forged_ring = ring_with(&[(
            &crate::tokens::GeneratedKey {
                kid: key.kid.clone(),
                private_pkcs8: impostor.private_pkcs8.clone(),
                public_jwk: impostor.public_jwk.clone(),
            },
            1,
            None,
        )]);
        let forged = issue_access_token(&forged_ring, &subject(), &grants, "iss", "aud", 900, now)
            .expect("issue");
        assert!(verifier.verify(&forged.token).await.is_err());
    }
}
