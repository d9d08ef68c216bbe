//! `schema/subgraphs.yaml`: the subgraphs to compose, where they are routed, and where their
//! SDL comes from. Reading files and introspecting running subgraphs (`_service { sdl }`)
//! is the CLI's job; [`SubgraphsManifest::inputs`] turns the fetched SDLs into composition
//! inputs.
//!
//! ```yaml
//! subgraphs:
//!   - name: identity
//!     routing_url: http://127.0.0.1:4001/graphql
//!     schema:
//!       file: schema/identity.graphql
//!   - name: blog
//!     routing_url: http://127.0.0.1:4004/graphql
//!     schema:
//!       introspect_url: http://127.0.0.1:4004/graphql
//! ```
use std::collections::HashMap;
use std::path::PathBuf;

use crate::compose::SubgraphInput;

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SubgraphsManifest {
    pub subgraphs: Vec<SubgraphEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SubgraphEntry {
    pub name: String,
    pub routing_url: String,
    pub schema: SchemaSource,
}

/// Where a subgraph's SDL comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum SchemaSource {
    /// A file, relative to the manifest's directory.
    File { file: PathBuf },
    /// A running subgraph, asked for `{ _service { sdl } }`.
    Introspect { introspect_url: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("invalid subgraphs manifest: {0}")]
    Invalid(#[from] serde_yaml::Error),
    #[error("subgraph `{0}` is listed twice in the manifest")]
    Duplicate(String),
    #[error("the manifest lists no subgraphs")]
    Empty,
    #[error("no SDL was given for subgraph `{0}`")]
    MissingSdl(String),
}

impl SubgraphsManifest {
    pub fn from_yaml(source: &str) -> Result<SubgraphsManifest, ManifestError> {
        let manifest: SubgraphsManifest = serde_yaml::from_str(source)?;
        if manifest.subgraphs.is_empty() {
            return Err(ManifestError::Empty);
        }
        let mut seen = std::collections::HashSet::new();
        for s in &manifest.subgraphs {
            if !seen.insert(s.name.as_str()) {
                return Err(ManifestError::Duplicate(s.name.clone()));
            }
        }
        Ok(manifest)
    }

    /// Composition inputs, given each subgraph's SDL by name (read or fetched by the caller).
    pub fn inputs(
        &self,
        sdl_by_name: &HashMap<String, String>,
    ) -> Result<Vec<SubgraphInput>, ManifestError> {
        self.subgraphs
            .iter()
            .map(|s| {
                let sdl = sdl_by_name
                    .get(&s.name)
                    .ok_or_else(|| ManifestError::MissingSdl(s.name.clone()))?;
                Ok(SubgraphInput {
                    name: s.name.clone(),
                    url: s.routing_url.clone(),
                    sdl: sdl.clone(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "subgraphs:\n  - name: identity\n    routing_url: http://127.0.0.1:4001/graphql\n    schema:\n      file: schema/identity.graphql\n  - name: blog\n    routing_url: http://127.0.0.1:4004/graphql\n    schema:\n      introspect_url: http://127.0.0.1:4004/graphql\n";

    #[test]
    fn reads_files_and_introspection_sources() {
        let m = SubgraphsManifest::from_yaml(YAML).expect("valid manifest");
        assert_eq!(
            m.subgraphs[0].schema,
            SchemaSource::File {
                file: PathBuf::from("schema/identity.graphql")
            }
        );
        assert_eq!(
            m.subgraphs[1].schema,
            SchemaSource::Introspect {
                introspect_url: "http://127.0.0.1:4004/graphql".into()
            }
        );
        let mut sdl = HashMap::new();
        sdl.insert("identity".to_string(), "type Query { a: Int }".to_string());
        assert!(matches!(m.inputs(&sdl), Err(ManifestError::MissingSdl(n)) if n == "blog"));
        sdl.insert("blog".to_string(), "type Query { b: Int }".to_string());
        let inputs = m.inputs(&sdl).expect("all SDLs given");
        assert_eq!(inputs[1].url, "http://127.0.0.1:4004/graphql");
    }

    #[test]
    fn rejects_duplicates_and_unknown_keys() {
        let dup = format!(
            "{YAML}  - name: blog\n    routing_url: x\n    schema:\n      file: b.graphql\n"
        );
        assert!(matches!(
            SubgraphsManifest::from_yaml(&dup),
            Err(ManifestError::Duplicate(_))
        ));
        let unknown = YAML.replace(
            "routing_url: http://127.0.0.1:4001",
            "routing: http://127.0.0.1:4001",
        );
        assert!(SubgraphsManifest::from_yaml(&unknown).is_err());
        assert!(matches!(
            SubgraphsManifest::from_yaml("subgraphs: []"),
            Err(ManifestError::Empty)
        ));
    }
}
