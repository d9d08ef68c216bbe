//! Embedded migrations, one set per backend, applied to the right database.
use diesel::migration::{Migration, MigrationSource, MigrationVersion};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

use super::{Backend, Db, DbConn, DbError, DbLocation, PgConn};

/// A subgraph's migrations for both backends, embedded at compile time:
///
/// ```ignore
/// pub static MIGRATIONS: kit::db::Migrations = kit::db::Migrations {
///     postgres: diesel_migrations::embed_migrations!("../../migrations/identity/postgres"),
///     sqlite: diesel_migrations::embed_migrations!("../../migrations/identity/sqlite"),
/// };
/// ```
pub struct Migrations {
    pub postgres: EmbeddedMigrations,
    pub sqlite: EmbeddedMigrations,
}

/// Any constant so concurrent migrators (several replicas starting) take turns.
const PG_MIGRATION_LOCK: i64 = 0x706c_6174_666f_726d;

impl Db {
    /// Applies the pending migrations of the set matching this database's backend and returns
    /// the versions applied (empty when up to date). On PostgreSQL they run in the subgraph's
    /// schema, which is created if missing, so each subgraph keeps its own migration table.
    pub async fn migrate(&self, migrations: &'static Migrations) -> Result<Vec<String>, DbError> {
        let fail = |reason: String| DbError::Migration {
            schema: self.schema().to_owned(),
            backend: self.backend(),
            reason,
        };
        let applied = match &self.0.location {
            DbLocation::Postgres(url) => {
                self.ensure_schema().await?;
                // The harness is synchronous: give it its own connection on a blocking thread,
                // where `AsyncConnectionWrapper` drives the async driver.
                let mut conn = super::establish_pg(url.clone(), self.schema().to_owned())
                    .await
                    .map_err(|e| self.connect_error(e))?;
                use diesel_async::SimpleAsyncConnection as _;
                conn.batch_execute(&format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))
                    .await?;
                tokio::task::spawn_blocking(move || {
                    let mut conn: AsyncConnectionWrapper<PgConn> = conn.into();
                    run_pending(&mut conn, &migrations.postgres)
                })
                .await
                .map_err(|e| fail(e.to_string()))?
            }
            DbLocation::SqliteFile(_) | DbLocation::SqliteMemory => {
                let _tx = self.transaction_lock().await;
                let DbConn::Sqlite(mut conn) = self.acquire().await? else {
                    return Err(fail("SQLite URL with a PostgreSQL pool".to_owned()));
                };
                // Through the pool's own connection, so `sqlite::memory:` migrates the one
                // database the pool serves.
                conn.spawn_blocking(move |conn| Ok(run_pending(conn, &migrations.sqlite)))
                    .await?
            }
        };
        let applied = applied.map_err(fail)?;
        if !applied.is_empty() {
            tracing::info!(
                schema = self.schema(),
                backend = %self.backend(),
                versions = ?applied,
                "applied migrations"
            );
        }
        Ok(applied)
    }
}

fn run_pending<C, B>(
    conn: &mut C,
    migrations: &'static EmbeddedMigrations,
) -> Result<Vec<String>, String>
where
    C: MigrationHarness<B>,
    B: diesel::backend::Backend,
{
    conn.run_pending_migrations(StaticSource(migrations))
        .map(|versions| versions.iter().map(MigrationVersion::to_string).collect())
        .map_err(|e| e.to_string())
}

/// `EmbeddedMigrations` is neither `Clone` nor a source by reference; the harness wants a value.
struct StaticSource(&'static EmbeddedMigrations);

impl<B: diesel::backend::Backend> MigrationSource<B> for StaticSource {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<B>>>> {
        MigrationSource::<B>::migrations(self.0)
    }
}

impl Backend {
    /// The migrations directory name for this backend.
    pub fn migrations_dir(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }
}
