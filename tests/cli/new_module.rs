//! `platform new subgraph inventory` end to end, in a copy of the workspace: generate, build,
//! run the generated tests, migrate, compose, start `platform dev`, use the module through the
//! gateway with a granted permission, then remove it and find the tree as it was.
//!
//! The copy builds into `<target>/gen-e2e`, seeded from this build's target dir so that only
//! the crates the module changes are compiled (see `seed_target_dir`).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::dev::{Client, DevConfig, graphql, scopes, wait_until_token_accepted};
use crate::{arg, read, repo, stderr, stdout};

#[tokio::test]
async fn a_generated_module_builds_composes_serves_through_the_gateway_and_is_removed() {
    let started = Instant::now();
    let mut timings = Vec::new();
    let mut lap = |what: &str, since: &mut Instant| {
        timings.push(format!("{what} {:.1}s", since.elapsed().as_secs_f64()));
        *since = Instant::now();
    };
    let mut since = Instant::now();

    let copy = tempfile::tempdir().expect("temp dir");
    let root = copy.path();
    copy_workspace(&repo(), root);
    let before = tree(root);
    lap("copy", &mut since);

    // Generate with this build's binary: crate, registries, config, composed supergraph.
    let output = Command::new(env!("CARGO_BIN_EXE_platform"))
        .args(["new", "subgraph", "inventory", "--root", arg(root)])
        .output()
        .expect("platform runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("composed schema/supergraph.graphql"),
        "{}",
        stdout(&output)
    );
    let supergraph = read(&root.join("schema/supergraph.graphql"));
    assert!(
        supergraph.contains("INVENTORY @join__graph(name: \"inventory\"")
            && supergraph.contains("inventoryItems"),
        "the module is composed"
    );

    // Build the copy's CLI (now running the module) and the module's own tests, then run them.
    let target = seed_target_dir(root);
    lap("seed target", &mut since);
    cargo(
        root,
        &target,
        &[
            "test",
            "--workspace",
            "--no-run",
            "--test",
            "cli",
            "--test",
            "inventory",
        ],
    );
    lap("build", &mut since);
    let tested = cargo(
        root,
        &target,
        &["test", "--workspace", "--test", "inventory"],
    );
    assert!(tested.contains("test result: ok"), "{tested}");
    lap("generated tests", &mut since);
    let bin = target.join("debug/platform");

    // The committed supergraph is what the manifest composes to (the CI check).
    let output = Command::new(&bin)
        .args(["schema", "compose", "--check"])
        .current_dir(root)
        .output()
        .expect("platform runs");
    assert!(output.status.success(), "{}", stderr(&output));

    // `platform migrate` includes the module.
    let dev = DevConfig::new(root);
    let output = dev
        .command(&bin, root, &["migrate"])
        .stdout(std::process::Stdio::piped())
        .output()
        .expect("platform migrate runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("inventory: applied"),
        "{}",
        stdout(&output)
    );

    // `platform dev` of the copy; the bootstrap admin grants the generated permission.
    let admin_password = "dev-e2e-admin-password";
    let (dev, child, ready) = DevConfig::start_ready(
        root,
        &bin,
        &[
            (
                "PLATFORM__IDENTITY__BOOTSTRAP_ADMIN__EMAIL",
                "admin@example.com",
            ),
            (
                "PLATFORM__IDENTITY__BOOTSTRAP_ADMIN__PASSWORD",
                admin_password,
            ),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    assert_eq!(
        ready["supergraph"]["sha256"],
        json!(router::reload::sha256_hex(&supergraph)),
        "the gateway serves the composed supergraph"
    );
    let client = Client {
        http,
        base: dev.base.clone(),
    };
    let (admin, _) = client
        .login_when_up("admin@example.com", admin_password)
        .await;
    let dana_id = client.register("dana@example.com", "dana").await;
    client.register("erin@example.com", "erin").await;
    let (_, dana_refresh) = client
        .login("dana@example.com", "correct horse battery")
        .await;
    let (erin, _) = client
        .login("erin@example.com", "correct horse battery")
        .await;
    wait_until_token_accepted(&client.http, &client.base, &erin).await;

    // Without the permission: refused before the module sees it.
    let create = "mutation($n: String!) { createInventoryItem(name: $n) { id name createdBy } }";
    let refused = graphql(
        &client.http,
        &client.base,
        Some(&erin),
        create,
        json!({"n": "forbidden"}),
    )
    .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );

    client
        .grant_role(&admin, "stocker", "inventory.item.create", &dana_id)
        .await;
    let dana = client.refresh(&dana_refresh).await;
    assert!(
        scopes(&dana).iter().any(|s| s == "inventory.item.create"),
        "{:?}",
        scopes(&dana)
    );
    let created = client.ok(Some(&dana), create, json!({"n": "Widget"})).await;
    let item = &created["createInventoryItem"];
    assert_eq!(item["name"], "Widget", "{created}");
    assert_eq!(item["createdBy"], json!(dana_id), "{created}");
    let item_id = item["id"].as_str().expect("item id").to_owned();

    // The query, anonymous and signed in, through the gateway.
    let listed = client
        .ok(None, "{ inventoryItems { id name createdBy } }", json!({}))
        .await;
    assert_eq!(
        listed["inventoryItems"],
        json!([{"id": item_id, "name": "Widget", "createdBy": dana_id}])
    );

    // The event went from the module's outbox to audit, with its actor.
    let entries = client
        .audited(&admin, "inventory.item.created", &item_id)
        .await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["userId"], json!(dana_id), "dana acted");
    drop(child);
    lap("run", &mut since);

    // Removal leaves every file as it was, Cargo.lock and the supergraph included.
    let output = Command::new(&bin)
        .args([
            "new",
            "subgraph",
            "inventory",
            "--remove",
            "--root",
            arg(root),
        ])
        .output()
        .expect("platform runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_same_tree(&before, &tree(root));

    eprintln!(
        "new_module: {} (total {:.1}s)",
        timings.join(", "),
        started.elapsed().as_secs_f64()
    );
    assert!(started.elapsed() < Duration::from_secs(15 * 60));
}

/// Copies the workspace without build output, VCS metadata, local data or node modules,
/// keeping modification times: cargo then finds the copies of unchanged crates fresh.
fn copy_workspace(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from)
        .expect("read the repository")
        .flatten()
    {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("target") || name == ".git" || name == "data" {
            continue;
        }
        copy_tree(&entry.path(), &to.join(&*name), &|name| {
            name == "node_modules"
        });
    }
}

/// Copies `from` (a file or folder) to `to`, keeping modification times, skipping names
/// `skip` accepts.
fn copy_tree(from: &Path, to: &Path, skip: &dyn Fn(&str) -> bool) {
    let meta = std::fs::symlink_metadata(from).expect("metadata");
    if meta.is_dir() {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read dir").flatten() {
            let name = entry.file_name();
            if !skip(&name.to_string_lossy()) {
                copy_tree(&entry.path(), &to.join(&name), skip);
            }
        }
    } else if meta.is_file() {
        std::fs::copy(from, to).expect("copy file");
        let modified = meta.modified().expect("mtime");
        std::fs::File::options()
            .write(true)
            .open(to)
            .and_then(|f| f.set_modified(modified))
            .expect("set mtime");
    }
}

/// `<main target>/gen-e2e`, seeded from this build's `debug` folder. A separate target dir,
/// because cargo names a path crate's outputs after its path relative to the workspace: the
/// copy's `permissions` would overwrite this workspace's. Seeding makes every registry crate
/// fresh: the fingerprints and build-script outputs are copied, and the rlib/rmeta/so files
/// hard-linked (rustc replaces those by renaming, so a rebuild never writes through a link).
/// Build scripts of workspace crates are left out: their fingerprints watch this workspace's
/// absolute paths (`permissions` reads every `module.yaml`), and must see the copy's.
fn seed_target_dir(copy: &Path) -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_platform"));
    let debug = bin.parent().expect("target/debug");
    let main_target = debug.parent().expect("target");
    let target = main_target.join("gen-e2e");
    if target.exists() {
        std::fs::remove_dir_all(&target).expect("clear gen-e2e");
    }
    let seeded = target.join("debug");
    let with_build_script = workspace_crates_with_build_scripts(copy);
    let ours = |name: &str| {
        with_build_script.iter().any(|krate| {
            name.strip_prefix(krate.as_str())
                .is_some_and(|rest| rest.starts_with('-'))
        })
    };
    for dir in [".fingerprint", "build"] {
        copy_tree(&debug.join(dir), &seeded.join(dir), &ours);
    }
    let deps = seeded.join("deps");
    std::fs::create_dir_all(&deps).expect("mkdir deps");
    for entry in std::fs::read_dir(debug.join("deps"))
        .expect("deps")
        .flatten()
    {
        let path = entry.path();
        let linkable = path
            .extension()
            .is_some_and(|e| e == "rlib" || e == "rmeta" || e == "so");
        if linkable {
            let to = deps.join(entry.file_name());
            if std::fs::hard_link(&path, &to).is_err() {
                std::fs::copy(&path, &to).expect("copy artifact");
            }
        }
    }
    target
}

/// Package names (as cargo spells them in `.fingerprint/`, `-` as `_` kept) of the copy's
/// crates that have a build script.
fn workspace_crates_with_build_scripts(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() && name != "node_modules" && name != "web-playground" {
                dirs.push(path);
            }
        }
        let manifest = dir.join("Cargo.toml");
        if dir.join("build.rs").is_file() && manifest.is_file() {
            let name = read(&manifest).lines().find_map(|l| {
                l.trim()
                    .strip_prefix("name = \"")?
                    .strip_suffix('"')
                    .map(str::to_owned)
            });
            found.extend(name);
        }
    }
    found
}

/// Runs cargo in `root` with `target` as its target dir; returns stdout, failing on an error.
fn cargo(root: &Path, target: &Path, args: &[&str]) -> String {
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(args)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo {}:\n{}\n{}",
        args.join(" "),
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

/// Every file under `root`, by relative path.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let relative = path.strip_prefix(root).expect("under root").to_owned();
                files.insert(relative, std::fs::read(&path).expect("read file"));
            }
        }
    }
    files
}

fn assert_same_tree(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) {
    let mut differences = Vec::new();
    for (path, bytes) in after {
        match before.get(path) {
            None => differences.push(format!("added: {}", path.display())),
            Some(old) if old != bytes => differences.push(format!("changed: {}", path.display())),
            Some(_) => {}
        }
    }
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        differences.push(format!("removed: {}", path.display()));
    }
    assert!(
        differences.is_empty(),
        "the tree differs after removal:\n{}",
        differences.join("\n")
    );
}
