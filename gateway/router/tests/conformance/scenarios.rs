//! Walks `scenarios/<name>/`: starts a fixture subgraph per `subgraphs/<sub>.graphql`, serves
//! `supergraph.graphql` with the real gateway, sends `operation.graphql` (+ `variables.json`,
//! `request.json`) and compares the response with `expected.json` and the subgraph calls with
//! `calls.json`. Scenarios named in `pending.txt` are expected to fail (planner bugs).
//!
//! `expected.json`: `data` is compared exactly; `errors` as a set, each expected error matching
//! an actual one on every key it lists (so a transport message can be left out).
//! `calls.json`: per subgraph `{"count": n, "variables": [..]?, "authorization": ..?}`, and
//! optionally `"$sequence": ["sub", ..]` for the global order of calls.
//! `request.json`: `{"operationName": .., "headers": {..}, "timeouts": {"<sub>": ms},
//! "overrideLabels": [..]}` (the last two set the gateway's configuration).
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use router::{Gateway, GatewayConfig, SupergraphState};
use serde_json::{Value as Json, json};

use crate::fixture::{self, CallLog};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/scenarios")
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_json(path: &Path) -> Result<Option<Json>, String> {
    if !path.exists() {
        return Ok(None);
    }
    serde_json::from_str(&read(path)?)
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_scenarios() {
    let dir = scenarios_dir();
    let pending: Vec<String> = std::fs::read_to_string(dir.join("../pending.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("scenarios dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let only = std::env::var("SCENARIO").ok();
    let mut failures = Vec::new();
    let (mut passed, mut pending_failed) = (0, 0);
    for name in &names {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let result = run_scenario(&dir.join(name)).await;
        let is_pending = pending.contains(name);
        match (result, is_pending) {
            (Ok(()), false) => passed += 1,
            (Ok(()), true) => {
                passed += 1;
                println!("PENDING scenario now passes, remove it from pending.txt: {name}");
            }
            (Err(message), true) => {
                pending_failed += 1;
                println!(
                    "pending (expected failure): {name}\n    {}",
                    message.replace('\n', "\n    ")
                );
            }
            (Err(message), false) => failures.push(format!("{name}: {message}")),
        }
    }
    println!(
        "conformance: {passed} passed, {} failed, {pending_failed} pending of {} scenarios",
        failures.len(),
        names.len()
    );
    assert!(
        failures.is_empty(),
        "failing scenarios:\n\n{}",
        failures.join("\n\n")
    );
}

async fn run_scenario(dir: &Path) -> Result<(), String> {
    let calls: CallLog = Arc::new(Mutex::new(Vec::new()));
    let mut config = GatewayConfig::default();
    config.pool.timeout_ms = 5_000;
    let mut servers = Vec::new();
    let subgraph_dir = dir.join("subgraphs");
    let mut entries: Vec<_> = std::fs::read_dir(&subgraph_dir)
        .map_err(|e| format!("{}: {e}", subgraph_dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .collect();
    entries.sort();
    for sdl_path in entries {
        let name = sdl_path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or("bad subgraph file name")?
            .to_string();
        let data = read_json(&sdl_path.with_extension("json"))?.unwrap_or_else(|| json!({}));
        let url = if data.get("$down").and_then(Json::as_bool) == Some(true) {
            fixture::closed_url().await
        } else {
            let server = fixture::start(&name, &read(&sdl_path)?, data, calls.clone())
                .await
                .map_err(|e| format!("fixture subgraph `{name}`: {e}"))?;
            let url = server.url.clone();
            servers.push(server);
            url
        };
        config.subgraphs.insert(
            name,
            router::config::SubgraphOverride {
                url: Some(url),
                timeout_ms: None,
            },
        );
    }
    let request = read_json(&dir.join("request.json"))?.unwrap_or_else(|| json!({}));
    if let Some(timeouts) = request.get("timeouts").and_then(Json::as_object) {
        for (name, ms) in timeouts {
            if let Some(subgraph) = config.subgraphs.get_mut(name) {
                subgraph.timeout_ms = ms.as_u64();
            }
        }
    }
    if let Some(labels) = request.get("overrideLabels").and_then(Json::as_array) {
        config.enabled_override_labels = labels
            .iter()
            .filter_map(|l| l.as_str().map(str::to_string))
            .collect();
    }
    let supergraph = read(&dir.join("supergraph.graphql"))?;
    let state =
        SupergraphState::from_sdl(&supergraph, &config).map_err(|e| format!("supergraph: {e}"))?;
    let gateway = Arc::new(Gateway::new(state, config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(router::serve_on(listener, gateway, async {
        let _ = stopped.await;
    }));

    let operation = read(&dir.join("operation.graphql"))?;
    let variables = read_json(&dir.join("variables.json"))?;
    let mut body = json!({"query": operation});
    if let Some(variables) = variables {
        body["variables"] = variables;
    }
    if let Some(name) = request.get("operationName") {
        body["operationName"] = name.clone();
    }
    let client = reqwest::Client::new();
    let mut http = client
        .post(format!("http://{addr}/graphql"))
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json");
    if let Some(headers) = request.get("headers").and_then(Json::as_object) {
        for (k, v) in headers {
            http = http.header(k.as_str(), v.as_str().unwrap_or_default());
        }
    }
    let response = http
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("gateway request: {e}"))?;
    let status = response.status().as_u16();
    let actual: Json = response
        .json()
        .await
        .map_err(|e| format!("gateway response: {e}"))?;
    let _ = stop.send(());
    let _ = server.await;

    let expected = read_json(&dir.join("expected.json"))?.ok_or("expected.json is missing")?;
    let calls = calls.lock().map_err(|_| "call log poisoned")?.clone();
    let mut problems = Vec::new();
    if let Some(want) = expected.get("$status").and_then(Json::as_u64)
        && want != u64::from(status)
    {
        problems.push(format!("HTTP status {status}, expected {want}"));
    }
    compare_response(&expected, &actual, &mut problems);
    if let Some(want_calls) = read_json(&dir.join("calls.json"))? {
        compare_calls(&want_calls, &calls, &mut problems);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let log = calls
            .iter()
            .map(|c| format!("  -> {}: {} {}", c.subgraph, c.query, c.variables))
            .collect::<Vec<_>>()
            .join("\n");
        Err(format!(
            "{}\nactual response: {actual}\nsubgraph calls:\n{log}",
            problems.join("\n")
        ))
    }
}

fn compare_response(expected: &Json, actual: &Json, problems: &mut Vec<String>) {
    if expected.get("data") != actual.get("data") {
        problems.push(format!(
            "data differs\n  expected: {}\n  actual:   {}",
            expected
                .get("data")
                .map_or("<absent>".into(), Json::to_string),
            actual
                .get("data")
                .map_or("<absent>".into(), Json::to_string)
        ));
    }
    let want = expected
        .get("errors")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let got = actual
        .get("errors")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    if want.len() != got.len() {
        problems.push(format!("{} errors, expected {}", got.len(), want.len()));
    }
    let mut unmatched: Vec<&Json> = got.iter().collect();
    for error in &want {
        match unmatched.iter().position(|g| subset(error, g)) {
            Some(i) => {
                unmatched.remove(i);
            }
            None => problems.push(format!("no error matches {error}")),
        }
    }
}

/// Every key of `want` is in `got` with a matching value (objects recursively).
fn subset(want: &Json, got: &Json) -> bool {
    match (want, got) {
        (Json::Object(w), Json::Object(g)) => w
            .iter()
            .all(|(k, v)| g.get(k).is_some_and(|gv| subset(v, gv))),
        _ => want == got,
    }
}

fn compare_calls(want: &Json, calls: &[fixture::Call], problems: &mut Vec<String>) {
    let Some(want) = want.as_object() else {
        problems.push("calls.json must be an object".into());
        return;
    };
    let mut subgraphs: Vec<&str> = calls.iter().map(|c| c.subgraph.as_str()).collect();
    subgraphs.sort();
    subgraphs.dedup();
    for name in subgraphs {
        if !want.contains_key(name) {
            let count = calls.iter().filter(|c| c.subgraph == name).count();
            problems.push(format!("unexpected {count} call(s) to `{name}`"));
        }
    }
    for (name, spec) in want {
        if name == "$sequence" {
            let actual: Vec<Json> = calls
                .iter()
                .map(|c| Json::String(c.subgraph.clone()))
                .collect();
            if spec.as_array() != Some(&actual) {
                problems.push(format!("call sequence {actual:?}, expected {spec}"));
            }
            continue;
        }
        let mine: Vec<&fixture::Call> = calls.iter().filter(|c| &c.subgraph == name).collect();
        if let Some(count) = spec.get("count").and_then(Json::as_u64)
            && count as usize != mine.len()
        {
            problems.push(format!(
                "`{name}` called {} time(s), expected {count}",
                mine.len()
            ));
        }
        if let Some(Json::Array(variables)) = spec.get("variables") {
            let actual: Vec<Json> = mine.iter().map(|c| c.variables.clone()).collect();
            if &actual != variables {
                problems.push(format!(
                    "`{name}` variables {}, expected {}",
                    Json::Array(actual),
                    Json::Array(variables.clone())
                ));
            }
        }
        if let Some(auth) = spec.get("authorization") {
            for call in &mine {
                if call.authorization.as_deref() != auth.as_str() {
                    problems.push(format!(
                        "`{name}` got authorization {:?}, expected {auth}",
                        call.authorization
                    ));
                }
            }
        }
    }
}
