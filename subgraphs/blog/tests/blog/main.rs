//! Blog over real HTTP on 127.0.0.1: real signed tokens, SQLite always, PostgreSQL when
//! `DATABASE_URL` is set, events through the real outbox, relay and in-process bus.

mod lifecycle;
mod reads;
mod support;
