//! The Redis Streams bus: events on one stream, consumer groups, at-least-once delivery.
//!
//! - `publish`: one `XADD` per event (field `envelope` = the JSON envelope, plus `type` for
//!   people reading the stream), pipelined in order, optionally capped with `MAXLEN ~`.
//! - A consumer first re-reads its own pending entries (`XREADGROUP ... 0`: what it had received
//!   before a restart under the same name), then loops: every `claim_interval` it takes over
//!   entries other consumers left pending longer than `claim_idle` (`XAUTOCLAIM`, the case of a
//!   dead consumer), and it reads new entries with `XREADGROUP ... >` blocking up to `block`.
//! - Each entry goes to the handler with retries and backoff ([`RetryPolicy`]); success is
//!   `XACK`ed. After the last attempt fails, or when a claimed entry was already delivered more
//!   than `max_deliveries` times (a poison event that keeps killing consumers), or when it cannot
//!   be decoded, the entry is copied to the dead-letter stream and then acknowledged.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamMaxlen, StreamPendingCountReply,
    StreamReadOptions, StreamReadReply,
};
use tokio::sync::watch;

use super::bus::{BusError, EventBus, EventHandler, RetryPolicy, Subscription};
use super::envelope::EventEnvelope;

/// Field of a stream entry holding the JSON envelope.
pub const ENVELOPE_FIELD: &str = "envelope";

/// Settings of the Redis Streams bus.
#[derive(Debug, Clone)]
pub struct RedisStreamsSettings {
    /// Stream all events go to.
    pub stream: String,
    /// Where events that exhausted their retries go; `None` means `"{stream}:dead-letter"`.
    pub dead_letter_stream: Option<String>,
    /// Approximate cap on the stream length (`XADD MAXLEN ~`); `None` keeps everything.
    pub max_len: Option<usize>,
    /// Entries fetched per read or claim.
    pub batch_size: usize,
    /// How long one `XREADGROUP` waits for new entries.
    pub block: Duration,
    /// Entries pending longer than this on another consumer are taken over.
    pub claim_idle: Duration,
    /// How often a consumer looks for such entries.
    pub claim_interval: Duration,
    /// A claimed entry already delivered more times than this is dead-lettered unhandled.
    pub max_deliveries: u32,
    pub retry: RetryPolicy,
}

impl Default for RedisStreamsSettings {
    fn default() -> Self {
        Self {
            stream: "platform:events".to_owned(),
            dead_letter_stream: None,
            max_len: None,
            batch_size: 100,
            block: Duration::from_secs(1),
            claim_idle: Duration::from_secs(30),
            claim_interval: Duration::from_secs(5),
            max_deliveries: 10,
            retry: RetryPolicy::default(),
        }
    }
}

impl RedisStreamsSettings {
    pub fn dead_letter_stream(&self) -> String {
        self.dead_letter_stream
            .clone()
            .unwrap_or_else(|| format!("{}:dead-letter", self.stream))
    }

    fn validate(&self) -> Result<(), BusError> {
        if self.stream.is_empty() {
            return Err(BusError::Config("stream name is empty".into()));
        }
        if self.batch_size == 0 {
            return Err(BusError::Config("batch_size must be at least 1".into()));
        }
        if self.block.is_zero() {
            // BLOCK 0 waits forever, which would make a consumer deaf to `stop`.
            return Err(BusError::Config("block must be longer than 0".into()));
        }
        Ok(())
    }
}

/// [`EventBus`] on Redis Streams. Cheap to clone.
#[derive(Clone)]
pub struct RedisStreamsBus {
    client: redis::Client,
    publisher: ConnectionManager,
    settings: Arc<RedisStreamsSettings>,
}

impl RedisStreamsBus {
    /// Connects to Redis at `url` (e.g. `redis://127.0.0.1:6379`).
    pub async fn connect(url: &str, settings: RedisStreamsSettings) -> Result<Self, BusError> {
        settings.validate()?;
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(Duration::from_secs(10)))
            .set_connection_timeout(Some(Duration::from_secs(5)));
        let publisher = ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(Self {
            client,
            publisher,
            settings: Arc::new(settings),
        })
    }

    pub fn settings(&self) -> &RedisStreamsSettings {
        &self.settings
    }

    /// A connection of its own for a consumer: its blocking reads must not hold up the
    /// publisher's commands, and its response timeout must outlast `block`.
    async fn consumer_connection(&self) -> Result<ConnectionManager, BusError> {
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(self.settings.block + Duration::from_secs(5)))
            .set_connection_timeout(Some(Duration::from_secs(5)));
        Ok(ConnectionManager::new_with_config(self.client.clone(), config).await?)
    }
}

impl EventBus for RedisStreamsBus {
    fn publish<'a>(&'a self, events: &'a [EventEnvelope]) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            if events.is_empty() {
                return Ok(());
            }
            let mut pipe = redis::pipe();
            for event in events {
                let json = serde_json::to_string(event)?;
                let fields = [
                    (ENVELOPE_FIELD, json.as_str()),
                    ("type", event.event_type.as_str()),
                ];
                match self.settings.max_len {
                    Some(max) => pipe.xadd_maxlen(
                        &self.settings.stream,
                        StreamMaxlen::Approx(max),
                        "*",
                        &fields,
                    ),
                    None => pipe.xadd(&self.settings.stream, "*", &fields),
                };
            }
            let mut conn = self.publisher.clone();
            pipe.query_async::<()>(&mut conn).await?;
            Ok(())
        })
    }

    fn subscribe<'a>(
        &'a self,
        group: &'a str,
        consumer: &'a str,
        handler: Arc<dyn EventHandler>,
    ) -> BoxFuture<'a, Result<Subscription, BusError>> {
        Box::pin(async move {
            let mut conn = self.consumer_connection().await?;
            let created: Result<(), redis::RedisError> = conn
                .xgroup_create_mkstream(&self.settings.stream, group, "0")
                .await;
            match created {
                Ok(()) => {}
                Err(error) if error.code() == Some("BUSYGROUP") => {}
                Err(error) => return Err(error.into()),
            }
            let (stop_tx, stop_rx) = watch::channel(false);
            let consumer = StreamConsumer {
                conn,
                settings: self.settings.clone(),
                dead_letter_stream: self.settings.dead_letter_stream(),
                group: group.to_owned(),
                name: consumer.to_owned(),
                handler,
            };
            let task = tokio::spawn(consumer.run(stop_rx));
            Ok(Subscription::new(stop_tx, task))
        })
    }
}

struct StreamConsumer {
    conn: ConnectionManager,
    settings: Arc<RedisStreamsSettings>,
    dead_letter_stream: String,
    group: String,
    name: String,
    handler: Arc<dyn EventHandler>,
}

impl StreamConsumer {
    async fn run(mut self, stop: watch::Receiver<bool>) {
        let mut failures = 0u32;
        let mut own_pending_done = false;
        // Claim right away: a consumer started to replace a dead one should not wait.
        let mut next_claim = tokio::time::Instant::now();
        while !*stop.borrow() {
            let step = if !own_pending_done {
                self.drain_own_pending(&stop)
                    .await
                    .map(|()| own_pending_done = true)
            } else if tokio::time::Instant::now() >= next_claim {
                next_claim = tokio::time::Instant::now() + self.settings.claim_interval;
                self.claim_abandoned(&stop).await
            } else {
                self.read_new(&stop).await
            };
            match step {
                Ok(()) => failures = 0,
                Err(error) => {
                    failures += 1;
                    let delay = self.settings.retry.backoff(failures);
                    tracing::warn!(group = %self.group, consumer = %self.name, %error, ?delay, "redis stream consumer error; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Entries delivered to this consumer name before and never acknowledged.
    async fn drain_own_pending(&mut self, stop: &watch::Receiver<bool>) -> Result<(), BusError> {
        loop {
            let options = StreamReadOptions::default()
                .group(&self.group, &self.name)
                .count(self.settings.batch_size);
            let reply: StreamReadReply = self
                .conn
                .xread_options(&[&self.settings.stream], &["0"], &options)
                .await?;
            let entries = into_entries(reply);
            if entries.is_empty() {
                return Ok(());
            }
            for entry in &entries {
                if *stop.borrow() {
                    return Ok(());
                }
                self.process(entry).await?;
            }
        }
    }

    /// Takes over entries that other (presumably dead) consumers left pending too long.
    async fn claim_abandoned(&mut self, stop: &watch::Receiver<bool>) -> Result<(), BusError> {
        let min_idle = u64::try_from(self.settings.claim_idle.as_millis()).unwrap_or(u64::MAX);
        let mut start = "0-0".to_owned();
        loop {
            let options = StreamAutoClaimOptions::default().count(self.settings.batch_size);
            let reply: StreamAutoClaimReply = self
                .conn
                .xautoclaim_options(
                    &self.settings.stream,
                    &self.group,
                    &self.name,
                    min_idle,
                    &start,
                    options,
                )
                .await?;
            for entry in &reply.claimed {
                if *stop.borrow() {
                    return Ok(());
                }
                if self.delivery_count(&entry.id).await? > u64::from(self.settings.max_deliveries) {
                    self.dead_letter(entry, "delivered too many times without acknowledgement", 0)
                        .await?;
                } else {
                    self.process(entry).await?;
                }
            }
            if reply.next_stream_id == "0-0" || reply.claimed.is_empty() {
                return Ok(());
            }
            start = reply.next_stream_id;
        }
    }

    async fn read_new(&mut self, stop: &watch::Receiver<bool>) -> Result<(), BusError> {
        let block = usize::try_from(self.settings.block.as_millis()).unwrap_or(usize::MAX);
        let options = StreamReadOptions::default()
            .group(&self.group, &self.name)
            .count(self.settings.batch_size)
            .block(block);
        let reply: Option<StreamReadReply> = self
            .conn
            .xread_options(&[&self.settings.stream], &[">"], &options)
            .await?;
        for entry in reply.map(into_entries).unwrap_or_default() {
            if *stop.borrow() {
                // Left pending: re-read at our next start or claimed by another consumer.
                return Ok(());
            }
            self.process(&entry).await?;
        }
        Ok(())
    }

    async fn delivery_count(&mut self, id: &str) -> Result<u64, BusError> {
        let reply: StreamPendingCountReply = self
            .conn
            .xpending_count(&self.settings.stream, &self.group, id, id, 1)
            .await?;
        Ok(reply.ids.first().map_or(0, |p| p.times_delivered as u64))
    }

    async fn process(&mut self, entry: &StreamId) -> Result<(), BusError> {
        let Some(json) = entry.get::<String>(ENVELOPE_FIELD) else {
            return self
                .dead_letter(entry, "entry has no envelope field", 0)
                .await;
        };
        let event: EventEnvelope = match serde_json::from_str(&json) {
            Ok(event) => event,
            Err(error) => {
                return self
                    .dead_letter(entry, &format!("undecodable envelope: {error}"), 0)
                    .await;
            }
        };
        match self.settings.retry.run(&*self.handler, &event).await {
            Ok(()) => {
                let _: u64 = self
                    .conn
                    .xack(&self.settings.stream, &self.group, &[&entry.id])
                    .await?;
                Ok(())
            }
            Err((error, attempts)) => {
                tracing::error!(event_id = %event.id, group = %self.group, attempts, %error, "event dead-lettered");
                self.dead_letter(entry, &error.to_string(), attempts).await
            }
        }
    }

    /// Copies the entry to the dead-letter stream, then acknowledges it; in that order, so a
    /// crash in between duplicates the dead letter rather than losing the event.
    async fn dead_letter(
        &mut self,
        entry: &StreamId,
        error: &str,
        attempts: u32,
    ) -> Result<(), BusError> {
        let envelope = entry.get::<String>(ENVELOPE_FIELD).unwrap_or_default();
        let attempts = attempts.to_string();
        let fields = [
            (ENVELOPE_FIELD, envelope.as_str()),
            ("source_id", entry.id.as_str()),
            ("group", self.group.as_str()),
            ("consumer", self.name.as_str()),
            ("error", error),
            ("attempts", attempts.as_str()),
        ];
        let mut pipe = redis::pipe();
        pipe.xadd(&self.dead_letter_stream, "*", &fields).xack(
            &self.settings.stream,
            &self.group,
            &[&entry.id],
        );
        pipe.query_async::<()>(&mut self.conn).await?;
        Ok(())
    }
}

fn into_entries(reply: StreamReadReply) -> Vec<StreamId> {
    reply.keys.into_iter().flat_map(|key| key.ids).collect()
}
