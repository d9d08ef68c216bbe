//! The parser, the validator and the planner never panic: random documents, random (valid)
//! operations over the fixture supergraphs, random plan options. Bounded to stay fast.
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use federation::plan::{FetchNode, PlanNode, RequireSelection};
use federation::{PlanOptions, QueryPlanner, Supergraph};
use proptest::prelude::*;
use std::sync::OnceLock;

type Fixture = (Supergraph, QueryPlanner, Vec<Valid<Schema>>);

fn fixtures() -> &'static [Fixture] {
    static CELL: OnceLock<Vec<Fixture>> = OnceLock::new();
    CELL.get_or_init(|| {
        [
            "shop.graphql",
            "media.graphql",
            "warehouse.graphql",
            "feeds.graphql",
            "chain.graphql",
            "context.graphql",
        ]
        .iter()
        .map(|name| {
            let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
            let sdl = std::fs::read_to_string(&path).expect("fixture");
            let sg = Supergraph::parse(&sdl).expect("fixture parses");
            let planner = QueryPlanner::new(&sg);
            let schemas = subgraph_schemas(&sg);
            (sg, planner, schemas)
        })
        .collect()
    })
}

/// Builds a valid operation over `schema` from a stream of choices.
struct OperationGen<'a> {
    schema: &'a Schema,
    choices: &'a [u32],
    at: usize,
    variables: Vec<String>,
}

impl OperationGen<'_> {
    fn next(&mut self, bound: usize) -> usize {
        let c = self.choices.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if bound == 0 { 0 } else { c as usize % bound }
    }

    fn selection(&mut self, type_name: &str, depth: usize) -> String {
        let Some(ty) = self.schema.types.get(type_name) else {
            return "{ __typename }".into();
        };
        let (fields, possible): (Vec<_>, Vec<String>) = match ty {
            ExtendedType::Object(o) => (o.fields.values().cloned().collect(), Vec::new()),
            ExtendedType::Interface(i) => (
                i.fields.values().cloned().collect(),
                self.schema
                    .types
                    .values()
                    .filter_map(|t| match t {
                        ExtendedType::Object(o)
                            if o.implements_interfaces.iter().any(|n| n.name == type_name) =>
                        {
                            Some(o.name.to_string())
                        }
                        _ => None,
                    })
                    .collect(),
            ),
            ExtendedType::Union(u) => (
                Vec::new(),
                u.members.iter().map(|m| m.name.to_string()).collect(),
            ),
            _ => return String::new(),
        };
        let mut out = String::from("{ __typename");
        let count = 1 + self.next(3);
        for _ in 0..count {
            let pick_fragment = !possible.is_empty() && (fields.is_empty() || self.next(3) == 0);
            if pick_fragment {
                let object = possible[self.next(possible.len())].clone();
                if depth < 4 {
                    let inner = self.selection(&object, depth + 1);
                    out.push_str(&format!(" ... on {object} {inner}"));
                }
                continue;
            }
            if fields.is_empty() {
                continue;
            }
            let field = fields[self.next(fields.len())].clone();
            let inner_type = field.ty.inner_named_type().to_string();
            let composite = matches!(
                self.schema.types.get(inner_type.as_str()),
                Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_))
            );
            if composite && depth >= 4 {
                continue;
            }
            // An alias on every field keeps same-named fields with different arguments valid.
            out.push_str(&format!(" f{}: {}", self.at, field.name));
            let mut args = Vec::new();
            for arg in &field.arguments {
                if arg.ty.is_non_null() && arg.default_value.is_none() {
                    let var = format!("v{}", self.variables.len());
                    self.variables.push(format!("${var}: {}", arg.ty));
                    args.push(format!("{}: ${var}", arg.name));
                }
            }
            if !args.is_empty() {
                out.push_str(&format!("({})", args.join(", ")));
            }
            if self.next(4) == 0 {
                out.push_str(" @include(if: $cond)");
            }
            if composite {
                let inner = self.selection(&inner_type, depth + 1);
                out.push(' ');
                out.push_str(&inner);
            }
        }
        out.push_str(" }");
        out
    }
}

fn operation(schema: &Schema, choices: &[u32]) -> String {
    let mut generator = OperationGen {
        schema,
        choices,
        at: 0,
        variables: vec!["$cond: Boolean!".into()],
    };
    let mutation = schema.schema_definition.mutation.is_some()
        && choices.first().copied().unwrap_or(0) % 4 == 0;
    let root = if mutation {
        schema
            .schema_definition
            .mutation
            .as_ref()
            .map(|m| m.name.to_string())
    } else {
        schema
            .schema_definition
            .query
            .as_ref()
            .map(|q| q.name.to_string())
    }
    .unwrap_or_else(|| "Query".into());
    let body = generator.selection(&root, 0);
    let keyword = if mutation { "mutation" } else { "query" };
    // `$cond` is always declared; use it at least once so the operation validates.
    let body = body.replacen("{ __typename", "{ __typename @include(if: $cond)", 1);
    format!(
        "{keyword} Random({}) {body}",
        generator.variables.join(", ")
    )
}

/// Every field a representation reads must come from a fetch that finished before: walks
/// the plan with the operations known to have completed at each point.
fn check_requires_order(node: &PlanNode, done: &mut Vec<String>, problems: &mut Vec<String>) {
    match node {
        PlanNode::Sequence { nodes } => {
            for n in nodes {
                check_requires_order(n, done, problems);
            }
        }
        PlanNode::Parallel { nodes } => {
            let before = done.clone();
            let mut after = before.clone();
            for n in nodes {
                let mut branch = before.clone();
                check_requires_order(n, &mut branch, problems);
                after.extend(branch.into_iter().skip(before.len()));
            }
            *done = after;
        }
        PlanNode::Flatten(f) => check_requires_order(&f.node, done, problems),
        PlanNode::Fetch(fetch) => {
            let mut keys = Vec::new();
            required_keys(&fetch.requires, &mut keys);
            for key in keys {
                let fetched = done.iter().any(|op| {
                    op.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .any(|word| word == key)
                });
                if !fetched {
                    problems.push(format!(
                        "`{key}` read before any fetch selects it: {}",
                        fetch.operation
                    ));
                }
            }
            done.push(fetch.operation.clone());
        }
        PlanNode::Condition(c) => {
            for n in [&c.if_clause, &c.else_clause].into_iter().flatten() {
                check_requires_order(n, done, problems);
            }
        }
    }
}

fn required_keys(sels: &[RequireSelection], out: &mut Vec<String>) {
    for s in sels {
        match s {
            RequireSelection::Field {
                response_key,
                selections,
                ..
            } => {
                if response_key != "__typename" {
                    out.push(response_key.clone());
                }
                required_keys(selections, out);
            }
            RequireSelection::InlineFragment { selections, .. } => required_keys(selections, out),
        }
    }
}

fn subgraph_schemas(sg: &Supergraph) -> Vec<Valid<Schema>> {
    (0..sg.subgraphs().len())
        .map(|g| crate::subgraph_schemas::subgraph_schema(sg, g))
        .collect()
}

fn check_against_subgraph(
    sg: &Supergraph,
    schemas: &[Valid<Schema>],
    fetch: &FetchNode,
) -> Result<(), String> {
    let graph = sg
        .subgraph_by_name(&fetch.subgraph)
        .ok_or_else(|| format!("unknown subgraph {}", fetch.subgraph))?;
    ExecutableDocument::parse_and_validate(&schemas[graph], &fetch.operation, "op.graphql")
        .map(|_| ())
        .map_err(|e| format!("{}: {}\n{}", fetch.subgraph, fetch.operation, e.errors))
}

fn collect_fetches<'a>(node: &'a PlanNode, entity: bool, out: &mut Vec<(&'a FetchNode, bool)>) {
    match node {
        PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
            nodes.iter().for_each(|n| collect_fetches(n, entity, out))
        }
        PlanNode::Fetch(f) => out.push((f, entity)),
        PlanNode::Flatten(f) => collect_fetches(&f.node, true, out),
        PlanNode::Condition(c) => {
            for n in [&c.if_clause, &c.else_clause].into_iter().flatten() {
                collect_fetches(n, entity, out);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn supergraph_parse_never_panics(sdl in "\\PC{0,300}") {
        let _ = Supergraph::parse(&sdl);
    }

    #[test]
    fn supergraph_parse_never_panics_on_mangled_fixture(cut in 0usize..6000, insert in "[@(){}\"a-z_: ]{0,12}") {
        let path = format!("{}/tests/fixtures/media.graphql", env!("CARGO_MANIFEST_DIR"));
        let mut sdl = std::fs::read_to_string(path).expect("fixture");
        let mut at = cut.min(sdl.len());
        while !sdl.is_char_boundary(at) { at -= 1; }
        sdl.insert_str(at, &insert);
        let _ = Supergraph::parse(&sdl);
    }

    #[test]
    fn validation_never_panics(doc in "[{}()a-zA-Z_:$!@. \n\"0-9]{0,160}") {
        for (sg, _, _) in fixtures() {
            let _ = sg.validate_operation(&doc);
        }
    }

    #[test]
    fn planner_plans_every_generated_operation(
        choices in proptest::collection::vec(any::<u32>(), 1..80),
        cond in any::<bool>(),
        label in any::<bool>(),
        which in 0usize..6,
    ) {
        let (sg, planner, schemas) = &fixtures()[which];
        let op = operation(sg.api_schema(), &choices);
        let doc = sg.validate_operation(&op);
        prop_assert!(doc.is_ok(), "generator produced an invalid operation {op}: {doc:?}");
        let Ok(doc) = doc else { return Ok(()) };
        let mut options = PlanOptions::default();
        options.condition_variables.insert("cond".into(), cond);
        if label {
            options.enabled_override_labels.insert("percent(50)".into());
            options.enabled_override_labels.insert("new-avatars".into());
        }
        let vars = planner.condition_variables(&doc, None);
        prop_assert_eq!(vars, Ok(vec!["cond".to_string()]));
        let plan = planner.plan(&doc, None, &options);
        prop_assert!(plan.is_ok(), "{op}\n{plan:?}");
        if let Ok(plan) = plan {
            let _ = plan.to_string();
            if let Some(node) = &plan.node {
                let mut problems = Vec::new();
                check_requires_order(node, &mut Vec::new(), &mut problems);
                prop_assert!(problems.is_empty(), "{op}\n{plan}\n{problems:?}");
            }
            let mut fetches = Vec::new();
            if let Some(node) = &plan.node {
                collect_fetches(node, false, &mut fetches);
            }
            for (fetch, entity) in fetches {
                // ... and valid against the schema of the subgraph it is sent to.
                if let Err(e) = check_against_subgraph(sg, schemas, fetch) {
                    prop_assert!(false, "{op}\n{plan}\n{e}");
                }
                // Every subgraph operation is syntactically valid GraphQL, and entity
                // fetches (under a Flatten) always say what to send.
                let parsed = apollo_compiler::parser::Parser::new()
                    .parse_ast(&fetch.operation, "subgraph.graphql");
                prop_assert!(parsed.is_ok(), "{}", fetch.operation);
                prop_assert_eq!(entity, !fetch.requires.is_empty(), "{}", fetch.operation);
                prop_assert_eq!(entity, fetch.operation.contains("_entities"));
            }
        }
    }
}

/// Supergraphs produced by our own composition (its snapshot cases) load and plan.
#[test]
fn composed_supergraphs_load_and_plan() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compose");
    let Ok(entries) = std::fs::read_dir(&root) else {
        return;
    };
    let mut checked = 0;
    for entry in entries.filter_map(|e| e.ok()) {
        let Ok(sdl) = std::fs::read_to_string(entry.path().join("supergraph.graphql")) else {
            continue;
        };
        if sdl.trim().is_empty() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_string();
        let sg = Supergraph::parse(&sdl).unwrap_or_else(|e| panic!("{name}: {e}"));
        let planner = QueryPlanner::new(&sg);
        let schemas = subgraph_schemas(&sg);
        for seed in 0..64u32 {
            let choices: Vec<u32> = (0..40)
                .map(|i| seed.wrapping_mul(2654435761).rotate_left(i) ^ i)
                .collect();
            let op = operation(sg.api_schema(), &choices);
            let doc = sg
                .validate_operation(&op)
                .unwrap_or_else(|e| panic!("{name}: generated invalid operation {op}: {e:?}"));
            let mut options = PlanOptions::default();
            options
                .condition_variables
                .insert("cond".into(), seed % 2 == 0);
            let plan = planner
                .plan(&doc, None, &options)
                .unwrap_or_else(|e| panic!("{name}: {op}: {e}"));
            if let Some(node) = &plan.node {
                let mut problems = Vec::new();
                check_requires_order(node, &mut Vec::new(), &mut problems);
                assert!(problems.is_empty(), "{name}: {op}\n{plan}\n{problems:?}");
                let mut fetches = Vec::new();
                collect_fetches(node, false, &mut fetches);
                for (fetch, _) in fetches {
                    if let Err(e) = check_against_subgraph(&sg, &schemas, fetch) {
                        panic!("{name}: {op}\n{plan}\n{e}");
                    }
                }
            }
        }
        checked += 1;
    }
    assert!(
        checked > 0 || !root.exists(),
        "no composed supergraph found"
    );
}
