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

#[test]
fn reads_join_v05_model_and_auth() {
    let sg = Supergraph::parse(&fixture("media.graphql")).expect("valid supergraph");
    assert_eq!(sg.join_version(), "0.5");
    let media = sg.type_model("Media").expect("Media");
    let social = sg.subgraph_by_name("social").expect("social");
    assert!(media.is_interface_object_in(social));
    let author = sg.type_model("Author").expect("Author");
    assert!(
        author
            .keys
            .iter()
            .any(|k| k.graph == social && !k.resolvable)
    );
    let price = sg.field_model("Book", "price").expect("price");
    let pricing = sg.subgraph_by_name("pricing").expect("pricing");
    let join = price.join_for(pricing).expect("pricing join");
    assert_eq!(join.override_from.as_deref(), Some("catalog"));
    assert_eq!(join.override_label.as_deref(), Some("percent(50)"));
    assert_eq!(
        price.auth.scopes,
        vec![vec!["read:price".to_string()], vec!["admin".to_string()]]
    );
    assert!(
        sg.field_model("Query", "me")
            .expect("me")
            .auth
            .authenticated
    );
    assert_eq!(
        sg.field_model("Reader", "secretNote")
            .expect("note")
            .auth
            .policies,
        vec![vec!["reader_self".to_string()]]
    );
    assert_eq!(sg.type_model("Book").expect("Book").cost, Some(2));
    assert_eq!(
        sg.field_model("Book", "stock").expect("stock").cost,
        Some(5)
    );
    assert_eq!(
        sg.field_model("Query", "media")
            .and_then(|f| f.list_size.as_ref())
            .and_then(|l| l.assumed_size),
        Some(20)
    );
    let genre = sg.type_model("Genre").expect("Genre");
    let catalog = sg.subgraph_by_name("catalog").expect("catalog");
    assert!(genre.enum_value_in_graph("FICTION", catalog));
    assert!(!genre.enum_value_in_graph("POETRY", catalog));
    let pages = sg.field_model("Book", "pages").expect("pages");
    assert_eq!(
        pages
            .join_for(catalog)
            .and_then(|j| j.type_in_graph.as_deref()),
        Some("Int!")
    );
}

#[test]
fn api_schema_drops_inaccessible_and_federation_directives() {
    let sg = Supergraph::parse(&fixture("media.graphql")).expect("valid supergraph");
    let api = sg.api_schema();
    let book = api.get_object("Book").expect("Book");
    assert!(!book.fields.contains_key("internalCode"));
    assert!(book.fields.contains_key("price"));
    let genre = api.get_enum("Genre").expect("Genre");
    assert!(!genre.values.contains_key("SECRET"));
    assert!(genre.values.contains_key("POETRY"));
    let printed = api.to_string();
    for machinery in [
        "join__",
        "link__",
        "@inaccessible",
        "@authenticated",
        "@requiresScopes",
        "@policy",
        "@cost",
        "@listSize",
        "@tag",
        "policy__Policy",
    ] {
        assert!(
            !printed.contains(machinery),
            "{machinery} leaked:\n{printed}"
        );
    }
    // The full supergraph still has the inaccessible field for planning.
    assert!(
        sg.schema()
            .get_object("Book")
            .expect("Book")
            .fields
            .contains_key("internalCode")
    );
    let err = sg
        .validate_operation("{ book(id: \"1\") { internalCode } }")
        .expect_err("inaccessible field must not validate");
    assert_eq!(err.code(), "GRAPHQL_VALIDATION_FAILED");
}

/// The media supergraph with every spec renamed through `@link(as:)` or imports.
pub fn renamed_media() -> String {
    fixture("media.graphql")
        .replace(
            "@link(url: \"https://specs.apollo.dev/join/v0.5\", for: EXECUTION)",
            "@link(url: \"https://specs.apollo.dev/join/v0.5\", as: \"j\", for: EXECUTION)",
        )
        .replace("join__", "j__")
        .replace(
            "@link(url: \"https://specs.apollo.dev/inaccessible/v0.2\", for: SECURITY)",
            "@link(url: \"https://specs.apollo.dev/inaccessible/v0.2\", as: \"hidden\", for: SECURITY)",
        )
        .replace("@inaccessible", "@hidden")
        .replace("@policy(", "@rule(")
        .replace(
            "@link(url: \"https://specs.apollo.dev/policy/v0.1\", for: SECURITY)",
            "@link(url: \"https://specs.apollo.dev/policy/v0.1\", import: [{name: \"@policy\", as: \"@rule\"}], for: SECURITY)",
        )
}

#[test]
fn directive_names_resolve_through_link_renames() {
    let sg = Supergraph::parse(&renamed_media()).expect("renamed supergraph parses");
    let social = sg.subgraph_by_name("social").expect("social");
    assert!(
        sg.type_model("Media")
            .expect("Media")
            .is_interface_object_in(social)
    );
    assert_eq!(
        sg.field_model("Reader", "secretNote")
            .expect("note")
            .auth
            .policies,
        vec![vec!["reader_self".to_string()]]
    );
    let api = sg.api_schema();
    assert!(
        !api.get_object("Book")
            .expect("Book")
            .fields
            .contains_key("internalCode")
    );
    let printed = api.to_string();
    assert!(!printed.contains("j__") && !printed.contains("@hidden") && !printed.contains("@rule"));
}

#[test]
fn default_spelling_is_not_trusted_when_renamed() {
    // With join renamed to `j`, a `@join__type` spelled the default way is just an unknown
    // (undefined) directive: the schema is rejected rather than silently read.
    let sdl = renamed_media().replacen(
        "@j__type(graph: LIBRARY, key: \"id\")",
        "@join__type(graph: LIBRARY, key: \"id\")",
        1,
    );
    assert!(Supergraph::parse(&sdl).is_err());
}

#[test]
fn rejects_unknown_security_spec_and_unsupported_join_version() {
    let security = fixture("shop.graphql").replace(
        "@link(url: \"https://specs.apollo.dev/join/v0.3\", for: EXECUTION)",
        "@link(url: \"https://specs.apollo.dev/join/v0.3\", for: EXECUTION)\n  @link(url: \"https://specs.example.com/guard/v0.1\", for: SECURITY)",
    );
    assert!(matches!(
        Supergraph::parse(&security),
        Err(SupergraphError::UnsupportedSpec { .. })
    ));
    let old_join = fixture("shop.graphql").replace("join/v0.3", "join/v0.1");
    assert!(matches!(
        Supergraph::parse(&old_join),
        Err(SupergraphError::UnsupportedSpec { .. })
    ));
}

#[test]
fn possible_types_follow_join_implements_and_union_members() {
    let sg = Supergraph::parse(&fixture("media.graphql")).expect("valid supergraph");
    let library = sg.subgraph_by_name("library").expect("library");
    let catalog = sg.subgraph_by_name("catalog").expect("catalog");
    assert!(sg.graph_knows_possible_type(library, "SearchResult", "Author"));
    assert!(!sg.graph_knows_possible_type(library, "SearchResult", "Movie"));
    assert!(sg.graph_knows_possible_type(catalog, "SearchResult", "Movie"));
    assert!(sg.graph_knows_possible_type(catalog, "Media", "Book"));
    assert!(!sg.graph_knows_possible_type(library, "Media", "Book"));
}

#[test]
fn reads_contexts_and_context_arguments() {
    let sg = Supergraph::parse(&fixture("context.graphql")).expect("valid supergraph");
    assert_eq!(
        sg.type_model("Shelf").expect("Shelf").contexts,
        vec!["library__shelf".to_string()]
    );
    let library = sg.subgraph_by_name("library").expect("library");
    let pitch = sg.field_model("Book", "pitch").expect("pitch");
    let args = &pitch.join_for(library).expect("join").context_arguments;
    assert_eq!(args.len(), 1);
    assert_eq!(args[0].name, "theme");
    assert_eq!(args[0].context, "library__shelf");
    assert_eq!(args[0].selection, "{ theme }");
    // The context machinery stays out of the API schema.
    assert!(!sg.api_schema().to_string().contains("@context"));
}
