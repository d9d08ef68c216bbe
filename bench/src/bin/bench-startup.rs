//! `bench-startup`: the gateway's start-up on the generated large supergraph
//! ([`bench::large`], about 9 MB): how long from reading the file to a gateway ready to serve
//! (parse, API schema, planner, caches, subgraph client) and the process's memory after it.
//!
//! Without `--supergraph` it generates the supergraph into a temporary file and measures it
//! `--runs` times, each in a fresh child process (so the generator's memory is not counted).
//! `--write PATH` only writes the generated supergraph; `--stages` (with `--supergraph`)
//! reports time and RSS after each stage of the federation library instead.
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use router::{Gateway, GatewayConfig, SupergraphState};

#[derive(Debug, Parser)]
#[command(
    name = "bench-startup",
    about = "Gateway start-up time and memory on a large supergraph"
)]
struct Args {
    /// Measure this supergraph file once, in this process.
    #[arg(long)]
    supergraph: Option<PathBuf>,
    /// Write the generated large supergraph to this file and exit.
    #[arg(long)]
    write: Option<PathBuf>,
    /// With `--supergraph`: time and RSS after each stage (parse, planner) instead.
    #[arg(long)]
    stages: bool,
    /// Fresh processes to measure when generating.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(path) = args.supergraph {
        return if args.stages {
            stages(&path)
        } else {
            measure(&path)
        };
    }
    let sdl = bench::large::supergraph(bench::large::LargeShape::DEFAULT)?;
    if let Some(path) = args.write {
        std::fs::write(&path, &sdl).with_context(|| format!("cannot write {}", path.display()))?;
        return Ok(());
    }
    let path = std::env::temp_dir().join(format!("bench-large-{}.graphql", std::process::id()));
    std::fs::write(&path, &sdl).with_context(|| format!("cannot write {}", path.display()))?;
    drop(sdl);
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let mut failed = None;
    for _ in 0..args.runs {
        let status = std::process::Command::new(&exe)
            .arg("--supergraph")
            .arg(&path)
            .status()
            .context("cannot run the measurement")?;
        if !status.success() {
            failed = Some(status);
            break;
        }
    }
    let _ = std::fs::remove_file(&path);
    if let Some(status) = failed {
        bail!("a measurement failed: {status}");
    }
    Ok(())
}

fn measure(path: &PathBuf) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a runtime")?;
    let baseline = memory_kb("VmRSS");
    let started = Instant::now();
    let sdl =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let config = GatewayConfig::default();
    // What `router::serve` does before it binds: the supergraph state and the gateway.
    let gateway = runtime.block_on(async {
        let state = SupergraphState::from_sdl(&sdl, &config)?;
        anyhow::Ok(Gateway::new(state, config))
    })?;
    let elapsed = started.elapsed();
    let subgraphs = gateway.supergraph().endpoints.len();
    let types = gateway.supergraph().api_schema.types.len();
    let after_start = memory_kb("VmRSS");
    let peak = memory_kb("VmHWM");
    let trimmed = trim_heap().then(|| memory_kb("VmRSS"));
    println!(
        "supergraph {:.1} MB, {subgraphs} subgraphs, {types} API types: start-up {:.0} ms, \
         RSS after start {:.0} MB (before {:.0} MB), peak {:.0} MB{}",
        sdl.len() as f64 / 1e6,
        elapsed.as_secs_f64() * 1e3,
        after_start as f64 / 1024.0,
        baseline as f64 / 1024.0,
        peak as f64 / 1024.0,
        trimmed.map_or(String::new(), |kb| format!(
            ", after malloc_trim {:.0} MB",
            kb as f64 / 1024.0
        )),
    );
    drop(gateway);
    Ok(())
}

fn stages(path: &PathBuf) -> anyhow::Result<()> {
    let started = Instant::now();
    let report = |stage: &str| {
        println!(
            "{stage}: {:.0} ms, RSS {:.0} MB",
            started.elapsed().as_secs_f64() * 1e3,
            memory_kb("VmRSS") as f64 / 1024.0
        )
    };
    let sdl =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    report("read");
    let supergraph = federation::Supergraph::parse(&sdl)?;
    report("Supergraph::parse (supergraph and API schemas, model)");
    let planner = federation::QueryPlanner::new(&supergraph);
    report("QueryPlanner::new");
    drop(planner);
    drop(supergraph);
    report("both dropped");
    Ok(())
}

/// Returns freed heap pages to the kernel (glibc keeps them otherwise), so the RSS that
/// follows is what start-up keeps alive rather than what it touched on the way.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_heap() -> bool {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: glibc's malloc_trim takes no pointers and only releases free memory.
    unsafe { malloc_trim(0) };
    true
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_heap() -> bool {
    false
}

/// A `/proc/self/status` figure in kB (0 where there is no procfs).
fn memory_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let rest = line.strip_prefix(field)?.strip_prefix(':')?;
                rest.trim().trim_end_matches("kB").trim().parse().ok()
            })
        })
        .unwrap_or(0)
}
