//! Rules one subgraph must follow on its own: keys select existing, non-abstract fields
//! without arguments; `@requires` selects `@external` fields; `@provides` sits on fields of
//! composite type and selects `@external` fields; `@external` fields are used.
use super::errors::{CompositionError, ErrorCode};
use super::field_set::{self, Selection};
use super::subgraph::{Kind, SubgraphModel};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Key,
    Requires,
    Provides,
}

impl Use {
    fn invalid_code(self) -> ErrorCode {
        match self {
            Use::Key => ErrorCode::KeyInvalidFields,
            Use::Requires => ErrorCode::RequiresInvalidFields,
            Use::Provides => ErrorCode::ProvidesInvalidFields,
        }
    }
}

struct FieldSetCheck<'a> {
    model: &'a SubgraphModel,
    usage: Use,
    /// `On type "T", for @key(fields: "id")` / `On field "T.f", for @requires(fields: "x")`.
    context: String,
    coordinate: String,
    /// Below an `@external` field, leaves need not be `@external` themselves.
    external_in_parents: bool,
    errors: Vec<CompositionError>,
}

impl FieldSetCheck<'_> {
    fn error(&mut self, code: ErrorCode, message: String) {
        self.errors.push(CompositionError::in_subgraph(
            code,
            &self.model.name,
            &self.coordinate,
            format_args!("{}: {message}", self.context),
        ));
    }

    fn walk(&mut self, type_name: &str, selections: &[Selection]) {
        let model = self.model;
        for sel in selections {
            match sel {
                Selection::InlineFragment {
                    type_condition,
                    children,
                } => {
                    let t = type_condition.as_deref().unwrap_or(type_name);
                    if !model.types.contains_key(t) {
                        self.error(self.usage.invalid_code(), format!("Unknown type \"{t}\"."));
                        continue;
                    }
                    self.walk(t, children);
                }
                Selection::Field {
                    name,
                    has_arguments,
                    children,
                } => {
                    let Some(field) = model.field(type_name, name) else {
                        let advice = match self.usage {
                            Use::Key => {
                                " (the field should either be added to this subgraph or, if it should not be resolved by this subgraph, you need to add it to this subgraph with @external)"
                            }
                            Use::Requires => {
                                " (if the field is defined in another subgraph, you need to add it to this subgraph with @external)"
                            }
                            Use::Provides => {
                                " (if the field is defined in another subgraph, you need to add it to this subgraph with @external)"
                            }
                        };
                        self.error(
                            self.usage.invalid_code(),
                            format!(
                                "Cannot query field \"{name}\" on type \"{type_name}\"{advice}."
                            ),
                        );
                        continue;
                    };
                    let coordinate = format!("{type_name}.{name}");
                    let inner = field.ty.inner_named_type().as_str();
                    let inner_kind = model.types.get(inner).map(|t| t.merged_kind());
                    if self.usage == Use::Key {
                        if *has_arguments || !field.arguments.is_empty() {
                            self.error(
                                ErrorCode::KeyFieldsHasArgs,
                                format!("field {coordinate} cannot be included because it has arguments (fields with argument are not allowed in @key)"),
                            );
                        }
                        if let Some(k @ (Kind::Interface | Kind::Union)) = inner_kind {
                            let what = if k == Kind::Interface {
                                "a Interface"
                            } else {
                                "a Union"
                            };
                            self.error(
                                ErrorCode::KeyFieldsSelectInvalidType,
                                format!("field \"{coordinate}\" is {what} type which is not allowed in @key"),
                            );
                        }
                    } else if model.fed2
                        && !field.external
                        && children.is_empty()
                        && !self.external_in_parents
                    {
                        let (code, what) = match self.usage {
                            Use::Requires => {
                                (ErrorCode::RequiresFieldsMissingExternal, "@requires")
                            }
                            _ => (ErrorCode::ProvidesFieldsMissingExternal, "@provides"),
                        };
                        self.error(
                            code,
                            format!("field \"{coordinate}\" should not be part of a {what} since it is already provided by this subgraph (it is not marked @external)"),
                        );
                    }
                    let composite = matches!(
                        inner_kind,
                        Some(Kind::Object | Kind::Interface | Kind::Union)
                    );
                    if children.is_empty() && composite {
                        self.error(
                            self.usage.invalid_code(),
                            format!("Field \"{name}\" of type \"{}\" must have a selection of subfields. Did you mean \"{name} {{ ... }}\"?", field.ty),
                        );
                    } else if !children.is_empty() && !composite {
                        self.error(
                            self.usage.invalid_code(),
                            format!("Field \"{name}\" must not have a selection since type \"{}\" has no subfields.", field.ty),
                        );
                    } else if !children.is_empty() {
                        let outer = self.external_in_parents;
                        self.external_in_parents |= field.external;
                        self.walk(inner, children);
                        self.external_in_parents = outer;
                    }
                }
            }
        }
    }
}

pub(crate) fn check(model: &SubgraphModel) -> Vec<CompositionError> {
    let mut errors = Vec::new();
    for ty in model.types.values() {
        for key in &ty.keys {
            let mut check = FieldSetCheck {
                model,
                usage: Use::Key,
                context: format!(
                    "On type \"{}\", for @key(fields: \"{}\")",
                    ty.name, key.fields
                ),
                coordinate: ty.name.clone(),
                external_in_parents: false,
                errors: Vec::new(),
            };
            run(&mut check, &ty.name, &key.fields);
            errors.append(&mut check.errors);
        }
        if ty.kind == Kind::Interface && model.fed2 {
            errors.extend(interface_keys_on_implementations(model, ty));
        }
        for field in ty.fields.values() {
            let coordinate = format!("{}.{}", ty.name, field.name);
            if let Some(fields) = &field.requires {
                let mut check = FieldSetCheck {
                    model,
                    usage: Use::Requires,
                    context: format!(
                        "On field \"{coordinate}\", for @requires(fields: \"{fields}\")"
                    ),
                    coordinate: coordinate.clone(),
                    external_in_parents: false,
                    errors: Vec::new(),
                };
                run(&mut check, &ty.name, fields);
                errors.append(&mut check.errors);
            }
            if let Some(fields) = &field.provides {
                let target = field.ty.inner_named_type().as_str();
                let composite = model.types.get(target).is_some_and(|t| {
                    matches!(
                        t.merged_kind(),
                        Kind::Object | Kind::Interface | Kind::Union
                    )
                });
                if !composite {
                    errors.push(CompositionError::in_subgraph(
                        ErrorCode::ProvidesOnNonObjectField,
                        &model.name,
                        &coordinate,
                        format_args!("Invalid @provides directive on field \"{coordinate}\": field has type \"{}\" which is not a Composite Type", field.ty),
                    ));
                } else {
                    let mut check = FieldSetCheck {
                        model,
                        usage: Use::Provides,
                        context: format!(
                            "On field \"{coordinate}\", for @provides(fields: \"{fields}\")"
                        ),
                        coordinate: coordinate.clone(),
                        external_in_parents: false,
                        errors: Vec::new(),
                    };
                    run(&mut check, target, fields);
                    errors.append(&mut check.errors);
                }
            }
            if field.override_from.is_some() && ty.kind == Kind::Interface && !ty.interface_object {
                errors.push(CompositionError::in_subgraph(
                    ErrorCode::OverrideOnInterface,
                    &model.name,
                    &coordinate,
                    format_args!("@override cannot be used on field \"{coordinate}\" on subgraph \"{}\": @override is not supported on interface type fields.", model.name),
                ));
            }
            if model.fed2
                && field.external
                && !model
                    .used_in_field_sets
                    .contains(&(ty.name.clone(), field.name.clone()))
            {
                errors.push(CompositionError::in_subgraph(
                    ErrorCode::ExternalUnused,
                    &model.name,
                    &coordinate,
                    format_args!("Field \"{coordinate}\" is marked @external but is not used in any federation directive (@key, @provides, @requires) or to satisfy an interface; the field declaration has no use and should be removed (or the field should not be @external)."),
                ));
            }
        }
    }
    errors
}

fn run(check: &mut FieldSetCheck<'_>, type_name: &str, fields: &str) {
    match field_set::parse(fields) {
        Ok(selections) => check.walk(type_name, &selections),
        Err(e) => {
            let code = check.usage.invalid_code();
            check.error(code, format!("invalid selection: {e}"));
        }
    }
}

/// A subgraph that sees interface `I` as an `@interfaceObject` must not define any type that
/// implements `I` in any subgraph.
pub(crate) fn check_interface_objects(models: &[SubgraphModel]) -> Vec<CompositionError> {
    let mut errors = Vec::new();
    for model in models {
        for ty in model.types.values().filter(|t| t.interface_object) {
            for other in model.types.values() {
                let implements = models.iter().any(|m| {
                    m.types
                        .get(&other.name)
                        .is_some_and(|t| t.kind == Kind::Object && t.implements.contains(&ty.name))
                });
                if other.kind == Kind::Object && !other.interface_object && implements {
                    errors.push(CompositionError::in_subgraph(
                        ErrorCode::InterfaceObjectUsageError,
                        &model.name,
                        &ty.name,
                        format_args!(
                            "Interface type \"{}\" is defined as an @interfaceObject in subgraph \"{}\" so that subgraph should not define any of the implementation types of \"{}\", but it defines type \"{}\"",
                            ty.name, model.name, ty.name, other.name
                        ),
                    ));
                }
            }
        }
    }
    errors
}

/// Field sets compared with insignificant whitespace removed.
fn same_fields(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    norm(a) == norm(b)
}

fn matching_key<'t>(
    t: &'t super::subgraph::TypeDef,
    fields: &str,
) -> Option<&'t super::subgraph::Key> {
    t.keys.iter().find(|k| same_fields(&k.fields, fields))
}

/// Every key of an entity interface must be a resolvable key of each implementation in the
/// same subgraph.
fn interface_keys_on_implementations(
    model: &SubgraphModel,
    itf: &super::subgraph::TypeDef,
) -> Vec<CompositionError> {
    let implementations: Vec<&super::subgraph::TypeDef> = model
        .types
        .values()
        .filter(|t| t.kind == Kind::Object && t.implements.contains(&itf.name))
        .collect();
    let mut errors = Vec::new();
    for key in &itf.keys {
        let application = match key.resolvable {
            Some(r) => format!("@key(fields: \"{}\", resolvable: {r})", key.fields),
            None => format!("@key(fields: \"{}\")", key.fields),
        };

        let missing: Vec<String> = implementations
            .iter()
            .filter(|t| matching_key(t, &key.fields).is_none())
            .map(|t| format!("\"{}\"", t.name))
            .collect();
        let unresolvable: Vec<String> = implementations
            .iter()
            .filter(|t| {
                key.is_resolvable()
                    && matching_key(t, &key.fields).is_some_and(|k| !k.is_resolvable())
            })
            .map(|t| format!("\"{}\"", t.name))
            .collect();
        if !missing.is_empty() {
            errors.push(CompositionError::in_subgraph(
                ErrorCode::InterfaceKeyNotOnImplementation,
                &model.name,
                &itf.name,
                format_args!(
                    "Key {application} on interface type \"{}\" is missing on implementation {}.",
                    itf.name,
                    super::errors::human_list(&missing, "type", "types")
                ),
            ));
        } else if !unresolvable.is_empty() {
            errors.push(CompositionError::in_subgraph(
                ErrorCode::InterfaceKeyNotOnImplementation,
                &model.name,
                &itf.name,
                format_args!(
                    "Key {application} on interface type \"{}\" should be resolvable on all implementation types, but is declared with argument \"@key(resolvable:)\" set to false in {}.",
                    itf.name,
                    super::errors::human_list(&unresolvable, "type", "types")
                ),
            ));
        }
    }
    errors
}
