//! The bus trait every transport implements, and what consumers plug into it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::envelope::EventEnvelope;

/// Why a bus operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("event could not be encoded or decoded: {0}")]
    Codec(#[from] serde_json::Error),
    #[error("invalid bus setting: {0}")]
    Config(String),
    /// Nothing in this process consumes events yet: refusing keeps them in the outbox (the
    /// relay retries) instead of accepting events nobody will ever read.
    #[error("no consumer group has subscribed to the in-process bus yet")]
    NoConsumerGroup,
    /// A consumer group of the in-process bus has no live consumer to confirm the events.
    #[error("consumer group `{group}` has no live consumer")]
    ConsumerGone { group: String },
}

/// What a handler returns when it could not process an event; the bus retries, then
/// dead-letters.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// Processes events for one consumer group. Delivery is at-least-once, so handlers must be
/// idempotent by `event.id`.
pub trait EventHandler: Send + Sync + 'static {
    fn handle<'a>(&'a self, event: &'a EventEnvelope) -> BoxFuture<'a, Result<(), HandlerError>>;
}

/// Wraps an async closure as an [`EventHandler`].
pub fn handler_fn<F, Fut>(f: F) -> Arc<dyn EventHandler>
where
    F: Fn(EventEnvelope) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    struct FnHandler<F>(F);

    impl<F, Fut> EventHandler for FnHandler<F>
    where
        F: Fn(EventEnvelope) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        fn handle<'a>(
            &'a self,
            event: &'a EventEnvelope,
        ) -> BoxFuture<'a, Result<(), HandlerError>> {
            Box::pin((self.0)(event.clone()))
        }
    }

    Arc::new(FnHandler(f))
}

/// Carries events from producers (the outbox relays) to consumer groups.
///
/// Every consumer group receives every event; within a group each event goes to one consumer.
/// Delivery is at-least-once: a handler that fails is retried with backoff, and after
/// [`RetryPolicy::max_attempts`] the event is moved to the dead letters and acknowledged.
pub trait EventBus: Send + Sync + 'static {
    /// Publishes events in the given order. When this returns `Ok`, the bus owns them: the relay
    /// may mark them sent.
    fn publish<'a>(&'a self, events: &'a [EventEnvelope]) -> BoxFuture<'a, Result<(), BusError>>;

    /// Starts consuming as `consumer` within `group` (the group is created if needed and, when
    /// new, starts from the oldest event the bus still holds).
    fn subscribe<'a>(
        &'a self,
        group: &'a str,
        consumer: &'a str,
        handler: Arc<dyn EventHandler>,
    ) -> BoxFuture<'a, Result<Subscription, BusError>>;
}

/// Retries of a failing handler before its event is dead-lettered. The default gives a
/// handler about 13 s of retries (a database restart, a lock) before giving up on an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Handler calls per delivery, the first included.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Delay before attempt `attempt + 1` (exponential, capped).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// Calls the handler until it succeeds or the attempts run out; returns the last error and
    /// the number of attempts made on failure.
    pub(crate) async fn run(
        &self,
        handler: &dyn EventHandler,
        event: &EventEnvelope,
    ) -> Result<(), (HandlerError, u32)> {
        let mut attempt = 1;
        loop {
            match handler.handle(event).await {
                Ok(()) => return Ok(()),
                Err(error) if attempt >= self.max_attempts.max(1) => return Err((error, attempt)),
                Err(error) => {
                    tracing::warn!(event_id = %event.id, event_type = %event.event_type, attempt, %error, "event handler failed; retrying");
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                }
            }
        }
    }
}

/// How long [`Subscription::stop`] waits for the event in hand.
pub const STOP_GRACE: Duration = Duration::from_secs(30);

/// A running consumer. Dropping it leaves the consumer running; call [`Subscription::stop`].
pub struct Subscription {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Subscription {
    pub(crate) fn new(stop: watch::Sender<bool>, task: JoinHandle<()>) -> Self {
        Self { stop, task }
    }

    /// Stops after the event in hand is handled and acknowledged, waiting at most
    /// [`STOP_GRACE`]; a handler stuck longer is aborted (its event is redelivered).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        match tokio::time::timeout(STOP_GRACE, &mut task).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                if error.is_panic() {
                    tracing::error!(%error, "event consumer panicked");
                }
            }
            Err(_) => {
                tracing::warn!(grace = ?STOP_GRACE, "event consumer did not stop in time; aborting it");
                task.abort();
                let _ = task.await;
            }
        }
    }

    /// Kills the consumer at once, as a crash would: events it had received but not
    /// acknowledged stay pending for the bus to redeliver.
    pub fn abort(self) {
        self.task.abort();
    }

    /// Whether the consumer task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(700),
        };
        assert_eq!(policy.backoff(1), Duration::from_millis(100));
        assert_eq!(policy.backoff(2), Duration::from_millis(200));
        assert_eq!(policy.backoff(3), Duration::from_millis(400));
        assert_eq!(policy.backoff(4), Duration::from_millis(700));
        assert_eq!(policy.backoff(40), Duration::from_millis(700));
    }
}
