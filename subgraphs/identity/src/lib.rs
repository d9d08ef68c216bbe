//! Identity subgraph: users, login, tokens, JWKS, verification, password reset.
//!
//! What it is for: owning who a user is (the `User` entity), proving it (passwords, access and
//! refresh tokens, signing keys and their JWKS), and the mail flows that go with it. What it is
//! not for: what a user may do (authz grants roles and permissions through [`RoleSource`]),
//! the audit trail (it only emits events).

pub mod accounts;
pub mod authz_roles;
pub mod config;
pub mod events;
pub mod graphql;
pub mod mail;
pub mod password;
pub mod service;
pub mod signing;
pub mod store;
pub mod throttle;
pub mod tokens;
pub mod validate;

pub use config::IdentityConfig;
pub use tokens::{Grants, NoRoles, RoleSource, RoleSourceError};
