//! Gateway start-up on the generated large supergraph (~9 MB, 50 subgraphs, 5,000 types):
//! parse the supergraph, build the query planner, and the router's whole start-up state
//! (`SupergraphState::from_sdl`: API schema, planner, caches, endpoints). Timings only;
//! nothing is asserted. Memory after start is measured by `bench-startup` in a fresh process.
use bench::large::{LargeShape, supergraph};
use criterion::{Criterion, criterion_group, criterion_main};
use federation::{QueryPlanner, Supergraph};
use router::{GatewayConfig, SupergraphState};
use std::hint::black_box;

fn startup(c: &mut Criterion) {
    let sdl = match supergraph(LargeShape::DEFAULT) {
        Ok(sdl) => sdl,
        Err(error) => {
            eprintln!("{error}");
            return;
        }
    };
    eprintln!("large supergraph: {} bytes", sdl.len());
    let config = GatewayConfig::default();
    let mut group = c.benchmark_group("large_supergraph");
    group.sample_size(10);
    group.bench_function("parse", |b| b.iter(|| Supergraph::parse(black_box(&sdl))));
    group.bench_function("parse_and_build_planner", |b| {
        b.iter(|| {
            if let Ok(supergraph) = Supergraph::parse(black_box(&sdl)) {
                black_box(QueryPlanner::new(&supergraph));
            }
        })
    });
    group.bench_function("router_state", |b| {
        b.iter(|| black_box(SupergraphState::from_sdl(black_box(&sdl), &config).is_ok()))
    });
    group.finish();
}

criterion_group!(benches, startup);
criterion_main!(benches);
