//! Authz over real HTTP, with identity running beside it (SQLite always, PostgreSQL when
//! `DATABASE_URL` is set).

mod support;

mod authorize_vs_guard;
mod expiry;
mod last_admin;
mod mutations;
mod seeding;
mod tokens;
