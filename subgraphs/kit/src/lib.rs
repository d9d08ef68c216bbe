//! What every subgraph shares: bootstrap, config, telemetry, database, auth context, errors, events.
//!
//! What it is for: the parts every subgraph needs and should not write twice: layered
//! configuration ([`config`]), one database API over PostgreSQL and SQLite with embedded
//! migrations ([`db`]), the HTTP service around an async-graphql schema with health, readiness,
//! metrics and graceful shutdown ([`service`]), logs, traces and metrics ([`telemetry`]),
//! client-facing error codes ([`error`]), verification of forwarded tokens ([`auth`]) and the
//! event outbox and bus ([`events`]).
//!
//! What it is not for: anything specific to one subgraph (schemas, tables, resolvers), and
//! anything of the gateway, which does not depend on the kit.
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod service;
pub mod telemetry;
