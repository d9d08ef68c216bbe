//! Tests of the event pieces through their public interfaces, against real SQLite always and
//! PostgreSQL / Redis when `DATABASE_URL` / `REDIS_URL` are set.

mod in_process_bus;
mod outbox_relay;
mod redis_bus;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{EventEnvelope, EventHandler, HandlerError, Subject, handler_fn};

/// Numbered test events `0..n` of one type.
pub(crate) fn numbered_events(n: usize) -> Vec<EventEnvelope> {
    (0..n)
        .map(|i| {
            EventEnvelope::new(
                "test.thing.happened",
                Subject::new("thing", i.to_string()),
                serde_json::json!({ "n": i }),
            )
        })
        .collect()
}

/// A handler that records what it received.
#[derive(Clone, Default)]
pub(crate) struct Recorder {
    seen: Arc<Mutex<Vec<EventEnvelope>>>,
}

impl Recorder {
    pub(crate) fn handler(&self) -> Arc<dyn EventHandler> {
        let seen = self.seen.clone();
        handler_fn(move |event| {
            let seen = seen.clone();
            async move {
                seen.lock().expect("recorder lock").push(event);
                Ok::<(), HandlerError>(())
            }
        })
    }

    pub(crate) fn seen(&self) -> Vec<EventEnvelope> {
        self.seen.lock().expect("recorder lock").clone()
    }

    /// Waits until at least `n` events were recorded, or panics after `limit`.
    pub(crate) async fn wait_for(&self, n: usize, limit: Duration) -> Vec<EventEnvelope> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let seen = self.seen();
            if seen.len() >= n {
                return seen;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {n} events arrived within {limit:?}",
                seen.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub(crate) fn ids(events: &[EventEnvelope]) -> Vec<uuid::Uuid> {
    events.iter().map(|e| e.id).collect()
}
