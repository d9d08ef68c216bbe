//! `platform new subgraph <name>` and `platform new subgraph <name> --remove`: generate a
//! module that builds, runs and composes at once, or take a generated one out again.
//!
//! Generating writes the crate (`subgraphs/<name>/` from `templates/subgraph/`, embedded in
//! the binary), its `module.yaml`, migrations for both databases and `schema/<name>.graphql`,
//! then adds one line each to the root `Cargo.toml` (workspace member, workspace dependency,
//! CLI dependency) and `src/modules.rs` (the registry `platform dev` and `platform migrate`
//! use), its `subgraphs.<name>` section to `config/default.yaml`, its entry to
//! `schema/subgraphs.yaml`, and recomposes `schema/supergraph.graphql`. The port is the next
//! one after every port already configured. Removing undoes exactly those edits (and the
//! crate's entry in `Cargo.lock`, which the first build adds); built-in subgraphs are refused.
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail, ensure};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum NewCommand {
    /// A new subgraph module: crate, manifest, migrations, schema, registry entries.
    Subgraph {
        /// Lowercase letters, digits and underscores, starting with a letter.
        name: String,
        /// Remove a generated module instead (built-in subgraphs are refused).
        #[arg(long)]
        remove: bool,
        /// The workspace root.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

pub async fn run(command: NewCommand) -> anyhow::Result<()> {
    match command {
        NewCommand::Subgraph {
            name,
            remove: false,
            root,
        } => {
            let port = generate(&root, &name)?;
            println!(
                "created subgraph `{name}` on port {port}: subgraphs/{name}, migrations/{name}, \
                 schema/{name}.graphql, subgraphs.{name} in config/default.yaml"
            );
            recompose(&root).await;
            println!("next: `cargo test -p {name}`, then `cargo run` (see docs/modules.md)");
            Ok(())
        }
        NewCommand::Subgraph {
            name,
            remove: true,
            root,
        } => {
            remove(&root, &name)?;
            println!("removed subgraph `{name}`");
            recompose(&root).await;
            Ok(())
        }
    }
}

/// Brings `schema/supergraph.graphql` in line with `schema/subgraphs.yaml`. A failure (a
/// manifest entry that introspects a subgraph that is not running) only warns: the files are
/// written, and `platform schema compose` can be run later.
async fn recompose(root: &Path) {
    let schema = root.join("schema");
    let composed = crate::schema_cmd::compose_manifest(&schema.join("subgraphs.yaml")).await;
    let written = composed.and_then(|sdl| {
        crate::schema_cmd::write_replacing(&schema.join("supergraph.graphql"), &sdl)
    });
    match written {
        Ok(()) => println!("composed schema/supergraph.graphql"),
        Err(e) => eprintln!(
            "warning: schema/supergraph.graphql not recomposed ({e:#}); run `cargo run -- schema compose`"
        ),
    }
}

/// The registry file and its markers.
const REGISTRY: &str = "src/modules.rs";
const REGISTRY_END: &str = "// platform:new-subgraph:end";
/// The base configuration layer, where a module's `subgraphs.<name>` section goes.
const CONFIG: &str = "config/default.yaml";

/// Names that are taken: built-in crates, and words that cannot name a crate in Rust code.
const RESERVED: &[&str] = &[
    "identity",
    "authz",
    "audit",
    "blog",
    "kit",
    "permissions",
    "federation",
    "router",
    "gateway",
    "platform",
    "tests",
    "e2e",
    "schema",
    "templates",
    "std",
    "core",
    "alloc",
    "test",
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
];

/// The template files, embedded, with where each goes (`{name}` is replaced).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "subgraphs/{name}/Cargo.toml",
        include_str!("../templates/subgraph/Cargo.toml.tmpl"),
    ),
    (
        "subgraphs/{name}/module.yaml",
        include_str!("../templates/subgraph/module.yaml.tmpl"),
    ),
    (
        "subgraphs/{name}/src/lib.rs",
        include_str!("../templates/subgraph/src/lib.rs.tmpl"),
    ),
    (
        "subgraphs/{name}/src/graphql.rs",
        include_str!("../templates/subgraph/src/graphql.rs.tmpl"),
    ),
    (
        "subgraphs/{name}/src/store.rs",
        include_str!("../templates/subgraph/src/store.rs.tmpl"),
    ),
    (
        "subgraphs/{name}/tests/{name}.rs",
        include_str!("../templates/subgraph/tests/main.rs.tmpl"),
    ),
    (
        "schema/{name}.graphql",
        include_str!("../templates/subgraph/schema.graphql.tmpl"),
    ),
    (
        "migrations/{name}/postgres/{version}_{name}/up.sql",
        include_str!("../templates/subgraph/migrations/up.sql.tmpl"),
    ),
    (
        "migrations/{name}/postgres/{version}_{name}/down.sql",
        include_str!("../templates/subgraph/migrations/down.sql.tmpl"),
    ),
    (
        "migrations/{name}/sqlite/{version}_{name}/up.sql",
        include_str!("../templates/subgraph/migrations/up.sql.tmpl"),
    ),
    (
        "migrations/{name}/sqlite/{version}_{name}/down.sql",
        include_str!("../templates/subgraph/migrations/down.sql.tmpl"),
    ),
];

/// How a module's name is spelled in each place.
struct Names {
    /// `web_shop`: crate, module, tables, permission codes.
    snake: String,
    /// `WebShop`: Rust and GraphQL type names.
    pascal: String,
    /// `webShop`: GraphQL field names.
    camel: String,
    /// `WEB_SHOP`: permission constants.
    upper: String,
}

impl Names {
    fn new(name: &str) -> Self {
        let pascal: String = name
            .split('_')
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect();
        let mut camel = pascal.clone();
        if let Some(first) = camel.get_mut(0..1) {
            first.make_ascii_lowercase();
        }
        Self {
            snake: name.to_owned(),
            upper: name.to_ascii_uppercase(),
            pascal,
            camel,
        }
    }

    fn fill(&self, template: &str, port: u16) -> String {
        template
            .replace("{{name}}", &self.snake)
            .replace("{{Name}}", &self.pascal)
            .replace("{{camel}}", &self.camel)
            .replace("{{NAME}}", &self.upper)
            .replace("{{port}}", &port.to_string())
    }
}

pub fn check_name(name: &str) -> anyhow::Result<()> {
    let well_formed = name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
        && !name.contains("__");
    ensure!(
        well_formed,
        "`{name}` is not a module name: use lowercase letters, digits and single underscores, \
         starting with a letter (at most 32 characters)"
    );
    ensure!(
        !RESERVED.contains(&name),
        "`{name}` is taken (a built-in subgraph, crate or Rust keyword); choose another name"
    );
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The ports of the `listen:` and `routing_url:` lines in `text` (not comments, not other
/// services such as an OTLP collector).
fn loopback_ports(text: &str) -> impl Iterator<Item = u16> + '_ {
    text.lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("listen:") || line.starts_with("routing_url:"))
        .filter_map(|line| {
            let (_, after) = line.split_once("127.0.0.1:")?;
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
}

/// One past the highest port any service is configured on.
fn next_port(root: &Path) -> anyhow::Result<u16> {
    let mut highest = 4000;
    for file in [CONFIG, "schema/subgraphs.yaml"] {
        let path = root.join(file);
        if path.is_file() {
            highest = loopback_ports(&read(&path)?).fold(highest, u16::max);
        }
    }
    highest
        .checked_add(1)
        .context("no free port above the configured ones")
}

/// A migration version in diesel's `YYYY-MM-DD-HHMMSS` form, from the current UTC time.
fn migration_version() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}-{:02}{:02}{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Generates module `name` under `root`; returns its port.
pub fn generate(root: &Path, name: &str) -> anyhow::Result<u16> {
    check_name(name)?;
    let manifest_path = root.join("Cargo.toml");
    let manifest = read(&manifest_path)?;
    ensure!(
        manifest.contains("[workspace]"),
        "{} is not the workspace root (run from the repository root or pass --root)",
        root.display()
    );
    ensure!(
        !root.join("subgraphs").join(name).exists() && !root.join("migrations").join(name).exists(),
        "subgraphs/{name} or migrations/{name} already exists"
    );
    ensure!(
        !manifest
            .lines()
            .any(|l| l.trim_start().starts_with(&format!("{name} ="))
                || l.trim_start().starts_with(&format!("{name}.workspace"))),
        "`{name}` is already a dependency name in Cargo.toml; choose another name"
    );
    let registry_path = root.join(REGISTRY);
    let registry = read(&registry_path)?;
    ensure!(
        registry.contains(REGISTRY_END),
        "{REGISTRY} has lost its `{REGISTRY_END}` marker"
    );
    let config_path = root.join(CONFIG);
    let config = read(&config_path)?;
    let port = next_port(root)?;
    let names = Names::new(name);
    let version = migration_version();

    // Edits first, in memory, so a failure leaves nothing half-written.
    let manifest = add_to_manifest(&manifest, name)?;
    let registry = registry.replacen(
        REGISTRY_END,
        &format!("generated!({name}),\n    {REGISTRY_END}"),
        1,
    );
    let config = add_config_section(&config, name, port)?;
    let subgraphs_path = root.join("schema/subgraphs.yaml");
    let subgraphs = if subgraphs_path.is_file() {
        read(&subgraphs_path)?
    } else {
        "subgraphs:\n".to_owned()
    };
    let subgraphs = add_subgraph_entry(&subgraphs, name, port);

    for (path, template) in TEMPLATES {
        let path = path.replace("{name}", name).replace("{version}", &version);
        write(&root.join(path), &names.fill(template, port))?;
    }
    write(&manifest_path, &manifest)?;
    write(&registry_path, &registry)?;
    write(&config_path, &config)?;
    write(&subgraphs_path, &subgraphs)?;
    format_sources(root, name);
    Ok(port)
}

/// Line widths depend on the name, so the generated Rust is formatted after filling in. A
/// missing `rustfmt` only leaves the files unformatted.
fn format_sources(root: &Path, name: &str) {
    let files: Vec<PathBuf> = TEMPLATES
        .iter()
        .map(|(path, _)| root.join(path.replace("{name}", name)))
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    let status = std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .args(&files)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("warning: rustfmt did not format subgraphs/{name}; run `cargo fmt -p {name}`");
    }
}

/// The three lines a module adds to the root manifest.
fn manifest_lines(name: &str) -> [String; 3] {
    [
        format!("    \"subgraphs/{name}\","),
        format!("{name} = {{ path = \"subgraphs/{name}\" }}"),
        format!("{name}.workspace = true"),
    ]
}

fn add_to_manifest(manifest: &str, name: &str) -> anyhow::Result<String> {
    let [member, workspace_dep, cli_dep] = manifest_lines(name);
    let mut lines: Vec<String> = manifest.lines().map(str::to_owned).collect();
    // Workspace member: the last line of `members = [ ... ]`.
    let members = lines
        .iter()
        .position(|l| l.trim_start().starts_with("members = ["))
        .context("Cargo.toml has no `members = [` line")?;
    let close = lines[members..]
        .iter()
        .position(|l| l.trim() == "]")
        .map(|i| members + i)
        .context("Cargo.toml's members list is not closed by a `]` line")?;
    lines.insert(close, member);
    // Workspace dependency: after the last path dependency (our crates).
    let last_path = lines
        .iter()
        .rposition(|l| l.contains("= { path = \""))
        .context("Cargo.toml lists no path dependency in [workspace.dependencies]")?;
    lines.insert(last_path + 1, workspace_dep);
    // The CLI's dependency: at the end of the root package's [dependencies].
    let deps = lines
        .iter()
        .position(|l| l.trim() == "[dependencies]")
        .context("Cargo.toml has no [dependencies] section")?;
    let mut end = lines[deps + 1..]
        .iter()
        .position(|l| l.starts_with('['))
        .map_or(lines.len(), |i| deps + 1 + i);
    while end > deps + 1 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    lines.insert(end, cli_dep);
    Ok(lines.join("\n") + "\n")
}

/// The lines of `subgraphs.<name>` in `config/default.yaml`.
fn config_section(name: &str, port: u16) -> [String; 3] {
    [
        format!("  {name}:"),
        format!("    listen: 127.0.0.1:{port}"),
        format!("    database_url: sqlite://data/{name}.db"),
    ]
}

/// The line range of the top-level `subgraphs:` map: from its key to its last indented line.
fn subgraphs_block(lines: &[&str]) -> anyhow::Result<(usize, usize)> {
    let start = lines
        .iter()
        .position(|l| l.trim_end() == "subgraphs:")
        .with_context(|| format!("{CONFIG} has no top-level `subgraphs:` section"))?;
    let mut end = start;
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        if line.starts_with(' ') {
            end = i;
        } else if !line.trim().is_empty() {
            break;
        }
    }
    Ok((start, end))
}

/// `config/default.yaml` with `subgraphs.<name>` after the last subgraph.
fn add_config_section(config: &str, name: &str, port: u16) -> anyhow::Result<String> {
    let mut lines: Vec<&str> = config.lines().collect();
    let (start, end) = subgraphs_block(&lines)?;
    let key = format!("  {name}:");
    ensure!(
        !lines[start..=end].contains(&key.as_str()),
        "{CONFIG} already has a `subgraphs.{name}` section"
    );
    let section = config_section(name, port);
    for (i, line) in section.iter().enumerate() {
        lines.insert(end + 1 + i, line);
    }
    Ok(lines.join("\n") + "\n")
}

/// `config/default.yaml` without the lines `add_config_section` added.
fn remove_config_section(config: &str, name: &str) -> anyhow::Result<String> {
    let lines: Vec<&str> = config.lines().collect();
    let (start, end) = subgraphs_block(&lines)?;
    let key = format!("  {name}:");
    let Some(at) = lines[start..=end].iter().position(|l| *l == key) else {
        return Ok(config.to_owned());
    };
    let at = start + at;
    // The key and its indented settings.
    let stop = lines[at + 1..]
        .iter()
        .position(|l| !l.starts_with("    "))
        .map_or(lines.len(), |i| at + 1 + i);
    let kept: Vec<&str> = lines[..at].iter().chain(&lines[stop..]).copied().collect();
    Ok(kept.join("\n") + "\n")
}

/// `Cargo.lock` without the module's package and the CLI's dependency on it: what cargo
/// itself writes on the next build, done now so removal leaves the tree as it was.
fn remove_from_lockfile(lock: &str, name: &str) -> String {
    let ours = format!("name = \"{name}\"");
    let dependency = format!(" \"{name}\",");
    let mut out: Vec<&str> = Vec::new();
    // Packages are blocks separated by blank lines; ours is the path package named `name`
    // (no `source` line: a registry crate of the same name is left alone).
    let blocks: Vec<&str> = lock.split("\n\n").collect();
    for block in &blocks {
        let lines: Vec<&str> = block.lines().collect();
        let is_ours = lines.first().is_some_and(|l| *l == "[[package]]")
            && lines.get(1).is_some_and(|l| *l == ours)
            && !lines.iter().any(|l| l.starts_with("source = "));
        if !is_ours {
            out.push(block);
        }
    }
    let mut text = out.join("\n\n");
    if lock.ends_with('\n') && !text.ends_with('\n') {
        text.push('\n');
    }
    // The dependency line, in the root package (`platform`) only.
    let mut result = String::new();
    let mut in_platform = false;
    for line in text.split_inclusive('\n') {
        if line.starts_with("name = ") {
            in_platform = line.trim_end() == "name = \"platform\"";
        }
        if in_platform && line.trim_end() == dependency {
            continue;
        }
        result.push_str(line);
    }
    result
}

fn subgraph_entry(name: &str, port: u16) -> String {
    format!(
        "  - name: {name}\n    routing_url: http://127.0.0.1:{port}/graphql\n    schema:\n      file: {name}.graphql\n"
    )
}

fn add_subgraph_entry(subgraphs: &str, name: &str, port: u16) -> String {
    let mut text = subgraphs.to_owned();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text + &subgraph_entry(name, port)
}

/// Removes generated module `name` from `root`: its files and every line generation added.
pub fn remove(root: &Path, name: &str) -> anyhow::Result<()> {
    check_name(name)?;
    let registry_path = root.join(REGISTRY);
    let registry = read(&registry_path)?;
    let registered = |line: &str| {
        line.trim()
            .strip_prefix("generated!(")
            .and_then(|rest| rest.split([',', ')']).next())
            .is_some_and(|n| n.trim() == name)
    };
    if !registry.lines().any(registered) {
        bail!("`{name}` is not a generated module (not in {REGISTRY}); nothing removed");
    }
    let manifest_path = root.join("Cargo.toml");
    let manifest = read(&manifest_path)?;
    let lines = manifest_lines(name);
    let manifest: String = manifest
        .lines()
        .filter(|l| !lines.iter().any(|ours| ours == l))
        .map(|l| format!("{l}\n"))
        .collect();
    let registry: String = registry
        .lines()
        .filter(|l| !registered(l))
        .map(|l| format!("{l}\n"))
        .collect();
    let config_path = root.join(CONFIG);
    let config = remove_config_section(&read(&config_path)?, name)?;
    let subgraphs_path = root.join("schema/subgraphs.yaml");
    if subgraphs_path.is_file() {
        let subgraphs = read(&subgraphs_path)?;
        write(&subgraphs_path, &remove_subgraph_entry(&subgraphs, name))?;
    }
    let lock_path = root.join("Cargo.lock");
    if lock_path.is_file() {
        let lock = read(&lock_path)?;
        write(&lock_path, &remove_from_lockfile(&lock, name))?;
    }
    write(&manifest_path, &manifest)?;
    write(&registry_path, &registry)?;
    write(&config_path, &config)?;
    for dir in [
        root.join("subgraphs").join(name),
        root.join("migrations").join(name),
    ] {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove {}", dir.display()))?;
        }
    }
    let schema = root.join("schema").join(format!("{name}.graphql"));
    if schema.exists() {
        std::fs::remove_file(&schema)
            .with_context(|| format!("cannot remove {}", schema.display()))?;
    }
    Ok(())
}

/// `subgraphs.yaml` without the entry `- name: <name>` (up to the next entry).
fn remove_subgraph_entry(subgraphs: &str, name: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in subgraphs.lines() {
        let trimmed = line.trim_start();
        if let Some(entry) = trimmed.strip_prefix("- name:") {
            skipping = entry.trim() == name;
        } else if !line.starts_with(' ') && !line.is_empty() {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests;
