//! Schema checks: what a supergraph change does to clients.
//!
//! [`diff`] classifies every difference between two API schemas as breaking, dangerous or
//! safe; [`check_operations`] validates known client operations against the new API schema;
//! [`check_supergraphs`] runs both on two supergraph SDLs and returns a [`CheckReport`] that
//! renders for people, as JSON, or as GitHub annotations. [`SubgraphsManifest`] reads
//! `schema/subgraphs.yaml` for `platform schema compose`.
//!
//! Pure: the CLI reads files, fetches `_service { sdl }` and decides the exit code.
mod diff;
mod manifest;
mod operations;
mod report;

pub use diff::{ChangeKind, SchemaChange, Severity, diff};
pub use manifest::{ManifestError, SchemaSource, SubgraphEntry, SubgraphsManifest};
pub use operations::{OperationFailure, check_operations};
pub use report::CheckReport;

use crate::{Supergraph, SupergraphError};

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("the current supergraph is invalid: {0}")]
    OldSupergraph(SupergraphError),
    #[error("the proposed supergraph is invalid: {0}")]
    NewSupergraph(SupergraphError),
}

/// Compares the API schemas of two supergraphs and validates `operations` (`(path, text)`)
/// against the new one.
pub fn check_supergraphs(
    old_supergraph: &str,
    new_supergraph: &str,
    operations: &[(String, String)],
) -> Result<CheckReport, CheckError> {
    let old = Supergraph::parse(old_supergraph).map_err(CheckError::OldSupergraph)?;
    let new = Supergraph::parse(new_supergraph).map_err(CheckError::NewSupergraph)?;
    Ok(CheckReport {
        changes: diff(old.api_schema(), new.api_schema()),
        operations_checked: operations.len(),
        operation_failures: check_operations(new.api_schema(), operations),
    })
}
