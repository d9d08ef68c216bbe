//! Unions (members), enums (values by input/output usage) and input types (intersection).
use apollo_compiler::ast::Type;
use indexmap::{IndexMap, IndexSet};

use super::super::applied::{merge_descriptions, merge_directives};
use super::super::errors::{CompositionError, ErrorCode, subgraph_list};
use super::super::subgraph::{Applied, EnumValue, Field, TypeDef};
use super::overrides::OverrideContext;
use super::{MergedField, MergedValue, Merger, Position, quote};

impl<'a> Merger<'a> {
    pub(super) fn merge_union(&mut self, name: &str, sources: &[(usize, &TypeDef)]) {
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

    pub(super) fn merge_enum(&mut self, name: &str, sources: &[(usize, &TypeDef)]) {
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
            let having: Vec<(usize, &EnumValue)> = sources
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

    pub(super) fn merge_input(&mut self, name: &str, sources: &[(usize, &'a TypeDef)]) {
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
}
