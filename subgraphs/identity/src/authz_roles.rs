//! The [`RoleSource`] backed by authz over HTTP, and identity's reaction to authz revoking
//! `admin`. Identity knows authz only through this file and its HTTP contract
//! (`POST {authz}/internal/grants`, see `authz::internal`).
//!
//! Each call carries a 60-second service token identity signs with its own current signing
//! key (`sub: service:identity`, `aud`: authz's service audience), which authz verifies through
//! identity's JWKS like any other token; user tokens have another audience and are refused.
//! The email is sent only when verified, so authz can recognise the bootstrap admin.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, Header};
use kit::auth::AccessClaims;
use kit::db::Db;
use kit::events::{EventEnvelope, EventHandler, HandlerError};

use crate::tokens::{Grants, KeyRing, RoleSource, RoleSourceError};

/// The `sub` of identity's service tokens.
pub const SERVICE_SUBJECT: &str = "service:identity";
const SERVICE_TOKEN_SECONDS: i64 = 60;

/// Roles and permission codes from authz's `/internal/grants`.
pub struct AuthzRoles {
    grants_url: String,
    audience: String,
    http: reqwest::Client,
    /// Set by [`AuthzRoles::attach`] once identity has started (its keys and database exist
    /// only then); until then every call fails.
    parts: OnceLock<Attached>,
}

struct Attached {
    db: Db,
    keys: KeyRing,
    issuer: String,
}

#[derive(serde::Deserialize)]
struct GrantsResponse {
    roles: Vec<String>,
    permissions: Vec<String>,
}

impl AuthzRoles {
    /// `authz_url` is authz's base URL (`http://127.0.0.1:4002`); `audience` its
    /// `authz.service_audience`.
    pub fn new(authz_url: &str, audience: &str) -> Result<Self, RoleSourceError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| RoleSourceError(e.to_string()))?;
        Ok(Self {
            grants_url: format!("{}/internal/grants", authz_url.trim_end_matches('/')),
            audience: audience.to_owned(),
            http,
            parts: OnceLock::new(),
        })
    }

    /// Gives the source identity's database (for the user's email) and signing keys.
    pub fn attach(&self, identity: &crate::accounts::Identity) {
        let _ = self.parts.set(Attached {
            db: identity.db().clone(),
            keys: identity.keys().clone(),
            issuer: identity.config().issuer.clone(),
        });
    }

    fn service_token(&self, parts: &Attached) -> Result<String, RoleSourceError> {
        let key = parts
            .keys
            .signing_key()
            .map_err(|e| RoleSourceError(e.to_string()))?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = AccessClaims {
            sub: SERVICE_SUBJECT.to_owned(),
            email: None,
            roles: Vec::new(),
            scope: String::new(),
            iss: parts.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + SERVICE_TOKEN_SECONDS,
            nbf: None,
            jti: uuid::Uuid::now_v7().to_string(),
            sid: None,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, &claims, &key.encoding)
            .map_err(|e| RoleSourceError(e.to_string()))
    }

    async fn fetch(&self, user_id: &str) -> Result<Grants, RoleSourceError> {
        let parts = self
            .parts
            .get()
            .ok_or_else(|| RoleSourceError("authz role source is not attached yet".into()))?;
        let user = crate::store::users::find_by_id(&parts.db, user_id)
            .await
            .map_err(|e| RoleSourceError(e.to_string()))?;
        let email = user.filter(|u| u.email_verified).map(|u| u.email);
        let token = self.service_token(parts)?;
        let response = self
            .http
            .post(&self.grants_url)
            .bearer_auth(token)
            .json(&serde_json::json!({ "userId": user_id, "email": email }))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| RoleSourceError(format!("authz: {e}")))?;
        let body: GrantsResponse = response
            .json()
            .await
            .map_err(|e| RoleSourceError(format!("authz: malformed grants: {e}")))?;
        Ok(Grants {
            roles: body.roles,
            scopes: body.permissions,
        })
    }
}

impl RoleSource for AuthzRoles {
    fn grants<'a>(&'a self, user_id: &'a str) -> BoxFuture<'a, Result<Grants, RoleSourceError>> {
        Box::pin(self.fetch(user_id))
    }
}

/// The event handler (consumer group `identity`) that revokes every refresh-token family of a
/// user when authz revokes their `admin` role (`authz.role.revoked` with
/// `data.revokeSessions: true`), so an ex-admin cannot refresh into new tokens. Idempotent.
pub fn admin_revocation_handler(db: Db) -> Arc<dyn EventHandler> {
    Arc::new(AdminRevocations { db })
}

struct AdminRevocations {
    db: Db,
}

impl AdminRevocations {
    async fn apply(&self, event: &EventEnvelope) -> Result<(), HandlerError> {
        let revoke = event.event_type == permissions::events::AUTHZ_ROLE_REVOKED
            && event.data["revokeSessions"] == serde_json::Value::Bool(true)
            && event.subject.kind == "user";
        if !revoke {
            return Ok(());
        }
        let user_id = &event.subject.id;
        match crate::store::sessions::revoke_user(&self.db, user_id, Vec::new()).await {
            Ok(n) => {
                tracing::info!(%user_id, sessions = n, "admin revoked: sessions ended");
                Ok(())
            }
            Err(e) => Err(Box::new(e)),
        }
    }
}

impl EventHandler for AdminRevocations {
    fn handle<'a>(&'a self, event: &'a EventEnvelope) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(self.apply(event))
    }
}
