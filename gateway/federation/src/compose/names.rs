//! Which local directive name means which federation directive in one subgraph.
//!
//! A Federation 2 subgraph says `@link(url: ".../federation/v2.x", import: [...])`: imported
//! names are used as imported (possibly renamed with `{name: "@key", as: "@id"}`), the rest
//! as `@federation__key` (or `@<as>__key`). A Federation 1 subgraph has no link and uses the
//! default names.
use apollo_compiler::ast::{self, Value};
use std::collections::HashMap;

/// The federation directives composition understands, by their spec names.
pub(crate) const FEDERATION_DIRECTIVES: &[&str] = &[
    "key",
    "requires",
    "provides",
    "external",
    "shareable",
    "extends",
    "override",
    "inaccessible",
    "tag",
    "interfaceObject",
    "composeDirective",
    "authenticated",
    "requiresScopes",
    "policy",
    "cost",
    "listSize",
    "context",
    "fromContext",
];

/// Directives Federation 1 subgraphs may use without any import.
const FED1_DIRECTIVES: &[&str] = &[
    "key",
    "requires",
    "provides",
    "external",
    "extends",
    "tag",
    "inaccessible",
    "shareable",
    "override",
];

/// A non-federation `@link` of a subgraph (kept for `@composeDirective`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OtherLink {
    pub url: String,
    /// `import:` as written, printed (`["@hello"]`), if any.
    pub import: Option<String>,
    /// Imported directive names without `@` (local name -> spec name).
    pub imported: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct FederationNames {
    pub fed2: bool,
    /// The `x` of `federation/v2.x` (0 for Federation 1).
    pub minor_version: u32,
    /// Local directive name (without `@`) -> spec name.
    by_local: HashMap<String, &'static str>,
    pub other_links: Vec<OtherLink>,
}

impl FederationNames {
    /// The spec name (`key`, `shareable`...) of local directive `local`, if it is one.
    pub fn spec_name(&self, local: &str) -> Option<&'static str> {
        self.by_local.get(local).copied()
    }

    pub fn read(schema_directives: &[&ast::Directive]) -> Result<FederationNames, String> {
        let mut names = FederationNames::default();
        let mut fed_link = None;
        for d in schema_directives {
            if d.name != "link" {
                continue;
            }
            let Some(url) = d.specified_argument_by_name("url").and_then(|v| v.as_str()) else {
                return Err("@link without a `url` string".into());
            };
            if url.starts_with("https://specs.apollo.dev/federation/") {
                fed_link = Some(*d);
            } else if !url.starts_with("https://specs.apollo.dev/link/") {
                let import_value = d.specified_argument_by_name("import");
                let mut imported = Vec::new();
                if let Some(list) = import_value.and_then(|v| v.as_list()) {
                    for item in list {
                        let (name, local) = import_item(item)?;
                        if let Some(name) = name.strip_prefix('@') {
                            imported.push((
                                local.trim_start_matches('@').to_string(),
                                name.to_string(),
                            ));
                        }
                    }
                }
                names.other_links.push(OtherLink {
                    url: url.to_string(),
                    import: import_value.map(|v| super::subgraph::print_value(v)),
                    imported,
                });
            }
        }
        match fed_link {
            None => {
                for d in FED1_DIRECTIVES {
                    names.by_local.insert((*d).to_string(), d);
                }
            }
            Some(link) => {
                names.fed2 = true;
                names.minor_version = link
                    .specified_argument_by_name("url")
                    .and_then(|v| v.as_str())
                    .and_then(|u| u.rsplit_once("/v2."))
                    .and_then(|(_, minor)| minor.trim_end_matches('/').parse().ok())
                    .ok_or("the federation @link url must end in /v2.<minor>")?;
                let prefix = link
                    .specified_argument_by_name("as")
                    .and_then(|v| v.as_str())
                    .unwrap_or("federation")
                    .to_string();
                let mut imports: HashMap<String, String> = HashMap::new();
                if let Some(list) = link
                    .specified_argument_by_name("import")
                    .and_then(|v| v.as_list())
                {
                    for item in list {
                        let (name, local) = import_item(item)?;
                        imports.insert(name, local);
                    }
                }
                for d in FEDERATION_DIRECTIVES {
                    let local = match imports.get(&format!("@{d}")) {
                        Some(local) => local.trim_start_matches('@').to_string(),
                        None => format!("{prefix}__{d}"),
                    };
                    names.by_local.insert(local, d);
                }
            }
        }
        Ok(names)
    }
}

/// `"@key"` or `{name: "@key", as: "@id"}` -> (name, local name).
fn import_item(item: &Value) -> Result<(String, String), String> {
    match item {
        Value::String(s) => Ok((s.clone(), s.clone())),
        Value::Object(fields) => {
            let get = |k: &str| {
                fields
                    .iter()
                    .find(|(n, _)| n.as_str() == k)
                    .and_then(|(_, v)| v.as_str().map(str::to_string))
            };
            let name = get("name").ok_or("an import without `name`")?;
            let local = get("as").unwrap_or_else(|| name.clone());
            if name.starts_with('@') != local.starts_with('@') {
                return Err(format!(
                    "import `{name}` renamed to `{local}`: both must be directives or types"
                ));
            }
            Ok((name, local))
        }
        _ => Err("an @link import must be a string or {name:, as:}".into()),
    }
}
