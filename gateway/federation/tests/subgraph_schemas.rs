//! Test helper: each subgraph's schema as the supergraph describes it, so the subgraph
//! operations a plan sends can be validated against what that subgraph actually serves.
use apollo_compiler::Schema;
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use federation::Supergraph;
use federation::supergraph::{GraphId, TypeKind};
use std::fmt::Write;

/// The SDL of subgraph `graph`, with `_Any`, `_Entity` and `Query._entities`.
pub fn subgraph_sdl(sg: &Supergraph, graph: GraphId) -> String {
    let schema = sg.schema();
    let mut out = String::new();
    let mut entities = Vec::new();
    // Built-in scalars have no join model: every subgraph has them.
    let in_graph = |name: &str| sg.type_model(name).is_none_or(|t| t.in_graph(graph));
    for (name, model) in sg.types() {
        if !model.in_graph(graph) {
            continue;
        }
        let Some(def) = schema.types.get(name) else {
            continue;
        };
        let interface_object = model.is_interface_object_in(graph);
        if model.resolvable_keys(graph).next().is_some()
            && (model.kind == TypeKind::Object || interface_object)
        {
            entities.push(name.to_string());
        }
        match def {
            ExtendedType::Object(_) | ExtendedType::Interface(_) => {
                let keyword = if model.kind == TypeKind::Interface && !interface_object {
                    "interface"
                } else {
                    "type"
                };
                let implements: Vec<String> = model
                    .implements
                    .iter()
                    .filter(|(g, i)| *g == graph && in_graph(i))
                    .map(|(_, i)| i.to_string())
                    .filter(|i| {
                        !sg.type_model(i)
                            .is_some_and(|m| m.is_interface_object_in(graph))
                    })
                    .collect();
                let _ = write!(out, "{keyword} {name}");
                if !implements.is_empty() {
                    let _ = write!(out, " implements {}", implements.join(" & "));
                }
                out.push_str(" {\n");
                let fields = match def {
                    ExtendedType::Object(o) => &o.fields,
                    ExtendedType::Interface(i) => &i.fields,
                    _ => continue,
                };
                let mut any = false;
                for (field_name, field_def) in fields {
                    let Some(fm) = model.fields.get(field_name) else {
                        continue;
                    };
                    let join = fm.join_for(graph);
                    if !fm.joins.is_empty() && join.is_none() {
                        continue;
                    }
                    if !in_graph(field_def.ty.inner_named_type()) {
                        continue;
                    }
                    let ty = join
                        .and_then(|j| j.type_in_graph.clone())
                        .unwrap_or_else(|| field_def.ty.to_string());
                    let mut args: Vec<String> = field_def
                        .arguments
                        .iter()
                        .filter(|a| in_graph(a.ty.inner_named_type()))
                        .map(|a| match &a.default_value {
                            Some(d) => format!("{}: {} = {}", a.name, a.ty, d),
                            None => format!("{}: {}", a.name, a.ty),
                        })
                        .collect();
                    // `@fromContext` arguments exist only in the subgraph.
                    if let Some(j) = join {
                        args.extend(
                            j.context_arguments
                                .iter()
                                .map(|c| format!("{}: {}", c.name, c.type_)),
                        );
                    }
                    if args.is_empty() {
                        let _ = writeln!(out, "  {field_name}: {ty}");
                    } else {
                        let _ = writeln!(out, "  {field_name}({}): {ty}", args.join(", "));
                    }
                    any = true;
                }
                if !any {
                    out.push_str("  _placeholder: Int\n");
                }
                out.push_str("}\n");
            }
            ExtendedType::Union(_) => {
                let members: Vec<String> = model
                    .union_members
                    .iter()
                    .filter(|(g, m)| *g == graph && in_graph(m))
                    .map(|(_, m)| m.to_string())
                    .collect();
                if !members.is_empty() {
                    let _ = writeln!(out, "union {name} = {}", members.join(" | "));
                }
            }
            ExtendedType::Enum(_) => {
                let values: Vec<String> = model
                    .enum_values
                    .keys()
                    .filter(|v| model.enum_value_in_graph(v, graph))
                    .map(|v| v.to_string())
                    .collect();
                if !values.is_empty() {
                    let _ = writeln!(out, "enum {name} {{ {} }}", values.join(" "));
                }
            }
            ExtendedType::InputObject(io) => {
                let _ = writeln!(out, "input {name} {{");
                for (f, d) in &io.fields {
                    let _ = writeln!(out, "  {f}: {}", d.ty);
                }
                out.push_str("}\n");
            }
            ExtendedType::Scalar(s) if !s.is_built_in() => {
                let _ = writeln!(out, "scalar {name}");
            }
            ExtendedType::Scalar(_) => {}
        }
    }
    out.push_str("scalar _Any\n");
    if !entities.is_empty() {
        let _ = writeln!(out, "union _Entity = {}", entities.join(" | "));
        let keyword = if in_graph("Query") {
            "extend type"
        } else {
            "type"
        };
        let _ = writeln!(
            out,
            "{keyword} Query {{ _entities(representations: [_Any!]!): [_Entity]! }}"
        );
    }
    out
}

pub fn subgraph_schema(sg: &Supergraph, graph: GraphId) -> Valid<Schema> {
    let sdl = subgraph_sdl(sg, graph);
    Schema::parse_and_validate(&sdl, "subgraph.graphql")
        .unwrap_or_else(|e| panic!("extracted subgraph schema is invalid: {}\n{sdl}", e.errors))
}
