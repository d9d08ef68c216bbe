//! Audit over Redis Streams (skipped unless `REDIS_URL` is set).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use audit::{AuditChain, AuditConsumer, VerifyRange};
use futures::future::BoxFuture;
use kit::db::Backend;
use kit::events::{
    EventBus, EventEnvelope, EventHandler, HandlerError, OutboxRelay, RedisStreamsBus,
    RedisStreamsSettings, RetryPolicy,
};

use crate::support::{
    TestDb, all_entries, assert_audited_exactly_once, backends, enqueue, relay_settings,
    user_events, wait_for_entries,
};

const LIMIT: Duration = Duration::from_secs(60);

async fn redis_bus() -> Option<(RedisStreamsBus, String)> {
    let url = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty())?;
    let settings = RedisStreamsSettings {
        stream: format!("test:audit:{}", uuid::Uuid::now_v7()),
        block: Duration::from_millis(200),
        claim_idle: Duration::from_millis(500),
        claim_interval: Duration::from_millis(200),
        retry: RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
        },
        ..RedisStreamsSettings::default()
    };
    let bus = RedisStreamsBus::connect(&url, settings)
        .await
        .expect("connect to REDIS_URL");
    Some((bus, url))
}

async fn delete_streams(bus: &RedisStreamsBus, url: &str) {
    let keys = [
        bus.settings().stream.clone(),
        bus.settings().dead_letter_stream(),
    ];
    if let Ok(client) = redis::Client::open(url)
        && let Ok(mut conn) = client.get_multiplexed_async_connection().await
    {
        let _: Result<(), _> = redis::AsyncCommands::del(&mut conn, &keys).await;
    }
}

#[tokio::test]
async fn outbox_to_redis_to_audit_records_each_event_once() {
    for backend in backends() {
        // A stream per round: a new group starts from the beginning of its stream.
        let Some((bus, url)) = redis_bus().await else {
            return;
        };
        let producer = TestDb::producer(backend).await.expect("producer db");
        let audit_db = TestDb::audit(backend).await.expect("audit db");
        let chain = AuditChain::new(audit_db.db.clone());
        let sub = bus
            .subscribe(
                "audit",
                "audit-1",
                Arc::new(AuditConsumer::new(chain.clone())),
            )
            .await
            .expect("subscribe");
        let events = user_events(300);
        enqueue(&producer.db, &events, 100).await;
        OutboxRelay::new(producer.db.clone(), Arc::new(bus.clone()), relay_settings())
            .drain()
            .await
            .expect("relay");
        wait_for_entries(&audit_db.db, 300, LIMIT).await;
        sub.stop().await;
        assert_audited_exactly_once(&all_entries(&audit_db.db).await, &events);
        assert!(
            chain
                .verify(VerifyRange::default())
                .await
                .expect("verify")
                .valid
        );
        producer.cleanup().await;
        audit_db.cleanup().await;
        delete_streams(&bus, &url).await;
    }
}

/// Audit's consumer that records `healthy` events and then hangs: a consumer process that
/// stopped making progress, with a fetched batch it will never acknowledge.
struct Hanging {
    inner: AuditConsumer,
    healthy: usize,
    seen: AtomicUsize,
}

impl EventHandler for Hanging {
    fn handle<'a>(&'a self, event: &'a EventEnvelope) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if self.seen.fetch_add(1, Ordering::SeqCst) >= self.healthy {
                std::future::pending::<()>().await;
            }
            self.inner.handle(event).await
        })
    }
}

#[tokio::test]
async fn a_killed_audit_consumer_is_taken_over_without_loss() {
    let Some((bus, url)) = redis_bus().await else {
        return;
    };
    let audit_db = TestDb::audit(Backend::Sqlite).await.expect("audit db");
    let chain = AuditChain::new(audit_db.db.clone());
    let doomed = bus
        .subscribe(
            "audit",
            "audit-doomed",
            Arc::new(Hanging {
                inner: AuditConsumer::new(chain.clone()),
                healthy: 40,
                seen: AtomicUsize::new(0),
            }),
        )
        .await
        .expect("subscribe");
    let events = user_events(250);
    bus.publish(&events).await.expect("publish");
    wait_for_entries(&audit_db.db, 40, LIMIT).await;
    doomed.abort();

    let heir = bus
        .subscribe(
            "audit",
            "audit-heir",
            Arc::new(AuditConsumer::new(chain.clone())),
        )
        .await
        .expect("subscribe");
    wait_for_entries(&audit_db.db, 250, LIMIT).await;
    heir.stop().await;

    let entries = all_entries(&audit_db.db).await;
    assert_audited_exactly_once(&entries, &events);
    let report = chain.verify(VerifyRange::default()).await.expect("verify");
    assert!(report.valid, "{report:?}");
    assert_eq!(report.checked, 250);
    delete_streams(&bus, &url).await;
}
