//! Planner speed: supergraph loading and planning a few representative operations.
//! Reported as timings by criterion; nothing asserts a duration.
use criterion::{Criterion, criterion_group, criterion_main};
use federation::{PlanOptions, QueryPlanner, Supergraph};
use std::hint::black_box;

const MEDIA: &str = include_str!("../tests/fixtures/media.graphql");

const OPERATIONS: &[(&str, &str)] = &[
    (
        "entity_join",
        "query Q { media { id title ... on Book { isbn author { name } } } }",
    ),
    (
        "interface_object",
        "query Q { feed { __typename likes ... on Book { isbn price } ... on Movie { runtime } } }",
    ),
    (
        "requires",
        "query Q { me { summary } media { ... on Book { discountedPrice } } }",
    ),
];

fn bench(c: &mut Criterion) {
    c.bench_function("supergraph_parse", |b| {
        b.iter(|| Supergraph::parse(black_box(MEDIA)))
    });
    let Ok(supergraph) = Supergraph::parse(MEDIA) else {
        return;
    };
    let planner = QueryPlanner::new(&supergraph);
    let options = PlanOptions::default();
    for (name, source) in OPERATIONS {
        let Ok(document) = supergraph.validate_operation(source) else {
            continue;
        };
        c.bench_function(&format!("plan_{name}"), |b| {
            b.iter(|| planner.plan(black_box(&document), None, &options))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
