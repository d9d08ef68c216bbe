//! `platform dev` and `platform subgraph <name>`: services in one process, one combined log,
//! stopped together on Ctrl-C or SIGTERM (or when any of them fails).
use std::sync::Arc;

use anyhow::Context as _;
use kit::events::EventsConfig;
use tokio::task::JoinSet;

use crate::cli::Loaded;
use crate::subgraphs::{self, NOT_WIRED, Shared};

/// Runs `only` (one subgraph) or every wired subgraph until shutdown.
pub async fn run(loaded: &Loaded, only: Option<&str>) -> anyhow::Result<()> {
    // The `events` section picks the bus: in-process (the embedded default) or Redis Streams.
    let events: EventsConfig = kit::config::extract_section(&loaded.figment, "events")?;
    let bus = events
        .connect()
        .await
        .context("cannot set up the event bus")?;
    let shared = Arc::new(Shared {
        bus,
        shutdown: kit::service::shutdown_on_signal(),
    });
    let loaded = Arc::new(loaded.clone());
    let names: Vec<&'static str> = kit::config::SUBGRAPHS
        .into_iter()
        .filter(|name| only.is_none_or(|only| only == *name))
        .collect();

    let mut services = JoinSet::new();
    for name in names {
        if NOT_WIRED.contains(&name) {
            tracing::warn!(
                service = name,
                "not wired into the platform CLI yet; skipped"
            );
            continue;
        }
        let (loaded, shared) = (loaded.clone(), shared.clone());
        services.spawn(async move {
            let result = subgraphs::run(&loaded, name, &shared).await;
            (name, result)
        });
    }
    // Modules made by `platform new subgraph` (src/modules.rs).
    for module in crate::modules::MODULES
        .iter()
        .filter(|m| only.is_none_or(|only| only == m.name))
    {
        let (loaded, bus, shutdown) = (loaded.clone(), shared.bus.clone(), shared.shutdown.clone());
        services.spawn(async move {
            let result = crate::modules::run(module, &loaded, bus, shutdown).await;
            (module.name, result)
        });
    }
    // `platform dev` fronts the subgraphs with the gateway; `platform subgraph <name>` does not.
    if only.is_none() {
        let (loaded, shutdown) = (loaded.clone(), shared.shutdown.clone());
        services.spawn(async move {
            let result = crate::gateway_cmd::run(&loaded, shutdown).await;
            ("gateway", result)
        });
    }

    if services.is_empty() {
        anyhow::bail!("no service to run");
    }
    let mut failure = None;
    while let Some(joined) = services.join_next().await {
        let (name, result) = joined.context("a service task panicked")?;
        match result {
            Ok(()) => tracing::info!(service = name, "stopped"),
            Err(e) => {
                tracing::error!(
                    service = name,
                    error = format!("{e:#}"),
                    "failed; stopping everything"
                );
                shared.shutdown.cancel();
                failure.get_or_insert(e.context(format!("{name} failed")));
            }
        }
        // A service that returns on its own (not by shutdown) takes the others down too.
        shared.shutdown.cancel();
    }
    failure.map_or(Ok(()), Err)
}
