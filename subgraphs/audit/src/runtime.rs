//! The running audit subgraph minus its HTTP server: the bus consumer, the relay of audit's own
//! outbox, and the retention loop. The CLI starts it with [`AuditRuntime::start`] and serves
//! [`AuditRuntime::schema`] with the kit's service.

use std::sync::Arc;

use kit::db::Db;
use kit::events::{EventBus, OutboxRelay, RelayHandle, RelaySettings, Subscription};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::chain::AuditChain;
use crate::config::AuditSettings;
use crate::consumer::AuditConsumer;
use crate::error::AuditError;
use crate::graphql::{AuditSchema, build_schema};
use crate::retention::run_retention;

/// Audit's background work, running.
pub struct AuditRuntime {
    chain: AuditChain,
    schema: AuditSchema,
    consumer: Subscription,
    relay: RelayHandle,
    retention: Option<(watch::Sender<bool>, JoinHandle<()>)>,
}

impl AuditRuntime {
    /// Validates the settings, joins the bus as a consumer of every event, and starts the relay
    /// of audit's own outbox and, when configured, retention. The database must be migrated
    /// ([`crate::migrate`]).
    pub async fn start(
        db: Db,
        bus: Arc<dyn EventBus>,
        settings: AuditSettings,
    ) -> Result<Self, AuditError> {
        settings.validate()?;
        let chain = AuditChain::new(db.clone());
        let consumer = bus
            .subscribe(
                &settings.consumer_group,
                &settings.consumer_name(),
                Arc::new(AuditConsumer::new(chain.clone())),
            )
            .await?;
        let relay = OutboxRelay::new(db, bus, RelaySettings::default()).spawn();
        let retention = settings.retention.archive_after_days.is_some().then(|| {
            let (stop, stop_rx) = watch::channel(false);
            let task = tokio::spawn(retention_loop(chain.clone(), settings.clone(), stop_rx));
            (stop, task)
        });
        Ok(Self {
            schema: build_schema(chain.clone()),
            chain,
            consumer,
            relay,
            retention,
        })
    }

    /// The GraphQL schema to serve; attach the request's `kit::auth::AuthContext` as data.
    pub fn schema(&self) -> AuditSchema {
        self.schema.clone()
    }

    pub fn chain(&self) -> &AuditChain {
        &self.chain
    }

    /// Stops consuming (after the event in hand), relaying and retention.
    pub async fn shutdown(self) {
        self.consumer.stop().await;
        self.relay.stop().await;
        if let Some((stop, task)) = self.retention {
            let _ = stop.send(true);
            let _ = task.await;
        }
    }
}

async fn retention_loop(
    chain: AuditChain,
    settings: AuditSettings,
    mut stop: watch::Receiver<bool>,
) {
    let interval = settings.retention.check_interval();
    while !*stop.borrow() {
        match run_retention(&chain, &settings.retention).await {
            Ok(archives) if !archives.is_empty() => {
                tracing::info!(
                    archives = archives.len(),
                    "audit retention archived entries"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "audit retention failed; will retry"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => {}
        }
    }
}
