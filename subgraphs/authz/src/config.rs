//! The `authz:` section of the platform config.

use serde::Deserialize;

/// Audience of the service tokens identity presents to `/internal/grants`. User access
/// tokens carry another audience, so they are refused there.
pub const DEFAULT_SERVICE_AUDIENCE: &str = "platform-authz";

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthzConfig {
    /// Permission codes the built-in `user` role (which every user holds) gets at startup.
    pub default_user_permissions: Vec<String>,
    /// The user identity created as bootstrap admin (`identity.bootstrap_admin.email`): the
    /// first time identity asks for this user's grants while nobody holds `admin`, authz
    /// assigns it `admin`.
    pub bootstrap_admin_email: Option<String>,
    /// Expected `aud` of service tokens.
    pub service_audience: String,
    /// Where other services reach authz (identity's `/internal/grants` calls); when unset,
    /// `http://` plus `subgraphs.authz.listen`, which only works on one machine.
    pub url: Option<String>,
}

impl Default for AuthzConfig {
    fn default() -> Self {
        Self {
            default_user_permissions: Vec::new(),
            bootstrap_admin_email: None,
            service_audience: DEFAULT_SERVICE_AUDIENCE.into(),
            url: None,
        }
    }
}

impl AuthzConfig {
    /// `bootstrap_admin_email` when set, else `identity_admin` (identity's
    /// `bootstrap_admin.email`), so one setting names the first administrator.
    pub fn with_bootstrap_admin(mut self, identity_admin: Option<String>) -> Self {
        if self.bootstrap_admin_email.is_none() {
            self.bootstrap_admin_email = identity_admin;
        }
        self
    }

    /// Authz's base URL for other services.
    pub fn url_or(&self, listen: std::net::SocketAddr) -> String {
        self.url
            .clone()
            .unwrap_or_else(|| format!("http://{listen}"))
    }
}
