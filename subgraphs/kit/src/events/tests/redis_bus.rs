//! Redis Streams bus against the Redis at `REDIS_URL`; each test skips when it is unset and uses
//! its own stream names so parallel runs do not collide.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use redis::AsyncCommands;
use redis::streams::{StreamPendingReply, StreamRangeReply};

use super::{Recorder, ids, numbered_events};
use crate::events::{
    ENVELOPE_FIELD, EventBus, EventEnvelope, HandlerError, RedisStreamsBus, RedisStreamsSettings,
    RetryPolicy, handler_fn,
};

const LIMIT: Duration = Duration::from_secs(20);

fn redis_url() -> Option<String> {
    std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty())
}

fn test_settings() -> RedisStreamsSettings {
    RedisStreamsSettings {
        stream: format!("test:events:{}", uuid::Uuid::now_v7()),
        block: Duration::from_millis(200),
        claim_idle: Duration::from_millis(500),
        claim_interval: Duration::from_millis(200),
        retry: RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
        },
        ..RedisStreamsSettings::default()
    }
}

/// The bus plus a plain connection for inspecting and cleaning up its streams.
struct Fixture {
    bus: RedisStreamsBus,
    conn: redis::aio::MultiplexedConnection,
}

impl Fixture {
    async fn new(url: &str, settings: RedisStreamsSettings) -> Self {
        let bus = RedisStreamsBus::connect(url, settings)
            .await
            .expect("connect to REDIS_URL");
        let conn = redis::Client::open(url)
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .expect("redis connection");
        Self { bus, conn }
    }

    async fn pending(&mut self, group: &str) -> usize {
        let reply: StreamPendingReply = self
            .conn
            .xpending(&self.bus.settings().stream, group)
            .await
            .expect("xpending");
        reply.count()
    }

    async fn dead_letters(&mut self) -> Vec<(EventEnvelope, String)> {
        let reply: StreamRangeReply = self
            .conn
            .xrange_all(self.bus.settings().dead_letter_stream())
            .await
            .expect("xrange");
        reply
            .ids
            .iter()
            .map(|entry| {
                let json: String = entry.get(ENVELOPE_FIELD).expect("envelope field");
                let error: String = entry.get("error").expect("error field");
                (serde_json::from_str(&json).expect("envelope json"), error)
            })
            .collect()
    }

    async fn cleanup(mut self) {
        let settings = self.bus.settings().clone();
        let _: Result<(), _> = self
            .conn
            .del(&[settings.stream.clone(), settings.dead_letter_stream()])
            .await;
    }
}

#[tokio::test]
async fn groups_receive_every_event_in_order_and_acknowledge_it() {
    let Some(url) = redis_url() else { return };
    let mut fx = Fixture::new(&url, test_settings()).await;
    let (audit, other) = (Recorder::default(), Recorder::default());
    let a = fx
        .bus
        .subscribe("audit", "a1", audit.handler())
        .await
        .expect("subscribe");
    let o = fx
        .bus
        .subscribe("other", "o1", other.handler())
        .await
        .expect("subscribe");

    let events = numbered_events(250);
    fx.bus.publish(&events[..100]).await.expect("publish");
    fx.bus.publish(&events[100..]).await.expect("publish");

    assert_eq!(ids(&audit.wait_for(250, LIMIT).await), ids(&events));
    assert_eq!(ids(&other.wait_for(250, LIMIT).await), ids(&events));
    assert_eq!(
        audit.seen()[7],
        events[7],
        "the envelope survives the trip intact"
    );
    a.stop().await;
    o.stop().await;
    assert_eq!(fx.pending("audit").await, 0);
    assert_eq!(fx.pending("other").await, 0);
    fx.cleanup().await;
}

#[tokio::test]
async fn a_killed_consumer_is_taken_over_without_loss() {
    let Some(url) = redis_url() else { return };
    let mut fx = Fixture::new(&url, test_settings()).await;
    let events = numbered_events(60);

    // The doomed consumer handles 10 events, then hangs forever on the 11th, as a stuck
    // process would; it has fetched a whole batch it will never acknowledge.
    let handled_by_doomed = Recorder::default();
    let recorder = handled_by_doomed.handler();
    let count = Arc::new(AtomicUsize::new(0));
    let doomed_handler = handler_fn(move |event| {
        let recorder = recorder.clone();
        let count = count.clone();
        async move {
            if count.fetch_add(1, Ordering::SeqCst) >= 10 {
                std::future::pending::<()>().await;
            }
            recorder.handle(&event).await
        }
    });
    let doomed = fx
        .bus
        .subscribe("audit", "doomed", doomed_handler)
        .await
        .expect("subscribe");
    fx.bus.publish(&events).await.expect("publish");
    handled_by_doomed.wait_for(10, LIMIT).await;
    doomed.abort();
    assert!(
        fx.pending("audit").await > 0,
        "the killed consumer left entries pending"
    );

    let heir = Recorder::default();
    let survivor = fx
        .bus
        .subscribe("audit", "heir", heir.handler())
        .await
        .expect("subscribe");
    let taken_over = heir.wait_for(50, LIMIT).await;

    let mut all: Vec<_> = ids(&handled_by_doomed.seen());
    all.extend(ids(&taken_over));
    assert_eq!(all.len(), 60, "no event lost, none handled twice");
    assert_eq!(
        all.into_iter().collect::<HashSet<_>>(),
        ids(&events).into_iter().collect()
    );
    survivor.stop().await;
    assert_eq!(fx.pending("audit").await, 0);
    fx.cleanup().await;
}

#[tokio::test]
async fn a_restarted_consumer_rereads_its_own_pending_entries() {
    let Some(url) = redis_url() else { return };
    let settings = RedisStreamsSettings {
        // Long enough that only the restart, not a claim, can recover the entries.
        claim_idle: Duration::from_secs(600),
        ..test_settings()
    };
    let mut fx = Fixture::new(&url, settings).await;
    let events = numbered_events(5);
    let stuck = fx
        .bus
        .subscribe(
            "audit",
            "worker-1",
            handler_fn(|_| std::future::pending::<Result<(), HandlerError>>()),
        )
        .await
        .expect("subscribe");
    fx.bus.publish(&events).await.expect("publish");
    let deadline = tokio::time::Instant::now() + LIMIT;
    while fx.pending("audit").await < 5 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "entries never delivered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stuck.abort();

    let restarted = Recorder::default();
    let sub = fx
        .bus
        .subscribe("audit", "worker-1", restarted.handler())
        .await
        .expect("subscribe");
    assert_eq!(ids(&restarted.wait_for(5, LIMIT).await), ids(&events));
    sub.stop().await;
    assert_eq!(fx.pending("audit").await, 0);
    fx.cleanup().await;
}

#[tokio::test]
async fn a_failing_event_goes_to_the_dead_letter_stream_after_its_retries() {
    let Some(url) = redis_url() else { return };
    let mut fx = Fixture::new(&url, test_settings()).await;
    let events = numbered_events(3);
    let poison = events[1].id;
    let attempts = Arc::new(AtomicUsize::new(0));
    let ok = Recorder::default();
    let (ok_handler, counted) = (ok.handler(), attempts.clone());
    let handler = handler_fn(move |event| {
        let (ok_handler, counted) = (ok_handler.clone(), counted.clone());
        async move {
            if event.id == poison {
                counted.fetch_add(1, Ordering::SeqCst);
                return Err::<(), HandlerError>("cannot store".into());
            }
            ok_handler.handle(&event).await
        }
    });
    let sub = fx
        .bus
        .subscribe("audit", "a", handler)
        .await
        .expect("subscribe");
    fx.bus.publish(&events).await.expect("publish");
    ok.wait_for(2, LIMIT).await;
    sub.stop().await;

    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    let dead = fx.dead_letters().await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].0, events[1]);
    assert_eq!(dead[0].1, "cannot store");
    assert_eq!(
        fx.pending("audit").await,
        0,
        "the dead-lettered entry is acknowledged"
    );
    fx.cleanup().await;
}

#[tokio::test]
async fn bad_settings_are_refused() {
    let settings = RedisStreamsSettings {
        block: Duration::ZERO,
        ..RedisStreamsSettings::default()
    };
    // Validation happens before any connection attempt, so this needs no Redis.
    let error = RedisStreamsBus::connect("redis://127.0.0.1:1", settings)
        .await
        .err();
    assert!(error.is_some_and(|e| e.to_string().contains("block")));
}
