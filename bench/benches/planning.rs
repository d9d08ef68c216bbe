//! The gateway's planning stages on the large benchmark operation, through the router's own
//! caches (`router::document`, `router::plan_cache`): parse + validate + plan cold (fresh
//! caches every iteration) and cached (what every repeated request pays), plus each stage
//! alone. Timings only; nothing is asserted.
use std::hint::black_box;

use apollo_compiler::response::JsonMap;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use router::document::DocumentCache;
use router::plan_cache::PlanCache;
use router::{GatewayConfig, SupergraphState};

/// Document, plan options and plan for `operation`, as the pipeline gets them; `false` on
/// any error (the bench then measures nothing useful, so it says so once at start).
fn plan(
    state: &SupergraphState,
    documents: &DocumentCache,
    plans: &PlanCache,
    operation: &str,
) -> bool {
    let document = documents.get(&state.api_schema, operation);
    let Ok(document) = document.as_ref() else {
        return false;
    };
    let Ok(options) = state.planner.options(document, None, &JsonMap::new()) else {
        return false;
    };
    plans
        .get(state.planner.as_ref(), operation, document, None, &options)
        .is_ok()
}

fn planning(c: &mut Criterion) {
    let config = GatewayConfig::default();
    let state = match SupergraphState::from_sdl(bench::SUPERGRAPH, &config) {
        Ok(state) => state,
        Err(error) => {
            eprintln!("the benchmark supergraph does not load: {error}");
            return;
        }
    };
    let operation = bench::LARGE_OPERATION;
    if !plan(&state, &state.documents, &state.plans, operation) {
        eprintln!("the large operation does not plan");
        return;
    }
    let fresh = || (DocumentCache::new(1, &config.limits), PlanCache::new(1));
    let mut group = c.benchmark_group("large_operation");
    group.bench_function("cold_parse_validate_plan", |b| {
        b.iter_batched(
            fresh,
            |(documents, plans)| black_box(plan(&state, &documents, &plans, operation)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("cached_parse_validate_plan", |b| {
        b.iter(|| black_box(plan(&state, &state.documents, &state.plans, operation)))
    });
    group.bench_function("cold_parse_validate", |b| {
        b.iter_batched(
            fresh,
            |(documents, _)| black_box(documents.get(&state.api_schema, operation)),
            BatchSize::SmallInput,
        )
    });
    let document = state.documents.get(&state.api_schema, operation);
    if let Ok(document) = document.as_ref() {
        group.bench_function("cold_plan", |b| {
            b.iter(|| {
                let options = state.planner.options(document, None, &JsonMap::new());
                black_box(options.and_then(|o| state.planner.plan(document, None, &o)))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, planning);
criterion_main!(benches);
