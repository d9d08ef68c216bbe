//! Test databases and an event pipeline: a producer's outbox, a relay, a bus, and audit.

use std::sync::Arc;
use std::time::Duration;

use audit::{AuditChain, AuditConsumer};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kit::db::{Backend, Db, DbOptions};
use kit::events::{
    Actor, EventBus, EventEnvelope, InProcessBus, OUTBOX_MIGRATIONS, OutboxRelay, RelaySettings,
    Subject, Subscription,
};

/// One database; drops its PostgreSQL schema on cleanup.
pub struct TestDb {
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn sqlite(name: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/{name}.db", dir.path().display());
        let db = Db::connect(&url, DbOptions::new(name))
            .await
            .expect("open sqlite");
        Self {
            db,
            _dir: Some(dir),
        }
    }

    pub async fn postgres(name: &str) -> Option<Self> {
        let url = std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let schema = format!("{name}_{}", uuid::Uuid::now_v7().simple());
        let db = Db::connect(&url, DbOptions::new(schema))
            .await
            .expect("connect to DATABASE_URL");
        Some(Self { db, _dir: None })
    }

    /// An audit database, migrated.
    pub async fn audit(backend: Backend) -> Option<Self> {
        let test = match backend {
            Backend::Sqlite => Self::sqlite("audit").await,
            Backend::Postgres => Self::postgres("audit_test").await?,
        };
        audit::migrate(&test.db).await.expect("audit migrations");
        assert!(
            audit::migrate(&test.db).await.expect("again").is_empty(),
            "migrations twice = no-op"
        );
        Some(test)
    }

    /// A producer's database: just the outbox.
    pub async fn producer(backend: Backend) -> Option<Self> {
        let test = match backend {
            Backend::Sqlite => Self::sqlite("producer").await,
            Backend::Postgres => Self::postgres("producer_test").await?,
        };
        test.db
            .migrate(&OUTBOX_MIGRATIONS)
            .await
            .expect("outbox migrations");
        Some(test)
    }

    pub async fn cleanup(self) {
        if self.db.backend() == Backend::Postgres {
            let schema = self.db.schema().to_owned();
            let _ = kit::db_run!(self.db, |conn| async move {
                diesel::sql_query(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                    .execute(conn)
                    .await?;
                Ok(())
            });
        }
    }
}

/// SQLite always; PostgreSQL when `DATABASE_URL` is set.
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    if std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        backends.push(Backend::Postgres);
    }
    backends
}

/// An event as identity would emit it, with a full actor.
pub fn user_event(n: usize) -> EventEnvelope {
    EventEnvelope::new(
        "platform.user.created",
        Subject::new("user", format!("user-{n}")),
        serde_json::json!({ "email": format!("u{n}@example.com") }),
    )
    .with_actor(Actor {
        id: Some(format!("admin-{}", n % 3)),
        ip: Some(format!("203.0.113.{}", n % 250)),
        user_agent: Some("test-agent/1".to_owned()),
    })
    .with_trace_id(format!("{n:032x}"))
}

pub fn user_events(n: usize) -> Vec<EventEnvelope> {
    (0..n).map(user_event).collect()
}

/// Writes events to a producer's outbox, `chunk` per transaction.
pub async fn enqueue(producer: &Db, events: &[EventEnvelope], chunk: usize) {
    for part in events.chunks(chunk) {
        let part = part.to_vec();
        kit::db_tx!(producer, |conn| async move {
            Ok(kit::events::enqueue_all(conn, &part).await?)
        })
        .expect("enqueue");
    }
}

pub fn relay_settings() -> RelaySettings {
    RelaySettings {
        batch_size: 50,
        poll_interval: Duration::from_millis(20),
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        ..RelaySettings::default()
    }
}

/// Audit consuming from an in-process bus.
pub struct InProcessAudit {
    pub bus: InProcessBus,
    pub chain: AuditChain,
    pub subscription: Subscription,
}

impl InProcessAudit {
    pub async fn start(audit_db: &Db) -> Self {
        let bus = InProcessBus::default();
        let chain = AuditChain::new(audit_db.clone());
        let subscription = bus
            .subscribe(
                "audit",
                "audit-1",
                Arc::new(AuditConsumer::new(chain.clone())),
            )
            .await
            .expect("subscribe");
        Self {
            bus,
            chain,
            subscription,
        }
    }

    pub fn relay(&self, producer: &Db) -> OutboxRelay {
        OutboxRelay::new(
            producer.clone(),
            Arc::new(self.bus.clone()),
            relay_settings(),
        )
    }
}

/// Every entry, in chain order.
pub async fn all_entries(db: &Db) -> Vec<audit::AuditEntry> {
    use audit::schema::audit_entries;
    kit::db_run!(db, |conn| async move {
        Ok(audit_entries::table
            .select(audit::AuditEntry::as_select())
            .order(audit_entries::seq.asc())
            .load(conn)
            .await?)
    })
    .expect("load entries")
}

pub async fn entry_count(db: &Db) -> i64 {
    use audit::schema::audit_entries;
    kit::db_run!(db, |conn| async move {
        Ok(audit_entries::table.count().get_result(conn).await?)
    })
    .expect("count entries")
}

/// Waits until audit holds `n` entries, or panics after `limit`.
pub async fn wait_for_entries(db: &Db, n: i64, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let count = entry_count(db).await;
        if count >= n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {count} of {n} entries within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Asserts each event is recorded exactly once, in the right words.
pub fn assert_audited_exactly_once(entries: &[audit::AuditEntry], events: &[EventEnvelope]) {
    assert_eq!(entries.len(), events.len(), "one entry per event");
    let by_event: std::collections::HashMap<&str, &audit::AuditEntry> =
        entries.iter().map(|e| (e.event_id.as_str(), e)).collect();
    assert_eq!(by_event.len(), entries.len(), "no event recorded twice");
    for event in events {
        let entry = by_event
            .get(event.id.to_string().as_str())
            .unwrap_or_else(|| panic!("event {} not audited", event.id));
        assert_eq!(entry.user_id, event.actor.id);
        assert_eq!(entry.ip_address, event.actor.ip);
        assert_eq!(entry.user_agent, event.actor.user_agent);
        assert_eq!(entry.action, event.event_type);
        assert_eq!(entry.resource, event.subject.kind);
        assert_eq!(
            entry.resource_id.as_deref(),
            Some(event.subject.id.as_str())
        );
        assert_eq!(entry.timestamp, event.occurred_at_millis());
    }
}
