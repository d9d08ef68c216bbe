//! `platform gateway` (the `gateway:` config section served by `router::serve`, also started by
//! `platform dev`) and `platform query-plan`.
use std::path::Path;

use anyhow::Context as _;
use router::GatewayConfig;
use tokio_util::sync::CancellationToken;

use crate::cli::Loaded;

/// The `gateway:` section, every key defaulted.
pub fn config(loaded: &Loaded) -> anyhow::Result<GatewayConfig> {
    Ok(kit::config::extract_section(&loaded.figment, "gateway")?)
}

/// Serves the configured supergraph until `shutdown` is cancelled; the file is watched and
/// reloaded when it changes (or on SIGHUP).
pub async fn run(loaded: &Loaded, shutdown: CancellationToken) -> anyhow::Result<()> {
    let config = config(loaded)?;
    let sdl = read_supergraph(&config.supergraph)?;
    let metrics: router::MetricsRenderer = std::sync::Arc::new(kit::telemetry::render_metrics);
    router::serve_with_metrics(config, &sdl, Some(metrics), shutdown.cancelled_owned())
        .await
        .context("gateway")
}

fn read_supergraph(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the supergraph {} (compose it with `cargo run -- schema compose`)",
            path.display()
        )
    })
}

/// Prints the query plan of the operation in `query` against `supergraph`.
pub fn query_plan(
    supergraph: &Path,
    query: &Path,
    operation_name: Option<&str>,
) -> anyhow::Result<()> {
    let sdl = read_supergraph(supergraph)?;
    let operation = std::fs::read_to_string(query)
        .with_context(|| format!("cannot read the operation {}", query.display()))?;
    let plan = router::query_plan(&sdl, &operation, operation_name)?;
    println!("{plan}");
    Ok(())
}
