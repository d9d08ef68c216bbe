//! Classifying the differences between two API schemas, for `platform schema check`.
//!
//! Breaking: a client operation valid before may fail now (removals, type changes that
//! loosen an output or tighten an input, new required inputs). Dangerous: operations still
//! validate but may behave differently (new enum values clients do not expect, changed
//! defaults, new union members or interface implementations). Safe: everything else.
use apollo_compiler::ast::Type;
use apollo_compiler::schema::{ExtendedType, InputValueDefinition};
use apollo_compiler::{Node, Schema};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Breaking,
    Dangerous,
    Safe,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Breaking => "BREAKING",
            Severity::Dangerous => "DANGEROUS",
            Severity::Safe => "SAFE",
        })
    }
}

/// What changed (the names graphql-inspector and Apollo's checks use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeKind {
    TypeAdded,
    TypeRemoved,
    TypeKindChanged,
    FieldAdded,
    FieldRemoved,
    FieldTypeChanged,
    FieldDeprecated,
    FieldDeprecationRemoved,
    ArgumentAdded,
    ArgumentRemoved,
    ArgumentTypeChanged,
    ArgumentDefaultChanged,
    InputFieldAdded,
    InputFieldRemoved,
    InputFieldTypeChanged,
    InputFieldDefaultChanged,
    EnumValueAdded,
    EnumValueRemoved,
    UnionMemberAdded,
    UnionMemberRemoved,
    InterfaceImplementationAdded,
    InterfaceImplementationRemoved,
    DescriptionChanged,
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = serde_json::to_value(self).ok();
        f.write_str(json.as_ref().and_then(|v| v.as_str()).unwrap_or("CHANGE"))
    }
}

/// One classified difference between the old and the new API schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SchemaChange {
    pub severity: Severity,
    pub kind: ChangeKind,
    /// `Type`, `Type.field`, `Type.field(arg:)` or `Enum.VALUE`.
    pub coordinate: String,
    pub message: String,
    /// Line of the element in the new schema; for a removed element, of its parent there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

fn line<T>(node: &Node<T>, schema: &Schema) -> Option<usize> {
    node.line_column_range(&schema.sources)
        .map(|r| r.start.line)
}

fn kind_name(t: &ExtendedType) -> &'static str {
    match t {
        ExtendedType::Scalar(_) => "scalar",
        ExtendedType::Object(_) => "object type",
        ExtendedType::Interface(_) => "interface",
        ExtendedType::Union(_) => "union",
        ExtendedType::Enum(_) => "enum",
        ExtendedType::InputObject(_) => "input object type",
    }
}

fn type_line(t: &ExtendedType, schema: &Schema) -> Option<usize> {
    match t {
        ExtendedType::Scalar(n) => line(n, schema),
        ExtendedType::Object(n) => line(n, schema),
        ExtendedType::Interface(n) => line(n, schema),
        ExtendedType::Union(n) => line(n, schema),
        ExtendedType::Enum(n) => line(n, schema),
        ExtendedType::InputObject(n) => line(n, schema),
    }
}

/// An output position may become stricter (`String` -> `String!`), never looser or different.
fn is_safe_output_change(old: &Type, new: &Type) -> bool {
    match (old, new) {
        (Type::Named(a), Type::Named(b) | Type::NonNullNamed(b)) => a == b,
        (Type::NonNullNamed(a), Type::NonNullNamed(b)) => a == b,
        (Type::List(a), Type::List(b) | Type::NonNullList(b)) => is_safe_output_change(a, b),
        (Type::NonNullList(a), Type::NonNullList(b)) => is_safe_output_change(a, b),
        _ => false,
    }
}

/// An input position may become looser (`String!` -> `String`), never stricter or different.
fn is_safe_input_change(old: &Type, new: &Type) -> bool {
    is_safe_output_change(new, old)
}

struct Differ<'a> {
    old: &'a Schema,
    new: &'a Schema,
    changes: Vec<SchemaChange>,
}

impl Differ<'_> {
    fn push(
        &mut self,
        severity: Severity,
        kind: ChangeKind,
        coordinate: String,
        message: String,
        line: Option<usize>,
    ) {
        self.changes.push(SchemaChange {
            severity,
            kind,
            coordinate,
            message,
            line,
        });
    }

    fn types(&mut self) {
        for (name, old) in &self.old.types {
            if old.is_built_in() {
                continue;
            }
            match self.new.types.get(name) {
                None => self.push(
                    Severity::Breaking,
                    ChangeKind::TypeRemoved,
                    name.to_string(),
                    format!("Type \"{name}\" was removed"),
                    None,
                ),
                Some(new) if std::mem::discriminant(old) != std::mem::discriminant(new) => self
                    .push(
                        Severity::Breaking,
                        ChangeKind::TypeKindChanged,
                        name.to_string(),
                        format!(
                            "\"{name}\" changed from {} to {}",
                            kind_name(old),
                            kind_name(new)
                        ),
                        type_line(new, self.new),
                    ),
                Some(new) => self.same_kind(name, old, new),
            }
        }
        for (name, new) in &self.new.types {
            if !new.is_built_in() && !self.old.types.contains_key(name) {
                self.push(
                    Severity::Safe,
                    ChangeKind::TypeAdded,
                    name.to_string(),
                    format!("Type \"{name}\" was added"),
                    type_line(new, self.new),
                );
            }
        }
    }

    fn same_kind(&mut self, name: &str, old: &ExtendedType, new: &ExtendedType) {
        if old.description() != new.description() {
            self.push(
                Severity::Safe,
                ChangeKind::DescriptionChanged,
                name.to_string(),
                format!("Description of \"{name}\" changed"),
                type_line(new, self.new),
            );
        }
        match (old, new) {
            (ExtendedType::Object(o), ExtendedType::Object(n)) => {
                self.implementations(
                    name,
                    &o.implements_interfaces,
                    &n.implements_interfaces,
                    type_line(new, self.new),
                );
                self.fields(name, &o.fields, &n.fields, type_line(new, self.new));
            }
            (ExtendedType::Interface(o), ExtendedType::Interface(n)) => {
                self.implementations(
                    name,
                    &o.implements_interfaces,
                    &n.implements_interfaces,
                    type_line(new, self.new),
                );
                self.fields(name, &o.fields, &n.fields, type_line(new, self.new));
            }
            (ExtendedType::Union(o), ExtendedType::Union(n)) => {
                for m in &o.members {
                    if !n.members.contains(m) {
                        self.push(
                            Severity::Breaking,
                            ChangeKind::UnionMemberRemoved,
                            name.to_string(),
                            format!("Member \"{}\" was removed from union \"{name}\"", m.name),
                            type_line(new, self.new),
                        );
                    }
                }
                for m in &n.members {
                    if !o.members.contains(m) {
                        self.push(
                            Severity::Dangerous,
                            ChangeKind::UnionMemberAdded,
                            name.to_string(),
                            format!("Member \"{}\" was added to union \"{name}\"", m.name),
                            type_line(new, self.new),
                        );
                    }
                }
            }
            (ExtendedType::Enum(o), ExtendedType::Enum(n)) => {
                for v in o.values.keys() {
                    if !n.values.contains_key(v) {
                        self.push(
                            Severity::Breaking,
                            ChangeKind::EnumValueRemoved,
                            format!("{name}.{v}"),
                            format!("Value \"{v}\" was removed from enum \"{name}\""),
                            type_line(new, self.new),
                        );
                    }
                }
                for (v, def) in &n.values {
                    if !o.values.contains_key(v) {
                        self.push(
                            Severity::Dangerous,
                            ChangeKind::EnumValueAdded,
                            format!("{name}.{v}"),
                            format!("Value \"{v}\" was added to enum \"{name}\": clients may not handle it"),
                            line(def, self.new),
                        );
                    }
                }
            }
            (ExtendedType::InputObject(o), ExtendedType::InputObject(n)) => {
                for (f, def) in &o.fields {
                    match n.fields.get(f) {
                        None => self.push(
                            Severity::Breaking,
                            ChangeKind::InputFieldRemoved,
                            format!("{name}.{f}"),
                            format!("Input field \"{name}.{f}\" was removed"),
                            type_line(new, self.new),
                        ),
                        Some(new_def) => self.input_value(
                            &format!("{name}.{f}"),
                            "Input field",
                            def,
                            new_def,
                            ChangeKind::InputFieldTypeChanged,
                            ChangeKind::InputFieldDefaultChanged,
                        ),
                    }
                }
                for (f, def) in &n.fields {
                    if !o.fields.contains_key(f) {
                        let required = def.is_required();
                        self.push(
                            if required {
                                Severity::Breaking
                            } else {
                                Severity::Safe
                            },
                            ChangeKind::InputFieldAdded,
                            format!("{name}.{f}"),
                            if required {
                                format!("Required input field \"{name}.{f}\" was added")
                            } else {
                                format!("Optional input field \"{name}.{f}\" was added")
                            },
                            line(def, self.new),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn implementations(
        &mut self,
        name: &str,
        old: &apollo_compiler::collections::IndexSet<apollo_compiler::schema::ComponentName>,
        new: &apollo_compiler::collections::IndexSet<apollo_compiler::schema::ComponentName>,
        at: Option<usize>,
    ) {
        for i in old {
            if !new.contains(i) {
                self.push(
                    Severity::Dangerous,
                    ChangeKind::InterfaceImplementationRemoved,
                    name.to_string(),
                    format!("\"{name}\" no longer implements interface \"{}\"", i.name),
                    at,
                );
            }
        }
        for i in new {
            if !old.contains(i) {
                self.push(
                    Severity::Dangerous,
                    ChangeKind::InterfaceImplementationAdded,
                    name.to_string(),
                    format!("\"{name}\" now implements interface \"{}\"", i.name),
                    at,
                );
            }
        }
    }

    fn fields(
        &mut self,
        type_name: &str,
        old: &apollo_compiler::collections::IndexMap<
            apollo_compiler::Name,
            apollo_compiler::schema::Component<apollo_compiler::schema::FieldDefinition>,
        >,
        new: &apollo_compiler::collections::IndexMap<
            apollo_compiler::Name,
            apollo_compiler::schema::Component<apollo_compiler::schema::FieldDefinition>,
        >,
        type_at: Option<usize>,
    ) {
        for (f, o) in old {
            let coordinate = format!("{type_name}.{f}");
            let Some(n) = new.get(f) else {
                self.push(
                    Severity::Breaking,
                    ChangeKind::FieldRemoved,
                    coordinate.clone(),
                    format!("Field \"{coordinate}\" was removed"),
                    type_at,
                );
                continue;
            };
            let at = line(&n.node, self.new);
            if !is_safe_output_change(&o.ty, &n.ty) {
                self.push(
                    Severity::Breaking,
                    ChangeKind::FieldTypeChanged,
                    coordinate.clone(),
                    format!(
                        "Field \"{coordinate}\" changed type from \"{}\" to \"{}\"",
                        o.ty, n.ty
                    ),
                    at,
                );
            } else if o.ty != n.ty {
                self.push(
                    Severity::Safe,
                    ChangeKind::FieldTypeChanged,
                    coordinate.clone(),
                    format!(
                        "Field \"{coordinate}\" changed type from \"{}\" to \"{}\"",
                        o.ty, n.ty
                    ),
                    at,
                );
            }
            let deprecated =
                |d: &apollo_compiler::schema::FieldDefinition| d.directives.has("deprecated");
            match (deprecated(&o.node), deprecated(&n.node)) {
                (false, true) => self.push(
                    Severity::Safe,
                    ChangeKind::FieldDeprecated,
                    coordinate.clone(),
                    format!("Field \"{coordinate}\" was deprecated"),
                    at,
                ),
                (true, false) => self.push(
                    Severity::Safe,
                    ChangeKind::FieldDeprecationRemoved,
                    coordinate.clone(),
                    format!("Field \"{coordinate}\" is no longer deprecated"),
                    at,
                ),
                _ => {}
            }
            if o.description != n.description {
                self.push(
                    Severity::Safe,
                    ChangeKind::DescriptionChanged,
                    coordinate.clone(),
                    format!("Description of \"{coordinate}\" changed"),
                    at,
                );
            }
            for oa in &o.arguments {
                let arg = format!("{coordinate}({}:)", oa.name);
                match n.arguments.iter().find(|a| a.name == oa.name) {
                    None => self.push(
                        Severity::Breaking,
                        ChangeKind::ArgumentRemoved,
                        arg.clone(),
                        format!("Argument \"{arg}\" was removed"),
                        at,
                    ),
                    Some(na) => self.input_value(
                        &arg,
                        "Argument",
                        oa,
                        na,
                        ChangeKind::ArgumentTypeChanged,
                        ChangeKind::ArgumentDefaultChanged,
                    ),
                }
            }
            for na in &n.arguments {
                if o.arguments.iter().all(|a| a.name != na.name) {
                    let arg = format!("{coordinate}({}:)", na.name);
                    let required = na.is_required();
                    self.push(
                        if required {
                            Severity::Breaking
                        } else {
                            Severity::Safe
                        },
                        ChangeKind::ArgumentAdded,
                        arg.clone(),
                        if required {
                            format!("Required argument \"{arg}\" was added")
                        } else {
                            format!("Optional argument \"{arg}\" was added")
                        },
                        line(na, self.new),
                    );
                }
            }
        }
        for (f, n) in new {
            if !old.contains_key(f) {
                let coordinate = format!("{type_name}.{f}");
                self.push(
                    Severity::Safe,
                    ChangeKind::FieldAdded,
                    coordinate.clone(),
                    format!("Field \"{coordinate}\" was added"),
                    line(&n.node, self.new),
                );
            }
        }
    }

    fn input_value(
        &mut self,
        coordinate: &str,
        what: &str,
        old: &Node<InputValueDefinition>,
        new: &Node<InputValueDefinition>,
        type_changed: ChangeKind,
        default_changed: ChangeKind,
    ) {
        let at = line(new, self.new);
        if old.ty != new.ty {
            let severity = if is_safe_input_change(&old.ty, &new.ty) {
                Severity::Safe
            } else {
                Severity::Breaking
            };
            self.push(
                severity,
                type_changed,
                coordinate.to_string(),
                format!(
                    "{what} \"{coordinate}\" changed type from \"{}\" to \"{}\"",
                    old.ty, new.ty
                ),
                at,
            );
        }
        let print =
            |v: &Option<Node<apollo_compiler::ast::Value>>| v.as_ref().map(|v| v.to_string());
        let (od, nd) = (print(&old.default_value), print(&new.default_value));
        if od != nd {
            let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".to_string());
            self.push(
                Severity::Dangerous,
                default_changed,
                coordinate.to_string(),
                format!(
                    "Default value of {} \"{coordinate}\" changed from {} to {}",
                    what.to_lowercase(),
                    show(&od),
                    show(&nd)
                ),
                at,
            );
        }
    }
}

/// Every difference between two API schemas, breaking changes first, then by coordinate.
pub fn diff(old_api_schema: &Schema, new_api_schema: &Schema) -> Vec<SchemaChange> {
    let mut differ = Differ {
        old: old_api_schema,
        new: new_api_schema,
        changes: Vec::new(),
    };
    differ.types();
    let mut changes = differ.changes;
    changes.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| a.coordinate.cmp(&b.coordinate))
    });
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use apollo_compiler::Name;

    fn named(n: &str) -> Type {
        Type::Named(Name::new(n).expect("name"))
    }

    #[test]
    fn output_may_only_tighten_and_input_only_loosen() {
        let s = named("String");
        let s_nn = s.clone().non_null();
        assert!(is_safe_output_change(&s, &s_nn));
        assert!(!is_safe_output_change(&s_nn, &s));
        assert!(is_safe_input_change(&s_nn, &s));
        assert!(!is_safe_input_change(&s, &s_nn));
        assert!(!is_safe_output_change(&s, &s.clone().list()));
        assert!(is_safe_output_change(
            &s.clone().list(),
            &s_nn.clone().list().non_null()
        ));
    }
}
