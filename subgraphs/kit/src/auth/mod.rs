//! Authentication of forwarded requests: the `Authorization: Bearer` JWT that the gateway
//! forwards is verified again here (no subgraph trusts a bare user-id header) and becomes the
//! request's [`AuthContext`], which resolvers read from async-graphql `Data`.
//!
//! Keys come from a [`KeySource`]: identity's JWKS over HTTP ([`JwksClient`], cached, refetched
//! on an unknown `kid` at most once per interval), or keys held in process ([`StaticKeys`], how
//! identity verifies its own tokens). Not here: issuing tokens (identity) and deciding what a
//! permission allows (authz).

mod claims;
mod config;
mod context;
pub mod guard;
mod jwks;
mod keys;
mod request_data;
mod verifier;

#[cfg(test)]
mod tests;

pub use claims::AccessClaims;
pub use config::AuthConfig;
pub use context::AuthContext;
pub use guard::RequirePermission;
pub use jwks::JwksClient;
pub use keys::{KeySource, StaticKeys, VerificationKey};
pub use verifier::{AuthError, TokenVerifier, bearer_token};
