//! Outbox and relay on real SQLite (always) and PostgreSQL (when `DATABASE_URL` is set).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures::future::BoxFuture;

use super::{Recorder, ids, numbered_events};
use crate::db::{Backend, Db, DbError, DbOptions};
use crate::events::outbox::outbox;
use crate::events::{
    BusError, EventBus, EventEnvelope, EventHandler, InProcessBus, OUTBOX_MIGRATIONS, OutboxRelay,
    RelaySettings, Subscription, enqueue, enqueue_all,
};

const LIMIT: Duration = Duration::from_secs(20);

/// A database with the outbox table; drops its PostgreSQL schema on cleanup.
struct TestDb {
    db: Db,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    async fn all() -> Vec<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/producer.db", dir.path().display());
        let mut dbs = vec![Self::open(&url, "producer", Some(dir)).await];
        if let Some(url) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            let schema = format!("events_test_{}", uuid::Uuid::now_v7().simple());
            dbs.push(Self::open(&url, &schema, None).await);
        }
        dbs
    }

    async fn open(url: &str, schema: &str, dir: Option<tempfile::TempDir>) -> Self {
        let db = Db::connect(url, DbOptions::new(schema))
            .await
            .expect("open database");
        db.migrate(&OUTBOX_MIGRATIONS)
            .await
            .expect("outbox migrations");
        assert!(
            db.migrate(&OUTBOX_MIGRATIONS)
                .await
                .expect("migrate again")
                .is_empty(),
            "applying the outbox migrations twice is a no-op"
        );
        Self { db, _dir: dir }
    }

    async fn unsent(&self) -> i64 {
        crate::db_run!(self.db, |conn| async move {
            Ok(outbox::table
                .filter(outbox::sent_at.is_null())
                .count()
                .get_result::<i64>(conn)
                .await?)
        })
        .expect("count unsent")
    }

    async fn cleanup(self) {
        if self.db.backend() == Backend::Postgres {
            let schema = self.db.schema().to_owned();
            let _ = crate::db_run!(self.db, |conn| async move {
                diesel::sql_query(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                    .execute(conn)
                    .await?;
                Ok(())
            });
        }
    }
}

fn fast_relay() -> RelaySettings {
    RelaySettings {
        batch_size: 7,
        poll_interval: Duration::from_millis(20),
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        ..RelaySettings::default()
    }
}

async fn subscribe(bus: &InProcessBus, recorder: &Recorder) -> Subscription {
    bus.subscribe("audit", "a1", recorder.handler())
        .await
        .expect("subscribe")
}

#[tokio::test]
async fn committed_events_are_relayed_in_order_and_rolled_back_ones_never() {
    for test in TestDb::all().await {
        let bus = InProcessBus::default();
        let seen = Recorder::default();
        let sub = subscribe(&bus, &seen).await;
        let events = numbered_events(20);

        let (first, rest) = events.split_at(1);
        let first = first[0].clone();
        crate::db_tx!(
            test.db,
            |conn| async move { Ok(enqueue(conn, &first).await?) }
        )
        .expect("commit one");
        let rolled_back = numbered_events(3);
        let failed: Result<(), DbError> = crate::db_tx!(test.db, |conn| async move {
            enqueue_all(conn, &rolled_back).await?;
            Err(DbError::Query(diesel::result::Error::RollbackTransaction))
        });
        assert!(failed.is_err());
        let rest = rest.to_vec();
        crate::db_tx!(test.db, |conn| async move {
            Ok(enqueue_all(conn, &rest).await?)
        })
        .expect("commit the rest");
        assert_eq!(test.unsent().await, 20, "{}", test.db.backend());

        let relay = OutboxRelay::new(test.db.clone(), Arc::new(bus.clone()), fast_relay());
        assert_eq!(relay.drain().await.expect("drain"), 20);
        assert_eq!(ids(&seen.seen()), ids(&events), "{}", test.db.backend());
        assert_eq!(
            seen.seen()[3],
            events[3],
            "the envelope survives the outbox intact"
        );
        assert_eq!(test.unsent().await, 0);
        assert_eq!(
            relay.relay_once().await.expect("pass"),
            0,
            "nothing is sent twice"
        );
        sub.stop().await;
        test.cleanup().await;
    }
}

/// Forwards the first `allow` events it is given to the real bus, then fails: a relay that
/// dies between publishing part of a batch and marking it sent.
struct CrashingBus {
    inner: InProcessBus,
    allow: AtomicUsize,
}

impl EventBus for CrashingBus {
    fn publish<'a>(&'a self, events: &'a [EventEnvelope]) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            let allowed = AtomicUsize::load(&self.allow, Ordering::SeqCst).min(events.len());
            self.inner.publish(&events[..allowed]).await?;
            self.allow.fetch_sub(allowed, Ordering::SeqCst);
            if allowed < events.len() {
                return Err(BusError::Config("simulated crash mid-batch".into()));
            }
            Ok(())
        })
    }

    fn subscribe<'a>(
        &'a self,
        group: &'a str,
        consumer: &'a str,
        handler: Arc<dyn EventHandler>,
    ) -> BoxFuture<'a, Result<Subscription, BusError>> {
        self.inner.subscribe(group, consumer, handler)
    }
}

#[tokio::test]
async fn a_relay_that_dies_mid_batch_resumes_without_losing_events() {
    for test in TestDb::all().await {
        let bus = InProcessBus::default();
        let seen = Recorder::default();
        let sub = subscribe(&bus, &seen).await;
        let events = numbered_events(30);
        let batch = events.clone();
        crate::db_tx!(test.db, |conn| async move {
            Ok(enqueue_all(conn, &batch).await?)
        })
        .expect("commit");

        // Dies after 10 events: one full batch of 7 marked, 3 of the next published unmarked.
        let crashing = Arc::new(CrashingBus {
            inner: bus.clone(),
            allow: AtomicUsize::new(10),
        });
        let relay = OutboxRelay::new(test.db.clone(), crashing, fast_relay());
        assert_eq!(relay.relay_once().await.expect("first batch"), 7);
        assert!(relay.relay_once().await.is_err(), "second batch crashes");
        assert_eq!(test.unsent().await, 23);

        let restarted = OutboxRelay::new(test.db.clone(), Arc::new(bus.clone()), fast_relay());
        assert_eq!(restarted.drain().await.expect("drain"), 23);

        let got = ids(&seen.seen());
        let expected = ids(&events);
        // At-least-once: the 3 published-but-unmarked events come again, in order, and
        // nothing is missing.
        assert_eq!(got.len(), 33);
        assert_eq!(&got[..10], &expected[..10]);
        assert_eq!(&got[10..], &expected[7..]);
        assert_eq!(
            got.into_iter().collect::<HashSet<_>>(),
            expected.into_iter().collect()
        );
        sub.stop().await;
        test.cleanup().await;
    }
}

#[tokio::test]
async fn a_spawned_relay_delivers_new_events_and_stops_cleanly() {
    for test in TestDb::all().await {
        let bus = InProcessBus::default();
        let seen = Recorder::default();
        let sub = subscribe(&bus, &seen).await;
        let relay = OutboxRelay::new(
            test.db.clone(),
            Arc::new(bus.clone()),
            RelaySettings {
                poll_interval: Duration::from_secs(60),
                ..fast_relay()
            },
        );
        let waker = relay.waker();
        let handle = relay.spawn();
        let events = numbered_events(12);
        for event in &events {
            let event = event.clone();
            crate::db_tx!(
                test.db,
                |conn| async move { Ok(enqueue(conn, &event).await?) }
            )
            .expect("commit");
            // A long poll interval: only the waker can make this prompt.
            waker.wake();
        }
        assert_eq!(ids(&seen.wait_for(12, LIMIT).await), ids(&events));
        handle.stop().await;
        assert_eq!(test.unsent().await, 0);
        sub.stop().await;
        test.cleanup().await;
    }
}

#[tokio::test]
async fn sent_rows_are_pruned_after_keep_sent_and_unsent_rows_never() {
    for test in TestDb::all().await {
        let bus = InProcessBus::default();
        let sub = subscribe(&bus, &Recorder::default()).await;
        let events = numbered_events(5);
        let (sent, unsent) = (events[..3].to_vec(), events[3..].to_vec());
        crate::db_tx!(test.db, |conn| async move {
            Ok(enqueue_all(conn, &sent).await?)
        })
        .expect("commit");
        let relay = OutboxRelay::new(
            test.db.clone(),
            Arc::new(bus.clone()),
            RelaySettings {
                keep_sent: Some(Duration::ZERO),
                ..fast_relay()
            },
        );
        assert_eq!(relay.drain().await.expect("drain"), 3);
        crate::db_tx!(test.db, |conn| async move {
            Ok(enqueue_all(conn, &unsent).await?)
        })
        .expect("commit");
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(relay.prune_sent().await.expect("prune"), 3);
        assert_eq!(test.unsent().await, 2);
        sub.stop().await;
        test.cleanup().await;
    }
}

#[tokio::test]
async fn events_wait_in_the_outbox_until_a_consumer_subscribes() {
    for test in TestDb::all().await {
        let bus = InProcessBus::default();
        let events = numbered_events(4);
        let batch = events.clone();
        crate::db_tx!(test.db, |conn| async move {
            Ok(enqueue_all(conn, &batch).await?)
        })
        .expect("commit");
        // Services start in any order: the relay may run before audit subscribes.
        let relay = OutboxRelay::new(test.db.clone(), Arc::new(bus.clone()), fast_relay());
        assert!(matches!(
            relay.relay_once().await,
            Err(crate::events::RelayError::Bus(BusError::NoConsumerGroup))
        ));
        assert_eq!(test.unsent().await, 4);

        let seen = Recorder::default();
        let sub = subscribe(&bus, &seen).await;
        assert_eq!(relay.drain().await.expect("drain"), 4);
        assert_eq!(ids(&seen.seen()), ids(&events));
        sub.stop().await;
        test.cleanup().await;
    }
}
