use std::time::Duration;

use kit::db::prelude::*;
use kit::db::{Backend, Db, DbError, DbOptions};

use crate::support::{BROKEN_MIGRATIONS, TEST_MIGRATIONS, TestDb, notes, tags};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = notes)]
struct Note {
    id: String,
    body: String,
    created_at: i64,
    pinned: bool,
}

fn note(id: &str, body: &str) -> Note {
    Note {
        id: id.to_owned(),
        body: body.to_owned(),
        created_at: 1_700_000_000_000,
        pinned: false,
    }
}

async fn insert(db: &Db, n: Note) -> Result<Note, DbError> {
    kit::db_run!(db, |conn| async move {
        Ok(diesel::insert_into(notes::table)
            .values(&n)
            .returning(Note::as_returning())
            .get_result(conn)
            .await?)
    })
}

async fn count(db: &Db) -> i64 {
    kit::db_run!(db, |conn| async move {
        Ok(notes::table.count().get_result::<i64>(conn).await?)
    })
    .expect("count notes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once_then_are_a_no_op() {
    for t in TestDb::all().await {
        let applied = t.db.migrate(&TEST_MIGRATIONS).await.expect("first migrate");
        assert_eq!(applied, ["20260101000001", "20260101000002"], "{:?}", t.db);
        let again =
            t.db.migrate(&TEST_MIGRATIONS)
                .await
                .expect("second migrate");
        assert!(
            again.is_empty(),
            "second run applied {again:?} on {:?}",
            t.db
        );
        // A fresh handle on the same database sees the migrations as applied too.
        let reopened = Db::connect(&t.url, DbOptions::new(t.db.schema()))
            .await
            .expect("reopen");
        assert!(
            reopened
                .migrate(&TEST_MIGRATIONS)
                .await
                .expect("third")
                .is_empty()
        );
        assert_eq!(count(&reopened).await, 0);
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_query_runs_on_each_backend() {
    for t in TestDb::all().await {
        t.db.migrate(&TEST_MIGRATIONS).await.expect("migrate");
        let inserted = insert(&t.db, note("n1", "hello")).await.expect("insert");
        assert_eq!(inserted, note("n1", "hello"));
        insert(&t.db, note("n2", "world")).await.expect("insert");

        let bodies: Vec<String> = kit::db_run!(t.db, |conn| async move {
            Ok(notes::table
                .select(notes::body)
                .order(notes::id.desc())
                .load(conn)
                .await?)
        })
        .expect("select");
        assert_eq!(bodies, ["world", "hello"]);

        let missing = kit::db_run!(t.db, |conn| async move {
            Ok(notes::table.find("nope").first::<Note>(conn).await?)
        });
        assert!(missing.is_err_and(|e| e.is_not_found()));

        let duplicate = insert(&t.db, note("n1", "again")).await;
        assert!(
            duplicate
                .as_ref()
                .is_err_and(DbError::is_constraint_violation),
            "{duplicate:?}"
        );
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_keys_are_enforced() {
    for t in TestDb::all().await {
        t.db.migrate(&TEST_MIGRATIONS).await.expect("migrate");
        let orphan = kit::db_run!(t.db, |conn| async move {
            diesel::insert_into(tags::table)
                .values((tags::note_id.eq("ghost"), tags::tag.eq("x")))
                .execute(conn)
                .await?;
            Ok(())
        });
        assert!(
            orphan.as_ref().is_err_and(DbError::is_constraint_violation),
            "{orphan:?} on {:?}",
            t.db
        );
        t.cleanup().await;
    }
}

#[derive(Debug, thiserror::Error)]
enum NoteError {
    #[error("rejected: {0}")]
    Rejected(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for NoteError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_commit_on_ok_and_roll_back_on_err() {
    for t in TestDb::all().await {
        t.db.migrate(&TEST_MIGRATIONS).await.expect("migrate");
        kit::db_tx!(t.db, |conn| async move {
            diesel::insert_into(notes::table)
                .values(&note("a", "kept"))
                .execute(conn)
                .await?;
            diesel::insert_into(tags::table)
                .values((tags::note_id.eq("a"), tags::tag.eq("t")))
                .execute(conn)
                .await?;
            Ok(())
        })
        .expect("committed transaction");
        assert_eq!(count(&t.db).await, 1);

        let rolled_back = kit::db_tx!(t.db, |conn| -> NoteError, async move {
            diesel::insert_into(notes::table)
                .values(&note("b", "discarded"))
                .execute(conn)
                .await?;
            Err::<(), _>(NoteError::Rejected("domain rule".into()))
        });
        assert!(matches!(rolled_back, Err(NoteError::Rejected(_))));
        assert_eq!(count(&t.db).await, 1, "rolled back on {:?}", t.db);

        // A database error part way through undoes the earlier statements too.
        let failed = kit::db_tx!(t.db, |conn| async move {
            diesel::insert_into(notes::table)
                .values(&note("c", "first"))
                .execute(conn)
                .await?;
            diesel::insert_into(notes::table)
                .values(&note("a", "duplicate"))
                .execute(conn)
                .await?;
            Ok(())
        });
        assert!(failed.is_err_and(|e| e.is_constraint_violation()));
        assert_eq!(count(&t.db).await, 1);
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_transactions_all_land() {
    for t in TestDb::all().await {
        t.db.migrate(&TEST_MIGRATIONS).await.expect("migrate");
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let db = t.db.clone();
                tokio::spawn(async move {
                    kit::db_tx!(db, |conn| async move {
                        let before = notes::table.count().get_result::<i64>(conn).await?;
                        diesel::insert_into(notes::table)
                            .values(&note(&format!("n{i}"), &format!("seen {before}")))
                            .execute(conn)
                            .await?;
                        Ok(())
                    })
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("join").expect("transaction");
        }
        assert_eq!(count(&t.db).await, 16);
        t.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_sqlite_keeps_its_one_database() {
    let db = Db::connect("sqlite::memory:", DbOptions::new("mem"))
        .await
        .expect("open");
    assert_eq!(db.backend(), Backend::Sqlite);
    db.migrate(&TEST_MIGRATIONS).await.expect("migrate");
    insert(&db, note("m", "memory")).await.expect("insert");
    assert_eq!(count(&db).await, 1);
    assert_eq!(db.pool_stats().max, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_migration_is_an_error_not_a_panic() {
    for t in TestDb::all().await {
        let err = t.db.migrate(&BROKEN_MIGRATIONS).await.expect_err("bad SQL");
        assert!(
            matches!(&err, DbError::Migration { schema, .. } if schema == t.db.schema()),
            "{err}"
        );
        // Nothing was recorded as applied: the good set still applies cleanly.
        assert_eq!(
            t.db.migrate(&TEST_MIGRATIONS).await.expect("migrate").len(),
            2
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error() {
    let mut options = DbOptions::new("identity");
    options.connect_timeout = Duration::from_secs(2);
    let err = Db::connect("postgres://app:hunter2@127.0.0.1:1/platform", options)
        .await
        .expect_err("nothing listens on port 1");
    let message = err.to_string();
    assert!(matches!(err, DbError::Connect { .. }), "{message}");
    assert!(
        message.contains("postgres://app:***@127.0.0.1:1/platform"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}

#[tokio::test]
async fn bad_urls_and_schema_names_are_rejected() {
    let err = Db::connect("mysql://x@y/z", DbOptions::new("identity"))
        .await
        .expect_err("unsupported scheme");
    assert!(matches!(err, DbError::InvalidUrl { .. }), "{err}");
    let err = Db::connect("sqlite::memory:", DbOptions::new("Robert'); DROP"))
        .await
        .expect_err("bad schema name");
    assert!(err.to_string().contains("schema name"), "{err}");
}

#[tokio::test]
async fn ping_fails_once_the_sqlite_file_is_gone() {
    let t = TestDb::sqlite().await;
    t.db.ping().await.expect("ping");
    let path = t.url.trim_start_matches("sqlite://").to_owned();
    std::fs::remove_file(&path).expect("remove db file");
    let err = t.db.ping().await.expect_err("file gone");
    assert!(matches!(err, DbError::FileGone { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_transaction_leaves_nothing_behind() {
    for t in TestDb::all().await {
        t.db.migrate(&TEST_MIGRATIONS).await.expect("migrate");
        let db = t.db.clone();
        let cancelled = tokio::time::timeout(Duration::from_millis(200), async move {
            kit::db_tx!(db, |conn| async move {
                diesel::insert_into(notes::table)
                    .values(&note("half", "never committed"))
                    .execute(conn)
                    .await?;
                std::future::pending::<()>().await;
                Ok(())
            })
        })
        .await;
        assert!(cancelled.is_err(), "the transaction was still running");
        // The connection that was mid-transaction is not handed out again as is.
        assert_eq!(count(&t.db).await, 0, "on {:?}", t.db);
        insert(&t.db, note("after", "works"))
            .await
            .expect("insert after");
        kit::db_tx!(t.db, |conn| async move {
            diesel::insert_into(notes::table)
                .values(&note("tx", "works"))
                .execute(conn)
                .await?;
            Ok(())
        })
        .expect("transaction after");
        assert_eq!(count(&t.db).await, 2);
        t.cleanup().await;
    }
}
