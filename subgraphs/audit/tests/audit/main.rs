//! The audit subgraph's integration tests: real SQLite files in temp dirs always; PostgreSQL at
//! `DATABASE_URL` and Redis at `REDIS_URL` when set.

mod chain;
mod http;
mod pipeline;
mod redis;
mod retention;
mod support;
