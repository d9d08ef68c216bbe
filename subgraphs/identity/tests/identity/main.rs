//! Identity over real HTTP: a real server on 127.0.0.1 with SQLite in a temp dir, and the same
//! cases on PostgreSQL when `DATABASE_URL` is set.

mod support;

mod bootstrap;
mod events;
mod input_validation;
mod lockout;
mod password_reset;
mod registration;
mod sessions;
mod signing_keys;
mod tokens;
mod user_list;
