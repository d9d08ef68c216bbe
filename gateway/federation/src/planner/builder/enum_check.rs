//! Enum literals sent to a subgraph must be values that subgraph knows.
use super::super::PlanError;
use super::super::normalize::NField;
use super::Builder;
use crate::supergraph::{GraphId, TypeKind};

impl Builder<'_> {
    /// Literal enum values in `f`'s arguments must be known to the subgraph they are sent to.
    pub(super) fn check_enum_arguments(
        &self,
        graph: GraphId,
        parent: &str,
        f: &NField,
    ) -> Result<(), PlanError> {
        let Ok(def) = self.sg.schema().type_field(parent, &f.name) else {
            return Ok(());
        };
        for arg in &f.arguments {
            if let Some(arg_def) = def.arguments.iter().find(|a| a.name == arg.name) {
                self.check_enum_value(graph, arg_def.ty.inner_named_type(), &arg.value, 0)?;
            }
        }
        Ok(())
    }

    pub(super) fn check_enum_value(
        &self,
        graph: GraphId,
        type_name: &str,
        value: &apollo_compiler::ast::Value,
        depth: usize,
    ) -> Result<(), PlanError> {
        use apollo_compiler::ast::Value;
        if depth > 32 {
            return Ok(());
        }
        match value {
            Value::Enum(v) => {
                if let Some(tm) = self.sg.type_model(type_name)
                    && tm.kind == TypeKind::Enum
                    && !tm.enum_value_in_graph(v, graph)
                {
                    return Err(PlanError::EnumValueUnknownToSubgraph {
                        enum_name: type_name.to_string(),
                        value: v.to_string(),
                        subgraph: self.graph_name(graph),
                    });
                }
            }
            Value::List(items) => {
                for item in items {
                    self.check_enum_value(graph, type_name, item, depth + 1)?;
                }
            }
            Value::Object(fields) => {
                if let Some(input) = self.sg.schema().get_input_object(type_name) {
                    for (name, v) in fields {
                        if let Some(field_def) = input.fields.get(name) {
                            self.check_enum_value(
                                graph,
                                field_def.ty.inner_named_type(),
                                v,
                                depth + 1,
                            )?;
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
