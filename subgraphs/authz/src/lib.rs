//! Authz subgraph: roles, permissions, assignments.
//!
//! What it is for: the permission registry (seeded from every module's manifest, see the
//! `permissions` crate), roles and the permissions they grant, which users hold which roles,
//! and answering "what may this user do" — to GraphQL clients, and to identity when it issues
//! tokens (`POST /internal/grants`, authenticated by a short-lived service token identity signs).
//! What it is not for: checking a permission inside a request (`kit::auth::RequirePermission`
//! reads the token's scopes), who a user is (identity).
//!
//! Decisions taken from the token lag the database: a role revoked now disappears from a user's
//! tokens at their next refresh, so for at most the access-token lifetime (15 minutes).

pub mod access;
pub mod config;
pub mod errors;
pub mod events;
pub mod graphql;
pub mod internal;
pub mod registry;
pub mod service;
pub mod store;

pub use access::Authz;
pub use config::AuthzConfig;
pub use errors::AuthzError;
pub use registry::{Manifest, ManifestPermission};
