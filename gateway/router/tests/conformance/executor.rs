//! The executor on hand-written plans: plan nodes the planner rarely or never emits
//! (`Condition`, rewrites, unknown subgraphs) run against the `shop` fixture subgraphs.
use std::path::Path;
use std::sync::{Arc, Mutex};

use apollo_compiler::ExecutableDocument;
use apollo_compiler::response::JsonMap;
use apollo_compiler::validation::Valid;
use federation::PlanOptions;
use federation::plan::{
    ConditionNode, FetchNode, FetchRewrite, FlattenNode, FlattenPathElement, OperationKind,
    PlanNode, QueryPlan, RequireSelection, RewritePathElement,
};
use router::pipeline::{GraphqlRequest, RequestMeta};
use router::{Gateway, GatewayConfig, QueryPlanning, SupergraphState};
use serde_json::{Value as Json, json};

use crate::fixture::{self, CallLog, FixtureSubgraph};

/// Always answers the same plan.
struct FixedPlan(QueryPlan);

impl QueryPlanning for FixedPlan {
    fn options(
        &self,
        _: &Valid<ExecutableDocument>,
        _: Option<&str>,
        _: &JsonMap,
    ) -> Result<PlanOptions, String> {
        Ok(PlanOptions::default())
    }

    fn plan(
        &self,
        _: &Valid<ExecutableDocument>,
        _: Option<&str>,
        _: &PlanOptions,
    ) -> Result<QueryPlan, String> {
        Ok(self.0.clone())
    }
}

async fn gateway(plan: QueryPlan) -> (Gateway, CallLog, Vec<FixtureSubgraph>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/bases/shop");
    let calls: CallLog = Arc::new(Mutex::new(Vec::new()));
    let mut servers = Vec::new();
    let mut urls = Vec::new();
    for name in ["accounts", "products", "reviews"] {
        let sdl =
            std::fs::read_to_string(dir.join(format!("subgraphs/{name}.graphql"))).expect("sdl");
        let data: Json = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("subgraphs/{name}.json"))).expect("data"),
        )
        .expect("json");
        let server = fixture::start(name, &sdl, data, calls.clone())
            .await
            .expect("fixture");
        urls.push((name.to_string(), server.url.clone()));
        servers.push(server);
    }
    let sdl = std::fs::read_to_string(dir.join("supergraph.graphql")).expect("supergraph");
    let api = federation::Supergraph::parse(&sdl)
        .expect("supergraph")
        .api_schema()
        .clone();
    let config = GatewayConfig::default();
    let state = SupergraphState::new(api, urls, Box::new(FixedPlan(plan)), &config).expect("state");
    (Gateway::new(state, config), calls, servers)
}

fn fetch(subgraph: &str, operation: &str) -> FetchNode {
    FetchNode {
        subgraph: subgraph.into(),
        operation_kind: OperationKind::Query,
        operation: operation.into(),
        operation_name: None,
        variable_usages: Vec::new(),
        requires: Vec::new(),
        input_rewrites: Vec::new(),
        output_rewrites: Vec::new(),
        context_inputs: Vec::new(),
    }
}

fn field(name: &str) -> RequireSelection {
    RequireSelection::Field {
        response_key: name.into(),
        name: name.into(),
        selections: Vec::new(),
    }
}

async fn run(gateway: &Gateway, query: &str, variables: Json) -> Json {
    let request = GraphqlRequest {
        query: Some(query.into()),
        variables: serde_json::from_value(variables).ok(),
        ..GraphqlRequest::default()
    };
    let handled = gateway.execute(request, RequestMeta::default()).await;
    serde_json::to_value(&handled.response).expect("response json")
}

#[tokio::test]
async fn condition_node_runs_the_branch_its_variable_selects() {
    let plan = QueryPlan {
        node: Some(PlanNode::Condition(ConditionNode {
            variable: "withName".into(),
            if_clause: Some(Box::new(PlanNode::Fetch(Box::new(fetch(
                "accounts",
                "{ me { name } }",
            ))))),
            else_clause: Some(Box::new(PlanNode::Fetch(Box::new(fetch(
                "accounts",
                "{ me { id } }",
            ))))),
        })),
    };
    let (gateway, calls, _servers) = gateway(plan).await;
    let query = "query($withName: Boolean!) { me { name @include(if: $withName) } }";
    let on = run(&gateway, query, json!({"withName": true})).await;
    assert_eq!(on, json!({"data": {"me": {"name": "Ada Lovelace"}}}));
    let off = run(&gateway, query, json!({"withName": false})).await;
    assert_eq!(off, json!({"data": {"me": {}}}));
    let sent: Vec<String> = calls
        .lock()
        .expect("calls")
        .iter()
        .map(|c| c.query.clone())
        .collect();
    assert_eq!(sent, vec!["{ me { name } }", "{ me { id } }"]);
}

#[tokio::test]
async fn rewrites_shape_representations_and_entities() {
    // Fetch `me` from accounts, then ask reviews for `numberOfReviews` under a planner alias
    // that an output rewrite renames back; the input rewrite sets `__typename`.
    let mut entities = fetch(
        "reviews",
        "query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { count: numberOfReviews } } }",
    );
    entities.requires = vec![field("id")];
    entities.input_rewrites = vec![FetchRewrite::ValueSetter {
        path: vec![RewritePathElement::Key("__typename".into())],
        value: json!("User"),
    }];
    entities.output_rewrites = vec![FetchRewrite::KeyRenamer {
        path: vec![RewritePathElement::Key("count".into())],
        rename_key_to: "numberOfReviews".into(),
    }];
    let plan = QueryPlan {
        node: Some(PlanNode::Sequence {
            nodes: vec![
                PlanNode::Fetch(Box::new(fetch("accounts", "{ me { id name } }"))),
                PlanNode::Flatten(FlattenNode {
                    path: vec![FlattenPathElement::Field("me".into())],
                    node: Box::new(PlanNode::Fetch(Box::new(entities))),
                }),
            ],
        }),
    };
    let (gateway, calls, _servers) = gateway(plan).await;
    let response = run(&gateway, "{ me { name numberOfReviews } }", json!({})).await;
    assert_eq!(
        response,
        json!({"data": {"me": {"name": "Ada Lovelace", "numberOfReviews": 2}}})
    );
    let calls = calls.lock().expect("calls");
    assert_eq!(
        calls[1].variables,
        json!({"representations": [{"id": "1", "__typename": "User"}]})
    );
}

#[tokio::test]
async fn a_plan_naming_an_unknown_subgraph_is_an_internal_error() {
    let plan = QueryPlan {
        node: Some(PlanNode::Fetch(Box::new(fetch(
            "nowhere",
            "{ me { name } }",
        )))),
    };
    let (gateway, calls, _servers) = gateway(plan).await;
    let response = run(&gateway, "{ me { name } }", json!({})).await;
    assert_eq!(response["data"], json!({"me": null}));
    assert_eq!(
        response["errors"][0]["extensions"]["code"],
        json!("INTERNAL_SERVER_ERROR")
    );
    assert!(calls.lock().expect("calls").is_empty());
}

/// A hand-written subgraph that answers every request with `body`.
async fn canned_subgraph(body: &'static str) -> String {
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(move || async move { ([("content-type", "application/json")], body) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/graphql")
}

#[tokio::test]
async fn too_few_entities_is_reported_on_the_unanswered_positions() {
    let mut entities = fetch(
        "short",
        "query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { name } } }",
    );
    entities.requires = vec![RequireSelection::InlineFragment {
        type_condition: Some("Product".into()),
        selections: vec![field("__typename"), field("upc")],
    }];
    let plan = QueryPlan {
        node: Some(PlanNode::Sequence {
            nodes: vec![
                PlanNode::Fetch(Box::new(fetch(
                    "root",
                    "{ topProducts { __typename upc } }",
                ))),
                PlanNode::Flatten(FlattenNode {
                    path: vec![
                        FlattenPathElement::Field("topProducts".into()),
                        FlattenPathElement::List,
                    ],
                    node: Box::new(PlanNode::Fetch(Box::new(entities))),
                }),
            ],
        }),
    };
    let root = canned_subgraph(
        r#"{"data":{"topProducts":[{"__typename":"Product","upc":"1"},{"__typename":"Product","upc":"2"}]}}"#,
    )
    .await;
    let short = canned_subgraph(r#"{"data":{"_entities":[{"name":"Table"}]}}"#).await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/bases/shop");
    let sdl = std::fs::read_to_string(dir.join("supergraph.graphql")).expect("supergraph");
    let api = federation::Supergraph::parse(&sdl)
        .expect("supergraph")
        .api_schema()
        .clone();
    let config = GatewayConfig::default();
    let state = SupergraphState::new(
        api,
        [("root".to_string(), root), ("short".to_string(), short)],
        Box::new(FixedPlan(plan)),
        &config,
    )
    .expect("state");
    let gateway = Gateway::new(state, config);
    let response = run(&gateway, "{ topProducts { name } }", json!({})).await;
    assert_eq!(
        response["data"],
        json!({"topProducts": [{"name": "Table"}, {"name": null}]})
    );
    assert_eq!(
        response["errors"].as_array().map(Vec::len),
        Some(1),
        "{response}"
    );
    assert_eq!(response["errors"][0]["path"], json!(["topProducts", 1]));
    assert_eq!(
        response["errors"][0]["extensions"]["code"],
        json!("SUBGRAPH_REQUEST_FAILED")
    );
}
