//! Gateway start-up on a large supergraph (~9 MB, 50 subgraphs, 3,000 types): parse the
//! supergraph and build the query planner. Timings only; nothing is asserted.
use bench::large::{LargeShape, supergraph};
use criterion::{Criterion, criterion_group, criterion_main};
use federation::{QueryPlanner, Supergraph};
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
    group.finish();
}

criterion_group!(benches, startup);
criterion_main!(benches);
