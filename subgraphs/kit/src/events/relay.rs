//! The outbox relay: publishes a subgraph's unsent outbox rows to the bus, oldest first, and
//! marks them sent.
//!
//! Rows are marked only after the bus accepted them, and nothing else keeps state: a relay that
//! stops or crashes at any point resumes from the unsent rows when it starts again. What was
//! published but not yet marked goes out a second time (at-least-once; consumers deduplicate by
//! event id); nothing is lost. The relay holds no transaction while publishing, so a consumer
//! writing to the same database (audit consuming its own events) cannot deadlock with it.
//!
//! Run one relay per database. A second one (another replica) is safe but publishes some events
//! twice and may interleave batches out of order.

use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::bus::{BusError, EventBus};
use super::envelope::{EventEnvelope, unix_millis};
use super::outbox::outbox;
use crate::db::{Db, DbError};

/// Why a relay pass failed; the running relay logs it and retries with backoff.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("outbox database: {0}")]
    Db(#[from] DbError),
    #[error("publishing to the bus: {0}")]
    Bus(#[from] BusError),
}

/// How a relay paces itself.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// Rows read and published per pass.
    pub batch_size: i64,
    /// Pause between polls when the outbox is empty (a [`RelayWaker`] cuts it short).
    pub poll_interval: Duration,
    /// Pause after a failed pass, doubled per consecutive failure up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Sent rows are deleted once this old; `None` keeps them.
    pub keep_sent: Option<Duration>,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            batch_size: 200,
            poll_interval: Duration::from_millis(250),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            keep_sent: Some(Duration::from_secs(7 * 24 * 3600)),
        }
    }
}

/// Moves one database's outbox rows to the bus.
#[derive(Clone)]
pub struct OutboxRelay {
    db: Db,
    bus: Arc<dyn EventBus>,
    settings: RelaySettings,
    wake: Arc<Notify>,
}

/// Wakes an idle relay at once; call it after committing events for low latency.
#[derive(Clone)]
pub struct RelayWaker(Arc<Notify>);

impl RelayWaker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// A running relay task.
pub struct RelayHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RelayHandle {
    /// Stops after the pass in progress (publish and mark) completes.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await
            && error.is_panic()
        {
            tracing::error!(%error, "outbox relay panicked");
        }
    }

    /// Kills the relay at once, wherever it is, as a crash would.
    pub fn abort(self) {
        self.task.abort();
    }
}

impl OutboxRelay {
    pub fn new(db: Db, bus: Arc<dyn EventBus>, settings: RelaySettings) -> Self {
        Self {
            db,
            bus,
            settings,
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn waker(&self) -> RelayWaker {
        RelayWaker(self.wake.clone())
    }

    /// One pass: publishes up to `batch_size` unsent rows in order, then marks them sent.
    /// Returns how many were relayed.
    pub async fn relay_once(&self) -> Result<usize, RelayError> {
        let limit = self.settings.batch_size.max(1);
        let rows: Vec<(i64, String)> = crate::db_run!(self.db, |conn| async move {
            Ok(outbox::table
                .filter(outbox::sent_at.is_null())
                .order(outbox::seq.asc())
                .limit(limit)
                .select((outbox::seq, outbox::envelope))
                .load(conn)
                .await?)
        })?;
        let mut seqs = Vec::with_capacity(rows.len());
        let mut events = Vec::with_capacity(rows.len());
        for (seq, json) in rows {
            match serde_json::from_str::<EventEnvelope>(&json) {
                Ok(event) => {
                    seqs.push(seq);
                    events.push(event);
                }
                // Left unsent and visible rather than dropped; only a hand-edited row gets here.
                Err(error) => {
                    tracing::error!(seq, %error, "undecodable outbox row left unsent")
                }
            }
        }
        if events.is_empty() {
            return Ok(0);
        }
        self.bus.publish(&events).await?;
        let now = unix_millis(time::OffsetDateTime::now_utc());
        crate::db_run!(self.db, |conn| async move {
            diesel::update(outbox::table.filter(outbox::seq.eq_any(seqs)))
                .set(outbox::sent_at.eq(now))
                .execute(conn)
                .await?;
            Ok(())
        })?;
        Ok(events.len())
    }

    /// Relays until the outbox is empty; returns how many rows went out.
    pub async fn drain(&self) -> Result<usize, RelayError> {
        let mut total = 0;
        loop {
            match self.relay_once().await? {
                0 => return Ok(total),
                n => total += n,
            }
        }
    }

    /// Deletes sent rows older than `keep_sent`; returns how many.
    pub async fn prune_sent(&self) -> Result<usize, RelayError> {
        let Some(keep) = self.settings.keep_sent else {
            return Ok(0);
        };
        let keep_ms = i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
        let cutoff = unix_millis(time::OffsetDateTime::now_utc()).saturating_sub(keep_ms);
        Ok(crate::db_run!(self.db, |conn| async move {
            Ok(diesel::delete(
                outbox::table.filter(
                    outbox::sent_at
                        .is_not_null()
                        .and(outbox::sent_at.lt(cutoff)),
                ),
            )
            .execute(conn)
            .await?)
        })?)
    }

    /// Starts the relay on its own task.
    pub fn spawn(self) -> RelayHandle {
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(self.run(stop_rx));
        RelayHandle { stop, task }
    }

    async fn run(self, mut stop: watch::Receiver<bool>) {
        const PRUNE_EVERY: Duration = Duration::from_secs(3600);
        let mut failures = 0u32;
        let mut next_prune = tokio::time::Instant::now();
        while !*stop.borrow() {
            let pause = match self.relay_once().await {
                Ok(0) => {
                    failures = 0;
                    if tokio::time::Instant::now() >= next_prune {
                        next_prune = tokio::time::Instant::now() + PRUNE_EVERY;
                        if let Err(error) = self.prune_sent().await {
                            tracing::warn!(%error, "pruning sent outbox rows failed");
                        }
                    }
                    self.settings.poll_interval
                }
                Ok(_) => {
                    failures = 0;
                    continue;
                }
                Err(error) => {
                    failures += 1;
                    let pause = self
                        .settings
                        .initial_backoff
                        .saturating_mul(2u32.saturating_pow(failures - 1))
                        .min(self.settings.max_backoff);
                    if matches!(
                        error,
                        RelayError::Bus(BusError::NoConsumerGroup | BusError::ConsumerGone { .. })
                    ) {
                        // Normal while the consuming services start; the events wait.
                        tracing::debug!(
                            schema = self.db.schema(),
                            ?pause,
                            "no event consumer yet; events wait in the outbox"
                        );
                    } else {
                        tracing::warn!(schema = self.db.schema(), %error, ?pause, "outbox relay pass failed; retrying");
                    }
                    pause
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.wake.notified() => {}
                _ = stop.changed() => {}
            }
        }
    }
}
