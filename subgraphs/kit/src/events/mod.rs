//! Domain events: the envelope, the outbox every subgraph writes in its own transactions, the
//! relay that moves outbox rows to the bus, and the bus itself (in-process or Redis Streams).
//!
//! The path of an event: a service calls [`outbox::enqueue`] inside the transaction that makes
//! the change; an [`OutboxRelay`] publishes unsent rows to the [`EventBus`] in order and marks
//! them sent; every consumer group (audit, ...) receives each event at least once and
//! deduplicates by [`EventEnvelope::id`].
//!
//! Not here: what any particular event means. Event types and their `data` belong to the module
//! that emits them.

mod bus;
mod config;
mod envelope;
mod in_process;
pub mod outbox;
mod redis_streams;
mod relay;

pub use bus::{
    BusError, EventBus, EventHandler, HandlerError, RetryPolicy, Subscription, handler_fn,
};
pub use config::{BusKind, EventsConfig, RedisBusConfig, RelayConfig, RetryConfig};
pub use envelope::{Actor, EventEnvelope, Subject, unix_millis};
pub use in_process::{DeadLetter, InProcessBus, InProcessSettings};
pub use outbox::{
    OUTBOX_MIGRATIONS, OUTBOX_SQL_POSTGRES, OUTBOX_SQL_SQLITE, OutboxConnection, enqueue,
    enqueue_all,
};
pub use redis_streams::{ENVELOPE_FIELD, RedisStreamsBus, RedisStreamsSettings};
pub use relay::{OutboxRelay, RelayError, RelayHandle, RelaySettings, RelayWaker};

#[cfg(test)]
mod tests;
