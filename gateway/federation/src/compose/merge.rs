//! Merging subgraph models into the supergraph model, following Apollo's merge rules:
//! which elements appear, with which types, and which `join__*` directives say where.
//!
//! Directive order on each element matches Apollo's output: join directives first, then
//! `@inaccessible` (for fields, before `@join__field`), then the other merged directives
//! (access control first on fields and interfaces), in the order subgraphs apply them.
use apollo_compiler::ast::Type;
use indexmap::{IndexMap, IndexSet};
use std::collections::{HashMap, HashSet};

use super::applied::{distribution, merge_descriptions, merge_directives};
use super::errors::{CompositionError, CompositionHint, ErrorCode, subgraph_list};
use super::subgraph::{Applied, CustomDirective, Field, Kind, SubgraphModel, TypeDef};
use super::subtype::Relations;

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

#[derive(Default, Clone)]
struct OverrideContext {
    used_overridden: HashSet<usize>,
    unused_overridden: HashSet<usize>,
    labels: HashMap<usize, String>,
    unknown_target: HashSet<usize>,
}

impl OverrideContext {
    fn is_overridden(&self, g: usize) -> bool {
        self.used_overridden.contains(&g) || self.unused_overridden.contains(&g)
    }
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

    fn validate_override(
        &mut self,
        type_name: &str,
        field: &str,
        present: &[(usize, &'a Field)],
    ) -> OverrideContext {
        let mut ctx = OverrideContext::default();
        let with_override: Vec<(usize, &Field)> = present
            .iter()
            .filter(|(g, f)| f.override_from.is_some() && self.models[*g].fed2)
            .map(|(g, f)| (*g, *f))
            .collect();
        let coordinate = format!("{type_name}.{field}");
        for (g, f) in &with_override {
            let Some(from) = f.override_from.as_deref() else {
                continue;
            };
            let name = self.models[*g].name.clone();
            if self.models[*g]
                .types
                .get(type_name)
                .is_some_and(|t| t.interface_object)
            {
                self.errors.push(CompositionError::new(
                    ErrorCode::OverrideCollisionWithAnotherDirective,
                    Some(&name),
                    Some(&coordinate),
                    format!("@override is not yet supported on fields of @interfaceObject types: cannot be used on field \"{coordinate}\" on subgraph \"{name}\"."),
                ));
                continue;
            }
            let Some(from_idx) = self.models.iter().position(|m| m.name == from) else {
                // Apollo only hints here; we refuse, since a misspelt `from` silently moves
                // nothing.
                ctx.unknown_target.insert(*g);
                self.errors.push(CompositionError::new(
                    ErrorCode::OverrideFromUnknownSubgraph,
                    Some(&name),
                    Some(&coordinate),
                    format!("Source subgraph \"{from}\" for field \"{coordinate}\" on subgraph \"{name}\" does not exist."),
                ));
                continue;
            };
            if from == name {
                self.errors.push(CompositionError::new(
                    ErrorCode::OverrideFromSelfError,
                    Some(&name),
                    Some(&coordinate),
                    format!("Source and destination subgraphs \"{from}\" are the same for overridden field \"{coordinate}\""),
                ));
                continue;
            }
            if with_override.iter().any(|(og, _)| *og == from_idx) {
                self.errors.push(CompositionError::new(
                    ErrorCode::OverrideSourceHasOverride,
                    Some(&name),
                    Some(&coordinate),
                    format!("Field \"{coordinate}\" on subgraph \"{name}\" is also marked with directive @override in subgraph \"{from}\". Only one @override directive is allowed per field."),
                ));
                continue;
            }
            let Some((_, from_field)) = present.iter().find(|(pg, _)| *pg == from_idx) else {
                self.hint(
                    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                    &coordinate,
                    format!("Field \"{coordinate}\" on subgraph \"{name}\" no longer exists in the from subgraph. The @override directive can be removed."),
                );
                continue;
            };
            let conflict = if from_field.requires.is_some() {
                Some((from, "requires"))
            } else if from_field.provides.is_some() {
                Some((from, "provides"))
            } else if f.external {
                Some((name.as_str(), "external"))
            } else {
                None
            };
            if let Some((subgraph, directive)) = conflict {
                self.errors.push(CompositionError::new(
                    ErrorCode::OverrideCollisionWithAnotherDirective,
                    Some(&name),
                    Some(&coordinate),
                    format!("@override cannot be used on field \"{coordinate}\" on subgraph \"{name}\" since \"{coordinate}\" on \"{subgraph}\" is marked with directive \"@{directive}\""),
                ));
                continue;
            }
            let referenced = self.models[from_idx]
                .used_in_field_sets
                .contains(&(type_name.to_string(), field.to_string()));
            let label = f.override_label.clone();
            if from_field.external {
                self.hint(
                    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                    &coordinate,
                    format!("Field \"{coordinate}\" on subgraph \"{name}\" is not resolved anymore by the from subgraph (it is marked \"@external\" in \"{from}\"). The @override directive can be removed."),
                );
            } else if referenced {
                ctx.used_overridden.insert(from_idx);
                if label.is_none() {
                    self.hint(
                        "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
                        &coordinate,
                        format!("Field \"{coordinate}\" on subgraph \"{from}\" is overridden. It is still used in some federation directive(s) (@key, @requires, and/or @provides) and/or to satisfy interface constraint(s), but consider marking it @external explicitly or removing it along with its references."),
                    );
                }
            } else {
                ctx.unused_overridden.insert(from_idx);
                if label.is_none() {
                    self.hint(
                        "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
                        &coordinate,
                        format!("Field \"{coordinate}\" on subgraph \"{from}\" is overridden. Consider removing it."),
                    );
                }
            }
            if let Some(label) = label {
                let message = if referenced {
                    format!(
                        "Field \"{coordinate}\" on subgraph \"{from}\" is currently being migrated via progressive @override. It is still used in some federation directive(s) (@key, @requires, and/or @provides) and/or to satisfy interface constraint(s). Once the migration is complete, consider marking it @external explicitly or removing it along with its references."
                    )
                } else {
                    format!(
                        "Field \"{coordinate}\" is currently being migrated with progressive @override. Once the migration is complete, remove the field from subgraph \"{from}\"."
                    )
                };
                if valid_override_label(&label) {
                    ctx.labels.insert(*g, label.clone());
                    ctx.labels.insert(from_idx, label);
                } else {
                    self.errors.push(CompositionError::new(
                        ErrorCode::OverrideLabelInvalid,
                        Some(&name),
                        Some(&coordinate),
                        format!("Invalid @override label \"{label}\" on field \"{coordinate}\" on subgraph \"{name}\": labels must start with a letter and after that may contain alphanumerics, underscores, minuses, colons, periods, or slashes. Alternatively, labels may be of the form \"percent(x)\" where x is a float between 0-100 inclusive."),
                    ));
                }
                self.hint("OVERRIDE_MIGRATION_IN_PROGRESS", &coordinate, message);
            }
        }
        ctx
    }

    fn merge_fields(&mut self, type_name: &str, kind: Kind, sources: &[(usize, &'a TypeDef)]) {
        let mut names: IndexSet<&str> = IndexSet::new();
        for (_, t) in sources {
            for f in t.fields.keys() {
                names.insert(f);
            }
        }
        // Subgraphs that know a type of this name (of any kind) count for @join__field.
        let type_graphs: Vec<usize> = self
            .models
            .iter()
            .enumerate()
            .filter(|(_, m)| m.types.contains_key(type_name))
            .map(|(g, _)| g)
            .collect();
        let is_value_type = !matches!(type_name, "Query" | "Mutation" | "Subscription")
            && sources.iter().all(|(_, t)| t.keys.is_empty());
        for field_name in names {
            let present: Vec<(usize, &'a Field)> = sources
                .iter()
                .filter_map(|(g, t)| t.fields.get(field_name).map(|f| (*g, f)))
                .collect();
            let coordinate = format!("{type_name}.{field_name}");
            if is_value_type {
                self.hint_value_type_field(type_name, kind, &coordinate, field_name, sources);
            }
            let ctx = self.validate_override(type_name, field_name, &present);
            if let Some(merged) =
                self.merge_field(type_name, kind, &coordinate, &present, &type_graphs, &ctx)
            {
                if let Some(t) = self.types.get_mut(type_name) {
                    t.fields.insert(field_name.to_string(), merged);
                }
                if kind == Kind::Object {
                    self.validate_sharing(type_name, &coordinate, &present, &ctx);
                }
            }
        }
    }

    fn hint_value_type_field(
        &mut self,
        type_name: &str,
        kind: Kind,
        coordinate: &str,
        field: &str,
        sources: &[(usize, &TypeDef)],
    ) {
        let lacking = sources.iter().any(|(_, t)| {
            let abstracted =
                kind == Kind::Interface && self.provided_by_interface_object(field, type_name);
            !(t.interface_object
                || t.fields.contains_key(field)
                || t.fields.values().all(|f| f.external)
                || abstracted)
        });
        if !lacking {
            return;
        }
        let having: Vec<&str> = sources
            .iter()
            .filter(|(_, t)| t.fields.contains_key(field))
            .map(|(g, _)| self.graph_name(*g))
            .collect();
        let missing: Vec<&str> = sources
            .iter()
            .filter(|(_, t)| !t.fields.contains_key(field))
            .map(|(g, _)| self.graph_name(*g))
            .collect();
        let (code, what) = if kind == Kind::Interface {
            ("INCONSISTENT_INTERFACE_VALUE_TYPE_FIELD", "interface")
        } else {
            ("INCONSISTENT_OBJECT_VALUE_TYPE_FIELD", "non-entity object")
        };
        self.hint(
            code,
            coordinate,
            format!(
                "Field \"{coordinate}\" of {what} type \"{type_name}\" is defined in some but not all subgraphs that define \"{type_name}\": \"{coordinate}\" is defined in {} but not in {}.",
                subgraph_list(&having),
                subgraph_list(&missing)
            ),
        );
    }

    fn merge_field(
        &mut self,
        type_name: &str,
        kind: Kind,
        coordinate: &str,
        present: &[(usize, &'a Field)],
        type_graphs: &[usize],
        ctx: &OverrideContext,
    ) -> Option<MergedField> {
        if present.iter().all(|(_, f)| f.external) {
            let names: Vec<&str> = present.iter().map(|(g, _)| self.graph_name(*g)).collect();
            self.errors.push(CompositionError::new(
                ErrorCode::ExternalMissingOnBase,
                names.first().copied(),
                Some(coordinate),
                format!(
                    "Field \"{coordinate}\" is marked @external on all the subgraphs in which it is listed ({}).",
                    subgraph_list(&names)
                ),
            ));
            return None;
        }
        let field_name = present[0].1.name.clone();
        let resolving: Vec<(usize, &'a Field)> = present
            .iter()
            .filter(|(_, f)| !f.external)
            .copied()
            .collect();
        let mut merged = MergedField {
            name: field_name.clone(),
            description: merge_descriptions(
                resolving.iter().map(|(_, f)| f.description.as_deref()),
            ),
            ..MergedField::default()
        };
        let applied: Vec<&[Applied]> = resolving
            .iter()
            .map(|(_, f)| f.applied.as_slice())
            .collect();
        let extra = if kind == Kind::Interface {
            self.implementation_fields_applied(type_name, &field_name)
        } else {
            Vec::new()
        };
        let directives = merge_directives(&applied, true, &extra, &self.repeatable_custom());
        merged.arguments = self.merge_arguments(coordinate, &resolving);
        let types: Vec<(usize, &Type)> = resolving.iter().map(|(g, f)| (*g, &f.ty)).collect();
        let (ty, all_equal) = self.merge_type_reference(&types, false, coordinate, false);
        merged.ty = ty;
        if present.iter().any(|(_, f)| f.external) {
            self.validate_external_types(coordinate, present, merged.ty.as_ref(), all_equal);
        }
        if directives.inaccessible {
            merged.directives.push("@inaccessible".into());
        }
        merged
            .directives
            .extend(self.join_fields(present, type_graphs, all_equal, ctx));
        merged.directives.extend(directives.rest);
        Some(merged)
    }

    fn validate_external_types(
        &mut self,
        coordinate: &str,
        present: &[(usize, &Field)],
        dest: Option<&Type>,
        all_equal: bool,
    ) {
        let Some(dest) = dest else { return };
        let invalid = present.iter().any(|(_, f)| {
            f.external
                && !(dest == &f.ty || (!all_equal && self.relations.is_strict_subtype(dest, &f.ty)))
        });
        if invalid {
            let per_graph: Vec<(&str, String)> = present
                .iter()
                .map(|(g, f)| (self.models[*g].name.as_str(), format!("type \"{}\"", f.ty)))
                .collect();
            self.errors.push(CompositionError::new(
                ErrorCode::ExternalTypeMismatch,
                None,
                Some(coordinate),
                format!(
                    "Type of field \"{coordinate}\" is incompatible across subgraphs (where marked @external): it has {}",
                    distribution(&format!("type \"{dest}\""), &per_graph, " but ")
                ),
            ));
        }
    }

    fn join_fields(
        &self,
        present: &[(usize, &Field)],
        type_graphs: &[usize],
        all_equal: bool,
        ctx: &OverrideContext,
    ) -> Vec<String> {
        let needs = !all_equal
            || !ctx.used_overridden.is_empty()
            || !ctx.labels.is_empty()
            || type_graphs
                .iter()
                .any(|g| match present.iter().find(|(pg, _)| pg == g) {
                    Some((_, f)) if !ctx.unused_overridden.contains(g) => {
                        f.external || f.provides.is_some() || f.requires.is_some()
                    }
                    _ => true,
                });
        if !needs {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (g, f) in present {
            let label = ctx.labels.get(g);
            if ctx.unused_overridden.contains(g) && label.is_none() {
                continue;
            }
            let mut args = vec![format!("graph: {}", self.graphs[*g].enum_value)];
            if let Some(r) = &f.requires {
                args.push(format!("requires: {}", quote(r)));
            }
            if let Some(p) = &f.provides {
                args.push(format!("provides: {}", quote(p)));
            }
            if let (Some(from), true) = (&f.override_from, self.models[*g].fed2) {
                args.push(format!("override: {}", quote(from)));
            }
            if !all_equal {
                args.push(format!("type: {}", quote(&f.ty.to_string())));
            }
            if f.external {
                args.push("external: true".into());
            }
            if ctx.used_overridden.contains(g) {
                args.push("usedOverridden: true".into());
            }
            if let Some(l) = label {
                args.push(format!("overrideLabel: {}", quote(l)));
            }
            out.push(format!("@join__field({})", args.join(", ")));
        }
        out
    }

    fn merge_arguments(
        &mut self,
        coordinate: &str,
        resolving: &[(usize, &'a Field)],
    ) -> Vec<MergedArgument> {
        let mut names: IndexSet<&str> = IndexSet::new();
        for (_, f) in resolving {
            for a in f.arguments.keys() {
                names.insert(a);
            }
        }
        let mut out = Vec::new();
        for name in names {
            let arg_coordinate = format!("{coordinate}({name}:)");
            let missing: Vec<&str> = resolving
                .iter()
                .filter(|(_, f)| !f.arguments.contains_key(name))
                .map(|(g, _)| self.graph_name(*g))
                .collect();
            if !missing.is_empty() {
                let required: Vec<&str> = resolving
                    .iter()
                    .filter(|(_, f)| {
                        f.arguments
                            .get(name)
                            .is_some_and(|a| a.ty.is_non_null() && a.default.is_none())
                    })
                    .map(|(g, _)| self.graph_name(*g))
                    .collect();
                if !required.is_empty() {
                    let message = format!(
                        "Argument \"{arg_coordinate}\" is required in some subgraphs but does not appear in all subgraphs: it is required in {} but does not appear in {}",
                        subgraph_list(&required),
                        subgraph_list(&missing)
                    );
                    self.errors.push(CompositionError::new(
                        ErrorCode::RequiredArgumentMissingInSomeSubgraph,
                        missing.first().copied(),
                        Some(&arg_coordinate),
                        message,
                    ));
                } else {
                    let having: Vec<&str> = resolving
                        .iter()
                        .filter(|(_, f)| f.arguments.contains_key(name))
                        .map(|(g, _)| self.graph_name(*g))
                        .collect();
                    let missing: Vec<&str> = self
                        .models
                        .iter()
                        .map(|m| m.name.as_str())
                        .filter(|n| !having.contains(n))
                        .collect();
                    let message = format!(
                        "Optional argument \"{arg_coordinate}\" will not be included in the supergraph as it does not appear in all subgraphs: it is defined in {} but not in {}.",
                        subgraph_list(&having),
                        subgraph_list(&missing)
                    );
                    self.hint("INCONSISTENT_ARGUMENT_PRESENCE", &arg_coordinate, message);
                }
                continue;
            }
            let args: Vec<(usize, &'a super::subgraph::Argument)> = resolving
                .iter()
                .filter_map(|(g, f)| f.arguments.get(name).map(|a| (*g, a)))
                .collect();
            let applied: Vec<&[Applied]> = args.iter().map(|(_, a)| a.applied.as_slice()).collect();
            let directives = merge_directives(&applied, false, &[], &self.repeatable_custom());
            let types: Vec<(usize, &Type)> = args.iter().map(|(g, a)| (*g, &a.ty)).collect();
            let (ty, _) = self.merge_type_reference(&types, true, &arg_coordinate, true);
            let defaults: Vec<(usize, Option<&str>)> = args
                .iter()
                .map(|(g, a)| (*g, a.default.as_deref()))
                .collect();
            let default = self.merge_default(&defaults, &arg_coordinate, "Argument");
            let mut merged = MergedArgument {
                name: name.to_string(),
                description: merge_descriptions(args.iter().map(|(_, a)| a.description.as_deref())),
                ty,
                default,
                directives: Vec::new(),
            };
            if directives.inaccessible {
                merged.directives.push("@inaccessible".into());
            }
            merged.directives.extend(directives.rest);
            out.push(merged);
        }
        out
    }

    fn validate_sharing(
        &mut self,
        type_name: &str,
        coordinate: &str,
        present: &[(usize, &Field)],
        ctx: &OverrideContext,
    ) {
        let mut resolving: Vec<&str> = Vec::new();
        let mut shareable = 0;
        let mut non_shareable: Vec<(usize, &str)> = Vec::new();
        for (g, f) in present {
            if ctx.is_overridden(*g) {
                continue;
            }
            let model = &self.models[*g];
            if model.is_fully_external(type_name, f) {
                continue;
            }
            resolving.push(&model.name);
            if model.is_shareable(type_name, f) {
                shareable += 1;
            } else {
                non_shareable.push((*g, &model.name));
            }
        }
        if !non_shareable.is_empty() && (shareable > 0 || non_shareable.len() > 1) {
            let which = if shareable > 0 {
                let names: Vec<&str> = non_shareable.iter().map(|(_, n)| *n).collect();
                subgraph_list(&names)
            } else {
                "all of them".to_string()
            };
            let extra = match non_shareable
                .iter()
                .find(|(g, _)| ctx.unknown_target.contains(g))
            {
                Some((_, n)) => format!(
                    " (please note that \"{coordinate}\" has an @override directive in \"{n}\" that targets an unknown subgraph so this could be due to misspelling the @override(from:) argument)"
                ),
                None => String::new(),
            };
            self.errors.push(CompositionError::new(
                ErrorCode::InvalidFieldSharing,
                non_shareable.first().map(|(_, n)| *n),
                Some(coordinate),
                format!(
                    "Non-shareable field \"{coordinate}\" is resolved from multiple subgraphs: it is resolved from {} and defined as non-shareable in {which}{extra}",
                    subgraph_list(&resolving)
                ),
            ));
        }
    }

    fn merge_union(&mut self, name: &str, sources: &[(usize, &TypeDef)]) {
        let mut members: Vec<String> = Vec::new();
        for (_, t) in sources {
            for m in &t.members {
                if !members.contains(m) {
                    members.push(m.clone());
                }
            }
        }
        let mut directives = Vec::new();
        for m in &members {
            for (g, t) in sources {
                if t.members.contains(m) {
                    directives.push(format!(
                        "@join__unionMember(graph: {}, member: {})",
                        self.graphs[*g].enum_value,
                        quote(m)
                    ));
                }
            }
        }
        for m in &members {
            let missing: Vec<&str> = sources
                .iter()
                .filter(|(_, t)| !t.members.contains(m))
                .map(|(g, _)| self.graph_name(*g))
                .collect();
            if !missing.is_empty() {
                let having: Vec<&str> = sources
                    .iter()
                    .filter(|(_, t)| t.members.contains(m))
                    .map(|(g, _)| self.graph_name(*g))
                    .collect();
                let message = format!(
                    "Union type \"{name}\" includes member type \"{m}\" in some but not all defining subgraphs: \"{m}\" is defined in {} but not in {}.",
                    subgraph_list(&having),
                    subgraph_list(&missing)
                );
                self.hint("INCONSISTENT_UNION_MEMBER", name, message);
            }
        }
        if let Some(t) = self.types.get_mut(name) {
            t.directives.extend(directives);
            t.members = members;
        }
    }

    fn merge_enum(&mut self, name: &str, sources: &[(usize, &TypeDef)]) {
        let (position, input_example, output_example) = match self.enum_usage.get(name) {
            Some(u) => u.clone(),
            None => {
                self.hint(
                    "UNUSED_ENUM_TYPE",
                    name,
                    format!("Enum type \"{name}\" is defined but unused. It will be included in the supergraph with all the values appearing in any subgraph (\"as if\" it was only used as an output type)."),
                );
                (Position::Output, None, None)
            }
        };
        let mut values: IndexSet<&str> = IndexSet::new();
        for (_, t) in sources {
            for v in t.values.keys() {
                values.insert(v);
            }
        }
        let repeatable = self.repeatable_custom();
        let mut merged_values = IndexMap::new();
        for value in values {
            let having: Vec<(usize, &super::subgraph::EnumValue)> = sources
                .iter()
                .filter_map(|(g, t)| t.values.get(value).map(|v| (*g, v)))
                .collect();
            let applied: Vec<&[Applied]> =
                having.iter().map(|(_, v)| v.applied.as_slice()).collect();
            let directives = merge_directives(&applied, false, &[], &repeatable);
            let missing: Vec<&str> = sources
                .iter()
                .filter(|(_, t)| !t.values.contains_key(value))
                .map(|(g, _)| self.graph_name(*g))
                .collect();
            let having_names: Vec<&str> = having.iter().map(|(g, _)| self.graph_name(*g)).collect();
            if !directives.inaccessible && position != Position::Output && !missing.is_empty() {
                if position == Position::Both {
                    let message = format!(
                        "Enum type \"{name}\" is used as both input type (for example, as type of \"{}\") and output type (for example, as type of \"{}\"), but value \"{value}\" is not defined in all the subgraphs defining \"{name}\": \"{value}\" is defined in {} but not in {}",
                        input_example.as_deref().unwrap_or_default(),
                        output_example.as_deref().unwrap_or_default(),
                        subgraph_list(&having_names),
                        subgraph_list(&missing)
                    );
                    self.errors.push(CompositionError::new(
                        ErrorCode::EnumValueMismatch,
                        missing.first().copied(),
                        Some(&format!("{name}.{value}")),
                        message,
                    ));
                } else {
                    let message = format!(
                        "Value \"{value}\" of enum type \"{name}\" will not be part of the supergraph as it is not defined in all the subgraphs defining \"{name}\": \"{value}\" is defined in {} but not in {}.",
                        subgraph_list(&having_names),
                        subgraph_list(&missing)
                    );
                    self.hint(
                        "INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM",
                        &format!("{name}.{value}"),
                        message,
                    );
                }
                continue;
            }
            if position == Position::Output && !missing.is_empty() {
                let message = format!(
                    "Value \"{value}\" of enum type \"{name}\" has been added to the supergraph but is only defined in a subset of the subgraphs defining \"{name}\": \"{value}\" is defined in {} but not in {}.",
                    subgraph_list(&having_names),
                    subgraph_list(&missing)
                );
                self.hint(
                    "INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM",
                    &format!("{name}.{value}"),
                    message,
                );
            }
            let mut printed = Vec::new();
            if directives.inaccessible {
                printed.push("@inaccessible".to_string());
            }
            for (g, _) in &having {
                printed.push(format!(
                    "@join__enumValue(graph: {})",
                    self.graphs[*g].enum_value
                ));
            }
            printed.extend(directives.rest);
            merged_values.insert(
                value.to_string(),
                MergedValue {
                    name: value.to_string(),
                    description: merge_descriptions(
                        having.iter().map(|(_, v)| v.description.as_deref()),
                    ),
                    directives: printed,
                },
            );
        }
        if merged_values.is_empty() {
            self.errors.push(CompositionError::new(
                ErrorCode::EmptyMergedEnumType,
                None,
                Some(name),
                format!("None of the values of enum type \"{name}\" are defined consistently in all the subgraphs defining that type. As only values common to all subgraphs are merged, this would result in an empty type."),
            ));
        }
        if let Some(t) = self.types.get_mut(name) {
            t.values = merged_values;
        }
    }

    fn merge_input(&mut self, name: &str, sources: &[(usize, &'a TypeDef)]) {
        let mut names: IndexSet<&str> = IndexSet::new();
        for (_, t) in sources {
            for f in t.fields.keys() {
                names.insert(f);
            }
        }
        let repeatable = self.repeatable_custom();
        let mut fields = IndexMap::new();
        for field_name in names {
            let coordinate = format!("{name}.{field_name}");
            let present: Vec<(usize, &'a Field)> = sources
                .iter()
                .filter_map(|(g, t)| t.fields.get(field_name).map(|f| (*g, f)))
                .collect();
            let applied: Vec<&[Applied]> =
                present.iter().map(|(_, f)| f.applied.as_slice()).collect();
            let directives = merge_directives(&applied, false, &[], &repeatable);
            let types: Vec<(usize, &Type)> = present.iter().map(|(g, f)| (*g, &f.ty)).collect();
            let (ty, all_equal) = self.merge_type_reference(&types, true, &coordinate, false);
            let defaults: Vec<(usize, Option<&str>)> = present
                .iter()
                .map(|(g, f)| (*g, f.default.as_deref()))
                .collect();
            let default = self.merge_default(&defaults, &coordinate, "Input field");
            let missing: Vec<&str> = sources
                .iter()
                .filter(|(_, t)| !t.fields.contains_key(field_name))
                .map(|(g, _)| self.graph_name(*g))
                .collect();
            if !directives.inaccessible && !missing.is_empty() {
                let required: Vec<&str> = present
                    .iter()
                    .filter(|(_, f)| f.ty.is_non_null() && f.default.is_none())
                    .map(|(g, _)| self.graph_name(*g))
                    .collect();
                if !required.is_empty() {
                    let message = format!(
                        "Input object field \"{coordinate}\" is required in some subgraphs but does not appear in all subgraphs: it is required in {} but does not appear in {}",
                        subgraph_list(&required),
                        subgraph_list(&missing)
                    );
                    self.errors.push(CompositionError::new(
                        ErrorCode::RequiredInputFieldMissingInSomeSubgraph,
                        missing.first().copied(),
                        Some(&coordinate),
                        message,
                    ));
                } else {
                    let having: Vec<&str> =
                        present.iter().map(|(g, _)| self.graph_name(*g)).collect();
                    let missing: Vec<&str> = self
                        .models
                        .iter()
                        .map(|m| m.name.as_str())
                        .filter(|n| !having.contains(n))
                        .collect();
                    let message = format!(
                        "Input object field \"{field_name}\" will not be added to \"{name}\" in the supergraph as it does not appear in all subgraphs: it is defined in {} but not in {}.",
                        subgraph_list(&having),
                        subgraph_list(&missing)
                    );
                    self.hint("INCONSISTENT_INPUT_OBJECT_FIELD", &coordinate, message);
                }
                continue;
            }
            let mut merged = MergedField {
                name: field_name.to_string(),
                description: merge_descriptions(
                    present.iter().map(|(_, f)| f.description.as_deref()),
                ),
                ty,
                default,
                ..MergedField::default()
            };
            if directives.inaccessible {
                merged.directives.push("@inaccessible".into());
            }
            let graphs: Vec<usize> = sources.iter().map(|(g, _)| *g).collect();
            merged.directives.extend(self.join_fields(
                &present,
                &graphs,
                all_equal,
                &OverrideContext::default(),
            ));
            merged.directives.extend(directives.rest);
            fields.insert(field_name.to_string(), merged);
        }
        if fields.is_empty() {
            self.errors.push(CompositionError::new(
                ErrorCode::EmptyMergedInputType,
                None,
                Some(name),
                format!("None of the fields of input object type \"{name}\" are consistently defined in all the subgraphs defining that type. As only fields common to all subgraphs are merged, this would result in an empty type."),
            ));
        }
        if let Some(t) = self.types.get_mut(name) {
            t.fields = fields;
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

fn valid_override_label(label: &str) -> bool {
    if let Some(inner) = label
        .strip_prefix("percent(")
        .and_then(|l| l.strip_suffix(')'))
    {
        if inner == "100" {
            return true;
        }
        let (int, frac) = inner.split_once('.').unwrap_or((inner, ""));
        let int_ok = !int.is_empty() && int.len() <= 2 && int.chars().all(|c| c.is_ascii_digit());
        let frac_ok = !inner.contains('.')
            || (!frac.is_empty() && frac.len() <= 8 && frac.chars().all(|c| c.is_ascii_digit()));
        return int_ok && frac_ok;
    }
    let mut chars = label.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-:./".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_labels() {
        assert!(valid_override_label("percent(50)"));
        assert!(valid_override_label("percent(12.5)"));
        assert!(valid_override_label("percent(100)"));
        assert!(!valid_override_label("percent(101)"));
        assert!(valid_override_label("beta-users"));
        assert!(!valid_override_label("1abc"));
    }

    #[test]
    fn graph_names_are_sanitized_and_unique() {
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
    }
}
