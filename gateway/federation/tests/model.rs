//! Supergraph parsing: links, renames, the join model and the API schema.
use federation::{Supergraph, SupergraphError};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn reads_subgraphs_in_join_graph_order() {
    let sg = Supergraph::parse(&fixture("shop.graphql")).expect("valid supergraph");
    let names: Vec<_> = sg.subgraphs().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["accounts", "inventory", "products", "reviews"]);
    assert_eq!(sg.subgraphs()[2].url, "http://products:4003/graphql");
}

#[test]
fn reads_keys_requires_provides_and_external() {
    let sg = Supergraph::parse(&fixture("shop.graphql")).expect("valid supergraph");
    let product = sg.type_model("Product").expect("Product");
    assert_eq!(product.keys.len(), 3);
    assert!(
        product
            .keys
            .iter()
            .all(|k| k.fields == "upc" && k.resolvable)
    );
    let inventory = sg.subgraph_by_name("inventory").expect("inventory");
    let estimate = sg
        .field_model("Product", "shippingEstimate")
        .expect("field");
    assert_eq!(
        estimate
            .join_for(inventory)
            .and_then(|j| j.requires.as_deref()),
        Some("price weight")
    );
    let weight = sg.field_model("Product", "weight").expect("field");
    assert!(weight.join_for(inventory).is_some_and(|j| j.external));
    let reviews = sg.subgraph_by_name("reviews").expect("reviews");
    let author = sg.field_model("Review", "author").expect("field");
    assert_eq!(
        author.join_for(reviews).and_then(|j| j.provides.as_deref()),
        Some("username")
    );
}

#[test]
fn api_schema_has_no_join_machinery() {
    let sg = Supergraph::parse(&fixture("shop.graphql")).expect("valid supergraph");
    let api = sg.api_schema().to_string();
    assert!(!api.contains("join__"), "{api}");
    assert!(!api.contains("@link"), "{api}");
    assert!(!api.contains("link__"), "{api}");
    assert!(
        api.contains("topProducts(first: Int = 5): [Product]"),
        "{api}"
    );
}

#[test]
fn rejects_unknown_execution_spec() {
    let sdl = fixture("shop.graphql").replace(
        "@link(url: \"https://specs.apollo.dev/join/v0.3\", for: EXECUTION)",
        "@link(url: \"https://specs.apollo.dev/join/v0.3\", for: EXECUTION)\n  @link(url: \"https://example.com/magic/v1.0\", for: EXECUTION)",
    );
    match Supergraph::parse(&sdl) {
        Err(SupergraphError::UnsupportedSpec { url }) => {
            assert_eq!(url, "https://example.com/magic/v1.0")
        }
        other => panic!("expected UnsupportedSpec, got {other:?}"),
    }
}

#[test]
fn ignores_unknown_spec_without_purpose() {
    let sdl = fixture("shop.graphql").replace(
        "@link(url: \"https://specs.apollo.dev/join/v0.3\", for: EXECUTION)",
        "@link(url: \"https://specs.apollo.dev/join/v0.3\", for: EXECUTION)\n  @link(url: \"https://example.com/docs/v1.0\")",
    );
    assert!(Supergraph::parse(&sdl).is_ok());
}

#[test]
fn rejects_documents_that_are_not_supergraphs() {
    assert!(matches!(
        Supergraph::parse("type Query { a: Int }"),
        Err(SupergraphError::NotASupergraph(_))
    ));
    assert!(matches!(
        Supergraph::parse("type Query {"),
        Err(SupergraphError::InvalidSchema(_))
    ));
}
