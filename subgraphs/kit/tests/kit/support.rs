//! Test databases: a fresh SQLite file, and a fresh PostgreSQL schema when `DATABASE_URL` is set.
use kit::db::{Db, DbOptions, Migrations};

pub static TEST_MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("tests/migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("tests/migrations/sqlite"),
};

pub static BROKEN_MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("tests/migrations_broken/postgres"),
    sqlite: diesel_migrations::embed_migrations!("tests/migrations_broken/sqlite"),
};

diesel::table! {
    notes (id) {
        id -> Text,
        body -> Text,
        created_at -> BigInt,
        pinned -> Bool,
    }
}

diesel::table! {
    tags (note_id, tag) {
        note_id -> Text,
        tag -> Text,
    }
}

diesel::joinable!(tags -> notes (note_id));
diesel::allow_tables_to_appear_in_same_query!(notes, tags);

/// A database for one test; drops its PostgreSQL schema when done.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/nested/test.db", dir.path().display());
        let db = Db::connect(&url, DbOptions::new("kit_test"))
            .await
            .expect("open sqlite");
        Self {
            db,
            url,
            _dir: Some(dir),
        }
    }

    pub async fn postgres() -> Option<Self> {
        let url = std::env::var("DATABASE_URL").ok()?;
        let schema = format!("kit_test_{}", uuid::Uuid::now_v7().simple());
        let db = Db::connect(&url, DbOptions::new(schema))
            .await
            .expect("connect to DATABASE_URL");
        Some(Self {
            db,
            url,
            _dir: None,
        })
    }

    /// SQLite always, PostgreSQL too when `DATABASE_URL` is set.
    pub async fn all() -> Vec<Self> {
        let mut dbs = vec![Self::sqlite().await];
        dbs.extend(Self::postgres().await);
        dbs
    }

    pub async fn cleanup(self) {
        if self.db.backend() == kit::db::Backend::Postgres {
            let schema = self.db.schema().to_owned();
            let _ = kit::db_run!(self.db, |conn| async move {
                use diesel_async::RunQueryDsl as _;
                diesel::sql_query(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                    .execute(conn)
                    .await?;
                Ok(())
            });
        }
    }
}
