//! Events from a producer's outbox, through the relay and the bus, into the audit chain.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use audit::VerifyRange;
use futures::future::BoxFuture;
use kit::events::{
    BusError, EventBus, EventEnvelope, EventHandler, InProcessBus, OutboxRelay, Subscription,
};

use crate::support::{
    InProcessAudit, TestDb, all_entries, assert_audited_exactly_once, backends, enqueue,
    relay_settings, user_events, wait_for_entries,
};

#[tokio::test]
async fn each_event_becomes_exactly_one_entry_with_its_actor_and_subject() {
    for backend in backends() {
        let producer = TestDb::producer(backend).await.expect("producer db");
        let audit_db = TestDb::audit(backend).await.expect("audit db");
        let audit = InProcessAudit::start(&audit_db.db).await;
        let events = user_events(25);
        enqueue(&producer.db, &events, 10).await;

        let relayed = audit.relay(&producer.db).drain().await.expect("relay");
        assert_eq!(relayed, 25);
        // The in-process bus confirms delivery: the entries are there when publish returns.
        let entries = all_entries(&audit_db.db).await;
        assert_audited_exactly_once(&entries, &events);
        let first = &entries[0];
        assert_eq!(
            first.event_id,
            events[0].id.to_string(),
            "chain order follows the outbox"
        );
        let metadata: serde_json::Value = serde_json::from_str(&first.metadata).expect("json");
        assert_eq!(metadata["data"]["email"], "u0@example.com");
        assert_eq!(
            metadata["traceId"],
            events[0].trace_id.clone().expect("trace id")
        );
        assert_eq!(metadata["schemaVersion"], 1);

        let report = audit
            .chain
            .verify(VerifyRange::default())
            .await
            .expect("verify");
        assert!(report.valid, "{backend}: {report:?}");
        assert_eq!(report.checked, 25);

        // Redelivering the same events changes nothing.
        audit.bus.publish(&events[..5]).await.expect("republish");
        assert_eq!(all_entries(&audit_db.db).await, entries);

        audit.subscription.stop().await;
        producer.cleanup().await;
        audit_db.cleanup().await;
    }
}

/// Publishes the first `allow` events handed to it, then fails the batch: a relay that dies
/// between publishing part of a batch and marking it sent.
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
async fn a_relay_stopped_mid_batch_and_restarted_loses_and_duplicates_nothing() {
    for backend in backends() {
        let producer = TestDb::producer(backend).await.expect("producer db");
        let audit_db = TestDb::audit(backend).await.expect("audit db");
        let audit = InProcessAudit::start(&audit_db.db).await;
        let events = user_events(200);
        enqueue(&producer.db, &events, 100).await;

        // 1. Dies 20 events into its second batch of 50: those 20 reach audit, unmarked.
        let crashing = OutboxRelay::new(
            producer.db.clone(),
            Arc::new(CrashingBus {
                inner: audit.bus.clone(),
                allow: AtomicUsize::new(70),
            }),
            relay_settings(),
        );
        assert_eq!(crashing.relay_once().await.expect("first batch"), 50);
        assert!(crashing.relay_once().await.is_err());
        assert_eq!(all_entries(&audit_db.db).await.len(), 70);

        // 2. A running relay killed at an arbitrary point, wherever it is.
        let running = audit.relay(&producer.db).spawn();
        wait_for_entries(&audit_db.db, 100, Duration::from_secs(30)).await;
        running.abort();

        // 3. Restarted: picks up from the unsent rows.
        let restarted = audit.relay(&producer.db);
        restarted.drain().await.expect("drain");
        let entries = all_entries(&audit_db.db).await;
        assert_audited_exactly_once(&entries, &events);
        let report = audit
            .chain
            .verify(VerifyRange::default())
            .await
            .expect("verify");
        assert!(report.valid, "{backend}: {report:?}");
        assert_eq!(report.checked, 200);

        audit.subscription.stop().await;
        producer.cleanup().await;
        audit_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_burst_of_10000_events_is_all_audited_and_the_chain_verifies() {
    for backend in backends() {
        let producer = TestDb::producer(backend).await.expect("producer db");
        let audit_db = TestDb::audit(backend).await.expect("audit db");
        let audit = InProcessAudit::start(&audit_db.db).await;
        let events = user_events(10_000);
        enqueue(&producer.db, &events, 1000).await;

        let relay = audit.relay(&producer.db).spawn();
        wait_for_entries(&audit_db.db, 10_000, Duration::from_secs(240)).await;
        relay.stop().await;

        let entries = all_entries(&audit_db.db).await;
        assert_audited_exactly_once(&entries, &events);
        let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (1..=10_000).collect::<Vec<_>>(),
            "a linear chain with no gaps"
        );
        let report = audit
            .chain
            .verify(VerifyRange::default())
            .await
            .expect("verify");
        assert!(report.valid, "{backend}: {report:?}");
        assert_eq!(report.checked, 10_000);

        audit.subscription.stop().await;
        producer.cleanup().await;
        audit_db.cleanup().await;
    }
}
