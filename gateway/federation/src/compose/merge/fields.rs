//! Fields of object and interface types: presence, arguments, types, `@external`, sharing,
//! and the `@join__field` directives saying which subgraph resolves each field.
use apollo_compiler::ast::Type;
use indexmap::IndexSet;

use super::super::applied::{distribution, merge_descriptions, merge_directives};
use super::super::errors::{CompositionError, ErrorCode, subgraph_list};
use super::super::subgraph::{Applied, Argument, Field, Kind, TypeDef};
use super::overrides::OverrideContext;
use super::{MergedArgument, MergedField, Merger, quote};

impl<'a> Merger<'a> {
    pub(super) fn merge_fields(
        &mut self,
        type_name: &str,
        kind: Kind,
        sources: &[(usize, &'a TypeDef)],
    ) {
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

    pub(super) fn hint_value_type_field(
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

    pub(super) fn merge_field(
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

    pub(super) fn validate_external_types(
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

    pub(super) fn join_fields(
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

    pub(super) fn merge_arguments(
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
            let args: Vec<(usize, &'a Argument)> = resolving
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

    pub(super) fn validate_sharing(
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
}
