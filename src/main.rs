//! The `platform` CLI. Wiring only: every piece of logic lives in a library crate.
fn main() {}
