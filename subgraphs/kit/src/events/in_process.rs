//! The in-process bus: the embedded default, one instance shared by every service that runs in
//! the same process (`platform dev`).
//!
//! Events live in one in-memory log; each consumer group keeps a cursor into it. `publish`
//! returns only once every group that has a live consumer has handled (or dead-lettered) the
//! events, so the outbox relay marks rows sent only after they were consumed: a crash of the
//! process before that leaves them unsent in the outbox, and nothing is lost. For the same
//! reason `publish` fails, and the events wait in the outbox, while no group has subscribed yet
//! ([`BusError::NoConsumerGroup`]: services may start in any order) or while a known group has
//! no live consumer, or loses its last one before handling them ([`BusError::ConsumerGone`]:
//! shutdown). Events a group received but did not handle stay in its log (bounded by
//! `max_retained`) for its next consumer.
//!
//! Because `publish` waits for the consumers, a handler must never publish to the bus directly
//! (it could wait for itself); handlers that emit events write them to their outbox.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::future::BoxFuture;
use tokio::sync::watch;

use super::bus::{BusError, EventBus, EventHandler, RetryPolicy, Subscription};
use super::envelope::EventEnvelope;

/// An event a group gave up on after its retries.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub group: String,
    pub event: EventEnvelope,
    pub error: String,
    pub attempts: u32,
}

/// Settings of the in-process bus.
#[derive(Debug, Clone)]
pub struct InProcessSettings {
    /// Events kept for groups that have not consumed them yet; beyond this the oldest are dropped
    /// (with an error log), as Redis `MAXLEN` would.
    pub max_retained: usize,
    pub retry: RetryPolicy,
}

impl Default for InProcessSettings {
    fn default() -> Self {
        Self {
            max_retained: 100_000,
            retry: RetryPolicy::default(),
        }
    }
}

/// In-memory [`EventBus`]. Cheap to clone; clones share the same log and groups.
#[derive(Clone)]
pub struct InProcessBus {
    inner: Arc<Inner>,
}

struct Inner {
    settings: InProcessSettings,
    state: Mutex<Log>,
    /// Sequence number one past the newest event; consumers wait on it.
    head: watch::Sender<u64>,
    next_consumer_id: AtomicU64,
}

struct Log {
    /// Sequence number of `events[0]`.
    base: u64,
    events: VecDeque<Arc<EventEnvelope>>,
    groups: HashMap<String, Group>,
    dead_letters: Vec<DeadLetter>,
}

struct Group {
    /// Next new sequence number to hand to a consumer.
    cursor: u64,
    /// Taken by consumers that ended before handling them: handed out again first.
    redeliver: BTreeSet<u64>,
    /// What each live consumer is handling, by consumer id.
    in_flight: HashMap<u64, u64>,
    /// Sequence numbers handled out of order, above the watermark.
    handled_ahead: BTreeSet<u64>,
    progress: watch::Sender<Progress>,
}

/// Published per group so publishers can wait for it.
#[derive(Debug, Clone, Copy)]
struct Progress {
    /// Every sequence number below this is handled.
    handled: u64,
    consumers: usize,
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new(InProcessSettings::default())
    }
}

impl InProcessBus {
    pub fn new(settings: InProcessSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                state: Mutex::new(Log {
                    base: 0,
                    events: VecDeque::new(),
                    groups: HashMap::new(),
                    dead_letters: Vec::new(),
                }),
                head: watch::Sender::new(0),
                next_consumer_id: AtomicU64::new(0),
            }),
        }
    }

    /// Events that exhausted their retries, oldest first.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.inner.lock().dead_letters.clone()
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Log> {
        // The log stays consistent across a panicking holder: every update is a single step.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Log {
    fn head(&self) -> u64 {
        self.base + self.events.len() as u64
    }

    /// Drops events every group has handled, and the oldest beyond `max_retained`.
    fn trim(&mut self, max_retained: usize) {
        let handled = self
            .groups
            .values()
            .map(|g| g.progress.borrow().handled)
            .min();
        if let Some(handled) = handled {
            while self.base < handled && !self.events.is_empty() {
                self.events.pop_front();
                self.base += 1;
            }
        }
        while self.events.len() > max_retained {
            if let Some(dropped) = self.events.pop_front() {
                tracing::error!(event_id = %dropped.id, "in-process bus full: dropping oldest event");
            }
            self.base += 1;
            let base = self.base;
            for group in self.groups.values_mut() {
                group.cursor = group.cursor.max(base);
                group.redeliver.retain(|&seq| seq >= base);
                group.handled_ahead.retain(|&seq| seq >= base);
                group
                    .progress
                    .send_modify(|p| p.handled = p.handled.max(base));
            }
        }
    }

    fn group_mut(&mut self, name: &str) -> &mut Group {
        let base = self.base;
        self.groups.entry(name.to_owned()).or_insert_with(|| Group {
            cursor: base,
            redeliver: BTreeSet::new(),
            in_flight: HashMap::new(),
            handled_ahead: BTreeSet::new(),
            progress: watch::Sender::new(Progress {
                handled: base,
                consumers: 0,
            }),
        })
    }
}

impl Group {
    fn mark_handled(&mut self, seq: u64) {
        self.handled_ahead.insert(seq);
        self.progress.send_modify(|progress| {
            while self.handled_ahead.remove(&progress.handled) {
                progress.handled += 1;
            }
        });
    }
}

impl EventBus for InProcessBus {
    fn publish<'a>(&'a self, events: &'a [EventEnvelope]) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            if events.is_empty() {
                return Ok(());
            }
            let (end, mut waits) = {
                let mut log = self.inner.lock();
                if log.groups.is_empty() {
                    return Err(BusError::NoConsumerGroup);
                }
                // Accept only what every group can confirm: events for a group without a live
                // consumer would exist only in memory, so they wait in the outbox instead.
                if let Some((name, _)) = log
                    .groups
                    .iter()
                    .find(|(_, g)| g.progress.borrow().consumers == 0)
                {
                    return Err(BusError::ConsumerGone {
                        group: name.clone(),
                    });
                }
                log.events.extend(events.iter().cloned().map(Arc::new));
                let end = log.head();
                let waits: Vec<_> = log
                    .groups
                    .iter()
                    .map(|(name, g)| (name.clone(), g.progress.subscribe()))
                    .collect();
                log.trim(self.inner.settings.max_retained);
                (end, waits)
            };
            self.inner.head.send_replace(end);
            for (group, progress) in &mut waits {
                let confirmed = progress
                    .wait_for(|p| p.handled >= end || p.consumers == 0)
                    .await
                    .is_ok_and(|p| p.handled >= end);
                if !confirmed {
                    // The group's last consumer stopped first: the relay keeps the events
                    // unsent and publishes them again (the group deduplicates by id).
                    return Err(BusError::ConsumerGone {
                        group: group.clone(),
                    });
                }
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
        Box::pin(async move {
            self.inner
                .lock()
                .group_mut(group)
                .progress
                .send_modify(|p| p.consumers += 1);
            let (stop_tx, stop_rx) = watch::channel(false);
            let consumer = Consumer {
                inner: self.inner.clone(),
                id: self.inner.next_consumer_id.fetch_add(1, Ordering::Relaxed),
                group: group.to_owned(),
                name: consumer.to_owned(),
                handler,
            };
            let task = tokio::spawn(consumer.run(stop_rx));
            Ok(Subscription::new(stop_tx, task))
        })
    }
}

struct Consumer {
    inner: Arc<Inner>,
    id: u64,
    group: String,
    name: String,
    handler: Arc<dyn EventHandler>,
}

impl Consumer {
    async fn run(self, mut stop: watch::Receiver<bool>) {
        let _registered = ConsumerCount(&self);
        let mut head = self.inner.head.subscribe();
        loop {
            if *stop.borrow() {
                return;
            }
            // Mark the head seen before looking, so a publish in between wakes us.
            head.borrow_and_update();
            match self.take() {
                Some((seq, event)) => {
                    self.deliver(&event).await;
                    let mut log = self.inner.lock();
                    let group = log.group_mut(&self.group);
                    group.in_flight.remove(&self.id);
                    group.mark_handled(seq);
                    log.trim(self.inner.settings.max_retained);
                }
                None => {
                    tokio::select! {
                        changed = head.changed() => if changed.is_err() { return },
                        _ = stop.changed() => {}
                    }
                }
            }
        }
    }

    /// The next event for this consumer: one a departed consumer left unhandled, else the
    /// next new one. Recorded as in flight until handled.
    fn take(&self) -> Option<(u64, Arc<EventEnvelope>)> {
        let mut log = self.inner.lock();
        let (base, head) = (log.base, log.head());
        let group = log.group_mut(&self.group);
        let seq = match group.redeliver.pop_first() {
            Some(seq) => seq,
            None => {
                let seq = group.cursor.max(base);
                if seq >= head {
                    return None;
                }
                group.cursor = seq + 1;
                seq
            }
        };
        group.in_flight.insert(self.id, seq);
        // Events stay in the log until every group handled them, so `seq` is still there.
        let event = log.events.get(usize::try_from(seq - base).ok()?)?.clone();
        Some((seq, event))
    }

    async fn deliver(&self, event: &EventEnvelope) {
        if let Err((error, attempts)) = self.inner.settings.retry.run(&*self.handler, event).await {
            tracing::error!(event_id = %event.id, group = %self.group, consumer = %self.name, attempts, %error, "event dead-lettered");
            self.inner.lock().dead_letters.push(DeadLetter {
                group: self.group.clone(),
                event: event.clone(),
                error: error.to_string(),
                attempts,
            });
        }
    }
}

/// However the consumer task ends (stopped, aborted, panicked): hands the event it was
/// handling back to its group and keeps the live-consumer count right.
struct ConsumerCount<'a>(&'a Consumer);

impl Drop for ConsumerCount<'_> {
    fn drop(&mut self) {
        let consumer = self.0;
        let mut log = consumer.inner.lock();
        let group = log.group_mut(&consumer.group);
        let unhandled = group.in_flight.remove(&consumer.id);
        if let Some(seq) = unhandled {
            group.redeliver.insert(seq);
        }
        group
            .progress
            .send_modify(|p| p.consumers = p.consumers.saturating_sub(1));
        drop(log);
        if unhandled.is_some() {
            // Wake the group's other consumers to pick it up.
            consumer.inner.head.send_modify(|_| {});
        }
    }
}
