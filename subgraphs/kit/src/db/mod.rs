//! One database API over PostgreSQL and SQLite.
//!
//! A [`Db`] is a connection pool for one subgraph, chosen by URL: `postgres://…` (a bb8 pool of
//! `AsyncPgConnection`, `search_path` set to the subgraph's own schema) or `sqlite://<path>` (a
//! small pool of `SyncConnectionWrapper<SqliteConnection>` with WAL, a busy timeout and foreign
//! keys on). Diesel's query types differ per backend, so queries are written once inside
//! [`db_run!`](crate::db_run) / [`db_tx!`](crate::db_tx), which expand the body once per backend:
//!
//! ```ignore
//! use kit::db::prelude::*;
//! let names: Vec<String> = kit::db_run!(db, |conn| async move {
//!     Ok(users::table.select(users::name).load(conn).await?)
//! })?;
//! ```
//!
//! Schemas must stick to portable SQL types (ids `Text`, timestamps `BigInt`, `Bool`, JSON as
//! `Text`) so one `table!` compiles for both backends.
mod error;
mod macros;
mod migrate;
mod url;

use std::sync::Arc;
use std::time::Duration;

use diesel::SqliteConnection;
use diesel::result::ConnectionError;
use diesel_async::pooled_connection::bb8::{Pool, PooledConnection, RunError};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures::FutureExt as _;

pub use error::DbError;
pub use migrate::Migrations;
pub use url::{Backend, DbLocation, redact_url};

/// The PostgreSQL connection type a `db_run!` body sees.
pub type PgConn = AsyncPgConnection;
/// The SQLite connection type a `db_run!` body sees.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// What a subgraph's queries need in scope.
pub mod prelude {
    pub use diesel::prelude::*;
    pub use diesel_async::{AsyncConnection, RunQueryDsl};

    pub use super::{Db, DbError};
}

/// Used by the macros; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use diesel_async::{AsyncConnection, TransactionManager};
    pub use tracing;
    pub type TxGuard<'a> = tokio::sync::MutexGuard<'a, ()>;

    /// How `db_tx!` opens a transaction on each backend.
    pub trait Begin {
        fn begin(&mut self) -> impl Future<Output = diesel::QueryResult<()>> + Send;
    }

    impl Begin for super::PgConn {
        async fn begin(&mut self) -> diesel::QueryResult<()> {
            <Self as AsyncConnection>::TransactionManager::begin_transaction(self).await
        }
    }

    impl Begin for super::SqliteConn {
        /// `BEGIN IMMEDIATE`: the write lock is taken up front, waiting on `busy_timeout`. A
        /// deferred transaction that reads and then writes while another connection (the
        /// outbox relay, a migration) has written fails at once with SQLITE_BUSY instead:
        /// its read snapshot is stale, so SQLite cannot wait its way out.
        async fn begin(&mut self) -> diesel::QueryResult<()> {
            self.spawn_blocking(|conn| {
                diesel::connection::AnsiTransactionManager::begin_transaction_sql(
                    conn,
                    "BEGIN IMMEDIATE",
                )
            })
            .await
        }
    }
}

/// How to open a [`Db`]. `schema` is the subgraph's name: its PostgreSQL schema, and the name
/// errors and metrics use.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub schema: String,
    pub pool_size: u32,
    pub busy_timeout: Duration,
    pub connect_timeout: Duration,
}

impl DbOptions {
    pub fn new(schema: impl Into<String>) -> Self {
        Self {
            schema: schema.into(),
            pool_size: 8,
            busy_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// A pooled database handle for one subgraph. Cheap to clone.
#[derive(Clone)]
pub struct Db(Arc<DbInner>);

struct DbInner {
    pool: DbPool,
    location: DbLocation,
    options: DbOptions,
    max_size: u32,
    /// SQLite allows one writer at a time: `db_tx!` transactions take turns here rather than
    /// queueing on the file lock (and `BEGIN IMMEDIATE` waits for writers outside `db_tx!`,
    /// such as the outbox relay's `db_run!` updates).
    sqlite_tx_lock: tokio::sync::Mutex<()>,
}

enum DbPool {
    Postgres(Pool<PgConn>),
    Sqlite(Pool<SqliteConn>),
}

/// A connection checked out of a [`Db`]'s pool. The macros match on it; code rarely names it.
// Lives briefly on the stack of one query; boxing would cost an allocation per checkout.
#[allow(clippy::large_enum_variant)]
pub enum DbConn {
    Postgres(PooledConnection<'static, PgConn>),
    Sqlite(PooledConnection<'static, SqliteConn>),
}

/// Connection counts for the pool gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("schema", &self.0.options.schema)
            .field("url", &self.display_url())
            .finish()
    }
}

impl Db {
    /// Opens the pool and checks that the database answers. An unreachable database is an
    /// error here, so a misconfigured service fails at start rather than on its first request.
    pub async fn connect(url: &str, options: DbOptions) -> Result<Self, DbError> {
        let db = Self::connect_lazy(url, options)?;
        db.ensure_schema().await?;
        db.ping().await?;
        Ok(db)
    }

    /// Builds the pool without connecting; connections open on first use.
    pub fn connect_lazy(url: &str, options: DbOptions) -> Result<Self, DbError> {
        let location = DbLocation::parse(url)?;
        validate_schema_name(&options.schema, url)?;
        let max_size = match location {
            DbLocation::Postgres(_) => options.pool_size.max(1),
            DbLocation::SqliteFile(_) => options.pool_size.clamp(1, 4),
            // Every connection to `:memory:` is a separate database: keep exactly one, forever.
            DbLocation::SqliteMemory => 1,
        };
        let pool = match &location {
            DbLocation::Postgres(url) => {
                let schema = options.schema.clone();
                let mut config = ManagerConfig::<PgConn>::default();
                config.custom_setup =
                    Box::new(move |url| establish_pg(url.to_owned(), schema.clone()).boxed());
                let manager = AsyncDieselConnectionManager::new_with_config(url, config);
                DbPool::Postgres(
                    Pool::builder()
                        .max_size(max_size)
                        .min_idle(Some(0))
                        .connection_timeout(options.connect_timeout)
                        .build_unchecked(manager),
                )
            }
            DbLocation::SqliteFile(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                        path: path.display().to_string(),
                        source,
                    })?;
                }
                DbPool::Sqlite(sqlite_pool(path.display().to_string(), &options, max_size))
            }
            DbLocation::SqliteMemory => {
                DbPool::Sqlite(sqlite_pool(":memory:".to_owned(), &options, max_size))
            }
        };
        Ok(Self(Arc::new(DbInner {
            pool,
            location,
            options,
            max_size,
            sqlite_tx_lock: tokio::sync::Mutex::new(()),
        })))
    }

    pub fn backend(&self) -> Backend {
        self.0.location.backend()
    }

    /// The subgraph this database belongs to (its PostgreSQL schema).
    pub fn schema(&self) -> &str {
        &self.0.options.schema
    }

    /// The URL with the password redacted.
    pub fn display_url(&self) -> String {
        match &self.0.location {
            DbLocation::Postgres(url) => redact_url(url),
            DbLocation::SqliteFile(path) => format!("sqlite://{}", path.display()),
            DbLocation::SqliteMemory => "sqlite::memory:".to_owned(),
        }
    }

    /// Checks out a connection. Prefer the `db_run!` / `db_tx!` macros.
    pub async fn acquire(&self) -> Result<DbConn, DbError> {
        match &self.0.pool {
            DbPool::Postgres(pool) => pool
                .get_owned()
                .await
                .map(DbConn::Postgres)
                .map_err(|e| self.pool_error(e)),
            DbPool::Sqlite(pool) => pool
                .get_owned()
                .await
                .map(DbConn::Sqlite)
                .map_err(|e| self.pool_error(e)),
        }
    }

    /// Held by `db_tx!` around a transaction; `None` on PostgreSQL, which needs no such lock.
    #[doc(hidden)]
    pub async fn transaction_lock(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend() {
            Backend::Sqlite => Some(self.0.sqlite_tx_lock.lock().await),
            Backend::Postgres => None,
        }
    }

    /// A cheap round trip to the database, for readiness checks. On SQLite it also checks that
    /// the file is still there: a deleted file keeps working through open handles, but every
    /// write to it is lost.
    pub async fn ping(&self) -> Result<(), DbError> {
        crate::db_run!(self, |conn| async move {
            diesel::sql_query("SELECT 1").execute(conn).await?;
            Ok(())
        })?;
        // After the query: the first connection is what creates the file.
        if let DbLocation::SqliteFile(path) = &self.0.location
            && !path.exists()
        {
            return Err(DbError::FileGone {
                path: path.display().to_string(),
            });
        }
        Ok(())
    }

    pub fn pool_stats(&self) -> PoolStats {
        let state = match &self.0.pool {
            DbPool::Postgres(pool) => pool.state(),
            DbPool::Sqlite(pool) => pool.state(),
        };
        PoolStats {
            connections: state.connections,
            idle: state.idle_connections,
            max: self.0.max_size,
        }
    }

    /// Creates the subgraph's PostgreSQL schema if missing (no-op on SQLite).
    pub(crate) async fn ensure_schema(&self) -> Result<(), DbError> {
        if let DbLocation::Postgres(url) = &self.0.location {
            let mut conn = AsyncPgConnection::establish(url)
                .await
                .map_err(|e| self.connect_error(e))?;
            conn.batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS \"{}\"",
                self.0.options.schema
            ))
            .await?;
        }
        Ok(())
    }

    fn pool_error(&self, error: RunError) -> DbError {
        match error {
            RunError::User(diesel_async::pooled_connection::PoolError::ConnectionError(e)) => {
                self.connect_error(e)
            }
            RunError::User(diesel_async::pooled_connection::PoolError::QueryError(e)) => {
                DbError::Query(e)
            }
            RunError::TimedOut => DbError::PoolTimeout {
                url: self.display_url(),
                timeout_ms: u64::try_from(self.0.options.connect_timeout.as_millis())
                    .unwrap_or(u64::MAX),
            },
        }
    }

    fn connect_error(&self, error: ConnectionError) -> DbError {
        DbError::Connect {
            backend: self.backend(),
            url: self.display_url(),
            reason: error.to_string(),
        }
    }
}

/// Schema names go into SQL unquoted-safe: lowercase letters, digits, underscores.
fn validate_schema_name(schema: &str, url: &str) -> Result<(), DbError> {
    let valid = schema
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(DbError::InvalidUrl {
            url: redact_url(url),
            reason: format!("schema name `{schema}` must match [a-z_][a-z0-9_]*"),
        })
    }
}

async fn establish_pg(url: String, schema: String) -> Result<PgConn, ConnectionError> {
    let mut conn = AsyncPgConnection::establish(&url).await?;
    conn.batch_execute(&format!("SET search_path TO \"{schema}\""))
        .await
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

fn sqlite_pool(path: String, options: &DbOptions, size: u32) -> Pool<SqliteConn> {
    let busy_ms = options.busy_timeout.as_millis();
    let mut config = ManagerConfig::<SqliteConn>::default();
    config.custom_setup = Box::new(move |path| {
        let path = path.to_owned();
        async move {
            let mut conn = SqliteConn::establish(&path).await?;
            conn.batch_execute(&sqlite_pragmas(busy_ms))
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(path, config);
    Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        // An in-memory database lives exactly as long as its one connection.
        .idle_timeout(None)
        .max_lifetime(None)
        .connection_timeout(options.connect_timeout)
        .build_unchecked(manager)
}

fn sqlite_pragmas(busy_timeout_ms: u128) -> String {
    format!(
        "PRAGMA busy_timeout = {busy_timeout_ms}; PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
    )
}
