//! Retention: archived entries leave the table only into a verifiable file, and the chain left
//! behind still verifies.

use std::time::Duration;

use audit::VerifyRange;
use audit::config::RetentionSettings;
use audit::retention::{
    ENTRIES_ARCHIVED, archive_before, archive_files, run_retention, verify_archive,
};
use diesel_async::RunQueryDsl;
use kit::events::EventBus;

use crate::support::{InProcessAudit, TestDb, all_entries, backends, user_events};

const FAR_FUTURE: i64 = i64::MAX / 2;

#[tokio::test]
async fn archived_entries_move_to_a_file_and_the_rest_of_the_chain_still_verifies() {
    for backend in backends() {
        let audit_db = TestDb::audit(backend).await.expect("audit db");
        let audit = InProcessAudit::start(&audit_db.db).await;
        audit.bus.publish(&user_events(20)).await.expect("publish");
        let before = all_entries(&audit_db.db).await;
        let dir = tempfile::tempdir().expect("archive dir");

        let header = archive_before(&audit.chain, FAR_FUTURE, dir.path(), 8)
            .await
            .expect("archive")
            .expect("something archived");
        assert_eq!(
            (header.first_seq, header.last_seq, header.entry_count),
            (1, 8, 8)
        );
        assert_eq!(header.last_hash, before[7].hash);

        // The file holds the entries exactly and verifies on its own.
        let files = archive_files(dir.path()).expect("list archives");
        assert_eq!(files.len(), 1);
        let (file_header, report) = verify_archive(&files[0]).expect("read archive");
        assert_eq!(file_header, header);
        assert!(report.valid);
        assert_eq!(report.checked, 8);

        // The table keeps 9..20, still verifiable through the archive's last hash.
        let left = all_entries(&audit_db.db).await;
        assert_eq!(left, before[8..].to_vec());
        let report = audit
            .chain
            .verify(VerifyRange::default())
            .await
            .expect("verify");
        assert!(report.valid, "{backend}: {report:?}");
        assert_eq!(report.checked, 12);

        // The archiving is itself audited, through audit's own outbox.
        let relay = audit.relay(&audit_db.db);
        assert_eq!(relay.drain().await.expect("relay"), 1);
        let newest = all_entries(&audit_db.db).await.pop().expect("entry");
        assert_eq!(newest.action, ENTRIES_ARCHIVED);
        assert_eq!(newest.seq, 21);
        assert_eq!(newest.resource_id.as_deref(), Some(header.id.as_str()));

        // Entries no archive covers still cannot be deleted, nor archive records changed.
        for sql in [
            "DELETE FROM audit_entries WHERE seq = 9",
            "UPDATE audit_archives SET last_hash = 'x'",
            "DELETE FROM audit_archives",
        ] {
            let refused = kit::db_run!(audit_db.db, |conn| async move {
                Ok(diesel::sql_query(sql).execute(conn).await?)
            });
            let error = refused.expect_err(sql).to_string();
            assert!(error.contains("append-only"), "{backend}: {sql}: {error}");
        }

        audit.subscription.stop().await;
        audit_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_fully_archived_chain_continues_from_the_archive() {
    for backend in backends() {
        let audit_db = TestDb::audit(backend).await.expect("audit db");
        let audit = InProcessAudit::start(&audit_db.db).await;
        audit.bus.publish(&user_events(5)).await.expect("publish");
        let dir = tempfile::tempdir().expect("archive dir");
        let header = archive_before(&audit.chain, FAR_FUTURE, dir.path(), 1000)
            .await
            .expect("archive")
            .expect("archived");
        assert!(all_entries(&audit_db.db).await.is_empty());

        audit
            .bus
            .publish(&user_events(2))
            .await
            .expect("publish more");
        let entries = all_entries(&audit_db.db).await;
        assert_eq!(entries[0].seq, 6);
        assert_eq!(entries[0].prev_hash, header.last_hash);
        let report = audit
            .chain
            .verify(VerifyRange::default())
            .await
            .expect("verify");
        assert!(report.valid, "{backend}: {report:?}");
        audit.subscription.stop().await;
        audit_db.cleanup().await;
    }
}

#[tokio::test]
async fn retention_only_archives_entries_older_than_the_setting() {
    let audit_db = TestDb::audit(kit::db::Backend::Sqlite)
        .await
        .expect("audit db");
    let audit = InProcessAudit::start(&audit_db.db).await;
    audit.bus.publish(&user_events(4)).await.expect("publish");
    let dir = tempfile::tempdir().expect("archive dir");
    let settings = RetentionSettings {
        archive_after_days: Some(1),
        archive_dir: dir.path().join("archive"),
        ..RetentionSettings::default()
    };
    assert!(
        run_retention(&audit.chain, &settings)
            .await
            .expect("retention")
            .is_empty()
    );
    assert_eq!(all_entries(&audit_db.db).await.len(), 4);

    // Entries recorded before a cutoff are due; run in pieces of at most 3 per file.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let cutoff = kit::events::unix_millis(time::OffsetDateTime::now_utc());
    audit
        .bus
        .publish(&user_events(1))
        .await
        .expect("publish a recent one");
    let first = archive_before(&audit.chain, cutoff, &settings.archive_dir, 3)
        .await
        .expect("archive")
        .expect("archived");
    let second = archive_before(&audit.chain, cutoff, &settings.archive_dir, 3)
        .await
        .expect("archive")
        .expect("archived");
    assert_eq!((first.first_seq, first.last_seq), (1, 3));
    assert_eq!((second.first_seq, second.last_seq), (4, 4));
    assert!(
        archive_before(&audit.chain, cutoff, &settings.archive_dir, 3)
            .await
            .expect("archive")
            .is_none()
    );
    assert_eq!(
        all_entries(&audit_db.db).await.len(),
        1,
        "the recent entry stays"
    );
    assert_eq!(
        archive_files(&settings.archive_dir).expect("files").len(),
        2
    );
    audit.subscription.stop().await;
}
