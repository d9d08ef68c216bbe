//! The chain against tampering: direct changes are refused by the database, and changes made
//! by someone who got around that are found by verification.

use audit::VerifyRange;
use diesel_async::RunQueryDsl;
use kit::db::{Backend, Db};

use crate::support::{InProcessAudit, TestDb, all_entries, backends, user_events};

async fn execute(db: &Db, sql: &str) -> Result<usize, kit::db::DbError> {
    let sql = sql.to_owned();
    kit::db_run!(db, |conn| async move {
        Ok(diesel::sql_query(sql).execute(conn).await?)
    })
}

/// Turns the append-only triggers off, as an attacker with DDL rights could.
async fn disable_protection(db: &Db) {
    let statements: &[&str] = match db.backend() {
        Backend::Postgres => {
            &["ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"]
        }
        Backend::Sqlite => &[
            "DROP TRIGGER audit_entries_no_update",
            "DROP TRIGGER audit_entries_no_delete",
        ],
    };
    for sql in statements {
        execute(db, sql).await.expect("disable triggers");
    }
}

async fn audited(backend: Backend, n: usize) -> (TestDb, InProcessAudit) {
    let audit_db = TestDb::audit(backend).await.expect("audit db");
    let audit = InProcessAudit::start(&audit_db.db).await;
    kit::events::EventBus::publish(&audit.bus, &user_events(n))
        .await
        .expect("publish");
    (audit_db, audit)
}

#[tokio::test]
async fn the_database_refuses_update_and_delete_of_entries() {
    for backend in backends() {
        let (audit_db, audit) = audited(backend, 3).await;
        let before = all_entries(&audit_db.db).await;
        let attempts = [
            "UPDATE audit_entries SET action = 'nothing.happened' WHERE seq = 2",
            "DELETE FROM audit_entries WHERE seq = 2",
            "DELETE FROM audit_entries",
        ];
        for sql in attempts {
            let error = execute(&audit_db.db, sql).await.expect_err(sql).to_string();
            assert!(error.contains("append-only"), "{backend}: {sql}: {error}");
        }
        if backend == Backend::Postgres {
            let error = execute(&audit_db.db, "TRUNCATE audit_entries")
                .await
                .expect_err("truncate");
            assert!(error.to_string().contains("append-only"), "{error}");
        }
        assert_eq!(
            all_entries(&audit_db.db).await,
            before,
            "{backend}: nothing changed"
        );
        audit.subscription.stop().await;
        audit_db.cleanup().await;
    }
}

#[tokio::test]
async fn an_entry_altered_in_the_database_is_reported_by_verification() {
    for backend in backends() {
        let (audit_db, audit) = audited(backend, 12).await;
        let entries = all_entries(&audit_db.db).await;
        assert!(
            audit
                .chain
                .verify(VerifyRange::default())
                .await
                .expect("verify")
                .valid
        );

        disable_protection(&audit_db.db).await;
        execute(
            &audit_db.db,
            "UPDATE audit_entries SET user_id = 'someone-else' WHERE seq = 5",
        )
        .await
        .expect("tamper");

        let report = audit
            .chain
            .verify(VerifyRange::default())
            .await
            .expect("verify");
        assert!(!report.valid, "{backend}");
        assert_eq!(report.checked, 5);
        let broken = report.first_broken.expect("broken entry");
        assert_eq!(broken.id, entries[4].id);
        assert_eq!(broken.user_id.as_deref(), Some("someone-else"));

        // A range starting after the altered entry verifies (it links to entry 5's stored
        // hash, which is untouched); entries recorded in the same millisecond as entry 5 fall
        // in the range too, and then entry 5 is reported.
        let after = VerifyRange {
            from: Some(entries[5].recorded_at),
            to: None,
        };
        let later = audit.chain.verify(after).await.expect("verify later range");
        if entries[4].recorded_at < entries[5].recorded_at {
            assert!(later.valid, "{backend}: {later:?}");
            assert_eq!(later.checked, 7);
        } else {
            assert_eq!(later.first_broken.map(|e| e.seq), Some(5));
        }
        audit.subscription.stop().await;
        audit_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_deleted_or_rehashed_entry_breaks_the_chain_at_the_next_link() {
    for backend in backends() {
        let (audit_db, audit) = audited(backend, 10).await;
        disable_protection(&audit_db.db).await;

        // Removing entry 4 leaves entry 5 pointing at a missing predecessor.
        execute(&audit_db.db, "DELETE FROM audit_entries WHERE seq = 4")
            .await
            .expect("delete");
        let report = audit
            .chain
            .verify(VerifyRange::default())
            .await
            .expect("verify");
        assert!(!report.valid);
        assert_eq!(report.first_broken.expect("broken").seq, 5, "{backend}");
        assert_eq!(report.checked, 4);
        audit.subscription.stop().await;
        audit_db.cleanup().await;
    }

    for backend in backends() {
        let (audit_db, audit) = audited(backend, 10).await;
        disable_protection(&audit_db.db).await;
        // An attacker who also recomputes entry 3's own hash is caught by entry 4's link.
        let mut entry = all_entries(&audit_db.db).await.remove(2);
        entry.action = "platform.nothing.happened".into();
        let rehashed = entry.compute_hash();
        execute(
            &audit_db.db,
            &format!(
                "UPDATE audit_entries SET action = '{}', hash = '{rehashed}' WHERE seq = 3",
                entry.action
            ),
        )
        .await
        .expect("tamper");
        let report = audit
            .chain
            .verify(VerifyRange::default())
            .await
            .expect("verify");
        assert_eq!(report.first_broken.expect("broken").seq, 4, "{backend}");
        audit.subscription.stop().await;
        audit_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_make_one_linear_chain() {
    for backend in backends() {
        let audit_db = TestDb::audit(backend).await.expect("audit db");
        let chain = audit::AuditChain::new(audit_db.db.clone());
        let events = user_events(240);
        // Eight writers racing, each also re-sending a neighbour's events.
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let chain = chain.clone();
                let mine: Vec<_> = events.iter().skip(w).step_by(8).cloned().collect();
                let theirs: Vec<_> = events
                    .iter()
                    .skip((w + 1) % 8)
                    .step_by(8)
                    .cloned()
                    .collect();
                tokio::spawn(async move {
                    for event in mine.iter().chain(&theirs) {
                        chain
                            .append(audit::EntryContent::from_event(event))
                            .await
                            .expect("append");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("writer");
        }
        let entries = all_entries(&audit_db.db).await;
        crate::support::assert_audited_exactly_once(&entries, &events);
        let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=240).collect::<Vec<_>>(), "{backend}");
        let report = chain.verify(VerifyRange::default()).await.expect("verify");
        assert!(report.valid, "{backend}: {report:?}");
        audit_db.cleanup().await;
    }
}
