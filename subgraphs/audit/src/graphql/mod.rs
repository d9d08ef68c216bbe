//! The audit subgraph's GraphQL schema (async-graphql, Apollo Federation v2).
//!
//! `Query.auditEntries`, `Query.auditEntry`, `Query.verifyAuditChain`, and the `User` entity
//! (`@key(fields: "id")`, owned by identity) extended with `auditTrail`. Reading is guarded by
//! the permission `audit.entry.read`; without it a signed-in user may read only their own trail
//! (see [`access`]).

mod access;
mod connection;
mod errors;
mod query;
mod types;
mod user;

use async_graphql::{EmptyMutation, EmptySubscription, Schema, SchemaBuilder};

pub use access::READ_PERMISSION;
pub use query::QueryRoot;
pub use types::{AuditEntryNode, ChainVerification};
pub use user::User;

use crate::chain::AuditChain;

pub type AuditSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// The schema with the chain as data; add per-request data (the auth context) per request.
pub fn schema_builder(
    chain: AuditChain,
) -> SchemaBuilder<QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .enable_federation()
        .data(chain)
}

pub fn build_schema(chain: AuditChain) -> AuditSchema {
    schema_builder(chain).finish()
}

/// The subgraph SDL as the gateway composes it (federation directives included).
pub fn sdl() -> String {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
        .sdl_with_options(async_graphql::SDLExportOptions::new().federation())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sdl_declares_the_user_entity_and_the_queries() {
        let sdl = super::sdl();
        assert!(sdl.contains(r#"type User @key(fields: "id")"#), "{sdl}");
        assert!(
            sdl.contains("auditTrail(first: Int! = 20, after: String): AuditEntryConnection!"),
            "{sdl}"
        );
        assert!(
            sdl.contains("verifyAuditChain(from: DateTime, to: DateTime): ChainVerification!"),
            "{sdl}"
        );
        assert!(sdl.contains("totalCount: Int!"), "{sdl}");
    }
}
