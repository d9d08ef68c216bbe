//! `gateway --supergraph PATH [--listen HOST:PORT]`: the federation gateway on its own,
//! needing nothing but a supergraph file.
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use router::GatewayConfig;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "gateway", about = "Apollo Federation v2 gateway")]
struct Args {
    /// The supergraph SDL to serve.
    #[arg(long, env = "GATEWAY_SUPERGRAPH")]
    supergraph: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4000", env = "GATEWAY_LISTEN")]
    listen: SocketAddr,
    /// Answer `x-query-plan: include` with the query plan in `extensions.queryPlan`.
    #[arg(long)]
    expose_query_plan: bool,
    /// Serve the web playground at `/` and `/playground`.
    #[arg(long)]
    playground: bool,
    /// Share one execution between identical client queries in flight (`gateway.inbound_dedup`).
    #[arg(long, env = "GATEWAY_INBOUND_DEDUP")]
    inbound_dedup: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let sdl = std::fs::read_to_string(&args.supergraph)
        .with_context(|| format!("cannot read the supergraph {}", args.supergraph.display()))?;
    let config = GatewayConfig {
        listen: args.listen,
        supergraph: args.supergraph,
        expose_query_plan: args.expose_query_plan,
        playground: args.playground,
        inbound_dedup: router::http::inbound_dedup::InboundDedupConfig {
            enabled: args.inbound_dedup,
        },
        ..GatewayConfig::default()
    };
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    let metrics: router::MetricsRenderer = std::sync::Arc::new(move || recorder.render());
    router::serve_with_metrics(config, &sdl, Some(metrics), shutdown_signal())
        .await
        .context("the gateway stopped")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
