//! Data-driven planner snapshots: one folder per case under `tests/planner/<case>/` with
//! `supergraph.graphql`, `operation.graphql` and optionally `options.json`
//! (`{"labels": [...], "conditions": {"var": true}, "operationName": "..."}`).
use federation::plan::{FetchNode, PlanNode};
use federation::{PlanOptions, QueryPlanner, Supergraph};
use std::path::Path;

fn plan_case(dir: &Path) -> String {
    let read = |f: &str| std::fs::read_to_string(dir.join(f));
    let sdl = read("supergraph.graphql").expect("supergraph.graphql");
    let op = read("operation.graphql").expect("operation.graphql");
    let supergraph = match Supergraph::parse(&sdl) {
        Ok(s) => s,
        Err(e) => return format!("supergraph error: {e}"),
    };
    let mut options = PlanOptions::default();
    let mut operation_name = None;
    if let Ok(json) = read("options.json") {
        let v: serde_json::Value = serde_json::from_str(&json).expect("options.json");
        for l in v["labels"].as_array().into_iter().flatten() {
            options
                .enabled_override_labels
                .insert(l.as_str().expect("label").to_string());
        }
        for (k, b) in v["conditions"].as_object().into_iter().flatten() {
            options
                .condition_variables
                .insert(k.clone(), b.as_bool().expect("bool condition"));
        }
        operation_name = v["operationName"].as_str().map(str::to_string);
    }
    let doc = match supergraph.validate_operation(&op) {
        Ok(d) => d,
        Err(e) => return format!("operation error ({}): {e}", e.code()),
    };
    let planner = QueryPlanner::new(&supergraph);
    match planner.plan(&doc, operation_name.as_deref(), &options) {
        Ok(plan) => {
            // Every subgraph operation must be valid for the subgraph it goes to.
            let schemas: Vec<_> = (0..supergraph.subgraphs().len())
                .map(|g| crate::subgraph_schemas::subgraph_schema(&supergraph, g))
                .collect();
            let mut fetches = Vec::new();
            if let Some(node) = &plan.node {
                fetches_of(node, &mut fetches);
            }
            for fetch in fetches {
                let graph = supergraph
                    .subgraph_by_name(&fetch.subgraph)
                    .expect("known subgraph");
                if let Err(e) = apollo_compiler::ExecutableDocument::parse_and_validate(
                    &schemas[graph],
                    &fetch.operation,
                    "op.graphql",
                ) {
                    panic!(
                        "{}: invalid subgraph operation {}\n{}",
                        dir.display(),
                        fetch.operation,
                        e.errors
                    );
                }
            }
            plan.to_string()
        }
        Err(e) => format!("plan error: {e}"),
    }
}

fn fetches_of<'a>(node: &'a PlanNode, out: &mut Vec<&'a FetchNode>) {
    match node {
        PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
            nodes.iter().for_each(|n| fetches_of(n, out))
        }
        PlanNode::Fetch(f) => out.push(f),
        PlanNode::Flatten(f) => fetches_of(&f.node, out),
        PlanNode::Condition(c) => {
            for n in [&c.if_clause, &c.else_clause].into_iter().flatten() {
                fetches_of(n, out);
            }
        }
    }
}

#[test]
fn planner_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/planner");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/planner")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("operation.graphql").exists())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no planner cases found");
    for dir in cases {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("case name")
            .to_string();
        let printed = plan_case(&dir);
        insta::with_settings!({
            snapshot_path => dir.clone(),
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => std::fs::read_to_string(dir.join("operation.graphql")).unwrap_or_default(),
        }, {
            insta::assert_snapshot!(name, printed);
        });
    }
}
