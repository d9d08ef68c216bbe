//! Merging subgraph models into the supergraph model, following Apollo's merge rules:
//! which elements appear, with which types, and which `join__*` directives say where.
//!
//! Directive order on each element matches Apollo's output: join directives first, then
//! `@inaccessible` (for fields, before `@join__field`), then the other merged directives
//! (access control first on fields and interfaces), in the order subgraphs apply them.
use apollo_compiler::ast::Type;
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};

use super::applied::{distribution, merge_descriptions, merge_directives};
use super::errors::{CompositionError, CompositionHint, ErrorCode, subgraph_list};
use super::subgraph::{Applied, CustomDirective, Kind, SubgraphModel, TypeDef};
use super::subtype::Relations;

mod fields;
mod overrides;
mod types;

/// One subgraph as the supergraph names it.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    pub name: String,
    pub url: String,
    /// Its `join__Graph` value.
    pub enum_value: String,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct MergedArgument {
    pub name: String,
    pub description: Option<String>,
    pub ty: Option<Type>,
    pub default: Option<String>,
    pub directives: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct MergedField {
    pub name: String,
    pub description: Option<String>,
    pub arguments: Vec<MergedArgument>,
    pub ty: Option<Type>,
    pub default: Option<String>,
    pub directives: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct MergedValue {
    pub name: String,
    pub description: Option<String>,
    pub directives: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct MergedType {
    pub name: String,
    pub kind: Kind,
    pub description: Option<String>,
    pub implements: Vec<String>,
    pub directives: Vec<String>,
    pub fields: IndexMap<String, MergedField>,
    pub values: IndexMap<String, MergedValue>,
    pub members: Vec<String>,
}

/// Which optional specs the supergraph must link.
#[derive(Debug, Clone, Default)]
pub(crate) struct UsedSpecs {
    pub tag: bool,
    pub inaccessible: bool,
    pub authenticated: bool,
    pub requires_scopes: bool,
    pub policy: bool,
    pub cost: bool,
    pub list_size: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct MergedSchema {
    /// The join spec minor version: 3, 4 or 5 (from the newest federation version linked).
    pub join_minor: u32,
    pub graphs: Vec<Graph>,
    pub has_mutation: bool,
    pub has_subscription: bool,
    pub specs: UsedSpecs,
    pub custom_directives: Vec<CustomDirective>,
    pub types: IndexMap<String, MergedType>,
}

pub(crate) struct Merged {
    pub model: MergedSchema,
    pub hints: Vec<CompositionHint>,
}

/// `join__Graph` value names: upper-cased, non-name characters replaced, made unique.
fn graph_enum_values(models: &[SubgraphModel]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    models
        .iter()
        .map(|m| {
            let mut base: String = m
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            if base.starts_with(|c: char| c.is_ascii_digit()) || base.is_empty() {
                base.insert(0, '_');
            }
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                base
            } else {
                format!("{base}_{}", *n - 1)
            }
        })
        .collect()
}

pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Input,
    Output,
    Both,
}

struct Merger<'a> {
    models: &'a [SubgraphModel],
    graphs: Vec<Graph>,
    relations: Relations,
    errors: Vec<CompositionError>,
    hints: Vec<CompositionHint>,
    types: IndexMap<String, MergedType>,
    enum_usage: HashMap<String, (Position, Option<String>, Option<String>)>,
}

pub(crate) fn merge(models: &[SubgraphModel]) -> Result<Merged, Vec<CompositionError>> {
    let graphs = graph_enum_values(models)
        .into_iter()
        .zip(models)
        .map(|(enum_value, m)| Graph {
            name: m.name.clone(),
            url: m.url.clone(),
            enum_value,
        })
        .collect();
    let mut merger = Merger {
        models,
        graphs,
        relations: Relations::default(),
        errors: Vec::new(),
        hints: Vec::new(),
        types: IndexMap::new(),
        enum_usage: HashMap::new(),
    };
    merger.add_types_shallow();
    if !merger.errors.is_empty() {
        return Err(merger.errors);
    }
    merger.merge_all();
    merger.check_inaccessible_implementations();
    if !merger.types.contains_key("Query") {
        merger.errors.push(CompositionError::new(
            ErrorCode::NoQueries,
            None,
            None,
            "No queries found in any subgraph: a supergraph must have a query root type.",
        ));
    }
    if !merger.errors.is_empty() {
        return Err(merger.errors);
    }
    let specs = used_specs(models);
    let mut custom_directives: Vec<CustomDirective> = Vec::new();
    for m in models {
        for c in &m.composed {
            if !custom_directives.iter().any(|d| d.name == c.name) {
                custom_directives.push(c.clone());
            }
        }
    }
    Ok(Merged {
        model: MergedSchema {
            join_minor: match models.iter().map(|m| m.federation_minor).max().unwrap_or(0) {
                0..=6 => 3,
                7 => 4,
                _ => 5,
            },
            has_mutation: merger.types.contains_key("Mutation"),
            has_subscription: merger.types.contains_key("Subscription"),
            graphs: merger.graphs,
            specs,
            custom_directives,
            types: merger.types,
        },
        hints: merger.hints,
    })
}

fn used_specs(models: &[SubgraphModel]) -> UsedSpecs {
    let mut specs = UsedSpecs::default();
    let mut mark = |applied: &[Applied]| {
        for a in applied {
            match a.name.as_str() {
                "tag" => specs.tag = true,
                "inaccessible" => specs.inaccessible = true,
                "authenticated" => specs.authenticated = true,
                "requiresScopes" => specs.requires_scopes = true,
                "policy" => specs.policy = true,
                "cost" => specs.cost = true,
                "listSize" => specs.list_size = true,
                _ => {}
            }
        }
    };
    for m in models {
        for t in m.types.values() {
            mark(&t.applied);
            for f in t.fields.values() {
                mark(&f.applied);
                for a in f.arguments.values() {
                    mark(&a.applied);
                }
            }
            for v in t.values.values() {
                mark(&v.applied);
            }
        }
    }
    specs
}

impl<'a> Merger<'a> {
    fn graph_name(&self, g: usize) -> &str {
        &self.models[g].name
    }

    fn hint(&mut self, code: &'static str, coordinate: &str, message: String) {
        self.hints.push(CompositionHint {
            code,
            coordinate: Some(coordinate.to_string()),
            message,
        });
    }

    /// Every type once, with its kind; kind conflicts are errors.
    fn add_types_shallow(&mut self) {
        let mut kinds: IndexMap<String, Vec<(usize, Kind, bool)>> = IndexMap::new();
        for (g, m) in self.models.iter().enumerate() {
            for t in m.types.values() {
                kinds.entry(t.name.clone()).or_default().push((
                    g,
                    t.merged_kind(),
                    t.interface_object,
                ));
            }
        }
        for (name, defs) in &kinds {
            let kind = defs[0].1;
            if defs.iter().any(|d| d.1 != kind) {
                let label = |k: Kind, io: bool| {
                    if io {
                        "Interface Object Type (Object Type with @interfaceObject)".to_string()
                    } else {
                        k.label().replace("Type", " Type")
                    }
                };
                let per_graph: Vec<(&str, String)> = defs
                    .iter()
                    .map(|(g, k, io)| (self.graph_name(*g), label(*k, *io)))
                    .collect();
                let first = per_graph[0].1.clone();
                self.errors.push(CompositionError::new(
                    ErrorCode::TypeKindMismatch,
                    None,
                    Some(name),
                    format!(
                        "Type \"{name}\" has mismatched kind: it is defined as {}",
                        distribution(&first, &per_graph, " but ")
                    ),
                ));
                continue;
            }
            self.types.insert(
                name.clone(),
                MergedType {
                    name: name.clone(),
                    kind,
                    description: None,
                    implements: Vec::new(),
                    directives: Vec::new(),
                    fields: IndexMap::new(),
                    values: IndexMap::new(),
                    members: Vec::new(),
                },
            );
        }
    }

    /// The subgraphs defining `name` with the merged kind, in graph order.
    fn sources(&self, name: &str) -> Vec<(usize, &'a TypeDef)> {
        let Some(kind) = self.types.get(name).map(|t| t.kind) else {
            return Vec::new();
        };
        self.models
            .iter()
            .enumerate()
            .filter_map(|(g, m)| {
                m.types
                    .get(name)
                    .filter(|t| t.merged_kind() == kind)
                    .map(|t| (g, t))
            })
            .collect()
    }

    fn repeatable_custom(&self) -> HashSet<String> {
        self.models
            .iter()
            .flat_map(|m| m.composed.iter())
            .filter(|c| c.definition.repeatable)
            .map(|c| c.name.clone())
            .collect()
    }

    fn merge_all(&mut self) {
        let names: Vec<(String, Kind)> = self
            .types
            .values()
            .map(|t| (t.name.clone(), t.kind))
            .collect();
        // Implementations and union members first: field type merging needs them.
        for (name, kind) in &names {
            if matches!(kind, Kind::Object | Kind::Interface) {
                self.merge_implements(name);
            }
        }
        for (name, kind) in &names {
            if *kind == Kind::Union {
                for (_, t) in self.sources(name) {
                    self.relations
                        .members
                        .entry(name.clone())
                        .or_default()
                        .extend(t.members.iter().cloned());
                }
            }
        }
        for (name, kind) in &names {
            if *kind == Kind::Union {
                self.merge_type(name);
            }
        }
        for wanted in [Kind::Scalar, Kind::Input, Kind::Interface, Kind::Object] {
            for (name, kind) in &names {
                if *kind == wanted {
                    self.merge_type(name);
                }
            }
        }
        for (name, kind) in &names {
            if *kind == Kind::Enum {
                self.merge_type(name);
            }
        }
        self.add_interface_object_fields();
        // An object type whose fields were all dropped does not exist in the supergraph.
        self.types.retain(|_, t| {
            !matches!(t.kind, Kind::Object | Kind::Interface) || !t.fields.is_empty()
        });
    }

    fn merge_implements(&mut self, name: &str) {
        let mut directives = Vec::new();
        let mut implemented: Vec<String> = Vec::new();
        for (g, t) in self.sources(name) {
            for itf in &t.implements {
                directives.push(format!(
                    "@join__implements(graph: {}, interface: {})",
                    self.graphs[g].enum_value,
                    quote(itf)
                ));
                if !implemented.contains(itf) {
                    implemented.push(itf.clone());
                }
            }
        }
        self.relations
            .implements
            .entry(name.to_string())
            .or_default()
            .extend(implemented.iter().cloned());
        if let Some(t) = self.types.get_mut(name) {
            t.directives.extend(directives);
            t.implements = implemented;
        }
    }

    fn join_type_directives(&self, sources: &[(usize, &TypeDef)]) -> Vec<String> {
        let mut out = Vec::new();
        for (g, t) in sources {
            let graph = &self.graphs[*g].enum_value;
            let io = if t.interface_object {
                ", isInterfaceObject: true"
            } else {
                ""
            };
            if t.keys.is_empty() {
                out.push(format!("@join__type(graph: {graph}{io})"));
            }
            for key in &t.keys {
                let extension = if key.on_extension || t.extends {
                    ", extension: true"
                } else {
                    ""
                };
                let resolvable = match key.resolvable {
                    Some(r) => format!(", resolvable: {r}"),
                    None => String::new(),
                };
                out.push(format!(
                    "@join__type(graph: {graph}, key: {}{extension}{resolvable}{io})",
                    quote(&key.fields)
                ));
            }
        }
        out
    }

    fn merge_type(&mut self, name: &str) {
        let sources = self.sources(name);
        let Some(kind) = self.types.get(name).map(|t| t.kind) else {
            return;
        };
        self.check_extension_with_no_base(name, kind, &sources);
        let description = merge_descriptions(sources.iter().map(|(_, t)| t.description.as_deref()));
        let join = self.join_type_directives(&sources);
        let type_applied: Vec<&[Applied]> =
            sources.iter().map(|(_, t)| t.applied.as_slice()).collect();
        let extra: Vec<&[Applied]> = if kind == Kind::Interface {
            self.implementations_applied(name)
        } else {
            Vec::new()
        };
        let merged = merge_directives(
            &type_applied,
            kind == Kind::Interface,
            &extra,
            &self.repeatable_custom(),
        );
        if let Some(t) = self.types.get_mut(name) {
            t.description = description;
            t.directives.extend(join);
            if merged.inaccessible {
                t.directives.push("@inaccessible".into());
            }
        }
        match kind {
            Kind::Object | Kind::Interface => self.merge_fields(name, kind, &sources),
            Kind::Union => self.merge_union(name, &sources),
            Kind::Enum => self.merge_enum(name, &sources),
            Kind::Input => self.merge_input(name, &sources),
            Kind::Scalar => {}
        }
        if let Some(t) = self.types.get_mut(name) {
            t.directives.extend(merged.rest);
        }
    }

    /// Type-level applications on the object types implementing interface `name`.
    fn implementations_applied(&self, name: &str) -> Vec<&'a [Applied]> {
        let mut out = Vec::new();
        for m in self.models {
            for t in m.types.values() {
                if t.kind == Kind::Object
                    && !t.interface_object
                    && self
                        .relations
                        .implements
                        .get(&t.name)
                        .is_some_and(|i| i.contains(name))
                {
                    out.push(t.applied.as_slice());
                }
            }
        }
        out
    }

    /// Field-level applications on `field` of the object types implementing `name`.
    fn implementation_fields_applied(&self, name: &str, field: &str) -> Vec<&'a [Applied]> {
        let mut out = Vec::new();
        for m in self.models {
            for t in m.types.values() {
                if t.kind == Kind::Object
                    && !t.interface_object
                    && self
                        .relations
                        .implements
                        .get(&t.name)
                        .is_some_and(|i| i.contains(name))
                    && let Some(f) = t.fields.get(field).filter(|f| !f.external)
                {
                    out.push(f.applied.as_slice());
                }
            }
        }
        out
    }

    fn check_extension_with_no_base(
        &mut self,
        name: &str,
        kind: Kind,
        sources: &[(usize, &TypeDef)],
    ) {
        if kind == Kind::Object && matches!(name, "Query" | "Mutation" | "Subscription") {
            return;
        }
        let has_definition = sources.iter().any(|(_, t)| t.has_definition);
        if has_definition {
            return;
        }
        for (g, t) in sources {
            if t.has_extension {
                self.errors.push(CompositionError::in_subgraph(
                    ErrorCode::ExtensionWithNoBase,
                    &self.models[*g].name,
                    name,
                    format_args!("Type \"{name}\" is an extension type, but there is no type definition for \"{name}\" in any subgraph."),
                ));
            }
        }
    }

    fn record_enum_usage(&mut self, ty: &Type, position: Position, coordinate: &str) {
        let base = ty.inner_named_type().as_str();
        if self.types.get(base).map(|t| t.kind) != Some(Kind::Enum) {
            return;
        }
        let entry = self
            .enum_usage
            .entry(base.to_string())
            .or_insert((position, None, None));
        if entry.0 != position {
            entry.0 = Position::Both;
        }
        let example = match position {
            Position::Input => &mut entry.1,
            _ => &mut entry.2,
        };
        if example.is_none() {
            *example = Some(coordinate.to_string());
        }
    }

    /// Apollo's `mergeTypeReference`: the most general type for outputs, the most specific
    /// for inputs. Returns the type and whether every subgraph agreed.
    fn merge_type_reference(
        &mut self,
        sources: &[(usize, &Type)],
        input: bool,
        coordinate: &str,
        is_argument: bool,
    ) -> (Option<Type>, bool) {
        let mut dest: Option<Type> = None;
        let mut has_subtypes = false;
        let mut incompatible = false;
        for (_, ty) in sources {
            match &dest {
                None => dest = Some((*ty).clone()),
                Some(d) if d == *ty => {}
                Some(d) if self.relations.is_strict_subtype(d, ty) => {
                    has_subtypes = true;
                    if input {
                        dest = Some((*ty).clone());
                    }
                }
                Some(d) if self.relations.is_strict_subtype(ty, d) => {
                    has_subtypes = true;
                    if !input {
                        dest = Some((*ty).clone());
                    }
                }
                Some(_) => incompatible = true,
            }
        }
        let Some(dest) = dest else {
            return (None, false);
        };
        let position = if input {
            Position::Input
        } else {
            Position::Output
        };
        self.record_enum_usage(&dest, position, coordinate);
        let element = if is_argument { "argument" } else { "field" };
        if incompatible {
            let per_graph: Vec<(&str, String)> = sources
                .iter()
                .map(|(g, t)| (self.models[*g].name.as_str(), format!("type \"{t}\"")))
                .collect();
            let message = format!(
                "Type of {element} \"{coordinate}\" is incompatible across subgraphs: it has {}",
                distribution(&format!("type \"{dest}\""), &per_graph, " but ")
            );
            self.errors.push(CompositionError::new(
                if is_argument {
                    ErrorCode::ArgumentTypeMismatch
                } else {
                    ErrorCode::FieldTypeMismatch
                },
                sources.first().map(|(g, _)| self.models[*g].name.as_str()),
                Some(coordinate),
                message,
            ));
            return (Some(dest), false);
        }
        if has_subtypes {
            let dest_printed = dest.to_string();
            let like: Vec<&str> = sources
                .iter()
                .filter(|(_, t)| t.to_string() == dest_printed)
                .map(|(g, _)| self.models[*g].name.as_str())
                .collect();
            let mut others: IndexMap<String, Vec<&str>> = IndexMap::new();
            for (g, t) in sources {
                if t.to_string() != dest_printed {
                    others
                        .entry(t.to_string())
                        .or_default()
                        .push(&self.models[*g].name);
                }
            }
            let relation = if input { "supertype" } else { "subtype" };
            let rest: Vec<String> = others
                .iter()
                .map(|(t, gs)| format!("{relation} \"{t}\" in {}", subgraph_list(gs)))
                .collect();
            let code = if is_argument {
                "INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE"
            } else {
                "INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE"
            };
            self.hint(
                code,
                coordinate,
                format!(
                    "Type of {element} \"{coordinate}\" is inconsistent but compatible across subgraphs: will use type \"{dest}\" (from {}) in supergraph but \"{coordinate}\" has {}.",
                    subgraph_list(&like),
                    rest.join(" and ")
                ),
            );
            return (Some(dest), false);
        }
        (Some(dest), true)
    }

    fn merge_default(
        &mut self,
        sources: &[(usize, Option<&str>)],
        coordinate: &str,
        kind: &str,
    ) -> Option<String> {
        let mut dest: Option<&str> = None;
        let mut seen = false;
        let mut inconsistent = false;
        let mut incompatible = false;
        for (_, d) in sources {
            if dest.is_none() {
                dest = *d;
                if seen && d.is_some() {
                    inconsistent = true;
                }
            } else if dest != *d {
                inconsistent = true;
                if d.is_some() {
                    incompatible = true;
                }
            }
            seen = true;
        }
        if incompatible {
            let per_graph: Vec<(&str, String)> = sources
                .iter()
                .map(|(g, d)| {
                    (
                        self.models[*g].name.as_str(),
                        match d {
                            Some(v) => format!("default value {v}"),
                            None => "no default value".to_string(),
                        },
                    )
                })
                .collect();
            let first = per_graph[0].1.clone();
            self.errors.push(CompositionError::new(
                if kind == "Argument" { ErrorCode::ArgumentDefaultMismatch } else { ErrorCode::InputFieldDefaultMismatch },
                None,
                Some(coordinate),
                format!(
                    "{kind} \"{coordinate}\" has incompatible default values across subgraphs: it has {}",
                    distribution(&first, &per_graph, " but ")
                ),
            ));
        }
        if !inconsistent || incompatible {
            dest.map(str::to_string)
        } else {
            None
        }
    }

    /// Fields an `@interfaceObject` adds to an interface exist on every implementation, with
    /// a bare `@join__field` (no subgraph resolves them on the object type itself).
    fn add_interface_object_fields(&mut self) {
        let object_names: Vec<String> = self
            .types
            .values()
            .filter(|t| t.kind == Kind::Object)
            .map(|t| t.name.clone())
            .collect();
        for object in object_names {
            let interfaces = self
                .types
                .get(&object)
                .map(|t| t.implements.clone())
                .unwrap_or_default();
            for itf in interfaces {
                let Some(itf_fields) = self.types.get(&itf).map(|t| t.fields.clone()) else {
                    continue;
                };
                for (field_name, itf_field) in itf_fields {
                    let exists = self
                        .types
                        .get(&object)
                        .is_some_and(|t| t.fields.contains_key(&field_name));
                    if exists || !self.provided_by_interface_object(&field_name, &itf) {
                        continue;
                    }
                    let mut directives: Vec<String> = itf_field
                        .directives
                        .iter()
                        .filter(|d| !d.starts_with("@join__"))
                        .cloned()
                        .collect();
                    directives.push("@join__field".into());
                    let arguments = itf_field
                        .arguments
                        .iter()
                        .map(|a| MergedArgument {
                            directives: a
                                .directives
                                .iter()
                                .filter(|d| !d.starts_with("@join__"))
                                .cloned()
                                .collect(),
                            ..a.clone()
                        })
                        .collect();
                    if let Some(t) = self.types.get_mut(&object) {
                        t.fields.insert(
                            field_name.clone(),
                            MergedField {
                                name: field_name,
                                description: itf_field.description.clone(),
                                arguments,
                                ty: itf_field.ty.clone(),
                                default: None,
                                directives,
                            },
                        );
                    }
                }
            }
        }
    }

    /// A field hidden from the API cannot implement an interface field clients can see.
    fn check_inaccessible_implementations(&mut self) {
        let hidden = |d: &[String]| d.iter().any(|d| d == "@inaccessible");
        let mut errors = Vec::new();
        for t in self.types.values() {
            for itf in &t.implements {
                let Some(i) = self.types.get(itf) else {
                    continue;
                };
                if hidden(&i.directives) {
                    continue;
                }
                for (name, f) in &t.fields {
                    let Some(itf_field) = i.fields.get(name) else {
                        continue;
                    };
                    if hidden(&f.directives) && !hidden(&itf_field.directives) {
                        let coordinate = format!("{}.{name}", t.name);
                        errors.push(CompositionError::new(
                            ErrorCode::ImplementedByInaccessible,
                            None,
                            Some(&coordinate),
                            format!("Field \"{coordinate}\" is @inaccessible but implements the interface field \"{itf}.{name}\", which is in the API schema."),
                        ));
                    }
                }
            }
        }
        self.errors.extend(errors);
    }

    fn provided_by_interface_object(&self, field: &str, interface: &str) -> bool {
        self.models.iter().any(|m| {
            m.types
                .get(interface)
                .filter(|t| t.interface_object)
                .and_then(|t| t.fields.get(field))
                .is_some_and(|f| !f.external)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_graphql_strings() {
        assert_eq!(quote("a\"b\nc"), "\"a\\\"b\\nc\"");
    }
}
