//! Composition cases: one folder per case under `tests/compose/`, with `subgraphs/*.graphql`
//! (optional `urls`: `name url` lines), and the expected `supergraph.graphql` (compared
//! exactly, then parsed by `Supergraph::parse`) or `errors.txt` (`CODE: message` per error),
//! plus an optional `hints.txt`. `UPDATE_EXPECT=1` rewrites the expectations: read the diff.
//!
//! Every expectation was compared with what Apollo's composition (`@apollo/composition`
//! 2.14.4) produces for the same subgraphs: the supergraphs, hints and error messages are
//! byte-identical, except `error-invalid-graphql` (parser wording), `error-invalid-supergraph`
//! (validation wording), `error-override-from-unknown-subgraph` (Apollo only hints) and
//! `error-unsupported-context` (Apollo supports `@context`).
use federation::Supergraph;
use federation::compose::{SubgraphInput, compose};
use std::fs;
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compose")
}

fn read_inputs(case: &Path) -> Vec<SubgraphInput> {
    let urls = fs::read_to_string(case.join("urls")).unwrap_or_default();
    let mut files: Vec<PathBuf> = fs::read_dir(case.join("subgraphs"))
        .unwrap_or_else(|e| panic!("{}: {e}", case.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let url = urls
                .lines()
                .find_map(|l| {
                    let (n, u) = l.trim().split_once(char::is_whitespace)?;
                    (n == name).then(|| u.trim().to_string())
                })
                .unwrap_or_else(|| format!("http://{name}/graphql"));
            let sdl =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            SubgraphInput { name, url, sdl }
        })
        .collect()
}

fn check_expectation(path: &Path, actual: &str, update: bool) -> Result<(), String> {
    if update {
        fs::write(path, actual).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(());
    }
    let expected = fs::read_to_string(path).unwrap_or_default();
    if expected.trim_end_matches('\n') != actual.trim_end_matches('\n') {
        return Err(format!(
            "{} differs:\n--- expected\n{expected}\n--- actual\n{actual}\n",
            path.display()
        ));
    }
    Ok(())
}

fn run_case(case: &Path, update: bool) -> Result<(), String> {
    let inputs = read_inputs(case);
    let expects_errors = case.join("errors.txt").exists();
    match compose(&inputs) {
        Ok(composed) => {
            if expects_errors && update {
                let _ = fs::remove_file(case.join("errors.txt"));
            } else if expects_errors {
                return Err(format!(
                    "{}: composed but errors were expected",
                    case.display()
                ));
            }
            check_expectation(
                &case.join("supergraph.graphql"),
                &format!("{}\n", composed.sdl),
                update,
            )?;
            if case.join("hints.txt").exists() {
                let hints: Vec<String> = composed.hints.iter().map(|h| h.to_string()).collect();
                check_expectation(
                    &case.join("hints.txt"),
                    &format!("{}\n", hints.join("\n")),
                    update,
                )?;
            }
            Supergraph::parse(&composed.sdl)
                .map_err(|e| format!("{}: our supergraph does not parse: {e}", case.display()))?;
            Ok(())
        }
        Err(errors) => {
            let printed: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            if update {
                let _ = fs::remove_file(case.join("supergraph.graphql"));
                let _ = fs::remove_file(case.join("hints.txt"));
            } else if !expects_errors {
                return Err(format!(
                    "{}: composition failed:\n{}",
                    case.display(),
                    printed.join("\n")
                ));
            }
            check_expectation(
                &case.join("errors.txt"),
                &format!("{}\n", printed.join("\n")),
                update,
            )
        }
    }
}

#[test]
fn composition_cases() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut cases: Vec<PathBuf> = fs::read_dir(cases_dir())
        .expect("tests/compose exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        update || cases.len() >= 10,
        "expected the composition cases, found {}",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| run_case(c, update).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_error_names_its_rule_and_coordinate() {
    let inputs = read_inputs(&cases_dir().join("error-field-sharing"));
    let errors = compose(&inputs).expect_err("must fail");
    let e = &errors[0];
    assert_eq!(e.code.as_str(), "INVALID_FIELD_SHARING");
    assert_eq!(e.coordinate.as_deref(), Some("Product.name"));
    assert!(e.subgraph.is_some());
}

/// Composition never panics, whatever the input: every case's subgraphs cut short at many
/// points must give a result or errors.
#[test]
fn truncated_subgraphs_give_errors_not_panics() {
    let mut cases: Vec<PathBuf> = fs::read_dir(cases_dir())
        .expect("tests/compose exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let mut runs = 0;
    for case in cases {
        let inputs = read_inputs(&case);
        for (i, input) in inputs.iter().enumerate() {
            let cuts: Vec<usize> = input
                .sdl
                .char_indices()
                .map(|(at, _)| at)
                .step_by(23)
                .collect();
            for cut in cuts {
                let mut variant = inputs.clone();
                variant[i].sdl = input.sdl[..cut].to_string();
                let _ = compose(&variant);
                runs += 1;
            }
        }
    }
    assert!(runs > 100, "only {runs} variants composed");
}
