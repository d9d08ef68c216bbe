//! The four benchmark subgraphs, one module each. Each is an async-graphql schema with
//! federation enabled; [`sdl`] is what composition sees.
pub mod accounts;
pub mod inventory;
pub mod products;
pub mod reviews;

use async_graphql::{ObjectType, SDLExportOptions, Schema, SubscriptionType};

/// The four subgraph names, in port order (4201-4204).
pub const NAMES: [&str; 4] = ["accounts", "products", "inventory", "reviews"];

/// A subgraph's federation SDL.
pub fn sdl<Q, M, S>(schema: &Schema<Q, M, S>) -> String
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    schema.sdl_with_options(SDLExportOptions::new().federation())
}
