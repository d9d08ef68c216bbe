//! Module manifests as authz seeds them: by default the compiled ones (`permissions::MODULES`),
//! or any set a test builds to add, change or remove codes.

use kit::db::Db;

use crate::errors::AuthzError;
use crate::store::PermissionRow;
use crate::store::registry::SeedReport;

/// One module's declared permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub module: String,
    pub subgraph: String,
    pub permissions: Vec<ManifestPermission>,
    pub events: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestPermission {
    pub code: String,
    pub description: String,
}

impl Manifest {
    /// Every manifest compiled into the `permissions` crate.
    pub fn compiled() -> Vec<Self> {
        permissions::MODULES
            .iter()
            .map(|m| Self {
                module: m.module.to_owned(),
                subgraph: m.subgraph.to_owned(),
                permissions: m
                    .permissions
                    .iter()
                    .map(|p| ManifestPermission {
                        code: p.code.to_owned(),
                        description: p.description.to_owned(),
                    })
                    .collect(),
                events: m.events.iter().map(|e| (*e).to_owned()).collect(),
            })
            .collect()
    }
}

/// Seeds the registry from `manifests`. A default `user` permission that no manifest declares,
/// or a code declared twice, stops startup.
pub async fn seed(
    db: &Db,
    manifests: &[Manifest],
    user_defaults: &[String],
) -> Result<SeedReport, AuthzError> {
    let mut rows: Vec<PermissionRow> = Vec::new();
    for manifest in manifests {
        for p in &manifest.permissions {
            if rows.iter().any(|r| r.code == p.code) {
                return Err(AuthzError::invalid(format!(
                    "permission `{}` is declared twice",
                    p.code
                )));
            }
            rows.push(PermissionRow {
                code: p.code.clone(),
                module: manifest.module.clone(),
                description: p.description.clone(),
            });
        }
    }
    if let Some(unknown) = user_defaults
        .iter()
        .find(|code| !rows.iter().any(|r| &r.code == *code))
    {
        return Err(AuthzError::invalid(format!(
            "authz.default_user_permissions: `{unknown}` is not declared by any module manifest"
        )));
    }
    let report = crate::store::registry::seed(db, rows, user_defaults.to_vec()).await?;
    if report != SeedReport::default() {
        tracing::info!(
            added = report.added.len(),
            updated = report.updated.len(),
            removed = ?report.removed,
            "permission registry updated from manifests"
        );
    }
    Ok(report)
}
