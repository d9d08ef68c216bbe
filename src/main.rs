//! The `platform` CLI. Wiring only: every piece of logic lives in a library crate.
//!
//! `cargo run` (no arguments) is `platform dev`: every service in one process.
mod cli;
mod config_cmd;
mod dev;
mod gateway_cmd;
mod identity_cmd;
mod migrate;
mod modules;
mod new_cmd;
mod schema_cmd;
mod subgraphs;

// The gateway runs in this process too (`platform dev`, `platform gateway`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Errors reach the terminal whatever the log format: `{:#}` prints the cause chain.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
