use super::*;

/// The files `generate` edits, as small as they can be, in a temporary folder.
fn fake_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"platform\"\n\n[workspace]\nmembers = [\n    \"subgraphs/kit\",\n    \"tests\",\n]\n\n\
             [workspace.dependencies]\n# our crates\nkit = { path = \"subgraphs/kit\" }\n\n# other\nserde = \"1\"\n\n\
             [dependencies]\nkit.workspace = true\n\n[profile.dev]\ndebug = false\n",
        ),
        (
            "config/default.yaml",
            "telemetry:\n  # otlp_endpoint: http://127.0.0.1:4318/v1/traces\nsubgraphs:\n  identity:\n    listen: 127.0.0.1:4001\n  blog:\n    listen: 127.0.0.1:4004\ngateway:\n  listen: 127.0.0.1:4000\n",
        ),
        (
            "schema/subgraphs.yaml",
            "# header\nsubgraphs:\n  - name: identity\n    routing_url: http://127.0.0.1:4001/graphql\n    schema:\n      file: identity.graphql\n",
        ),
        (REGISTRY, include_str!("../modules.rs")),
    ];
    for (path, text) in files {
        write(&root.join(path), text).expect("write");
    }
    dir
}

fn snapshot(root: &Path) -> Vec<(String, String)> {
    ["Cargo.toml", REGISTRY, CONFIG, "schema/subgraphs.yaml"]
        .into_iter()
        .map(|p| (p.to_owned(), read(&root.join(p)).expect("read")))
        .collect()
}

#[test]
fn names_are_spelled_for_each_place() {
    let names = Names::new("web_shop");
    assert_eq!(
        (
            names.pascal.as_str(),
            names.camel.as_str(),
            names.upper.as_str()
        ),
        ("WebShop", "webShop", "WEB_SHOP")
    );
    assert_eq!(
        names.fill("{{camel}}Items {{Name}}Item {{NAME}} {{port}}", 4005),
        "webShopItems WebShopItem WEB_SHOP 4005"
    );
    for bad in [
        "", "Shop", "9shop", "shop-x", "shop_", "a__b", "blog", "identity", "type",
    ] {
        assert!(check_name(bad).is_err(), "{bad:?}");
    }
    assert!(check_name("inventory2").is_ok());
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(20_783), (2026, 11, 26));
}

#[test]
fn generate_adds_one_line_per_registry_and_remove_takes_them_back() {
    let dir = fake_workspace();
    let root = dir.path();
    let before = snapshot(root);

    let port = generate(root, "shop").expect("generate");
    assert_eq!(port, 4005, "next after the highest configured port");
    let manifest = read(&root.join("Cargo.toml")).expect("manifest");
    assert!(
        manifest.contains("    \"tests\",\n    \"subgraphs/shop\",\n]"),
        "{manifest}"
    );
    assert!(
        manifest
            .contains("kit = { path = \"subgraphs/kit\" }\nshop = { path = \"subgraphs/shop\" }\n"),
        "{manifest}"
    );
    assert!(
        manifest.contains("kit.workspace = true\nshop.workspace = true\n\n[profile.dev]"),
        "{manifest}"
    );
    let registry = read(&root.join(REGISTRY)).expect("registry");
    assert!(
        registry.contains("generated!(shop),\n    // platform:new-subgraph:end"),
        "{registry}"
    );
    let config = read(&root.join(CONFIG)).expect("config");
    assert!(
        config.contains(
            "    listen: 127.0.0.1:4004\n  shop:\n    listen: 127.0.0.1:4005\n    \
             database_url: sqlite://data/shop.db\ngateway:"
        ),
        "{config}"
    );
    let subgraphs = read(&root.join("schema/subgraphs.yaml")).expect("subgraphs");
    assert!(subgraphs.ends_with("  - name: shop\n    routing_url: http://127.0.0.1:4005/graphql\n    schema:\n      file: shop.graphql\n"), "{subgraphs}");
    let module = read(&root.join("subgraphs/shop/module.yaml")).expect("module.yaml");
    assert!(module.contains("code: shop.item.create"), "{module}");
    let graphql = read(&root.join("subgraphs/shop/src/graphql.rs")).expect("graphql.rs");
    assert!(graphql.contains("RequirePermission(permissions::SHOP_ITEM_CREATE)"));
    assert!(!graphql.contains("{{"), "every placeholder is filled");
    assert!(
        graphql.contains("    async fn create_shop_item("),
        "formatted: {graphql}"
    );
    let migrations: Vec<_> = std::fs::read_dir(root.join("migrations/shop/sqlite"))
        .expect("sqlite migrations")
        .collect();
    assert_eq!(migrations.len(), 1);
    assert!(root.join("schema/shop.graphql").is_file());

    // A second module takes the next port; the same name twice is refused.
    assert_eq!(generate(root, "cart").expect("second"), 4006);
    assert!(generate(root, "shop").is_err());

    remove(root, "cart").expect("remove cart");
    remove(root, "shop").expect("remove shop");
    assert_eq!(snapshot(root), before, "removal restores every edited file");
    assert!(!root.join("subgraphs/shop").exists());
    assert!(!root.join("migrations/shop").exists());
    assert!(!root.join("schema/shop.graphql").exists());
}

#[test]
fn built_in_and_unknown_modules_are_not_removed() {
    let dir = fake_workspace();
    let root = dir.path();
    let err = remove(root, "blog").expect_err("built-in");
    assert!(err.to_string().contains("taken"), "{err}");
    let err = remove(root, "nothing").expect_err("unknown");
    assert!(err.to_string().contains("not a generated module"), "{err}");
}

#[test]
fn removal_takes_the_module_out_of_cargo_lock_only() {
    let lock = "version = 4\n\n[[package]]\nname = \"inventory\"\nversion = \"0.3.1\"\n\
                source = \"registry+https://example\"\n\n[[package]]\nname = \"platform\"\n\
                version = \"0.1.0\"\ndependencies = [\n \"anyhow\",\n \"shop\",\n \"tokio\",\n]\n\n\
                [[package]]\nname = \"shop\"\nversion = \"0.1.0\"\ndependencies = [\n \"kit\",\n]\n\n\
                [[package]]\nname = \"tokio\"\nversion = \"1.0.0\"\n";
    let cleaned = remove_from_lockfile(lock, "shop");
    assert_eq!(
        cleaned,
        "version = 4\n\n[[package]]\nname = \"inventory\"\nversion = \"0.3.1\"\n\
         source = \"registry+https://example\"\n\n[[package]]\nname = \"platform\"\n\
         version = \"0.1.0\"\ndependencies = [\n \"anyhow\",\n \"tokio\",\n]\n\n\
         [[package]]\nname = \"tokio\"\nversion = \"1.0.0\"\n"
    );
    // A registry crate that happens to share the name stays.
    assert_eq!(remove_from_lockfile(&cleaned, "inventory"), cleaned);
}
