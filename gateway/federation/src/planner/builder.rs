//! Builds fetch groups by walking the normalized operation: each field goes to the group of
//! the current subgraph when that subgraph can resolve it there, otherwise to an entity fetch
//! on a subgraph that can, reached through a key the current subgraph can provide.
use apollo_compiler::Name;
use apollo_compiler::ast::Type;
use std::collections::BTreeSet;

use crate::plan::{
    FetchRewrite, FlattenPathElement, OperationKind, RequireSelection, RewritePathElement,
};
use crate::supergraph::field_set::{FieldSetItem, FieldSetTree};
use crate::supergraph::{FieldJoin, GraphId, Supergraph, TypeKind};

use super::PlanError;
use super::groups::{FetchGroup, GroupId, merge_requires};
use super::normalize::{NField, NSel};
use super::selection::{OutItem, Pos};

/// Recursion bound for walks (client nesting plus planner hops).
const MAX_WALK_DEPTH: usize = 256;

type RespPath = Vec<FlattenPathElement>;

pub(crate) struct Builder<'a> {
    pub sg: &'a Supergraph,
    pub labels: &'a BTreeSet<String>,
    pub groups: Vec<FetchGroup>,
    /// Every group a walk added something to, in order: the dependencies of `@requires`.
    touched: Vec<GroupId>,
    depth: usize,
}

impl<'a> Builder<'a> {
    pub fn new(sg: &'a Supergraph, labels: &'a BTreeSet<String>) -> Self {
        Builder {
            sg,
            labels,
            groups: Vec::new(),
            touched: Vec::new(),
            depth: 0,
        }
    }

    // ----- facts from the supergraph -----

    fn join_resolves(&self, j: &FieldJoin) -> bool {
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
    fn resolving_graphs(&self, type_name: &str, field: &str) -> Vec<(GraphId, bool)> {
        let Some(tm) = self.sg.type_model(type_name) else {
            return Vec::new();
        };
        let all = 0..self.sg.subgraphs().len();
        match tm.fields.get(field) {
            Some(fm) if !fm.joins.is_empty() => fm
                .joins
                .iter()
                .filter(|j| self.join_resolves(j))
                .filter_map(|j| j.graph.map(|g| (g, j.requires.is_some())))
                .collect(),
            _ => all
                .filter(|g| tm.in_graph(*g))
                .map(|g| (g, false))
                .collect(),
        }
    }

    fn possible(&self) -> impl Fn(&str, &str) -> bool + '_ {
        |cond, parent| self.sg.schema().is_subtype(cond, parent)
    }

    fn is_local(
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

    fn field_type(&self, parent: &str, field: &str) -> Result<Type, PlanError> {
        self.sg
            .schema()
            .type_field(parent, field)
            .map(|d| d.ty.clone())
            .map_err(|_| PlanError::UnknownField {
                type_name: parent.to_string(),
                field: field.to_string(),
            })
    }

    fn join_for(&self, parent: &str, field: &str, graph: GraphId) -> Option<&FieldJoin> {
        self.sg.field_model(parent, field)?.join_for(graph)
    }

    // ----- groups -----

    fn touch(&mut self, g: GroupId) {
        if self.touched.last() != Some(&g) {
            self.touched.push(g);
        }
    }

    pub fn new_root_group(&mut self, graph: GraphId, kind: OperationKind) -> GroupId {
        self.groups.push(FetchGroup {
            graph,
            root_kind: Some(kind),
            merge_path: Vec::new(),
            selection: Default::default(),
            requires: Vec::new(),
            input_rewrites: Vec::new(),
            output_rewrites: Vec::new(),
            deps: BTreeSet::new(),
        });
        self.groups.len() - 1
    }

    fn find_or_create(
        &mut self,
        graph: GraphId,
        path: &RespPath,
        deps: BTreeSet<GroupId>,
    ) -> GroupId {
        if let Some(i) = self.groups.iter().position(|g| {
            g.root_kind.is_none() && g.graph == graph && g.merge_path == *path && g.deps == deps
        }) {
            return i;
        }
        self.groups.push(FetchGroup {
            graph,
            root_kind: None,
            merge_path: path.clone(),
            selection: Default::default(),
            requires: Vec::new(),
            input_rewrites: Vec::new(),
            output_rewrites: Vec::new(),
            deps,
        });
        self.groups.len() - 1
    }

    fn add_typename(&mut self, g: GroupId, pos: &Pos) -> Result<(), PlanError> {
        let typename = Name::new_static_unchecked("__typename");
        self.groups[g]
            .selection
            .at_mut(pos)
            .ok_or(PlanError::Internal("selection position"))?
            .add_field(None, &typename, &[]);
        Ok(())
    }

    /// The path from a fetch's data root to `pos`, for rewrites.
    fn rewrite_path(&self, g: GroupId, pos: &Pos) -> Vec<RewritePathElement> {
        let mut out = Vec::new();
        let mut cur = &self.groups[g].selection;
        for &i in pos {
            match cur.items.get(i) {
                Some(OutItem::Field {
                    alias, name, sub, ..
                }) => {
                    out.push(RewritePathElement::Key(
                        alias.as_ref().unwrap_or(name).to_string(),
                    ));
                    cur = sub;
                }
                Some(OutItem::Fragment {
                    type_condition,
                    sub,
                }) => {
                    out.push(RewritePathElement::TypenameEquals(
                        type_condition.to_string(),
                    ));
                    cur = sub;
                }
                None => break,
            }
        }
        out
    }

    // ----- the walk -----

    /// Plans `sels` (on `parent`) into group `g` at `pos`; `path` is the response path.
    pub fn walk(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        sels: &[NSel],
        path: &RespPath,
        provided: Option<&FieldSetTree>,
    ) -> Result<(), PlanError> {
        self.depth += 1;
        if self.depth > MAX_WALK_DEPTH {
            self.depth -= 1;
            return Err(PlanError::TooDeep);
        }
        self.touch(g);
        let graph = self.groups[g].graph;
        let kind = self
            .sg
            .type_model(parent)
            .map(|t| (t.kind, t.is_interface_object_in(graph)));
        let result = match kind {
            Some((TypeKind::Interface, true)) => {
                self.walk_interface_object(g, pos, parent, sels, path, provided)
            }
            Some((TypeKind::Interface | TypeKind::Union, false)) => {
                self.walk_abstract(g, pos, parent, sels, path, provided)
            }
            _ => self.walk_object(g, pos, parent, sels, path, provided),
        };
        self.depth -= 1;
        result
    }

    /// Fields that apply to an object of type `parent`, through matching fragments.
    fn fields_for_object(&self, parent: &str, sels: &[NSel], out: &mut Vec<NField>) {
        for sel in sels {
            match sel {
                NSel::Field(f) => out.push(f.clone()),
                NSel::Fragment {
                    type_condition,
                    selections,
                } => {
                    let applies = match type_condition {
                        None => true,
                        Some(c) => c == parent || self.sg.schema().is_subtype(c, parent),
                    };
                    if applies {
                        self.fields_for_object(parent, selections, out);
                    }
                }
            }
        }
    }

    fn walk_object(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        sels: &[NSel],
        path: &RespPath,
        provided: Option<&FieldSetTree>,
    ) -> Result<(), PlanError> {
        let graph = self.groups[g].graph;
        let mut fields = Vec::new();
        self.fields_for_object(parent, sels, &mut fields);
        let mut remote = Vec::new();
        for f in fields {
            if f.name == "__typename" {
                self.add_typename(g, pos)?;
                if f.alias.is_some() {
                    self.add_local(g, pos, parent, &f, path, provided)?;
                }
            } else if self.is_local(graph, parent, &f.name, provided) {
                self.add_local(g, pos, parent, &f, path, provided)?;
            } else {
                remote.push(f);
            }
        }
        if !remote.is_empty() {
            self.hop(g, pos, parent, remote, path)?;
        }
        Ok(())
    }

    /// Splits selections on an abstract type into fields on the type itself and
    /// fragments with other conditions.
    fn split_abstract(
        &self,
        parent: &str,
        sels: &[NSel],
        direct: &mut Vec<NField>,
        fragments: &mut Vec<(Name, Vec<NSel>)>,
    ) {
        for sel in sels {
            match sel {
                NSel::Field(f) => direct.push(f.clone()),
                NSel::Fragment {
                    type_condition,
                    selections,
                } => match type_condition {
                    Some(c) if c != parent => fragments.push((c.clone(), selections.clone())),
                    _ => self.split_abstract(parent, selections, direct, fragments),
                },
            }
        }
    }

    fn walk_abstract(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        sels: &[NSel],
        path: &RespPath,
        provided: Option<&FieldSetTree>,
    ) -> Result<(), PlanError> {
        let graph = self.groups[g].graph;
        // The router needs the runtime type to apply the client's fragments.
        self.add_typename(g, pos)?;
        let is_interface = self
            .sg
            .type_model(parent)
            .is_some_and(|t| t.kind == TypeKind::Interface);
        let mut direct = Vec::new();
        let mut fragments = Vec::new();
        self.split_abstract(parent, sels, &mut direct, &mut fragments);
        let mut per_type = Vec::new();
        let mut remote_on_interface = Vec::new();
        for f in direct {
            if f.name == "__typename" {
                if f.alias.is_some() {
                    self.add_local(g, pos, parent, &f, path, provided)?;
                }
                continue;
            }
            if is_interface && self.is_local(graph, parent, &f.name, provided) {
                self.add_local(g, pos, parent, &f, path, provided)?;
            } else if is_interface && self.interface_entity_reachable(graph, parent, &f.name) {
                remote_on_interface.push(f);
            } else {
                per_type.push(NSel::Field(f));
            }
        }
        if !remote_on_interface.is_empty() {
            self.hop(g, pos, parent, remote_on_interface, path)?;
        }
        let possible: Vec<Name> = self
            .sg
            .possible_types(parent)
            .into_iter()
            .filter(|c| self.sg.graph_knows_possible_type(graph, parent, c))
            .collect();
        for object in possible {
            let mut sub = per_type.clone();
            for (cond, selections) in &fragments {
                if cond == &object || self.sg.schema().is_subtype(cond, &object) {
                    sub.push(NSel::Fragment {
                        type_condition: Some(cond.clone()),
                        selections: selections.clone(),
                    });
                }
            }
            if sub.is_empty() {
                continue;
            }
            let idx = self.groups[g]
                .selection
                .at_mut(pos)
                .ok_or(PlanError::Internal("selection position"))?
                .add_fragment(&object);
            let mut frag_pos = pos.clone();
            frag_pos.push(idx);
            self.walk(g, &frag_pos, &object, &sub, path, provided)?;
        }
        Ok(())
    }

    /// Whether `iface.field` can be fetched with an entity call on the interface itself
    /// (an entity interface or an `@interfaceObject` elsewhere) from `graph`.
    fn interface_entity_reachable(&self, graph: GraphId, iface: &str, field: &str) -> bool {
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

    fn walk_interface_object(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        sels: &[NSel],
        path: &RespPath,
        provided: Option<&FieldSetTree>,
    ) -> Result<(), PlanError> {
        let graph = self.groups[g].graph;
        let mut direct = Vec::new();
        let mut fragments = Vec::new();
        self.split_abstract(parent, sels, &mut direct, &mut fragments);
        // This subgraph answers `__typename` with the interface's name: the real type, and
        // anything type-specific, comes from a subgraph that knows the implementations.
        let mut for_owner: Vec<NSel> = Vec::new();
        let mut remote = Vec::new();
        for f in direct {
            if f.name == "__typename" {
                if f.internal {
                    self.add_typename(g, pos)?;
                } else {
                    for_owner.push(NSel::Field(f));
                }
            } else if self.is_local(graph, parent, &f.name, provided) {
                self.add_local(g, pos, parent, &f, path, provided)?;
            } else {
                remote.push(f);
            }
        }
        for (cond, selections) in fragments {
            for_owner.push(NSel::Fragment {
                type_condition: Some(cond),
                selections,
            });
        }
        if !remote.is_empty() {
            self.hop(g, pos, parent, remote, path)?;
        }
        if !for_owner.is_empty() {
            let tm = self
                .sg
                .type_model(parent)
                .ok_or(PlanError::Internal("interface model"))?;
            let owner = (0..self.sg.subgraphs().len())
                .find(|x| {
                    tm.in_graph(*x)
                        && !tm.is_interface_object_in(*x)
                        && tm.resolvable_keys(*x).next().is_some()
                })
                .ok_or_else(|| PlanError::NoEntityPath {
                    type_name: parent.to_string(),
                    from: self.graph_name(graph),
                    to: "a subgraph defining the interface".into(),
                })?;
            let (child, cpos) = self.entity_hop(g, pos, parent, parent, owner, path, None, None)?;
            self.walk(child, &cpos, parent, &for_owner, path, None)?;
        }
        Ok(())
    }

    fn graph_name(&self, graph: GraphId) -> String {
        self.sg
            .subgraph(graph)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }

    /// Adds a field resolvable in the group's subgraph, then plans its sub-selection.
    pub fn add_local(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        f: &NField,
        path: &RespPath,
        provided: Option<&FieldSetTree>,
    ) -> Result<(), PlanError> {
        let graph = self.groups[g].graph;
        let sub_provided: Option<FieldSetTree> = self
            .join_for(parent, &f.name, graph)
            .and_then(|j| j.provides_selection.clone())
            .or_else(|| {
                provided
                    .and_then(|p| p.field(parent, &f.name, &self.possible()))
                    .cloned()
            });
        if self
            .join_for(parent, &f.name, graph)
            .is_some_and(|j| !j.context_arguments.is_empty())
        {
            // Refuse rather than send a query missing its context-filled arguments.
            return Err(PlanError::Unsupported("fields with @fromContext arguments"));
        }
        if !f.arguments.is_empty() {
            self.check_enum_arguments(graph, parent, f)?;
        }
        // A field whose type in this subgraph differs from the supergraph's (`join__field(type:)`)
        // may clash with a same-named sibling under another type condition: alias it per type
        // and rename it back after the fetch.
        let retyped = !f.internal
            && pos.last().is_some()
            && self.in_fragment(g, pos)
            && self
                .join_for(parent, &f.name, graph)
                .and_then(|j| j.type_in_graph.as_deref())
                .is_some_and(|t| {
                    self.field_type(parent, &f.name)
                        .is_ok_and(|st| st.to_string() != t)
                });
        let alias = if retyped {
            Name::new(&format!("{}__{}", f.response_key(), parent)).ok()
        } else {
            f.alias.clone()
        };
        let (idx, key) = self.groups[g]
            .selection
            .at_mut(pos)
            .ok_or(PlanError::Internal("selection position"))?
            .add_field(alias.as_ref(), &f.name, &f.arguments);
        let tree_key = if f.internal {
            key.clone()
        } else {
            f.response_key().clone()
        };
        if !f.internal && key != *f.response_key() {
            let mut rewrite_path = self.rewrite_path(g, pos);
            rewrite_path.push(RewritePathElement::Key(key.to_string()));
            let rewrite = FetchRewrite::KeyRenamer {
                path: rewrite_path,
                rename_key_to: f.response_key().to_string(),
            };
            if !self.groups[g].output_rewrites.contains(&rewrite) {
                self.groups[g].output_rewrites.push(rewrite);
            }
        }
        if !f.selections.is_empty() {
            let ty = self.field_type(parent, &f.name)?;
            let mut sub_path = path.clone();
            sub_path.push(FlattenPathElement::Field(tree_key.to_string()));
            let mut t = &ty;
            while t.is_list() {
                sub_path.push(FlattenPathElement::List);
                t = t.item_type();
            }
            let mut sub_pos = pos.clone();
            sub_pos.push(idx);
            self.walk(
                g,
                &sub_pos,
                ty.inner_named_type(),
                &f.selections,
                &sub_path,
                sub_provided.as_ref(),
            )?;
        }
        Ok(())
    }

    /// Whether `pos` in group `g` is directly inside a type-conditioned fragment.
    fn in_fragment(&self, g: GroupId, pos: &Pos) -> bool {
        let Some((last, up)) = pos.split_last() else {
            return false;
        };
        self.groups[g]
            .selection
            .at(up)
            .and_then(|s| s.items.get(*last))
            .is_some_and(|i| matches!(i, OutItem::Fragment { .. }))
    }

    /// Literal enum values in `f`'s arguments must be known to the subgraph they are sent to.
    fn check_enum_arguments(
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

    fn check_enum_value(
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

    /// Whether every field of `key` is resolvable in `graph` on `parent` without a hop.
    fn key_local(&self, graph: GraphId, parent: &str, key: &FieldSetTree) -> bool {
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
    fn interface_object_route(
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
                    } else {
                        cost += 1;
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

    /// Moves `fields` (not resolvable in `g`'s subgraph on `parent`) to entity fetches.
    fn hop(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        fields: Vec<NField>,
        path: &RespPath,
    ) -> Result<(), PlanError> {
        let graph = self.groups[g].graph;
        struct Need {
            field: NField,
            targets: Vec<(GraphId, bool)>,
            via: Name,
        }
        let mut needs = Vec::new();
        for field in fields {
            let mut targets: Vec<_> = self
                .resolving_graphs(parent, &field.name)
                .into_iter()
                .filter(|(x, requires)| *x != graph || *requires)
                .collect();
            let mut via = parent.clone();
            if targets.is_empty()
                && let Some((iface, graphs)) = self.interface_object_route(parent, &field.name)
            {
                via = iface;
                targets = graphs;
            }
            if targets.is_empty() {
                return Err(PlanError::Unresolvable {
                    type_name: parent.to_string(),
                    field: field.name.to_string(),
                    from: self.graph_name(graph),
                });
            }
            needs.push(Need {
                field,
                targets,
                via,
            });
        }
        let direct_deps: BTreeSet<GroupId> = [g].into();
        while !needs.is_empty() {
            // Greedy cover: the subgraph serving most of the remaining fields, preferring one
            // already called at this path, then the cheapest, then join__Graph order.
            let mut candidates: Vec<GraphId> = needs
                .iter()
                .flat_map(|n| n.targets.iter().map(|(x, _)| *x))
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            let best = candidates
                .iter()
                .copied()
                .max_by_key(|x| {
                    let count = needs
                        .iter()
                        .filter(|n| n.targets.iter().any(|(t, _)| t == x))
                        .count();
                    let existing = self.groups.iter().any(|gr| {
                        gr.root_kind.is_none()
                            && gr.graph == *x
                            && gr.merge_path == *path
                            && gr.deps == direct_deps
                    });
                    let cost: usize = needs
                        .iter()
                        .filter(|n| n.targets.iter().any(|(t, _)| t == x))
                        .map(|n| {
                            let Ok(ty) = self.field_type(&n.via, &n.field.name) else {
                                return 0;
                            };
                            self.remote_cost(*x, ty.inner_named_type(), &n.field.selections, 0)
                        })
                        .sum();
                    (
                        count,
                        existing,
                        std::cmp::Reverse(cost),
                        std::cmp::Reverse(*x),
                    )
                })
                .ok_or(PlanError::Internal("no hop candidate"))?;
            let (chosen, rest): (Vec<Need>, Vec<Need>) = needs
                .into_iter()
                .partition(|n| n.targets.iter().any(|(t, _)| *t == best));
            needs = rest;
            let mut plain: Vec<(Name, Vec<NSel>)> = Vec::new();
            for need in chosen {
                let requires = need.targets.iter().any(|(t, r)| *t == best && *r);
                if requires {
                    self.hop_with_requires(g, pos, parent, &need.via, best, need.field, path)?;
                } else {
                    match plain.iter_mut().find(|(v, _)| *v == need.via) {
                        Some((_, list)) => list.push(NSel::Field(need.field)),
                        None => plain.push((need.via, vec![NSel::Field(need.field)])),
                    }
                }
            }
            for (via, sels) in plain {
                let (child, cpos) =
                    self.entity_hop(g, pos, parent, &via, best, path, None, None)?;
                self.walk(child, &cpos, &via, &sels, path, None)?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn hop_with_requires(
        &mut self,
        g: GroupId,
        pos: &Pos,
        parent: &Name,
        via: &Name,
        target: GraphId,
        field: NField,
        path: &RespPath,
    ) -> Result<(), PlanError> {
        let requires = self
            .join_for(via, &field.name, target)
            .and_then(|j| j.requires_selection.clone())
            .ok_or(PlanError::Internal("requires selection"))?;
        // Fetch what @requires names into the parent object first, from wherever it lives.
        let before = self.touched.len();
        self.walk(g, pos, parent, &tree_to_nsel(&requires), path, None)?;
        let mut deps: BTreeSet<GroupId> = self.touched[before..].iter().copied().collect();
        deps.insert(g);
        let (child, cpos) = self.entity_hop(
            g,
            pos,
            parent,
            via,
            target,
            path,
            Some(deps),
            Some(&requires),
        )?;
        self.add_local(child, &cpos, via, &field, path, None)
    }

    /// Finds or creates the entity fetch to `target` for the objects at `path`, adding the
    /// key (and `@requires` inputs) to the representation. Returns the group and the
    /// position of its `... on <via>` fragment.
    #[allow(clippy::too_many_arguments)]
    fn entity_hop(
        &mut self,
        g: GroupId,
        pos: &Pos,
        source_type: &Name,
        via: &Name,
        target: GraphId,
        path: &RespPath,
        deps: Option<BTreeSet<GroupId>>,
        requires: Option<&FieldSetTree>,
    ) -> Result<(GroupId, Pos), PlanError> {
        let graph = self.groups[g].graph;
        let via_model = self
            .sg
            .type_model(via)
            .ok_or(PlanError::Internal("entity type model"))?;
        let keys: Vec<FieldSetTree> = via_model
            .resolvable_keys(target)
            .map(|k| k.selection.clone())
            .collect();
        let target_sees_interface_object = via_model.is_interface_object_in(target);
        let Some(key) = keys
            .iter()
            .find(|k| self.key_local(graph, source_type, k))
            .cloned()
        else {
            // Two hops: through a subgraph that can be reached and can provide a key of
            // the target.
            let source_model = self
                .sg
                .type_model(source_type)
                .ok_or(PlanError::Internal("entity type model"))?;
            for m in 0..self.sg.subgraphs().len() {
                if m == graph || m == target {
                    continue;
                }
                let reachable = source_model
                    .resolvable_keys(m)
                    .any(|k| self.key_local(graph, source_type, &k.selection));
                let provides_key = keys.iter().any(|k| self.key_local(m, source_type, k));
                if reachable && provides_key {
                    let (c1, p1) =
                        self.entity_hop(g, pos, source_type, source_type, m, path, None, None)?;
                    return self.entity_hop(
                        c1,
                        &p1,
                        source_type,
                        via,
                        target,
                        path,
                        deps,
                        requires,
                    );
                }
            }
            return Err(PlanError::NoEntityPath {
                type_name: via.to_string(),
                from: self.graph_name(graph),
                to: self.graph_name(target),
            });
        };
        self.add_typename(g, pos)?;
        self.walk(g, pos, source_type, &tree_to_nsel(&key), path, None)?;
        let at = self.groups[g]
            .selection
            .at(pos)
            .ok_or(PlanError::Internal("selection position"))?;
        let mut rep = vec![RequireSelection::Field {
            response_key: "__typename".into(),
            name: "__typename".into(),
            selections: Vec::new(),
        }];
        merge_requires(&mut rep, rep_from(at, &key));
        if let Some(r) = requires {
            merge_requires(&mut rep, rep_from(at, r));
        }
        let deps = deps.unwrap_or_else(|| [g].into());
        let child = self.find_or_create(target, path, deps);
        merge_requires(
            &mut self.groups[child].requires,
            vec![RequireSelection::InlineFragment {
                type_condition: Some(source_type.to_string()),
                selections: rep,
            }],
        );
        if target_sees_interface_object {
            // The subgraph knows the interface only as an object type named like it.
            let mut objects = self.sg.possible_types(source_type);
            objects.retain(|o| o != via);
            for object in objects {
                let rewrite = FetchRewrite::ValueSetter {
                    path: vec![
                        RewritePathElement::TypenameEquals(object.to_string()),
                        RewritePathElement::Key("__typename".into()),
                    ],
                    value: serde_json::Value::String(via.to_string()),
                };
                if !self.groups[child].input_rewrites.contains(&rewrite) {
                    self.groups[child].input_rewrites.push(rewrite);
                }
            }
        }
        let idx = self.groups[child].selection.add_fragment(via);
        Ok((child, vec![idx]))
    }

    /// Plans the root fields of an operation.
    pub fn plan_root(
        &mut self,
        kind: OperationKind,
        root: &Name,
        sels: &[NSel],
    ) -> Result<(), PlanError> {
        let mut fields = Vec::new();
        self.fields_for_object(root, sels, &mut fields);
        for f in fields {
            // `__typename` on a root type is answered by the router.
            if f.name == "__typename" {
                continue;
            }
            let candidates: Vec<GraphId> = self
                .resolving_graphs(root, &f.name)
                .into_iter()
                .filter(|(_, requires)| !requires)
                .map(|(g, _)| g)
                .collect();
            if candidates.is_empty() {
                return Err(PlanError::Unresolvable {
                    type_name: root.to_string(),
                    field: f.name.to_string(),
                    from: "the root".into(),
                });
            }
            let ty = self.field_type(root, &f.name)?;
            let existing = if kind == OperationKind::Mutation {
                None
            } else {
                self.groups
                    .iter()
                    .position(|gr| gr.root_kind == Some(kind) && candidates.contains(&gr.graph))
            };
            let g = match existing {
                Some(g) => g,
                None => {
                    let best = candidates
                        .iter()
                        .copied()
                        .min_by_key(|x| {
                            (
                                self.remote_cost(*x, ty.inner_named_type(), &f.selections, 0),
                                *x,
                            )
                        })
                        .ok_or(PlanError::Internal("root candidate"))?;
                    self.new_root_group(best, kind)
                }
            };
            self.add_local(g, &Vec::new(), root, &f, &Vec::new(), None)?;
        }
        Ok(())
    }
}

/// A field set as planner-internal selections.
fn tree_to_nsel(tree: &FieldSetTree) -> Vec<NSel> {
    tree.items
        .iter()
        .map(|item| match item {
            FieldSetItem::Field { name, sub } => {
                NSel::Field(NField::internal(name.clone(), tree_to_nsel(sub)))
            }
            FieldSetItem::Fragment {
                type_condition,
                sub,
            } => NSel::Fragment {
                type_condition: type_condition.clone(),
                selections: tree_to_nsel(sub),
            },
        })
        .collect()
}

/// The representation shape for `tree`, reading the response keys the fields got in `at`
/// (an internal field can be aliased when the client uses its name for something else).
fn rep_from(at: &super::selection::OutSel, tree: &FieldSetTree) -> Vec<RequireSelection> {
    tree.items
        .iter()
        .map(|item| match item {
            FieldSetItem::Field { name, sub } => {
                let response_key = at.key_of(name).unwrap_or_else(|| name.clone());
                let nested = at.items.iter().find_map(|i| match i {
                    OutItem::Field {
                        alias,
                        name: n,
                        arguments,
                        sub,
                    } if n == name
                        && arguments.is_empty()
                        && alias.as_ref().unwrap_or(n) == &response_key =>
                    {
                        Some(sub)
                    }
                    _ => None,
                });
                let empty = super::selection::OutSel::default();
                let mut selections = rep_from(nested.unwrap_or(&empty), sub);
                // Fragments in a representation are decided by the runtime type, which the
                // subgraph also needs to read the value.
                if sub
                    .items
                    .iter()
                    .any(|i| matches!(i, FieldSetItem::Fragment { .. }))
                {
                    selections.insert(
                        0,
                        RequireSelection::Field {
                            response_key: "__typename".into(),
                            name: "__typename".into(),
                            selections: Vec::new(),
                        },
                    );
                }
                RequireSelection::Field {
                    response_key: response_key.to_string(),
                    name: name.to_string(),
                    selections,
                }
            }
            FieldSetItem::Fragment {
                type_condition,
                sub,
            } => {
                let nested = at.items.iter().find_map(|i| match i {
                    OutItem::Fragment {
                        type_condition: t,
                        sub,
                    } if Some(t) == type_condition.as_ref() => Some(sub),
                    _ => None,
                });
                RequireSelection::InlineFragment {
                    type_condition: type_condition.as_ref().map(|t| t.to_string()),
                    selections: rep_from(nested.unwrap_or(at), sub),
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feeds() -> Supergraph {
        Supergraph::parse(include_str!("../../tests/fixtures/feeds.graphql")).expect("fixture")
    }

    fn graphs(b: &Builder<'_>, t: &str, f: &str) -> Vec<String> {
        b.resolving_graphs(t, f)
            .into_iter()
            .map(|(g, _)| b.graph_name(g))
            .collect()
    }

    #[test]
    fn progressive_override_follows_the_label() {
        let sg = feeds();
        let off = BTreeSet::new();
        let b = Builder::new(&sg, &off);
        assert_eq!(graphs(&b, "User", "avatar"), ["users"]);
        let on: BTreeSet<String> = ["new-avatars".to_string()].into();
        let b = Builder::new(&sg, &on);
        assert_eq!(graphs(&b, "User", "avatar"), ["media"]);
    }

    #[test]
    fn external_and_used_overridden_do_not_resolve() {
        let sg = feeds();
        let labels = BTreeSet::new();
        let b = Builder::new(&sg, &labels);
        assert_eq!(graphs(&b, "Post", "slug"), ["media"]);
        assert_eq!(graphs(&b, "User", "name"), ["users"]);
        // No @join__field: wherever the type is.
        assert_eq!(graphs(&b, "User", "id"), ["media", "posts", "users"]);
    }

    #[test]
    fn provides_makes_external_fields_local_on_that_path_only() {
        let sg = feeds();
        let labels = BTreeSet::new();
        let b = Builder::new(&sg, &labels);
        let posts = sg.subgraph_by_name("posts").expect("posts");
        let provided = sg
            .field_model("Post", "author")
            .and_then(|f| f.join_for(posts))
            .and_then(|j| j.provides_selection.clone())
            .expect("provides");
        assert!(b.is_local(posts, "User", "name", Some(&provided)));
        assert!(!b.is_local(posts, "User", "name", None));
    }
}
