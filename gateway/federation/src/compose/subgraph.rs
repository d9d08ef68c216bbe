//! Reading one subgraph SDL into the model composition works on: federation directives
//! resolved through the subgraph's `@link`, root types under their default names, the
//! federation machinery (`_Service`, `_entities`...) dropped, and Federation 1 subgraphs
//! upgraded to Federation 2 semantics.
use apollo_compiler::ast::{self, Definition, Directive, DirectiveList, OperationType};
use apollo_compiler::{Node, ast::Type};
use indexmap::IndexMap;
use std::collections::HashSet;

use super::SubgraphInput;
use super::errors::{CompositionError, ErrorCode};
use super::field_set::{self, Selection};
use super::names::{FederationNames, OtherLink};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Object,
    Interface,
    Union,
    Enum,
    Input,
    Scalar,
}

impl Kind {
    pub fn keyword(self) -> &'static str {
        match self {
            Kind::Object => "type",
            Kind::Interface => "interface",
            Kind::Union => "union",
            Kind::Enum => "enum",
            Kind::Input => "input",
            Kind::Scalar => "scalar",
        }
    }

    /// How Apollo names the kind in messages.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Object => "ObjectType",
            Kind::Interface => "InterfaceType",
            Kind::Union => "UnionType",
            Kind::Enum => "EnumType",
            Kind::Input => "InputObjectType",
            Kind::Scalar => "ScalarType",
        }
    }
}

/// A directive application that composition copies into the supergraph (`@tag`,
/// `@inaccessible`, access control, cost, `@deprecated`, `@specifiedBy`, composed custom
/// directives), under its supergraph name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    pub name: String,
    /// `(a: 1, b: "x")`, or empty.
    pub args: String,
    /// The `[[String]]` argument of `@requiresScopes` / `@policy`, for merging.
    pub nested: Vec<Vec<String>>,
}

impl Applied {
    pub fn print(&self) -> String {
        format!("@{}{}", self.name, self.args)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub fields: String,
    /// `resolvable:` when written explicitly.
    pub resolvable: Option<bool>,
    pub on_extension: bool,
    pub selections: Option<Vec<Selection>>,
}

impl Key {
    pub fn is_resolvable(&self) -> bool {
        self.resolvable.unwrap_or(true)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Argument {
    pub name: String,
    pub description: Option<String>,
    pub ty: Type,
    pub default: Option<String>,
    pub applied: Vec<Applied>,
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    pub description: Option<String>,
    pub ty: Type,
    pub arguments: IndexMap<String, Argument>,
    /// Input fields only.
    pub default: Option<String>,
    pub external: bool,
    pub shareable: bool,
    pub requires: Option<String>,
    pub provides: Option<String>,
    pub override_from: Option<String>,
    pub override_label: Option<String>,
    pub applied: Vec<Applied>,
}

#[derive(Debug, Clone)]
pub(crate) struct EnumValue {
    pub description: Option<String>,
    pub applied: Vec<Applied>,
}

#[derive(Debug, Clone)]
pub(crate) struct TypeDef {
    pub name: String,
    pub kind: Kind,
    pub description: Option<String>,
    pub has_definition: bool,
    pub has_extension: bool,
    pub keys: Vec<Key>,
    pub shareable: bool,
    pub interface_object: bool,
    pub extends: bool,
    pub implements: Vec<String>,
    pub members: Vec<String>,
    pub values: IndexMap<String, EnumValue>,
    pub fields: IndexMap<String, Field>,
    pub applied: Vec<Applied>,
}

impl TypeDef {
    fn new(name: &str, kind: Kind) -> TypeDef {
        TypeDef {
            name: name.to_string(),
            kind,
            description: None,
            has_definition: false,
            has_extension: false,
            keys: Vec::new(),
            shareable: false,
            interface_object: false,
            extends: false,
            implements: Vec::new(),
            members: Vec::new(),
            values: IndexMap::new(),
            fields: IndexMap::new(),
            applied: Vec::new(),
        }
    }

    /// The kind as composition sees it: an `@interfaceObject` is an interface.
    pub fn merged_kind(&self) -> Kind {
        if self.interface_object {
            Kind::Interface
        } else {
            self.kind
        }
    }
}

/// A custom directive definition, for `@composeDirective`.
#[derive(Debug, Clone)]
pub(crate) struct CustomDirective {
    pub name: String,
    pub definition: Node<ast::DirectiveDefinition>,
    pub link: Option<OtherLink>,
}

#[derive(Debug, Clone)]
pub(crate) struct SubgraphModel {
    pub name: String,
    pub url: String,
    pub fed2: bool,
    /// The `x` of the linked `federation/v2.x` (0 for Federation 1).
    pub federation_minor: u32,
    pub types: IndexMap<String, TypeDef>,
    pub composed: Vec<CustomDirective>,
    /// `(type, field)` pairs named by this subgraph's keys, requires and provides, or
    /// implementing an interface field.
    pub used_in_field_sets: HashSet<(String, String)>,
    /// External `(type, field)` pairs a `@provides` of this subgraph makes resolvable.
    pub provided: HashSet<(String, String)>,
    /// `(type, field)` pairs selected by a `@key` (shareable without saying so).
    pub key_fields: HashSet<(String, String)>,
}

impl SubgraphModel {
    pub fn field(&self, type_name: &str, field: &str) -> Option<&Field> {
        self.types.get(type_name)?.fields.get(field)
    }

    /// Apollo's sharing rule: `@shareable` on the field or its type, key fields, and
    /// external fields this subgraph provides. Federation 1 fields are all shareable.
    pub fn is_shareable(&self, type_name: &str, field: &Field) -> bool {
        let coordinate = (type_name.to_string(), field.name.clone());
        !self.fed2
            || field.shareable
            || self.types.get(type_name).is_some_and(|t| t.shareable)
            || self.key_fields.contains(&coordinate)
            || (field.external && self.provided.contains(&coordinate))
    }

    /// External and not made resolvable by a `@provides` of this subgraph.
    pub fn is_fully_external(&self, type_name: &str, field: &Field) -> bool {
        field.external
            && !self
                .provided
                .contains(&(type_name.to_string(), field.name.clone()))
    }

    /// The possible object types of an abstract type, as this subgraph declares them.
    pub fn possible_types(&self, type_name: &str) -> Vec<&str> {
        match self.types.get(type_name) {
            Some(t) if t.kind == Kind::Object => vec![t.name.as_str()],
            Some(t) if t.kind == Kind::Union => t.members.iter().map(String::as_str).collect(),
            Some(t) if t.kind == Kind::Interface => self
                .types
                .values()
                .filter(|o| o.kind == Kind::Object && o.implements.iter().any(|i| i == type_name))
                .map(|o| o.name.as_str())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Types and fields that belong to the federation machinery, not to the graph.
pub(crate) fn is_machinery_type(name: &str) -> bool {
    matches!(
        name,
        "_Service" | "_Entity" | "_Any" | "FieldSet" | "_FieldSet"
    ) || name.starts_with("federation__")
        || name.starts_with("link__")
        || name.starts_with("join__")
}

type Errors = Vec<CompositionError>;

/// Reads and upgrades one subgraph.
pub(crate) fn read(input: &SubgraphInput) -> Result<SubgraphModel, Errors> {
    let invalid = |message: String| {
        vec![CompositionError::new(
            ErrorCode::InvalidGraphql,
            Some(&input.name),
            None,
            format!("[{}] {message}", input.name),
        )]
    };
    let doc = ast::Document::parse(input.sdl.as_str(), format!("{}.graphql", input.name)).map_err(
        |e| {
            let messages: Vec<String> = e
                .errors
                .iter()
                .map(|d| {
                    let json = d.to_json();
                    match json.locations.first() {
                        Some(l) => {
                            format!("{}:{}:{}: {}", input.name, l.line, l.column, json.message)
                        }
                        None => json.message,
                    }
                })
                .collect();
            invalid(messages.join("; "))
        },
    )?;

    let mut schema_directives: Vec<&Directive> = Vec::new();
    let mut roots: Vec<(OperationType, String)> = Vec::new();
    for def in &doc.definitions {
        match def {
            Definition::SchemaDefinition(s) => {
                schema_directives.extend(s.directives.iter().map(|d| d.as_ref()));
                roots.extend(s.root_operations.iter().map(|r| (r.0, r.1.to_string())));
            }
            Definition::SchemaExtension(s) => {
                schema_directives.extend(s.directives.iter().map(|d| d.as_ref()));
                roots.extend(s.root_operations.iter().map(|r| (r.0, r.1.to_string())));
            }
            _ => {}
        }
    }
    let names = FederationNames::read(&schema_directives).map_err(|m| {
        vec![CompositionError::new(
            ErrorCode::InvalidLinkDirectiveUsage,
            Some(&input.name),
            None,
            format!("[{}] {m}", input.name),
        )]
    })?;

    // Root types are renamed to Query / Mutation / Subscription, as Apollo does.
    let root_default = |op: OperationType| match op {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    };
    let rename = |name: &str| -> String {
        roots
            .iter()
            .find(|(_, n)| n == name)
            .map(|(op, _)| root_default(*op).to_string())
            .unwrap_or_else(|| name.to_string())
    };

    let mut reader = Reader {
        subgraph: &input.name,
        names: &names,
        composed_names: Vec::new(),
        errors: Vec::new(),
    };
    // @composeDirective names come first: they decide which custom applications are kept.
    for d in &schema_directives {
        if names.spec_name(&d.name) == Some("composeDirective")
            && let Some(n) = d
                .specified_argument_by_name("name")
                .and_then(|v| v.as_str())
        {
            reader
                .composed_names
                .push(n.trim_start_matches('@').to_string());
        }
    }

    let unknown = super::references::unknown_references(&doc, &names);
    if !unknown.is_empty() {
        return Err(unknown
            .into_iter()
            .map(|(code, m)| {
                CompositionError::new(
                    code,
                    Some(&input.name),
                    None,
                    format!("[{}] {m}", input.name),
                )
            })
            .collect());
    }
    let mut types: IndexMap<String, TypeDef> = IndexMap::new();
    let mut custom_definitions = Vec::new();
    for def in &doc.definitions {
        let (name, kind, is_extension) = match def {
            Definition::ObjectTypeDefinition(d) => (&d.name, Kind::Object, false),
            Definition::ObjectTypeExtension(d) => (&d.name, Kind::Object, true),
            Definition::InterfaceTypeDefinition(d) => (&d.name, Kind::Interface, false),
            Definition::InterfaceTypeExtension(d) => (&d.name, Kind::Interface, true),
            Definition::UnionTypeDefinition(d) => (&d.name, Kind::Union, false),
            Definition::UnionTypeExtension(d) => (&d.name, Kind::Union, true),
            Definition::EnumTypeDefinition(d) => (&d.name, Kind::Enum, false),
            Definition::EnumTypeExtension(d) => (&d.name, Kind::Enum, true),
            Definition::InputObjectTypeDefinition(d) => (&d.name, Kind::Input, false),
            Definition::InputObjectTypeExtension(d) => (&d.name, Kind::Input, true),
            Definition::ScalarTypeDefinition(d) => (&d.name, Kind::Scalar, false),
            Definition::ScalarTypeExtension(d) => (&d.name, Kind::Scalar, true),
            Definition::DirectiveDefinition(d) => {
                custom_definitions.push(d.clone());
                continue;
            }
            Definition::OperationDefinition(_) | Definition::FragmentDefinition(_) => {
                return Err(invalid(
                    "a subgraph schema cannot contain operations or fragments".into(),
                ));
            }
            Definition::SchemaDefinition(_) | Definition::SchemaExtension(_) => continue,
        };
        if is_machinery_type(name) {
            continue;
        }
        let name = rename(name);
        let ty = types
            .entry(name.clone())
            .or_insert_with(|| TypeDef::new(&name, kind));
        if ty.kind != kind {
            return Err(invalid(format!(
                "Type \"{name}\" is defined both as {} and {}",
                ty.kind.label(),
                kind.label()
            )));
        }
        if is_extension {
            ty.has_extension = true;
        } else {
            ty.has_definition = true;
        }
        reader.read_definition(def, ty, is_extension);
    }
    if !reader.errors.is_empty() {
        return Err(reader.errors);
    }
    for (op, field) in [
        (OperationType::Query, "_service"),
        (OperationType::Query, "_entities"),
    ] {
        if let Some(t) = types.get_mut(root_default(op)) {
            t.fields.shift_remove(field);
        }
    }
    // Every subgraph has a Query type (it serves `_service` at least), as Apollo sees it.
    if !types.contains_key("Query") {
        let mut query = TypeDef::new("Query", Kind::Object);
        query.has_definition = true;
        types.insert("Query".to_string(), query);
    }
    let composed = reader
        .composed_names
        .iter()
        .filter_map(|n| {
            let definition = custom_definitions.iter().find(|d| d.name == n.as_str())?;
            let link = names
                .other_links
                .iter()
                .find(|l| l.imported.iter().any(|(local, _)| local == n))
                .cloned();
            Some(CustomDirective {
                name: n.clone(),
                definition: definition.clone(),
                link,
            })
        })
        .collect();
    let mut model = SubgraphModel {
        name: input.name.clone(),
        url: input.url.clone(),
        fed2: names.fed2,
        federation_minor: names.minor_version,
        types,
        composed,
        used_in_field_sets: HashSet::new(),
        provided: HashSet::new(),
        key_fields: HashSet::new(),
    };
    if !model.fed2 {
        super::fed1::upgrade_fed1(&mut model);
    }
    compute_field_set_usage(&mut model);
    if !model.fed2 {
        super::fed1::remove_unused_externals(&mut model);
    }
    Ok(model)
}

struct Reader<'a> {
    subgraph: &'a str,
    names: &'a FederationNames,
    composed_names: Vec<String>,
    errors: Errors,
}

/// Spec directives copied into the supergraph, and their supergraph names.
fn supergraph_name(spec: &str) -> Option<&'static str> {
    Some(match spec {
        "inaccessible" => "inaccessible",
        "tag" => "tag",
        "authenticated" => "authenticated",
        "requiresScopes" => "requiresScopes",
        "policy" => "policy",
        "cost" => "cost",
        "listSize" => "listSize",
        _ => return None,
    })
}

fn print_args(d: &Directive) -> String {
    if d.arguments.is_empty() {
        return String::new();
    }
    let args: Vec<String> = d
        .arguments
        .iter()
        .map(|a| format!("{}: {}", a.name, print_value(&a.value)))
        .collect();
    format!("({})", args.join(", "))
}

/// A value as graphql-js prints it: `[a, b]`, `{a: 1}`, JSON-escaped strings.
pub(crate) fn print_value(v: &ast::Value) -> String {
    use ast::Value;
    match v {
        Value::Null => "null".into(),
        Value::Enum(n) => n.to_string(),
        Value::Variable(n) => format!("${n}"),
        Value::String(s) => super::merge::quote(s),
        Value::Float(f) => f.as_str().to_string(),
        Value::Int(i) => i.as_str().to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| print_value(i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(n, v)| format!("{n}: {}", print_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn description(d: &Option<Node<str>>) -> Option<String> {
    d.as_ref().map(|s| s.to_string())
}

impl Reader<'_> {
    fn spec(&self, d: &Directive) -> Option<&'static str> {
        self.names.spec_name(&d.name)
    }

    /// The applications of `list` composition copies into the supergraph.
    fn applied(&self, list: &DirectiveList) -> Vec<Applied> {
        let mut out = Vec::new();
        for d in list.iter() {
            let name = match self.spec(d) {
                Some(spec) => match supergraph_name(spec) {
                    Some(n) => n.to_string(),
                    None => continue,
                },
                None if d.name == "deprecated" || d.name == "specifiedBy" => d.name.to_string(),
                None if self.composed_names.iter().any(|n| n == d.name.as_str()) => {
                    d.name.to_string()
                }
                None => continue,
            };
            let nested = d
                .arguments
                .first()
                .and_then(|a| a.value.as_list())
                .map(|outer| {
                    outer
                        .iter()
                        .map(|inner| {
                            inner
                                .as_list()
                                .unwrap_or_default()
                                .iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push(Applied {
                name,
                args: print_args(d),
                nested,
            });
        }
        out
    }

    fn str_arg(d: &Directive, name: &str) -> Option<String> {
        d.specified_argument_by_name(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    }

    fn read_definition(&mut self, def: &Definition, ty: &mut TypeDef, is_extension: bool) {
        let (desc, directives): (&Option<Node<str>>, &DirectiveList) = match def {
            Definition::ObjectTypeDefinition(d) => (&d.description, &d.directives),
            Definition::InterfaceTypeDefinition(d) => (&d.description, &d.directives),
            Definition::UnionTypeDefinition(d) => (&d.description, &d.directives),
            Definition::EnumTypeDefinition(d) => (&d.description, &d.directives),
            Definition::InputObjectTypeDefinition(d) => (&d.description, &d.directives),
            Definition::ScalarTypeDefinition(d) => (&d.description, &d.directives),
            Definition::ObjectTypeExtension(d) => (&None, &d.directives),
            Definition::InterfaceTypeExtension(d) => (&None, &d.directives),
            Definition::UnionTypeExtension(d) => (&None, &d.directives),
            Definition::EnumTypeExtension(d) => (&None, &d.directives),
            Definition::InputObjectTypeExtension(d) => (&None, &d.directives),
            Definition::ScalarTypeExtension(d) => (&None, &d.directives),
            _ => return,
        };
        if ty.description.is_none() {
            ty.description = description(desc);
        }
        let mut all_external = false;
        for d in directives.iter() {
            match self.spec(d) {
                Some("key") => {
                    let fields = Self::str_arg(d, "fields").unwrap_or_default();
                    ty.keys.push(Key {
                        selections: field_set::parse(&fields).ok(),
                        fields,
                        resolvable: d
                            .specified_argument_by_name("resolvable")
                            .and_then(|v| v.to_bool()),
                        on_extension: is_extension,
                    });
                }
                Some("shareable") => ty.shareable = true,
                Some("interfaceObject") => ty.interface_object = true,
                Some("extends") => ty.extends = true,
                Some("external") => all_external = true,
                _ => {}
            }
        }
        ty.applied.extend(self.applied(directives));
        let fields: &[Node<ast::FieldDefinition>] = match def {
            Definition::ObjectTypeDefinition(d) => {
                ty.implements
                    .extend(d.implements_interfaces.iter().map(|n| n.to_string()));
                &d.fields
            }
            Definition::ObjectTypeExtension(d) => {
                ty.implements
                    .extend(d.implements_interfaces.iter().map(|n| n.to_string()));
                &d.fields
            }
            Definition::InterfaceTypeDefinition(d) => {
                ty.implements
                    .extend(d.implements_interfaces.iter().map(|n| n.to_string()));
                &d.fields
            }
            Definition::InterfaceTypeExtension(d) => {
                ty.implements
                    .extend(d.implements_interfaces.iter().map(|n| n.to_string()));
                &d.fields
            }
            Definition::UnionTypeDefinition(d) => {
                ty.members.extend(d.members.iter().map(|n| n.to_string()));
                &[]
            }
            Definition::UnionTypeExtension(d) => {
                ty.members.extend(d.members.iter().map(|n| n.to_string()));
                &[]
            }
            Definition::EnumTypeDefinition(d) => {
                self.read_values(&d.values, ty);
                &[]
            }
            Definition::EnumTypeExtension(d) => {
                self.read_values(&d.values, ty);
                &[]
            }
            Definition::InputObjectTypeDefinition(d) => {
                self.read_input_fields(&d.fields, ty);
                &[]
            }
            Definition::InputObjectTypeExtension(d) => {
                self.read_input_fields(&d.fields, ty);
                &[]
            }
            _ => &[],
        };
        for f in fields {
            if ty.fields.contains_key(f.name.as_str()) {
                self.errors.push(CompositionError::in_subgraph(
                    ErrorCode::InvalidGraphql,
                    self.subgraph,
                    &format!("{}.{}", ty.name, f.name),
                    format_args!("Field \"{}.{}\" can only be defined once.", ty.name, f.name),
                ));
                continue;
            }
            let mut field = Field {
                name: f.name.to_string(),
                description: description(&f.description),
                ty: f.ty.clone(),
                arguments: IndexMap::new(),
                default: None,
                external: all_external,
                shareable: false,
                requires: None,
                provides: None,
                override_from: None,
                override_label: None,
                applied: self.applied(&f.directives),
            };
            for d in f.directives.iter() {
                match self.spec(d) {
                    Some("external") => field.external = true,
                    Some("shareable") => field.shareable = true,
                    Some("requires") => field.requires = Self::str_arg(d, "fields"),
                    Some("provides") => field.provides = Self::str_arg(d, "fields"),
                    Some("override") => {
                        field.override_from = Self::str_arg(d, "from");
                        field.override_label = Self::str_arg(d, "label");
                    }
                    _ => {}
                }
            }
            for a in &f.arguments {
                field.arguments.insert(a.name.to_string(), self.argument(a));
            }
            ty.fields.insert(field.name.clone(), field);
        }
    }

    fn argument(&self, a: &ast::InputValueDefinition) -> Argument {
        Argument {
            name: a.name.to_string(),
            description: description(&a.description),
            ty: (*a.ty).clone(),
            default: a.default_value.as_ref().map(|v| print_value(v)),
            applied: self.applied(&a.directives),
        }
    }

    fn read_values(&mut self, values: &[Node<ast::EnumValueDefinition>], ty: &mut TypeDef) {
        for v in values {
            ty.values.insert(
                v.value.to_string(),
                EnumValue {
                    description: description(&v.description),
                    applied: self.applied(&v.directives),
                },
            );
        }
    }

    fn read_input_fields(&mut self, fields: &[Node<ast::InputValueDefinition>], ty: &mut TypeDef) {
        for f in fields {
            let arg = self.argument(f);
            ty.fields.insert(
                arg.name.clone(),
                Field {
                    name: arg.name,
                    description: arg.description,
                    ty: arg.ty,
                    arguments: IndexMap::new(),
                    default: arg.default,
                    external: false,
                    shareable: false,
                    requires: None,
                    provides: None,
                    override_from: None,
                    override_label: None,
                    applied: arg.applied,
                },
            );
        }
    }
}

/// Records which fields the subgraph's field sets name, and which external fields its
/// `@provides` make resolvable.
fn compute_field_set_usage(model: &mut SubgraphModel) {
    let mut used = HashSet::new();
    let mut provided = HashSet::new();
    let mut key_fields = HashSet::new();
    for ty in model.types.values() {
        for key in &ty.keys {
            if let Some(sel) = &key.selections {
                collect(model, &ty.name, sel, &mut key_fields);
            }
        }
        for f in ty.fields.values() {
            if let Some(sel) = f.requires.as_deref().and_then(|s| field_set::parse(s).ok()) {
                collect(model, &ty.name, &sel, &mut used);
            }
            if let Some(sel) = f.provides.as_deref().and_then(|s| field_set::parse(s).ok()) {
                let target = f.ty.inner_named_type().to_string();
                let mut here = HashSet::new();
                collect(model, &target, &sel, &mut here);
                provided.extend(here.iter().cloned());
                used.extend(here);
            }
        }
        // A field that implements an interface field is used by that interface.
        for itf in &ty.implements {
            if let Some(i) = model.types.get(itf) {
                for f in i.fields.keys() {
                    if ty.fields.contains_key(f) {
                        used.insert((ty.name.clone(), f.clone()));
                    }
                }
            }
        }
    }
    used.extend(key_fields.iter().cloned());
    model.used_in_field_sets = used;
    model.provided = provided;
    model.key_fields = key_fields;
}

/// Adds `(type, field)` for every field `selections` names, following field types.
pub(crate) fn collect(
    model: &SubgraphModel,
    type_name: &str,
    selections: &[Selection],
    out: &mut HashSet<(String, String)>,
) {
    for sel in selections {
        match sel {
            Selection::Field { name, children, .. } => {
                out.insert((type_name.to_string(), name.clone()));
                if let Some(f) = model.field(type_name, name) {
                    let inner = f.ty.inner_named_type().to_string();
                    if !children.is_empty() {
                        collect(model, &inner, children, out);
                    }
                }
            }
            Selection::InlineFragment {
                type_condition,
                children,
            } => {
                let t = type_condition.as_deref().unwrap_or(type_name);
                collect(model, t, children, out);
            }
        }
    }
}
