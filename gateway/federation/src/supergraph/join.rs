//! Reads the join spec's directives into the model.
use apollo_compiler::ast::{Directive, Value};
use apollo_compiler::schema::{ExtendedType, FieldDefinition};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Node, Schema};
use indexmap::IndexMap;
use std::collections::HashMap;

use super::SupergraphError;
use super::field_set::FieldSetTree;
use super::links::{Links, string_arg};
use super::model::*;

/// Local names of the directives this module reads.
struct Names {
    graph: String,
    type_: String,
    field: String,
    implements: String,
    union_member: String,
    enum_value: String,
    inaccessible: Option<String>,
    authenticated: Option<String>,
    requires_scopes: Option<String>,
    policy: Option<String>,
    cost: Option<String>,
    list_size: Option<String>,
    context: Option<String>,
}

impl Names {
    fn new(links: &Links) -> Names {
        let join = |n: &str| links.directive("join", n).unwrap_or_default();
        Names {
            graph: join("graph"),
            type_: join("type"),
            field: join("field"),
            implements: join("implements"),
            union_member: join("unionMember"),
            enum_value: join("enumValue"),
            inaccessible: links.directive("inaccessible", "inaccessible"),
            authenticated: links.directive("authenticated", "authenticated"),
            requires_scopes: links.directive("requiresScopes", "requiresScopes"),
            policy: links.directive("policy", "policy"),
            cost: links.directive("cost", "cost"),
            list_size: links.directive("cost", "listSize"),
            context: links.directive("context", "context"),
        }
    }
}

pub(super) fn read_subgraphs(
    schema: &Schema,
    links: &Links,
) -> Result<Vec<Subgraph>, SupergraphError> {
    let names = Names::new(links);
    let graph_enum = links
        .get("join")
        .map(|l| l.type_name("Graph"))
        .unwrap_or_default();
    let Some(graphs) = schema.get_enum(graph_enum.as_str()) else {
        return Err(SupergraphError::NotASupergraph("no join__Graph enum"));
    };
    let mut subgraphs = Vec::new();
    for (value, def) in &graphs.values {
        let d = def
            .directives
            .get(&names.graph)
            .ok_or_else(|| SupergraphError::InvalidJoin {
                element: format!("{graph_enum}.{value}"),
                message: "missing @join__graph".into(),
            })?;
        let name = string_arg(d.specified_argument_by_name("name")).ok_or_else(|| {
            SupergraphError::InvalidJoin {
                element: format!("{graph_enum}.{value}"),
                message: "@join__graph without name".into(),
            }
        })?;
        let url = string_arg(d.specified_argument_by_name("url")).unwrap_or_default();
        subgraphs.push(Subgraph {
            name,
            url,
            enum_value: value.clone(),
        });
    }
    Ok(subgraphs)
}

struct Reader<'a> {
    schema: &'a Valid<Schema>,
    names: Names,
    graphs: HashMap<Name, GraphId>,
}

impl Reader<'_> {
    fn graph_arg(&self, d: &Directive, element: &str) -> Result<Option<GraphId>, SupergraphError> {
        match d.specified_argument_by_name("graph").map(|v| v.as_ref()) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Enum(n)) => {
                self.graphs
                    .get(n)
                    .copied()
                    .map(Some)
                    .ok_or_else(|| SupergraphError::InvalidJoin {
                        element: element.to_string(),
                        message: format!("unknown graph `{n}`"),
                    })
            }
            Some(_) => Err(SupergraphError::InvalidJoin {
                element: element.to_string(),
                message: "`graph` must be a join__Graph value".into(),
            }),
        }
    }

    fn required_graph(&self, d: &Directive, element: &str) -> Result<GraphId, SupergraphError> {
        self.graph_arg(d, element)?
            .ok_or_else(|| SupergraphError::InvalidJoin {
                element: element.to_string(),
                message: format!("@{} without `graph`", d.name),
            })
    }

    fn auth<'d>(
        &self,
        directives: impl Iterator<Item = &'d Directive> + Clone,
    ) -> AuthRequirements {
        let mut auth = AuthRequirements::default();
        for d in directives {
            let name = d.name.as_str();
            if self.names.authenticated.as_deref() == Some(name) {
                auth.authenticated = true;
            } else if self.names.requires_scopes.as_deref() == Some(name) {
                auth.scopes
                    .extend(nested_strings(d.specified_argument_by_name("scopes")));
            } else if self.names.policy.as_deref() == Some(name) {
                auth.policies
                    .extend(nested_strings(d.specified_argument_by_name("policies")));
            }
        }
        auth
    }

    fn cost<'d>(&self, mut directives: impl Iterator<Item = &'d Directive>) -> Option<i32> {
        let name = self.names.cost.as_deref()?;
        directives
            .find(|d| d.name.as_str() == name)
            .and_then(|d| d.specified_argument_by_name("weight"))
            .and_then(|v| v.to_i32())
    }

    fn list_size<'d>(
        &self,
        mut directives: impl Iterator<Item = &'d Directive>,
    ) -> Option<ListSize> {
        let name = self.names.list_size.as_deref()?;
        let d = directives.find(|d| d.name.as_str() == name)?;
        let strings = |arg: &str| {
            d.specified_argument_by_name(arg)
                .and_then(|v| v.as_list())
                .map(|l| {
                    l.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(ListSize {
            assumed_size: d
                .specified_argument_by_name("assumedSize")
                .and_then(|v| v.to_i32()),
            slicing_arguments: strings("slicingArguments"),
            sized_fields: strings("sizedFields"),
            require_one_slicing_argument: d
                .specified_argument_by_name("requireOneSlicingArgument")
                .and_then(|v| v.to_bool())
                .unwrap_or(true),
        })
    }

    fn inaccessible<'d>(&self, mut directives: impl Iterator<Item = &'d Directive>) -> bool {
        match self.names.inaccessible.as_deref() {
            Some(name) => directives.any(|d| d.name.as_str() == name),
            None => false,
        }
    }

    fn field(
        &self,
        type_name: &Name,
        def: &FieldDefinition,
    ) -> Result<FieldModel, SupergraphError> {
        let element = format!("{type_name}.{}", def.name);
        let mut joins = Vec::new();
        for d in def.directives.get_all(&self.names.field) {
            let graph = self.graph_arg(d, &element)?;
            let flag = |n: &str| {
                d.specified_argument_by_name(n)
                    .and_then(|v| v.to_bool())
                    .unwrap_or(false)
            };
            let requires = string_arg(d.specified_argument_by_name("requires"));
            let provides = string_arg(d.specified_argument_by_name("provides"));
            let requires_selection = match &requires {
                Some(r) => Some(FieldSetTree::parse(self.schema, type_name, r)?),
                None => None,
            };
            let provides_selection = match &provides {
                Some(p) => Some(FieldSetTree::parse(
                    self.schema,
                    def.ty.inner_named_type(),
                    p,
                )?),
                None => None,
            };
            let mut context_arguments = Vec::new();
            if let Some(list) = d
                .specified_argument_by_name("contextArguments")
                .and_then(|v| v.as_list())
            {
                for item in list {
                    let Some(obj) = item.as_object() else {
                        continue;
                    };
                    let get = |k: &str| {
                        obj.iter()
                            .find(|(n, _)| n.as_str() == k)
                            .and_then(|(_, v)| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    };
                    context_arguments.push(ContextArgument {
                        name: get("name"),
                        type_: get("type"),
                        context: get("context"),
                        selection: get("selection"),
                    });
                }
            }
            joins.push(FieldJoin {
                graph,
                requires,
                provides,
                type_in_graph: string_arg(d.specified_argument_by_name("type")),
                external: flag("external"),
                override_from: string_arg(d.specified_argument_by_name("override")),
                used_overridden: flag("usedOverridden"),
                override_label: string_arg(d.specified_argument_by_name("overrideLabel")),
                context_arguments,
                requires_selection,
                provides_selection,
            });
        }
        Ok(FieldModel {
            name: def.name.clone(),
            joins,
            auth: self.auth(def.directives.iter().map(|d| d.as_ref())),
            cost: self.cost(def.directives.iter().map(|d| d.as_ref())),
            argument_costs: def
                .arguments
                .iter()
                .filter_map(|a| {
                    self.cost(a.directives.iter().map(|d| d.as_ref()))
                        .map(|c| (a.name.clone(), c))
                })
                .collect(),
            list_size: self.list_size(def.directives.iter().map(|d| d.as_ref())),
            inaccessible: self.inaccessible(def.directives.iter().map(|d| d.as_ref())),
        })
    }
}

fn nested_strings(v: Option<&Node<Value>>) -> Vec<Vec<String>> {
    let Some(outer) = v.and_then(|v| v.as_list()) else {
        return Vec::new();
    };
    outer
        .iter()
        .map(|inner| match inner.as_list() {
            Some(l) => l
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect(),
            None => inner
                .as_str()
                .map(|s| vec![s.to_string()])
                .unwrap_or_default(),
        })
        .collect()
}

pub(super) fn read_types(
    schema: &Valid<Schema>,
    links: &Links,
    subgraphs: &[Subgraph],
) -> Result<IndexMap<Name, TypeModel>, SupergraphError> {
    let reader = Reader {
        schema,
        names: Names::new(links),
        graphs: subgraphs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.enum_value.clone(), i))
            .collect(),
    };
    let mut types = IndexMap::new();
    for (name, ty) in &schema.types {
        if ty.is_built_in() || name.starts_with("__") || links.owns_type(name) {
            continue;
        }
        let directives: Vec<&Directive> = ty.directives().iter().map(|d| d.as_ref()).collect();
        let mut graphs: Vec<TypeInGraph> = Vec::new();
        let mut keys = Vec::new();
        for d in directives
            .iter()
            .filter(|d| d.name.as_str() == reader.names.type_)
        {
            let graph = reader.required_graph(d, name)?;
            let flag = |n: &str, default: bool| {
                d.specified_argument_by_name(n)
                    .and_then(|v| v.to_bool())
                    .unwrap_or(default)
            };
            let extension = flag("extension", false);
            let is_interface_object = flag("isInterfaceObject", false);
            match graphs.iter_mut().find(|g| g.graph == graph) {
                Some(g) => {
                    g.extension |= extension;
                    g.is_interface_object |= is_interface_object;
                }
                None => graphs.push(TypeInGraph {
                    graph,
                    extension,
                    is_interface_object,
                }),
            }
            if let Some(fields) = string_arg(d.specified_argument_by_name("key")) {
                let selection = FieldSetTree::parse(schema, name, &fields)?;
                keys.push(EntityKey {
                    graph,
                    fields,
                    resolvable: flag("resolvable", true),
                    selection,
                });
            }
        }
        let mut implements = Vec::new();
        for d in directives
            .iter()
            .filter(|d| d.name.as_str() == reader.names.implements)
        {
            let graph = reader.required_graph(d, name)?;
            if let Some(i) = string_arg(d.specified_argument_by_name("interface"))
                && let Ok(i) = Name::new(&i)
            {
                implements.push((graph, i));
            }
        }
        let mut union_members = Vec::new();
        for d in directives
            .iter()
            .filter(|d| d.name.as_str() == reader.names.union_member)
        {
            let graph = reader.required_graph(d, name)?;
            if let Some(m) = string_arg(d.specified_argument_by_name("member"))
                && let Ok(m) = Name::new(&m)
            {
                union_members.push((graph, m));
            }
        }
        let mut fields = IndexMap::new();
        let mut enum_values = IndexMap::new();
        let kind = match ty {
            ExtendedType::Object(o) => {
                for (fname, def) in &o.fields {
                    fields.insert(fname.clone(), reader.field(name, def)?);
                }
                TypeKind::Object
            }
            ExtendedType::Interface(i) => {
                for (fname, def) in &i.fields {
                    fields.insert(fname.clone(), reader.field(name, def)?);
                }
                TypeKind::Interface
            }
            ExtendedType::Union(_) => TypeKind::Union,
            ExtendedType::Enum(e) => {
                for (value, def) in &e.values {
                    let mut in_graphs = Vec::new();
                    for d in def.directives.get_all(&reader.names.enum_value) {
                        in_graphs.push(reader.required_graph(d, &format!("{name}.{value}"))?);
                    }
                    enum_values.insert(value.clone(), in_graphs);
                }
                TypeKind::Enum
            }
            ExtendedType::InputObject(_) => TypeKind::InputObject,
            ExtendedType::Scalar(_) => TypeKind::Scalar,
        };
        types.insert(
            name.clone(),
            TypeModel {
                name: name.clone(),
                kind,
                graphs,
                keys,
                implements,
                union_members,
                enum_values,
                fields,
                auth: reader.auth(directives.iter().copied()),
                cost: reader.cost(directives.iter().copied()),
                inaccessible: reader.inaccessible(directives.iter().copied()),
                contexts: match &reader.names.context {
                    Some(context) => directives
                        .iter()
                        .filter(|d| d.name.as_str() == context)
                        .filter_map(|d| string_arg(d.specified_argument_by_name("name")))
                        .collect(),
                    None => Vec::new(),
                },
            },
        );
    }
    Ok(types)
}
