//! What every subgraph shares: bootstrap, config, telemetry, database, auth context, errors, events.
pub mod db;
