//! Blog subgraph: posts and comments, the reference feature module.
//!
//! What it is for: `Post` and `Comment`, the `User` entity (owned by identity) extended with
//! `posts`, the rules for who may read and change them ([`policy`]), and one domain event per
//! change, written to the kit's outbox in the same transaction ([`events`]). What it is not for:
//! who holds a permission (authz puts the codes in the token) or who a user is (identity).
//!
//! Layers, outside in: [`graphql`] translates, [`posts`] validates and decides, [`store`]
//! queries both databases through `kit::db_run!` / `kit::db_tx!`.

pub mod error;
pub mod events;
pub mod graphql;
pub mod policy;
pub mod posts;
pub mod server;
pub mod store;
pub mod validate;

pub use error::BlogError;
pub use posts::Blog;
pub use server::{NAME, run, serve};

/// Blog's own tables, for both backends.
pub static MIGRATIONS: kit::db::Migrations = kit::db::Migrations {
    postgres: diesel_migrations::embed_migrations!("../../migrations/blog/postgres"),
    sqlite: diesel_migrations::embed_migrations!("../../migrations/blog/sqlite"),
};

/// Brings a blog database up to date: blog's tables, then the kit's outbox. Returns the
/// versions applied (empty when up to date).
pub async fn migrate(db: &kit::db::Db) -> Result<Vec<String>, kit::db::DbError> {
    let mut applied = db.migrate(&MIGRATIONS).await?;
    applied.extend(db.migrate(&kit::events::OUTBOX_MIGRATIONS).await?);
    Ok(applied)
}
