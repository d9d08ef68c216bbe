//! `bench-check --gateway URL`: sends both benchmark operations to a gateway and fails unless
//! each response equals the expected JSON computed from the data (which implies no `errors`).
//! Prints the large response's size in bytes.
use anyhow::{Context, bail};
use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "bench-check",
    about = "Checks the gateway's benchmark responses"
)]
struct Args {
    /// The gateway's GraphQL endpoint.
    #[arg(long, default_value = "http://127.0.0.1:4000/graphql")]
    gateway: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = reqwest::Client::new();
    for (name, operation, expected) in [
        ("large", bench::LARGE_OPERATION, bench::expected::large()),
        ("small", bench::SMALL_OPERATION, bench::expected::small()),
    ] {
        let body = client
            .post(&args.gateway)
            .json(&serde_json::json!({ "query": operation }))
            .send()
            .await
            .with_context(|| format!("cannot reach the gateway at {}", args.gateway))?
            .bytes()
            .await?;
        let actual: serde_json::Value =
            serde_json::from_slice(&body).context("the gateway's response is not JSON")?;
        if actual != expected {
            bail!(
                "the {name} response differs from the expected one:\n{}",
                String::from_utf8_lossy(&body)
            );
        }
        println!("{name}: ok, {} bytes", body.len());
    }
    Ok(())
}
