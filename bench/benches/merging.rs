//! The gateway's response stages on the large operation's data (~89 KB): parsing a subgraph
//! body into the merged tree's value, merging one answer into a tree that already holds part
//! of every object, and shaping the tree into the client's response bytes. Timings only.
use std::hint::black_box;

use apollo_compiler::response::JsonMap;
use apollo_compiler::validation::Valid;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use router::execution::tree::deep_merge;
use router::execution::value::Value;
use router::shape::{ShapeInput, shape};
use router::{GatewayConfig, SupergraphState};
use serde_json::Value as Json;

/// `value` with only the first `keep` scalar keys of every object, lists and objects kept:
/// what earlier fetches left, so merging the full answer visits every object.
fn first_keys(value: &Json, keep: usize) -> Json {
    match value {
        Json::Object(map) => {
            let mut scalars = 0;
            Json::Object(
                map.iter()
                    .filter(|(_, v)| {
                        v.is_object() || v.is_array() || {
                            scalars += 1;
                            scalars <= keep
                        }
                    })
                    .map(|(k, v)| (k.clone(), first_keys(v, keep)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(|v| first_keys(v, keep)).collect()),
        other => other.clone(),
    }
}

fn merging(c: &mut Criterion) {
    let data = bench::expected::large()["data"].clone();
    let text = serde_json::to_vec(&data).unwrap_or_default();
    let full = Value::from(&data);
    let partial = Value::from(&first_keys(&data, 1));
    let mut group = c.benchmark_group("large_response");
    group.bench_function("parse_subgraph_body", |b| {
        b.iter(|| black_box(Value::from_slice(black_box(&text))))
    });
    group.bench_function("merge_into_tree", |b| {
        b.iter_batched(
            || (partial.clone(), full.clone()),
            |(mut tree, answer)| {
                deep_merge(&mut tree, answer);
                black_box(tree)
            },
            BatchSize::SmallInput,
        )
    });

    let config = GatewayConfig::default();
    let Ok(state) = SupergraphState::from_sdl(bench::SUPERGRAPH, &config) else {
        eprintln!("the benchmark supergraph does not load");
        return;
    };
    let document = state
        .documents
        .get(&state.api_schema, bench::LARGE_OPERATION);
    let Ok(document) = document.as_ref() else {
        eprintln!("the large operation does not validate");
        return;
    };
    let Ok(operation) = document.operations.get(None) else {
        eprintln!("the large operation has no single operation");
        return;
    };
    let variables = Valid::assume_valid(JsonMap::new());
    let input = ShapeInput {
        schema: &state.api_schema,
        implementers: &state.implementers,
        document,
        operation,
        variables: &variables,
        introspection: false,
    };
    group.bench_function("shape_to_response_bytes", |b| {
        b.iter(|| black_box(shape(&input, &full, Vec::new())))
    });
    group.finish();
}

criterion_group!(benches, merging);
criterion_main!(benches);
