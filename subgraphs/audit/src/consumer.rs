//! The bus consumer: one audit entry per event.

use futures::future::BoxFuture;
use kit::events::{EventEnvelope, EventHandler, HandlerError};

use crate::chain::{Appended, AuditChain};
use crate::entry::EntryContent;

/// Consumer group audit joins on the bus.
pub const CONSUMER_GROUP: &str = "audit";

/// Records every event it is handed. Redelivered events are recognised by event id and
/// recorded once.
#[derive(Clone, Debug)]
pub struct AuditConsumer {
    chain: AuditChain,
}

impl AuditConsumer {
    pub fn new(chain: AuditChain) -> Self {
        Self { chain }
    }
}

impl EventHandler for AuditConsumer {
    fn handle<'a>(&'a self, event: &'a EventEnvelope) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            match self.chain.append(EntryContent::from_event(event)).await? {
                Appended::New(entry) => {
                    tracing::debug!(seq = entry.seq, event_id = %event.id, action = %entry.action, "audited");
                }
                Appended::Duplicate { seq } => {
                    tracing::debug!(seq, event_id = %event.id, "event already audited");
                }
            }
            Ok(())
        })
    }
}
