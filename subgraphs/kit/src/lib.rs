//! What every subgraph shares: bootstrap, config, telemetry, database, auth context, errors, events.
pub mod config;
pub mod db;
pub mod error;
pub mod service;
pub mod telemetry;
pub mod events;
pub mod auth;
