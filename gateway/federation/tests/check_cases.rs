//! Schema check cases: one folder per case under `tests/check/` with `old.graphql` and
//! `new.graphql` API schemas and the expected `changes.txt`; a case with `operations/`
//! also has the expected `operations.txt` (human report of the failures) and
//! `annotations.txt` (GitHub format). `UPDATE_EXPECT=1` rewrites the expectations.
use apollo_compiler::Schema;
use apollo_compiler::validation::Valid;
use federation::check::{CheckReport, Severity, check_operations, check_supergraphs, diff};
use federation::compose::{SubgraphInput, compose};
use std::fs;
use std::path::{Path, PathBuf};

fn schema(path: &Path) -> Valid<Schema> {
    let sdl = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Schema::parse_and_validate(sdl, path.display().to_string())
        .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.errors))
}

fn expect(path: &Path, actual: &str, update: bool) -> Result<(), String> {
    if update {
        return fs::write(path, actual).map_err(|e| e.to_string());
    }
    let expected = fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        return Err(format!(
            "{} differs:\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        ));
    }
    Ok(())
}

fn run_case(case: &Path, update: bool) -> Result<(), String> {
    let old = schema(&case.join("old.graphql"));
    let new = schema(&case.join("new.graphql"));
    let changes = diff(&old, &new);
    let printed: String = changes
        .iter()
        .map(|c| {
            format!(
                "{} {} {}: {}\n",
                c.severity, c.kind, c.coordinate, c.message
            )
        })
        .collect();
    expect(&case.join("changes.txt"), &printed, update)?;
    let ops_dir = case.join("operations");
    if ops_dir.is_dir() {
        let mut files: Vec<PathBuf> = fs::read_dir(&ops_dir)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        let operations: Vec<(String, String)> = files
            .iter()
            .map(|p| {
                let rel = format!(
                    "operations/{}",
                    p.file_name().and_then(|n| n.to_str()).unwrap_or_default()
                );
                (rel, fs::read_to_string(p).unwrap_or_default())
            })
            .collect();
        let report = CheckReport {
            changes,
            operations_checked: operations.len(),
            operation_failures: check_operations(&new, &operations),
        };
        expect(&case.join("report.txt"), &report.to_human(), update)?;
        expect(
            &case.join("annotations.txt"),
            &report.to_github_annotations("new.graphql"),
            update,
        )?;
        let json: serde_json::Value =
            serde_json::from_str(&report.to_json()).map_err(|e| e.to_string())?;
        if json["operation_failures"].as_array().map(Vec::len)
            != Some(report.operation_failures.len())
        {
            return Err(format!(
                "{}: JSON report lost failures: {json}",
                case.display()
            ));
        }
    }
    Ok(())
}

#[test]
fn check_cases() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check");
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/check exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 2);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| run_case(c, update).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn subgraph(name: &str, sdl: &str) -> SubgraphInput {
    SubgraphInput {
        name: name.into(),
        url: format!("http://{name}/graphql"),
        sdl: sdl.into(),
    }
}

const LINK: &str = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@inaccessible"])"#;

/// Compose two versions of a graph and check the second against the first, end to end.
#[test]
fn composed_supergraphs_are_checked_through_their_api_schemas() {
    let accounts = subgraph(
        "accounts",
        &format!(
            "{LINK}\ntype Query {{ me: User }}\ntype User @key(fields: \"id\") {{ id: ID! name: String internal: String @inaccessible }}"
        ),
    );
    let reviews_v1 = subgraph(
        "reviews",
        &format!("{LINK}\ntype User @key(fields: \"id\") {{ id: ID! reviews: [String] }}"),
    );
    let reviews_v2 = subgraph(
        "reviews",
        &format!("{LINK}\ntype User @key(fields: \"id\") {{ id: ID! reviewCount: Int }}"),
    );
    let old = compose(&[accounts.clone(), reviews_v1]).expect("v1 composes");
    let new = compose(&[accounts, reviews_v2]).expect("v2 composes");
    let operations = vec![(
        "me.graphql".to_string(),
        "{ me { name reviews } }".to_string(),
    )];
    let report = check_supergraphs(&old.sdl, &new.sdl, &operations).expect("both parse");
    let summary: Vec<String> = report
        .changes
        .iter()
        .map(|c| format!("{} {}", c.severity, c.coordinate))
        .collect();
    // Inaccessible fields and join machinery are not part of the API: no change reported.
    assert_eq!(summary, ["BREAKING User.reviews", "SAFE User.reviewCount"]);
    assert_eq!(report.operation_failures.len(), 1);
    assert!(!report.passed());
    assert_eq!(report.count(Severity::Breaking), 1);
}
