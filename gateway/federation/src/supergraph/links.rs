//! `@link` resolution: which spec each directive and type of the supergraph belongs to.
//!
//! A supergraph may rename a spec (`@link(url: ".../join/v0.3", as: "j")` makes `@j__type`)
//! or import its elements unprefixed (`import: ["@policy"]`), so every federation directive
//! is looked up through [`Links`], never by its default spelling.
use apollo_compiler::Schema;
use apollo_compiler::ast::Value;
use std::collections::HashMap;

use super::SupergraphError;

/// Specs the gateway understands, by their `specs.apollo.dev` name.
pub(crate) const KNOWN_SPECS: &[&str] = &[
    "link",
    "join",
    "inaccessible",
    "tag",
    "authenticated",
    "requiresScopes",
    "policy",
    "cost",
    "context",
];

/// Join spec versions this planner reads.
const JOIN_VERSIONS: &[&str] = &["0.2", "0.3", "0.4", "0.5"];

/// One `@link` on the schema definition.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    /// The spec's name as in its URL (`join`, `inaccessible`, ...).
    pub spec: String,
    pub version: String,
    /// Prefix for non-imported elements: `as:` or the spec name.
    pub prefix: String,
    /// Imported element (`@dir` or `Type`) -> local name (`@local` or `Local`).
    pub imports: HashMap<String, String>,
}

impl Link {
    /// The local name of the spec's directive `name` (without `@`).
    pub fn directive_name(&self, name: &str) -> String {
        if let Some(local) = self.imports.get(&format!("@{name}")) {
            return local.trim_start_matches('@').to_string();
        }
        if name == self.spec {
            self.prefix.clone()
        } else {
            format!("{}__{}", self.prefix, name)
        }
    }

    /// The local name of the spec's type `name`.
    pub fn type_name(&self, name: &str) -> String {
        if let Some(local) = self.imports.get(name) {
            return local.clone();
        }
        format!("{}__{}", self.prefix, name)
    }

    /// Whether `local` (a directive name without `@`) belongs to this spec.
    pub fn owns_directive(&self, local: &str) -> bool {
        local == self.prefix
            || local.starts_with(&format!("{}__", self.prefix))
            || self
                .imports
                .iter()
                .any(|(k, v)| k.starts_with('@') && v.trim_start_matches('@') == local)
    }

    /// Whether `local` (a type name) belongs to this spec.
    pub fn owns_type(&self, local: &str) -> bool {
        local.starts_with(&format!("{}__", self.prefix))
            || self
                .imports
                .iter()
                .any(|(k, v)| !k.starts_with('@') && v == local)
    }
}

/// All links of a supergraph, by spec name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Links {
    by_spec: HashMap<String, Link>,
}

impl Links {
    pub fn get(&self, spec: &str) -> Option<&Link> {
        self.by_spec.get(spec)
    }

    /// The local directive name for `spec`'s directive `name`, if the spec is linked.
    pub fn directive(&self, spec: &str, name: &str) -> Option<String> {
        self.get(spec).map(|l| l.directive_name(name))
    }

    pub fn all(&self) -> impl Iterator<Item = &Link> {
        self.by_spec.values()
    }

    pub fn owns_directive(&self, local: &str) -> bool {
        self.all().any(|l| l.owns_directive(local))
    }

    pub fn owns_type(&self, local: &str) -> bool {
        self.all().any(|l| l.owns_type(local))
    }

    /// Reads the `@link`s of the schema definition.
    pub fn read(schema: &Schema) -> Result<Links, SupergraphError> {
        // Bootstrap: the link spec's own `@link` tells the name of the link directive.
        let mut link_directive = None;
        for d in schema.schema_definition.directives.iter() {
            let Some(url) = string_arg(d.specified_argument_by_name("url")) else {
                continue;
            };
            let Some((spec, _)) = parse_url(&url) else {
                continue;
            };
            if spec == "link" {
                let local = string_arg(d.specified_argument_by_name("as"))
                    .unwrap_or_else(|| "link".to_string());
                if d.name.as_str() == local {
                    link_directive = Some(local);
                    break;
                }
            }
        }
        let link_directive = link_directive.ok_or(SupergraphError::NotASupergraph(
            "no `@link(url: \"https://specs.apollo.dev/link/v1.0\")` on the schema definition",
        ))?;
        let mut links = Links::default();
        for d in schema
            .schema_definition
            .directives
            .get_all(link_directive.as_str())
        {
            let url = string_arg(d.specified_argument_by_name("url"))
                .ok_or_else(|| SupergraphError::InvalidLink("a @link without `url`".into()))?;
            let purpose = d
                .specified_argument_by_name("for")
                .and_then(|v| v.as_enum().map(|n| n.to_string()));
            let Some((spec, version)) = parse_url(&url) else {
                if purpose.is_some() {
                    return Err(SupergraphError::UnsupportedSpec { url });
                }
                continue;
            };
            let known = url.starts_with("https://specs.apollo.dev/") && KNOWN_SPECS.contains(&spec);
            if !known {
                if matches!(purpose.as_deref(), Some("EXECUTION") | Some("SECURITY")) {
                    return Err(SupergraphError::UnsupportedSpec { url });
                }
                continue;
            }
            if spec == "join" && !JOIN_VERSIONS.contains(&version) {
                return Err(SupergraphError::UnsupportedSpec { url });
            }
            let prefix =
                string_arg(d.specified_argument_by_name("as")).unwrap_or_else(|| spec.to_string());
            let mut imports = HashMap::new();
            if let Some(list) = d
                .specified_argument_by_name("import")
                .and_then(|v| v.as_list())
            {
                for item in list {
                    match item.as_ref() {
                        Value::String(s) => {
                            imports.insert(s.clone(), s.clone());
                        }
                        Value::Object(fields) => {
                            let get = |k: &str| {
                                fields
                                    .iter()
                                    .find(|(n, _)| n.as_str() == k)
                                    .and_then(|(_, v)| v.as_str().map(str::to_string))
                            };
                            if let Some(name) = get("name") {
                                let local = get("as").unwrap_or_else(|| name.clone());
                                imports.insert(name, local);
                            }
                        }
                        _ => {
                            return Err(SupergraphError::InvalidLink(format!(
                                "bad import in @link(url: \"{url}\")"
                            )));
                        }
                    }
                }
            }
            links.by_spec.insert(
                spec.to_string(),
                Link {
                    spec: spec.to_string(),
                    version: version.to_string(),
                    prefix,
                    imports,
                },
            );
        }
        if links.get("join").is_none() {
            return Err(SupergraphError::NotASupergraph(
                "the schema does not link the join spec",
            ));
        }
        Ok(links)
    }
}

/// `https://specs.apollo.dev/join/v0.3` -> (`join`, `0.3`).
fn parse_url(url: &str) -> Option<(&str, &str)> {
    let trimmed = url.trim_end_matches('/');
    let (rest, version) = trimmed.rsplit_once('/')?;
    let version = version.strip_prefix('v')?;
    let (_, name) = rest.rsplit_once('/')?;
    if name.is_empty() || !version.contains('.') {
        return None;
    }
    Some((name, version))
}

pub(crate) fn string_arg(v: Option<&apollo_compiler::Node<Value>>) -> Option<String> {
    v.and_then(|v| v.as_str()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spec_urls() {
        assert_eq!(
            parse_url("https://specs.apollo.dev/join/v0.3"),
            Some(("join", "0.3"))
        );
        assert_eq!(
            parse_url("https://specs.apollo.dev/requiresScopes/v0.1/"),
            Some(("requiresScopes", "0.1"))
        );
        assert_eq!(parse_url("https://example.com/nothing"), None);
    }

    #[test]
    fn names_follow_prefix_and_imports() {
        let mut imports = HashMap::new();
        imports.insert("@listSize".to_string(), "@size".to_string());
        let link = Link {
            spec: "cost".into(),
            version: "0.1".into(),
            prefix: "cost".into(),
            imports,
        };
        assert_eq!(link.directive_name("cost"), "cost");
        assert_eq!(link.directive_name("listSize"), "size");
        let join = Link {
            spec: "join".into(),
            version: "0.3".into(),
            prefix: "j".into(),
            imports: HashMap::new(),
        };
        assert_eq!(join.directive_name("type"), "j__type");
        assert_eq!(join.type_name("Graph"), "j__Graph");
        assert!(join.owns_directive("j__field"));
        assert!(!join.owns_directive("join__field"));
    }
}
