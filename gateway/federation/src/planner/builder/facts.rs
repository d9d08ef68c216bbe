//! What the supergraph says about resolving a field or a key from a subgraph.
use super::super::PlanError;
use super::super::normalize::{NField, NSel};
use super::{Builder, UNREACHABLE};
use crate::supergraph::field_set::{FieldSetItem, FieldSetTree};
use crate::supergraph::{FieldJoin, GraphId};
use apollo_compiler::Name;
use apollo_compiler::ast::Type;

impl Builder<'_> {
    pub(super) fn join_resolves(&self, j: &FieldJoin) -> bool {
        if j.external || j.used_overridden || j.graph.is_none() {
            return false;
        }
        match (&j.override_label, &j.override_from) {
            // The new home of a progressively overridden field: only when the label is on.
            (Some(label), Some(_)) => self.labels.contains(label),
            // The old home: only while the label is off.
            (Some(label), None) => !self.labels.contains(label),
            _ => true,
        }
    }

    /// Graphs that can resolve `type_name.field`, with whether they need `@requires` inputs.
    pub(super) fn resolving_graphs(&self, type_name: &str, field: &str) -> Vec<(GraphId, bool)> {
        let Some(tm) = self.sg.type_model(type_name) else {
            return Vec::new();
        };
        let all = 0..self.sg.subgraphs().len();
        match tm.fields.get(field) {
            Some(fm) if !fm.joins.is_empty() => fm
                .joins
                .iter()
                .filter(|j| self.join_resolves(j))
                // `true`: the subgraph needs inputs (`@requires`, `@fromContext`) in an
                // entity fetch to resolve the field.
                .filter_map(|j| {
                    j.graph
                        .map(|g| (g, j.requires.is_some() || !j.context_arguments.is_empty()))
                })
                .collect(),
            _ => all
                .filter(|g| tm.in_graph(*g))
                .map(|g| (g, false))
                .collect(),
        }
    }

    pub(super) fn possible(&self) -> impl Fn(&str, &str) -> bool + '_ {
        |cond, parent| self.sg.schema().is_subtype(cond, parent)
    }

    pub(super) fn is_local(
        &self,
        graph: GraphId,
        parent: &str,
        field: &str,
        provided: Option<&FieldSetTree>,
    ) -> bool {
        if field == "__typename" {
            return true;
        }
        if provided.is_some_and(|p| p.field(parent, field, &self.possible()).is_some()) {
            return true;
        }
        self.resolving_graphs(parent, field)
            .iter()
            .any(|(g, requires)| *g == graph && !requires)
    }

    pub(super) fn field_type(&self, parent: &str, field: &str) -> Result<Type, PlanError> {
        self.sg
            .schema()
            .type_field(parent, field)
            .map(|d| d.ty.clone())
            .map_err(|_| PlanError::UnknownField {
                type_name: parent.to_string(),
                field: field.to_string(),
            })
    }

    pub(super) fn join_for(&self, parent: &str, field: &str, graph: GraphId) -> Option<&FieldJoin> {
        self.sg.field_model(parent, field)?.join_for(graph)
    }

    /// Whether `iface.field` can be fetched with an entity call on the interface itself
    /// (an entity interface or an `@interfaceObject` elsewhere) from `graph`.
    pub(super) fn interface_entity_reachable(
        &self,
        graph: GraphId,
        iface: &str,
        field: &str,
    ) -> bool {
        let Some(tm) = self.sg.type_model(iface) else {
            return false;
        };
        self.resolving_graphs(iface, field).iter().any(|(x, _)| {
            *x != graph
                && tm
                    .resolvable_keys(*x)
                    .any(|k| self.key_local(graph, iface, &k.selection))
        })
    }

    pub(super) fn graph_name(&self, graph: GraphId) -> String {
        self.sg
            .subgraph(graph)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }

    /// Whether every field of `key` is resolvable in `graph` on `parent` without a hop.
    pub(super) fn key_local(&self, graph: GraphId, parent: &str, key: &FieldSetTree) -> bool {
        key.items.iter().all(|item| match item {
            FieldSetItem::Field { name, sub } => {
                self.is_local(graph, parent, name, None)
                    && (sub.is_empty()
                        || self
                            .field_type(parent, name)
                            .is_ok_and(|t| self.key_local(graph, t.inner_named_type(), sub)))
            }
            FieldSetItem::Fragment {
                type_condition,
                sub,
            } => self.key_local(
                graph,
                type_condition
                    .as_ref()
                    .map(|c| c.as_str())
                    .unwrap_or(parent),
                sub,
            ),
        })
    }

    /// For a field no subgraph resolves on `object` itself: an interface of `object` that
    /// an `@interfaceObject` subgraph resolves it on.
    pub(super) fn interface_object_route(
        &self,
        object: &str,
        field: &str,
    ) -> Option<(Name, Vec<(GraphId, bool)>)> {
        let obj = self.sg.schema().get_object(object)?;
        for iface in &obj.implements_interfaces {
            let Some(tm) = self.sg.type_model(iface) else {
                continue;
            };
            let graphs: Vec<_> = self
                .resolving_graphs(iface, field)
                .into_iter()
                .filter(|(g, _)| tm.is_interface_object_in(*g))
                .collect();
            if !graphs.is_empty() {
                return Some((iface.name.clone(), graphs));
            }
        }
        None
    }

    /// Cost estimate of resolving `sels` from `graph`: the number of fields needing a hop.
    /// Whether some subgraph resolving `parent.field` can be reached with an entity fetch.
    fn hop_possible(&self, parent: &str, field: &str) -> bool {
        let has_key = |type_name: &str, graph: GraphId| {
            self.sg
                .type_model(type_name)
                .is_some_and(|t| t.resolvable_keys(graph).next().is_some())
        };
        self.resolving_graphs(parent, field)
            .iter()
            .any(|(g, _)| has_key(parent, *g))
            || self
                .interface_object_route(parent, field)
                .is_some_and(|(i, graphs)| graphs.iter().any(|(g, _)| has_key(&i, *g)))
    }

    /// Whether `f` (resolvable in `graph` on `parent`) has a sub-selection `graph` cannot
    /// complete, while another subgraph resolving `f` can: then `f` itself should hop.
    pub(super) fn better_elsewhere(&self, graph: GraphId, parent: &str, f: &NField) -> bool {
        if f.selections.is_empty() {
            return false;
        }
        let Ok(ty) = self.field_type(parent, &f.name) else {
            return false;
        };
        let inner = ty.inner_named_type();
        if self.remote_cost(graph, inner, &f.selections, 0) < UNREACHABLE {
            return false;
        }
        self.resolving_graphs(parent, &f.name)
            .iter()
            .any(|(x, requires)| {
                *x != graph
                    && !requires
                    && self.remote_cost(*x, inner, &f.selections, 0) < UNREACHABLE
            })
    }

    pub fn remote_cost(&self, graph: GraphId, parent: &str, sels: &[NSel], depth: usize) -> usize {
        if depth > 16 {
            return 0;
        }
        let mut cost = 0;
        for sel in sels {
            match sel {
                NSel::Field(f) => {
                    if f.name == "__typename" {
                        continue;
                    }
                    let Ok(ty) = self.field_type(parent, &f.name) else {
                        continue;
                    };
                    if self.is_local(graph, parent, &f.name, None) {
                        cost += self.remote_cost(
                            graph,
                            ty.inner_named_type(),
                            &f.selections,
                            depth + 1,
                        );
                    } else if self.hop_possible(parent, &f.name) {
                        cost += 1;
                    } else {
                        cost = cost.saturating_add(UNREACHABLE);
                    }
                }
                NSel::Fragment {
                    type_condition,
                    selections,
                } => {
                    let p = type_condition
                        .as_ref()
                        .map(|c| c.as_str())
                        .unwrap_or(parent);
                    cost += self.remote_cost(graph, p, selections, depth + 1);
                }
            }
        }
        cost
    }
}
