//! The identity use cases (register, login, sessions, mail flows, profile), independent of
//! GraphQL: resolvers translate arguments, call one method here, and translate the result.

mod bootstrap;
mod errors;
mod mail_flows;
mod profile;
mod register;
mod sessions;

use std::sync::Arc;

use kit::auth::AuthContext;
use kit::db::Db;
use kit::events::Actor;

pub use bootstrap::BootstrapError;
pub use errors::IdentityError;
pub use profile::{ProfileInput, USER_DELETE, USER_READ};
pub use register::RegisterInput;
pub use sessions::AuthPayload;

use crate::config::IdentityConfig;
use crate::mail::Mailer;
use crate::password::Passwords;
use crate::tokens::{KeyRing, RoleSource};

/// Everything the use cases need. Cheap to clone.
#[derive(Clone)]
pub struct Identity {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    config: IdentityConfig,
    passwords: Passwords,
    keys: KeyRing,
    mailer: Box<dyn Mailer>,
    roles: Arc<dyn RoleSource>,
}

/// Who is asking: the verified token (or anonymous) and where the request came from.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub auth: AuthContext,
    pub actor: Actor,
}

impl RequestMeta {
    /// The client address used for per-IP throttling. Without one (no peer address and no
    /// `X-Forwarded-For`) only the per-account limits apply: lumping unknown clients into one
    /// bucket would let anyone lock everyone out.
    pub fn client_ip(&self) -> Option<&str> {
        self.actor.ip.as_deref()
    }

    fn user(&self) -> Result<&str, IdentityError> {
        self.auth
            .user_id
            .as_deref()
            .ok_or(IdentityError::Unauthenticated)
    }
}

impl Identity {
    pub fn new(
        db: Db,
        config: IdentityConfig,
        passwords: Passwords,
        keys: KeyRing,
        mailer: Box<dyn Mailer>,
        roles: Arc<dyn RoleSource>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                config,
                passwords,
                keys,
                mailer,
                roles,
            }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn config(&self) -> &IdentityConfig {
        &self.inner.config
    }

    pub fn keys(&self) -> &KeyRing {
        &self.inner.keys
    }

    pub fn passwords(&self) -> &Passwords {
        &self.inner.passwords
    }
}

/// `Actor` for an authenticated request: the token's user, the request's address.
fn actor_of(meta: &RequestMeta) -> Actor {
    Actor {
        id: meta.auth.user_id.clone().or_else(|| meta.actor.id.clone()),
        ..meta.actor.clone()
    }
}

fn seconds_to_ms(seconds: u64) -> i64 {
    i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX)
}
