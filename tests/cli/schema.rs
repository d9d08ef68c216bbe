//! `platform schema print|compose|check` and `platform query-plan` on the repository's schema
//! folder, and on temp copies with changes.
use serde_json::Value;

use crate::{arg, platform, read, repo, stderr, stdout};

const SUBGRAPHS: [&str; 4] = ["identity", "authz", "audit", "blog"];

#[test]
fn committed_subgraph_schemas_match_the_code() {
    for name in SUBGRAPHS {
        let output = platform(&["schema", "print", name]);
        assert!(output.status.success(), "{}", stderr(&output));
        let committed = read(&repo().join(format!("schema/{name}.graphql")));
        assert!(
            stdout(&output) == committed,
            "schema/{name}.graphql is stale: regenerate it with \
             `cargo run -- schema print {name} > schema/{name}.graphql`"
        );
    }
}

#[test]
fn committed_supergraph_matches_the_composition() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output_path = dir.path().join("supergraph.graphql");
    let output = platform(&["schema", "compose", "--output", arg(&output_path)]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        read(&output_path) == read(&repo().join("schema/supergraph.graphql")),
        "schema/supergraph.graphql is stale: regenerate it with `cargo run -- schema compose`"
    );
    // `--check` agrees, and refuses a stale file.
    let output = platform(&["schema", "compose", "--check"]);
    assert!(output.status.success(), "{}", stderr(&output));
    std::fs::write(&output_path, "type Query { stale: Int }\n").expect("write");
    let output = platform(&[
        "schema",
        "compose",
        "--check",
        "--output",
        arg(&output_path),
    ]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("is stale: regenerate it with `cargo run -- schema compose`"));
}

#[test]
fn unknown_subgraph_is_refused_by_name() {
    let output = platform(&["schema", "print", "nope"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("unknown subgraph `nope`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_check_on_the_repository_passes() {
    let output = platform(&["schema", "check", "--format", "json"]);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let report: Value = serde_json::from_str(&stdout(&output)).expect("a JSON report");
    assert!(
        report["changes"].as_array().is_some_and(Vec::is_empty),
        "{report}"
    );
    assert!(
        report["operation_failures"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "{report}"
    );
    let operations = std::fs::read_dir(repo().join("schema/operations"))
        .expect("schema/operations")
        .count();
    assert!(operations > 0);
    assert!(
        report["operations_checked"].as_u64() >= Some(operations as u64),
        "{report}"
    );

    let human = platform(&["schema", "check"]);
    assert!(human.status.success());
    assert!(
        stdout(&human).contains("Check passed"),
        "{}",
        stdout(&human)
    );
}

/// A copy of the schema folder whose identity SDL lost `User.username`, which the committed
/// `me` operation reads.
pub fn schema_without_username() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for file in schema_sources() {
        let text = read(&repo().join("schema").join(&file));
        let text = if file == "identity.graphql" {
            // Only `User`'s: `RegisterInput` has a `username` too.
            let mut in_user = false;
            let without: Vec<&str> = text
                .lines()
                .filter(|line| {
                    if line.starts_with("type ") || line.starts_with("input ") {
                        in_user = line.starts_with("type User ");
                    }
                    !(in_user && line.trim() == "username: String!")
                })
                .collect();
            assert_eq!(
                without.len() + 1,
                text.lines().count(),
                "one `username` field removed"
            );
            without.join("\n") + "\n"
        } else {
            text
        };
        std::fs::write(dir.path().join(file), text).expect("write the copy");
    }
    dir
}

/// The manifest and every subgraph SDL in `schema/` (not the supergraph).
fn schema_sources() -> Vec<String> {
    std::fs::read_dir(repo().join("schema"))
        .expect("schema/")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| {
            name == "subgraphs.yaml" || (name.ends_with(".graphql") && name != "supergraph.graphql")
        })
        .collect()
}

#[test]
fn a_removed_field_fails_the_check_with_the_change_and_the_broken_operation() {
    let dir = schema_without_username();
    let manifest = dir.path().join("subgraphs.yaml");
    let output = platform(&[
        "schema",
        "check",
        "--manifest",
        arg(&manifest),
        "--format",
        "json",
    ]);
    assert!(!output.status.success(), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("schema check failed: 1 breaking change(s)"),
        "{}",
        stderr(&output)
    );
    let report: Value = serde_json::from_str(&stdout(&output)).expect("a JSON report");
    let changes = report["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{report}");
    assert_eq!(changes[0]["severity"], "BREAKING", "{report}");
    assert_eq!(changes[0]["kind"], "FIELD_REMOVED", "{report}");
    assert_eq!(changes[0]["coordinate"], "User.username", "{report}");
    // Exactly the operations that read `username` fail.
    let mut failed: Vec<String> = report["operation_failures"]
        .as_array()
        .expect("failures")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .filter_map(|p| p.rsplit('/').next().map(str::to_owned))
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        [
            "login.graphql",
            "me.graphql",
            "my_activity.graphql",
            "post_by_slug.graphql",
            "post_list.graphql"
        ],
        "{report}"
    );

    let human = platform(&["schema", "check", "--manifest", arg(&manifest)]);
    assert!(!human.status.success());
    assert!(
        stdout(&human).contains("Check failed"),
        "{}",
        stdout(&human)
    );
    assert!(
        stdout(&human).contains("User.username"),
        "{}",
        stdout(&human)
    );

    let github = platform(&[
        "schema",
        "check",
        "--manifest",
        arg(&manifest),
        "--format",
        "github",
    ]);
    assert!(!github.status.success());
    assert!(
        stdout(&github).contains("::error file=schema/supergraph.graphql"),
        "{}",
        stdout(&github)
    );
}

#[test]
fn composition_errors_name_the_code_subgraph_and_coordinate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sdl = "extend schema @link(url: \"https://specs.apollo.dev/federation/v2.3\", import: [\"@key\"])\n\
               type Query { shared: String }\n";
    std::fs::write(dir.path().join("a.graphql"), sdl).expect("write a");
    std::fs::write(dir.path().join("b.graphql"), sdl).expect("write b");
    std::fs::write(
        dir.path().join("subgraphs.yaml"),
        "subgraphs:\n\
         - {name: a, routing_url: 'http://127.0.0.1:1/graphql', schema: {file: a.graphql}}\n\
         - {name: b, routing_url: 'http://127.0.0.1:2/graphql', schema: {file: b.graphql}}\n",
    )
    .expect("write manifest");
    let out = dir.path().join("supergraph.graphql");
    let manifest = dir.path().join("subgraphs.yaml");
    let output = platform(&[
        "schema",
        "compose",
        "--manifest",
        arg(&manifest),
        "--output",
        arg(&out),
    ]);
    assert!(!output.status.success());
    let errors = stderr(&output);
    assert!(errors.contains("error[INVALID_FIELD_SHARING]"), "{errors}");
    assert!(errors.contains("Query.shared"), "{errors}");
    assert!(errors.contains("composition of"), "{errors}");
    assert!(!out.exists(), "nothing is written on failure");
}

#[test]
fn query_plan_prints_the_plan() {
    let query = repo().join("schema/operations/identity/me.graphql");
    let output = platform(&["query-plan", "--query", arg(&query)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let plan = stdout(&output);
    assert!(plan.contains("QueryPlan"), "{plan}");
    assert!(plan.contains("Fetch(service: \"identity\")"), "{plan}");

    let output = platform(&[
        "query-plan",
        "--query",
        arg(&query),
        "--operation-name",
        "Missing",
    ]);
    assert!(!output.status.success());
}

/// `introspect_url`: the SDL a running subgraph serves composes to the committed supergraph.
#[tokio::test]
async fn compose_reads_a_running_subgraphs_sdl() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = crate::gateway::free_port();
    let url = format!("http://127.0.0.1:{port}/graphql");
    let mut child = crate::gateway::Running(
        std::process::Command::new(env!("CARGO_BIN_EXE_platform"))
            .args(["--env", "test", "subgraph", "audit"])
            .current_dir(repo())
            .env(
                "PLATFORM__SUBGRAPHS__AUDIT__LISTEN",
                format!("127.0.0.1:{port}"),
            )
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start `platform subgraph audit`"),
    );
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let answered = client
            .post(&url)
            .json(&serde_json::json!({"query": "{ _service { sdl } }"}))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if answered {
            break;
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("the audit subgraph exited: {status}");
        }
        assert!(std::time::Instant::now() < deadline, "audit never answered");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The committed schema folder, with audit's SDL asked from the running subgraph.
    for file in schema_sources() {
        if file != "audit.graphql" {
            let text = read(&repo().join("schema").join(&file));
            std::fs::write(dir.path().join(&file), text).expect("copy");
        }
    }
    let manifest = dir.path().join("subgraphs.yaml");
    let from_file = "file: audit.graphql";
    let text = read(&manifest);
    assert!(text.contains(from_file), "{text}");
    std::fs::write(
        &manifest,
        text.replace(from_file, &format!("introspect_url: {url}")),
    )
    .expect("write manifest");
    let output_path = dir.path().join("supergraph.graphql");
    let output = platform(&[
        "schema",
        "compose",
        "--manifest",
        arg(&manifest),
        "--output",
        arg(&output_path),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(read(&output_path) == read(&repo().join("schema/supergraph.graphql")));

    // A subgraph that is down is named in the error.
    drop(child);
    let output = platform(&[
        "schema",
        "compose",
        "--manifest",
        arg(&manifest),
        "--output",
        arg(&output_path),
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("subgraph `audit`"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains(&format!("cannot reach {url}")),
        "{}",
        stderr(&output)
    );
}
