//! `platform keys rotate` and `platform mail` against a real SQLite database.
use std::process::{Command, Output};

use crate::{repo, stderr, stdout};

fn platform_on(db_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_platform"))
        .args(args)
        .current_dir(repo())
        .env("PLATFORM__SUBGRAPHS__IDENTITY__DATABASE_URL", db_url)
        .env("PLATFORM__LOG__LEVEL", "warn")
        .output()
        .expect("the platform binary runs")
}

fn new_kid(output: &Output) -> String {
    assert!(output.status.success(), "{}", stderr(output));
    stdout(output)
        .lines()
        .find_map(|l| l.strip_prefix("new signing key: "))
        .unwrap_or_else(|| panic!("no new key in {}", stdout(output)))
        .to_string()
}

#[test]
fn rotating_keys_retires_the_previous_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/identity.db", dir.path().display());
    let first = new_kid(&platform_on(&url, &["keys", "rotate"]));
    let second_run = platform_on(&url, &["keys", "rotate"]);
    let second = new_kid(&second_run);
    assert_ne!(first, second);
    assert!(
        stdout(&second_run).contains(&format!("retiring: {first}")),
        "{}",
        stdout(&second_run)
    );
}

#[test]
fn the_mail_outbox_of_a_new_database_is_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/identity.db", dir.path().display());
    let output = platform_on(&url, &["mail", "--to", "nobody@example.com"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "no mail");
}
