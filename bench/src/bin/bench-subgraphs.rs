//! `bench-subgraphs`: serves the four benchmark subgraphs on 127.0.0.1:4201-4204 (or
//! `--ports`), or prints their supergraph (`--print-supergraph`).
use anyhow::Context;
use bench::serve::{self, DEFAULT_PORTS};
use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "bench-subgraphs", about = "The gateway benchmark's subgraphs")]
struct Args {
    /// Ports of accounts, products, inventory and reviews.
    #[arg(long, num_args = 4, default_values_t = DEFAULT_PORTS)]
    ports: Vec<u16>,
    /// Print the supergraph for the default ports and exit.
    #[arg(long)]
    print_supergraph: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.print_supergraph {
        println!(
            "{}",
            bench::supergraph::compose(&bench::supergraph::default_urls())?
        );
        return Ok(());
    }
    let ports: [u16; 4] = args
        .ports
        .try_into()
        .map_err(|_| anyhow::anyhow!("--ports takes four ports"))?;
    let running = serve::start(ports).await?;
    for subgraph in &running {
        eprintln!("{} listening on {}", subgraph.name, subgraph.url());
    }
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    Ok(())
}
