//! The `platform` CLI driven as users drive it: the built binary, real files, real HTTP.
mod dev;
mod gateway;
mod identity;
mod new_module;
mod scale_out;
mod schema;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (the root package's manifest dir).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `platform <args>` run from the repository root.
pub fn platform(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_platform"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the platform binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}
