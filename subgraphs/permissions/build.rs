//! Reads `subgraphs/*/module.yaml` and generates, in `$OUT_DIR/manifests.rs`, one constant per
//! permission code (`blog.post.publish` -> `BLOG_POST_PUBLISH`), one per event type (in
//! `events`), and the `MODULES` table. A malformed manifest fails the build with its path.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    module: String,
    subgraph: String,
    #[serde(default)]
    permissions: Vec<Permission>,
    #[serde(default)]
    events: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Permission {
    code: String,
    description: String,
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let subgraphs = root.parent().expect("subgraphs dir").to_path_buf();
    println!("cargo:rerun-if-changed={}", subgraphs.display());
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&subgraphs)
        .expect("read subgraphs/")
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("module.yaml"))
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    let mut manifests = Vec::new();
    for path in &paths {
        println!("cargo:rerun-if-changed={}", path.display());
        manifests.push(read(path));
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("manifests.rs");
    std::fs::write(&out, generate(&manifests)).expect("write generated manifests");
}

fn read(path: &Path) -> Manifest {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let manifest: Manifest =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for permission in &manifest.permissions {
        let parts: Vec<&str> = permission.code.split('.').collect();
        let well_formed = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        assert!(
            well_formed && parts[0] == manifest.module,
            "{}: permission `{}` must be `{}.<resource>.<action>` (lowercase, underscores)",
            path.display(),
            permission.code,
            manifest.module
        );
    }
    manifest
}

fn const_name(code: &str) -> String {
    code.replace('.', "_").to_ascii_uppercase()
}

fn generate(manifests: &[Manifest]) -> String {
    let mut out = String::new();
    let mut modules = String::new();
    let mut events = String::new();
    for m in manifests {
        let mut permissions = String::new();
        for p in &m.permissions {
            let _ = writeln!(
                out,
                "/// {}\npub const {}: &str = {:?};",
                p.description,
                const_name(&p.code),
                p.code
            );
            let _ = write!(
                permissions,
                "PermissionDecl {{ code: {:?}, description: {:?} }}, ",
                p.code, p.description
            );
        }
        for e in &m.events {
            let _ = writeln!(events, "    pub const {}: &str = {:?};", const_name(e), e);
        }
        let event_list: Vec<String> = m.events.iter().map(|e| format!("{e:?}")).collect();
        let _ = writeln!(
            modules,
            "    ModuleManifest {{ module: {:?}, subgraph: {:?}, permissions: &[{permissions}], events: &[{}] }},",
            m.module,
            m.subgraph,
            event_list.join(", ")
        );
    }
    let _ = write!(
        out,
        "/// Event types declared by the manifests.\npub mod events {{\n{events}}}\n\n\
         /// Every module's manifest, by module name.\npub static MODULES: &[ModuleManifest] = &[\n{modules}];\n"
    );
    out
}
