//! `platform schema print|compose|check`: the schema workflow. Each subgraph's SDL is printed
//! from its code into `schema/<name>.graphql`; `schema/subgraphs.yaml` says what composes into
//! `schema/supergraph.graphql`; `check` tells what a change does to clients. The logic is
//! `federation::compose` and `federation::check`; this file reads files, fetches SDLs and
//! decides exit codes.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use federation::check::{SchemaSource, SubgraphsManifest};
use federation::compose::{CompositionError, SubgraphInput};

/// The subgraphs whose crates print their SDL (`platform schema print`).
pub const PRINTABLE: [&str; 4] = ["identity", "authz", "audit", "blog"];

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Print a subgraph's SDL from its code (what `schema/<name>.graphql` holds).
    Print {
        /// identity, authz, audit or blog
        name: String,
    },
    /// Compose the subgraphs of the manifest into the supergraph file.
    Compose {
        #[arg(long, default_value = "schema/subgraphs.yaml")]
        manifest: PathBuf,
        #[arg(long, default_value = "schema/supergraph.graphql")]
        output: PathBuf,
        /// Write nothing; fail when the output file differs from the composition.
        #[arg(long)]
        check: bool,
    },
    /// Compose the proposed subgraphs, diff against the current supergraph's API schema and
    /// validate the client operations; fails on breaking changes or failing operations.
    Check {
        #[arg(long, default_value = "schema/subgraphs.yaml")]
        manifest: PathBuf,
        /// The supergraph clients use today.
        #[arg(long, default_value = "schema/supergraph.graphql")]
        against: PathBuf,
        /// Folder of client operations (`**/*.graphql`).
        #[arg(long, default_value = "schema/operations")]
        operations: PathBuf,
        #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
        format: ReportFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
    /// GitHub Actions annotations.
    Github,
}

pub async fn run(command: SchemaCommand) -> anyhow::Result<()> {
    match command {
        SchemaCommand::Print { name } => {
            println!("{}", subgraph_sdl(&name)?);
            Ok(())
        }
        SchemaCommand::Compose {
            manifest,
            output,
            check,
        } => {
            let sdl = compose_manifest(&manifest).await?;
            if check {
                let committed = read(&output)?;
                anyhow::ensure!(
                    committed == sdl,
                    "{} is stale: regenerate it with `cargo run -- schema compose`",
                    output.display()
                );
                println!("{} is up to date", output.display());
            } else {
                write_replacing(&output, &sdl)?;
                println!("wrote {}", output.display());
            }
            Ok(())
        }
        SchemaCommand::Check {
            manifest,
            against,
            operations,
            format,
        } => {
            let proposed = compose_manifest(&manifest).await?;
            let current = read(&against)?;
            let operations = read_operations(&operations)?;
            let report = federation::check::check_supergraphs(&current, &proposed, &operations)?;
            match format {
                ReportFormat::Human => print!("{}", report.to_human()),
                ReportFormat::Json => println!("{}", report.to_json()),
                ReportFormat::Github => {
                    print!(
                        "{}",
                        report.to_github_annotations(&against.display().to_string())
                    );
                }
            }
            anyhow::ensure!(
                report.passed(),
                "schema check failed: {} breaking change(s), {} failing operation(s)",
                report.count(federation::check::Severity::Breaking),
                report.operation_failures.len()
            );
            Ok(())
        }
    }
}

/// A subgraph's federation SDL, printed by its crate from the code.
pub fn subgraph_sdl(name: &str) -> anyhow::Result<String> {
    if let Some(module) = crate::modules::find(name) {
        return Ok((module.sdl)());
    }
    crate::subgraphs::check_name(name)?;
    match name {
        "identity" => Ok(identity::graphql::sdl()),
        "authz" => Ok(authz::graphql::sdl()),
        "audit" => Ok(audit::graphql::sdl()),
        "blog" => Ok(blog::graphql::sdl()),
        other => anyhow::bail!(
            "{other}: not wired into the platform CLI yet; printable: {}",
            PRINTABLE.join(", ")
        ),
    }
}

/// Reads the manifest, gets every SDL (file or running subgraph) and composes. The result
/// ends with a newline, as committed files do.
pub(crate) async fn compose_manifest(manifest_path: &Path) -> anyhow::Result<String> {
    let manifest = SubgraphsManifest::from_yaml(&read(manifest_path)?)
        .with_context(|| format!("in {}", manifest_path.display()))?;
    // Files are relative to the manifest's folder, so the manifest works from any directory.
    let base = manifest_path.parent().unwrap_or(Path::new("."));
    let mut sdl_by_name = HashMap::new();
    for entry in &manifest.subgraphs {
        let sdl = match &entry.schema {
            SchemaSource::File { file } => {
                read(&base.join(file)).with_context(|| format!("subgraph `{}`", entry.name))?
            }
            SchemaSource::Introspect { introspect_url } => fetch_sdl(introspect_url)
                .await
                .with_context(|| format!("subgraph `{}`", entry.name))?,
        };
        sdl_by_name.insert(entry.name.clone(), sdl);
    }
    let inputs: Vec<SubgraphInput> = manifest.inputs(&sdl_by_name)?;
    match federation::compose::compose(&inputs) {
        Ok(composed) => {
            for hint in &composed.hints {
                let at = hint.coordinate.as_deref().unwrap_or("-");
                eprintln!("hint[{}] {at}: {}", hint.code, hint.message);
            }
            Ok(format!("{}\n", composed.sdl))
        }
        Err(errors) => {
            for error in &errors {
                eprintln!("{}", describe(error));
            }
            anyhow::bail!(
                "composition of {} failed with {} error(s)",
                manifest_path.display(),
                errors.len()
            )
        }
    }
}

/// One composition error on one line: code, subgraph, coordinate, message.
fn describe(error: &CompositionError) -> String {
    format!(
        "error[{}] subgraph {} at {}: {}",
        error.code.as_str(),
        error.subgraph.as_deref().unwrap_or("-"),
        error.coordinate.as_deref().unwrap_or("-"),
        error.message
    )
}

/// Asks a running subgraph for `{ _service { sdl } }`.
async fn fetch_sdl(url: &str) -> anyhow::Result<String> {
    let response = reqwest::Client::new()
        .post(url)
        .json(&serde_json::json!({ "query": "{ _service { sdl } }" }))
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .await
        .with_context(|| format!("{url} answered {status} without a GraphQL response"))?;
    body.pointer("/data/_service/sdl")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("{url} answered {status} without `_service.sdl`: {body}"))
}

/// Every `*.graphql` under `dir`, sorted, as `(path, text)`.
fn read_operations(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    collect_graphql_files(dir, &mut files)
        .with_context(|| format!("cannot list operations in {}", dir.display()))?;
    files.sort();
    files
        .into_iter()
        .map(|path| Ok((path.display().to_string(), read(&path)?)))
        .collect()
}

fn collect_graphql_files(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_graphql_files(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "graphql") {
            files.push(path);
        }
    }
    Ok(())
}

/// Writes beside `path` then renames over it: a running gateway watching the file never reads
/// half of it.
pub(crate) fn write_replacing(path: &Path, content: &str) -> anyhow::Result<()> {
    let mut aside = path.as_os_str().to_owned();
    aside.push(".next");
    let aside = PathBuf::from(aside);
    std::fs::write(&aside, content).with_context(|| format!("cannot write {}", aside.display()))?;
    std::fs::rename(&aside, path).with_context(|| format!("cannot replace {}", path.display()))
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}
