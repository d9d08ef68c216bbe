//! Types and directives a subgraph uses without defining or importing them.
use apollo_compiler::Node;
use apollo_compiler::ast::{self, Definition, Directive, Type};
use std::collections::HashSet;

use super::errors::ErrorCode;
use super::names::FederationNames;
use super::subgraph::is_machinery_type;

const BUILT_IN_SCALARS: &[&str] = &["Int", "Float", "String", "Boolean", "ID"];
const BUILT_IN_DIRECTIVES: &[&str] = &[
    "deprecated",
    "specifiedBy",
    "skip",
    "include",
    "oneOf",
    "link",
];

/// The fields, enum values and input fields of one definition.
type Members<'a> = (
    &'a [Node<ast::FieldDefinition>],
    &'a [Node<ast::EnumValueDefinition>],
    &'a [Node<ast::InputValueDefinition>],
);

/// Types and directives the subgraph uses but never defines (nor imports), in Apollo's words.
pub(crate) fn unknown_references(
    doc: &ast::Document,
    names: &FederationNames,
) -> Vec<(ErrorCode, String)> {
    let mut defined_types: HashSet<&str> = BUILT_IN_SCALARS.iter().copied().collect();
    let mut defined_directives: HashSet<&str> = BUILT_IN_DIRECTIVES.iter().copied().collect();
    for def in &doc.definitions {
        if let Some(name) = def.name() {
            match def {
                Definition::DirectiveDefinition(_) => defined_directives.insert(name.as_str()),
                _ => defined_types.insert(name.as_str()),
            };
        }
    }
    let mut messages: Vec<(ErrorCode, String)> = Vec::new();
    let mut type_messages: Vec<(ErrorCode, String)> = Vec::new();
    let directive = |d: &Directive, messages: &mut Vec<(ErrorCode, String)>| {
        let name = d.name.as_str();
        if matches!(names.spec_name(name), Some("context" | "fromContext")) {
            let message = (
                ErrorCode::UnsupportedFeature,
                format!("@{name} is not supported by this composition"),
            );
            if !messages.contains(&message) {
                messages.push(message);
            }
            return;
        }
        if defined_directives.contains(name) || names.spec_name(name).is_some() {
            return;
        }
        let message = if names.fed2 && super::names::FEDERATION_DIRECTIVES.contains(&name) {
            format!(
                "Unknown directive \"@{name}\". If you meant the \"@{name}\" federation directive, you should use fully-qualified name \"@federation__{name}\" or add \"@{name}\" to the `import` argument of the @link to the federation specification."
            )
        } else {
            format!("Unknown directive \"@{name}\".")
        };
        let message = (ErrorCode::InvalidGraphql, message);
        if !messages.contains(&message) {
            messages.push(message);
        }
    };
    let ty = |t: &Type, messages: &mut Vec<(ErrorCode, String)>| {
        let name = t.inner_named_type().as_str();
        if !defined_types.contains(name) && !is_machinery_type(name) {
            let message = (ErrorCode::InvalidGraphql, format!("Unknown type {name}"));
            if !messages.contains(&message) {
                messages.push(message);
            }
        }
    };
    for def in &doc.definitions {
        for d in def.directives().iter() {
            directive(d, &mut messages);
        }
        let (fields, values, inputs): Members<'_> = match def {
            Definition::ObjectTypeDefinition(d) => (&d.fields, &[], &[]),
            Definition::ObjectTypeExtension(d) => (&d.fields, &[], &[]),
            Definition::InterfaceTypeDefinition(d) => (&d.fields, &[], &[]),
            Definition::InterfaceTypeExtension(d) => (&d.fields, &[], &[]),
            Definition::EnumTypeDefinition(d) => (&[], &d.values, &[]),
            Definition::EnumTypeExtension(d) => (&[], &d.values, &[]),
            Definition::InputObjectTypeDefinition(d) => (&[], &[], &d.fields),
            Definition::InputObjectTypeExtension(d) => (&[], &[], &d.fields),
            _ => (&[], &[], &[]),
        };
        for f in fields {
            ty(&f.ty, &mut type_messages);
            for d in f.directives.iter() {
                directive(d, &mut messages);
            }
            for a in &f.arguments {
                ty(&a.ty, &mut type_messages);
                for d in a.directives.iter() {
                    directive(d, &mut messages);
                }
            }
        }
        for v in values {
            for d in v.directives.iter() {
                directive(d, &mut messages);
            }
        }
        for f in inputs {
            ty(&f.ty, &mut type_messages);
            for d in f.directives.iter() {
                directive(d, &mut messages);
            }
        }
    }
    // Apollo stops at unknown types (the schema cannot be built); report those alone.
    if type_messages.is_empty() {
        messages
    } else {
        type_messages
    }
}
