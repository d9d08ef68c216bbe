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
    ["Cargo.toml", REGISTRY, "schema/subgraphs.yaml"]
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
        registry.contains("generated!(shop, 4005),\n    // platform:new-subgraph:end"),
        "{registry}"
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

/// Copies the workspace (every member, whatever the members are) without build output, data,
/// VCS metadata or the web playground's node tree.
fn copy_workspace(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read repo").flatten() {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str.starts_with("target")
            || name_str.starts_with('.')
            || name_str == "data"
            || name_str == "web-playground"
        {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).expect("copy file");
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let name = entry.file_name();
        if name == "target" || name == ".git" || name == "node_modules" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).expect("copy file");
        }
    }
}

/// The generated crate compiles with its tests, in a copy of this workspace.
///
/// Ignored by default: it takes several minutes (`cargo test -p platform --bin platform --
/// --ignored generated_crate_compiles`). The copy builds in its own target dir,
/// `target/platform-new-check` (kept between runs, so later runs only rebuild the path crates).
/// It must not share `target/debug`: cargo hashes path crates relative to the workspace root,
/// so the copy's `permissions` (whose build script reads the copy's `subgraphs/*/module.yaml`)
/// would overwrite the main workspace's build of it, and vice versa.
#[test]
#[ignore = "several minutes: builds the generated crate in a copy of the workspace"]
fn generated_crate_compiles() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    copy_workspace(&repo, dir.path());
    generate(dir.path(), "sample_shop").expect("generate");
    let target = repo.join("target").join("platform-new-check");
    let output =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["check", "--quiet", "-p", "sample_shop", "--tests"])
            .current_dir(dir.path())
            .env("CARGO_TARGET_DIR", target)
            .output()
            .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo check -p sample_shop failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
