//! The API schema: the supergraph minus the federation machinery and `@inaccessible` elements.
use apollo_compiler::ast::{self, InputValueDefinition};
use apollo_compiler::schema::{DirectiveList, ExtendedType};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Node, Schema};
use std::collections::HashSet;

use super::SupergraphError;
use super::links::Links;

pub(super) fn build(
    supergraph: &Valid<Schema>,
    links: &Links,
) -> Result<Valid<Schema>, SupergraphError> {
    let mut schema: Schema = supergraph.as_ref().clone();
    let inaccessible = links.directive("inaccessible", "inaccessible");
    let is_inaccessible = |list: &ast::DirectiveList| match &inaccessible {
        Some(name) => list.iter().any(|d| d.name.as_str() == name),
        None => false,
    };
    let type_inaccessible = |list: &DirectiveList| match &inaccessible {
        Some(name) => list.iter().any(|d| d.name.as_str() == name),
        None => false,
    };

    let removed: HashSet<Name> = schema
        .types
        .iter()
        .filter(|(name, ty)| links.owns_type(name) || type_inaccessible(ty.directives()))
        .map(|(name, _)| name.clone())
        .collect();
    schema.types.retain(|name, _| !removed.contains(name));
    schema
        .directive_definitions
        .retain(|name, _| !links.owns_directive(name));
    {
        let def = schema.schema_definition.make_mut();
        def.directives.0.retain(|d| !links.owns_directive(&d.name));
        for root in [&mut def.query, &mut def.mutation, &mut def.subscription] {
            if root.as_ref().is_some_and(|r| removed.contains(&r.name)) {
                *root = None;
            }
        }
    }

    let keep_type_directives =
        |list: &mut DirectiveList| list.0.retain(|d| !links.owns_directive(&d.name));
    let clean_args = |args: &mut Vec<Node<InputValueDefinition>>| {
        args.retain(|a| {
            !is_inaccessible(&a.directives) && !removed.contains(a.ty.inner_named_type())
        });
        for a in args.iter_mut() {
            a.make_mut()
                .directives
                .0
                .retain(|d| !links.owns_directive(&d.name));
        }
    };
    for ty in schema.types.values_mut() {
        match ty {
            ExtendedType::Object(o) => {
                let o = o.make_mut();
                keep_type_directives(&mut o.directives);
                o.implements_interfaces
                    .retain(|i| !removed.contains(&i.name));
                o.fields.retain(|_, f| {
                    !is_inaccessible(&f.directives) && !removed.contains(f.ty.inner_named_type())
                });
                for f in o.fields.values_mut() {
                    let f = f.make_mut();
                    f.directives.0.retain(|d| !links.owns_directive(&d.name));
                    clean_args(&mut f.arguments);
                }
            }
            ExtendedType::Interface(i) => {
                let i = i.make_mut();
                keep_type_directives(&mut i.directives);
                i.implements_interfaces
                    .retain(|x| !removed.contains(&x.name));
                i.fields.retain(|_, f| {
                    !is_inaccessible(&f.directives) && !removed.contains(f.ty.inner_named_type())
                });
                for f in i.fields.values_mut() {
                    let f = f.make_mut();
                    f.directives.0.retain(|d| !links.owns_directive(&d.name));
                    clean_args(&mut f.arguments);
                }
            }
            ExtendedType::Union(u) => {
                let u = u.make_mut();
                keep_type_directives(&mut u.directives);
                u.members.retain(|m| !removed.contains(&m.name));
            }
            ExtendedType::Enum(e) => {
                let e = e.make_mut();
                keep_type_directives(&mut e.directives);
                e.values.retain(|_, v| !is_inaccessible(&v.directives));
                for v in e.values.values_mut() {
                    v.make_mut()
                        .directives
                        .0
                        .retain(|d| !links.owns_directive(&d.name));
                }
            }
            ExtendedType::InputObject(io) => {
                let io = io.make_mut();
                keep_type_directives(&mut io.directives);
                io.fields.retain(|_, f| {
                    !is_inaccessible(&f.directives) && !removed.contains(f.ty.inner_named_type())
                });
                for f in io.fields.values_mut() {
                    f.make_mut()
                        .directives
                        .0
                        .retain(|d| !links.owns_directive(&d.name));
                }
            }
            ExtendedType::Scalar(s) => keep_type_directives(&mut s.make_mut().directives),
        }
    }
    schema
        .validate()
        .map_err(|e| SupergraphError::InvalidApiSchema(e.errors.to_string()))
}
