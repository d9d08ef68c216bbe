use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::{Recorder, ids, numbered_events};
use crate::events::{
    BusError, EventBus, HandlerError, InProcessBus, InProcessSettings, RetryPolicy, handler_fn,
};

const LIMIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn every_group_gets_every_event_in_order_by_the_time_publish_returns() {
    let bus = InProcessBus::default();
    let (audit, search) = (Recorder::default(), Recorder::default());
    let a = bus
        .subscribe("audit", "a1", audit.handler())
        .await
        .expect("subscribe");
    let s = bus
        .subscribe("search", "s1", search.handler())
        .await
        .expect("subscribe");

    let events = numbered_events(50);
    bus.publish(&events[..20]).await.expect("publish");
    bus.publish(&events[20..]).await.expect("publish");

    // No waiting: publish confirms delivery to every group with a live consumer.
    assert_eq!(ids(&audit.seen()), ids(&events));
    assert_eq!(ids(&search.seen()), ids(&events));
    a.stop().await;
    s.stop().await;
}

#[tokio::test]
async fn consumers_of_one_group_share_the_events() {
    let bus = InProcessBus::default();
    let (one, two) = (Recorder::default(), Recorder::default());
    let c1 = bus
        .subscribe("audit", "c1", one.handler())
        .await
        .expect("subscribe");
    let c2 = bus
        .subscribe("audit", "c2", two.handler())
        .await
        .expect("subscribe");

    let events = numbered_events(200);
    for chunk in events.chunks(7) {
        bus.publish(chunk).await.expect("publish");
    }
    let mut all = ids(&one.seen());
    all.extend(ids(&two.seen()));
    assert_eq!(
        all.len(),
        events.len(),
        "each event exactly once across the group"
    );
    assert_eq!(
        all.into_iter().collect::<HashSet<_>>(),
        ids(&events).into_iter().collect()
    );
    c1.stop().await;
    c2.stop().await;
}

#[tokio::test]
async fn publishing_before_any_group_exists_is_refused_so_the_outbox_keeps_the_events() {
    let bus = InProcessBus::default();
    let events = numbered_events(5);
    let refused = bus.publish(&events).await;
    assert!(
        matches!(refused, Err(BusError::NoConsumerGroup)),
        "{refused:?}"
    );
    let late = Recorder::default();
    let sub = bus
        .subscribe("audit", "late", late.handler())
        .await
        .expect("subscribe");
    bus.publish(&events)
        .await
        .expect("publish once a group exists");
    assert_eq!(ids(&late.seen()), ids(&events), "delivered exactly once");
    sub.stop().await;
}

#[tokio::test]
async fn a_group_without_a_live_consumer_refuses_events_until_one_returns() {
    let bus = InProcessBus::default();
    let first = Recorder::default();
    let sub = bus
        .subscribe("audit", "a", first.handler())
        .await
        .expect("subscribe");
    let events = numbered_events(10);
    bus.publish(&events[..4]).await.expect("publish");
    sub.stop().await;

    let refused = tokio::time::timeout(LIMIT, bus.publish(&events[4..]))
        .await
        .expect("publish does not wait for a group without consumers");
    assert!(
        matches!(&refused, Err(BusError::ConsumerGone { group }) if group == "audit"),
        "{refused:?}"
    );
    let second = Recorder::default();
    let sub = bus
        .subscribe("audit", "a", second.handler())
        .await
        .expect("subscribe");
    bus.publish(&events[4..]).await.expect("publish");
    assert_eq!(ids(&second.seen()), ids(&events[4..]));
    assert_eq!(ids(&first.seen()), ids(&events[..4]));
    sub.stop().await;
}

#[tokio::test]
async fn a_consumer_stopping_mid_publish_fails_it_and_the_next_consumer_gets_the_rest() {
    let bus = InProcessBus::default();
    let first = Recorder::default();
    let record = first.handler();
    let slow = handler_fn(move |event| {
        let record = record.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            record.handle(&event).await
        }
    });
    let sub = bus.subscribe("audit", "a", slow).await.expect("subscribe");
    let events = numbered_events(10);
    let publishing = tokio::spawn({
        let (bus, events) = (bus.clone(), events.clone());
        async move { bus.publish(&events).await }
    });
    first.wait_for(2, LIMIT).await;
    sub.stop().await;
    let result = publishing.await.expect("join");
    assert!(
        matches!(result, Err(BusError::ConsumerGone { .. })),
        "unconfirmed events must not count as published: {result:?}"
    );

    let handled = first.seen().len();
    assert!(handled < 10);
    let second = Recorder::default();
    let sub = bus
        .subscribe("audit", "b", second.handler())
        .await
        .expect("subscribe");
    let rest = second.wait_for(10 - handled, LIMIT).await;
    let mut all = ids(&first.seen());
    all.extend(ids(&rest));
    assert_eq!(all, ids(&events), "nothing lost, nothing twice, in order");
    sub.stop().await;
}

#[tokio::test]
async fn a_failing_handler_is_retried_then_dead_lettered() {
    let bus = InProcessBus::new(InProcessSettings {
        retry: RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
        },
        ..InProcessSettings::default()
    });
    let calls = Arc::new(AtomicU32::new(0));
    let poison = numbered_events(1).remove(0);
    let poison_id = poison.id;
    let counted = calls.clone();
    let ok = Recorder::default();
    let ok_handler = ok.handler();
    let handler = handler_fn(move |event| {
        let counted = counted.clone();
        let ok_handler = ok_handler.clone();
        async move {
            if event.id == poison_id {
                counted.fetch_add(1, Ordering::SeqCst);
                return Err::<(), HandlerError>("storage is down".into());
            }
            ok_handler.handle(&event).await
        }
    });
    let sub = bus
        .subscribe("audit", "a", handler)
        .await
        .expect("subscribe");
    let healthy = numbered_events(1).remove(0);
    bus.publish(&[poison.clone(), healthy.clone()])
        .await
        .expect("publish");

    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let dead = bus.dead_letters();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].event.id, poison.id);
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(dead[0].error, "storage is down");
    // The group moved on past the dead letter.
    assert_eq!(ids(&ok.seen()), vec![healthy.id]);
    sub.stop().await;
}

#[tokio::test]
async fn an_event_left_by_a_killed_consumer_goes_to_another_consumer_of_its_group() {
    let bus = InProcessBus::default();
    let events = numbered_events(10);
    let stuck_on = events[3].id;
    // This consumer hangs on the fourth event, then is killed.
    let taken = Arc::new(AtomicU32::new(0));
    let counter = taken.clone();
    let doomed = bus
        .subscribe(
            "audit",
            "doomed",
            handler_fn(move |event| {
                let counter = counter.clone();
                async move {
                    if event.id == stuck_on {
                        counter.fetch_add(1, Ordering::SeqCst);
                        std::future::pending::<()>().await;
                    }
                    Ok::<(), HandlerError>(())
                }
            }),
        )
        .await
        .expect("subscribe");
    let publishing = tokio::spawn({
        let bus = bus.clone();
        let events = events.clone();
        async move { bus.publish(&events).await }
    });
    while taken.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let heir = Recorder::default();
    let survivor = bus
        .subscribe("audit", "heir", heir.handler())
        .await
        .expect("subscribe");
    doomed.abort();
    tokio::time::timeout(LIMIT, publishing)
        .await
        .expect("publish completes once every event is handled")
        .expect("join")
        .expect("publish");
    let got = ids(&heir.seen());
    assert!(
        got.contains(&stuck_on),
        "the abandoned event was redelivered"
    );
    assert!(
        got.iter().all(|id| !ids(&events[..3]).contains(id)),
        "handled events are not redelivered"
    );
    survivor.stop().await;
}
