//! The kit's integration tests: real SQLite files in temp dirs, PostgreSQL at `DATABASE_URL`
//! when set, real HTTP on 127.0.0.1.
mod config;
mod db;
mod service;
mod support;
